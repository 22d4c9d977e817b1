# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.certificate_plan, directly and through the bomgar.pki.certificate role, against reference appliances.

The module reads several appliances in one task (connection options per entry) and plans each; one
appliance's failure is its own entry, not the task's. The role hands every host's variables to one
``run_once`` plan, prints each host's plan (failing the hosts whose planning failed), ends the role for
the hosts with nothing to do, and binds again the addresses of a certificate that stays when they drifted.
"""

from __future__ import annotations

import json
import socket
from types import SimpleNamespace

import pytest
from harness import api_state, secrets_of
from test_role_certificate import (
    ADDRESSES,
    BIND_TASK,
    NAME,
    ROLE,
    SPEC,
    by_fingerprint,
    local_ca_vars,
    outcome,
    recap,
    run_role,
    served,
)

PLAN = "plan"
PLAN_TASK = "bomgar.pki.certificate : Plan"
FLEET_TASK = "bomgar.pki.certificate : Read the appliances and decide what to do, and why"
OTHER_ADDRESSES = ["127.0.0.4"]
CONNECTION = ("appliance_url", "transport", "api_token", "username", "password", "ca_path")
# The inventory variables of each transport's credentials (what harness.connection_vars writes).
CREDENTIALS = {
    "api": {"api_token": "bomgar_api_token"},
    "web": {"transport": "bomgar_transport", "username": "bomgar_username", "password": "bomgar_password"},
}
PASSPHRASE = "Plan-Passphrase-Kestrel-2718"
WRONG_PASSPHRASE = "Wrong-Passphrase-Heron-3141"


# --- helpers ------------------------------------------------------------------------------------


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def reached_at(url: str, transport: str) -> str:
    """How a message names the appliance at ``url``: its API, or (over web) its address and what follows it."""
    return f"{url}/appliance/api/v1" if transport == "api" else f"{url}:"


def entry(host: str, transport: str, /, **overrides) -> dict:
    """One appliance's entry: the spec, and the connection over ``transport`` from the inventory variables of
    ``host``."""
    hostvars = f"hostvars[{host!r}]"
    credentials = {
        option: "{{ " + f"{hostvars}.{variable}" + " }}" for option, variable in CREDENTIALS[transport].items()
    }
    values = {
        "host": host,
        "appliance_url": "{{ " + hostvars + ".bomgar_appliance_url }}",
        **credentials,
        "ca_path": "{{ " + hostvars + ".bomgar_ca_path }}",
        "name": NAME,
        "subject": SPEC["certificate_subject"],
        "subject_alt_name": SPEC["certificate_subject_alt_name"],
        "ip_addresses": "{{ " + hostvars + ".bomgar_ip_addresses }}",
    }
    return {**values, **overrides}


def run_plan(play, appliances: dict, entries: list, **options):
    """certificate_plan once for the play on ``appliances`` (name -> handle) with ``entries``."""
    task = {"name": PLAN, "bomgar.pki.certificate_plan": {"appliances": entries}, "run_once": True}
    return play(appliances, [task], connection_defaults=False, **options)


def run_role_on(play, appliances: dict, tmp_path, role=None, extra=None, **options):
    """The role (``ROLE`` unless given) on every appliance of ``appliances`` in one play, with the spec."""
    variables = {**SPEC, "certificate_support_bundle_dir": str(tmp_path / "bundles"), **(extra or {})}
    return play(appliances, [role or ROLE], extra_vars=variables, connection_defaults=False, **options)


def two_appliances(appliance_factory) -> dict:
    """Two appliances: ``one`` on ADDRESSES, ``two`` on OTHER_ADDRESSES."""
    return {
        "one": appliance_factory("one", ip_addresses=ADDRESSES),
        "two": appliance_factory("two", ip_addresses=OTHER_ADDRESSES),
    }


def with_wrong_secret(handle, secret: str) -> SimpleNamespace:
    """The inventory view of ``handle`` (what harness.host_vars reads) with another API token and password."""
    return SimpleNamespace(
        api_url=handle.api_url,
        token=secret,
        username=handle.username,
        password=secret,
        ca_path=handle.ca_path,
        ip_addresses=handle.ip_addresses,
        site_port=handle.site_port,
        hostname=handle.hostname,
    )


def unbind(handle, fingerprint: str, address: str) -> None:
    """Return ``address`` to the factory default certificate behind the role's back."""
    cert = by_fingerprint(handle, fingerprint)
    with handle.client() as client:
        answer = client.delete(f"certificates/{cert['id']}/ip-addresses/{address}")
    assert answer.status_code == 204, answer.text


