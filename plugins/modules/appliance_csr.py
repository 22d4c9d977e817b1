#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: appliance_csr
short_description: Create a certificate request, or a self-signed certificate, on a Bomgar appliance
version_added: 0.1.0
description:
  - Creates a certificate request (CSR) on the appliance for a CA to sign, or a self-signed certificate, from one
    spec, as the form of /appliance > Security > Certificates does with B(Create Certificate Request) or
    B(Create Self-Signed Certificate).
  - The spec is checked on the controller before anything is written, by the rules of the vendor's procedure
    (country code, common name against the first alternative name, wildcard form, key size); a spec that breaks a
    rule fails with a message that names the rule and the fix, and the appliance is left as it was.
  - The request is identified by O(friendly_name) and compared by subject, subject alternative names and public
    key. The same spec again changes nothing. A pending request with a different spec is deleted and replaced by
    a new one under the same friendly name. A completed request (its signed certificate has been imported) with
    the same spec is kept and returned as it is, with its RV(request.status).
  - With O(self_signed=true) the newest certificate with this friendly name is compared instead. When the spec
    differs, a new self-signed certificate is created under the same friendly name; the previous certificate stays
    on the appliance, because it may still be assigned to IP addresses.
  - The private key is generated on the appliance (or an existing appliance key is used) and never leaves it.
author:
  - bomgar.pki maintainers (@bomgar-pki)
extends_documentation_fragment:
  - bomgar.pki.connection
  - bomgar.pki.connection.ATTRIBUTES
options:
  friendly_name:
    description:
      - The descriptive label of the request or certificate on the appliance, for example the primary DNS name or
        the month and year.
      - One pending request per friendly name exists at a time.
    type: str
    required: true
  key:
    description:
      - Name of the appliance key to use.
      - Without O(key_type), O(key_size) and O(key_curve), a key of this name must exist; this is how a renewal
        reuses the key of the certificate it replaces.
      - With any of O(key_type), O(key_size) or O(key_curve), a key of this name is generated when none exists; an
        existing key of this name must be of the requested type and size or curve.
      - When omitted, the key is named after O(friendly_name). A key of that name is used when it exists;
        otherwise one is generated as O(key_type), O(key_size) and O(key_curve) say (RSA 2048 by default).
    type: str
  key_type:
    description:
      - Algorithm of a key to generate. Defaults to V(ec) when only O(key_curve) is given, else V(rsa).
      - Giving O(key_type), O(key_size) or O(key_curve) makes the spec of the key part of the request's spec.
    type: str
    choices: [rsa, ec]
  key_size:
    description:
      - RSA key size in bits of a key to generate. Defaults to V(2048) for RSA keys.
      - The procedure offers 2048 and 4096 bits (the CA decides which it accepts); 3072 is accepted too. Smaller
        keys such as 1024 bits are refused before anything is written.
    type: int
  key_curve:
    description:
      - Curve of an EC key to generate. Defaults to V(P-256) for EC keys.
    type: str
    choices: [P-256, P-384]
  common_name:
    description:
      - The common name (CN). Preferably a human-readable label; when it is a DNS name or IP address, it must be
        spelled exactly as the first entry of O(subject_alt_name).
    type: str
  country_name:
    description:
      - The country (C), an ISO 3166-1 alpha-2 code in upper case, for example V(US), V(DE) or V(GB) (not V(UK)).
    type: str
  state_or_province_name:
    description:
      - The state or province (ST), written out in full; some CAs reject abbreviations, and an abbreviation gives a
        warning.
    type: str
  locality_name:
    description:
      - The city (L).
    type: str
  organization_name:
    description:
      - The organization (O).
    type: str
  organizational_unit_name:
    description:
      - The organizational unit (OU).
    type: str
  subject_alt_name:
    description:
      - The subject alternative names, one per DNS name or IP address the site needs, each as V(DNS:name) or
        V(IP:address), for example V(DNS:support.example.com).
      - A wildcard covers one label, for example V(DNS:*.example.com); it needs two or more labels after the C(*).
      - IP addresses are possible but not recommended, and give a warning.
      - Order matters only for the first entry, which must equal a DNS O(common_name).
    type: list
    elements: str
  self_signed:
    description:
      - Create a self-signed certificate instead of a certificate request.
      - A self-signed certificate has no chain; browsers do not trust it unless told to.
    type: bool
    default: false
  self_signed_days:
    description:
      - Validity of a new self-signed certificate, in days (1 to 3650).
      - Not part of the comparison; a certificate that matches the spec is kept whatever its validity.
    type: int
    default: 365
  state:
    description:
      - V(present) makes sure the request (or self-signed certificate) exists with this spec.
      - V(absent) deletes the pending request with this friendly name. Completed requests, self-signed certificates
        and keys are not deleted by this module; use M(bomgar.pki.appliance_key) for a key nothing uses any more.
    type: str
    choices: [present, absent]
    default: present
