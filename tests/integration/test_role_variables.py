# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles leave the inventory's variables to the inventory.

A role imported statically puts its defaults into the whole play. Were a role to define ``bomgar_site_port``
there, a play's own ``bomgar_site_port | default(...)`` would never see its default again; the roles read the
inventory's variables with defaults of their own instead, and their internals are ``__<role>_...``.
"""

from __future__ import annotations

import pytest
import yaml
from harness import run_playbook

INVENTORY_VARIABLES = (
    "bomgar_appliance_url",
    "bomgar_api_token",
    "bomgar_ca_path",
    "bomgar_ip_addresses",
    "bomgar_site_port",
    "bomgar_appliance_hostname",
    "bomgar_site_hostname",
)


@pytest.mark.parametrize("role", ["certificate", "atlas_rollout", "support_bundle", "report"])
def test_a_play_default_for_an_inventory_variable_is_not_shadowed_by_a_role(tmp_path, role):
    inventory = {"all": {"hosts": {"lab": {"ansible_connection": "local"}}}}
    shown = {name: f"{{{{ {name} | default('the play default') }}}}" for name in INVENTORY_VARIABLES}
    play = {
        "name": "a play that imports the role and has defaults of its own",
        "hosts": "all",
        "gather_facts": False,
        "tasks": [
            {"name": "the role, imported statically", "ansible.builtin.import_role": {"name": f"bomgar.pki.{role}"}},
            {"name": "show", "ansible.builtin.set_fact": {"seen": shown}, "tags": ["show"]},
        ],
    }
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    (tmp_path / "playbook.yml").write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    # Only the last task runs (not even the role's argument check, tagged always): the role's tasks need
    # appliances, and its defaults are what is looked at.
    arguments = [
        "-i",
        str(tmp_path / "inventory.yml"),
        str(tmp_path / "playbook.yml"),
        "--tags",
        "show",
        "--skip-tags",
        "always",
    ]
    run = run_playbook(tmp_path, arguments)
    assert run.rc == 0, run.stdout[-3000:]
    seen = run.result("show")["ansible_facts"]["seen"]
    assert seen == dict.fromkeys(INVENTORY_VARIABLES, "the play default")
