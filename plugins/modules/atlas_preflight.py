#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: atlas_preflight
short_description: Check a whole Bomgar Atlas site before its certificate is rolled out
version_added: 0.1.0
description:
  - The pre-flight of the C(bomgar.pki.atlas_rollout) role, for every appliance of a site (the primary and its
    Atlas traffic nodes) in one task, meant to run once, before anything is changed. Read-only.
  - The appliances are read side by side on a pool of O(workers) threads, each with its own connection and
    O(timeout) (or O(appliances[].timeout)); each one's Status > Basics, and on the primary, when O(certificate) is
    given, the certificate to roll out.
  - "It fails, listing every problem at once after the sentence C(Pre-flight of the Atlas rollout failed; nothing
    was changed on any appliance.), when: a name the certificate must cover (the hostname of every appliance and
    O(site_hostname)) is not covered by its subject alternative names, saying which hosts, or the site hostname,
    own it (by the rules TLS clients follow, RFC 6125; a wildcard covers exactly one label); an appliance does not
    answer (with its URL and the reason); an appliance does not have an address of O(appliances[].ip_addresses);
    an appliance has no O(appliances[].hostname); not exactly one appliance is the primary; the certificate to roll
    out cannot be read on the primary, or there are no subject alternative names to check."
  - The names checked are O(subject_alt_name) when the rollout issues the certificate, else those of the newest
    server certificate that O(certificate) names on the primary, returned as RV(source). When the primary does not
    answer, the names are not checked; the primary is reported as not reachable.
author:
  - bomgar.pki maintainers (@bomgar-pki)
attributes:
  check_mode:
    description: Reads only, in check mode as outside it.
    support: full
  diff_mode:
    description: Reads only; there is nothing to show as a difference.
    support: N/A
  action:
    description: Runs on the controller as an action plugin.
    support: full
options:
  appliances:
    description:
      - One entry per appliance of the site, each with its own connection and what the pre-flight checks.
      - The C(bomgar.pki.atlas_site_appliances) filter builds them from the inventory.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: Inventory name of the appliance; the key of its entry in RV(appliances).
        type: str
        required: true
      appliance_url:
        description:
          - Base URL of the appliance's Appliance Certificate API, for example C(https://appliance.example.com).
          - HTTPS only; C(http://), another scheme or a port outside 1 to 65535 fails this appliance's entry
            before anything is sent to it.
          - If not set, the environment variable E(BOMGAR_APPLIANCE_URL) is used.
        type: str
      api_token:
        description:
          - Bearer token of the appliance's API. Never logged or returned.
          - Visible ASCII characters only; a token with a line break (as C(echo TOKEN | ansible-vault encrypt_string)
            leaves) or another invisible character fails this appliance's entry before anything is sent to it.
          - If not set, the environment variable E(BOMGAR_API_TOKEN) is used.
        type: str
      transport:
        description:
          - V(api) (the default) speaks the Appliance Certificate API with O(appliances[].api_token); V(web) drives the
            appliance's /appliance web interface with O(appliances[].username) and O(appliances[].password), with
            the same results.
          - If not set, the environment variable E(BOMGAR_TRANSPORT) is used.
        type: str
      username:
        description:
          - Admin username of the appliance's /appliance web interface, for O(appliances[].transport=web).
          - If not set, the environment variable E(BOMGAR_USERNAME) is used.
        type: str
      password:
        description:
          - Password of O(appliances[].username). Never logged or returned.
          - If not set, the environment variable E(BOMGAR_PASSWORD) is used.
        type: str
      web_snapshot_dir:
        description:
          - Folder for the snapshot of a page that differs from what the web transport looks for (default
            C(bomgar-web-snapshots) under the directory ansible-playbook runs in).
        type: path
      ca_path:
        description:
          - PEM file of the CA that signed the appliance's API certificate.
          - If not set, the environment variable E(BOMGAR_CA_PATH) is used, then the system trust store.
        type: path
      validate_certs:
        description: Verify the TLS certificate of the appliance's API. Only set to V(false) in a lab.
        type: bool
        default: true
      timeout:
        description:
          - Seconds, more than 0, within which this appliance must have answered its whole read, every request and
            retry included (a deadline, not a limit per read); when not set, O(timeout) applies.
        type: float
      hostname:
        description:
          - The appliance's hostname (C(bomgar_appliance_hostname) in the inventory); the certificate must cover it.
          - An appliance without one is reported.
        type: str
      ip_addresses:
        description: The addresses the certificate will be served on; the appliance must have each of them.
        type: list
        elements: str
        default: []
      primary:
        description: Whether the appliance is the site's primary (exactly one must be).
        type: bool
        default: false
  site_hostname:
    description: The site hostname, which the certificate must cover besides every appliance's hostname.
    type: str
    default: ""
  subject_alt_name:
    description:
      - The subject alternative names of the certificate the rollout issues (V(DNS:...) or V(IP:...)).
      - Give this or O(certificate), not both; an empty list is reported as a problem.
    type: list
    elements: str
  certificate:
    description:
      - The certificate of the primary to roll out when the rollout issues none, by friendly name, SHA-256
        fingerprint or id; the newest server certificate it names is meant (RV(source)).
      - Give this or O(subject_alt_name), not both.
    type: str
  provider:
    description:
      - The certificate role's C(certificate_provider) for the certificate the rollout issues (with
        O(subject_alt_name)); only V(acme) changes what is checked (see O(acme_mode)).
    type: str
  acme_mode:
    description:
      - The certificate role's C(certificate_acme_mode) when O(provider=acme). V(appliance), the primary's own ACME
        client, is reported as a problem when the rollout issues the certificate, since that client renews the
        primary's certificate by itself between runs and the traffic nodes would keep the previous one.
    type: str
    choices: [controller, appliance]
  primary_group:
    description: Name of the inventory group of the primary, for the message when not exactly one is the primary.
    type: str
    default: bomgar_primary
  timeout:
    description:
      - Seconds, more than 0, within which each appliance must have answered its whole read, every request and
        retry included, unless its entry sets its own. An appliance that does not answer is reported after this
        time.
    type: float
    default: 15
  workers:
    description: How many appliances are read at the same time.
    type: int
    default: 16
