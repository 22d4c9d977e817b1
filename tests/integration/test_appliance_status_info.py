# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.appliance_status_info through ansible-playbook against a fleet of reference appliances.

One task, run once for the play, reads Status > Basics of every appliance of a
fleet of three; an appliance that does not answer or refuses the token is
reported in its own entry while the others are read, and the task fails only
for entries it cannot take (a host given twice, no workers).
"""

from __future__ import annotations

import json
import socket

import pytest
from harness import api_state

NAMES = ("primary", "node1", "node2")
WRONG_TOKEN = "wrong-token-0f3a9c1d77e24b58"


@pytest.fixture
def fleet(fleet_factory):
    """A primary and two traffic nodes, by inventory name."""
    started = fleet_factory(3)
    return dict(zip(NAMES, started.appliances, strict=True))


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def entry(name: str, **overrides) -> dict:
    """One entry of ``appliances``: the connection of inventory host ``name``, from its host vars."""
    values = {
        "host": name,
        "appliance_url": f"{{{{ hostvars['{name}'].bomgar_appliance_url }}}}",
        "api_token": f"{{{{ hostvars['{name}'].bomgar_api_token }}}}",
        "ca_path": f"{{{{ hostvars['{name}'].bomgar_ca_path }}}}",
    }
    values.update(overrides)
    return values


def status_task(title: str, appliances: list, **args) -> dict:
    return {
        "name": title,
        "bomgar.pki.appliance_status_info": {"appliances": appliances, **args},
        "run_once": True,
        "ignore_errors": True,
    }


def assert_read(answer: dict, handle) -> None:
    """The entry holds the appliance's Status > Basics."""
    assert answer["failed"] is False and "msg" not in answer, answer
    status = answer["status"]
    assert status["hostname"] == handle.hostname
    assert status["ip_addresses"] == handle.ip_addresses
    assert status["role"] == handle.role and status["site_port"] == handle.site_port


def test_reads_every_appliance_in_one_task(fleet, play):
    before = {name: api_state(handle) for name, handle in fleet.items()}
    run = play(
        fleet,
        [
            status_task("status", [entry(name) for name in NAMES]),
            status_task("one worker", [entry(name) for name in NAMES], workers=1),
        ],
    )
    assert run.rc == 0, run.stdout[-3000:]
    result = run.result("status")
    assert not result["failed"] and result["changed"] is False, result
    assert list(result["appliances"]) == list(NAMES)
    for name, handle in fleet.items():
        assert_read(result["appliances"][name], handle)
    assert result["appliances"]["primary"]["status"]["role"] == "primary"
    assert result["appliances"]["node1"]["status"]["role"] == "traffic-node"
    assert result["appliances"]["primary"]["status"]["traffic_nodes"] == [
        fleet["node1"].hostname,
        fleet["node2"].hostname,
    ]
    assert result["failed_hosts"] == []
    assert len([r for r in run.results if r["task"] == "status"]) == 1, "run once, for one host of three"

    one_worker = run.result("one worker")
    assert not one_worker["failed"]
    assert one_worker["appliances"] == result["appliances"] and one_worker["failed_hosts"] == []
    assert {name: api_state(handle) for name, handle in fleet.items()} == before, "a read changed an appliance"


def test_an_appliance_that_does_not_answer_or_refuses_the_token_fails_alone(fleet, play, monkeypatch):
    monkeypatch.delenv("BOMGAR_CA_PATH", raising=False)
    port = closed_port()
    url = f"https://127.0.0.1:{port}"
    no_ca = {
        "host": "node1",
        "appliance_url": fleet["node1"].api_url,
        "api_token": "{{ hostvars['node1'].bomgar_api_token }}",
    }
    unchecked = {"host": "node2", "appliance_url": fleet["node2"].api_url, "validate_certs": False}
    unchecked["api_token"] = "{{ hostvars['node2'].bomgar_api_token }}"
    run = play(
        fleet,
        [
            status_task("closed port", [entry("primary"), entry("node1", appliance_url=url), entry("node2")]),
            status_task("wrong token", [entry("primary"), entry("node1"), entry("node2", api_token=WRONG_TOKEN)]),
            status_task("trust", [entry("primary"), no_ca, unchecked]),
        ],
    )
    assert run.rc == 0, run.stdout[-3000:]

    assert run.status("closed port") == "ok"
    result = run.result("closed port")
    assert not result["failed"] and result["changed"] is False, result
    assert result["failed_hosts"] == ["node1"]
    assert list(result["appliances"]) == list(NAMES)
    assert_read(result["appliances"]["primary"], fleet["primary"])
    assert_read(result["appliances"]["node2"], fleet["node2"])
    closed = result["appliances"]["node1"]
    assert closed["failed"] is True and "status" not in closed
    assert f"Cannot reach the appliance at {url}/appliance/api/v1" in closed["msg"]
    assert "appliance_url" in closed["msg"]

    assert run.status("wrong token") == "ok"
    refused = run.result("wrong token")
    assert not refused["failed"] and refused["failed_hosts"] == ["node2"]
    assert_read(refused["appliances"]["primary"], fleet["primary"])
    assert_read(refused["appliances"]["node1"], fleet["node1"])
    answer = refused["appliances"]["node2"]
    assert answer["failed"] is True and "status" not in answer
    assert f"The appliance at {fleet['node2'].api_url}/appliance/api/v1 refused the API token" in answer["msg"]
    assert "api_token" in answer["msg"]
    assert WRONG_TOKEN not in json.dumps(run.results) and WRONG_TOKEN not in run.stdout

    trust = run.result("trust")
    assert not trust["failed"] and trust["failed_hosts"] == ["node1"], trust
    untrusted = trust["appliances"]["node1"]["msg"]
    assert f"The API certificate of the appliance at {fleet['node1'].api_url}" in untrusted
    assert "is not trusted" in untrusted and "ca_path" in untrusted
    assert_read(trust["appliances"]["node2"], fleet["node2"])


