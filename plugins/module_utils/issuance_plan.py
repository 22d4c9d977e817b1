# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the certificate role does on one appliance: checks, decision, plan, plan text, result.

Pure functions over the role's variables (without their ``certificate_``
prefix) and what ``appliance_certificate_info`` read from the appliance. The
decision itself is :func:`certificate_decision.decide`; this adds what the
role needs around it: the checks of the variables, taking up a pending request
of an earlier run, which earlier certificates to delete, what the addresses
serve before the run, whether the vendor must rebuild the software, the plan as
text, the result of a run with nothing to do, and whether the addresses of a
certificate that stays already serve it.
"""

from __future__ import annotations

import re

from .appliance.resources import served_chain_matches
from .certificate_decision import ACTION_NONE, decide, made_by_the_role
from .procedure_rules import software_update_of, software_update_required

try:
    from .pki.hostnames import uncovered_hostnames
except ImportError:  # the names rules need cryptography; reported by deps.require_cryptography()
    uncovered_hostnames = None

PROVIDER_SELF_SIGNED = "self_signed"
PROVIDER_LOCAL_CA = "local_ca"
PROVIDER_MANUAL = "manual"
DELETE_KEYS = ("id", "friendly_name", "sha256_fingerprint", "not_before")
_UNSAFE_FILE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(text: str) -> str:
    """``text`` with every run of characters other than letters, digits, ``.``, ``_`` and ``-`` as ``_``."""
    return _UNSAFE_FILE_CHARACTERS.sub("_", str(text))


# --- the variables ---------------------------------------------------------------------------


def hostnames_of(values: dict) -> list:
    """``hostnames`` as given, else the DNS names of ``subject_alt_name`` that are not wildcards."""
    if values.get("hostnames") is not None:
        return list(values["hostnames"])
    names = []
    for entry in values.get("subject_alt_name") or []:
        text = str(entry)
        if text[:4].lower() == "dns:" and text[4:5] not in ("", "*"):
            names.append(text[4:])
    return names


def check_variables(values: dict, prefix: str = "") -> list:
    """The problems of variables that fit together badly, each naming the variable and the fix; [] when none."""

    def var(name: str) -> str:
        return prefix + name

    problems = []
    sans = list(values.get("subject_alt_name") or [])
    if not sans:
        problems.append(
            f"{var('subject_alt_name')} is empty; give the names the site needs, e.g. DNS:support.example.com."
        )
    if not values.get("ip_addresses"):
        problems.append(
            f"{var('ip_addresses')} is empty; give the addresses of the appliance that serve the certificate "
            "(the default is bomgar_ip_addresses from the inventory)."
        )
    if values.get("renew_before_days") is not None and values.get("renew_before_percent") is not None:
        problems.append(
            f"{var('renew_before_days')} and {var('renew_before_percent')} are mutually exclusive; set one of them."
        )
    provider = values.get("provider")
    if provider == PROVIDER_LOCAL_CA and not (values.get("local_ca_cert") and values.get("local_ca_key")):
        problems.append(
            f"{var('provider')} local_ca needs {var('local_ca_cert')} and {var('local_ca_key')} (the issuing "
            f"CA's certificate and key on the controller); add {var('local_ca_create')} true to make a CA there."
        )
    if provider == PROVIDER_MANUAL and not (values.get("manual_request_dir") and values.get("manual_drop_dir")):
        problems.append(
            f"{var('provider')} manual needs {var('manual_request_dir')} (where the request is written for the "
            f"CA) and {var('manual_drop_dir')} (where the signed certificate and the CA's files are put)."
        )
    uncovered = uncovered_hostnames(list(dict.fromkeys(hostnames_of(values))), sans) if sans else []
    if uncovered:
        problems.append(
            f"{var('hostnames')} {', '.join(uncovered)} are not covered by {var('subject_alt_name')} "
            f"{', '.join(sans)} (a wildcard covers exactly one label); add them to the names, or correct "
            f"{var('hostnames')}."
        )
    if int(values.get("keep_previous") or 0) < 0:
        problems.append(f"{var('keep_previous')} is negative; give how many earlier certificates to keep (0 or more).")
    return problems


def decision_spec(values: dict, local_ca_root: str | None) -> dict:
    """The spec of :func:`certificate_decision.decide` from the role's variables."""
    key_type = values.get("key_type") or "rsa"
    return {
        "name": values.get("name"),
        "subject": {key: value for key, value in (values.get("subject") or {}).items() if value is not None},
        "subject_alt_name": list(values.get("subject_alt_name") or []),
        "key_type": key_type,
        "key_size": values.get("key_size") if key_type == "rsa" else None,
        "key_curve": values.get("key_curve") if key_type == "ec" else None,
        "expected_root_fingerprint": local_ca_root,
        "renew_before_days": values.get("renew_before_days"),
        "renew_before_percent": values.get("renew_before_percent"),
        "rekey": bool(values.get("rekey")),
        "force": bool(values.get("force")),
        "provider": values.get("provider") or PROVIDER_SELF_SIGNED,
        "now": values.get("now"),
    }


