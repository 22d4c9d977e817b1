# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""appliance_certificate_info: what the appliance holds and serves, read-only.

Certificates (each with its renewal decision), requests, keys, the binding of
each IP address, and optionally the chain each address serves right now,
checked against its binding.
"""

from __future__ import annotations

from ...pki.fingerprints import fingerprint_or_none
from ...procedure_rules import site_port, software_update_of
from ..resources import describe_choices
from ..runner import ModuleSpec
from ..tls_probe import ProbeError, served_fingerprints

try:
    from ...pki.renewal import check_renewal_options, parse_time, renewal_decision
except ImportError:  # the renewal rules need no cryptography; kept importable regardless
    check_renewal_options = parse_time = renewal_decision = None

GATHER_CHOICES = ["certificates", "requests", "keys", "bindings", "acme"]

ARGUMENT_SPEC = {
    "certificates": {"type": "list", "elements": "str"},
    "gather": {"type": "list", "elements": "str", "choices": GATHER_CHOICES, "default": list(GATHER_CHOICES)},
    "renew_before_days": {"type": "int"},
    "renew_before_percent": {"type": "float"},
    "served": {"type": "bool", "default": False},
    "site_port": {"type": "int"},
}


# --- checks without a server --------------------------------------------------


def renewal_fields(cert: dict, renew_before_days=None, renew_before_percent=None, now=None) -> dict:
    """``days_left``, ``renewal_due``, ``renewal_reason`` and ``renew_at`` of a certificate info dict."""
    decision = renewal_decision(
        parse_time(cert["not_before"]),
        parse_time(cert["not_after"]),
        now=now,
        renew_before_days=renew_before_days,
        renew_before_percent=renew_before_percent,
    ).as_dict()
    return {
        "days_left": decision["days_left"],
        "renewal_due": decision["renewal_due"],
        "renewal_reason": decision["reason"],
        "renew_at": decision["renew_at"],
    }


def _certificate_named(cert: dict, ref: str) -> bool:
    fingerprint = fingerprint_or_none(ref)
    if fingerprint:
        return cert.get("sha256_fingerprint") == fingerprint
    return ref in (cert.get("id"), cert.get("friendly_name"))


def _request_named(request: dict, ref: str) -> bool:
    return ref in (request.get("id"), request.get("friendly_name"))


def select(certificates: list, requests: list, refs: list | None) -> tuple:
    """``(certificates, requests, unmatched refs)`` that ``refs`` name, in the appliance's order.

    A ref is a friendly name (every certificate and request of that name), a
    SHA-256 fingerprint of a certificate (any spelling), or an id. ``refs``
    None selects everything.
    """
    if refs is None:
        return list(certificates), list(requests), []
    chosen_certificates = [cert for cert in certificates if any(_certificate_named(cert, ref) for ref in refs)]
    chosen_requests = [req for req in requests if any(_request_named(req, ref) for ref in refs)]
    unmatched = [
        ref
        for ref in refs
        if not any(_certificate_named(cert, ref) for cert in certificates)
        and not any(_request_named(req, ref) for req in requests)
    ]
    return chosen_certificates, chosen_requests, unmatched


def unmatched_message(unmatched: list, certificates: list, requests: list) -> str:
    """The failure for ``certificates`` entries that name nothing, listing what exists."""
    quoted = ", ".join(f"'{ref}'" for ref in unmatched)
    names = ", ".join(f"'{req.get('friendly_name')}' ({req.get('status')})" for req in requests) or "none"
    return (
        f"certificates entry {quoted} matches no certificate or certificate request on the appliance "
        "(by friendly name, SHA-256 fingerprint or id). "
        f"Certificates there: {describe_choices(certificates)}. Requests there: {names}. "
        "Correct the entry, or remove it to include everything."
    )


def bindings(ip_addresses: list, certificates: list) -> list:
    """Per IP address: the certificate it serves (id, friendly name, fingerprint) and whether it is bound."""
    by_id = {cert.get("id"): cert for cert in certificates}
    result = []
    for row in ip_addresses:
        cert = by_id.get(row.get("certificate_id")) or {}
        result.append(
            {
                "address": row.get("address"),
                "certificate_id": row.get("certificate_id"),
                "friendly_name": cert.get("friendly_name"),
                "sha256_fingerprint": cert.get("sha256_fingerprint"),
                "serving": row.get("serving"),
            }
        )
    return result


def served_entry(address: str, port: int, fingerprints: list, bound_fingerprint: str | None) -> dict:
    """What one address serves, and whether its leaf is the certificate bound there."""
    return {
        "address": address,
        "port": port,
        "fingerprints": list(fingerprints),
        "matches_binding": bool(fingerprints) and fingerprints[0] == bound_fingerprint,
    }


# --- the appliance --------------------------------------------------------------


def run(ctx) -> dict:
    """Gather what was asked for; never changes anything."""
    params = ctx.params
    check_renewal_options(params.get("renew_before_days"), params.get("renew_before_percent"))
    gather = set(params["gather"])
    refs = params.get("certificates")
    client = ctx.client()
    status = client.get("status/basics") or {}
    need_certificates = bool(gather & {"certificates", "bindings"}) or refs is not None or params["served"]
    certificates = (client.get("certificates") or []) if need_certificates else []
    need_requests = "requests" in gather or refs is not None
    requests = (client.get("certificate-requests") or []) if need_requests else []
    chosen_certificates, chosen_requests, unmatched = select(certificates, requests, refs)
    if unmatched:
        ctx.fail(unmatched_message(unmatched, certificates, requests))
    result = {"changed": False, "status": status}
    if "certificates" in gather:
        result["certificates"] = [
            {
                **cert,
                **renewal_fields(cert, params.get("renew_before_days"), params.get("renew_before_percent")),
                **software_update_of(cert, status),
            }
            for cert in chosen_certificates
        ]
    if "requests" in gather:
        result["requests"] = chosen_requests
    if "keys" in gather:
        result["keys"] = client.get("keys") or []
    ip_addresses = (client.get("network/ip-addresses") or []) if ("bindings" in gather or params["served"]) else []
    bound = bindings(ip_addresses, certificates)
    if "bindings" in gather:
        result["bindings"] = bound
    if "acme" in gather:
        result["acme"] = client.get("acme") or {}
    if params["served"]:
        result["served"] = _served(ctx, bound, site_port(status, params.get("site_port")))
    return result


def _served(ctx, bound: list, port: int) -> list:
    timeout = float(ctx.params.get("timeout") or 10)
    entries = []
    for binding in bound:
        address = binding["address"]
        try:
            fingerprints = served_fingerprints(address, port, timeout=timeout)
        except ProbeError as exc:
            ctx.warn(f"{exc}; check site_port (probed {port}) and that the controller can reach {address}.")
            entry = served_entry(address, port, [], binding.get("sha256_fingerprint"))
            entry["error"] = str(exc)
            entries.append(entry)
            continue
        entries.append(served_entry(address, port, fingerprints, binding.get("sha256_fingerprint")))
    return entries


MODULE_SPEC = ModuleSpec(
    argument_spec=ARGUMENT_SPEC,
    run=run,
    mutually_exclusive=[("renew_before_days", "renew_before_percent")],
)
