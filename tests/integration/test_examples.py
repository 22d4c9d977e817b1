# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The example inventory repository: its pipelines are sound and agree on the floor.

The pipelines of examples/inventory-repo pass yamllint, plan on pull/merge
requests with ``--check --diff`` without anything GitLab keeps for protected
branches, apply only on the main branch behind the protected ``production``
environment, install ansible-core from the floor, and run playbooks that import
the collection's. The floor is the same in requirements/test.txt,
meta/runtime.yml, the roles' metadata, the README and the getting-started guide.
The execution environment of examples/awx has its own tests
(test_execution_environment.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from harness import yamllint_problems

ROOT = Path(__file__).resolve().parents[2]
# The CI pipelines live in the example inventory repository, where a user copies them from.
REPOSITORY = ROOT / "examples" / "inventory-repo"
GITHUB = REPOSITORY / ".github" / "workflows" / "certificates.yml"
GITLAB = REPOSITORY / ".gitlab-ci.yml"
REPO_PLAN = "ansible-playbook playbooks/site.yml --check --diff"
REPO_APPLY = "ansible-playbook playbooks/site.yml --diff"
FLOOR_PATTERN = re.compile(r"^ansible-core==(\d+\.\d+\.\d+)$", re.MULTILINE)


def _floor() -> str:
    found = FLOOR_PATTERN.search((ROOT / "requirements" / "test.txt").read_text(encoding="utf-8"))
    assert found, "requirements/test.txt pins no ansible-core"
    return found.group(1)


def _commands(job_steps: list) -> list[str]:
    return [line for step in job_steps for line in str(step.get("run", "")).splitlines()]


@pytest.mark.parametrize(
    "path",
    [GITHUB, GITLAB, *sorted((REPOSITORY / "playbooks").glob("*.yml")), REPOSITORY / "requirements.yml"],
    ids=lambda path: str(path.relative_to(REPOSITORY)),
)
def test_the_repository_passes_yamllint(path):
    problems = yamllint_problems(path)
    assert not problems, problems


def test_github_workflow_plans_on_pull_requests_and_applies_on_main_behind_the_environment():
    workflow = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))
    triggers = workflow["on"]
    assert triggers["pull_request"]["branches"] == ["main"]
    assert triggers["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read"}
    plan, apply = workflow["jobs"]["plan"], workflow["jobs"]["apply"]

    assert plan["if"] == "github.event_name == 'pull_request'"
    plan_runs = _commands(plan["steps"])
    assert any(line.startswith(REPO_PLAN) for line in plan_runs), plan_runs
    assert all("--check" in line for line in plan_runs if "ansible-playbook" in line)
    assert any('>> "$GITHUB_STEP_SUMMARY"' in line for line in plan_runs)
    # The plan's pipe into tee must not hide a failed plan.
    assert all(step.get("shell") == "bash" for step in plan["steps"] if "| tee" in str(step.get("run", "")))
    assert "environment" not in plan

    assert "github.ref == 'refs/heads/main'" in apply["if"]
    assert "github.event_name != 'pull_request'" in apply["if"]
    apply_runs = _commands(apply["steps"])
    assert any(line.startswith(REPO_APPLY) for line in apply_runs), apply_runs
    assert not any("--check" in line for line in apply_runs)
    assert apply["environment"] == "production"
    assert apply["concurrency"]["cancel-in-progress"] is False
    uploads = [step for step in apply["steps"] if str(step.get("uses", "")).startswith("actions/upload-artifact")]
    assert any(step["with"]["path"] == "bundles/" for step in uploads)


def test_gitlab_pipeline_plans_on_merge_requests_and_applies_in_the_protected_environment():
    pipeline = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    assert pipeline["stages"] == ["plan", "apply"]
    plan, apply = pipeline["plan"], pipeline["apply"]
    assert [rule["if"] for rule in plan["rules"]] == ['$CI_PIPELINE_SOURCE == "merge_request_event"']
    assert any(line.startswith(REPO_PLAN) for line in plan["script"]), plan["script"]
    assert "plan.log" in plan["artifacts"]["paths"]
    # Protected variables are not given to merge request pipelines: the plan deploys to no environment and
    # names only the vault password, which the pipeline documents as unprotected.
    assert "environment" not in plan
    text = GITLAB.read_text(encoding="utf-8")
    assert "BOMGAR_VAULT_PASSWORD (masked and hidden, NOT protected)" in text
    assert all("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in rule["if"] for rule in apply["rules"])
    assert not any("merge_request_event" in rule["if"] for rule in apply["rules"])
    assert apply["script"] == [REPO_APPLY]
    assert apply["environment"]["name"] == "production"
    assert apply["resource_group"]
    assert "bundles/" in apply["artifacts"]["paths"]


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_pipelines_install_ansible_core_from_the_floor_and_python_3_11(path):
    text = path.read_text(encoding="utf-8")
    assert "python -m pip install -r requirements.txt" in text
    assert "3.11" in text
    requirements = (REPOSITORY / "requirements.txt").read_text(encoding="utf-8").splitlines()
    floor = _floor()
    assert f"ansible-core>={floor},<2.20" in requirements
    assert "cryptography>=42" in requirements


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_pipelines_run_playbooks_of_the_repository_that_import_the_collections_playbooks(path):
    text = path.read_text(encoding="utf-8")
    playbooks = {word for word in text.split() if word.startswith("playbooks/") and word.endswith(".yml")}
    assert playbooks, f"{path.name} runs no playbook"
    for playbook in sorted(playbooks):
        plays = yaml.safe_load((REPOSITORY / playbook).read_text(encoding="utf-8"))
        imported = [play["ansible.builtin.import_playbook"] for play in plays]
        assert imported, f"{playbook} imports no playbook of the collection"
        for name in imported:
            namespace, collection, short = name.split(".")
            assert (namespace, collection) == ("bomgar", "pki"), name
            assert (ROOT / "playbooks" / f"{short}.yml").is_file(), f"{playbook} imports {name}, which does not exist"


def test_the_repository_installs_this_version_of_the_collection():
    requirements = yaml.safe_load((REPOSITORY / "requirements.yml").read_text(encoding="utf-8"))
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    assert {"name": "bomgar.pki", "version": galaxy["version"]} in requirements["collections"]


def test_the_repository_keeps_its_secrets_in_the_vault_and_out_of_git():
    vault = REPOSITORY / "inventories" / "production" / "group_vars" / "bomgar_site" / "vault.yml"
    assert vault.read_text(encoding="ascii").startswith("$ANSIBLE_VAULT;1.2;AES256;bomgar\n")
    ignored = (REPOSITORY / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {"/.vault/", "/collections/ansible_collections/", "/bundles/"} <= set(ignored)
    config = (REPOSITORY / "ansible.cfg").read_text(encoding="utf-8")
    assert "vault_identity_list = bomgar@.vault/bomgar" in config
    assert "collections_path = ./collections" in config


def test_the_floor_is_stated_once_everywhere():
    floor = _floor()
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    assert runtime["requires_ansible"] == f">={floor}"
    for meta in sorted((ROOT / "roles").glob("*/meta/main.yml")):
        info = yaml.safe_load(meta.read_text(encoding="utf-8"))["galaxy_info"]
        assert info["min_ansible_version"] == floor, meta
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"Python 3.11 or newer with `ansible-core` >= {floor}" in readme
    assert "3.10" not in readme
    guide = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    assert f'"ansible-core>={floor}"' in guide
