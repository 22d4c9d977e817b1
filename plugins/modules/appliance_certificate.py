#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: appliance_certificate
short_description: Delete certificates from a Bomgar appliance
version_added: 0.1.0
description:
  - Deletes certificates from /appliance > Security > Certificates, as the Delete button of the list does.
  - Each certificate is named exactly, by SHA-256 fingerprint (any spelling) or id. A friendly name is refused,
    with the certificates that carry it, because renewals keep friendly names.
  - Everything is checked before anything is deleted; the task fails, deleting nothing, when a certificate named
    is the factory default or still serves an IP address.
  - A CA certificate (intermediate or root) that completes the chain of a certificate serving an IP address is
    refused too, naming that certificate and its addresses, because those addresses would then serve an
    incomplete chain; O(allow_chain_break=true) deletes it anyway, with a warning. A CA certificate that another
    certificate on the appliance replaces (same subject and public key) is deleted without a word.
  - A certificate that is not on the appliance is already absent; a second run reports no change.
  - Certificates are added with M(bomgar.pki.appliance_cert_import) and M(bomgar.pki.appliance_csr).
author:
  - bomgar.pki maintainers (@bomgar-pki)
extends_documentation_fragment:
  - bomgar.pki.connection
  - bomgar.pki.connection.ATTRIBUTES
options:
  certificates:
    description: SHA-256 fingerprints or ids of the certificates.
    type: list
    elements: str
    required: true
  state:
    description: V(absent) deletes the certificates.
    type: str
    choices: [absent]
    required: true
  allow_chain_break:
    description:
      - Delete a CA certificate even when it completes the chain of a certificate that serves an IP address; those
        addresses then serve an incomplete chain, and the task warns.
    type: bool
    default: false
notes:
  - The keys of deleted certificates stay on the appliance (M(bomgar.pki.appliance_key) removes a key that
    nothing uses).
seealso:
  - module: bomgar.pki.appliance_ip_binding
  - module: bomgar.pki.appliance_certificate_info
"""

EXAMPLES = r"""
- name: Delete an earlier certificate that no address serves any more
  bomgar.pki.appliance_certificate:
    appliance_url: https://appliance.example.com
    api_token: "{{ vault_appliance_token }}"
    certificates:
      - "5d:0a:8f:31:..."
    state: absent
"""

RETURN = r"""
deleted:
  description: The certificates deleted (in check mode, those that would be), as the diff shows them.
  returned: always
  type: list
  elements: dict
  sample:
    - friendly_name: support.example.com 20251129-101500
      sha256_fingerprint: "5d:0a:8f:31:..."
      not_after: "2026-12-31T10:15:00Z"
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.certificate import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()
