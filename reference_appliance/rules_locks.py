# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run locks: one automation run at a time changes an appliance's certificates.

A lock has a name (``certificates`` for the appliance, also used for a whole
site on its primary), a holder (the run that took it, in words a person can
trace: user, controller, run id) and a lease. Taking a lock the same holder
already has renews its lease; a lock held by another holder is refused with
the holder and since when, until its lease ends. A lease that ended (a run
that was killed, or lost its controller) is taken over by the next run, and
the answer says from whom. Times are the appliance's own clock, so that
controllers with skewed clocks agree.
"""

from __future__ import annotations

import datetime
import re

from .errors import ApplianceError

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAX_HOLDER_LENGTH = 200
MIN_LEASE_SECONDS = 10
MAX_LEASE_SECONDS = 86400


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def check_name(name: str) -> str:
    """The lock's name, or a 422 that says what a name may be."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ApplianceError(
            422,
            "invalid_lock",
            f"Lock name {str(name)[:70]!r} is not valid: use 1 to 64 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (the collection uses 'certificates').",
            {"field": "name"},
        )
    return name


def check_holder(holder: str) -> str:
    """The holder, trimmed; a 422 when it is empty, too long or has control characters."""
    text = holder.strip() if isinstance(holder, str) else ""
    if not text or len(text) > MAX_HOLDER_LENGTH or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ApplianceError(
            422,
            "invalid_lock",
            f"The lock holder must be one line of 1 to {MAX_HOLDER_LENGTH} printable characters that names the "
            "run (for example 'alice@controller run 3f9c'), so that whoever finds the lock can trace it.",
            {"field": "holder"},
        )
    return text


def check_lease(seconds: int) -> int:
    """The lease in seconds, or a 422 naming the range."""
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int)
        or not MIN_LEASE_SECONDS <= seconds <= MAX_LEASE_SECONDS
    ):
        raise ApplianceError(
            422,
            "invalid_lock",
            f"lease_seconds must be a whole number from {MIN_LEASE_SECONDS} to {MAX_LEASE_SECONDS}; a run renews "
            "its lease while it works.",
            {"field": "lease_seconds"},
        )
    return seconds


def view(row: dict, now: datetime.datetime) -> dict:
    """The lock as the API shows it, with whether its lease has ended."""
    return {
        "name": row["name"],
        "holder": row["holder"],
        "acquired_at": row["acquired_at"],
        "renewed_at": row["renewed_at"],
        "expires_at": row["expires_at"],
        "expired": _parse(row["expires_at"]) <= now,
    }


def held_elsewhere(row: dict, now: datetime.datetime) -> ApplianceError:
    """409 for a lock another holder has, naming it, since when and until when."""
    return ApplianceError(
        409,
        "lock_held",
        f"Lock '{row['name']}' is held by {row['holder']} since {row['acquired_at']} (lease until "
        f"{row['expires_at']}): another run is changing this appliance. Wait for it to finish, or, if that run is "
        f"gone, for its lease to end at {row['expires_at']}; the next run then takes the lock over.",
        {"lock": view(row, now)},
    )


def acquire(tx, name: str, holder: str, lease_seconds: int, now: datetime.datetime) -> dict:
    """Take or renew the lock in transaction ``tx``; the lock view plus ``renewed`` and ``taken_over_from``."""
    row = tx.lock(name)
    expires = _iso(now + datetime.timedelta(seconds=lease_seconds))
    stamp = _iso(now)
    taken_over = None
    renewed = False
    if row is not None and row["holder"] == holder:
        renewed = True
        tx.save_lock({**row, "renewed_at": stamp, "expires_at": expires})
    else:
        if row is not None and _parse(row["expires_at"]) > now:
            raise held_elsewhere(row, now)
        if row is not None:
            taken_over = {"holder": row["holder"], "acquired_at": row["acquired_at"], "expired_at": row["expires_at"]}
        tx.save_lock({"name": name, "holder": holder, "acquired_at": stamp, "renewed_at": stamp, "expires_at": expires})
    result = view(tx.lock(name), now)
    result["renewed"] = renewed
    result["taken_over_from"] = taken_over
    return result


def release(tx, name: str, holder: str | None, force: bool, now: datetime.datetime) -> None:
    """Give the lock back: its holder may, anyone once the lease has ended, and ``force`` always (for a run that is
    known to be gone). No lock: nothing to do."""
    if holder is None and not force:
        raise ApplianceError(
            422,
            "invalid_lock",
            "Say who gives the lock back (holder), or force: true to remove another run's lock that is known to be "
            "gone.",
            {"field": "holder"},
        )
    row = tx.lock(name)
    if row is None:
        return
    if not force and row["holder"] != holder and _parse(row["expires_at"]) > now:
        raise held_elsewhere(row, now)
    tx.delete_lock(name)
