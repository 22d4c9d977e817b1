# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The plain-module path of every module against a real reference appliance.

Each module's ``main()`` runs in this process (as the module file would under
Ansible) and the same steps run through its action plugin with
ansible-playbook against a second, identical appliance: both paths must give
results with the same keys, the same ``changed`` and the same ``failed``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, keys, subject_fields
from cryptography.hazmat.primitives import serialization
from harness import api_state, run_tasks
from module_args import run_module

ROOT = Path(__file__).resolve().parents[2]
MODULES_DIR = ROOT / "plugins" / "modules"

# Keys the two paths add on their own: Ansible's bookkeeping, not the module's result. ``changed`` and
# ``failed`` are compared by value (AnsibleModule leaves ``changed`` out when it refuses the arguments).
BOOKKEEPING = {
    "invocation",
    "warnings",
    "deprecations",
    "exception",
    "changed",
    "failed",
    "_ansible_no_log",
    "_ansible_verbose_always",
}


@pytest.fixture
def live_appliance(appliance):
    return appliance


@pytest.fixture
def live_appliance_factory(appliance_factory):
    return appliance_factory


# --- plain module and action plugin give the same results ------------------------------------------------------


def existing_modules() -> list[str]:
    """The modules of one appliance (connection options at the top level); the fleet modules have their own tests."""
    names = sorted(path.stem for path in MODULES_DIR.glob("appliance_*.py"))
    return [name for name in names if importlib.import_module(module_path(name)).MODULE_SPEC.connection]


def module_path(name: str) -> str:
    return f"ansible_collections.bomgar.pki.plugins.modules.{name}"


def module_main(name: str):
    return importlib.import_module(f"ansible_collections.bomgar.pki.plugins.modules.{name}").main


def imported_root_pem() -> str:
    key = keys.generate_private_key(keys.KeySpec.create("ec"))
    root = builder.create_ca_certificate(key, subject_fields.SubjectSpec(common_name="Runner Test Root CA"))
    return root.public_bytes(serialization.Encoding.PEM).decode("ascii")


def steps_for(module: str, root_pem: str) -> list[dict]:
    """The steps run through both paths, in order; ``{base}`` in a value becomes a per-path folder.

    ``expect`` is ``(changed, failed)`` where the outcome is known whatever the module's details;
    every step also checks the options each module must refuse (a missing required option).
    """
    csr = {
        "friendly_name": "runner-selfsigned",
        "key_type": "ec",
        "common_name": "Runner",
        "subject_alt_name": ["DNS:support.example.com"],
        "self_signed": True,
    }
    bundle = {"certificate": "Factory Default", "dest": "{base}/b.zip"}
    table = {
        "appliance_key": [
            {"args": {"name": "runner-key", "type": "ec"}, "check": True, "expect": (True, False)},
            {"args": {"name": "runner-key", "type": "ec"}, "expect": (True, False)},
            {"args": {"name": "runner-key", "type": "ec"}, "expect": (False, False)},
            {"args": {"name": "runner-key", "type": "rsa"}, "expect": (False, True)},
            {"args": {"name": "runner-key", "type": "dsa"}, "expect": (False, True), "same_msg": True},
            {
                "args": {"name": "runner-key", "bogus": 1},
                "expect": (False, True),
                "msg_contains": ["Unsupported parameters for (", "module: bogus. Supported parameters include"],
            },
            {"args": {"name": "runner-key", "state": "absent"}, "expect": (True, False)},
        ],
        "appliance_csr": [
            {"args": csr, "check": True},
            {"args": csr},
            {"args": csr},
        ],
        "appliance_cert_import": [
            {"args": {"content": [root_pem]}, "check": True},
            {"args": {"content": [root_pem]}},
            {"args": {"content": [root_pem]}},
            {
                "args": {"content": [root_pem], "bind": {"ip_addresses": ["127.0.0.2"]}},
                "expect": (False, True),
                "same_msg": True,
                "msg_contains": ["bind needs a server certificate"],
            },
        ],
        "appliance_ip_binding": [
            {"args": {"certificate": "Factory Default", "ip_addresses": ["127.0.0.2"], "verify_served": False}},
        ],
        "appliance_certificate": [
            {
                "args": {"certificates": ["Factory Default"], "state": "absent"},
                "expect": (False, True),
                "msg_contains": ["is a friendly name", "Nothing was deleted."],
            },
            {"args": {"certificates": [":".join(["ab"] * 32)], "state": "absent"}, "expect": (False, False)},
        ],
        "appliance_certificate_info": [
            {"args": {}},
            {"args": {"certificates": ["Factory Default"]}},
        ],
        "appliance_support_bundle": [
            {"args": bundle, "check": True, "expect": (True, False)},
            {"args": bundle, "expect": (True, False)},
            {"args": bundle, "expect": (False, False)},
            {"args": bundle, "check": True, "expect": (False, False)},
            {"args": {"certificate": "nothing-here", "dest": "{base}/c.zip"}, "expect": (False, True)},
            {"args": {"certificate": "Factory Default"}, "expect": (False, True), "same_msg": True},
        ],
    }
    return [*table.get(module, []), {"args": {"unknown_option_of_the_test": 1}, "expect": (False, True)}]


