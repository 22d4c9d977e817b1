# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The status of what an address serves, and its problems, each with what to do.

An endpoint (an address or hostname, a port, the name sent as SNI) has one
status, the most severe of its problems' (docs/report.md):

- ``expired``: the certificate's end date has passed; every client refuses it.
- ``unreachable``: no TLS handshake (refused, timed out, not TLS).
- ``invalid``: a client that trusts the CA bundle refuses it for this name: the
  chain is incomplete or untrusted, the name is not covered, or it is not valid yet.
- ``renewal_due``: accepted, but inside the renewal window.
- ``warning``: accepted and not due, but something needs doing: the chain is
  sent out of order, the address serves another certificate than the one bound
  to it, or the appliance software must be rebuilt for the certificate's root.
- ``ok``: none of these.

Pure functions over the facts ``served_certificate_info`` gathers (plain dicts).
"""

from __future__ import annotations

import math

EXPIRED, UNREACHABLE, INVALID, RENEWAL_DUE, WARNING, OK = (
    "expired",
    "unreachable",
    "invalid",
    "renewal_due",
    "warning",
    "ok",
)
# Most severe first.
STATUSES = (EXPIRED, UNREACHABLE, INVALID, RENEWAL_DUE, WARNING, OK)
STATUS_LABELS = {
    EXPIRED: "Expired",
    UNREACHABLE: "Unreachable",
    INVALID: "Invalid",
    RENEWAL_DUE: "Renewal due",
    WARNING: "Warning",
    OK: "OK",
}

# The kinds of problem, in the order the report lists them, each with the status it gives an endpoint.
PROBLEM_KINDS = (
    ("expired", EXPIRED),
    ("unreachable", UNREACHABLE),
    ("renewal_due", RENEWAL_DUE),
    ("chain_incomplete", INVALID),
    ("chain_order", WARNING),
    ("untrusted", INVALID),
    ("not_yet_valid", INVALID),
    ("hostname_not_covered", INVALID),
    ("served_not_bound", WARNING),
    ("software_rebuild", WARNING),
    ("role_would_change", WARNING),
    ("plan_failed", WARNING),
    ("api_error", WARNING),
)
PROBLEM_STATUS = dict(PROBLEM_KINDS)
PROBLEM_ORDER = {kind: position for position, (kind, _status) in enumerate(PROBLEM_KINDS)}
PROBLEM_LABELS = {
    "expired": "Expired",
    "unreachable": "No TLS",
    "renewal_due": "Renewal due",
    "chain_incomplete": "Chain incomplete",
    "chain_order": "Chain out of order",
    "untrusted": "Not trusted",
    "not_yet_valid": "Not valid yet",
    "hostname_not_covered": "Hostname not covered",
    "served_not_bound": "Serves another certificate than bound",
    "software_rebuild": "Software rebuild needed",
    "role_would_change": "Certificate role would change it",
    "plan_failed": "Certificate plan failed",
    "api_error": "API not readable",
}


def severity(status: str) -> int:
    """0 for the most severe status; unknown statuses sort last."""
    return STATUSES.index(status) if status in STATUSES else len(STATUSES)


def worst(statuses) -> str:
    """The most severe of ``statuses`` (``ok`` for none)."""
    return min(list(statuses) or [OK], key=severity)


def whole_days(days_left) -> int | None:
    """Days left as whole days, rounded down (so a certificate with 0.4 days left has 0)."""
    return None if days_left is None else math.floor(days_left)


def problem(kind: str, message: str, action: str) -> dict:
    """One problem: its kind, the status it gives, what is wrong and what to do."""
    return {"kind": kind, "status": PROBLEM_STATUS[kind], "message": message, "action": action}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _days_text(days_left: float) -> str:
    """``3 days ago``, ``today`` or ``in 41 days``: whole days, counted from the time of the report."""
    if days_left < 0:
        ago = math.floor(-days_left)
        return f"{_plural(ago, 'day')} ago" if ago else "today"
    days = math.floor(days_left)
    return f"in {_plural(days, 'day')}" if days else "today"


def _renew_action(plan: dict | None) -> str:
    if plan and not plan.get("failed") and plan.get("action") == "renew":
        return "Renew it: the bomgar.pki.certificate role renews it on its next run."
    if plan and not plan.get("failed"):
        return "Renew it with the bomgar.pki.certificate role."
    return "Renew it (with the bomgar.pki.certificate role for a managed appliance) and serve the new certificate."


def _untrusted(reason: str | None) -> dict:
    text = (reason or "the chain does not validate").rstrip(".")
    return problem(
        "untrusted",
        text[:1].upper() + text[1:] + ".",
        "Serve a certificate from a CA the clients trust, or add its root to the CA bundle the report uses.",
    )


def endpoint_problems(endpoint: dict, plan: dict | None = None) -> list:
    """The problems of one endpoint (in report order); ``plan`` is the certificate role's plan of its host."""
    if endpoint.get("error"):
        return [
            problem(
                "unreachable",
                endpoint["error"],
                "Check that the address and port are right and that this controller can reach them.",
            )
        ]
    found = []
    certificate = endpoint.get("certificate") or {}
    chain = endpoint.get("chain") or {}
    verification = endpoint.get("verification") or {}
    renewal = endpoint.get("renewal") or {}
    days = certificate.get("days_left") or 0.0
    if certificate.get("expired"):
        found.append(
            problem(
                "expired",
                f"Expired {_days_text(days)} ({certificate.get('not_after')}).",
                "Clients refuse it now. " + _renew_action(plan),
            )
        )
    elif renewal.get("due"):
        found.append(
            problem(
                "renewal_due",
                f"Inside the renewal window since {renewal.get('renew_at')}; expires {_days_text(days)} "
                f"({certificate.get('not_after')}).",
                _renew_action(plan),
            )
        )
    if chain.get("status") == "incomplete":
        where = (
            f" It can be downloaded from {', '.join(chain['missing_aia_urls'])}."
            if chain.get("missing_aia_urls")
            else ""
        )
        found.append(
            problem(
                "chain_incomplete",
                f"The server does not send the issuer '{chain.get('missing_issuer')}', and the CA bundle does not "
                "hold it.",
                "Serve the intermediate certificates with the certificate (import every file the CA sent)." + where,
            )
        )
    if chain and not chain.get("in_order", True):
        found.append(
            problem(
                "chain_order",
                "The chain is sent out of order: "
                + " → ".join(entry["subject"] for entry in chain.get("served") or [])
                + ".",
                "Serve the certificate first, then each issuer in turn (some clients refuse another order).",
            )
        )
    if certificate.get("not_yet_valid"):
        found.append(
            problem(
                "not_yet_valid",
                f"Not valid before {certificate.get('not_before')}.",
                "Check the clock of the CA that issued it, or wait until then.",
            )
        )
    if (
        not verification.get("chain_trusted")
        and chain.get("status") != "incomplete"
        and not certificate.get("expired")
        and not certificate.get("not_yet_valid")
    ):
        found.append(_untrusted(verification.get("chain_reason") or verification.get("reason")))
    if endpoint.get("hostname") and endpoint.get("hostname_covered") is False:
        names = ", ".join(certificate.get("subject_alt_name") or []) or "none"
        found.append(
            problem(
                "hostname_not_covered",
                f"The certificate does not cover {endpoint['hostname']} (its names: {names}).",
                "Serve a certificate whose alternative names include this hostname, or correct the hostname.",
            )
        )
    refused = {EXPIRED, INVALID}
    if not verification.get("verified") and not any(item["status"] in refused for item in found):
        # The verifier refuses for a reason none of the facts above names: say its own.
        found.append(_untrusted(verification.get("reason")))
    bound = endpoint.get("bound")
    if bound and bound.get("matches") is False:
        found.append(
            problem(
                "served_not_bound",
                f"Serves {certificate.get('sha256_fingerprint', '')[:23]}…, but the appliance binds "
                f"'{bound.get('friendly_name')}' ({(bound.get('sha256_fingerprint') or '')[:23]}…) to this address.",
                "Bind the address again (bomgar.pki.appliance_ip_binding) and check what it serves.",
            )
        )
    if endpoint.get("software_update_required"):
        root = endpoint.get("root_fingerprint")
        found.append(
            problem(
                "software_rebuild",
                "The appliance software does not trust the root of this certificate"
                + (f" ({root[:23]}…)" if root else " (its root is not known: the chain is incomplete)")
                + ".",
                "Send the support bundle to the vendor (bomgar.pki.support_bundle) for a software build that "
                "trusts the new root.",
            )
        )
    return sorted(found, key=lambda item: PROBLEM_ORDER[item["kind"]])


