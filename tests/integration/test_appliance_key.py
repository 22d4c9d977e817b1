# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.appliance_key through ansible-playbook against a reference appliance."""

from __future__ import annotations

from harness import api_state


def key_task(title, **args):
    return {"name": title, "bomgar.pki.appliance_key": args}


def test_create_is_idempotent_and_check_mode_predicts(appliance, play):
    hosts = {"appliance": appliance}
    before = api_state(appliance)
    check = play(hosts, [key_task("create", name="support-2026", size=4096)], check=True, diff=True)
    assert check.rc == 0, check.stdout
    assert check.result("create")["changed"] is True
    assert api_state(appliance) == before, "check mode wrote to the appliance"

    first = play(hosts, [key_task("create", name="support-2026", size=4096)], diff=True)
    created = first.result("create")
    assert created["changed"] is True
    assert created["type"] == "rsa" and created["size"] == 4096
    assert created["public_key_fingerprint"].count(":") == 31
    assert created["diff"]["before"] == {} and created["diff"]["after"]["name"] == "support-2026"

    again = play(hosts, [key_task("create", name="support-2026", size=4096)])
    assert again.result("create")["changed"] is False
    assert again.result("create")["public_key_fingerprint"] == created["public_key_fingerprint"]


def test_mismatch_fails_with_the_fix_and_changes_nothing(appliance, play):
    hosts = {"appliance": appliance}
    assert play(hosts, [key_task("ec", name="edge", type="ec", curve="P-256")]).rc == 0
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


def test_absent_and_in_use_refusal(appliance, play):
    hosts = {"appliance": appliance}
    assert play(hosts, [key_task("make", name="temp", type="ec")]).rc == 0
    gone = play(hosts, [key_task("remove", name="temp", state="absent")])
    assert gone.result("remove")["changed"] is True
    assert play(hosts, [key_task("remove", name="temp", state="absent")]).result("remove")["changed"] is False
    run = play(hosts, [key_task("default key", name="factory-default", state="absent")])
    result = run.result("default key")
    assert result["failed"] and "cannot be removed" in result["msg"]
