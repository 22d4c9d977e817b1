# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX job templates in examples/awx: what they run, their surveys, and the plan as AWX would run it.

Each job template runs a playbook of the example project that imports one of the collection's playbooks;
the survey variables are boolean inputs of the certificate role; the plan runs in check mode with diff; the
Atlas rollout is never sliced. Then the project's renew playbook runs against reference appliances the way
the plan and renew templates run it, with the survey's answers as AWX passes them (text, in extra variables).
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from harness import ROOT, api_state, run_playbook, yamllint_problems

AWX = ROOT / "examples" / "awx"
PROJECT = AWX / "project"
PLAN_TASK = "bomgar.pki.certificate : Plan"


def _templates() -> dict:
    data = yaml.safe_load((AWX / "job-templates.yml").read_text(encoding="utf-8"))
    return {template["name"]: template for template in data["job_templates"]}


def _imported(playbook: str) -> str:
    plays = yaml.safe_load((PROJECT / playbook).read_text(encoding="utf-8"))
    (play,) = plays
    return play["ansible.builtin.import_playbook"]


def _certificate_role_options() -> dict:
    specs = yaml.safe_load((ROOT / "roles" / "certificate" / "meta" / "argument_specs.yml").read_text("utf-8"))
    return specs["argument_specs"]["main"]["options"]


def test_each_template_runs_a_playbook_of_the_collection():
    imported = {}
    for name, template in _templates().items():
        path = PROJECT / template["playbook"]
        assert path.is_file(), f"{name}: {template['playbook']} is not in the example project"
        collection_playbook = _imported(template["playbook"])
        namespace, collection, playbook = collection_playbook.split(".")
        assert (namespace, collection) == ("bomgar", "pki")
        assert (ROOT / "playbooks" / f"{playbook}.yml").is_file(), f"{name} imports {collection_playbook}"
        imported[name] = playbook
    assert set(imported.values()) == {"renew", "atlas_rollout", "report"}


@pytest.mark.parametrize("playbook", ["renew.yml", "atlas_rollout.yml", "report.yml"])
def test_project_playbooks_pass_the_syntax_check(tmp_path, playbook):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        yaml.safe_dump({"all": {"children": {"bomgar_site": {"children": {"bomgar_primary": {}}}}}}), encoding="utf-8"
    )
    run = run_playbook(tmp_path, ["--syntax-check", "-i", str(inventory), str(PROJECT / "playbooks" / playbook)])
    assert run.rc == 0, run.stdout + run.stderr


def test_the_plan_is_a_check_with_diff_and_the_rollout_is_never_sliced():
    templates = _templates()
    plan = templates["Bomgar certificates | plan"]
    assert plan["job_type"] == "check" and plan["diff_mode"] is True
    assert _imported(plan["playbook"]) == "bomgar.pki.renew"
    rollout = [t for t in templates.values() if _imported(t["playbook"]) == "bomgar.pki.atlas_rollout"]
    assert rollout
    for template in rollout:
        assert template["job_slice_count"] == 1
        assert template["ask_limit_on_launch"] is False
    for template in templates.values():
        assert template["job_type"] in ("run", "check")
        assert template.get("job_slice_count", 1) >= 1


def test_templates_use_the_credential_type_and_a_vault_credential():
    credential_type = yaml.safe_load((AWX / "credential-type.yml").read_text(encoding="utf-8"))
    for name, template in _templates().items():
        assert credential_type["name"] in template["credentials"], name
        assert any("vault" in credential.lower() for credential in template["credentials"]), name


def test_survey_variables_are_boolean_inputs_of_the_certificate_role():
    options = _certificate_role_options()
    asked = set()
    for name, template in _templates().items():
        if not template.get("survey_enabled"):
            continue
        for question in template["survey_spec"]["spec"]:
            variable = question["variable"]
            assert variable in options, f"{name}: {variable} is not an input of the certificate role"
            assert options[variable]["type"] == "bool"
            assert question["type"] == "multiplechoice"
            assert question["choices"].split("\n") == ["false", "true"]
            assert question["default"] == str(options[variable]["default"]).lower()
            asked.add(variable)
    assert asked == {"certificate_force", "certificate_rekey"}


def test_the_inventory_source_is_the_project_holding_the_inventory():
    data = yaml.safe_load((AWX / "job-templates.yml").read_text(encoding="utf-8"))
    (source,) = data["inventory_sources"]
    assert source["source"] == "scm"
    projects = {template["project"] for template in data["job_templates"]}
    assert projects == {source["source_project"]}
    inventories = {template["inventory"] for template in data["job_templates"]}
    assert inventories == {source["inventory"]}


def _renew(fleet, tmp_path, name: str, check: bool, survey: dict):
    """The project's renew playbook, as the plan (check, diff) or renew template runs it, with survey answers."""
    extra = {"bomgar_demo_dir": str(tmp_path / "demo"), **survey}
    arguments = ["-i", str(fleet.inventory_path), "-i", str(ROOT / "inventories" / "demo")]
    arguments += [str(PROJECT / "playbooks" / "renew.yml"), "--diff", "-e", json.dumps(extra)]
    if check:
        arguments.append("--check")
    return run_playbook(tmp_path / name, arguments)


def test_survey_answers_as_awx_passes_them_drive_the_plan(fleet_factory, tmp_path):
    fleet = fleet_factory(2)
    primary = fleet.primary
    no = {"certificate_force": "false", "certificate_rekey": "false"}

    issued = _renew(fleet, tmp_path, "issue", check=False, survey=no)
    assert issued.rc == 0, issued.stdout[-4000:]
    host = next(entry["host"] for entry in issued.results if entry["task"] == PLAN_TASK)
    before = api_state(primary)

    keep = _renew(fleet, tmp_path, "keep", check=True, survey=no)
    assert keep.rc == 0, keep.stdout[-4000:]
    assert keep.result(PLAN_TASK, host)["msg"][0].startswith("Keep: ")

    forced = _renew(fleet, tmp_path, "force", check=True, survey={**no, "certificate_force": "true"})
    assert forced.rc == 0, forced.stdout[-4000:]
    lines = forced.result(PLAN_TASK, host)["msg"]
    assert lines[0].startswith("Reissue: ")
    assert "force is true" in lines[1]
    assert any(line.startswith("Key: reuse ") for line in lines)

    rekeyed = _renew(fleet, tmp_path, "rekey", check=True, survey={**no, "certificate_rekey": "true"})
    assert rekeyed.rc == 0, rekeyed.stdout[-4000:]
    lines = rekeyed.result(PLAN_TASK, host)["msg"]
    assert any(re.match(r"Key: new .* key ", line) for line in lines), lines
    assert api_state(primary) == before, "the plan changed the appliance"


def test_awx_examples_pass_yamllint():
    for path in [AWX / "job-templates.yml", *sorted((PROJECT / "playbooks").glob("*.yml"))]:
        problems = yamllint_problems(path)
        assert not problems, problems
