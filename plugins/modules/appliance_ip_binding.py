#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: appliance_ip_binding
short_description: Assign a certificate to IP addresses of a Bomgar appliance
version_added: 0.1.0
description:
  - Sets which of the appliance's IP addresses serve a certificate, as B(Edit Certificate Configuration) under
    /appliance > Security > Certificates does. An address no certificate is assigned to serves the factory default
    certificate.
  - Everything is checked before anything is written, and each refusal names the fix. The certificate must be a
    server certificate whose private key is available on the appliance (otherwise the appliance cannot assign it;
    the message gives the procedure's remedy), the addresses must be the appliance's own, and the certificate's
    subject alternative names must cover O(hostnames).
  - A certificate that cannot be served is not bound to a new address (docs/procedure.md, "What the collection
    refuses, and what it warns about"), read with its chain from the appliance; expired or not yet valid, signed
    with SHA-1 or MD5 (the appliance's TLS listener cannot load it), an RSA key under 2048 bits, no DNS or IP
    alternative name, or not for TLS servers. Alternative names that cover nothing, e-mail or URI names and a
    common name left out of the alternative names are warnings.
  - After binding, each address is asked over TLS which certificate chain it serves, and the task fails unless it is
    the certificate bound there with its chain (see O(verify_served)).
author:
  - bomgar.pki maintainers (@bomgar-pki)
extends_documentation_fragment:
  - bomgar.pki.connection
  - bomgar.pki.connection.ATTRIBUTES
options:
  certificate:
    description:
      - The certificate on the appliance, by friendly name, SHA-256 fingerprint (with or without colons) or id.
      - Several certificates can share a friendly name (a renewal keeps it); the newest server certificate among them
        is meant.
    type: str
    required: true
  ip_addresses:
    description:
      - IP addresses of the appliance.
      - An address that the appliance does not have fails, listing the addresses it has.
    type: list
    elements: str
    required: true
  state:
    description:
      - V(present) assigns the certificate to O(ip_addresses), in addition to the addresses it serves already;
        addresses served by another certificate move to this one.
      - V(exact) assigns it to O(ip_addresses) and to no other address; the addresses it served besides these return
        to the factory default certificate.
      - V(absent) unassigns it from O(ip_addresses), which then serve the factory default certificate again.
    type: str
    choices: [present, exact, absent]
    default: present
  hostnames:
    description:
      - The DNS names that resolve to O(ip_addresses) and that TLS clients will ask for. Each must be covered by the
        certificate's subject alternative names by the rules TLS clients follow (RFC 6125; a wildcard covers exactly
        one label), else the task fails before binding, unless O(allow_uncovered) is set.
      - The first hostname is sent as SNI when O(verify_served) connects.
      - Not checked for O(state=absent).
    type: list
    elements: str
    default: []
  allow_uncovered:
    description:
      - Bind even when the certificate does not cover some of O(hostnames), with a warning.
    type: bool
    default: false
  verify_served:
    description:
      - After binding, connect with TLS to each of O(ip_addresses) on O(site_port) and compare the certificate chain
        served there (leaf first, by SHA-256 fingerprint) with the chain of the certificate bound there; the root may
        be left out of what is served. A mismatch fails the task, naming the address and both chains.
      - Also done when nothing had to change, so a drifted binding is found. Skipped in check mode.
    type: bool
    default: true
  site_port:
    description:
      - Port the appliance serves its site on, for O(verify_served).
      - Defaults to the C(site_port) that status/basics reports, else V(443).
    type: int
  verify_timeout:
    description:
      - Seconds, more than 0, to wait for each TLS connection of O(verify_served).
    type: float
    default: 10
seealso:
  - module: bomgar.pki.appliance_cert_import
  - module: bomgar.pki.appliance_certificate_info
"""

EXAMPLES = r"""
- name: Serve the 2026 certificate on both site addresses, and only there
  bomgar.pki.appliance_ip_binding:
    appliance_url: https://appliance.example.com
    api_token: "{{ vault_appliance_token }}"
    ca_path: /etc/pki/appliance-api-ca.pem
    certificate: support.example.com 2026
    ip_addresses: [192.0.2.10, 192.0.2.11]
    hostnames: [support.example.com]
    state: exact

- name: Add an address that was added to the appliance later (it serves the factory default until then)
  bomgar.pki.appliance_ip_binding:
    certificate: "3B:1F:0C:9E:7A:21:..."
    ip_addresses: [192.0.2.12]
    site_port: 443

- name: Return an address to the factory default certificate
  bomgar.pki.appliance_ip_binding:
    certificate: support.example.com 2026
    ip_addresses: [192.0.2.12]
    state: absent
"""

RETURN = r"""
certificate:
  description: The certificate as the appliance lists it after the task (in check mode, with the bindings predicted).
  returned: always
  type: dict
  sample:
    id: 3b1f0c9e7a21d4e5
    friendly_name: support.example.com 2026
    sha256_fingerprint: "3b:1f:0c:9e:7a:21:..."
    subject_alt_name: ["DNS:support.example.com"]
    private_key_available: true
    chain_status: complete
    chain: ["3b:1f:...", "9a:02:...", "c4:77:..."]
    ip_addresses: [192.0.2.10, 192.0.2.11]
ip_addresses:
  description: The addresses the certificate serves after the task, sorted.
  returned: always
  type: list
  elements: str
  sample: [192.0.2.10, 192.0.2.11]
bindings:
  description:
    - For each address named or changed, the certificate it served before and serves after the task (id, friendly
      name, SHA-256 fingerprint, whether it is the factory default).
  returned: always
  type: dict
  sample:
    192.0.2.10:
      before:
        certificate_id: 0f3a9c1b2d4e5f60
        friendly_name: Factory Default
        sha256_fingerprint: "0f:3a:9c:..."
        factory_default: true
      after:
        certificate_id: 3b1f0c9e7a21d4e5
        friendly_name: support.example.com 2026
        sha256_fingerprint: "3b:1f:0c:..."
        factory_default: false
served:
  description:
    - For each of O(ip_addresses), the SHA-256 fingerprints of the chain it serves, leaf first.
    - Empty when O(verify_served) is false, in check mode, or with no addresses.
  returned: always
  type: dict
  sample:
    192.0.2.10: ["3b:1f:...", "9a:02:..."]
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.ip_binding import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()
