# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The longest lifetime a publicly trusted TLS certificate may have, by the date it is issued.

The CA/Browser Forum Baseline Requirements: 398 days since 1 September 2020,
then, under ballot SC-081, 200 days from 15 March 2026, 100 days from 15 March
2027 and 47 days from 15 March 2029. A private CA is not bound by them, but the
clients that enforce them (browsers) are the ones a site serves.
"""

from __future__ import annotations

import datetime

_UTC = datetime.timezone.utc

# (from, maximum days): each step holds from its date until the next one.
MAXIMUM_LIFETIME_STEPS = (
    (datetime.datetime(2020, 9, 1, tzinfo=_UTC), 398),
    (datetime.datetime(2026, 3, 15, tzinfo=_UTC), 200),
    (datetime.datetime(2027, 3, 15, tzinfo=_UTC), 100),
    (datetime.datetime(2029, 3, 15, tzinfo=_UTC), 47),
)


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=_UTC)


def maximum_lifetime_days(moment: datetime.datetime) -> int:
    """The maximum lifetime in days of a publicly trusted certificate issued at ``moment`` (398 before 2026-03-15)."""
    moment = _aware(moment)
    days = MAXIMUM_LIFETIME_STEPS[0][1]
    for start, maximum in MAXIMUM_LIFETIME_STEPS:
        if moment >= start:
            days = maximum
    return days


def schedule() -> list[dict]:
    """The steps as plain data: ``[{from: 'YYYY-MM-DD', max_days}]``, oldest first."""
    return [{"from": start.strftime("%Y-%m-%d"), "max_days": days} for start, days in MAXIMUM_LIFETIME_STEPS]
