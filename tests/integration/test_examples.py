# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The CI examples in examples/ci: the execution environment builds a context, the pipelines are sound YAML.

``ansible-builder create`` turns examples/ci/execution-environment.yml into a
build context, with the collection tarball built from this checkout the way
the file's header says. The GitHub Actions workflow and the GitLab CI pipeline
pass yamllint and plan on pull/merge requests with ``--check --diff``, apply
only on the main branch, and name playbooks that exist.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "ci"
BIN = Path(sys.executable).parent
PLAN = "ansible-playbook playbooks/renew.yml --check --diff"
APPLY = "ansible-playbook playbooks/renew.yml --diff"
YAMLLINT_CONFIG = "{extends: default, rules: {line-length: {max: 160}}}"


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed in this environment ({BIN})")
    return str(path)


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{argv[0]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _pinned(requirements: Path, package: str) -> str:
    for line in requirements.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{package}=="):
            return line.strip()
    raise AssertionError(f"{package} is not pinned in {requirements}")


@pytest.fixture(scope="module")
def build_context(tmp_path_factory) -> Path:
    """The build context ``ansible-builder create`` makes from the example, with this checkout's tarball."""
    workdir = tmp_path_factory.mktemp("ee")
    shutil.copy(EXAMPLES / "execution-environment.yml", workdir / "execution-environment.yml")
    built = workdir / "built"
    _run([_tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(built), str(ROOT)], ROOT)
    (workdir / "collections").mkdir()
    shutil.copy(next(built.glob("bomgar-pki-*.tar.gz")), workdir / "collections" / "bomgar-pki.tar.gz")
    context = workdir / "context"
    done = _run(
        [
            _tool("ansible-builder"),
            "create",
            "--file",
            str(workdir / "execution-environment.yml"),
            "--context",
            str(context),
            "--output-filename",
            "Containerfile",
        ],
        workdir,
    )
    assert "No matches" not in done.stdout + done.stderr, done.stdout + done.stderr
    return context


def test_execution_environment_context_holds_the_collection(build_context):
    tarball = build_context / "_build" / "collections" / "bomgar-pki.tar.gz"
    with tarfile.open(tarball) as archive:
        manifest = yaml.safe_load(archive.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["namespace"] == "bomgar"
    assert manifest["collection_info"]["name"] == "pki"
    requirements = yaml.safe_load((build_context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert {"name": "collections/bomgar-pki.tar.gz", "type": "file"} in requirements["collections"]


def test_execution_environment_installs_the_tested_ansible_core_and_cryptography(build_context):
    containerfile = (build_context / "Containerfile").read_text(encoding="utf-8")
    assert _pinned(ROOT / "requirements" / "test.txt", "ansible-core") in containerfile
    assert "/usr/bin/python3.11" in containerfile
    assert "ansible-galaxy collection install" in containerfile
    python_requirements = (build_context / "_build" / "requirements.txt").read_text(encoding="utf-8")
    assert "cryptography>=42" in python_requirements.splitlines()


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml", "execution-environment.yml"])
def test_example_passes_yamllint(name):
    linter = pytest.importorskip("yamllint.linter", reason="yamllint is not installed in this environment")
    from yamllint.config import YamlLintConfig

    path = EXAMPLES / name
    problems = list(linter.run(path.read_text(encoding="utf-8"), YamlLintConfig(YAMLLINT_CONFIG), str(path)))
    assert not problems, "\n".join(f"{path}:{p.line}:{p.column} {p.rule} {p.desc}" for p in problems)


def _github_steps(job: dict) -> list[str]:
    return [step.get("run", "") for step in job["steps"]]


def test_github_workflow_plans_on_pull_requests_and_applies_on_main():
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text(encoding="utf-8"))
    triggers = workflow["on"]
    assert triggers["pull_request"]["branches"] == ["main"]
    assert triggers["push"]["branches"] == ["main"]
    plan, apply = workflow["jobs"]["plan"], workflow["jobs"]["apply"]
    assert plan["if"] == "github.event_name == 'pull_request'"
    assert PLAN in _github_steps(plan)
    assert not any("--check" not in run for run in _github_steps(plan) if "ansible-playbook" in run)
    assert "github.ref == 'refs/heads/main'" in apply["if"]
    assert "github.event_name != 'pull_request'" in apply["if"]
    assert APPLY in _github_steps(apply)
    assert apply["environment"] == "production"
    assert workflow["permissions"] == {"contents": "read"}


def test_gitlab_pipeline_plans_on_merge_requests_and_applies_on_the_default_branch():
    pipeline = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text(encoding="utf-8"))
    assert pipeline["stages"] == ["plan", "apply"]
    plan, apply = pipeline["plan"], pipeline["apply"]
    assert [rule["if"] for rule in plan["rules"]] == ['$CI_PIPELINE_SOURCE == "merge_request_event"']
    assert plan["script"] == [PLAN]
    assert all("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in rule["if"] for rule in apply["rules"])
    assert not any("merge_request_event" in rule["if"] for rule in apply["rules"])
    assert apply["script"] == [APPLY]
    assert apply["resource_group"]


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_pipelines_run_playbooks_that_exist(name):
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    playbooks = {word for word in text.split() if word.startswith("playbooks/") and word.endswith(".yml")}
    assert playbooks, f"{name} runs no playbook"
    missing = sorted(playbook for playbook in playbooks if not (ROOT / playbook).is_file())
    assert not missing, f"{name} runs playbooks that do not exist: {missing}"
