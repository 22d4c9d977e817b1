#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: appliance_support_bundle
short_description: Write the zip the vendor needs after a CA change of a Bomgar appliance
version_added: 0.1.0
description:
  - The appliance software embeds the root certificate of the CA that secures the site hostname. When that CA
    changes, the vendor must build new software, and needs a zip archive with the new certificate and its complete
    chain (never the private key), a capture of /appliance > Status > Basics identifying the appliance, and the
    incident number if one is open. This module writes that archive on the controller.
  - "The archive holds these members: C(certificate.pem) (the certificate and its chain, leaf first, root last,
    exported from the appliance with B(Include Certificate Chain) and without the private key),
    C(status-basics.json) and C(status-basics.txt) (Status > Basics as JSON and as text), and C(manifest.json)
    (what the vendor is asked to do and why, the appliance's hostname and id, the certificate's fingerprint and
    chain, the incident number, and the SHA-256 of every other member); and C(status-basics.png), a screenshot of
    the Status > Basics page, when O(screenshot) can take one."
  - Every member is checked for private keys before anything is written; a member that holds one, or something
    that may hold one, is refused.
  - The archive is deterministic (sorted members, fixed timestamps and permissions, stored uncompressed), so the
    same certificate and appliance state give the same bytes, and the task reports a change only when the file
    at O(dest) would differ. It is written atomically with mode C(0644).
  - A CA-signed certificate whose chain on the appliance is incomplete is refused unless
    O(allow_incomplete_chain=true). A self-signed certificate has no chain beyond itself and is accepted.
author:
  - bomgar.pki maintainers (@bomgar-pki)
extends_documentation_fragment:
  - bomgar.pki.connection
  - bomgar.pki.connection.ATTRIBUTES
options:
  certificate:
    description:
      - The certificate to send, by friendly name or SHA-256 fingerprint (an appliance certificate id works too).
      - When several certificates share a friendly name, the newest server certificate among them is meant.
    type: str
    required: true
  dest:
    description:
      - Path of the zip file to write on the controller. Its directory must exist.
      - A directory, a named pipe, a device or a socket at this path is refused; a file that cannot be written there
        fails the task with the reason.
      - A relative path is relative to the current directory of C(ansible-playbook); prefer an absolute path.
    type: path
    required: true
  incident:
    description:
      - Number of the open incident with the vendor, recorded in the manifest. Leave out when none is open.
    type: str
  include_chain:
    description:
      - Include the certificate's chain (intermediates and root) in C(certificate.pem), as the vendor needs.
      - With V(false) only the certificate itself is included, and a warning says the vendor needs the chain.
    type: bool
    default: true
  allow_incomplete_chain:
    description:
      - Write the bundle even when the chain of a CA-signed certificate is incomplete on the appliance (a warning
        is given). By default such a certificate is refused, with the missing issuer and the fix in the message.
    type: bool
    default: false
  screenshot:
    description:
      - Add C(status-basics.png), a screenshot of the appliance's Status > Basics page as its /appliance web
        interface shows it, which the vendor asks for with a software update request.
      - The page is read over the web interface, with the task's connection when O(transport=web), else with
        O(username) and O(password). It is made safe (no scripts, hidden fields or values) and rendered by headless
        Chromium on the controller from a private temporary folder, with network lookups refused, so no password,
        cookie or token reaches the browser.
      - Without Chromium, or without web credentials over O(transport=api), a warning says why and the bundle is
        written without the screenshot.
      - The screenshot of a page that has not changed is kept from the bundle already at O(dest), so a second run
        reports no change.
    type: bool
    default: true
  chromium_path:
    description:
      - Path of the Chromium (or Chrome) binary for O(screenshot).
      - When not given, C(chromium), C(chromium-browser), C(google-chrome) and C(google-chrome-stable) are looked
        up on PATH.
    type: path
notes:
  - Nothing is written to the appliance; in check mode nothing is written to the controller either, and the
    result says whether the file would change.
  - Neither the API token nor any private key or passphrase appears in the archive or in the result.
seealso:
  - module: bomgar.pki.appliance_cert_import
  - module: bomgar.pki.appliance_certificate_info
"""

EXAMPLES = r"""
- name: Bundle for the vendor after moving the site to a new CA
  bomgar.pki.appliance_support_bundle:
    appliance_url: https://appliance.example.com
    api_token: "{{ vault_appliance_token }}"
    ca_path: /etc/pki/appliance-api-ca.pem
    certificate: support-2026
    incident: "01234567"
    dest: /srv/vendor/support-2026-bundle.zip
  register: bundle

