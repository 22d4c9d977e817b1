# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""appliance_lock: one run at a time changes an appliance's certificates.

The lock lives on the appliance (``/locks/{name}``), not on the controller,
because runs come from different CI jobs, AWX nodes and people. A run takes it
with a lease and a holder that names the run; the same holder taking it again
renews the lease; another run waits for a bounded time (``wait``) or stops at
once, naming the holder and since when. A lease that ended (a run killed while
it held the lock) is taken over, and the result says from whom. The certificate
role and the certificate_plan module take the lock through :func:`acquire` too.
"""

from __future__ import annotations

import time
import urllib.parse

from ..client import ApplianceAPIError
from ..runner import ModuleFailed, ModuleSpec

DEFAULT_NAME = "certificates"
DEFAULT_LEASE = 1800
POLL_SECONDS = 2.0

ARGUMENT_SPEC = {
    "name": {"type": "str", "default": DEFAULT_NAME},
    "holder": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "lease": {"type": "int", "default": DEFAULT_LEASE},
    "wait": {"type": "float", "default": 0},
    "force": {"type": "bool", "default": False},
}


def held_message(lock: dict, waited: float) -> str:
    """Why the lock was not taken: who holds it, since when, until when, and what to do."""
    waited_text = f"after waiting {waited:g} s, " if waited else ""
    return (
        f"The appliance is locked by another run: {lock.get('holder')} holds lock '{lock.get('name')}' since "
        f"{lock.get('acquired_at')} (lease until {lock.get('expires_at')}); {waited_text}nothing was changed. "
        "Let that run finish, or give a wait in seconds to wait for it (the lock's wait option, or the role's "
        "*_lock_wait variable). If that run is gone, its lease ends at the time above and the next run takes the "
        "lock over; to remove it at once, run bomgar.pki.appliance_lock with state: absent and force: true."
    )


def check_options(lease: int, wait: float) -> None:
    """Refuse a lease or a wait the lock cannot use, before the appliance is asked."""
    if not 10 <= int(lease) <= 86400:
        raise ModuleFailed(f"lease is {lease}; give the seconds the lock lasts unless renewed, from 10 to 86400.")
    if wait < 0:
        raise ModuleFailed(f"wait is {wait:g}; give the seconds to wait for another run's lock, 0 or more.")


def acquire(client, name: str, holder: str, lease: int, wait: float, sleep=time.sleep, clock=time.monotonic) -> dict:
    """Take or renew the lock, waiting up to ``wait`` seconds for another run's; the lock as the appliance gives it.

    ModuleFailed names the holder when the lock is still held after the wait.
    """
    check_options(lease, wait)
    started = clock()
    path = f"locks/{urllib.parse.quote(name, safe='')}"
    waited_for = None
    while True:
        try:
            taken = client.put(path, {"holder": holder, "lease_seconds": int(lease)}) or {}
        except ApplianceAPIError as exc:
            if exc.error != "lock_held":
                raise
            waited_for = exc.details.get("lock") or {}
            waited = clock() - started
            if waited + POLL_SECONDS > wait:
                raise ModuleFailed(held_message(waited_for, waited), lock=waited_for) from None
            sleep(POLL_SECONDS)
            continue
        taken["waited"] = round(clock() - started, 1) if waited_for else 0
        taken["waited_for"] = waited_for.get("holder") if waited_for else None
        return taken


def release(client, name: str, holder: str, force: bool = False) -> None:
    """Give the lock back (``force``: whoever holds it); a lock that is not there is given back already."""
    path = f"locks/{urllib.parse.quote(name, safe='')}"
    client.request("DELETE", path, query={"force": "true"} if force else {"holder": holder})


def current(client, name: str) -> dict | None:
    """The lock of this name as the appliance lists it, or None."""
    return next((lock for lock in client.get("locks") or [] if lock.get("name") == name), None)


def run(ctx) -> dict:
    """Take, renew or give back the lock. Locks last one run, so the task never reports a change."""
    params = ctx.params
    client = ctx.client()
    name, holder = params["name"], params["holder"]
    if params["state"] == "absent":
        before = current(client, name)
        if before is not None and not ctx.check_mode:
            release(client, name, holder, params["force"])
        return {"changed": False, "lock": {}, "released": before}
    check_options(params["lease"], params["wait"])
    if ctx.check_mode:
        before = current(client, name)
        if before and before.get("holder") != holder and not before.get("expired"):
            ctx.warn(held_message(before, 0).replace("nothing was changed", "a run now would wait or stop"))
        return {"changed": False, "lock": before or {}}
    lock = acquire(client, name, holder, params["lease"], params["wait"])
    if lock["waited_for"]:
        ctx.warn(f"Waited {lock['waited']:g} s for lock '{name}', which {lock['waited_for']} held.")
    taken = lock.get("taken_over_from")
    if taken:
        ctx.warn(
            f"Took over lock '{name}' from {taken.get('holder')}, whose lease ended at {taken.get('expired_at')} "
            "(that run was stopped or lost its controller): check that it left nothing half done."
        )
    return {"changed": False, "lock": lock}


MODULE_SPEC = ModuleSpec(argument_spec=ARGUMENT_SPEC, run=run)
