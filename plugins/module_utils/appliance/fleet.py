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

from .client import ApplianceError, check_connection_options
from .runner import CONNECTION_ARGUMENT_SPEC, Context, ModuleFailed, failure_result

DEFAULT_WORKERS = 16
ENV_FALLBACKS = {
    "appliance_url": "BOMGAR_APPLIANCE_URL",
    "api_token": "BOMGAR_API_TOKEN",
    "ca_path": "BOMGAR_CA_PATH",
}

# The options of one appliance's connection, in an entry of ``appliances``.
ENTRY_CONNECTION_OPTIONS = {
    "host": {"type": "str", "required": True},
    "appliance_url": {"type": "str"},
    "api_token": {"type": "str", "no_log": True},
    "ca_path": {"type": "path"},
    "validate_certs": {"type": "bool", "default": True},
    "timeout": {"type": "float", "default": 30},
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
    missing = [name for name in ("appliance_url", "api_token") if not params.get(name)]
    if missing:
        raise ModuleFailed(
            f"No {' and no '.join(missing)} for appliance {values['host']}. Set bomgar_appliance_url and "
            "bomgar_api_token in the inventory (or BOMGAR_APPLIANCE_URL and BOMGAR_API_TOKEN)."
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
