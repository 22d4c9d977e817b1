# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.appliance_key through ansible-playbook against a reference appliance."""

from __future__ import annotations

from harness import api_state


def key_task(title, **args):
    return {"name": title, "bomgar.pki.appliance_key": args}


def made_by_a_request(title, name, **key):
    """An appliance_csr task whose request makes key ``name`` (over web, the only way a key is made)."""
    request = {"friendly_name": name, "common_name": "Example Support", "subject_alt_name": ["DNS:support.example.com"]}
    return {"name": title, "bomgar.pki.appliance_csr": {**request, **key}}


def refused_over_web(result: dict, *fix: str) -> None:
    """The web transport's refusal of what no page of the appliance does: the problem, the fix, the error code."""
    assert result["failed"] and result["changed"] is False, result
    assert result["error"] == "not_possible_over_web", result
    assert "web interface" in result["msg"] and all(text in result["msg"] for text in fix), result["msg"]


def test_create_is_idempotent_and_check_mode_predicts(appliance, play, transport):
    hosts = {"appliance": appliance}
    before = api_state(appliance)
    check = play(hosts, [key_task("create", name="support-2026", size=4096)], check=True, diff=True)
    assert check.rc == 0, check.stdout
    assert check.result("create")["changed"] is True
    assert api_state(appliance) == before, "check mode wrote to the appliance"

    first = play(hosts, [key_task("create", name="support-2026", size=4096)], diff=True)
    created = first.result("create")
    if transport == "api":
        assert created["changed"] is True
        assert created["diff"]["before"] == {} and created["diff"]["after"]["name"] == "support-2026"
        key = created
    else:
        # No page makes a key alone: refused, naming the way the web makes one, and nothing written.
        refused_over_web(created, "'support-2026'", "appliance_csr", "transport: api")
        assert api_state(appliance) == before
        # The key a request made is the one appliance_key finds and keeps.
        made = play(hosts, [made_by_a_request("request", "support-2026", key_size=4096)]).result("request")
        assert made["changed"] is True and made["key"]["name"] == "support-2026"
        key = made["key"]
    assert key["type"] == "rsa" and key["size"] == 4096
    assert key["public_key_fingerprint"].count(":") == 31

    again = play(hosts, [key_task("create", name="support-2026", size=4096)])
    assert again.result("create")["changed"] is False
    assert again.result("create")["public_key_fingerprint"] == key["public_key_fingerprint"]


def test_mismatch_fails_with_the_fix_and_changes_nothing(appliance, play):
    hosts = {"appliance": appliance}
    # The key is made by a request, so that over web too the appliance shows what kind of key it is.
    assert play(hosts, [made_by_a_request("ec", "edge", key_type="ec", key_curve="P-256")]).rc == 0
    before = api_state(appliance)
    run = play(hosts, [key_task("rsa instead", name="edge", type="rsa", size=2048)])
    assert run.rc != 0
    result = run.result("rsa instead")
    assert result["failed"] and "EC P-256" in result["msg"] and "regenerate: always" in result["msg"]
    assert api_state(appliance) == before


def test_weak_key_is_refused_before_anything_is_written(appliance, play):
    before = api_state(appliance)
    run = play({"appliance": appliance}, [key_task("weak", name="weak", size=1024)])
    result = run.result("weak")
    assert result["failed"] and "1024" in result["msg"] and "2048" in result["msg"]
    assert api_state(appliance) == before


def test_absent_and_in_use_refusal(appliance, play, transport):
    hosts = {"appliance": appliance}
    if transport == "api":
        assert play(hosts, [key_task("make", name="temp", type="ec")]).rc == 0
        gone = play(hosts, [key_task("remove", name="temp", state="absent")])
        assert gone.result("remove")["changed"] is True
    else:
        # A key nothing uses (made through the API): no page deletes a key alone, so over web it is kept.
        with appliance.client() as client:
            assert client.post("keys", json={"name": "temp", "type": "ec"}).status_code == 201
        before = api_state(appliance)
        kept = play(hosts, [{**key_task("remove", name="temp", state="absent"), "ignore_errors": True}])
        refused_over_web(kept.result("remove"), "'temp'", "used by no request or certificate", "transport: api")
        assert api_state(appliance) == before
        with appliance.client() as client:
            ident = next(key["id"] for key in client.get("keys").json() if key["name"] == "temp")
            assert client.delete(f"keys/{ident}").status_code == 204
    assert play(hosts, [key_task("remove", name="temp", state="absent")]).result("remove")["changed"] is False
    in_use = play(hosts, [made_by_a_request("request", "in use", key_type="ec")])
    assert in_use.rc == 0
    before = api_state(appliance)
    run = play(hosts, [key_task("used key", name="in use", state="absent")])
    result = run.result("used key")
    assert result["failed"] and "cannot be removed" in result["msg"] and "request" in result["msg"]
    assert api_state(appliance) == before
    run = play(hosts, [key_task("default key", name="factory-default", state="absent")])
    result = run.result("default key")
    assert result["failed"] and "cannot be removed" in result["msg"]
