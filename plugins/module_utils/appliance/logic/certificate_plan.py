# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""certificate_plan: read every appliance of a play once, and plan its certificate; read-only.

One task for a whole fleet: the appliances are read side by side on a thread
pool (their API, and what each address of a certificate that stays serves over
TLS), and each gets the plan of the bomgar.pki.certificate role: the checks of
its variables, the decision with its reasons, what the later steps need, the
plan as text, and for an appliance with nothing to do the role's result. One
appliance's failure is reported in its own entry and does not stop the others.
"""

from __future__ import annotations

import contextlib

from ...issuance_plan import (
    binding_drift,
    build_plan,
    check_variables,
    hostnames_of,
    kept_result,
    plan_lines,
    served_matches,
)
from ...procedure_rules import site_port
from ..fleet import (
    DEFAULT_WORKERS,
    ENTRY_CONNECTION_OPTIONS,
    appliance_context,
    check_entries,
    failure,
    for_each,
)
from ..runner import Context, ModuleFailed, ModuleSpec
from ..tls_probe import ProbeError, served_fingerprints
from . import certificate_info, local_ca_sign, lock

PROBE_TIMEOUT = 10.0

APPLIANCE_OPTIONS = {
    # The connection, per appliance; the environment variables of the connection options are the fallback.
    **ENTRY_CONNECTION_OPTIONS,
    # The certificate, as the bomgar.pki.certificate role's variables without their prefix; the role's
    # meta/argument_specs.yml declares them, and a test keeps these in agreement with it.
    "name": {"type": "str", "required": True},
    "subject": {"type": "dict", "default": {}},
    "subject_alt_name": {"type": "list", "elements": "str", "required": True},
    "key_type": {"type": "str", "choices": ["rsa", "ec"], "default": "rsa"},
    "key_size": {"type": "int", "choices": [2048, 3072, 4096], "default": 2048},
    "key_curve": {"type": "str", "choices": ["P-256", "P-384"], "default": "P-256", "no_log": False},
    "provider": {"type": "str", "choices": ["self_signed", "local_ca", "manual"], "default": "self_signed"},
    "days": {"type": "int", "default": 397},
    "local_ca_cert": {"type": "path"},
    "local_ca_key": {"type": "path", "no_log": False},
    "local_ca_key_passphrase": {"type": "str", "no_log": True},
    "local_ca_create": {"type": "bool", "default": False},
    "local_ca_common_name": {"type": "str"},
    "manual_request_dir": {"type": "path"},
    "manual_drop_dir": {"type": "path"},
    "ip_addresses": {"type": "list", "elements": "str"},
    "hostnames": {"type": "list", "elements": "str"},
    "site_port": {"type": "int"},
    "renew_before_days": {"type": "int"},
    "renew_before_percent": {"type": "float"},
    "rekey": {"type": "bool", "default": False},
    "force": {"type": "bool", "default": False},
    "keep_previous": {"type": "int", "default": 1},
    "support_bundle_dir": {"type": "path"},
    "now": {"type": "str"},
}

ARGUMENT_SPEC = {
    "appliances": {"type": "list", "elements": "dict", "required": True, "options": APPLIANCE_OPTIONS},
    # The run lock: taken on each appliance before it is read (not in check mode), and given back at once where
    # nothing is to be done; the role gives the others back when it is done with them.
    "lock_holder": {"type": "str"},
    "lock_wait": {"type": "float", "default": 0},
    "lock_lease": {"type": "int", "default": lock.DEFAULT_LEASE},
    "variable_prefix": {"type": "str", "default": ""},
    "workers": {"type": "int", "default": DEFAULT_WORKERS},
}


class _LocalCAs:
    """The local CAs the appliances name, each read once (its root fingerprint), errors included."""

    def __init__(self, ctx):
        self._ctx = ctx
        self._seen = {}

    def root_of(self, values: dict) -> str | None:
        """The root fingerprint of the appliance's local CA; None when it is created later (check mode)."""
        key = (
            values.get("local_ca_cert"),
            values.get("local_ca_key"),
            values.get("local_ca_key_passphrase"),
            bool(values.get("local_ca_create")),
            values.get("local_ca_common_name"),
        )
        if key not in self._seen:
            self._seen[key] = self._read(values)
        outcome = self._seen[key]
        if outcome.get("failed"):
            raise ModuleFailed(outcome["msg"])
        return outcome.get("root_fingerprint")

    def _read(self, values: dict) -> dict:
        params = {
            "ca_cert": values["local_ca_cert"],
            "ca_key": values["local_ca_key"],
            "ca_key_passphrase": values.get("local_ca_key_passphrase"),
            "ca_common_name": values.get("local_ca_common_name"),
            "create": bool(values.get("local_ca_create")),
            "csr": None,
            "chain": None,
            "days": local_ca_sign.ARGUMENT_SPEC["days"]["default"],
        }
        ctx = Context(params, check_mode=True, resolve_path=self._ctx.resolve_path)
        try:
            return local_ca_sign.run(ctx)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            refused = failure(exc)
            if refused is None:
                raise
            return refused