notes:
  - "Over O(transport=web) a new key is made by the form's 'New Key' choice and named after O(friendly_name): a
    new key under another name is refused (omit O(key), or set it to O(friendly_name)). A self-signed certificate
    gets the appliance's own validity, as the form has no field for it; another O(self_signed_days) is refused.
    The request's PEM is read from its View Request page."
  - The diff shows friendly name, subject, alternative names, key name and public key fingerprint, status, and for a
    certificate its fingerprint, dates and bound IP addresses; never key material.
  - A key generated by this module stays on the appliance when the request is replaced or deleted.
seealso:
  - module: bomgar.pki.appliance_key
  - module: bomgar.pki.appliance_cert_import
  - module: bomgar.pki.appliance_certificate_info
  - module: community.crypto.openssl_csr
"""

EXAMPLES = r"""
- name: A request for the CA, with a new 4096-bit key named after the friendly name
  bomgar.pki.appliance_csr:
    appliance_url: https://appliance.example.com
    api_token: "{{ vault_appliance_token }}"
    ca_path: /etc/pki/appliance-api-ca.pem
    friendly_name: support.example.com 2026-11
    key_type: rsa
    key_size: 4096
    common_name: Example Support
    country_name: US
    state_or_province_name: California
    locality_name: San Francisco
    organization_name: Example Inc.
    organizational_unit_name: IT
    subject_alt_name:
      - DNS:support.example.com
      - DNS:*.example.com
  register: request

- name: Hand the request to the CA
  ansible.builtin.copy:
    content: "{{ request.csr }}"
    dest: /srv/pki/requests/support.example.com.csr
    mode: "0644"
  delegate_to: localhost

- name: Connection options once for the whole play
  module_defaults:
    group/bomgar.pki.appliance:
      appliance_url: "{{ bomgar_appliance_url }}"
      api_token: "{{ bomgar_api_token }}"
      ca_path: "{{ bomgar_ca_path }}"
  block:
    - name: Renewal request that reuses the key of the current certificate
      bomgar.pki.appliance_csr:
        friendly_name: support.example.com 2027-11
        key: support.example.com 2026-11
        common_name: support.example.com
        subject_alt_name:
          - DNS:support.example.com

    - name: A self-signed certificate for a lab, valid for 90 days
      bomgar.pki.appliance_csr:
        friendly_name: lab.example.com self-signed
        key_type: ec
        key_curve: P-256
        common_name: lab.example.com
        subject_alt_name:
          - DNS:lab.example.com
        self_signed: true
        self_signed_days: 90

    - name: Withdraw a pending request
      bomgar.pki.appliance_csr:
        friendly_name: support.example.com 2026-11
        state: absent
