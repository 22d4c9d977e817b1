# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run playbooks with ansible-playbook against reference appliances, as a user would.

``run_tasks(appliances, tasks)`` writes an inventory (the appliance is the
inventory host, connection local, connection options in host vars and in
``module_defaults`` of the action group) and a playbook, runs
``ansible-playbook`` with the collection from this checkout, and returns every
task's result as recorded by the test callback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS_ROOT = ROOT / "build"
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))


@dataclass
class PlaybookRun:
    """What ansible-playbook did: exit code, output, and each task's recorded result."""

    rc: int
    stdout: str
    stderr: str
    results: list = field(default_factory=list)

    def result(self, task: str, host: str | None = None) -> dict:
        """The result of the task with this name (on ``host``, or the only host); one that ran before one skipped."""
        found = [r for r in self.results if r["task"] == task and (host is None or r["host"] == host)]
        if not found:
            names = sorted({r["task"] for r in self.results})
            raise AssertionError(f"no result for task {task!r}; tasks run: {names}\n{self.stdout[-3000:]}")
        entry = ([r for r in found if r["status"] != "skipped"] or found)[-1]
        # ansible-core 2.19 hands callbacks failed results without the "failed" key.
        return {**entry["result"], "failed": entry["status"] == "failed"}

    def status(self, task: str, host: str | None = None) -> str:
        """ok, failed or skipped."""
        found = [r for r in self.results if r["task"] == task and (host is None or r["host"] == host)]
        return found[-1]["status"]


def connection_vars(handle, transport: str = "api") -> dict:
    """The inventory variables of one appliance handle's connection over ``transport`` (its credentials only)."""
    if transport == "web":
        return {"bomgar_transport": "web", "bomgar_username": handle.username, "bomgar_password": handle.password}
    return {"bomgar_api_token": handle.token}


def connection_options(handle, transport: str = "api") -> dict:
    """The module options that reach one appliance handle over ``transport`` (an entry of ``appliances``)."""
    options = {"appliance_url": handle.api_url, "ca_path": str(handle.ca_path)}
    if transport == "web":
        return {**options, "transport": "web", "username": handle.username, "password": handle.password}
    return {**options, "api_token": handle.token}


def secrets_of(handle) -> list:
    """What must never appear in any output of a run against ``handle``, whichever the transport."""
    return [handle.token, handle.password]


def host_vars(handle, transport: str = "api") -> dict:
    """Inventory variables of one appliance handle, reached over ``transport`` (api or web)."""
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "bomgar_appliance_url": handle.api_url,
        **connection_vars(handle, transport),
        "bomgar_ca_path": str(handle.ca_path),
        "bomgar_ip_addresses": list(handle.ip_addresses),
        "bomgar_site_port": handle.site_port,
        "bomgar_appliance_hostname": handle.hostname,
    }


CONNECTION_DEFAULTS = {
    "group/bomgar.pki.appliance": {
        "appliance_url": "{{ bomgar_appliance_url }}",
        "transport": "{{ bomgar_transport | default(omit) }}",
        "api_token": "{{ bomgar_api_token | default(omit) }}",
        "username": "{{ bomgar_username | default(omit) }}",
        "password": "{{ bomgar_password | default(omit) }}",
        "ca_path": "{{ bomgar_ca_path }}",
    }
}


def run_tasks(
    workdir: Path,
    appliances: dict,
    tasks: list,
    check: bool = False,
    diff: bool = False,
    verbosity: int = 0,
    extra_vars: dict | None = None,
    connection_defaults: bool = True,
    env: dict | None = None,
    transport: str = "api",
) -> PlaybookRun:
    """Run ``tasks`` on every appliance in ``appliances`` (name -> handle) in one play, over ``transport``."""
    workdir.mkdir(parents=True, exist_ok=True)
    inventory = {"all": {"hosts": {name: host_vars(handle, transport) for name, handle in appliances.items()}}}
    play = {"name": "integration", "hosts": "all", "gather_facts": False, "tasks": tasks}
    if connection_defaults:
        play["module_defaults"] = CONNECTION_DEFAULTS
    (workdir / "inventory.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    (workdir / "playbook.yml").write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    arguments = ["-i", str(workdir / "inventory.yml"), str(workdir / "playbook.yml")]
    if check:
        arguments.append("--check")
    if diff:
        arguments.append("--diff")
    if verbosity:
        arguments.append("-" + "v" * verbosity)
    if extra_vars:
        arguments += ["-e", json.dumps(extra_vars)]
    return run_playbook(workdir, arguments, env=env)


def run_playbook(workdir: Path, arguments: list, env: dict | None = None, timeout: float = 600) -> PlaybookRun:
    """``ansible-playbook <arguments>`` in ``workdir`` with the collection from this checkout; every task recorded."""
    workdir.mkdir(parents=True, exist_ok=True)
    results_file = workdir / "results.jsonl"
    if results_file.exists():
        results_file.unlink()
    environment = dict(os.environ)
    environment.update(
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT),
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
        ANSIBLE_CALLBACKS_ENABLED="record_results",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_HOST_KEY_CHECKING="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCAL_TEMP=str(workdir / "tmp"),
        BOMGAR_TEST_RESULTS=str(results_file),
    )
    environment.update(env or {})
    done = subprocess.run(
        [ANSIBLE_PLAYBOOK, *arguments],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    results = []
    if results_file.exists():
        results = [json.loads(line) for line in results_file.read_text(encoding="utf-8").splitlines() if line]
    return PlaybookRun(done.returncode, done.stdout, done.stderr, results)


def api_state(handle) -> dict:
    """Everything the appliance holds, through its API: to prove a task changed nothing."""
    with handle.client() as client:
        return {
            path: client.get(path).json()
            for path in ("status/basics", "network/ip-addresses", "keys", "certificate-requests", "certificates")
        }


YAMLLINT_CONFIG = "{extends: default, rules: {line-length: {max: 160}}}"


def yamllint_problems(path: Path) -> str:
    """yamllint's findings on one YAML file of the examples, one per line ('' when it is clean)."""
    from yamllint import linter
    from yamllint.config import YamlLintConfig

    found = linter.run(path.read_text(encoding="utf-8"), YamlLintConfig(YAMLLINT_CONFIG), str(path))
    return "\n".join(f"{path}:{p.line}:{p.column} {p.rule} {p.desc}" for p in found)