# The name other modules plan with.
LocalCAs = _LocalCAs


def prepare_local_cas(ctx, entries: list) -> _LocalCAs:
    """The local CAs the entries name, each read once before a thread pool starts (errors kept for the entries)."""
    local_cas = _LocalCAs(ctx)
    for values in entries:
        if values.get("provider") == "local_ca" and values.get("local_ca_cert") and values.get("local_ca_key"):
            with contextlib.suppress(ModuleFailed):  # reported in the entries of the appliances that use it
                local_cas.root_of(values)
    return local_cas


def take_lock(task_ctx, ctx) -> dict | None:
    """The run lock on this appliance, taken for ``lock_holder`` (or only looked at in check mode); None without."""
    holder = task_ctx.params.get("lock_holder")
    if not holder:
        return None
    client = ctx.client()
    if task_ctx.check_mode:
        held = lock.current(client, lock.DEFAULT_NAME)
        if held and held.get("holder") != holder and not held.get("expired"):
            ctx.warn(lock.held_message(held, 0).replace("nothing was changed", "a run now would wait or stop"))
        return None
    taken = lock.acquire(client, lock.DEFAULT_NAME, holder, task_ctx.params["lock_lease"], task_ctx.params["lock_wait"])
    if taken.get("waited_for"):
        ctx.warn(f"Waited {taken['waited']:g} s for the appliance's lock, which {taken['waited_for']} held.")
    if taken.get("taken_over_from"):
        previous = taken["taken_over_from"]
        ctx.warn(
            f"Took over the lock of {previous.get('holder')}, whose lease ended at {previous.get('expired_at')}: that "
            "run was stopped before it finished; anything it left half done is cleaned up by this plan."
        )
    return taken


def read_appliance(task_ctx, values: dict) -> tuple:
    """``(info, context, lock)``: what appliance_certificate_info returns for the whole appliance, read under the
    run lock when the task takes one."""
    params = {
        "certificates": None,
        "gather": list(certificate_info.GATHER_CHOICES),
        "renew_before_days": values.get("renew_before_days"),
        "renew_before_percent": values.get("renew_before_percent"),
        "served": False,
        "site_port": values.get("site_port"),
    }
    ctx = appliance_context(task_ctx, values, params)
    try:
        taken = take_lock(task_ctx, ctx)
    except Exception:
        ctx.close()
        raise
    return certificate_info.run(ctx), ctx, taken


def served_drift(current: dict, addresses: list, port: int, hostnames: list) -> str | None:
    """Why an address does not serve ``current`` with its chain over TLS, or None when all do."""
    server_hostname = hostnames[0] if hostnames else None
    for address in addresses:
        try:
            served = served_fingerprints(address, port, server_hostname, PROBE_TIMEOUT)
        except ProbeError as exc:
            return f"{exc}"
        if not served_matches(current, served):
            return f"{address}:{port} serves {', '.join(served) or 'nothing'}, not '{current.get('friendly_name')}'"
    return None


