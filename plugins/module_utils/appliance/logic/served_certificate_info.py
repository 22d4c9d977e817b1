# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""served_certificate_info: what every address of many hosts serves over TLS, and what that means; read-only.

One task for a whole fleet (run once). Every host is asked over TLS, on each
of its addresses with each of its hostnames as SNI, what it serves; the chain
is read without trusting it, then verified against a CA bundle (the system's,
or the user's) for that hostname. A host with an API connection is also read
through it: what is bound to each address, whether the software trusts the
root, and, when the host has the certificate role's variables, what that role
would do (certificate_plan's plan, as in check mode). Every TLS handshake and
every API read runs side by side on one thread pool. A host that does not
answer is an entry with its error, never a failure of the task.
"""

from __future__ import annotations

import datetime
import itertools
from concurrent.futures import ThreadPoolExecutor

from ...pki.fingerprints import fingerprint_or_none
from ...procedure_rules import site_port
from ...report import status as report_status
from ..fleet import ENTRY_CONNECTION_OPTIONS, appliance_context, check_entries, failure
from ..runner import Context, ModuleFailed, ModuleSpec
from ..tls_probe import ProbeError, probe
from ..transport import missing_credentials
from . import certificate_info, certificate_plan

try:
    from ...pki.errors import PKIError
    from ...pki.hostnames import ip_address_or_none
    from ...pki.renewal import check_renewal_options, parse_time
    from ...pki.served import served_facts
    from ...pki.trust import load_trust_store
except ImportError:  # the core needs cryptography; reported by deps.require_cryptography()
    PKIError = ()
    ip_address_or_none = check_renewal_options = parse_time = served_facts = load_trust_store = None

DEFAULT_WORKERS = 32
DEFAULT_PROBE_TIMEOUT = 10.0
VARIABLE_PREFIX = "certificate_"

# The certificate role's variables without their prefix, as certificate_plan takes them; here none is required,
# since a host that leaves one out gets its plan's failure, not the task's.
CERTIFICATE_OPTIONS = {
    name: {key: value for key, value in option.items() if key != "required"}
    for name, option in certificate_plan.APPLIANCE_OPTIONS.items()
    if name not in ENTRY_CONNECTION_OPTIONS
}

HOST_OPTIONS = {
    **ENTRY_CONNECTION_OPTIONS,
    "site": {"type": "str"},
    "addresses": {"type": "list", "elements": "str", "default": []},
    "hostnames": {"type": "list", "elements": "str", "default": []},
    "port": {"type": "int"},
    "certificate": {"type": "dict", "options": CERTIFICATE_OPTIONS},
}

ARGUMENT_SPEC = {
    "hosts": {"type": "list", "elements": "dict", "required": True, "options": HOST_OPTIONS},
    "ca_bundle": {"type": "path"},
    "now": {"type": "str"},
    "renew_before_days": {"type": "int"},
    "renew_before_percent": {"type": "float"},
    "probe_timeout": {"type": "float", "default": DEFAULT_PROBE_TIMEOUT},
    "workers": {"type": "int", "default": DEFAULT_WORKERS},
}

_STATUS_FIELDS = ("hostname", "site_hostname", "role", "software_version", "appliance_id", "site_port")
_CERTIFICATE_FIELDS = (
    "id",
    "friendly_name",
    "sha256_fingerprint",
    "role",
    "factory_default",
    "not_before",
    "not_after",
    "chain_status",
    "ip_addresses",
    "renewal_due",
    "renew_at",
    "root_fingerprint",
    "software_update_required",
)
_PLAN_FIELDS = (
    "failed",
    "msg",
    "action",
    "reasons",
    "lines",
    "friendly_name",
    "software_update",
    "rebind",
    "warnings",
)


# --- where to connect ---------------------------------------------------------------------------------------


def has_api(values: dict) -> bool:
    """Whether the host was given a connection to the appliance: its URL and its transport's credentials."""
    return not missing_credentials(values)


def targets(values: dict, port: int) -> list:
    """``[(connect_to, address, hostname, port)]``: each address with each hostname as SNI (none without hostnames);
    without addresses, each hostname itself; with neither, the host's own name."""
    addresses = list(dict.fromkeys(values.get("addresses") or []))
    hostnames = list(dict.fromkeys(values.get("hostnames") or []))
    if addresses:
        pairs = itertools.product(addresses, hostnames or [None])
        return [(address, address, hostname, port) for address, hostname in pairs]
    if hostnames:
        return [(hostname, None, hostname, port) for hostname in hostnames]
    host = values["host"]
    if ip_address_or_none(host) is not None:
        return [(host, host, None, port)]
    return [(host, None, host, port)]


# --- one handshake ------------------------------------------------------------------------------------------


def probe_endpoint(target: tuple, trust, moment, names: list, renewal: dict, timeout: float) -> dict:
    """One endpoint: what a handshake showed and what it means; the error when there was no handshake."""
    connect, address, hostname, port = target
    endpoint = {"address": address, "hostname": hostname, "port": port, "connect": connect, "error": None}
    sni = hostname if hostname and ip_address_or_none(hostname) is None else None
    try:
        served = probe(connect, port, sni, timeout)
    except ProbeError as exc:
        endpoint["error"] = str(exc)
        return endpoint
    endpoint["tls"] = {"version": served.version, "cipher": served.cipher, "bits": served.cipher_bits}
    try:
        endpoint.update(served_facts(served.chain, trust, moment, hostname, names, **renewal))
    except PKIError as exc:
        endpoint["error"] = f"{connect}:{port} served a chain that cannot be read: {exc}"
    return endpoint


# --- the API ------------------------------------------------------------------------------------------------


def certificate_values(host: dict, port: int | None, moment_text: str) -> dict:
    """The certificate role's variables of a host, as certificate_plan takes an entry: connection included, the
    addresses and site port of the host where the variables leave them out, the report's time as ``now``."""
    values = {key: value for key, value in (host.get("certificate") or {}).items() if value is not None}
    values.update({name: host.get(name) for name in ENTRY_CONNECTION_OPTIONS})
    values.setdefault("ip_addresses", list(host.get("addresses") or []))
    if port:
        values.setdefault("site_port", port)
    values.setdefault("now", moment_text)
    missing = [VARIABLE_PREFIX + name for name in ("name", "subject_alt_name") if not values.get(name)]
    if missing:
        raise ModuleFailed(f"{' and '.join(missing)} not set; give them, or none of the certificate_* variables.")
    return values


def read_api(task_ctx, host: dict, local_cas, renewal: dict, moment_text: str) -> dict:
    """What the appliance's API says (Status > Basics, certificates, bindings) and the certificate role's plan."""
    if host.get("certificate"):
        plan_ctx = Context(task_ctx.params, check_mode=True, resolve_path=task_ctx.resolve_path)
        try:
            values = certificate_values(host, host.get("port"), moment_text)
        except ModuleFailed as exc:
            return {**_read_plain(task_ctx, host, renewal), "plan": {"failed": True, "msg": exc.msg}}
        plan, info = certificate_plan.plan_and_info(plan_ctx, values, VARIABLE_PREFIX, local_cas)
        if info is None:
            # Planning stopped before the appliance was read (variables that do not fit together, a local CA that
            # cannot be read, or the API itself): the appliance is read all the same, and says which it was.
            return {**_read_plain(task_ctx, host, renewal), "plan": _plan_summary(plan)}
        return {**_api_summary(info), "plan": _plan_summary(plan)}
    return {**_read_plain(task_ctx, host, renewal), "plan": None}


def _read_plain(task_ctx, host: dict, renewal: dict) -> dict:
    params = {
        "certificates": None,
        "gather": ["certificates", "bindings"],
        "renew_before_days": renewal.get("renew_before_days"),
        "renew_before_percent": renewal.get("renew_before_percent"),
        "served": False,
        "site_port": None,
    }
    ctx = None
    try:
        ctx = appliance_context(task_ctx, host, params)
        return _api_summary(certificate_info.run(ctx))
    except Exception as exc:  # pylint: disable=broad-exception-caught
        refused = failure(exc)
        if refused is None:
            raise
        return {"error": refused["msg"]}
    finally:
        if ctx is not None:
            ctx.close()


def _api_summary(info: dict) -> dict:
    status = info.get("status") or {}
    return {
        "error": None,
        "appliance": {name: status.get(name) for name in _STATUS_FIELDS},
        "trusted_root_fingerprints": list(status.get("trusted_root_fingerprints") or []),
        "bindings": [
            {key: binding.get(key) for key in ("address", "friendly_name", "sha256_fingerprint", "serving")}
            for binding in info.get("bindings") or []
        ],
        "certificates": [
            {name: cert.get(name) for name in _CERTIFICATE_FIELDS}
            for cert in info.get("certificates") or []
            if cert.get("role") in (None, "server")
        ],
    }


def _plan_summary(plan: dict) -> dict:
    summary = {name: plan.get(name) for name in _PLAN_FIELDS}
    summary["failed"] = bool(plan.get("failed"))
    summary["warnings"] = list(plan.get("warnings") or [])
    return summary


# --- one host, put together ---------------------------------------------------------------------------------


def _bound(endpoint: dict, api: dict | None) -> dict | None:
    """The certificate the appliance binds to the endpoint's address, and whether it is the one served."""
    if not api or api.get("error") or not endpoint.get("address"):
        return None
    binding = next((b for b in api.get("bindings") or [] if b.get("address") == endpoint["address"]), None)
    if binding is None:
        return None
    served = (endpoint.get("certificate") or {}).get("sha256_fingerprint")
    bound = fingerprint_or_none(binding.get("sha256_fingerprint"))
    return {
        "friendly_name": binding.get("friendly_name"),
        "sha256_fingerprint": bound,
        "serving": binding.get("serving"),
        "matches": None if served is None else served == bound,
    }


def _on_appliance(endpoint: dict, api: dict | None) -> dict:
    """The root and the software rebuild of the served certificate, as the appliance's API reports them."""
    served = (endpoint.get("certificate") or {}).get("sha256_fingerprint")
    if not api or api.get("error") or not served:
        return {"root_fingerprint": None, "software_update_required": None, "friendly_name": None}
    cert = next((c for c in api.get("certificates") or [] if c.get("sha256_fingerprint") == served), None)
    if cert is None:
        return {"root_fingerprint": None, "software_update_required": None, "friendly_name": None}
    return {
        "root_fingerprint": cert.get("root_fingerprint"),
        "software_update_required": cert.get("software_update_required"),
        "friendly_name": cert.get("friendly_name"),
    }


def assemble(host: dict, port: int, endpoints: list, api: dict | None) -> dict:
    """The entry of one host: its endpoints with their status and problems, its API facts, its own problems."""
    plan = (api or {}).get("plan")
    for endpoint in endpoints:
        endpoint["bound"] = _bound(endpoint, api)
        on_appliance = _on_appliance(endpoint, api)
        endpoint["root_fingerprint"] = on_appliance["root_fingerprint"]
        endpoint["software_update_required"] = on_appliance["software_update_required"]
        endpoint["friendly_name"] = on_appliance["friendly_name"]
        endpoint["problems"] = report_status.endpoint_problems(endpoint, plan)
        endpoint["status"] = report_status.endpoint_status(endpoint["problems"])
    entry = {
        "host": host["host"],
        "site": host.get("site"),
        "addresses": list(host.get("addresses") or []),
        "hostnames": list(host.get("hostnames") or []),
        "port": port,
        "api": api,
        "endpoints": endpoints,
    }
    entry["problems"] = report_status.host_problems(entry)
    entry["status"] = report_status.worst(
        [endpoint["status"] for endpoint in endpoints] + [item["status"] for item in entry["problems"]]
    )
    return entry


# --- the task -----------------------------------------------------------------------------------------------


def _moment(ctx) -> datetime.datetime:
    text = ctx.params.get("now")
    if not text:
        return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return parse_time(text).astimezone(datetime.timezone.utc)


def run(ctx) -> dict:
    """Ask every host what it serves, and its API what is bound; never changes anything."""
    from ...pki.deps import require_cryptography

    require_cryptography()
    params = ctx.params
    hosts = params["hosts"]
    check_entries(ctx, hosts, params["workers"])
    renewal = {
        "renew_before_days": params.get("renew_before_days"),
        "renew_before_percent": params.get("renew_before_percent"),
    }
    check_renewal_options(**renewal)
    moment = _moment(ctx)
    moment_text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    trust = load_trust_store(params.get("ca_bundle"))
    with_api = [host for host in hosts if has_api(host)]
    local_cas = certificate_plan.prepare_local_cas(
        Context({}, check_mode=True, resolve_path=ctx.resolve_path),
        [host["certificate"] for host in with_api if host.get("certificate")],
    )

    def host_renewal(host: dict) -> dict:
        certificate = host.get("certificate") or {}
        if certificate.get("renew_before_days") is not None or certificate.get("renew_before_percent") is not None:
            return {
                "renew_before_days": certificate.get("renew_before_days"),
                "renew_before_percent": certificate.get("renew_before_percent"),
            }
        return renewal

    workers = max(1, params["workers"])
    with ThreadPoolExecutor(max_workers=workers) as pool:
        apis = {
            host["host"]: pool.submit(read_api, ctx, host, local_cas, host_renewal(host), moment_text)
            for host in with_api
        }

        def submit_probes(host: dict, port: int) -> list:
            names = list(dict.fromkeys(host.get("hostnames") or []))
            return [
                pool.submit(probe_endpoint, target, trust, moment, names, host_renewal(host), params["probe_timeout"])
                for target in targets(host, port)
            ]

        ports = {}
        probes = {}
        # Hosts whose port is known start at once; an appliance that does not say is asked for its site port first.
        for host in hosts:
            if host.get("port") or host["host"] not in apis:
                ports[host["host"]] = site_port(None, host.get("port"))
                probes[host["host"]] = submit_probes(host, ports[host["host"]])
        for host in hosts:
            if host["host"] not in probes:
                api = apis[host["host"]].result()
                ports[host["host"]] = site_port(None if api.get("error") else api.get("appliance"), None)
                probes[host["host"]] = submit_probes(host, ports[host["host"]])
        entries = {
            host["host"]: assemble(
                host,
                ports[host["host"]],
                [future.result() for future in probes[host["host"]]],
                apis[host["host"]].result() if host["host"] in apis else None,
            )
            for host in hosts
        }
    for name, entry in entries.items():
        plan = (entry.get("api") or {}).get("plan") or {}
        for warning in plan.get("warnings") or []:
            ctx.warn(f"{name}: {warning}")
    statuses = [endpoint["status"] for entry in entries.values() for endpoint in entry["endpoints"]]
    return {
        "changed": False,
        "as_of": moment_text,
        "ca_bundle": trust.as_dict(),
        "hosts": entries,
        "counts": report_status.counts(statuses),
    }


MODULE_SPEC = ModuleSpec(
    argument_spec=ARGUMENT_SPEC,
    run=run,
    connection=False,
    mutually_exclusive=[("renew_before_days", "renew_before_percent")],
)
