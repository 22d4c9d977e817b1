# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""appliance_ip_binding: which certificate each of the appliance's IP addresses serves.

docs/procedure.md, rules R4.1 to R4.3: a certificate secures nothing until it is assigned to
IP addresses, which is impossible unless its private key is on the appliance;
an address that is not assigned serves the factory default certificate. The
bindings are planned from the appliance's current state, every refusal is made
before anything is written, and afterwards each address is asked over TLS what
it serves, which must be the certificate bound there with its chain.
"""

from __future__ import annotations

import ipaddress

from ...procedure_rules import site_port
from ..resources import describe_choices, find_certificate, served_chain_matches
from ..runner import ModuleSpec
from ..tls_probe import ProbeError, served_fingerprints

try:
    from ...pki import formats, serving
    from ...pki.hostnames import uncovered_hostnames
except ImportError:  # reported through deps.require_cryptography()
    uncovered_hostnames = formats = serving = None

ARGUMENT_SPEC = {
    "certificate": {"type": "str", "required": True},
    "ip_addresses": {"type": "list", "elements": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "exact", "absent"], "default": "present"},
    "hostnames": {"type": "list", "elements": "str", "default": []},
    "allow_uncovered": {"type": "bool", "default": False},
    "verify_served": {"type": "bool", "default": True},
    "site_port": {"type": "int"},
    "verify_timeout": {"type": "float", "default": 10},
}

_PRIVATE_KEY_REMEDY = (
    "Export the certificate WITH its private key, protected by a passphrase (PKCS#12, .p12/.pfx), from the server "
    "that holds the key, and import that file with bomgar.pki.appliance_cert_import (src: the .p12 file, "
    "passphrase: its passphrase); then bind the IP addresses."
)


# --- pure checks ------------------------------------------------------------------------------


def normalize_addresses(addresses: list) -> tuple[list, list]:
    """``(canonical addresses in order without duplicates, entries that are not IP addresses)``."""
    canonical, invalid = [], []
    for entry in addresses:
        try:
            canonical.append(str(ipaddress.ip_address(str(entry).strip())))
        except ValueError:
            invalid.append(entry)
    return list(dict.fromkeys(canonical)), invalid


def _sorted_addresses(addresses) -> list:
    return sorted(set(addresses), key=ipaddress.ip_address)


def plan_bindings(state: str, current: list, wanted: list) -> dict:
    """What to send for ``state``, given the addresses the certificate serves now and the addresses named.

    Returns ``{"put": [...] or None, "delete": [...], "bound_after": [...]}``: the exact set for
    ``PUT certificates/{id}/ip-addresses`` (present: current and wanted; exact: wanted), or the
    addresses to ``DELETE`` one by one (absent: those of ``wanted`` the certificate serves).
    Nothing to send means ``put`` is None and ``delete`` empty.
    """
    now = set(current)
    if state == "absent":
        delete = _sorted_addresses(now & set(wanted))
        return {"put": None, "delete": delete, "bound_after": _sorted_addresses(now - set(delete))}
    target = now | set(wanted) if state == "present" else set(wanted)
    put = _sorted_addresses(target) if target != now else None
    return {"put": put, "delete": [], "bound_after": _sorted_addresses(target)}


def served_by_address(addresses: list) -> dict:
    """``{address: certificate id}`` from ``GET network/ip-addresses``."""
    return {entry.get("address"): entry.get("certificate_id") for entry in addresses}


def predicted_served(served: dict, certificate_id: str, factory_default_id: str | None, plan: dict) -> dict:
    """``{address: certificate id}`` after the plan is applied."""
    after = dict(served)
    if plan["put"] is not None:
        for address, ident in served.items():
            if ident == certificate_id and address not in plan["put"]:
                after[address] = factory_default_id
        for address in plan["put"]:
            after[address] = certificate_id
    for address in plan["delete"]:
        after[address] = factory_default_id
    return after


def binding_view(cert: dict | None) -> dict:
    """What an address serves, as the diff and ``bindings`` show it."""
    if not cert:
        return {}
    return {
        "certificate_id": cert.get("id"),
        "friendly_name": cert.get("friendly_name"),
        "sha256_fingerprint": cert.get("sha256_fingerprint"),
        "factory_default": bool(cert.get("factory_default")),
    }


def summary(cert: dict, bound_after: list | None = None) -> dict:
    """The certificate as the module returns it (the API object; never key material, the API has none)."""
    result = dict(cert)
    if bound_after is not None:
        result["ip_addresses"] = list(bound_after)
    return result


# --- the run ----------------------------------------------------------------------------------


def run(ctx) -> dict:
    """Check everything, bind or unbind, then check what each address serves."""
    params = ctx.params
    client = ctx.client()
    certificates = list(client.get("certificates") or [])
    cert = find_certificate(certificates, params["certificate"])
    if cert is None:
        ctx.fail(
            f"The appliance has no certificate '{params['certificate']}' (by friendly name, SHA-256 fingerprint or "
            f"id). Certificates there: {describe_choices(certificates)}. Import it first with "
            "bomgar.pki.appliance_cert_import, or correct the name."
        )
    by_id = {c.get("id"): c for c in certificates}
    factory_default = next((c for c in certificates if c.get("factory_default")), None)
    factory_default_id = factory_default.get("id") if factory_default else None
    state = params["state"]
    label = f"'{cert.get('friendly_name')}' ({cert.get('sha256_fingerprint')})"

    if cert.get("factory_default") and state != "present":
        ctx.fail(
            f"The factory default certificate serves every address that no other certificate has; state {state} "
            "does not apply to it. To return addresses to it, run state: absent with the certificate that serves "
            "them, or state: present with the factory default certificate."
        )
    if cert.get("role") != "server" and not cert.get("factory_default"):
        ctx.fail(
            f"Certificate {label} is a CA certificate ({cert.get('role')}); only a server certificate can be "
            "assigned to IP addresses. Name the server certificate this CA issued."
        )
    served = served_by_address(client.get("network/ip-addresses") or [])
    known = ", ".join(_sorted_addresses(served)) or "none"
    wanted, invalid = normalize_addresses(params["ip_addresses"])
    if invalid:
        ctx.fail(
            f"{', '.join(repr(entry) for entry in invalid)} is not an IP address. Give addresses of the appliance "
            f"(it has {known}), not hostnames; name the hostnames in hostnames."
        )
    unknown = [address for address in wanted if address not in served]
    if unknown:
        ctx.fail(
            f"The appliance has no IP address {', '.join(unknown)}. Its addresses are {known}: choose among them, "
            "or add the address to the appliance first (network/ip-addresses).",
            unknown=unknown,
            known=_sorted_addresses(served),
        )
    if state != "absent" and wanted and not cert.get("private_key_available"):
        ctx.fail(
            f"The private key of certificate {label} is not available on the appliance, so it cannot be assigned to "
            f"IP addresses (the appliance greys the assignment out). {_PRIVATE_KEY_REMEDY}",
            certificate=summary(cert),
        )
    _check_hostnames(ctx, cert, label)

    current = [address for address, ident in served.items() if ident == cert.get("id")]
    plan = plan_bindings(state, current, wanted)
    if state != "absent" and wanted and not cert.get("factory_default"):
        _check_servable(ctx, client, cert, label, set(plan["put"] or []) - set(current))
    after_served = predicted_served(served, cert.get("id"), factory_default_id, plan)
    changed = plan["put"] is not None or bool(plan["delete"])
    if changed and not ctx.check_mode:
        if plan["put"] is not None:
            client.put(f"certificates/{cert['id']}/ip-addresses", {"ip_addresses": plan["put"]})
        for address in plan["delete"]:
            client.delete(f"certificates/{cert['id']}/ip-addresses/{address}")
        certificates = list(client.get("certificates") or [])
        by_id = {c.get("id"): c for c in certificates}
        cert = by_id.get(cert["id"], cert)
        after_served = served_by_address(client.get("network/ip-addresses") or [])

    touched = _sorted_addresses([*wanted, *(a for a in served if served[a] != after_served.get(a))])
    bindings = {
        address: {
            "before": binding_view(by_id.get(served.get(address))),
            "after": binding_view(by_id.get(after_served.get(address))),
        }
        for address in touched
    }
    bound_after = _sorted_addresses(a for a, ident in after_served.items() if ident == cert.get("id"))
    result = {
        "changed": changed,
        "certificate": summary(cert, bound_after),
        "ip_addresses": bound_after,
        "bindings": bindings,
        "served": {},
    }
    result["diff"] = {
        "before": {address: view["before"] for address, view in bindings.items()},
        "after": {address: view["after"] for address, view in bindings.items()},
    }
    if params["verify_served"] and not ctx.check_mode and wanted:
        expected = {address: cert if state != "absent" else by_id.get(after_served.get(address)) for address in wanted}
        result["served"] = _verify(ctx, client, expected, result)
    return result


def _check_servable(ctx, client, cert: dict, label: str, new_addresses: set) -> None:
    """Refuse to bind new addresses to a certificate that cannot be served (docs/procedure.md, "What the collection
    refuses, and what it warns about"); the certificate and its chain are read from the appliance's export."""
    exported = client.post(
        f"certificates/{cert['id']}/export", {"format": "pem", "include_chain": True, "include_private_key": False}
    )
    content = (exported or {}).get("content") or ""
    if not content:
        return
    certificates = formats.certificates(formats.load_bytes(content, source=f"the export of certificate {label}"))
    check = serving.check_servable(certificates)
    for warning in check.warning_texts():
        ctx.warn(warning)
    if check.servable:
        return
    if not new_addresses:
        ctx.warn(f"{check.refusal_text()} It is not bound to any new address.")
        return
    ctx.fail(
        f"{check.refusal_text()} Nothing was bound; bind a certificate that can be served.",
        certificate=summary(cert),
        serving=check.reasons(),
    )


def _check_hostnames(ctx, cert: dict, label: str) -> None:
    hostnames = ctx.params.get("hostnames") or []
    if not hostnames or ctx.params["state"] == "absent":
        return
    sans = cert.get("subject_alt_name") or []
    missing = uncovered_hostnames(hostnames, sans)
    if not missing:
        return
    message = (
        f"Certificate {label} does not cover hostname(s) {', '.join(missing)}: its subject alternative names are "
        f"{', '.join(sans) or 'none'} (a wildcard covers exactly one label)."
    )
    if ctx.params["allow_uncovered"]:
        ctx.warn(f"{message} Bound anyway because allow_uncovered is true; TLS clients will refuse those names.")
        return
    ctx.fail(
        f"{message} Bind a certificate whose subject alternative names cover them (re-issue it with those names), "
        "correct hostnames, or set allow_uncovered: true to bind anyway.",
        uncovered=missing,
    )


def _verify(ctx, client, expected: dict, result: dict) -> dict:
    """``{address: served fingerprints}``; fails naming each address that serves something else."""
    given = ctx.params.get("site_port")
    port = site_port(None if given else client.get("status/basics"), given)
    hostnames = ctx.params.get("hostnames") or []
    server_hostname = hostnames[0] if hostnames else None
    served, problems = {}, []
    for address, cert in expected.items():
        try:
            served[address] = served_fingerprints(address, port, server_hostname, ctx.params["verify_timeout"])
        except ProbeError as exc:
            problems.append(f"{exc} (is site_port {port} the appliance's site port?)")
            continue
        wanted = list((cert or {}).get("chain") or [])
        root_may_be_absent = (cert or {}).get("chain_status") == "complete"
        if not served_chain_matches(wanted, served[address], root_may_be_absent):
            problems.append(
                f"{address}:{port} serves [{', '.join(served[address]) or 'nothing'}], but certificate "
                f"'{(cert or {}).get('friendly_name')}' is bound there, whose chain is [{', '.join(wanted)}]"
                + (" (the root may be left out)" if root_may_be_absent else "")
            )
    if problems:
        ctx.fail(
            "What the IP addresses serve does not match what was bound: "
            + "; ".join(problems)
            + ". Check that site_port is the port the appliance serves its site on, and that nothing else rebinds "
            "these addresses; set verify_served: false to skip this check.",
            **{**result, "served": served},
        )
    return served


MODULE_SPEC = ModuleSpec(argument_spec=ARGUMENT_SPEC, run=run)