def give_back_early(task_ctx, ctx, taken: dict | None, plan: dict | None) -> dict:
    """Give the lock back at once where this run will not change the appliance (nothing to do, or the plan
    failed); ``{name, holder, release}`` says whether the role must give it back when it is done."""
    holder = task_ctx.params.get("lock_holder")
    newly = bool(taken) and not taken.get("renewed")
    staying = bool(plan) and not plan.get("failed") and _changes(plan)
    if newly and not staying:
        try:
            lock.release(ctx.client(), lock.DEFAULT_NAME, holder)
        except Exception:  # pylint: disable=broad-exception-caught
            ctx.warn(f"Could not give back the lock of {holder}; its lease ends on its own.")
        newly = False
    return {"name": lock.DEFAULT_NAME, "holder": holder, "release": newly}


def plan_one(task_ctx, values: dict, prefix: str, local_cas: _LocalCAs) -> dict:
    """The entry of one appliance: the plan with its text, or ``failed`` with the message."""
    return plan_and_info(task_ctx, values, prefix, local_cas)[0]


def plan_and_info(task_ctx, values: dict, prefix: str, local_cas: _LocalCAs) -> tuple:
    """``(entry, info)``: :func:`plan_one`'s entry, and what was read of the appliance (None when nothing was)."""
    ctx = taken = info = None
    try:
        problems = check_variables(values, prefix)
        if problems:
            raise ModuleFailed(" ".join(problems))
        root = local_cas.root_of(values) if values.get("provider") == "local_ca" else None
        info, ctx, taken = read_appliance(task_ctx, values)
        plan = _plan(task_ctx, info, values, prefix, root)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        plan = failure(exc)
        if plan is None:
            raise
    if ctx is not None:
        plan["lock"] = give_back_early(task_ctx, ctx, taken, plan)
        if ctx.warnings:
            plan["warnings"] = list(ctx.warnings)
        ctx.close()
    return plan, info


def _plan(task_ctx, info: dict, values: dict, prefix: str, root: str | None) -> dict:
    """The plan of one appliance read as ``info``, with its text and, for a certificate that stays, its result."""
    plan = build_plan(info, values, root)
    plan["rebind"] = None
    plan["hostnames"] = hostnames = hostnames_of(values)
    if plan["action"] == "none":
        current = plan["current"]
        drift = binding_drift(current, info, values["ip_addresses"], hostnames)
        if drift is None and not task_ctx.check_mode:
            port = site_port(info.get("status"), values.get("site_port"))
            drift = served_drift(current, values["ip_addresses"], port, hostnames)
        plan["rebind"] = drift
        if drift:
            # The certificate stays, but its addresses are bound to it again: the reasons say both.
            plan["reasons"] = [reason.replace("nothing to do: ", "", 1) for reason in plan["reasons"]]
            plan["reasons"].append(f"but {drift}, so its addresses are bound to it again")
        plan["result"] = kept_result(plan)
    plan["lines"] = plan_lines(plan, values, task_ctx.check_mode, prefix)
    plan["failed"] = False
    return plan


def run(ctx) -> dict:
    """Plan every appliance; never changes anything (a local CA to be created is only predicted)."""
    from ...pki.deps import require_cryptography

    require_cryptography()
    params = ctx.params
    entries = params["appliances"]
    check_entries(ctx, entries, params["workers"])
    # The local CAs are read before the pool starts, so that each is read once.
    local_cas = prepare_local_cas(ctx, entries)

    def one(values: dict) -> dict:
        return plan_one(ctx, values, params["variable_prefix"], local_cas)

    appliances = for_each(entries, one, params["workers"])
    for host, plan in appliances.items():
        for warning in plan.get("warnings", []):
            ctx.warn(f"{host}: {warning}")
    return {
        "changed": False,
        "appliances": appliances,
        "failed_hosts": [host for host, plan in appliances.items() if plan["failed"]],
        "in_place": [host for host, plan in appliances.items() if not plan["failed"] and not _changes(plan)],
    }


def _changes(plan: dict) -> bool:
    """True when the role has something to do on the appliance: a certificate to issue, addresses to bind again,
    or what an interrupted run left to clean up."""
    return plan.get("action") != "none" or bool(plan.get("rebind")) or bool(plan["leftovers"]["requests"])


MODULE_SPEC = ModuleSpec(argument_spec=ARGUMENT_SPEC, run=run, connection=False)
