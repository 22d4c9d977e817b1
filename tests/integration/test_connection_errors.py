# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connection problems, as a user meets them through ansible-playbook, and where connection options come from.

Every failure must name the problem and the fix; the appliance is left as it
was; the token never shows. Connection options come from the task, from
``module_defaults`` of the action group, or from environment variables.
"""

from __future__ import annotations

import socket
from pathlib import Path

from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, keys, subject_fields
from cryptography.hazmat.primitives import serialization
from harness import api_state

MODULES_DIR = Path(__file__).resolve().parents[2] / "plugins" / "modules"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def probes(tmp_path) -> dict:
    """One harmless call per module that exists, by module name: arguments other than the connection's."""
    calls = {
        "appliance_key": {"name": "probe-key", "type": "ec"},
        "appliance_support_bundle": {"certificate": "Factory Default", "dest": str(tmp_path / "probe.zip")},
        "appliance_certificate_info": {},
    }
    return {name: args for name, args in calls.items() if (MODULES_DIR / f"{name}.py").exists()}


def tasks_for(label: str, connection: dict, tmp_path) -> list:
    return [
        {"name": f"{label} {module}", f"bomgar.pki.{module}": {**connection, **args}, "ignore_errors": True}
        for module, args in probes(tmp_path).items()
    ]


def other_ca_file(tmp_path) -> Path:
    key = keys.generate_private_key(keys.KeySpec.create("ec"))
    ca = builder.create_ca_certificate(key, subject_fields.SubjectSpec(common_name="Some Other CA"))
    path = tmp_path / "other-ca.pem"
    path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return path


def test_each_connection_problem_names_the_problem_and_the_fix(shared_appliance, play, tmp_path):
    handle = shared_appliance
    # As in real playbooks, secrets come from variables: Ansible shows a failed task's source lines.
    good = {
        "appliance_url": "{{ bomgar_appliance_url }}",
        "api_token": "{{ bomgar_api_token }}",
        "ca_path": "{{ bomgar_ca_path }}",
    }
    cases = {
        "unreachable": (
            {**good, "appliance_url": f"https://127.0.0.1:{free_port()}"},
            ["Cannot reach the appliance at https://127.0.0.1:", "Check appliance_url"],
        ),
        "wrong token": (
            {**good, "api_token": "{{ wrong_token }}"},
            ["refused the API token (HTTP 401)", "Check api_token", "BOMGAR_API_TOKEN"],
        ),
        "other CA": (
            {**good, "ca_path": str(other_ca_file(tmp_path))},
            ["is not trusted", "Set ca_path to the CA file that signed it"],
        ),
        "no CA": (
            {"appliance_url": "{{ bomgar_appliance_url }}", "api_token": "{{ bomgar_api_token }}"},
            ["is not trusted", "Set ca_path to the CA file that signed it"],
        ),
        "missing CA file": (
            {**good, "ca_path": str(tmp_path / "missing-ca.pem")},
            ["cannot be", "Point ca_path at the PEM file of the CA"],
        ),
        "not a URL": (
            {**good, "appliance_url": "appliance.example.com"},
            ["is not an http(s) URL", "e.g. https://appliance.example.com"],
        ),
    }
    tasks = [task for label, (connection, _want) in cases.items() for task in tasks_for(label, connection, tmp_path)]
    before = api_state(handle)
    extra_vars = {"wrong_token": "wrong-token-1234567890"}
    run = play(
        {"appliance": handle}, tasks, connection_defaults=False, env={"BOMGAR_CA_PATH": ""}, extra_vars=extra_vars
    )
    assert api_state(handle) == before, "a failed connection changed the appliance"
    for label, (_connection, wanted) in cases.items():
        for module in probes(tmp_path):
            result = run.result(f"{label} {module}")
            assert result["failed"], (label, module, result)
            for text in wanted:
                assert text in result["msg"], (label, module, result["msg"])
    assert "wrong-token-1234567890" not in run.stdout + run.stderr
    assert handle.token not in run.stdout + run.stderr
    assert not (tmp_path / "probe.zip").exists()


def test_connection_options_from_the_environment(shared_appliance, play, tmp_path):
    handle = shared_appliance
    env = {
        "BOMGAR_APPLIANCE_URL": handle.api_url,
        "BOMGAR_API_TOKEN": handle.token,
        "BOMGAR_CA_PATH": str(handle.ca_path),
    }
    run = play({"appliance": handle}, tasks_for("env", {}, tmp_path), connection_defaults=False, env=env)
    for module in probes(tmp_path):
        result = run.result(f"env {module}")
        assert not result["failed"], (module, result)
    assert (tmp_path / "probe.zip").exists()
    assert handle.token not in run.stdout + run.stderr

    missing = {name: value for name, value in env.items() if name != "BOMGAR_API_TOKEN"}
    run = play({"appliance": handle}, tasks_for("no token", {}, tmp_path), connection_defaults=False, env=missing)
    for module in probes(tmp_path):
        result = run.result(f"no token {module}")
        assert result["failed"] and "api_token" in result["msg"], (module, result)


def test_module_defaults_of_the_action_group(shared_appliance, play, tmp_path):
    """The harness sets the connection through ``module_defaults: group/bomgar.pki.appliance``; a task overrides it."""
    handle = shared_appliance
    overridden = {"api_token": "{{ overridden_token }}"}
    tasks = tasks_for("defaults", {}, tmp_path) + tasks_for("override", overridden, tmp_path)
    run = play(
        {"appliance": handle}, tasks, connection_defaults=True, extra_vars={"overridden_token": "overridden-tok"}
    )
    for module in probes(tmp_path):
        assert not run.result(f"defaults {module}")["failed"], module
        overridden = run.result(f"override {module}")
        assert overridden["failed"] and "refused the API token" in overridden["msg"], (module, overridden)
    assert "overridden-tok" not in run.stdout + run.stderr
