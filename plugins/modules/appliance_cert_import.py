#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: appliance_cert_import
short_description: Import certificate, chain and private key files into a Bomgar appliance
version_added: 0.1.0
description:
  - Uploads the files a CA or an exporting server hands over (the signed certificate, its intermediates and root, a
    PKCS#12 file, a private key) to the appliance, as B(Import) under /appliance > Security > Certificates does.
  - "Every file is read on the controller first and detected by its content, not its name: DER and PEM X.509
    certificates, PKCS#7 bundles (DER and PEM), PKCS#8 private keys (plain and encrypted), PKCS#12 files (modern and
    legacy encryption), and legacy OpenSSL private keys (DER and PEM, PEM also encrypted)."
  - A wrong passphrase, an unknown format, a file over 1 MiB, a private key that belongs to no certificate (in the
    files or on the appliance) or that the appliance does not hold (anything but RSA 2048, 3072 or 4096 bits and EC
    P-256 or P-384), a O(src) that is a named pipe, a device or a socket, or inputs that import nothing (an empty
    list, a folder without a certificate or key) fails before anything is uploaded, naming the file.
  - Certificates are compared by SHA-256 fingerprint and keys by public-key fingerprint. When the appliance already
    holds every certificate (with its key, where the files bring one), nothing is uploaded and the task reports no
    change; check mode predicts exactly what an upload would do.
  - The chain of the server certificate is built over the files and the certificates already on the appliance. An
    incomplete chain is a warning that names the missing issuer and its AIA caIssuers URL; O(fetch_chain) fetches
    it from there, O(require_complete_chain) refuses to upload without it.
  - The server certificate is checked as it would be served (docs/procedure.md, "What the collection refuses, and
    what it warns about"). What clients or the appliance's TLS listener refuse (expired or not yet valid, signed
    with SHA-1 or MD5, an RSA key under 2048 bits, no DNS or IP alternative name, not for TLS servers) is a warning
    when the certificate is only imported, and fails the task before anything is uploaded with O(bind). Alternative
    names that cover nothing, e-mail or URI names and a common name left out of the alternative names are warnings.
  - A certificate the appliance already holds keeps its friendly name; the appliance cannot rename certificates.
author:
  - bomgar.pki maintainers (@bomgar-pki)
extends_documentation_fragment:
  - bomgar.pki.connection
  - bomgar.pki.connection.ATTRIBUTES
