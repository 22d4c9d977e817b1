#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: local_ca_sign
short_description: Sign a certificate request with a CA kept in files on the controller
version_added: 0.1.0
description:
  - Signs a certificate request (for example RV(bomgar.pki.appliance_csr#module:csr)) as a TLS server
    certificate with an issuing CA whose certificate and key are files on the controller, and returns the
    certificate with the CA's chain, ready for M(bomgar.pki.appliance_cert_import).
  - Without O(csr) only reports the CA (its chain and fingerprints), for example to learn the root a certificate
    must chain to.
  - Everything is checked before anything is signed or written. The key must belong to the CA certificate, the CA
    must be a CA and valid now, its chain must reach a self-signed root, and the request's signature must verify;
    otherwise the module fails with a message that names the problem and the fix.
  - A request the appliance could not use is refused before signing, naming what it takes; one made with a key the
    appliance does not hold (anything but RSA 2048, 3072 or 4096 bits and EC P-256 or P-384, such as RSA 1024 or
    Ed25519), one with alternative names other than DNS and IP names (e-mail, URI ...), one with no DNS or IP
    alternative name (the certificate would cover no hostname), and one whose names break the procedure's rules.
  - The subject and alternative names come from the request. The certificate gets serverAuth, key identifiers,
    and never ends after the CA.
  - No appliance is contacted; the module runs on the controller and takes no connection options.
author:
  - bomgar.pki maintainers (@bomgar-pki)
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without signing or writing anything.
    support: full
  diff_mode:
    description: Will return fingerprints, names and dates of the CA and the new certificate, when in diff mode.
    support: full
  action:
    description: Runs on the controller as an action plugin.
    support: full
options:
  ca_cert:
    description:
      - PEM (or any format M(bomgar.pki.appliance_cert_import) reads) file of the issuing CA's certificate.
      - It may also hold the certificates above it; the one O(ca_key) belongs to is the CA.
      - With O(create=true) and no file there, a new issuing CA certificate is written to this path.
    type: path
    required: true
  ca_key:
    description:
      - File of the issuing CA's private key (PEM or DER, PKCS#8 or legacy OpenSSL, plain or encrypted).
      - With O(create=true) and no O(ca_cert) file, the new issuing CA's key is written here as PKCS#8 PEM with
        mode C(0600), encrypted with O(ca_key_passphrase) when one is given. Directories that do not exist yet are
        created with mode C(0700), whatever the umask.
    type: path
    required: true
  ca_key_passphrase:
    description:
      - Passphrase of an encrypted O(ca_key).
      - With O(create=true), the passphrase the new key is encrypted with (at least 4 characters).
    type: str
  create:
    description:
      - Create a CA when O(ca_cert) does not exist, for demos and tests. A root CA is written beside O(ca_cert) as
        C(root.pem), the issuing CA's certificate to O(ca_cert) and its key to O(ca_key). The root's key is used
        once to sign the issuing CA and not kept.
      - Refused when O(ca_key) or C(root.pem) exists already; nothing is overwritten.
      - An existing O(ca_cert) is used as it is.
    type: bool
    default: false
  ca_common_name:
    description:
      - With O(create=true), the name of the new CA. The root is named C(<ca_common_name> Root) and the issuing CA
        C(<ca_common_name> Issuing).
      - An empty or blank name is refused (leave the option out for the default), and so is one that makes those
        names longer than 64 characters or padded with spaces.
    type: str
    default: bomgar.pki Local CA
  csr:
    description:
      - The certificate request to sign, as PEM text (or base64 DER).
      - Omit to only report the CA; an empty value is refused.
      - A private key given here by mistake is refused and masked wherever the result would show it.
    type: str
  days:
    description:
      - Validity of the new certificate in days (1 to 3650). The certificate never ends after the CA; a warning
        says so when the CA ends first.
    type: int
    default: 397
  chain:
    description:
      - Files with the certificates above the issuing CA, up to the root, in any order.
      - Default is C(root.pem) beside O(ca_cert) when that file exists.
    type: list
    elements: path
notes:
  - Signing always reports a change, because every run makes a new certificate; let the caller decide when a
    certificate is needed (for example with the P(bomgar.pki.certificate_decision#filter) filter).
  - The certificate is returned, not written; keep it with M(bomgar.pki.appliance_cert_import) or
    M(ansible.builtin.copy).
requirements:
  - cryptography >= 42 on the controller
seealso:
  - module: bomgar.pki.appliance_csr
  - module: bomgar.pki.appliance_cert_import
  - module: community.crypto.x509_certificate
"""

EXAMPLES = r"""
- name: A local CA for the lab (created once, kept in files)
  bomgar.pki.local_ca_sign:
    ca_cert: "{{ playbook_dir }}/ca/issuing.pem"
    ca_key: "{{ playbook_dir }}/ca/issuing.key"
    ca_key_passphrase: "{{ vault_ca_passphrase }}"
    create: true
    ca_common_name: Example Lab CA
  register: lab_ca

- name: A request for the support site
  bomgar.pki.appliance_csr:
    friendly_name: support.example.com 2026
    key_type: rsa
    key_size: 2048
    common_name: support.example.com
    subject_alt_name:
      - DNS:support.example.com
  register: request

- name: Sign it with the local CA
  bomgar.pki.local_ca_sign:
    ca_cert: "{{ playbook_dir }}/ca/issuing.pem"
    ca_key: "{{ playbook_dir }}/ca/issuing.key"
    ca_key_passphrase: "{{ vault_ca_passphrase }}"
    csr: "{{ request.csr }}"
    days: 397
  register: signed

- name: Import the certificate with its chain
  bomgar.pki.appliance_cert_import:
    content: "{{ [signed.certificate] + signed.chain }}"
"""

RETURN = r"""
certificate:
  description: The new certificate, PEM.
  returned: when O(csr) is given and not in check mode
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIID...\n-----END CERTIFICATE-----\n"
chain:
  description: The CA's chain as PEM certificates, the issuing CA first and the root last. Empty in check mode
    when the CA is still to be created.
  returned: always
  type: list
  elements: str
  sample: ["-----BEGIN CERTIFICATE-----\nMIID...(issuing CA)", "-----BEGIN CERTIFICATE-----\nMIID...(root)"]
ca_fingerprint:
  description: SHA-256 fingerprint of the issuing CA's certificate. Null in check mode when the CA is still to be
    created.
  returned: always
  type: str
  sample: "4e:91:0a:..."
root_fingerprint:
  description: SHA-256 fingerprint of the root the chain ends in (the issuing CA itself when it is a root). Null in
    check mode when the CA is still to be created.
  returned: always
  type: str
  sample: "1a:77:3c:..."
ca_not_after:
  description: End of the issuing CA's validity (ISO 8601 UTC).
  returned: when the CA exists
  type: str
  sample: "2031-03-01T10:00:00Z"
created:
  description: Whether the CA was created by this run (or would be, in check mode).
  returned: always
  type: bool
  sample: false
info:
  description: The new certificate described (no key material).
  returned: when O(csr) is given and not in check mode
  type: dict
  contains:
    subject:
      description: Subject fields, with community.crypto names.
      returned: always
      type: dict
      sample: {common_name: support.example.com}
    issuer:
      description: Issuer fields.
      returned: always
      type: dict
      sample: {common_name: Example Lab CA Issuing}
    subject_alt_name:
      description: Alternative names.
      returned: always
      type: list
      elements: str
      sample: ["DNS:support.example.com"]
    serial_number:
      description: Serial number in hex.
      returned: always
      type: str
      sample: 5f0c9e...
    not_before:
      description: Start of validity (ISO 8601 UTC).
      returned: always
      type: str
      sample: "2026-03-01T09:55:00Z"
    not_after:
      description: End of validity (ISO 8601 UTC).
      returned: always
      type: str
      sample: "2027-04-02T10:00:00Z"
    sha256_fingerprint:
      description: SHA-256 fingerprint of the certificate.
      returned: always
      type: str
      sample: "9f:2c:4e:..."
    public_key_fingerprint:
      description: SHA-256 fingerprint of the public key (the appliance key's fingerprint).
      returned: always
      type: str
      sample: "3b:1f:0c:..."
    public_key:
      description: Key type and size or curve.
      returned: always
      type: dict
      sample: {type: rsa, size: 2048}
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.local_ca_sign import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()