def host_problems(host: dict) -> list:
    """The problems of a host as a whole: its API, and what the certificate role would do."""
    api = host.get("api")
    if not api:
        return []
    if api.get("error"):
        return [
            problem(
                "api_error",
                f"The appliance's API could not be read: {api['error']}",
                "Check bomgar_appliance_url, bomgar_api_token and bomgar_ca_path in the inventory.",
            )
        ]
    plan = api.get("plan")
    if not plan:
        return []
    if plan.get("failed"):
        return [
            problem(
                "plan_failed",
                f"The certificate role could not plan this appliance: {plan.get('msg')}",
                "Correct the certificate_* variables of this host.",
            )
        ]
    rebuild = " The new certificate needs a software rebuild by the vendor." if plan.get("software_update") else ""
    if plan.get("action") in ("issue", "reissue"):
        reasons = " ".join(plan.get("reasons") or []).rstrip(".")
        message = f"The certificate role would {plan['action']}: {reasons}." + rebuild
    elif plan.get("rebind"):
        message = f"The certificate role would bind the addresses again: {plan['rebind']}."
    else:
        return []
    return [
        problem(
            "role_would_change",
            message,
            "Run the bomgar.pki.certificate role (playbooks/renew.yml --check --diff shows the plan).",
        )
    ]


def endpoint_status(problems: list) -> str:
    """The status an endpoint's problems give it."""
    return worst(item["status"] for item in problems)


def counts(statuses) -> dict:
    """``{status: count}`` for every status, in severity order."""
    tally = dict.fromkeys(STATUSES, 0)
    for status in statuses:
        tally[status] = tally.get(status, 0) + 1
    return tally
