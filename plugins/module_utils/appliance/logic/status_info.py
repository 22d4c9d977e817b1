# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""appliance_status_info: Status > Basics of many appliances, read side by side; read-only.

One task for a site or a fleet (run once): each appliance's answer, or why it
did not answer, in its own entry. The task itself fails only when the
appliances are not given as it needs them.
"""

from __future__ import annotations

from ..fleet import DEFAULT_WORKERS, ENTRY_CONNECTION_OPTIONS, check_entries, for_each, read_one
from ..runner import ModuleSpec

ARGUMENT_SPEC = {
    "appliances": {"type": "list", "elements": "dict", "required": True, "options": dict(ENTRY_CONNECTION_OPTIONS)},
    "workers": {"type": "int", "default": DEFAULT_WORKERS},
}


def read_status(ctx, values: dict) -> dict:
    """``{failed: false, status}`` of one appliance, or ``{failed: true, msg}``."""
    return read_one(ctx, values, lambda client: {"status": client.get("status/basics") or {}})


def run(ctx) -> dict:
    """Read every appliance's Status > Basics; never changes anything."""
    entries = ctx.params["appliances"]
    check_entries(ctx, entries, ctx.params["workers"])
    appliances = for_each(entries, lambda values: read_status(ctx, values), ctx.params["workers"])
    return {
        "changed": False,
        "appliances": appliances,
        "failed_hosts": [host for host, answer in appliances.items() if answer["failed"]],
    }


MODULE_SPEC = ModuleSpec(argument_spec=ARGUMENT_SPEC, run=run, connection=False)
