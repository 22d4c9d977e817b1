#!/usr/bin/python
# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: appliance_status_info
short_description: Read Status > Basics of many Bomgar appliances at once
version_added: 0.1.0
description:
  - Reads Status > Basics (hostname, site hostname, role, software version, trusted roots, IP addresses, site port)
    of every appliance given, side by side on a pool of O(workers) threads, in one task; meant to run with
    C(run_once) for a site or a fleet, for example as the pre-flight of a rollout.
  - An appliance that does not answer, refuses the token or is not trusted is reported in its own entry with the
    reason (RV(appliances.failed), RV(appliances.msg)); the task does not fail for it.
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
    description: One entry per appliance, each with its own connection.
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
          - Seconds, more than 0, within which the appliance must have answered its whole read, every request and
            retry included (a deadline, not a limit per read).
        type: float
        default: 30
  workers:
    description: How many appliances are read at the same time.
    type: int
    default: 16
notes:
  - Not part of the C(bomgar.pki.appliance) action group, because the connection differs from appliance to
    appliance.
seealso:
  - module: bomgar.pki.appliance_certificate_info
"""

EXAMPLES = r"""
- name: One entry per appliance, from the inventory
  bomgar.pki.appliance_status_info:
    appliances:
      - host: appliance1.example.com
        appliance_url: https://appliance1.example.com
        api_token: "{{ vault_appliance1_token }}"
      - host: node1.example.com
        appliance_url: https://node1.example.com
        api_token: "{{ vault_node1_token }}"
  run_once: true
  register: site_status

- name: Stop when an appliance does not answer
  ansible.builtin.assert:
    that: site_status.failed_hosts | length == 0
    fail_msg: "Not answering: {{ site_status.failed_hosts | join(', ') }}"
  run_once: true
"""

RETURN = r"""
appliances:
  description: Per appliance (by O(appliances[].host)), its Status > Basics, or why it could not be read.
  returned: always
  type: dict
  contains:
    failed:
      description: Whether the appliance could not be read; RV(appliances.msg) says why and what to do.
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
        hostname: appliance1.example.com
        site_hostname: support.example.com
        role: primary
        ip_addresses: ["192.0.2.10"]
        site_port: 443
failed_hosts:
  description: The appliances that could not be read.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.status_info import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import run_as_module


def main():
    """Run the module's logic under AnsibleModule."""
    run_as_module(MODULE_SPEC)


if __name__ == "__main__":
    main()