def failed_tasks(run) -> list:
    return [(entry["task"], entry["host"]) for entry in run.results if entry["status"] == "failed"]


# --- the module -----------------------------------------------------------------------------------


def test_module_plans_two_appliances_in_one_task(appliance_factory, play, tmp_path, transport):
    appliances = two_appliances(appliance_factory)
    entries = [entry("one", transport), entry("two", transport)]
    before = {name: api_state(handle) for name, handle in appliances.items()}

    run = run_plan(play, appliances, entries)
    assert run.rc == 0, run.stdout[-4000:]
    result = run.result(PLAN)
    assert result["changed"] is False
    assert result["failed_hosts"] == [] and result["in_place"] == []
    assert sorted(result["appliances"]) == ["one", "two"]
    for host, addresses in (("one", ADDRESSES), ("two", OTHER_ADDRESSES)):
        plan = result["appliances"][host]
        assert plan["failed"] is False
        assert plan["action"] == "issue"
        assert plan["reasons"] == [f"no certificate named '{NAME}' is on the appliance, so one is issued"]
        assert plan["rebind"] is None and plan["current"] is None and "result" not in plan
        assert plan["lines"][0] == f"Issue: {plan['friendly_name']}"
        assert plan["friendly_name"].startswith(f"{NAME} ")
        assert [binding["address"] for binding in plan["previous_bindings"]] == addresses
        assert {binding["serving"] for binding in plan["previous_bindings"]} == {"factory_default"}
    assert {name: api_state(handle) for name, handle in appliances.items()} == before, "the plan changed something"

    converged = run_role(play, appliances["one"], tmp_path)
    assert converged.rc == 0, converged.stdout[-4000:]
    fingerprint = outcome(converged)["sha256_fingerprint"]

    again = run_plan(play, appliances, entries)
    assert again.rc == 0, again.stdout[-4000:]
    result = again.result(PLAN)
    assert result["in_place"] == ["one"] and result["failed_hosts"] == []
    kept = result["appliances"]["one"]
    assert kept["action"] == "none" and kept["rebind"] is None
    assert kept["reasons"][0].startswith("nothing to do:")
    assert kept["current"]["sha256_fingerprint"] == fingerprint
    assert kept["result"]["action"] == "none" and kept["result"]["sha256_fingerprint"] == fingerprint
    assert kept["lines"][0] == f"Keep: {kept['current']['friendly_name']} ({fingerprint})"
    assert result["appliances"]["two"]["action"] == "issue"


def test_module_one_unreachable_appliance_fails_only_its_entry(appliance_factory, play, transport):
    appliances = two_appliances(appliance_factory)
    closed = f"https://127.0.0.1:{free_port()}"

    run = run_plan(play, appliances, [entry("one", transport, appliance_url=closed), entry("two", transport)])
    assert run.rc == 0, run.stdout[-4000:]
    result = run.result(PLAN)
    assert result["failed"] is False
    bad = result["appliances"]["one"]
    assert bad["failed"] is True
    assert f"Cannot reach the appliance at {reached_at(closed, transport)}" in bad["msg"], bad["msg"]
    assert "action" not in bad and "lines" not in bad
    good = result["appliances"]["two"]
    assert good["failed"] is False and good["action"] == "issue"
    assert good["lines"][0] == f"Issue: {good['friendly_name']}"
    assert result["failed_hosts"] == ["one"]
    assert result["in_place"] == []


