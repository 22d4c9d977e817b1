#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: appliance_key
short_description: Generate, keep or remove a private key on a Bomgar appliance
version_added: 0.1.0
description:
  - Manages a key in the appliance's key store, the B(Key) dropdown of /appliance > Security > Certificates.
  - The key is generated on the appliance and never leaves it, except in a passphrase-protected PKCS#12 export.
  - Keys are identified by O(name) and compared by type and size or curve; an existing key that differs from the
    request fails unless O(regenerate) says otherwise.
author:
  - bomgar.pki maintainers (@bomgar-pki)
extends_documentation_fragment:
  - bomgar.pki.connection
  - bomgar.pki.connection.ATTRIBUTES
options:
  name:
    description:
      - Name of the key on the appliance. Unique per appliance.
    type: str
    required: true
  type:
    description:
      - Key algorithm.
    type: str
    choices: [rsa, ec]
    default: rsa
  size:
    description:
      - RSA key size in bits. Defaults to V(2048) for RSA keys.
      - The procedure offers 2048 and 4096 bits (the CA decides which it accepts); 3072 is accepted too.
        Smaller keys such as 1024 bits are refused before anything is written.
    type: int
  curve:
    description:
      - Curve of an EC key. Defaults to V(P-256) for EC keys.
    type: str
    choices: [P-256, P-384]
  state:
    description:
      - V(present) makes sure the key exists; V(absent) removes it.
      - Removing a key is refused while a certificate request or certificate uses it.
    type: str
    choices: [present, absent]
    default: present
  regenerate:
    description:
      - What to do when a key of this name exists but is not of the requested type and size or curve.
      - V(fail) stops with a message that names both and the fix.
      - V(never) keeps the existing key and warns.
      - V(always) replaces the key on every run, whether it matches or not (refused while the key is in use).
    type: str
    choices: [never, fail, always]
    default: fail
notes:
  - "Over O(transport=web) no page makes a key alone: a key that does not exist is refused with O(state=present),
    saying to let M(bomgar.pki.appliance_csr) make it (with its O(bomgar.pki.appliance_csr#module:key_type)), as the
    New Certificate form does. A key is read from the Key dropdown, its type, size, curve and public key
    fingerprint from the request or certificate that uses it; a key nothing uses shows its name only, and no page
    deletes it. Deleting a request over the web deletes its key too when nothing else uses it."
seealso:
  - module: bomgar.pki.appliance_csr
  - module: community.crypto.openssl_privatekey
"""

EXAMPLES = r"""
- name: A 4096-bit RSA key for the 2026 certificate
  bomgar.pki.appliance_key:
    appliance_url: https://appliance.example.com
    api_token: "{{ vault_appliance_token }}"
    ca_path: /etc/pki/appliance-api-ca.pem
    name: support-2026
    size: 4096

- name: Connection options once for the whole play
  module_defaults:
    group/bomgar.pki.appliance:
      appliance_url: "{{ bomgar_appliance_url }}"
      api_token: "{{ bomgar_api_token }}"
      ca_path: "{{ bomgar_ca_path }}"
  block:
    - name: An EC P-384 key
      bomgar.pki.appliance_key:
        name: support-ec
        type: ec
        curve: P-384

    - name: Remove a key nothing uses any more
      bomgar.pki.appliance_key:
        name: support-2024
        state: absent
"""

RETURN = r"""
key:
  description: The key after the task (empty when absent). No key material.
  returned: always
  type: dict
  sample:
    id: key-3b1f0c9e7a21
    name: support-2026
    type: rsa
    size: 4096
    public_key_fingerprint: "3b:1f:0c:9e:7a:21:..."
id:
  description: Identifier of the key on the appliance.
  returned: when the key exists
  type: str
  sample: key-3b1f0c9e7a21
name:
  description: Name of the key.
  returned: when the key exists
  type: str
  sample: support-2026
type:
  description: Key algorithm.
  returned: when the key exists
  type: str
  sample: rsa
size:
  description: Key size in bits (RSA keys).
  returned: when the key exists and is an RSA key
  type: int
  sample: 4096
curve:
  description: Curve (EC keys).
  returned: when the key exists and is an EC key
  type: str
  sample: P-384
public_key_fingerprint:
  description:
    - SHA-256 fingerprint of the public key (SubjectPublicKeyInfo), lowercase hex pairs joined by colons.
    - In check mode, for a key that would be generated, a placeholder.
  returned: when the key exists
  type: str
  sample: "3b:1f:0c:9e:7a:21:..."
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.key import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()
