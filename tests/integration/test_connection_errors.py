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
import ssl
from pathlib import Path

from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, keys, subject_fields
from cryptography.hazmat.primitives import serialization
from harness import api_state
from module_probes import module_calls, probe_outcome, probe_tasks

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
            ["is not an https:// URL", "e.g. https://appliance.example.com"],
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


def test_connection_options_no_request_can_be_made_with_are_refused_by_every_module(shared_appliance, play, tmp_path):
    handle = shared_appliance
    good = {
        "appliance_url": "{{ bomgar_appliance_url }}",
        "api_token": "{{ bomgar_api_token }}",
        "ca_path": "{{ bomgar_ca_path }}",
    }
    port = handle.api_url.rsplit(":", 1)[1]
    cases = {
        "http": (
            {**good, "appliance_url": f"http://127.0.0.1:{port}"},
            ["uses http://", "clear text", "nothing was sent", f"https://127.0.0.1:{port}", "only served over HTTPS"],
        ),
        "port out of range": (
            {**good, "appliance_url": "https://127.0.0.1:99999"},
            ["names port 99999, which is not a port", "from 1 to 65535"],
        ),
        "negative timeout": ({**good, "timeout": -1}, ["timeout is -1: give the number of seconds"]),
        "zero timeout": ({**good, "timeout": 0}, ["timeout is 0: give the number of seconds", "more than 0"]),
    }
    tasks = [
        task
        for label, (connection, _want) in cases.items()
        for task in probe_tasks(label, connection, tmp_path, handle.ca_path)
    ]
    before = api_state(handle)
    run = play({"appliance": handle}, tasks, connection_defaults=False, env={"BOMGAR_CA_PATH": ""})
    assert api_state(handle) == before, "a refused connection changed the appliance"
    for label, (_connection, wanted) in cases.items():
        for module in module_calls(tmp_path, handle.ca_path):
            failed, msg = probe_outcome(run, label, module)
            assert failed, (label, module, msg)
            for text in wanted:
                assert text in msg, (label, module, msg)
    assert "Traceback" not in run.stdout + run.stderr
    assert handle.token not in run.stdout + run.stderr
    assert not (tmp_path / "probe.zip").exists()


def test_a_verify_timeout_not_above_zero_is_refused_before_anything_is_bound(appliance, play, tmp_path):
    with appliance.client() as client:
        key = client.post("keys", json={"name": "bind-key", "type": "ec"}).json()
        body = {
            "friendly_name": "to bind",
            "key_id": key["id"],
            "subject": {"common_name": "support.example.com"},
            "subject_alt_name": ["DNS:support.example.com"],
            "days": 30,
        }
        assert client.post("certificates/self-signed", json=body).status_code == 201
    pem = tmp_path / "factory.pem"
    pem.write_text(ssl.DER_cert_to_PEM_cert(appliance.served_chain()[0]), encoding="ascii")
    tasks = [
        {
            "name": "bind",
            "bomgar.pki.appliance_ip_binding": {
                "certificate": "to bind",
                "ip_addresses": appliance.ip_addresses,
                "hostnames": ["support.example.com"],
                "verify_timeout": -1,
            },
            "ignore_errors": True,
        },
        {
            "name": "import and bind",
            "bomgar.pki.appliance_cert_import": {
                "src": [str(pem)],
                "bind": {"ip_addresses": appliance.ip_addresses, "verify_timeout": 0},
            },
            "ignore_errors": True,
        },
    ]
    before = api_state(appliance)
    served = appliance.served_fingerprints()
    run = play({"appliance": appliance}, tasks)
    assert run.result("bind")["failed"]
    assert (
        run.result("bind")["msg"] == "verify_timeout is -1: give the number of seconds to wait, more than 0 (e.g. 30)."
    )
    assert run.result("import and bind")["failed"]
    assert run.result("import and bind")["msg"].startswith("bind.verify_timeout is 0: give the number of seconds")
    assert api_state(appliance) == before and appliance.served_fingerprints() == served
    assert "Traceback" not in run.stdout + run.stderr


def test_a_url_of_the_site_instead_of_the_api_is_named_as_the_likely_cause(shared_appliance, play, tmp_path):
    handle = shared_appliance
    site_url = f"https://{handle.ip_addresses[0]}:{handle.site_port}"
    connection = {"appliance_url": site_url, "api_token": "{{ bomgar_api_token }}"}
    tasks = [
        {"name": "info", "bomgar.pki.appliance_certificate_info": {**connection, "validate_certs": False}},
        {"name": "key", "bomgar.pki.appliance_key": {**connection, "validate_certs": False, "name": "k", "type": "ec"}},
        {"name": "verified", "bomgar.pki.appliance_certificate_info": {**connection, "ca_path": str(handle.ca_path)}},
    ]
    for task in tasks:
        task["ignore_errors"] = True
    before = api_state(handle)
    run = play({"appliance": handle}, tasks, connection_defaults=False)
    for name in ("info", "key"):
        result = run.result(name)
        assert result["failed"], result
        assert "with an HTML page" in result["msg"] and "not the API's JSON" in result["msg"], result["msg"]
        assert "appliance_url seems to name the appliance's site" in result["msg"]
        assert "bomgar_appliance_url" in result["msg"]
    verified = run.result("verified")
    assert verified["failed"] and "is not trusted" in verified["msg"]
    assert "names the appliance's site (its site port) rather than its API" in verified["msg"]
    assert api_state(handle) == before


def test_a_list_given_for_a_text_option_is_refused_naming_it(shared_appliance, play, tmp_path):
    handle = shared_appliance
    csr = {
        "friendly_name": "listed",
        "key": "listed-key",
        "common_name": ["a.example.com"],
        "subject_alt_name": ["DNS:a.example.com"],
        "self_signed": True,
    }
    entry = {"host": "appliance", "appliance_url": handle.api_url, "api_token": [handle.token]}
    tasks = [
        {"name": "csr", "bomgar.pki.appliance_csr": csr, "ignore_errors": True},
        {"name": "key", "bomgar.pki.appliance_key": {"name": {"n": "k"}, "type": "ec"}, "ignore_errors": True},
        {"name": "fleet", "bomgar.pki.appliance_status_info": {"appliances": [entry]}, "ignore_errors": True},
    ]
    before = api_state(handle)
    run = play({"appliance": handle}, tasks)
    assert api_state(handle) == before
    assert run.result("csr")["failed"]
    assert run.result("csr")["msg"].startswith("common_name takes text, but a list was given")
    assert run.result("key")["failed"]
    assert run.result("key")["msg"].startswith("name takes text, but a dictionary was given")
    assert run.result("fleet")["failed"]
    assert run.result("fleet")["msg"].startswith("appliances[0].api_token takes text, but a list was given")
    assert handle.token not in run.stdout + run.stderr