def test_module_refuses_a_host_given_twice(appliance_factory, play, transport):
    appliances = two_appliances(appliance_factory)
    run = run_plan(play, appliances, [entry("one", transport), entry("two", transport), entry("one", transport)])
    assert run.rc != 0
    result = run.result(PLAN)
    assert result["failed"] is True
    assert result["msg"] == "appliances names one more than once; give each host one entry.", result["msg"]
    assert "appliances" not in result and "failed_hosts" not in result, "nothing is planned"


def test_module_connection_from_the_environment(appliance_factory, play, transport):
    appliances = two_appliances(appliance_factory)
    two = appliances["two"]
    bare = {name: value for name, value in entry("two", transport).items() if name not in CONNECTION}
    if transport == "api":
        credentials = {"BOMGAR_API_TOKEN": two.token}
        chosen, needed = {}, "api_token"
    else:
        credentials = {"BOMGAR_USERNAME": two.username, "BOMGAR_PASSWORD": two.password}
        chosen, needed = {"BOMGAR_TRANSPORT": "web"}, "username and no password"
    environment = {
        "BOMGAR_APPLIANCE_URL": two.api_url,
        **chosen,
        **credentials,
        "BOMGAR_CA_PATH": str(two.ca_path),
    }

    run = run_plan(play, appliances, [bare], env=environment)
    assert run.rc == 0, run.stdout[-4000:]
    plan = run.result(PLAN)["appliances"]["two"]
    assert plan["failed"] is False and plan["action"] == "issue"
    assert [binding["address"] for binding in plan["previous_bindings"]] == OTHER_ADDRESSES

    # The transport stays chosen in the environment; the address and the credentials are gone.
    unset = {**dict.fromkeys(environment, ""), **chosen}
    run = run_plan(play, appliances, [bare, entry("one", transport)], env=unset)
    assert run.rc == 0, run.stdout[-4000:]
    result = run.result(PLAN)
    assert result["failed_hosts"] == ["two"]
    message = result["appliances"]["two"]["msg"]
    assert message.startswith(f"No appliance_url and no {needed} for appliance two."), message
    assert all(variable in message for variable in credentials), message
    assert result["appliances"]["one"]["action"] == "issue"


def test_plan_lines_say_why_a_kept_certificate_is_bound_again(appliance_factory, play, tmp_path, transport):
    appliances = two_appliances(appliance_factory)
    fingerprint = outcome(run_role(play, appliances["one"], tmp_path))["sha256_fingerprint"]
    unbind(appliances["one"], fingerprint, ADDRESSES[1])

    run = run_plan(play, appliances, [entry("one", transport)])
    assert run.rc == 0, run.stdout[-4000:]
    plan = run.result(PLAN)["appliances"]["one"]
    assert plan["action"] == "none"
    assert plan["rebind"] == f"'{plan['current']['friendly_name']}' is bound not on {ADDRESSES[1]}"
    assert any(plan["rebind"] in line for line in plan["lines"]), plan["lines"]
    assert not any("nothing to do" in line for line in plan["lines"]), plan["lines"]
    assert any(line.startswith(f"Binding: it is bound again to {ADDRESSES[0]}") for line in plan["lines"])
    assert plan["result"]["reasons"][-1] == f"but {plan['rebind']}, so its addresses are bound to it again"


# --- the role -------------------------------------------------------------------------------------