# --- the plan ----------------------------------------------------------------------------------


def pending_requests(info: dict, name: str) -> list:
    """The pending requests the role made under this name, oldest first (the manual provider's first phase, or
    a run that was interrupted after making its request)."""
    pending = [
        request
        for request in info.get("requests") or []
        if request.get("status") == "pending" and made_by_the_role(request.get("friendly_name"), name)
    ]
    return sorted(pending, key=lambda request: str(request.get("created_at") or ""))


def pending_request(info: dict, name: str) -> dict | None:
    """The newest pending request the role made under this name, or None."""
    pending = pending_requests(info, name)
    return pending[-1] if pending else None


def leftovers(info: dict, name: str, taken_up: str | None) -> dict:
    """What interrupted runs left: the role's pending requests not taken up now, and the keys only they use.

    ``{requests: [{id, friendly_name}], keys: [{id, name}]}``; a key that a certificate or another request uses
    stays.
    """
    requests = [request for request in pending_requests(info, name) if request.get("friendly_name") != taken_up]
    ids = {request.get("id") for request in requests}
    keys = []
    for key in info.get("keys") or []:
        used = key.get("used_by") or {}
        mine = any(request.get("key_id") == key.get("id") for request in requests)
        if mine and not used.get("certificates") and set(used.get("requests") or []) <= ids:
            keys.append({"id": key.get("id"), "name": key.get("name")})
    return {
        "requests": [{"id": request.get("id"), "friendly_name": request.get("friendly_name")} for request in requests],
        "keys": keys,
    }


def resumption(info: dict, values: dict, decision: dict) -> dict:
    """``{resumed: true, ...}`` when a pending request of an earlier run is taken up, else ``{resumed: false}``."""
    pending = pending_request(info, values["name"])
    key = None
    if pending:
        key = next((k for k in info.get("keys") or [] if k.get("id") == pending.get("key_id")), None)
    if (
        key is None
        or (values.get("provider") or PROVIDER_SELF_SIGNED) == PROVIDER_SELF_SIGNED
        or decision["action"] == ACTION_NONE
    ):
        return {"resumed": False}
    key_type = values.get("key_type") or "rsa"
    fits = key.get("type") == key_type and (
        key.get("size") == values.get("key_size") if key_type == "rsa" else key.get("curve") == values.get("key_curve")
    )
    current_key_id = (decision.get("current") or {}).get("key_id")
    if decision["new_key"]:
        take_up = key.get("id") != current_key_id and fits
    else:
        take_up = key.get("name") == decision["key_name"]
    if not take_up:
        return {"resumed": False}
    return {
        "resumed": True,
        "friendly_name": pending.get("friendly_name"),
        "key_name": key.get("name"),
        "new_key": False,
        "key_exists": True,
        "key_made_for_request": bool(decision["new_key"]),
    }


def previous_bindings(info: dict, ip_addresses: list) -> list:
    """The bindings of the role's addresses before the run: what a failed check restores."""
    wanted = set(ip_addresses)
    return [binding for binding in info.get("bindings") or [] if binding.get("address") in wanted]


def certificates_to_delete(info: dict, name: str, ip_addresses: list, keep_previous: int, previous: list) -> list:
    """Earlier certificates of this name beyond ``keep_previous`` that serve no address outside the role's.

    Certificates that serve the role's addresses now are kept first, then the newest.
    """
    family = sorted(
        (
            cert
            for cert in info.get("certificates") or []
            if cert.get("role") == "server"
            and not cert.get("factory_default")
            and made_by_the_role(cert.get("friendly_name"), name)
        ),
        key=lambda cert: str(cert.get("not_before") or ""),
        reverse=True,
    )
    serving = {binding.get("sha256_fingerprint") for binding in previous}
    ordered = [cert for cert in family if cert.get("sha256_fingerprint") in serving]
    ordered += [cert for cert in family if cert.get("sha256_fingerprint") not in serving]
    addresses = set(ip_addresses)
    return [
        {key: cert[key] for key in DELETE_KEYS if key in cert}
        for cert in ordered[max(0, int(keep_previous)) :]
        if set(cert.get("ip_addresses") or []) <= addresses
    ]


