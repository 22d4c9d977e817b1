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
import threading

from ...certificate_decision import find_current
from ...issuance_plan import (
    ACME_APPLIANCE,
    ACME_COLLECTION,
    ACME_CONTROLLER,
    acme_collection_problem,
    acme_mode,
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

try:
    from ...pki import ari
    from ...pki import formats as pki_formats
except ImportError:  # reported through deps.require_cryptography()
    ari = pki_formats = None

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
    "provider": {"type": "str", "choices": ["self_signed", "local_ca", "manual", "acme"], "default": "self_signed"},
    "days": {"type": "int", "default": 397},
    "local_ca_cert": {"type": "path"},
    "local_ca_key": {"type": "path", "no_log": False},
    "local_ca_key_passphrase": {"type": "str", "no_log": True},
    "local_ca_create": {"type": "bool", "default": False},
    "local_ca_common_name": {"type": "str"},
    "manual_request_dir": {"type": "path"},
    "manual_drop_dir": {"type": "path"},
    "acme_mode": {"type": "str", "choices": ["controller", "appliance"], "default": "controller"},
    "acme_directory": {"type": "str"},
    "acme_account_key_src": {"type": "path", "no_log": False},
    "acme_account_key_content": {"type": "str", "no_log": True},
    "acme_contact": {"type": "list", "elements": "str", "default": []},
    "acme_ca_path": {"type": "path"},
    "acme_dns_tasks": {"type": "path"},
    "acme_wait_timeout": {"type": "int", "default": 300},
    "acme_eab_key_id": {"type": "str", "no_log": False},
    "acme_eab_hmac": {"type": "str", "no_log": True},
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


class AcmeDirectories:
    """The ACME directories the appliances name, each read once per task (from any thread), failures kept."""

    def __init__(self):
        self._seen = {}
        self._lock = threading.Lock()

    def read(self, url: str, ca_path: str | None) -> tuple:
        """``(directory, None)``, or ``(None, why it could not be read)``."""
        key = (url, ca_path)
        with self._lock:
            if key not in self._seen:
                try:
                    self._seen[key] = (ari.read_directory(url, ca_path), None)
                except (ari.RenewalInfoError, OSError, ValueError) as exc:
                    self._seen[key] = (None, str(exc))
            return self._seen[key]


def _fingerprint_text(value) -> str:
    return str(value or "").replace(":", "").lower()


def _exported_certificate(ctx, current: dict):
    """The current certificate as a ``cryptography`` object, exported (without its key) from the appliance."""
    body = {"format": "pem", "include_chain": False, "include_private_key": False}
    answer = ctx.client().post(f"certificates/{current['id']}/export", body) or {}
    return pki_formats.certificates(pki_formats.load_bytes(str(answer.get("content") or "").encode("ascii")))[0]


def acme_renewal_info(ctx, info: dict, values: dict, directories: AcmeDirectories) -> dict | None:
    """What the ACME CA says about renewing the current certificate (``{window, reason}``), for the acme provider;
    None for the other providers and when there is no current certificate.

    Controller mode: the CA's renewalInfo (RFC 9773) for the certificate, read with a plain GET when its directory
    offers it. Appliance mode: the ARI window the appliance's own ACME client reports for the certificate it holds.
    A window that cannot be had leaves the lifetime rule to decide, and the reason says why.
    """
    mode = acme_mode(values)
    current = find_current(info.get("certificates") or [], values["name"]) if mode else None
    if current is None:
        return None
    if mode == ACME_APPLIANCE:
        status = (info.get("acme") or {}).get("status") or {}
        same = _fingerprint_text(status.get("certificate_sha256")) == _fingerprint_text(
            current.get("sha256_fingerprint")
        )
        if same and status.get("ari_window"):
            return {"window": status["ari_window"], "reason": None}
        return {"window": None, "reason": "the appliance's ACME client reports no ARI window for it"}
    directory, problem = directories.read(values["acme_directory"], values.get("acme_ca_path"))
    if directory is None:
        ctx.warn(f"The ACME directory could not be read for its renewal information: {problem}.")
        return {"window": None, "reason": f"the CA's directory could not be read ({problem})"}
    if not ari.renewal_info_url(directory):
        return {
            "window": None,
            "reason": "the CA offers no renewal information (ARI): its directory has no renewalInfo",
        }
    try:
        cert = _exported_certificate(ctx, current)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        if failure(exc) is None and not isinstance(exc, (ValueError, IndexError)):
            raise
        return {"window": None, "reason": "the certificate could not be read from the appliance for ARI"}
    window, why = ari.read_window(directory, cert, values.get("acme_ca_path"))
    return {"window": window, "reason": why}


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
    run lock when the task takes one. The appliance's own ACME client is read only for the acme provider's
    appliance mode, the one plan that uses it (one request less per appliance for every other plan)."""
    gather = [part for part in certificate_info.GATHER_CHOICES if part != "acme"]
    if acme_mode(values) == ACME_APPLIANCE:
        gather.append("acme")
    params = {
        "certificates": None,
        "gather": gather,
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


def plan_one(
    task_ctx, values: dict, prefix: str, local_cas: _LocalCAs, collection_problem: str | None = None, directories=None
) -> dict:
    """The entry of one appliance: the plan with its text, or ``failed`` with the message."""
    return plan_and_info(task_ctx, values, prefix, local_cas, collection_problem, directories)[0]


def plan_and_info(
    task_ctx, values: dict, prefix: str, local_cas: _LocalCAs, collection_problem: str | None = None, directories=None
) -> tuple:
    """``(entry, info)``: :func:`plan_one`'s entry, and what was read of the appliance (None when nothing was).

    ``collection_problem`` is why the acme provider's controller mode cannot order on this controller (a collection
    it needs is missing), which fails the appliances that use it before anything is read.
    """
    ctx = taken = info = None
    try:
        problems = check_variables(values, prefix)
        if collection_problem and acme_mode(values) == ACME_CONTROLLER:
            problems.append(collection_problem)
        if problems:
            raise ModuleFailed(" ".join(problems))
        root = local_cas.root_of(values) if values.get("provider") == "local_ca" else None
        info, ctx, taken = read_appliance(task_ctx, values)
        renewal_info = acme_renewal_info(ctx, info, values, directories or AcmeDirectories())
        plan = _plan(task_ctx, info, values, prefix, root, renewal_info)
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


def _plan(task_ctx, info: dict, values: dict, prefix: str, root: str | None, renewal_info: dict | None = None) -> dict:
    """The plan of one appliance read as ``info``, with its text and, for a certificate that stays, its result."""
    plan = build_plan(info, values, root, renewal_info)
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


def run(ctx, find_collection=None) -> dict:
    """Plan every appliance; never changes anything (a local CA to be created is only predicted).

    ``find_collection(name)`` says which release of a collection the controller has (``{version, path}``, or None
    when it has none); the action plugin gives it, so that the acme provider's controller mode fails at once without
    community.crypto. Run as a plain module, that is not checked.
    """
    from ...pki.deps import require_cryptography

    require_cryptography()
    params = ctx.params
    entries = params["appliances"]
    check_entries(ctx, entries, params["workers"])
    # The local CAs are read before the pool starts, so that each is read once; the ACME directories once each too.
    local_cas = prepare_local_cas(ctx, entries)
    directories = AcmeDirectories()
    collection_problem = None
    if find_collection is not None and any(acme_mode(values) == ACME_CONTROLLER for values in entries):
        collection_problem = acme_collection_problem(find_collection(ACME_COLLECTION), params["variable_prefix"])

    def one(values: dict) -> dict:
        return plan_one(ctx, values, params["variable_prefix"], local_cas, collection_problem, directories)

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
    return (
        plan.get("action") != "none"
        or bool(plan.get("rebind"))
        or bool(plan["leftovers"]["requests"])
        or bool((plan.get("acme") or {}).get("configure"))
    )


# The arguments are every appliance's variables, which each appliance's entry of the result already carries as its
# plan: the registered result, which every appliance's tasks read, leaves them out below -vvv.
MODULE_SPEC = ModuleSpec(argument_spec=ARGUMENT_SPEC, run=run, connection=False, invocation_verbosity=3)
