#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: appliance_certificate_info
short_description: Report the certificates, requests, keys and IP bindings of a Bomgar appliance
version_added: 0.1.0
description:
  - Reads what /appliance > Security > Certificates shows, and Status > Basics, without changing anything.
  - Each certificate comes with its renewal decision (days left, whether renewal is due, since when and why), by
    O(renew_before_days), O(renew_before_percent), or by default once two thirds of its lifetime have passed.
  - With O(served=true), also connects to each of the appliance's IP addresses on the site port and reports the
    certificate chain each one serves right now, and whether its leaf is the certificate bound there.
author:
  - bomgar.pki maintainers (@bomgar-pki)
extends_documentation_fragment:
  - bomgar.pki.connection
  - bomgar.pki.connection.ATTRIBUTES
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
options:
  certificates:
    description:
      - Report only these certificates and requests, each named by friendly name (every certificate and request
        of that name), SHA-256 fingerprint of a certificate (with or without colons, any case), or id.
      - An entry that matches nothing fails, with a list of what the appliance has.
      - Keys, bindings, the served chains and the status are always reported for the whole appliance.
      - When omitted, every certificate and request is reported.
    type: list
    elements: str
  gather:
    description:
      - Which parts to report. RV(status) is always reported.
      - V(acme) reports the appliance's own ACME client in RV(acme) (see M(bomgar.pki.appliance_acme)).
    type: list
    elements: str
    choices: [certificates, requests, keys, bindings, acme]
    default: [certificates, requests, keys, bindings, acme]
  renew_before_days:
    description:
      - Renewal is due this many days before a certificate expires.
      - A value not shorter than the certificate's lifetime falls back to two thirds of the lifetime, and
        RV(certificates[].renewal_reason) says so.
      - Mutually exclusive with O(renew_before_percent). When neither is given, renewal is due once two thirds of
        the lifetime have passed.
    type: int
  renew_before_percent:
    description:
      - Renewal is due when this percentage of a certificate's lifetime is left (more than 0, less than 100).
      - Mutually exclusive with O(renew_before_days).
    type: float
  served:
    description:
      - Also open a TLS connection to each of the appliance's IP addresses on O(site_port) and report the chain
        served there (RV(served)). The handshake does not verify the chain; the chain is compared with the binding
        by fingerprint.
      - An address that cannot be reached gives a warning and an C(error) in its entry; the task does not fail.
    type: bool
    default: false
  site_port:
    description:
      - The TLS port of the site on the appliance's IP addresses, used with O(served=true).
      - Defaults to the C(site_port) the appliance reports in Status > Basics, else V(443).
    type: int
notes:
  - "Over O(transport=web) the certificates list shows no fingerprints or chains: each certificate is read from an
    export of it with its chain and without its key (one per certificate, kept for the rest of the task), its key
    from its Edit Certificate Configuration page, the requests from their View Request pages. The results are
    the same as over the API, except C(created_at) of certificates and keys, which no page shows (null)."
  - The certificates, requests and keys are returned as the appliance's API returns them; none carries key
    material.
seealso:
  - module: bomgar.pki.appliance_csr
  - module: bomgar.pki.appliance_ip_binding
  - module: community.crypto.x509_certificate_info
"""

EXAMPLES = r"""
- name: Everything the appliance holds
  bomgar.pki.appliance_certificate_info:
    appliance_url: https://appliance.example.com
    api_token: "{{ vault_appliance_token }}"
    ca_path: /etc/pki/appliance-api-ca.pem
  register: appliance_pki

- name: Certificates due for renewal (after two thirds of their lifetime)
  ansible.builtin.debug:
    msg: "{{ item.friendly_name }}: {{ item.renewal_reason }}"
  loop: "{{ appliance_pki.certificates | selectattr('renewal_due') | list }}"
  loop_control:
    label: "{{ item.friendly_name }}"

- name: Connection options once for the whole play
  module_defaults:
    group/bomgar.pki.appliance:
      appliance_url: "{{ bomgar_appliance_url }}"
      api_token: "{{ bomgar_api_token }}"
      ca_path: "{{ bomgar_ca_path }}"
  block:
    - name: One certificate, renewal 30 days before expiry, and what each IP address serves now
      bomgar.pki.appliance_certificate_info:
        certificates:
          - support.example.com 2026-11
        gather: [certificates, bindings]
        renew_before_days: 30
        served: true
        site_port: 443
      register: support_cert

    - name: Every IP address serves the certificate bound to it
      ansible.builtin.assert:
        that: support_cert.served | rejectattr('matches_binding') | list | length == 0
"""

RETURN = r"""
status:
  description: Status > Basics of the appliance as its API returns it.
  returned: always
  type: dict
  sample:
    hostname: appliance1.example.com
    site_hostname: support.example.com
    role: primary
    software_version: 23.1.2
    trusted_root_fingerprints: ["5d:0a:..."]
    ip_addresses: ["192.0.2.10"]
    traffic_nodes: []
    appliance_id: 0b7e3c1e-2f9a-4d8e-9c1b-7a6f5e4d3c2b
    api_version: "1.0.0"
