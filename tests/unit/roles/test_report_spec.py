# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report role's options are declared once (meta/argument_specs.yml) and agree with what its tasks call.

Its defaults say the same as the spec; each option that reaches a module has that module's type and choices; the
role defines no inventory variable, and its tasks build no lists in Jinja and fetch nothing with the uri module.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic import (
    certificate_report,
    served_certificate_info,
)
from ansible_collections.bomgar.pki.plugins.module_utils.report.status import STATUSES

ROLE = Path(__file__).resolve().parents[3] / "roles" / "report"
# Role option -> (module argument spec, option there).
PASSED = {
    "report_ca_bundle": (served_certificate_info.ARGUMENT_SPEC, "ca_bundle"),
    "report_as_of": (served_certificate_info.ARGUMENT_SPEC, "now"),
    "report_renew_before_days": (served_certificate_info.ARGUMENT_SPEC, "renew_before_days"),
    "report_renew_before_percent": (served_certificate_info.ARGUMENT_SPEC, "renew_before_percent"),
    "report_probe_timeout": (served_certificate_info.ARGUMENT_SPEC, "probe_timeout"),
    "report_workers": (served_certificate_info.ARGUMENT_SPEC, "workers"),
    "report_dir": (certificate_report.ARGUMENT_SPEC, "dest"),
    "report_title": (certificate_report.ARGUMENT_SPEC, "title"),
    "report_formats": (certificate_report.ARGUMENT_SPEC, "formats"),
}


def spec() -> dict:
    text = (ROLE / "meta" / "argument_specs.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["argument_specs"]["main"]["options"]


def test_defaults_and_spec_agree():
    options = spec()
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8"))
    assert set(defaults) == set(options)
    for name, value in defaults.items():
        assert name.startswith("report_"), name
        assert value == options[name].get("default"), name


def test_options_passed_to_a_module_have_its_type_and_choices():
    options = spec()
    for name, (module_spec, option) in PASSED.items():
        assert options[name]["type"] == module_spec[option]["type"], name
        assert options[name].get("choices") == module_spec[option].get("choices"), name
        if "default" in options[name] and name != "report_dir":
            assert options[name]["default"] == module_spec[option]["default"], name
    assert options["report_fail_on"]["choices"] == [status for status in STATUSES if status != "ok"]


def test_the_tasks_build_no_lists_in_jinja_and_use_no_uri():
    for path in (ROLE / "tasks").glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        for forbidden in ("{% for", ".append(", "ansible.builtin.uri", "bomgar_"):
            assert forbidden not in text, f"{path.name}: {forbidden}"
