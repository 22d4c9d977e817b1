# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.appliance_lock, and the certificate role under another run's lock, through ansible-playbook."""

from __future__ import annotations

import re
import time

RUN_A = "alice@controller run a1"
RUN_B = "bob@awx run b2"
# Over web a lock is a certificate request of this name (docs/web-interface.md).
LOCK_MARKER = re.compile(r"^bomgar\.pki lock (?P<name>\S+) (?P<holder>.+) until (?P<until>\S+)$")
ROLE = {"name": "certificate role", "ansible.builtin.include_role": {"name": "bomgar.pki.certificate"}}
SPEC = {
    "certificate_name": "support.example.com",
    "certificate_subject_alt_name": ["DNS:support.example.com"],
}


def lock_task(title, **args):
    return {"name": title, "bomgar.pki.appliance_lock": args, "ignore_errors": True}


def locks(handle, transport: str) -> list:
    """The locks the appliance holds where the test's transport keeps them: the API's lock store, or, over web, the
    marker certificate requests ``bomgar.pki lock <name> <holder> until <time>`` (docs/web-interface.md), read
    through the API."""
    with handle.client() as client:
        if transport == "api":
            return client.get("locks").json()
        requests = client.get("certificate-requests").json()
        keys = client.get("keys").json()
    markers = [LOCK_MARKER.match(request["friendly_name"]) for request in requests]
    found = [{"name": m["name"], "holder": m["holder"], "expires_at": m["until"]} for m in markers if m]
    # A marker's key goes with it: one left behind is a lock not wholly given back.
    left = [
        key["name"] for key in keys if key["name"].startswith("bomgar.pki lock ") and not key["used_by"]["requests"]
    ]
    return found + [{"name": None, "holder": f"(key left behind) {name}"} for name in left]


def expire(play, handle, holder: str) -> None:
    """A lock left behind by a run that was killed long ago: taken over the test's transport, its lease ended."""
    taken = play({"appliance": handle}, [lock_task("killed run takes", holder=holder, lease=10)])
    assert not taken.result("killed run takes")["failed"], taken.result("killed run takes").get("msg")
    time.sleep(10.5)


def test_take_renew_refuse_and_give_back(appliance, play, transport):
    hosts = {"appliance": appliance}
    run = play(
        hosts,
        [
            lock_task("check", holder=RUN_A) | {"check_mode": True},
            lock_task("take", holder=RUN_A),
            lock_task("renew", holder=RUN_A, lease=600),
            lock_task("other run", holder=RUN_B),
            lock_task("other run waits", holder=RUN_B, wait=3),
            lock_task("other run gives back", holder=RUN_B, state="absent"),
            lock_task("give back", holder=RUN_A, state="absent"),
            lock_task("give back again", holder=RUN_A, state="absent"),
        ],
    )
    assert run.result("check")["lock"] == {} and run.result("check")["changed"] is False
    taken = run.result("take")
    assert taken["failed"] is False and taken["changed"] is False
    assert taken["lock"]["holder"] == RUN_A and taken["lock"]["renewed"] is False
    assert run.result("renew")["lock"]["renewed"] is True
    for title, waited in (("other run", ""), ("other run waits", "after waiting")):
        refused = run.result(title)
        assert refused["failed"] is True
        assert f"{RUN_A} holds lock 'certificates' since {taken['lock']['acquired_at']}" in refused["msg"]
        assert "lease until" in refused["msg"] and "state: absent and force: true" in refused["msg"]
        assert waited in refused["msg"]
    assert run.result("other run gives back")["failed"] is True, "only the holder gives the lock back"
    assert run.result("give back")["released"]["holder"] == RUN_A
    assert run.result("give back again")["released"] is None
    assert locks(appliance, transport) == []


def test_check_mode_reads_and_warns_and_force_removes(appliance, play, transport):
    hosts = {"appliance": appliance}
    play(hosts, [lock_task("take", holder=RUN_A)])
    run = play(hosts, [lock_task("look", holder=RUN_B)], check=True)
    looked = run.result("look")
    assert looked["failed"] is False and looked["lock"]["holder"] == RUN_A
    assert any(RUN_A in warning for warning in looked.get("warnings", []))
    forced = play(hosts, [lock_task("force", holder="admin", state="absent", force=True)]).result("force")
    assert forced["failed"] is False and forced["released"]["holder"] == RUN_A
    assert locks(appliance, transport) == []


def test_bad_options_are_refused_before_the_appliance_is_asked(appliance, play, transport):
    run = play(
        {"appliance": appliance},
        [
            lock_task("short lease", holder=RUN_A, lease=5),
            lock_task("negative wait", holder=RUN_A, wait=-1),
            lock_task("two lines", holder="a\nb"),
        ],
    )
    assert "lease is 5" in run.result("short lease")["msg"]
    assert "wait is -1" in run.result("negative wait")["msg"]
    assert "one line" in run.result("two lines")["msg"]
    assert locks(appliance, transport) == []


def test_a_lock_whose_lease_ended_is_taken_over_with_a_warning(appliance, play, transport):
    expire(play, appliance, "killed run")
    taken = play({"appliance": appliance}, [lock_task("take", holder=RUN_A)]).result("take")
    assert taken["lock"]["taken_over_from"]["holder"] == "killed run"
    assert any("killed run" in warning and "lease ended" in warning for warning in taken["warnings"])


def test_the_certificate_role_stops_under_another_runs_lock_and_gives_its_own_back(
    appliance, play, tmp_path, transport
):
    hosts = {"appliance": appliance}
    extra = {**SPEC, "certificate_support_bundle_dir": str(tmp_path / "bundles")}
    play(hosts, [lock_task("take", holder=RUN_B)])
    blocked = play(hosts, [ROLE], extra_vars=extra, connection_defaults=False)
    assert blocked.rc != 0
    assert "The appliance is locked by another run" in blocked.stdout and RUN_B in blocked.stdout
    assert [lock["holder"] for lock in locks(appliance, transport)] == [RUN_B], "the other run's lock stays"
    with appliance.client() as client:
        assert [c for c in client.get("certificates").json() if not c["factory_default"]] == []

    play(hosts, [lock_task("give back", holder=RUN_B, state="absent")])
    issued = play(hosts, [ROLE], extra_vars=extra, connection_defaults=False)
    assert issued.rc == 0, issued.stdout[-3000:]
    assert locks(appliance, transport) == [], "the role gives its lock back when it is done"
    again = play(hosts, [ROLE], extra_vars=extra, connection_defaults=False)
    assert again.rc == 0 and locks(appliance, transport) == [], "nothing to do: the lock is given back at once"

    # A lock left by a killed run does not stop the next run for longer than its lease.
    expire(play, appliance, "killed run")
    after = play(hosts, [ROLE], extra_vars={**extra, "certificate_force": True}, connection_defaults=False)
    assert after.rc == 0, after.stdout[-3000:]
    assert "killed run" in after.stdout + after.stderr and locks(appliance, transport) == []