def test_entries_the_task_cannot_take_fail_it(fleet, play):
    run = play(
        fleet,
        [
            status_task("duplicate", [entry("primary"), entry("node1"), entry("node1", api_token=WRONG_TOKEN)]),
            status_task("no workers", [entry("primary")], workers=0),
            status_task("no host", [{"appliance_url": "{{ bomgar_appliance_url }}"}]),
        ],
    )
    duplicate = run.result("duplicate")
    assert duplicate["failed"] and duplicate["changed"] is False
    assert "node1 more than once" in duplicate["msg"] and "primary" not in duplicate["msg"]
    assert "appliances" not in duplicate
    workers = run.result("no workers")
    assert workers["failed"] and "workers is 0" in workers["msg"] and "1 or more" in workers["msg"]
    missing = run.result("no host")
    assert missing["failed"] and "required" in missing["msg"] and "host" in missing["msg"], missing["msg"]


def test_environment_fills_what_an_entry_leaves_out(fleet, play, monkeypatch):
    primary = fleet["primary"]
    monkeypatch.setenv("BOMGAR_APPLIANCE_URL", primary.api_url)
    monkeypatch.setenv("BOMGAR_API_TOKEN", primary.token)
    monkeypatch.setenv("BOMGAR_CA_PATH", str(primary.ca_path))
    run = play(
        fleet,
        [
            status_task("only host", [{"host": "primary"}]),
            status_task("token from env", [{"host": "node1", "appliance_url": fleet["node1"].api_url}]),
        ],
        verbosity=3,
    )
    assert run.rc == 0, run.stdout[-3000:]
    only_host = run.result("only host")
    assert not only_host["failed"] and only_host["failed_hosts"] == []
    assert_read(only_host["appliances"]["primary"], primary)
    other_token = run.result("token from env")
    assert other_token["failed_hosts"] == ["node1"], "node1 does not take the primary's token"
    assert "refused the API token" in other_token["appliances"]["node1"]["msg"]
    assert primary.token not in run.stdout and primary.token not in json.dumps(run.results)


def test_an_entry_that_cannot_connect_fails_only_itself(fleet, play, monkeypatch, tmp_path):
    for variable in ("BOMGAR_APPLIANCE_URL", "BOMGAR_API_TOKEN", "BOMGAR_CA_PATH"):
        monkeypatch.delenv(variable, raising=False)
    missing_ca = tmp_path / "missing-ca.pem"
    appliances = [
        entry("primary"),
        {"host": "node1"},
        entry("node2", appliance_url="node2.example.com"),
        entry("other", appliance_url="{{ bomgar_appliance_url }}", api_token="{{ bomgar_api_token }}"),
    ]
    appliances[-1]["ca_path"] = str(missing_ca)
    result = play(fleet, [status_task("status", appliances)]).result("status")
    assert not result["failed"] and result["failed_hosts"] == ["node1", "node2", "other"], result
    assert_read(result["appliances"]["primary"], fleet["primary"])
    messages = {host: answer["msg"] for host, answer in result["appliances"].items() if answer["failed"]}
    assert "No appliance_url and no api_token for appliance node1" in messages["node1"]
    assert "BOMGAR_API_TOKEN" in messages["node1"]
    assert "appliance_url 'node2.example.com' is not an https:// URL" in messages["node2"]
    assert f"ca_path='{missing_ca}' cannot be used" in messages["other"]


def test_check_mode_gives_the_same_answers(fleet, play):
    appliances = [entry(name) for name in NAMES]
    before = {name: api_state(handle) for name, handle in fleet.items()}
    normal = play(fleet, [status_task("status", appliances)]).result("status")
    checked = play(fleet, [status_task("status", appliances)], check=True, diff=True).result("status")
    assert not checked["failed"] and checked["changed"] is False
    assert checked["appliances"] == normal["appliances"] and checked["failed_hosts"] == []
    for name, handle in fleet.items():
        assert_read(checked["appliances"][name], handle)
    assert {name: api_state(handle) for name, handle in fleet.items()} == before


def test_no_token_in_verbose_output(fleet, play):
    port = closed_port()
    appliances = [entry("primary"), entry("node1"), entry("node2", api_token=WRONG_TOKEN)]
    closed = {
        "appliance_url": f"https://127.0.0.1:{port}",
        "api_token": "{{ bomgar_api_token }}",
        "ca_path": "{{ bomgar_ca_path }}",
    }
    appliances.append(entry("closed", **closed))
    run = play(fleet, [status_task("status", appliances)], verbosity=3, diff=True)
    assert run.rc == 0, run.stdout[-3000:]
    assert "task path" in run.stdout.lower(), "the run was not verbose"
    result = run.result("status")
    assert result["failed_hosts"] == ["node2", "closed"]
    args = result["invocation"]["module_args"]["appliances"]
    assert {item["api_token"] for item in args} == {"VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}
    places = {"stdout": run.stdout, "stderr": run.stderr, "recorded results": json.dumps(run.results)}
    secrets = {name: handle.token for name, handle in fleet.items()}
    secrets["wrong token"] = WRONG_TOKEN
    leaks = [
        f"{label} in {place}" for label, token in secrets.items() for place, text in places.items() if token in text
    ]
    assert not leaks, leaks