def test_role_binds_again_only_the_appliance_whose_binding_drifted(appliance_factory, play, tmp_path):
    appliances = two_appliances(appliance_factory)
    one, two = appliances["one"], appliances["two"]

    first = run_role_on(play, appliances, tmp_path)
    assert first.rc == 0, first.stdout[-4000:]
    issued = {host: outcome(first, host) for host in appliances}
    assert {host: result["action"] for host, result in issued.items()} == {"one": "issue", "two": "issue"}
    fingerprint = issued["one"]["sha256_fingerprint"]
    assert served(one) == {address: [fingerprint] for address in ADDRESSES}

    unbind(one, fingerprint, ADDRESSES[1])
    assert served(one)[ADDRESSES[1]] != [fingerprint]
    untouched = api_state(two)

    second = run_role_on(play, appliances, tmp_path)
    assert second.rc == 0, second.stdout[-4000:]
    fleet = second.result(FLEET_TASK)
    assert fleet["in_place"] == ["two"] and fleet["failed_hosts"] == []
    plan = fleet["appliances"]["one"]
    assert plan["action"] == "none"
    assert plan["rebind"] == f"'{issued['one']['friendly_name']}' is bound not on {ADDRESSES[1]}"
    assert fleet["appliances"]["two"]["rebind"] is None
    lines = second.result(PLAN_TASK, "one")["msg"]
    assert lines == plan["lines"]
    assert lines[0] == f"Keep: {issued['one']['friendly_name']} ({fingerprint})"
    assert lines[-1].startswith(f"Binding: it is bound again to {', '.join(ADDRESSES)};")
    counts = recap(second)
    assert counts["one"]["changed"] > 0 and counts["one"]["failed"] == 0
    assert counts["two"]["changed"] == 0 and counts["two"]["failed"] == 0
    bound = second.result(BIND_TASK, "one")
    assert bound["changed"] is True and not bound["failed"]
    assert not [entry for entry in second.results if entry["task"] == BIND_TASK and entry["host"] == "two"]
    assert served(one) == {address: [fingerprint] for address in ADDRESSES}
    assert sorted(by_fingerprint(one, fingerprint)["ip_addresses"]) == ADDRESSES
    assert outcome(second, "one")["sha256_fingerprint"] == fingerprint
    assert outcome(second, "two")["action"] == "none"
    assert api_state(two) == untouched

    before = {name: api_state(handle) for name, handle in appliances.items()}
    third = run_role_on(play, appliances, tmp_path)
    assert third.rc == 0, third.stdout[-4000:]
    assert {host: counts["changed"] for host, counts in recap(third).items()} == {"one": 0, "two": 0}
    assert sorted(third.result(FLEET_TASK)["in_place"]) == ["one", "two"]
    assert {host: outcome(third, host)["action"] for host in appliances} == {"one": "none", "two": "none"}
    assert {name: api_state(handle) for name, handle in appliances.items()} == before


NO_ADDRESSES_FOR_TWO = {
    "name": "certificate role, no addresses for two",
    "ansible.builtin.include_role": {"name": "bomgar.pki.certificate"},
    "vars": {"certificate_ip_addresses": "{{ [] if inventory_hostname == 'two' else bomgar_ip_addresses }}"},
}


# What the planning of ``two`` fails with, in each case, over each transport.
PLANNING_FAILURES = {
    "wrong_credentials": {
        "api": "refused the API token (HTTP 401)",
        "web": "refused the username and password of its /appliance web interface",
    },
    "no_addresses": dict.fromkeys(
        ("api", "web"), "certificate_ip_addresses is empty; give the addresses of the appliance"
    ),
}


@pytest.mark.parametrize("case", sorted(PLANNING_FAILURES))
def test_role_planning_failure_fails_only_that_host(appliance_factory, play, tmp_path, case, transport):
    appliances = two_appliances(appliance_factory)
    two = appliances["two"]
    message = PLANNING_FAILURES[case][transport]
    before = api_state(two)
    if case == "wrong_credentials":
        wrong = {"one": appliances["one"], "two": with_wrong_secret(two, "not-the-secret")}
        run = run_role_on(play, wrong, tmp_path)
    else:
        run = run_role_on(play, appliances, tmp_path, role=NO_ADDRESSES_FOR_TWO)

    assert run.rc != 0
    assert failed_tasks(run) == [(PLAN_TASK, "two")]
    failure = run.result(PLAN_TASK, "two")
    assert failure["failed"] and message in failure["msg"], failure["msg"]
    if case == "wrong_credentials":
        assert two.api_url in failure["msg"]
    assert run.result(FLEET_TASK)["failed_hosts"] == ["two"]
    counts = recap(run)
    assert counts["two"]["failed"] == 1 and counts["two"]["changed"] == 0
    assert counts["one"]["failed"] == 0 and counts["one"]["changed"] > 0
    result = outcome(run, "one")
    assert result["action"] == "issue"
    assert served(appliances["one"]) == {address: [result["sha256_fingerprint"]] for address in ADDRESSES}
    assert api_state(two) == before