notes:
  - Not part of the C(bomgar.pki.appliance) action group, because the connection differs from appliance to
    appliance.
seealso:
  - module: bomgar.pki.appliance_status_info
  - module: bomgar.pki.appliance_certificate_export
"""

EXAMPLES = r"""
- name: Pre-flight of the site, from the inventory, before the certificate is issued on the primary
  bomgar.pki.atlas_preflight:
    appliances: "{{ groups['bomgar_site'] | bomgar.pki.atlas_site_appliances(hostvars, groups['bomgar_primary']) }}"
    site_hostname: support.example.com
    subject_alt_name: [DNS:support.example.com, DNS:*.example.com]
    timeout: 15
  run_once: true
  register: preflight

- name: Pre-flight for a certificate that is already on the primary
  bomgar.pki.atlas_preflight:
    appliances:
      - host: primary.example.com
        appliance_url: https://primary.example.com
        api_token: "{{ vault_primary_token }}"
        hostname: primary.example.com
        ip_addresses: [192.0.2.10]
        primary: true
      - host: node1.example.com
        appliance_url: https://node1.example.com
        api_token: "{{ vault_node1_token }}"
        hostname: node1.example.com
        ip_addresses: [192.0.2.20]
    site_hostname: support.example.com
    certificate: support.example.com
  run_once: true
  register: preflight
"""

RETURN = r"""
problems:
  description: Every problem found; the task fails when there is one, its message listing them in this order.
  returned: always
  type: list
  elements: str
  sample: []
hostnames:
  description: The names the certificate must cover, once each; the appliances' hostnames, then the site hostname.
  returned: always
  type: list
  elements: str
  sample: [primary.example.com, node1.example.com, support.example.com]
subject_alt_name:
  description: The subject alternative names checked; empty when they could not be known.
  returned: always
  type: list
  elements: str
  sample: ["DNS:support.example.com", "DNS:*.example.com"]
uncovered:
  description: The names of RV(hostnames) that RV(subject_alt_name) does not cover.
  returned: always
  type: list
  elements: str
  sample: []
source:
  description:
    - The certificate to roll out, as the primary's API lists it (no key material), when O(certificate) is given
      and found; empty otherwise.
  returned: always
  type: dict
  sample:
    friendly_name: support.example.com
    sha256_fingerprint: "5d:0a:8f:31:..."
    subject_alt_name: ["DNS:support.example.com", "DNS:*.example.com"]
    private_key_available: true
appliances:
  description: Per appliance (by O(appliances[].host)), its Status > Basics, or why it could not be read.
  returned: always
  type: dict
  contains:
    failed:
      description: Whether the appliance could not be read; RV(appliances.msg) says why.
      returned: always
      type: bool
      sample: false
    msg:
      description: Why the appliance could not be read.
      returned: when RV(appliances.failed) is true
      type: str
      sample: "Cannot reach the appliance at https://node1.example.com/appliance/api/v1: Connection refused."
    status:
      description: Status > Basics as the appliance's API returns it.
      returned: when RV(appliances.failed) is false
      type: dict
      sample:
        hostname: node1.example.com
        ip_addresses: ["192.0.2.20"]
failed_hosts:
  description: The appliances that could not be read.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.atlas_preflight import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()