certificates:
  description:
    - The certificates as the appliance's API returns them (fingerprint, subject, issuer, alternative names,
      validity, key, role, chain and chain status, bound IP addresses, and more), each with its renewal decision.
  returned: when O(gather) contains V(certificates)
  type: list
  elements: dict
  contains:
    id:
      description: Identifier of the certificate on the appliance.
      returned: always
      type: str
      sample: 9f2c4e1a7b3d5c60
    friendly_name:
      description: Friendly name of the certificate.
      returned: always
      type: str
      sample: support.example.com 2026-11
    sha256_fingerprint:
      description: SHA-256 fingerprint of the certificate.
      returned: always
      type: str
      sample: "9f:2c:4e:1a:7b:3d:5c:60:..."
    not_before:
      description: Start of validity (ISO 8601 UTC).
      returned: always
      type: str
      sample: "2026-11-29T09:45:13Z"
    not_after:
      description: End of validity (ISO 8601 UTC).
      returned: always
      type: str
      sample: "2027-11-29T09:50:13Z"
    days_left:
      description: Days until the certificate expires (negative once expired), to two decimals.
      returned: always
      type: float
      sample: 301.25
    renewal_due:
      description: Whether renewal is due now (always true for an expired certificate).
      returned: always
      type: bool
      sample: false
    renewal_reason:
      description: Why renewal is or is not due, in words.
      returned: always
      type: str
      sample: "not due until 2027-07-30T06:31:49Z (after two thirds of the lifetime); 301.3 days left"
    renew_at:
      description: When renewal becomes due (ISO 8601 UTC).
      returned: always
      type: str
      sample: "2027-07-30T06:31:49Z"
    root_fingerprint:
      description:
        - SHA-256 fingerprint of the root the certificate chains to (itself, when self-signed); V(null) when its
          chain is incomplete.
      returned: always
      type: str
      sample: "c4:77:..."
    software_update_required:
      description:
        - V(true) when the appliance software does not trust that root (or it is not known), so that the vendor
          must build new software before clients trust the certificate.
      returned: always
      type: bool
      sample: false
requests:
  description: The certificate requests as the appliance's API returns them, with their PEM and status.
  returned: when O(gather) contains V(requests)
  type: list
  elements: dict
  sample:
    - id: req-4c2a9e01b7d3
      friendly_name: support.example.com 2026-11
      key_id: key-3b1f0c9e7a21
      subject:
        common_name: Example Support
      subject_alt_name: ["DNS:support.example.com"]
      public_key_fingerprint: "3b:1f:0c:9e:7a:21:..."
      status: pending
      certificate_id: null
keys:
  description: The appliance's keys (type, size or curve, public key fingerprint, what uses them). No key material.
  returned: when O(gather) contains V(keys)
  type: list
  elements: dict
  sample:
    - id: key-3b1f0c9e7a21
      name: support.example.com 2026-11
      type: rsa
      size: 4096
      curve: null
      public_key_fingerprint: "3b:1f:0c:9e:7a:21:..."
      used_by:
        requests: [req-4c2a9e01b7d3]
        certificates: []
bindings:
  description: Per IP address of the appliance, the certificate it serves.
  returned: when O(gather) contains V(bindings)
  type: list
  elements: dict
  contains:
    address:
      description: The IP address.
      returned: always
      type: str
      sample: 192.0.2.10
    certificate_id:
      description: Identifier of the certificate served there.
      returned: always
      type: str
      sample: 9f2c4e1a7b3d5c60
    friendly_name:
      description: Friendly name of that certificate.
      returned: always
      type: str
      sample: support.example.com 2026-11
    sha256_fingerprint:
      description: SHA-256 fingerprint of that certificate.
      returned: always
      type: str
      sample: "9f:2c:4e:1a:7b:3d:5c:60:..."
    serving:
      description: V(certificate) when a certificate is assigned, V(factory_default) when the address serves the
        factory default certificate.
      returned: always
      type: str
      sample: certificate
acme:
  description:
    - The appliance's own ACME client, as M(bomgar.pki.appliance_acme) returns it in its RV(acme) result
      (C(enabled) V(false) when it is off), with its status (C(status.state), C(status.last_error),
      C(status.next_renewal_at), C(status.renewal_basis), C(status.ari_window)). Never the EAB HMAC.
  returned: when O(gather) contains V(acme)
  type: dict
  sample:
    enabled: true
    directory_url: https://acme-v02.api.letsencrypt.org/directory
    hostnames: [support.example.com]
    eab_hmac_configured: false
    status:
      state: valid
      next_renewal_at: "2027-02-04T09:00:04Z"
      renewal_basis: lifetime
served:
  description: Per IP address of the appliance, the chain it serves right now on the site port.
  returned: when O(served=true)
  type: list
  elements: dict
  contains:
    address:
      description: The IP address.
      returned: always
      type: str
      sample: 192.0.2.10
    port:
      description: The port probed.
      returned: always
      type: int
      sample: 443
    fingerprints:
      description: SHA-256 fingerprints of the served certificates, leaf first (empty when the probe failed).
      returned: always
      type: list
      elements: str
      sample: ["9f:2c:4e:1a:7b:3d:5c:60:...", "1a:77:..."]
    matches_binding:
      description: Whether the served leaf is the certificate the appliance reports as bound to this address.
      returned: always
      type: bool
      sample: true
    error:
      description: Why the address could not be probed.
      returned: when the probe failed
      type: str
      sample: "TLS to 192.0.2.10:443 failed: [Errno 111] Connection refused"
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.certificate_info import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()
