# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""When a certificate is due for renewal.

Three ways to say it, one at a time: a number of days before the end, a
percentage of the lifetime left, or (the default) once two thirds of the
lifetime have passed, the point cert-manager and certbot renew at.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from .errors import SpecError

DEFAULT_RENEW_AT_FRACTION = 2 / 3


@dataclass(frozen=True)
class RenewalDecision:
    """Whether renewal is due now, from when, and why, in words."""

    due: bool
    renew_at: datetime.datetime
    not_after: datetime.datetime
    days_left: float
    reason: str

    def as_dict(self) -> dict:
        """JSON-friendly form (ISO 8601 UTC times)."""
        return {
            "renewal_due": self.due,
            "renew_at": _iso(self.renew_at),
            "not_after": _iso(self.not_after),
            "days_left": round(self.days_left, 2),
            "reason": self.reason,
        }


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def parse_time(text) -> datetime.datetime:
    """An ISO 8601 time (``Z`` or an offset; a naive time counts as UTC) as an aware datetime; SpecError otherwise."""
    if isinstance(text, datetime.datetime):
        return _aware(text)
    value = str(text).strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        return _aware(datetime.datetime.fromisoformat(value))
    except ValueError:
        raise SpecError(f"'{text}' is not an ISO 8601 time.", hint="Write it like 2026-11-29T09:50:13Z.") from None


def _number(value, option: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{option} must be a number, got '{value}'.") from None


def check_renewal_options(renew_before_days=None, renew_before_percent=None) -> None:
    """Raise SpecError for a combination or value that cannot be used."""
    renew_before_days = _number(renew_before_days, "renew_before_days")
    renew_before_percent = _number(renew_before_percent, "renew_before_percent")
    if renew_before_days is not None and renew_before_percent is not None:
        raise SpecError(
            "renew_before_days and renew_before_percent were both given.",
            hint="Choose one: a fixed number of days before expiry, or a percentage of the lifetime.",
        )
    if renew_before_days is not None and renew_before_days < 0:
        raise SpecError(f"renew_before_days must not be negative, got {renew_before_days}.")
    if renew_before_percent is not None and not 0 < renew_before_percent < 100:
        raise SpecError(
            f"renew_before_percent must be between 0 and 100 (exclusive), got {renew_before_percent}.",
            hint="E.g. 33 renews when a third of the lifetime is left.",
        )


def renewal_decision(
    not_before: datetime.datetime,
    not_after: datetime.datetime,
    now: datetime.datetime | None = None,
    renew_before_days: float | None = None,
    renew_before_percent: float | None = None,
) -> RenewalDecision:
    """Decide renewal for a validity period ``not_before``..``not_after`` at ``now``."""
    check_renewal_options(renew_before_days, renew_before_percent)
    start, end = _aware(not_before), _aware(not_after)
    current = _aware(now) if now else datetime.datetime.now(datetime.timezone.utc)
    lifetime = end - start
    days_left = (end - current).total_seconds() / 86400
    default_at = start + lifetime * DEFAULT_RENEW_AT_FRACTION
    if renew_before_days is not None:
        window = datetime.timedelta(days=float(renew_before_days))
        if window >= lifetime:
            renew_at = default_at
            rule = (
                f"renew_before_days={renew_before_days} is not shorter than the lifetime "
                f"({lifetime.days} days), so two thirds of the lifetime is used"
            )
        else:
            renew_at = end - window
            rule = f"{renew_before_days} days before expiry"
    elif renew_before_percent is not None:
        renew_at = end - lifetime * (float(renew_before_percent) / 100)
        rule = f"when {renew_before_percent}% of the lifetime is left"
    else:
        renew_at = default_at
        rule = "after two thirds of the lifetime"
    if current >= end:
        return RenewalDecision(True, renew_at, end, days_left, f"expired on {_iso(end)}")
    if current >= renew_at:
        reason = f"renewal due since {_iso(renew_at)} ({rule}); {days_left:.1f} days left"
        return RenewalDecision(True, renew_at, end, days_left, reason)
    reason = f"not due until {_iso(renew_at)} ({rule}); {days_left:.1f} days left"
    return RenewalDecision(False, renew_at, end, days_left, reason)


def certificate_renewal(cert, now=None, renew_before_days=None, renew_before_percent=None) -> RenewalDecision:
    """:func:`renewal_decision` for a ``cryptography`` certificate."""
    return renewal_decision(
        cert.not_valid_before_utc,
        cert.not_valid_after_utc,
        now=now,
        renew_before_days=renew_before_days,
        renew_before_percent=renew_before_percent,
    )