def with_base(value, base: str):
    if isinstance(value, str):
        return value.replace("{base}", base)
    if isinstance(value, list):
        return [with_base(item, base) for item in value]
    if isinstance(value, dict):
        return {key: with_base(item, base) for key, item in value.items()}
    return value


def connection_args(handle) -> dict:
    return {"appliance_url": handle.api_url, "api_token": handle.token, "ca_path": str(handle.ca_path)}


def comparable(result: dict) -> tuple:
    keys_of_result = sorted(key for key in result if key not in BOOKKEEPING)
    return keys_of_result, bool(result.get("changed")), bool(result.get("failed"))


def test_plain_module_and_action_plugin_agree(live_appliance_factory, tmp_path):
    modules = existing_modules()
    assert "appliance_key" in modules and "appliance_support_bundle" in modules
    plain_handle = live_appliance_factory("plain")
    action_handle = live_appliance_factory("action")
    root_pem = imported_root_pem()
    plan = [(module, index, step) for module in modules for index, step in enumerate(steps_for(module, root_pem))]
    for side in ("plain-out", "action-out"):
        (tmp_path / side).mkdir()

    plain_results = {}
    for module, index, step in plan:
        args = {**connection_args(plain_handle), **with_base(step["args"], str(tmp_path / "plain-out"))}
        done = run_module(module_main(module), args, check_mode=step.get("check", False), diff=True)
        assert plain_handle.token not in done.stdout, f"{module} step {index} printed the API token"
        assert (done.exit_code != 0) == bool(done.result.get("failed")), done.stdout
        plain_results[(module, index)] = done.result

    tasks = []
    for module, index, step in plan:
        task = {
            "name": f"{module} step {index}",
            f"bomgar.pki.{module}": with_base(step["args"], str(tmp_path / "action-out")),
            "ignore_errors": True,
            "diff": True,
        }
        if step.get("check"):
            task["check_mode"] = True
        tasks.append(task)
    playbook = run_tasks(tmp_path / "playbook", {"appliance": action_handle}, tasks)

    mismatches = []
    for module, index, step in plan:
        plain = plain_results[(module, index)]
        action = playbook.result(f"{module} step {index}")
        if comparable(plain) != comparable(action):
            mismatches.append(f"{module} step {index}: plain {comparable(plain)} != action {comparable(action)}")
        if step.get("same_msg") and plain.get("msg") != action.get("msg"):
            mismatches.append(f"{module} step {index}: msg {plain.get('msg')!r} != {action.get('msg')!r}")
        for words in step.get("msg_contains", []):
            for path, result in (("plain", plain), ("action", action)):
                if words not in str(result.get("msg")):
                    mismatches.append(f"{module} step {index}: {path} msg {result.get('msg')!r} lacks {words!r}")
        expect = step.get("expect")
        if expect and (bool(plain.get("changed")), bool(plain.get("failed"))) != expect:
            mismatches.append(f"{module} step {index}: expected (changed, failed) {expect}, got {plain}")
    assert not mismatches, "\n".join(mismatches)
    assert (tmp_path / "plain-out" / "b.zip").read_bytes()[:2] == b"PK"
    assert (tmp_path / "action-out" / "b.zip").read_bytes()[:2] == b"PK"


