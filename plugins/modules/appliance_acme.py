#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: appliance_acme
short_description: Configure, check and wait for the ACME client built into a Bomgar appliance
version_added: 0.2.0
description:
  - The appliance has an ACME client of its own (Let's Encrypt, or any RFC 8555 CA). It orders a certificate for
    O(hostnames), proves each name over HTTP-01 (the CA fetches C(/.well-known/acme-challenge/) from the appliance
    over plain HTTP, on TCP 80 of a real appliance), finalizes with a request from a key it makes and keeps,
    installs the certificate with the chain the CA sends, binds it to O(ip_addresses), and renews it by itself
    (inside the renewal window the CA suggests (ARI, RFC 9773) when it offers one, otherwise once a third of the
    lifetime is left).
  - This module sets what that client orders. A change of the directory, the names, the key type, the friendly
    name or the addresses makes the appliance order again at once; the task returns without waiting unless
    O(wait=true).
  - With O(wait=true) it waits, at most O(wait_timeout) seconds, until the appliance's order has finished, and
    fails with the CA's reason when it failed. A failed order binds nothing, and the certificate served before
    stays served.
  - O(state=absent) turns the client off. The certificate it installed and its bindings stay.
  - Settings the task does not change are left alone; a second run with the same options reports no change and
    orders nothing.
  - Names the appliance cannot prove are refused before anything is sent, such as a wildcard (HTTP-01 cannot prove
    one; order it from the controller over DNS-01 with the C(bomgar.pki.certificate) role's provider C(acme) in
    mode C(controller)).
author:
  - bomgar.pki maintainers (@bomgar-pki)
extends_documentation_fragment:
  - bomgar.pki.connection
attributes:
  check_mode:
    description: Predicts the change and the settings after it; sends nothing, orders nothing, waits for nothing.
    support: full
  diff_mode:
    description: Shows the settings before and after (whether an EAB HMAC is configured, never the HMAC).
    support: full
  action:
    description: Runs on the controller as an action plugin.
    support: full
  action_group:
    description: Use C(group/bomgar.pki.appliance) in C(module_defaults) to set the connection options.
    support: full
    membership:
      - bomgar.pki.appliance
options:
  state:
    description: V(present) sets the client as given and turns it on; V(absent) turns it off.
    type: str
    choices: [present, absent]
    default: present
  directory_url:
    description:
      - The CA's ACME directory, for example C(https://acme-v02.api.letsencrypt.org/directory). HTTPS only.
      - Required with O(state=present).
    type: str
  contact:
    description:
      - Contact addresses of the ACME account. A plain e-mail address is sent as a C(mailto:) URI.
    type: list
    elements: str
    default: []
  eab_key_id:
    description: Key id of the external account binding, for CAs that require one; give O(eab_hmac) with it.
    type: str
  eab_hmac:
    description:
      - HMAC key of the external account binding, base64url-encoded, as the CA gave it.
      - The appliance never returns it, so the task can only see whether one is configured. It is sent when none is
        configured yet, and again on every run with O(eab_hmac_update=always).
      - Never logged or returned.
    type: str
  eab_hmac_update:
    description:
      - V(on_create) sends O(eab_hmac) only when the appliance has none configured; V(always) sends it on every
        run, which then always reports a change.
    type: str
    choices: [always, on_create]
    default: on_create
  hostnames:
    description:
      - The DNS names to order the certificate for; the first becomes the subject's common name.
      - Each must resolve to an address of the appliance that the CA can reach over plain HTTP.
      - Compared in lower case without a final dot. Wildcards are refused.
      - Required with O(state=present).
    type: list
    elements: str
  key_type:
    description:
      - The key the appliance makes for the certificate. A renewal keeps the key; a change of type makes a new one.
    type: str
    choices: [ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096]
    default: ec-p256
  ca_bundle_path:
    description:
      - PEM file on the controller with the CA certificates the appliance trusts for the directory's HTTPS, for a
        private ACME CA. Without it, the appliance trusts its system roots.
      - Mutually exclusive with O(ca_bundle_content).
    type: path
  ca_bundle_content:
    description: The same as O(ca_bundle_path), given as PEM text.
    type: str
  friendly_name:
    description: Friendly name of the certificate the client installs, as the certificates list shows it.
    type: str
    default: ACME
  ip_addresses:
    description:
      - The appliance's addresses the certificate is bound to once issued; each must be an address of the
        appliance. Empty leaves the certificate unbound.
    type: list
    elements: str
    default: []
  renew_now:
    description:
      - Ask the appliance to order now, even when its certificate is not due (the Renew Now button). Always a
        change. When the settings changed, the order they started is the one meant.
    type: bool
    default: false
  wait:
    description:
      - Wait until the appliance's order has finished, then return the certificate it installed in
        RV(certificate), or fail with the CA's reason.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true). On a timeout the task fails with the client's state and last error; the
        appliance goes on ordering by itself.
    type: int
    default: 300
notes:
  - The appliance answers the HTTP-01 challenges itself; the names must resolve, for the CA, to the appliance's
    addresses, and the CA must reach them on TCP 80. For internal names that no CA can reach, order from the
    controller over DNS-01 instead (the C(bomgar.pki.certificate) role's provider C(acme), mode C(controller)).
  - "Over O(transport=web) the module drives the page Security :: Certificates :: ACME; results are the same."
  - Tested against the collection's reference appliance and Pebble, an RFC 8555 test CA; not against a real
    appliance.
seealso:
  - module: bomgar.pki.appliance_certificate_info
  - module: bomgar.pki.certificate_plan
"""

EXAMPLES = r"""
- name: The appliance orders its certificate from Let's Encrypt and serves it on both addresses
  bomgar.pki.appliance_acme:
    directory_url: https://acme-v02.api.letsencrypt.org/directory
    contact: [pki-team@example.com]
    hostnames: [support.example.com]
    ip_addresses: [192.0.2.10, 192.0.2.11]
    wait: true

- name: A CA that requires external account binding
  bomgar.pki.appliance_acme:
    directory_url: https://acme.ca.example.net/directory
    eab_key_id: "{{ acme_eab_key_id }}"
    eab_hmac: "{{ acme_eab_hmac }}"
    hostnames: [support.example.com]

- name: Renew now and wait for the new certificate
  bomgar.pki.appliance_acme:
    directory_url: https://acme-v02.api.letsencrypt.org/directory
    hostnames: [support.example.com]
    renew_now: true
    wait: true

- name: Turn the appliance's ACME client off (its certificate stays)
  bomgar.pki.appliance_acme:
    state: absent
"""

RETURN = r"""
acme:
  description:
    - The appliance's ACME client after the task, and its status. Never the EAB HMAC, only RV(acme.eab_hmac_configured).
    - C(status.state) is V(disabled), V(pending) (an order is running), V(valid) or V(failed); C(status.last_error)
      says why the last order failed; C(status.renewal_basis) is V(ari) when the CA's renewal window decides the
      next renewal, V(lifetime) otherwise, with C(status.ari_window) the window.
  returned: always
  type: dict
  sample:
    enabled: true
    directory_url: https://acme-v02.api.letsencrypt.org/directory
    contact: ["mailto:pki-team@example.com"]
    eab_key_id: null
    eab_hmac_configured: false
    hostnames: [support.example.com]
    key_type: ec-p256
    ca_bundle: null
    friendly_name: ACME
    ip_addresses: [192.0.2.10]
    http_port: 80
    status:
      state: valid
      last_attempt_at: "2026-12-06T10:00:00Z"
      last_success_at: "2026-12-06T10:00:04Z"
      last_error: null
      certificate_id: "c3"
      certificate_sha256: "5f:2a:..."
      not_after: "2027-03-06T09:00:04Z"
      next_renewal_at: "2027-02-04T09:00:04Z"
      renewal_basis: lifetime
      ari_window: null
      account_url: https://acme-v02.api.letsencrypt.org/acme/acct/123
  contains:
    eab_hmac_configured:
      description: Whether the appliance holds an EAB HMAC.
      type: bool
changed_settings:
  description: The names of the settings the task changed (or would change, in check mode).
  returned: with O(state=present)
  type: list
  elements: str
  sample: [hostnames, ip_addresses]
certificate:
  description: The certificate the appliance's ACME client installed, as M(bomgar.pki.appliance_certificate_info)
    describes certificates.
  returned: with O(wait=true), when the order succeeded
  type: dict
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.acme import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()