options:
  src:
    description:
      - Files on the controller to import, in any of the formats above, in any order.
      - A folder stands for the regular files directly in it (in name order, hidden files left out), such as the
        folder where the CA's answer is dropped. A file of a folder that holds no certificate or key in a known
        format (or needs another passphrase) is left out with a warning and listed in RV(left_out); a file named
        on its own must load.
      - A relative path is looked up in the C(files/) folder of the role and of the play, as M(ansible.builtin.copy)
        does.
      - At least one of O(src) and O(content) is required; both may be given.
    type: list
    elements: path
  content:
    description:
      - Files given inline. Each entry is the PEM text of a file, or the base64 of a binary file (DER, PKCS#7,
        PKCS#8, PKCS#12), such as the C(content) M(ansible.builtin.slurp) returns.
      - Named C(content[0]), C(content[1]), ... in messages and in RV(items).
    type: list
    elements: str
  passphrase:
    description:
      - Opens encrypted PKCS#12 files and encrypted private keys (PKCS#8 or legacy PEM); passed on to the appliance.
      - One passphrase for every file of the task; import files with different passphrases in separate tasks.
    type: str
  friendly_name:
    description:
      - Friendly name of a server certificate imported for the first time.
      - Without it the appliance names a certificate after the pending certificate request made with its key, else
        after its common name or first alternative name.
      - An empty name, one with leading or trailing spaces or control characters, or one over 128 characters is
        refused, as M(bomgar.pki.appliance_csr) refuses it.
    type: str
  for_public_key:
    description:
      - Import the answer of a CA to the request with this public key (the SHA-256 public key fingerprint that
        M(bomgar.pki.appliance_csr) returns as C(request.public_key_fingerprint)).
      - Of the files that hold a server certificate, only the one with the newest certificate for this key is
        imported, with every file that holds only CA certificates (intermediates, roots); files with another key's
        certificate are left out and listed in RV(left_out).
      - When no file holds a certificate for this key, nothing is imported, the task does not fail and RV(waiting)
        is V(true), since the CA has not answered yet. A O(src) that does not exist yet is then empty.
    type: str
  fetch_chain:
    description:
      - When the chain of the server certificate lacks an issuer that neither the files nor the appliance have,
        follow the AIA caIssuers links (plain C(http://), as RFC 5280 prescribes) to fetch the missing
        intermediates and root, and import what was fetched together with the files.
    type: bool
    default: false
  require_complete_chain:
    description:
      - V(false) imports a certificate whose chain is incomplete and warns, naming the missing issuer.
      - V(true) fails instead, before anything is uploaded.
    type: bool
    default: false
  bind:
    description:
      - After the import, serve the imported server certificate on IP addresses of the appliance and check what
        each one serves, as M(bomgar.pki.appliance_ip_binding) does, in the same task (one connection to the
        appliance instead of two tasks).
      - The addresses, the hostnames and whether the certificate can be served at all are checked before anything is
        uploaded.
      - When the binding or the check fails, the task fails with RV(bindings), what each address served before and
        after, so that the previous certificates can be bound again; the imported certificate stays.
      - In check mode, a certificate that is not on the appliance yet is not bound; RV(binding) then only says
        that it was skipped, and why.
    type: dict
    suboptions:
      ip_addresses:
        description: IP addresses of the appliance that serve the certificate.
        type: list
        elements: str
        required: true
      hostnames:
        description:
          - Names TLS clients use for these addresses; the certificate must cover them, and the first is sent as
            the server name when each address is checked.
        type: list
        elements: str
        default: []
      state:
        description:
          - V(exact) makes these the only addresses of the certificate; V(present) adds them.
        type: str
        choices: [present, exact]
        default: exact
      verify_served:
        description: Ask each address over TLS what it serves afterwards; it must be the certificate with its chain.
        type: bool
        default: true
      site_port:
        description: The TLS port of the site; defaults to the one the appliance reports, else V(443).
        type: int
      verify_timeout:
        description: Seconds, more than 0, to wait for each address when it is checked.
        type: float
        default: 10
notes:
  - Neither key material nor the passphrase appear in the result or the diff; private keys are described by type,
    size and public-key fingerprint only. A private key given by mistake in another option (O(for_public_key),
    O(friendly_name)) is masked wherever the result would show it.
  - One task is one import on the appliance; all of its files are stored, or none.
seealso:
  - module: bomgar.pki.appliance_ip_binding
  - module: bomgar.pki.appliance_csr
  - module: community.crypto.x509_certificate_info
"""

EXAMPLES = r"""
- name: Import the signed certificate with the CA's intermediate and root
  bomgar.pki.appliance_cert_import:
    appliance_url: https://appliance.example.com
    api_token: "{{ vault_appliance_token }}"
    ca_path: /etc/pki/appliance-api-ca.pem
    src:
      - support.example.com.cer
      - intermediate.cer
      - root.cer
    require_complete_chain: true

- name: Import a certificate with its private key, exported from another server
  bomgar.pki.appliance_cert_import:
    src: support.example.com.p12
    passphrase: "{{ vault_p12_passphrase }}"
    friendly_name: support.example.com 2026

- name: Import a PKCS#12 and serve it on the appliance's address, checked over TLS, in one task
  bomgar.pki.appliance_cert_import:
    content:
      - "{{ transfer_pkcs12_base64 }}"
    passphrase: "{{ transfer_passphrase }}"
    bind:
      ip_addresses: [192.0.2.20]
      hostnames: [node1.example.com, support.example.com]

- name: Import the leaf only and fetch its intermediates through AIA
  bomgar.pki.appliance_cert_import:
    content:
      - "{{ signed_certificate_pem }}"
    fetch_chain: true
  register: imported

- name: Show the chain
  ansible.builtin.debug:
    msg: "{{ imported.chain_status }}: {{ imported.chain.subjects }}"
"""

RETURN = r"""
certificate:
  description:
    - The server certificate of the import as the appliance lists it after the task (in check mode, as predicted).
    - For files that hold only CA certificates, the appliance certificate whose chain they complete; for files that
      hold only a key, the certificate it belongs to. Empty when there is none.
  returned: always
  type: dict
  sample:
    id: 3b1f0c9e7a21d4e5
    friendly_name: support.example.com 2026
    sha256_fingerprint: "3b:1f:0c:9e:7a:21:..."
    subject: {common_name: Support}
    subject_alt_name: ["DNS:support.example.com"]
    not_before: "2026-01-05T00:00:00Z"
    not_after: "2027-01-05T00:00:00Z"
    role: server
    private_key_available: true
    chain_status: complete
    chain: ["3b:1f:...", "9a:02:...", "c4:77:..."]
    ip_addresses: []
root_fingerprint:
  description:
    - SHA-256 fingerprint of the root the server certificate chains to (itself, when self-signed); V(null) when its
      chain is incomplete or there is no server certificate.
  returned: always
  type: str
  sample: "c4:77:..."
software_update_required:
  description:
    - V(true) when the appliance software does not trust that root (it is not among the C(trusted_root_fingerprints)
      of Status > Basics, or it is not known), so the vendor must build new software; V(null) without a server
      certificate.
  returned: always
  type: bool
  sample: false
waiting:
  description:
    - With O(for_public_key), V(true) when no file holds a certificate for that key yet (nothing was imported).
  returned: when O(for_public_key) is given
  type: bool
  sample: false
left_out:
  description: The files that were not imported, each with the reason (a file of a folder that did not load, or
    with O(for_public_key) a file with another key's certificate).
  returned: always
  type: list
  elements: dict
  sample:
    - source: drop/README.txt
      reason: "no certificate or private key in a known format"
imported:
  description: SHA-256 fingerprints of the certificates the import adds, or to which it attaches their private key.
  returned: always
  type: list
  elements: str
  sample: ["3b:1f:0c:9e:7a:21:..."]
unchanged:
  description: SHA-256 fingerprints of the certificates of the files that the appliance already held.
  returned: always
  type: list
  elements: str
  sample: ["9a:02:44:1c:..."]
items:
  description:
    - What each file held, in order; certificates fetched through AIA come last, with their URL as source.
  returned: always
  type: list
  elements: dict
  sample:
    - source: support.example.com.p12
      kind: private_key
      format: pkcs12
      description: "private key (PKCS#12) RSA 2048, from support.example.com.p12"
  contains:
    source:
      description: The file (as given in O(src)), C(content[N]), or the AIA URL.
      type: str
      sample: support.example.com.p12
    kind:
      description: V(certificate) or V(private_key).
      type: str
      sample: certificate
    format:
      description: >-
        The format detected: V(der_x509), V(pem_x509), V(pkcs7_der), V(pkcs7_pem), V(pkcs8_der), V(pkcs8_pem),
        V(pkcs8_der_encrypted), V(pkcs8_pem_encrypted), V(pkcs12), V(legacy_der), V(legacy_pem),
        V(legacy_pem_encrypted).
      type: str
      sample: pkcs12
    description:
      description: One line on the item; a key is described by type and size, never by its material.
      type: str
      sample: "certificate (PKCS#12) CN=Support, sha256 3b:1f:..., from support.example.com.p12"
chain:
  description:
    - The chain of the server certificate, built over the files and the appliance's certificates (and AIA).
    - Empty when the import has no server certificate.
  returned: always
  type: dict
  contains:
    status:
      description: V(complete), V(incomplete) or V(self_signed).
      type: str
      sample: complete
    fingerprints:
      description: SHA-256 fingerprints, leaf first.
      type: list
      elements: str
      sample: ["3b:1f:...", "9a:02:...", "c4:77:..."]
    roles:
      description: V(server), V(intermediate) or V(root) for each certificate of the chain.
      type: list
      elements: str
      sample: [server, intermediate, root]
    subjects:
      description: Subject of each certificate of the chain.
      type: list
      elements: str
      sample: ["CN=Support", "CN=Example Issuing CA", "CN=Example Root CA"]
    not_after:
      description: End of validity of each certificate of the chain.
      type: list
      elements: str
      sample: ["2027-01-05T00:00:00+00:00"]
    missing_issuer:
      description: Name of the issuer that is missing when the chain is incomplete.
      type: str
      sample: CN=Example Issuing CA
    missing_aia_urls:
      description: AIA caIssuers URLs of the missing issuer.
      type: list
      elements: str
      sample: ["http://pki.example.com/issuing.cer"]
    fetched:
      description: Fingerprints of the certificates fetched through AIA.
      type: list
      elements: str
      sample: []
  sample:
    status: complete
    fingerprints: ["3b:1f:...", "9a:02:...", "c4:77:..."]
    roles: [server, intermediate, root]
missing_issuer:
  description: The issuer an incomplete chain lacks and where it can be fetched; empty when nothing is missing.
  returned: always
  type: dict
  contains:
    name:
      description: The issuer's name.
      type: str
      sample: CN=Example Issuing CA
    ca_issuers_urls:
      description: AIA caIssuers URLs of the certificate whose issuer is missing.
      type: list
      elements: str
      sample: ["http://pki.example.com/issuing.cer"]
  sample:
    name: CN=Example Issuing CA
    ca_issuers_urls: ["http://pki.example.com/issuing.cer"]
chain_status:
  description: V(complete), V(incomplete) or V(self_signed); null when the import has no server certificate.
  returned: always
  type: str
  sample: complete
binding:
  description:
    - With O(bind), the result of the binding as M(bomgar.pki.appliance_ip_binding) returns it (C(changed),
      C(certificate), C(ip_addresses), C(bindings), C(served)); in check mode, for a certificate that is not on
      the appliance yet, only C(skipped) (true) and C(skip_reason).
  returned: when O(bind) is given
  type: dict
bindings:
  description:
    - With O(bind), per IP address whose certificate changes or that is named, what it served C(before) and serves
      C(after) (certificate id, friendly name, fingerprint, whether it is the factory default); also returned when
      the binding or its check fails.
  returned: when O(bind) is given
  type: dict
  sample:
    192.0.2.20:
      before: {certificate_id: 1a2b, friendly_name: old, sha256_fingerprint: "aa:...", factory_default: false}
      after: {certificate_id: 3c4d, friendly_name: new, sha256_fingerprint: "bb:...", factory_default: false}
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.cert_import import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()