"""

RETURN = r"""
csr:
  description:
    - The certificate request (PKCS#10) as PEM, for the CA's form.
    - Not returned in check mode for a request that would be created.
  returned: when O(state=present) and O(self_signed=false), and the request exists
  type: str
  sample: "-----BEGIN CERTIFICATE REQUEST-----\nMIIC...\n-----END CERTIFICATE REQUEST-----\n"
request:
  description:
    - The certificate request as the appliance returns it (empty when O(state=absent)).
    - In check mode, for a request that would be created, a prediction without RV(request.id) and RV(request.pem).
  returned: when O(self_signed=false) or O(state=absent)
  type: dict
  contains:
    id:
      description: Identifier of the request on the appliance.
      returned: when the request exists
      type: str
      sample: req-4c2a9e01b7d3
    friendly_name:
      description: Friendly name of the request.
      returned: success
      type: str
      sample: support.example.com 2026-11
    key_id:
      description: Identifier of the appliance key the request was made with.
      returned: success
      type: str
      sample: key-3b1f0c9e7a21
    subject:
      description: The subject fields that are set.
      returned: success
      type: dict
      sample:
        common_name: Example Support
        country_name: US
    subject_alt_name:
      description: The subject alternative names, normalised (lower-case DNS names, canonical IP addresses).
      returned: success
      type: list
      elements: str
      sample: ["DNS:support.example.com", "DNS:*.example.com"]
    public_key_fingerprint:
      description: SHA-256 fingerprint of the request's public key; a placeholder in check mode for a new key.
      returned: success
      type: str
      sample: "3b:1f:0c:9e:7a:21:..."
    pem:
      description: The request as PEM (the same as RV(csr)).
      returned: when the request exists
      type: str
      sample: "-----BEGIN CERTIFICATE REQUEST-----\nMIIC...\n-----END CERTIFICATE REQUEST-----\n"
    warnings:
      description: The appliance's warnings about the request (for example an IP address SAN).
      returned: when the request exists
      type: list
      elements: str
      sample: []
    status:
      description:
        - V(pending) until the signed certificate is imported, then V(completed).
        - A completed request with the same spec is returned unchanged.
      returned: success
      type: str
      sample: pending
    certificate_id:
      description: The certificate that completed the request.
      returned: when the request exists
      type: str
      sample: 9f2c4e1a7b3d5c60
    created_at:
      description: When the request was created (ISO 8601 UTC).
      returned: when the request exists
      type: str
      sample: "2026-11-29T09:50:13Z"
root_fingerprint:
  description:
    - For a self-signed certificate, its own SHA-256 fingerprint, since it is its own root. V(null) in check mode for a
      certificate that would be created.
  returned: when O(self_signed=true) and O(state=present)
  type: str
  sample: "3b:1f:0c:9e:7a:21:..."
software_update_required:
  description:
    - For a self-signed certificate, V(true) unless the appliance software already trusts it (Status > Basics lists
      its fingerprint among C(trusted_root_fingerprints)); the vendor then must build new software.
  returned: when O(self_signed=true) and O(state=present)
  type: bool
  sample: true
certificate:
  description:
    - The self-signed certificate as the appliance returns it (fingerprint, subject, issuer, alternative names,
      validity, key, chain status, bound IP addresses, and more). No key material.
    - In check mode, for a certificate that would be created, a prediction with placeholder fingerprints and
      C(validity_days).
  returned: when O(state=present) and O(self_signed=true)
  type: dict
  sample:
    id: 9f2c4e1a7b3d5c60
    friendly_name: lab.example.com self-signed
    sha256_fingerprint: "9f:2c:4e:1a:7b:3d:5c:60:..."
    subject:
      common_name: lab.example.com
    issuer:
      common_name: lab.example.com
    subject_alt_name: ["DNS:lab.example.com"]
    not_before: "2026-11-29T09:45:13Z"
    not_after: "2027-02-27T09:50:13Z"
    self_signed: true
    private_key_available: true
    key_id: key-3b1f0c9e7a21
    chain_status: self_signed
    ip_addresses: []
key:
  description:
    - The appliance key of the request or certificate (empty when O(state=absent)). No key material.
    - In check mode, for a key that would be generated, its name and spec and a placeholder fingerprint.
  returned: always
  type: dict
  sample:
    id: key-3b1f0c9e7a21
    name: support.example.com 2026-11
    type: rsa
    size: 4096
    public_key_fingerprint: "3b:1f:0c:9e:7a:21:..."
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.csr import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()
