# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Many appliances in one task: the connection of each, and a thread pool that reads them side by side.

A module that works on a whole fleet at once (run once for a play) takes one
entry per appliance, each with its own connection options; the environment
variables of the connection options fill what an entry leaves out. Each
appliance's failure is kept in its own entry, so that one unreachable
appliance does not stop the others.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from ..inventory_variables import CONNECTION_VARIABLES as INVENTORY_VARIABLES
from .client import ApplianceError
from .runner import Context, ModuleFailed, failure_result
from .transport import CONNECTION_ARGUMENT_SPEC, check_connection_options, missing_credentials

DEFAULT_WORKERS = 16
# The environment variable that fills each connection option an entry leaves out.
ENV_FALLBACKS = {
    name: option["fallback"][1][0] for name, option in CONNECTION_ARGUMENT_SPEC.items() if option.get("fallback")
}

# The options of one appliance's connection, in an entry of ``appliances``: the module's connection options, none
# of them required in an entry (the environment fills the gaps). An entry may carry an option as null (a role hands
# over every inventory variable, set or not), so the transport's choices are checked once the environment has filled
# the gaps (check_connection_options), not by the argument spec.
ENTRY_CONNECTION_OPTIONS = {
    "host": {"type": "str", "required": True},
    **{
        name: {key: value for key, value in option.items() if key not in ("required", "fallback", "choices")}
        for name, option in CONNECTION_ARGUMENT_SPEC.items()
    },
}


def connection_params(values: dict) -> dict:
    """The connection options of one entry, the environment variables filling what is not given.

    Options no request can be made with (an http:// URL, a token with a line break...) are refused here,
    before anything is sent to that appliance.
    """
    params = {name: values.get(name) for name in CONNECTION_ARGUMENT_SPEC}
    for name, variable in ENV_FALLBACKS.items():
        if params.get(name) in (None, ""):
            params[name] = os.environ.get(variable)
    missing = missing_credentials(params)
    if missing:
        variables = " and ".join(INVENTORY_VARIABLES[name] for name in missing)
        environment = " and ".join(ENV_FALLBACKS[name] for name in missing)
        raise ModuleFailed(
            f"No {' and no '.join(missing)} for appliance {values['host']}. Set {variables} in the inventory "
            f"(or {environment})."
        )
    try:
        check_connection_options(params)
    except ApplianceError as exc:
        raise ModuleFailed(f"Appliance {values['host']}: {exc.message}") from None
    return params


def check_entries(ctx, entries: list, workers: int) -> None:
    """Refuse a host named twice, and a pool of no threads."""
    hosts = [entry["host"] for entry in entries]
    duplicates = sorted({host for host in hosts if hosts.count(host) > 1})
    if duplicates:
        ctx.fail(f"appliances names {', '.join(duplicates)} more than once; give each host one entry.")
    if workers < 1:
        ctx.fail(f"workers is {workers}; give 1 or more.")


def failure(exc) -> dict | None:
    """An entry's failure (``failed``, ``msg``, and the error code and details when there are), or None for a
    failure no module foresees."""
    result = failure_result(exc)
    if result is not None:
        result.pop("changed", None)
    return result


def appliance_context(ctx, values: dict, params: dict) -> Context:
    """A context for one appliance: its connection plus ``params``, with the task's check mode and paths."""
    return Context(
        {**connection_params(values), **params},
        check_mode=ctx.check_mode,
        diff_mode=ctx.diff_mode,
        resolve_path=ctx.resolve_path,
    )


def read_one(ctx, values: dict, read) -> dict:
    """``read(client)`` on one appliance, merged into ``{failed: false}``; or the entry of its failure.

    A failure the modules foresee (the appliance refused, could not be reached, bad input) becomes that
    appliance's entry; the connection is closed either way. The entry's ``timeout`` is a deadline for the whole
    read: an appliance that does not answer is given up on after it, retries included.
    """
    appliance = None
    try:
        appliance = appliance_context(ctx, values, {})
        client = appliance.client()
        # The appliance's timeout bounds its whole read (every request and retry), not each request.
        with client.time_limit(appliance.params.get("timeout")):
            return {"failed": False, **read(client)}
    except Exception as exc:  # pylint: disable=broad-exception-caught
        refused = failure(exc)
        if refused is None:
            raise
        return refused
    finally:
        if appliance is not None:
            appliance.close()


def for_each(entries: list, work, workers: int) -> dict:
    """``{host: work(entry)}`` in the order of ``entries``, ``workers`` appliances at a time."""
    if not entries:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(entries)))) as pool:
        done = list(pool.map(work, entries))
    return dict(zip([entry["host"] for entry in entries], done, strict=True))