def build_plan(info: dict, values: dict, local_ca_root: str | None = None) -> dict:
    """The decision with everything the role's later steps read (the keys of ``certificate_plan``)."""
    provider = values.get("provider") or PROVIDER_SELF_SIGNED
    decision = decide(info, decision_spec(values, local_ca_root))
    resume = resumption(info, values, decision)
    ip_addresses = list(values.get("ip_addresses") or [])
    previous = previous_bindings(info, ip_addresses)
    trusted = list((info.get("status") or {}).get("trusted_root_fingerprints") or [])
    new_root = local_ca_root if provider == PROVIDER_LOCAL_CA else None
    # The manual provider's root is known once the CA's answer is imported. A new self-signed certificate is its
    # own root, and a local CA made in this run is new: no software build trusts either yet.
    software_update = None if provider == PROVIDER_MANUAL else software_update_required(new_root, trusted)
    request_file = None
    if provider == PROVIDER_MANUAL:
        friendly_name = resume.get("friendly_name") or decision["friendly_name"]
        request_file = f"{values.get('manual_request_dir')}/{safe_file_name(friendly_name)}.csr"
    plan = dict(decision)
    plan.update(resume)
    plan.update(
        {
            "request_file": request_file,
            "delete": certificates_to_delete(
                info, values["name"], ip_addresses, int(values.get("keep_previous") or 0), previous
            ),
            "leftovers": leftovers(info, values["name"], resume.get("friendly_name")),
            "previous_bindings": previous,
            "previous_fingerprint": next(
                (b.get("sha256_fingerprint") for b in previous if b.get("serving") != "factory_default"), None
            ),
            "trusted_roots": trusted,
            "new_root": new_root,
            "software_update": software_update,
        }
    )
    return plan


# --- what a certificate that stays needs ----------------------------------------------------------


def kept_result(plan: dict) -> dict:
    """``certificate_result`` of a run that keeps the current certificate."""
    current = plan.get("current") or {}
    trust = software_update_of(current, {"trusted_root_fingerprints": plan.get("trusted_roots")})
    return {
        "action": plan["action"],
        "reasons": list(plan["reasons"]),
        "friendly_name": current.get("friendly_name", plan.get("friendly_name")),
        "sha256_fingerprint": current.get("sha256_fingerprint"),
        "previous_fingerprint": None,
        "software_update_required": trust["software_update_required"],
        "root_fingerprint": trust["root_fingerprint"],
        "bundle": None,
    }


def binding_drift(current: dict, info: dict, ip_addresses: list, hostnames: list) -> str | None:
    """Why the addresses must be bound again for a certificate that stays, or None when they serve it already.

    Looks at the appliance's bindings only (what TLS serves is :func:`served_drift`); a reason here hands the
    addresses to ``appliance_ip_binding``, which binds them or refuses with the fix.
    """
    bound = {b.get("address") for b in info.get("bindings") or [] if b.get("certificate_id") == current.get("id")}
    wanted = set(ip_addresses)
    if bound != wanted:
        extra = sorted(bound - wanted)
        missing = sorted(wanted - bound)
        parts = [f"not on {', '.join(missing)}"] if missing else []
        parts += [f"also on {', '.join(extra)}"] if extra else []
        return f"'{current.get('friendly_name')}' is bound {' and '.join(parts)}"
    if not current.get("private_key_available"):
        return f"the private key of '{current.get('friendly_name')}' is not available on the appliance"
    uncovered = uncovered_hostnames(list(hostnames), list(current.get("subject_alt_name") or [])) if hostnames else []
    if uncovered:
        return f"'{current.get('friendly_name')}' does not cover {', '.join(uncovered)}"
    return None


def served_matches(cert: dict, served: list) -> bool:
    """True when an address serves the certificate with its chain (a complete chain may leave out the root)."""
    return served_chain_matches(list(cert.get("chain") or []), served, cert.get("chain_status") == "complete")


# --- the plan as text ------------------------------------------------------------------------------


def _key_text(values: dict) -> str:
    if (values.get("key_type") or "rsa") == "rsa":
        return f"RSA {values.get('key_size')}"
    return f"EC {values.get('key_curve')}"


