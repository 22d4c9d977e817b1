# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run locks on the appliance: one run at a time, a lease that ends, renewal by the holder, takeover, release."""

from __future__ import annotations

import datetime
import threading

import pytest
from api_client import ApiHarness

from reference_appliance import rules_locks

RUN_A = "alice@controller run a1"
RUN_B = "bob@awx-node-2 run b2"


@pytest.fixture
def harness(tmp_path):
    made = ApiHarness(tmp_path / "state")
    yield made
    made.close()


def take(harness, holder, lease=60, name="certificates"):
    return harness.api.put(f"/locks/{name}", json={"holder": holder, "lease_seconds": lease})


def test_a_lock_is_taken_renewed_by_its_holder_and_refused_to_another_run(harness):
    first = take(harness, RUN_A)
    assert first.status_code == 200, first.text
    lock = first.json()
    assert lock["holder"] == RUN_A and lock["renewed"] is False and lock["taken_over_from"] is None
    assert lock["expired"] is False

    again = take(harness, RUN_A, lease=120).json()
    assert again["renewed"] is True and again["acquired_at"] == lock["acquired_at"]
    assert again["expires_at"] >= lock["expires_at"]

    refused = take(harness, RUN_B)
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "lock_held"
    assert RUN_A in body["message"] and lock["acquired_at"] in body["message"]
    assert body["details"]["lock"]["holder"] == RUN_A
    assert harness.ok("GET", "/locks") == [{k: v for k, v in again.items() if k not in ("renewed", "taken_over_from")}]


def test_only_the_holder_gives_a_lock_back_unless_forced(harness):
    take(harness, RUN_A)
    refused = harness.api.delete("/locks/certificates", params={"holder": RUN_B})
    assert refused.status_code == 409 and RUN_A in refused.json()["message"]
    assert harness.api.delete("/locks/certificates").status_code == 422
    assert harness.api.delete("/locks/certificates", params={"holder": RUN_A}).status_code == 204
    assert harness.ok("GET", "/locks") == []
    # Giving back a lock that is not there is nothing to do.
    assert harness.api.delete("/locks/certificates", params={"holder": RUN_A}).status_code == 204
    take(harness, RUN_A)
    assert harness.api.delete("/locks/certificates", params={"force": "true"}).status_code == 204
    assert take(harness, RUN_B).status_code == 200


def test_a_lease_that_ended_is_taken_over_and_says_from_whom(harness):
    # A run killed while holding the lock: its lease is made to end in the past.
    with harness.store.transaction() as tx:
        tx.save_lock(
            {
                "name": "certificates",
                "holder": RUN_A,
                "acquired_at": "2026-01-01T00:00:00Z",
                "renewed_at": "2026-01-01T00:00:00Z",
                "expires_at": "2026-01-01T00:30:00Z",
            }
        )
    assert harness.ok("GET", "/locks")[0]["expired"] is True
    taken = take(harness, RUN_B).json()
    assert taken["holder"] == RUN_B
    assert taken["taken_over_from"] == {
        "holder": RUN_A,
        "acquired_at": "2026-01-01T00:00:00Z",
        "expired_at": "2026-01-01T00:30:00Z",
    }


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/locks/Certificates", {"holder": RUN_A}, "name"),
        ("/locks/certificates", {"holder": ""}, "holder"),
        ("/locks/certificates", {"holder": "line\nbreak"}, "holder"),
        ("/locks/certificates", {"holder": "x" * 201}, "holder"),
        ("/locks/certificates", {"holder": RUN_A, "lease_seconds": 5}, "lease_seconds"),
        ("/locks/certificates", {"holder": RUN_A, "lease_seconds": 10**6}, "lease_seconds"),
    ],
)
def test_bad_lock_requests_are_refused_naming_the_field(harness, path, body, field):
    answer = harness.api.put(path, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["details"]["field"] == field
    assert harness.ok("GET", "/locks") == []


def test_of_many_runs_taking_the_lock_at_once_exactly_one_gets_it(harness):
    holders = [f"run {n}" for n in range(12)]
    outcomes = {}
    start = threading.Barrier(len(holders))

    def attempt(holder):
        start.wait()
        outcomes[holder] = take(harness, holder).status_code

    threads = [threading.Thread(target=attempt, args=(holder,)) for holder in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == [200] + [409] * (len(holders) - 1)
    [winner] = [holder for holder, status in outcomes.items() if status == 200]
    assert harness.ok("GET", "/locks")[0]["holder"] == winner


def test_the_lock_survives_a_restart_of_the_appliance(tmp_path):
    first = ApiHarness(tmp_path / "state")
    take(first, RUN_A)
    first.close()
    second = ApiHarness(tmp_path / "state")
    try:
        assert take(second, RUN_B).status_code == 409
    finally:
        second.close()


def test_lease_arithmetic_uses_the_appliance_clock():
    now = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.timezone.utc)
    row = {
        "name": "certificates",
        "holder": RUN_A,
        "acquired_at": "2026-06-01T11:00:00Z",
        "renewed_at": "2026-06-01T11:30:00Z",
        "expires_at": "2026-06-01T12:00:00Z",
    }
    assert rules_locks.view(row, now)["expired"] is True
    assert rules_locks.view(row, now - datetime.timedelta(seconds=1))["expired"] is False