def test_role_check_mode_on_a_converged_appliance(appliance, play, tmp_path):
    converged = run_role(play, appliance, tmp_path)
    assert converged.rc == 0, converged.stdout[-4000:]
    fingerprint = outcome(converged)["sha256_fingerprint"]
    before = api_state(appliance)

    run = run_role(play, appliance, tmp_path, check=True)
    assert run.rc == 0, run.stdout[-4000:]
    counts = recap(run)["appliance"]
    assert counts["changed"] == 0 and counts["failed"] == 0 and counts["ok"] > 0
    result = outcome(run)
    assert result["action"] == "none"
    assert result["sha256_fingerprint"] == fingerprint and result["bundle"] is None
    assert run.result(FLEET_TASK)["in_place"] == ["appliance"]
    lines = run.result(PLAN_TASK)["msg"]
    assert lines[0].startswith("Keep: ") and lines[-1] == "Check mode: nothing is changed."
    assert not [entry for entry in run.results if entry["task"] == BIND_TASK]
    assert api_state(appliance) == before


# --- secrets --------------------------------------------------------------------------------------


def test_no_token_or_passphrase_in_verbose_output(appliance_factory, play, tmp_path, transport):
    appliances = two_appliances(appliance_factory)
    local_ca = {**local_ca_vars(tmp_path), "certificate_local_ca_key_passphrase": "{{ ca_passphrase }}"}
    secrets = {"ca_passphrase": PASSPHRASE, "wrong_passphrase": WRONG_PASSPHRASE}

    role = run_role_on(play, appliances, tmp_path, extra={**local_ca, **secrets}, verbosity=3)
    assert role.rc == 0, role.stdout[-4000:]
    assert "task path" in role.stdout.lower(), "the run was not verbose"
    assert {host: outcome(role, host)["action"] for host in appliances} == {"one": "issue", "two": "issue"}
    assert b"ENCRYPTED" in (tmp_path / "ca" / "issuing.key").read_bytes()

    ca_entry = {
        "provider": "local_ca",
        "local_ca_cert": local_ca["certificate_local_ca_cert"],
        "local_ca_key": local_ca["certificate_local_ca_key"],
    }
    entries = [
        entry("one", transport, **ca_entry, local_ca_key_passphrase="{{ ca_passphrase }}"),
        entry("two", transport, **ca_entry, local_ca_key_passphrase="{{ wrong_passphrase }}"),
    ]
    plan = run_plan(play, appliances, entries, verbosity=3, extra_vars=secrets)
    assert plan.rc == 0, plan.stdout[-4000:]
    result = plan.result(PLAN)
    kept = result["appliances"]["one"]
    assert kept["action"] == "none" and kept["rebind"] is None
    assert kept["new_root"] == kept["current"]["chain"][-1], "the CA key's passphrase was not used"
    refused = result["appliances"]["two"]
    assert refused["failed"] is True and "passphrase" in refused["msg"].lower(), refused["msg"]
    assert result["failed_hosts"] == ["two"]
    # -vvv shows the module's arguments: the tokens (or passwords) and passphrases in them are masked.
    assert plan.stdout.count("VALUE_SPECIFIED_IN_NO_LOG_PARAMETER") >= 4

    fragments = {
        f"secret {number} of {name}": secret
        for name, handle in appliances.items()
        for number, secret in enumerate(secrets_of(handle))
    }
    fragments.update(
        {
            "CA key passphrase": PASSPHRASE,
            "wrong CA key passphrase": WRONG_PASSPHRASE,
        }
    )
    places = {
        f"{label} {place}": text
        for label, run in (("role", role), ("plan", plan))
        for place, text in (
            ("stdout", run.stdout),
            ("stderr", run.stderr),
            ("recorded results", json.dumps(run.results)),
        )
    }
    leaks = [
        f"{what} in {where}" for what, secret in fragments.items() for where, text in places.items() if secret in text
    ]
    assert not leaks, leaks