def test_plain_module_takes_connection_options_from_the_environment(live_appliance, monkeypatch, tmp_path):
    appliance = live_appliance
    monkeypatch.setenv("BOMGAR_APPLIANCE_URL", appliance.api_url)
    monkeypatch.setenv("BOMGAR_API_TOKEN", appliance.token)
    monkeypatch.setenv("BOMGAR_CA_PATH", str(appliance.ca_path))
    done = run_module(module_main("appliance_key"), {"name": "from-env", "type": "ec"})
    assert done.exit_code == 0 and done.result["changed"] is True, done.stdout
    assert appliance.token not in done.stdout
    bundle = run_module(
        module_main("appliance_support_bundle"), {"certificate": "Factory Default", "dest": str(tmp_path / "b.zip")}
    )
    assert bundle.exit_code == 0 and bundle.result["software_update_required"] is False, bundle.stdout
    monkeypatch.delenv("BOMGAR_API_TOKEN")
    missing = run_module(module_main("appliance_key"), {"name": "from-env"})
    assert missing.exit_code == 1 and "api_token" in missing.result["msg"]


def test_plain_module_reports_a_refused_token(live_appliance):
    appliance = live_appliance
    args = {**connection_args(appliance), "api_token": "not-the-token", "name": "k"}
    done = run_module(module_main("appliance_key"), args)
    assert done.exit_code == 1 and "refused the API token" in done.result["msg"]
    assert "not-the-token" not in done.stdout


def test_plain_module_refuses_what_the_action_plugin_refuses(live_appliance):
    appliance = live_appliance
    before = api_state(appliance)
    listed = run_module(
        module_main("appliance_csr"),
        {
            **connection_args(appliance),
            "friendly_name": "listed",
            "common_name": ["a"],
            "subject_alt_name": ["DNS:a.example.com"],
        },
    )
    assert listed.exit_code == 1
    assert listed.result["msg"].startswith("common_name takes text, but a list was given")
    newline = run_module(
        module_main("appliance_key"), {**connection_args(appliance), "api_token": appliance.token + "\n", "name": "k"}
    )
    assert newline.exit_code == 1 and newline.result["msg"].startswith("api_token holds a line break at its end")
    assert appliance.token not in newline.stdout
    zero = run_module(module_main("appliance_key"), {**connection_args(appliance), "timeout": 0, "name": "k"})
    assert zero.exit_code == 1 and zero.result["msg"].startswith("timeout is 0: give the number of seconds")
    assert api_state(appliance) == before


def test_certificate_plan_as_a_plain_module_plans_from_the_environment(live_appliance, monkeypatch):
    appliance = live_appliance
    monkeypatch.setenv("BOMGAR_APPLIANCE_URL", appliance.api_url)
    monkeypatch.setenv("BOMGAR_API_TOKEN", appliance.token)
    monkeypatch.setenv("BOMGAR_CA_PATH", str(appliance.ca_path))
    entry = {
        "host": "appliance",
        "name": "plain-plan",
        "subject_alt_name": ["DNS:support.example.com"],
        "ip_addresses": ["127.0.0.2"],
    }
    done = run_module(
        module_main("certificate_plan"), {"appliances": [entry, {**entry, "host": "other", "ip_addresses": []}]}
    )
    assert done.exit_code == 0 and done.result["changed"] is False, done.stdout
    plan = done.result["appliances"]["appliance"]
    assert plan["failed"] is False and plan["action"] == "issue" and plan["rebind"] is None
    assert plan["lines"][0].startswith("Issue: plain-plan ")
    other = done.result["appliances"]["other"]
    assert other["failed"] is True and other["msg"].startswith("ip_addresses is empty;")
    assert done.result["failed_hosts"] == ["other"] and done.result["in_place"] == []
    assert appliance.token not in done.stdout


def test_appliance_status_info_as_a_plain_module_reads_each_entry(live_appliance, monkeypatch):
    appliance = live_appliance
    monkeypatch.setenv("BOMGAR_CA_PATH", str(appliance.ca_path))
    entries = [
        {"host": "up", "appliance_url": appliance.api_url, "api_token": appliance.token},
        {"host": "refused", "appliance_url": appliance.api_url, "api_token": "not-the-token"},
    ]
    done = run_module(module_main("appliance_status_info"), {"appliances": entries})
    assert done.exit_code == 0 and done.result["changed"] is False, done.stdout
    up = done.result["appliances"]["up"]
    assert up["failed"] is False and up["status"]["ip_addresses"]
    refused = done.result["appliances"]["refused"]
    assert refused["failed"] is True and "refused the API token" in refused["msg"]
    assert done.result["failed_hosts"] == ["refused"]
    assert appliance.token not in done.stdout and "not-the-token" not in done.stdout
