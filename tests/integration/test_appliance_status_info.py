# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.appliance_status_info through ansible-playbook against a fleet of reference appliances.

One task, run once for the play, reads Status > Basics of every appliance of a
fleet of three; an appliance that does not answer or refuses the token is
reported in its own entry while the others are read, and the task fails only
for entries it cannot take (a host given twice, no workers). The entries reach
the appliances over the test's transport: the API with its token, or the web
interface with its admin username and password.
"""

from __future__ import annotations

import json
import socket

import pytest
from harness import api_state, secrets_of

NAMES = ("primary", "node1", "node2")
WRONG_TOKEN = "wrong-token-0f3a9c1d77e24b58"
# The inventory variables of each transport's credentials (what harness.connection_vars writes), and the option
# that holds the secret.
CREDENTIALS = {
    "api": {"api_token": "bomgar_api_token"},
    "web": {"transport": "bomgar_transport", "username": "bomgar_username", "password": "bomgar_password"},
}
SECRET = {"api": "api_token", "web": "password"}


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


def credentials(transport: str, name: str | None = None) -> dict:
    """The credentials over ``transport`` from the host vars of inventory host ``name`` (the task's host if None)."""
    source = f"hostvars['{name}']." if name else ""
    return {option: f"{{{{ {source}{variable} }}}}" for option, variable in CREDENTIALS[transport].items()}


def entry(name: str, transport: str, /, **overrides) -> dict:
    """One entry of ``appliances``: the connection of inventory host ``name`` over ``transport``, from its host vars."""
    values = {
        "host": name,
        "appliance_url": f"{{{{ hostvars['{name}'].bomgar_appliance_url }}}}",
        **credentials(transport, name),
        "ca_path": f"{{{{ hostvars['{name}'].bomgar_ca_path }}}}",
    }
    values.update(overrides)
    return values


def wrong_secret(transport: str) -> dict:
    """An entry's override: a token (or password) the appliance refuses."""
    return {SECRET[transport]: WRONG_TOKEN}


def refusal(url: str, transport: str) -> tuple:
    """What the message of an appliance at ``url`` that refuses the credentials starts with, and the options it
    names."""
    if transport == "api":
        return f"The appliance at {url}/appliance/api/v1 refused the API token", ("api_token",)
    return (
        f"The appliance at {url} refused the username and password of its /appliance web interface",
        ("bomgar_username", "bomgar_password"),
    )


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


def test_reads_every_appliance_in_one_task(fleet, play, transport):
    before = {name: api_state(handle) for name, handle in fleet.items()}
    run = play(
        fleet,
        [
            status_task("status", [entry(name, transport) for name in NAMES]),
            status_task("one worker", [entry(name, transport) for name in NAMES], workers=1),
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


def test_an_appliance_that_does_not_answer_or_refuses_the_token_fails_alone(fleet, play, monkeypatch, transport):
    monkeypatch.delenv("BOMGAR_CA_PATH", raising=False)
    port = closed_port()
    url = f"https://127.0.0.1:{port}"
    no_ca = {"host": "node1", "appliance_url": fleet["node1"].api_url, **credentials(transport, "node1")}
    unchecked = {"host": "node2", "appliance_url": fleet["node2"].api_url, "validate_certs": False}
    unchecked.update(credentials(transport, "node2"))
    primary = entry("primary", transport)
    run = play(
        fleet,
        [
            status_task(
                "closed port", [primary, entry("node1", transport, appliance_url=url), entry("node2", transport)]
            ),
            status_task(
                "wrong token",
                [primary, entry("node1", transport), entry("node2", transport, **wrong_secret(transport))],
            ),
            status_task("trust", [primary, no_ca, unchecked]),
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
    reached = f"{url}/appliance/api/v1" if transport == "api" else f"{url}:"
    assert f"Cannot reach the appliance at {reached}" in closed["msg"], closed["msg"]
    assert "appliance_url" in closed["msg"]

    assert run.status("wrong token") == "ok"
    refused = run.result("wrong token")
    assert not refused["failed"] and refused["failed_hosts"] == ["node2"]
    assert_read(refused["appliances"]["primary"], fleet["primary"])
    assert_read(refused["appliances"]["node1"], fleet["node1"])
    answer = refused["appliances"]["node2"]
    assert answer["failed"] is True and "status" not in answer
    said, options = refusal(fleet["node2"].api_url, transport)
    assert answer["msg"].startswith(said), answer["msg"]
    assert all(option in answer["msg"] for option in options), answer["msg"]
    assert WRONG_TOKEN not in json.dumps(run.results) and WRONG_TOKEN not in run.stdout

    trust = run.result("trust")
    assert not trust["failed"] and trust["failed_hosts"] == ["node1"], trust
    untrusted = trust["appliances"]["node1"]["msg"]
    certificate = "API certificate" if transport == "api" else "HTTPS certificate"
    assert f"The {certificate} of the appliance at {fleet['node1'].api_url}" in untrusted, untrusted
    assert "is not trusted" in untrusted and "ca_path" in untrusted
    assert_read(trust["appliances"]["node2"], fleet["node2"])


def test_entries_the_task_cannot_take_fail_it(fleet, play, transport):
    duplicate = [entry("primary", transport), entry("node1", transport)]
    duplicate.append(entry("node1", transport, **wrong_secret(transport)))
    run = play(
        fleet,
        [
            status_task("duplicate", duplicate),
            status_task("no workers", [entry("primary", transport)], workers=0),
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


def test_environment_fills_what_an_entry_leaves_out(fleet, play, monkeypatch, transport):
    primary = fleet["primary"]
    monkeypatch.setenv("BOMGAR_APPLIANCE_URL", primary.api_url)
    if transport == "api":
        monkeypatch.setenv("BOMGAR_API_TOKEN", primary.token)
    else:
        monkeypatch.setenv("BOMGAR_TRANSPORT", "web")
        monkeypatch.setenv("BOMGAR_USERNAME", primary.username)
        monkeypatch.setenv("BOMGAR_PASSWORD", primary.password)
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
    assert other_token["failed_hosts"] == ["node1"], "node1 does not take the primary's token (or password)"
    said, _options = refusal(fleet["node1"].api_url, transport)
    assert other_token["appliances"]["node1"]["msg"].startswith(said), other_token["appliances"]["node1"]["msg"]
    for secret in secrets_of(primary):
        assert secret not in run.stdout and secret not in json.dumps(run.results)


def test_an_entry_that_cannot_connect_fails_only_itself(fleet, play, monkeypatch, tmp_path, transport):
    variables = ("APPLIANCE_URL", "TRANSPORT", "API_TOKEN", "USERNAME", "PASSWORD", "CA_PATH")
    for variable in variables:
        monkeypatch.delenv(f"BOMGAR_{variable}", raising=False)
    missing_ca = tmp_path / "missing-ca.pem"
    # node1 names its transport (over web) and nothing else.
    chosen = {"transport": "{{ hostvars['node1'].bomgar_transport }}"} if transport == "web" else {}
    appliances = [
        entry("primary", transport),
        {"host": "node1", **chosen},
        entry("node2", transport, appliance_url="node2.example.com"),
        entry("other", transport, appliance_url="{{ bomgar_appliance_url }}", **credentials(transport)),
    ]
    appliances[-1]["ca_path"] = str(missing_ca)
    result = play(fleet, [status_task("status", appliances)]).result("status")
    assert not result["failed"] and result["failed_hosts"] == ["node1", "node2", "other"], result
    assert_read(result["appliances"]["primary"], fleet["primary"])
    messages = {host: answer["msg"] for host, answer in result["appliances"].items() if answer["failed"]}
    if transport == "api":
        assert "No appliance_url and no api_token for appliance node1" in messages["node1"]
        assert "BOMGAR_API_TOKEN" in messages["node1"]
    else:
        assert "No appliance_url and no username and no password for appliance node1" in messages["node1"]
        assert "BOMGAR_USERNAME and BOMGAR_PASSWORD" in messages["node1"]
    assert "appliance_url 'node2.example.com' is not an https:// URL" in messages["node2"]
    assert f"ca_path='{missing_ca}' cannot be used" in messages["other"]


def test_check_mode_gives_the_same_answers(fleet, play, transport):
    appliances = [entry(name, transport) for name in NAMES]
    before = {name: api_state(handle) for name, handle in fleet.items()}
    normal = play(fleet, [status_task("status", appliances)]).result("status")
    checked = play(fleet, [status_task("status", appliances)], check=True, diff=True).result("status")
    assert not checked["failed"] and checked["changed"] is False
    assert checked["appliances"] == normal["appliances"] and checked["failed_hosts"] == []
    for name, handle in fleet.items():
        assert_read(checked["appliances"][name], handle)
    assert {name: api_state(handle) for name, handle in fleet.items()} == before


def test_no_token_in_verbose_output(fleet, play, transport):
    port = closed_port()
    appliances = [entry("primary", transport), entry("node1", transport)]
    appliances.append(entry("node2", transport, **wrong_secret(transport)))
    closed = {
        "appliance_url": f"https://127.0.0.1:{port}",
        **credentials(transport),
        "ca_path": "{{ bomgar_ca_path }}",
    }
    appliances.append(entry("closed", transport, **closed))
    run = play(fleet, [status_task("status", appliances)], verbosity=3, diff=True)
    assert run.rc == 0, run.stdout[-3000:]
    assert "task path" in run.stdout.lower(), "the run was not verbose"
    result = run.result("status")
    assert result["failed_hosts"] == ["node2", "closed"]
    args = result["invocation"]["module_args"]["appliances"]
    assert {item[SECRET[transport]] for item in args} == {"VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}
    places = {"stdout": run.stdout, "stderr": run.stderr, "recorded results": json.dumps(run.results)}
    secrets = {
        f"secret {number} of {name}": secret
        for name, handle in fleet.items()
        for number, secret in enumerate(secrets_of(handle))
    }
    secrets["wrong token"] = WRONG_TOKEN
    leaks = [
        f"{label} in {place}" for label, token in secrets.items() for place, text in places.items() if token in text
    ]
    assert not leaks, leaks
