# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The certificate role's options are declared once: meta/argument_specs.yml.

The role's defaults and the options of the certificate_plan module (which
takes the role's variables without their prefix) must say the same: the same
names, types, choices and defaults. Roles keep their internals under a leading
double underscore and define no inventory variables of their own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.fleet import ENTRY_CONNECTION_OPTIONS
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.certificate_plan import (
    APPLIANCE_OPTIONS,
    ARGUMENT_SPEC,
)

ROOT = Path(__file__).resolve().parents[3]
ROLE = ROOT / "roles" / "certificate"
PREFIX = "certificate_"
# Options of the role that the plan does not need per appliance: what the role writes after the plan, and the
# run lock, which the plan takes for the whole batch (its own top-level options lock_holder, lock_wait, lock_lease).
RUN_LOCK = {"certificate_lock_holder", "certificate_lock_wait", "certificate_lock_lease"}
ROLE_ONLY = {"certificate_incident", *RUN_LOCK}
# Defaults that are templates over an inventory variable: the spec documents them in words.
INVENTORY_DEFAULTS = {
    "certificate_ip_addresses": "bomgar_ip_addresses",
    "certificate_site_port": "bomgar_site_port",
}
COMPARED = ("type", "choices", "default", "elements", "no_log", "required")


def spec_options() -> dict:
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    return specs["argument_specs"]["main"]["options"]


def role_defaults() -> dict:
    return yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8")) or {}


def test_every_default_is_an_option_of_the_spec_with_the_same_value():
    spec = spec_options()
    for name, value in role_defaults().items():
        assert name in spec, f"defaults/main.yml sets {name}, which meta/argument_specs.yml does not declare"
        if name in INVENTORY_DEFAULTS:
            assert INVENTORY_DEFAULTS[name] in str(value), f"{name}: {value!r}"
            assert "default" not in spec[name], f"{name}: the spec gives a default the role computes"
            assert INVENTORY_DEFAULTS[name] in " ".join(spec[name]["description"]), f"{name}: say where it comes from"
        elif "default" in spec[name]:
            assert value == spec[name]["default"], (
                f"{name}: defaults/main.yml {value!r}, spec {spec[name]['default']!r}"
            )
        else:
            # No default in the spec: the role's default is "not set", or a template the spec describes.
            assert value is None or "{{" in str(value), f"{name}: defaults/main.yml {value!r} has no counterpart"


def test_every_option_of_the_spec_has_a_default_or_is_required():
    spec = spec_options()
    defaults = role_defaults()
    for name, option in spec.items():
        assert option.get("required") or name in defaults, f"{name} is neither required nor in defaults/main.yml"


def test_the_plan_module_takes_exactly_the_options_of_the_spec():
    spec = {name[len(PREFIX) :] for name in spec_options() if name not in ROLE_ONLY}
    plan = set(APPLIANCE_OPTIONS) - set(ENTRY_CONNECTION_OPTIONS)
    assert plan == spec, f"only in the plan: {sorted(plan - spec)}; only in the spec: {sorted(spec - plan)}"


@pytest.mark.parametrize("name", sorted(set(spec_options()) - ROLE_ONLY))
def test_the_plan_module_declares_each_option_as_the_spec_does(name):
    declared = spec_options()[name]
    plan = APPLIANCE_OPTIONS[name[len(PREFIX) :]]
    for key in COMPARED:
        assert plan.get(key) == declared.get(key), f"{name}: {key} is {declared.get(key)!r} in the spec, "
        f"{plan.get(key)!r} in certificate_plan"


@pytest.mark.parametrize("name", sorted(RUN_LOCK))
def test_the_run_lock_options_are_the_plan_modules_own(name):
    declared = spec_options()[name]
    plan = ARGUMENT_SPEC[name[len(PREFIX) :]]
    for key in ("type", "default"):
        assert plan.get(key) == declared.get(key), f"{name}: {key}"


@pytest.mark.parametrize("role", ["certificate", "atlas_rollout", "support_bundle"])
def test_roles_define_no_inventory_variables(role):
    defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text(encoding="utf-8")) or {}
    assert not [name for name in defaults if name.startswith("bomgar_")]
    assert all(name.startswith(f"{role}_") for name in defaults), sorted(defaults)


@pytest.mark.parametrize("role", ["certificate", "atlas_rollout", "support_bundle"])
def test_role_internals_carry_a_double_underscore(role):
    """Every variable a role's tasks register or set is an output documented in the spec, or ``__<role>_...``."""
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    documented = " ".join(yaml.safe_dump(entry.get("description", "")) for entry in specs["argument_specs"].values())
    set_names = set()
    for path in (ROOT / "roles" / role / "tasks").glob("*.yml"):
        for task in _tasks(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
            if "register" in task:
                set_names.add(task["register"])
            for module in ("ansible.builtin.set_fact", "set_fact"):
                set_names.update(name for name in (task.get(module) or {}) if name != "cacheable")
            set_names.update(name for name in (task.get("vars") or {}))
    # A role may hand another role of the collection one of that role's documented inputs (task vars).
    inputs_of_others = set()
    for other in (ROOT / "roles").iterdir():
        if other.name != role:
            specs_of_other = yaml.safe_load((other / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
            for entry in specs_of_other["argument_specs"].values():
                inputs_of_others.update(entry.get("options") or {})
    public = {name for name in set_names if not name.startswith(f"__{role}_") and name not in inputs_of_others}
    for name in sorted(public):
        assert name.startswith(f"{role}_"), f"{role} sets {name}"
        assert re.search(rf"\b{name}\b", documented), f"{role} sets {name}, which its spec does not document"


def _tasks(items):
    for item in items:
        yield item
        for key in ("block", "rescue", "always"):
            yield from _tasks(item.get(key) or [])
