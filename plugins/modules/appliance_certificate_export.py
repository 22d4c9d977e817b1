#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: appliance_certificate_export
short_description: Export a certificate of a Bomgar appliance as PEM with its chain, or as a PKCS#12 with its key
version_added: 0.1.0
description:
  - Exports a certificate of /appliance > Security > Certificates, as its Export button does, and returns it in
    memory, as PEM text (the certificate, and with O(include_chain) its chain, leaf first; never the private key)
    or as a PKCS#12 file protected by O(passphrase), optionally with the private key.
  - The private key only leaves the appliance inside a passphrase-protected PKCS#12.
  - Everything is checked before the appliance is asked to export, and the task fails, exporting nothing, with a
    message that names the problem and the fix, when O(include_private_key=true) is asked with O(format=pem);
    when O(format=pkcs12) has no O(passphrase), or one shorter than 4 characters (checked before the appliance is
    contacted); when the certificate named is not on the appliance (the message lists those that are); when
    O(include_private_key=true) and the appliance does not hold the certificate's private key, or the
    certificate is a CA certificate; and when the certificate does not cover every name of O(hostnames).
  - What the appliance exported is checked before it is returned; the certificates it holds must be the
    certificate and its chain, and a PKCS#12 must open with O(passphrase) and hold the private key of the
    certificate when it was asked for.
  - Exporting reads the appliance and never changes it; the task always reports no change, also in check mode,
    where it exports as outside it.
author:
  - bomgar.pki maintainers (@bomgar-pki)
extends_documentation_fragment:
  - bomgar.pki.connection
attributes:
  check_mode:
    description: Only reads the appliance; in check mode it exports as outside it, and never reports a change.
    support: full
  diff_mode:
    description: Nothing changes, so there is nothing to show as a difference.
    support: N/A
  action:
    description: Runs on the controller as an action plugin.
    support: full
  action_group:
    description: Use C(group/bomgar.pki.appliance) in C(module_defaults) to set the connection options.
    support: full
    membership:
      - bomgar.pki.appliance
options:
  certificate:
    description:
      - The certificate to export, by friendly name, SHA-256 fingerprint (any spelling, with or without colons)
        or id.
      - When several certificates share a friendly name (renewals keep it), the newest server certificate among
        them is meant.
    type: str
    required: true
  format:
    description:
      - V(pem) returns the certificate (and its chain) as PEM text in RV(content).
      - V(pkcs12) returns a PKCS#12 file protected by O(passphrase), base64-encoded, in RV(pkcs12).
    type: str
    choices: [pem, pkcs12]
    default: pem
  include_chain:
    description: Include the certificate's chain (the intermediates and the root the appliance holds).
    type: bool
    default: true
  include_private_key:
    description:
      - Include the certificate's private key. Only with O(format=pkcs12), and only for a certificate whose key is
        on the appliance; never for a CA certificate.
    type: bool
    default: false
  passphrase:
    description:
      - Protects the PKCS#12; required with O(format=pkcs12), at least 4 characters. Not used with O(format=pem).
      - Never logged or returned.
    type: str
  hostnames:
    description:
      - Names the certificate must cover (by the rules TLS clients follow, RFC 6125; a wildcard covers exactly one
        label), such as the hostnames of the appliances that will serve it.
      - A certificate that does not cover one of them is refused, naming the names it does not cover, before
        anything is exported.
    type: list
    elements: str
notes:
  - B(Keep the PKCS#12 out of the output.) The registered result holds RV(pkcs12), which with
    O(include_private_key=true) carries the private key. On ansible-core 2.19 and later a result that holds
    RV(pkcs12) is hidden from the output (at every verbosity and from every callback) as if the task had
    C(no_log), while the registered variable keeps every value; older ansible-core shows it unless the task sets
    C(no_log). Set C(no_log) to true on every task that exports a PKCS#12, and on the tasks that copy it; note that
    C(no_log) also hides the message of a failure, which is kept in the registered variable (use
    C(failed_when) false and fail in the next task with its C(msg), as the C(bomgar.pki.atlas_rollout) role
    does).
seealso:
  - module: bomgar.pki.appliance_cert_import
  - module: bomgar.pki.appliance_certificate_info
  - module: bomgar.pki.appliance_support_bundle
"""

EXAMPLES = r"""
- name: The certificate with its chain, as PEM, for a load balancer in front of the site
  bomgar.pki.appliance_certificate_export:
    certificate: support.example.com
    format: pem
  register: site_certificate

- name: Write the chain where the load balancer reads it
  ansible.builtin.copy:
    content: "{{ site_certificate.content }}"
    dest: /etc/haproxy/certs/support.example.com.chain.pem
    mode: "0644"
  delegate_to: lb1.example.com

- name: The certificate with its chain and private key, as a PKCS#12, for another appliance
  bomgar.pki.appliance_certificate_export:
    certificate: "5d:0a:8f:31:..."
    format: pkcs12
    include_private_key: true
    passphrase: "{{ transfer_passphrase }}"
    hostnames: [node1.example.com, support.example.com]
  register: transfer
  no_log: true

- name: Import it on the traffic node
  bomgar.pki.appliance_cert_import:
    appliance_url: https://node1.example.com
    api_token: "{{ vault_node1_token }}"
    content: ["{{ transfer.pkcs12 }}"]
    passphrase: "{{ transfer_passphrase }}"
  no_log: true
"""

RETURN = r"""
certificate:
  description: The certificate exported, as the appliance's API lists it (names, fingerprints, dates, chain, role);
    no key material.
  returned: success
  type: dict
  sample:
    id: 3f1c9a2e
    friendly_name: support.example.com
    sha256_fingerprint: "5d:0a:8f:31:..."
    subject_alt_name: ["DNS:support.example.com", "DNS:*.example.com"]
    role: server
    private_key_available: true
    chain_status: complete
certificates:
  description: SHA-256 fingerprints of the certificates exported, leaf first.
  returned: success
  type: list
  elements: str
  sample: ["5d:0a:8f:31:...", "9a:41:...", "c2:07:..."]
format:
  description: The format exported, V(pem) or V(pkcs12).
  returned: success
  type: str
  sample: pkcs12
filename:
  description: The file name the appliance proposes for the export.
  returned: success
  type: str
  sample: support.example.com.p12
includes_private_key:
  description: Whether the export holds the private key.
  returned: success
  type: bool
  sample: true
content:
  description: The certificate and its chain as PEM text, leaf first; never a private key.
  returned: success and O(format=pem)
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIF...\n-----END CERTIFICATE-----\n"
pkcs12:
  description:
    - The PKCS#12 file, base64-encoded, protected by O(passphrase); with O(include_private_key=true) it holds the
      private key.
    - A result that holds it is hidden from the output on ansible-core 2.19 and later; set C(no_log) on the task.
  returned: success and O(format=pkcs12)
  type: str
  sample: MIIK...
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.certificate_export import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()