- name: Tell the operator whether the vendor must build new software
  ansible.builtin.debug:
    msg: >-
      {{ 'Send ' ~ bundle.dest ~ ' to the vendor: the software must be rebuilt.'
         if bundle.software_update_required else 'The current software already trusts this CA.' }}

- name: Connection options once for the whole play; the certificate by fingerprint
  module_defaults:
    group/bomgar.pki.appliance:
      appliance_url: "{{ bomgar_appliance_url }}"
      api_token: "{{ bomgar_api_token }}"
      ca_path: "{{ bomgar_ca_path }}"
  block:
    - name: Bundle a certificate whose intermediate has not arrived yet
      bomgar.pki.appliance_support_bundle:
        certificate: "5f:1c:...:9a"
        dest: "{{ playbook_dir }}/bundles/{{ inventory_hostname }}.zip"
        allow_incomplete_chain: true
"""

RETURN = r"""
dest:
  description: Absolute path of the zip file.
  returned: success
  type: str
  sample: /srv/vendor/support-2026-bundle.zip
sha256:
  description: SHA-256 of the zip file (hex), as written, or as it would be written in check mode.
  returned: success
  type: str
  sample: 0f343b0931126a20f133d67c2b018a3b1e0f1e1e5b6a6b5c9d1d5b7c0a3e2f1d
size:
  description: Size in bytes of the file at O(dest) after the task (in check mode, of the file as it is).
  returned: when O(dest) exists
  type: int
  sample: 4743
mode:
  description: Permissions of the file at O(dest), in octal.
  returned: when O(dest) exists
  type: str
  sample: "0644"
owner:
  description: Owner of the file at O(dest).
  returned: when O(dest) exists
  type: str
  sample: ansible
group:
  description: Group of the file at O(dest).
  returned: when O(dest) exists
  type: str
  sample: ansible
uid:
  description: Numeric owner of the file at O(dest).
  returned: when O(dest) exists
  type: int
  sample: 1000
gid:
  description: Numeric group of the file at O(dest).
  returned: when O(dest) exists
  type: int
  sample: 1000
state:
  description: What O(dest) is, V(file) once the bundle is written.
  returned: when O(dest) exists
  type: str
  sample: file
members:
  description: The members of the zip, sorted by name.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Member name.
      type: str
      sample: certificate.pem
    sha256:
      description: SHA-256 of the member (hex).
      type: str
      sample: 9c1185a5c5e9fc54612808977ee8f548b2258d31b0e1a1e4b4b2d1f4a9c0d0e1
    size:
      description: Size of the member in bytes.
      type: int
      sample: 1988
  sample:
    - name: certificate.pem
      sha256: 9c1185a5c5e9fc54612808977ee8f548b2258d31b0e1a1e4b4b2d1f4a9c0d0e1
      size: 1988
    - name: manifest.json
      sha256: 2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881
      size: 3120
    - name: status-basics.json
      sha256: 18ac3e7343f016890c510e93f935261169d9e3f565436429830faf0934f4f8e4
      size: 512
    - name: status-basics.txt
      sha256: 3f79bb7b435b05321651daefd374cdc681dc06faa65e374e38337b88ca046dea
      size: 590
certificate:
  description: The certificate in the bundle, as the appliance describes it. No key material.
  returned: success
  type: dict
  sample:
    id: 98a138d915ee3ae4
    friendly_name: support-2026
    sha256_fingerprint: "98:a1:38:d9:15:ee:3a:e4:..."
    subject: {common_name: Support}
    issuer: {common_name: Example Issuing CA}
    subject_alt_name: ["DNS:support.example.com"]
    not_before: "2026-11-29T10:27:56Z"
    not_after: "2027-11-29T10:27:56Z"
    chain_status: complete
    chain: ["98:a1:38:...", "5e:02:...", "c0:7d:..."]
    ip_addresses: ["127.0.0.2"]
    role: server
    self_signed: false
chain_status:
  description:
    - Chain status of the certificate on the appliance.
    - V(complete) (up to a root), V(self_signed) (no chain beyond itself), or V(incomplete) (only with
      O(allow_incomplete_chain=true)).
  returned: success
  type: str
  sample: complete
root_fingerprint:
  description:
    - SHA-256 fingerprint of the root of the certificate's chain (the certificate itself when self-signed).
    - V(null) when the chain is incomplete and the root is not known.
  returned: success
  type: str
  sample: "c0:7d:4e:..."
software_update_required:
  description:
    - V(true) when the root of the certificate's chain is not among the roots the appliance's current software
      trusts (C(trusted_root_fingerprints) of Status > Basics), so the vendor must build new software; also V(true)
      when the root is not known.
  returned: success
  type: bool
  sample: true
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.support_bundle import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()
