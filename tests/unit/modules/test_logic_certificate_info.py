# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks of appliance_certificate_info that need no appliance."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic import certificate_info as info
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import Context, run_logic

FP_DEFAULT = ":".join(["d0"] * 32)
FP_SUPPORT = ":".join(["5a"] * 32)
FP_RENEWED = ":".join(["5b"] * 32)
UTC = datetime.timezone.utc

CERTIFICATES = [
    {"id": "d0d0", "friendly_name": "Factory Default", "sha256_fingerprint": FP_DEFAULT},
    {"id": "5a5a", "friendly_name": "support", "sha256_fingerprint": FP_SUPPORT},
    {"id": "5b5b", "friendly_name": "support", "sha256_fingerprint": FP_RENEWED},
]
REQUESTS = [
    {"id": "req-1", "friendly_name": "support", "status": "completed"},
    {"id": "req-2", "friendly_name": "next year", "status": "pending"},
]


def ids(items):
    return [item["id"] for item in items]


# --- dates and renewal -------------------------------------------------------------


CERT_YEAR = {"not_before": "2026-01-01T00:00:00Z", "not_after": "2027-01-01T00:00:00Z"}


def test_renewal_by_default_after_two_thirds_of_the_lifetime():
    early = info.renewal_fields(CERT_YEAR, now=datetime.datetime(2026, 6, 1, tzinfo=UTC))
    late = info.renewal_fields(CERT_YEAR, now=datetime.datetime(2026, 10, 1, tzinfo=UTC))
    assert early["renewal_due"] is False and late["renewal_due"] is True
    assert early["renew_at"] == late["renew_at"] == "2026-09-01T08:00:00Z"
    assert "two thirds" in early["renewal_reason"]
    assert set(early) == {"days_left", "renewal_due", "renewal_reason", "renew_at"}


def test_renewal_by_days_before_expiry():
    now = datetime.datetime(2026, 12, 10, tzinfo=UTC)
    fields = info.renewal_fields(CERT_YEAR, renew_before_days=30, now=now)
    assert fields["renewal_due"] is True and fields["days_left"] == 22.0
    assert fields["renew_at"] == "2026-12-02T00:00:00Z"
    assert info.renewal_fields(CERT_YEAR, renew_before_days=10, now=now)["renewal_due"] is False


def test_renewal_by_percent_of_the_lifetime_left():
    now = datetime.datetime(2026, 9, 1, tzinfo=UTC)
    assert info.renewal_fields(CERT_YEAR, renew_before_percent=50, now=now)["renewal_due"] is True
    assert info.renewal_fields(CERT_YEAR, renew_before_percent=10, now=now)["renewal_due"] is False


def test_an_expired_certificate_is_due_with_negative_days_left():
    fields = info.renewal_fields(CERT_YEAR, now=datetime.datetime(2027, 1, 11, tzinfo=UTC))
    assert fields["renewal_due"] is True and fields["days_left"] == -10.0 and "expired" in fields["renewal_reason"]


# --- selection ------------------------------------------------------------------


def test_no_selection_means_everything():
    assert info.select(CERTIFICATES, REQUESTS, None) == (CERTIFICATES, REQUESTS, [])


def test_a_friendly_name_selects_every_certificate_and_request_of_that_name():
    certificates, requests, unmatched = info.select(CERTIFICATES, REQUESTS, ["support"])
    assert ids(certificates) == ["5a5a", "5b5b"] and ids(requests) == ["req-1"] and unmatched == []


@pytest.mark.parametrize("ref", [FP_RENEWED, FP_RENEWED.replace(":", ""), FP_RENEWED.replace(":", "").upper(), "5b5b"])
def test_a_fingerprint_in_any_spelling_or_an_id_selects_one_certificate(ref):
    certificates, requests, unmatched = info.select(CERTIFICATES, REQUESTS, [ref])
    assert ids(certificates) == ["5b5b"] and requests == [] and unmatched == []


def test_a_pending_request_alone_is_a_match():
    certificates, requests, unmatched = info.select(CERTIFICATES, REQUESTS, ["next year"])
    assert certificates == [] and ids(requests) == ["req-2"] and unmatched == []


def test_the_appliance_order_is_kept_and_nothing_is_repeated():
    certificates, _requests, _unmatched = info.select(CERTIFICATES, REQUESTS, ["support", FP_DEFAULT, "5a5a"])
    assert ids(certificates) == ["d0d0", "5a5a", "5b5b"]


def test_entries_that_match_nothing_are_reported_with_what_exists():
    _certificates, _requests, unmatched = info.select(CERTIFICATES, REQUESTS, ["support", "suport", "ab" * 32])
    assert unmatched == ["suport", "ab" * 32]
    message = info.unmatched_message(unmatched, CERTIFICATES, REQUESTS)
    assert "'suport'" in message and "'Factory Default'" in message and "'next year' (pending)" in message
    assert "Correct the entry" in message


# --- bindings and what is served ---------------------------------------------------


IP_ADDRESSES = [
    {"address": "127.0.0.2", "certificate_id": "d0d0", "serving": "factory_default"},
    {"address": "127.0.0.3", "certificate_id": "5b5b", "serving": "certificate"},
]


def test_bindings_name_the_certificate_each_address_serves():
    assert info.bindings(IP_ADDRESSES, CERTIFICATES) == [
        {
            "address": "127.0.0.2",
            "certificate_id": "d0d0",
            "friendly_name": "Factory Default",
            "sha256_fingerprint": FP_DEFAULT,
            "serving": "factory_default",
        },
        {
            "address": "127.0.0.3",
            "certificate_id": "5b5b",
            "friendly_name": "support",
            "sha256_fingerprint": FP_RENEWED,
            "serving": "certificate",
        },
    ]


def test_served_entry_matches_on_the_leaf_only():
    assert info.served_entry("127.0.0.3", 443, [FP_RENEWED, FP_DEFAULT], FP_RENEWED)["matches_binding"] is True
    assert info.served_entry("127.0.0.3", 443, [FP_DEFAULT, FP_RENEWED], FP_RENEWED)["matches_binding"] is False
    assert info.served_entry("127.0.0.3", 443, [], None)["matches_binding"] is False


# --- options -------------------------------------------------------------------------


class OfflineContext(Context):
    """A context whose appliance must not be contacted."""

    def client(self):
        raise AssertionError("the appliance was contacted before the options were checked")


@pytest.mark.parametrize(
    ("options", "words"),
    [({"renew_before_percent": 150}, "between 0 and 100"), ({"renew_before_days": -1}, "must not be negative")],
)
def test_renewal_options_are_checked_before_the_appliance_is_contacted(options, words):
    params = {"certificates": None, "gather": list(info.GATHER_CHOICES), "served": False, "site_port": None}
    params.update({"renew_before_days": None, "renew_before_percent": None, **options})
    result = run_logic(info.MODULE_SPEC, OfflineContext(params))
    assert result["failed"] and words in result["msg"]