def plan_lines(plan: dict, values: dict, check_mode: bool = False, prefix: str = "") -> list:
    """The plan as the role prints it: what happens, why, key, signing, binding, cleanup, vendor."""
    issuing = plan["action"] != ACTION_NONE
    current = plan.get("current") or {}
    provider = values.get("provider") or PROVIDER_SELF_SIGNED
    ip_text = ", ".join(values.get("ip_addresses") or [])
    hostnames = hostnames_of(values)
    site_port = values.get("site_port")
    port_text = f"port {site_port}" if site_port else "the site port"
    lines = []
    if issuing:
        resumed = " (taking up the pending request of an earlier run)" if plan.get("resumed") else ""
        lines.append(f"{plan['action'].capitalize()}: {plan['friendly_name']}{resumed}")
    else:
        lines.append(f"Keep: {current.get('friendly_name', '')} ({current.get('sha256_fingerprint', '')})")
    lines.append("Why: " + "; ".join(plan["reasons"]) + ".")
    if issuing:
        if plan["new_key"]:
            lines.append(f"Key: new {_key_text(values)} key {plan['key_name']}")
        elif plan.get("resumed") and plan.get("key_made_for_request"):
            lines.append(
                f"Key: the new key {plan['key_name']}, which the earlier run made for its request (instead of "
                "making another)"
            )
        else:
            lines.append(f"Key: reuse {plan['key_name']}")
        days = values.get("days")
        signing = {
            PROVIDER_SELF_SIGNED: (
                "Certificate: self-signed by the appliance for "
                + (
                    "its own validity (its web interface has no field for it)"
                    if values.get("transport") == "web"
                    else f"{days} days"
                )
                + f", names {', '.join(values.get('subject_alt_name') or [])}."
            ),
            PROVIDER_LOCAL_CA: (
                f"Certificate: request on the appliance, signed by the local CA {values.get('local_ca_cert')} "
                f"for {days} days, imported with its chain (root {plan.get('new_root') or 'not created yet'})."
            ),
            PROVIDER_MANUAL: (
                f"Certificate: request on the appliance, written to {plan.get('request_file')} for the CA"
                + (" when run without check mode" if check_mode and not plan.get("resumed") else "")
                + f"; imported with its chain from {values.get('manual_drop_dir')} once the signed certificate is "
                "there."
            ),
        }
        lines.append(signing[provider])
    if issuing:
        binding_text = "the new certificate replaces what "
    else:
        binding_text = "it is bound again to " if plan.get("rebind") else "it stays on "
    lines.append(
        "Binding: "
        + binding_text
        + ip_text
        + (" serve; " if issuing else "; ")
        + "then each address is checked over TLS on "
        + port_text
        + (f" as {hostnames[0]}" if hostnames else "")
        + "; if what it serves is wrong, the previous bindings are restored and the role fails."
    )
    if issuing:
        previous = ", ".join(f"{b.get('address')} serves {b.get('friendly_name')}" for b in plan["previous_bindings"])
        lines.append(f"Previous: {previous}; they stay bound until the new certificate is imported and verified.")
        if plan["delete"]:
            names = ", ".join(str(cert.get("friendly_name")) for cert in plan["delete"])
            lines.append(
                f"Cleanup: delete {names} (more than {prefix}keep_previous={values.get('keep_previous')} "
                "earlier ones, served nowhere)."
            )
        if _leftover_text(plan):
            lines.append(_leftover_text(plan))
        if plan["software_update"]:
            where = f" to {values['support_bundle_dir']}" if values.get("support_bundle_dir") else ""
            lines.append(
                "Vendor: the appliance software does not trust the new root; a support bundle for the vendor is "
                f"written{where}."
            )
        elif plan["software_update"] is None:
            lines.append(
                "Vendor: whether the appliance software must be rebuilt is known once the signed certificate is "
                "imported."
            )
    if not issuing and _leftover_text(plan):
        lines.append(_leftover_text(plan))
    if check_mode:
        lines.append("Check mode: nothing is changed.")
    return [line for line in lines if line]


def _leftover_text(plan: dict) -> str:
    """The cleanup of what interrupted runs left, as a plan line; empty when they left nothing."""
    found = plan.get("leftovers") or {}
    requests = ", ".join(f"'{request['friendly_name']}'" for request in found.get("requests") or [])
    if not requests:
        return ""
    keys = ", ".join(f"'{key['name']}'" for key in found.get("keys") or [])
    return (
        f"Cleanup: delete the pending request(s) {requests}"
        + (f" and the key(s) {keys} only they use" if keys else "")
        + ", left by an earlier run that stopped before its certificate was imported."
    )
