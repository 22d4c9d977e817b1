# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import datetime

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import renewal
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import SpecError

UTC = datetime.timezone.utc
START = datetime.datetime(2026, 1, 1, tzinfo=UTC)
END = START + datetime.timedelta(days=90)


def at(days: float) -> datetime.datetime:
    return START + datetime.timedelta(days=days)


@pytest.mark.parametrize(
    ("now_days", "options", "due", "words"),
    [
        # default: two thirds of 90 days = day 60
        (59.9, {}, False, "two thirds"),
        (60.0, {}, True, "two thirds"),
        (89, {}, True, "due since 2026-03-02"),
        (91, {}, True, "expired on 2026-04-01"),
        # fixed days before the end
        (59, {"renew_before_days": 30}, False, "30 days before expiry"),
        (60, {"renew_before_days": 30}, True, "30 days before expiry"),
        (80, {"renew_before_days": 5}, False, "5 days before expiry"),
        # a window as long as the lifetime falls back to two thirds
        (59, {"renew_before_days": 120}, False, "not shorter than the lifetime"),
        (61, {"renew_before_days": 120}, True, "not shorter than the lifetime"),
        # percentage of lifetime left
        (71, {"renew_before_percent": 20}, False, "20% of the lifetime"),
        (72, {"renew_before_percent": 20}, True, "20% of the lifetime"),
    ],
)
def test_renewal_table(now_days, options, due, words):
    decision = renewal.renewal_decision(START, END, now=at(now_days), **options)
    assert decision.due is due
    assert words in decision.reason
    assert decision.as_dict()["renewal_due"] is due


def test_days_left_and_naive_datetimes():
    naive_start = START.replace(tzinfo=None)
    decision = renewal.renewal_decision(naive_start, END.replace(tzinfo=None), now=at(80).replace(tzinfo=None))
    assert decision.days_left == pytest.approx(10)
    assert decision.as_dict()["renew_at"] == "2026-03-02T00:00:00Z"


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"renew_before_days": 10, "renew_before_percent": 10}, "both given"),
        ({"renew_before_days": -1}, "must not be negative"),
        ({"renew_before_percent": 0}, "between 0 and 100"),
        ({"renew_before_percent": 100}, "between 0 and 100"),
        ({"renew_before_days": "soon"}, "must be a number"),
    ],
)
def test_bad_options(options, words):
    with pytest.raises(SpecError, match=words):
        renewal.renewal_decision(START, END, now=at(1), **options)


def test_certificate_renewal_reads_the_certificate(rsa_key, self_signed):
    cert = self_signed(rsa_key, days=30)
    fresh = renewal.certificate_renewal(cert)
    assert not fresh.due
    later = renewal.certificate_renewal(cert, now=cert.not_valid_after_utc - datetime.timedelta(days=1))
    assert later.due
