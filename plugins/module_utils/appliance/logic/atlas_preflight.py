# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""atlas_preflight: the pre-flight of the Atlas rollout, for a whole site in one task; read-only.

Every appliance of the site is read side by side on the fleet's thread pool:
its Status > Basics, and on the primary the certificate to roll out when the
rollout does not issue one. The problems are the site rollout's rules
(``module_utils/atlas.py``): names the certificate does not cover, appliances
that do not answer, addresses an appliance does not have, appliances without a
hostname, not exactly one primary, a certificate to roll out that cannot be
read. Any problem fails the task, listing all of them; nothing is changed.
"""

from __future__ import annotations

from ...atlas import newest_server_certificate, preflight, preflight_message
from ...certificate_decision import find_current
from ..fleet import DEFAULT_WORKERS, ENTRY_CONNECTION_OPTIONS, check_entries, failure, for_each, read_one
from ..runner import ModuleSpec
from . import certificate_info

DEFAULT_TIMEOUT = 15.0

APPLIANCE_OPTIONS = {
    **ENTRY_CONNECTION_OPTIONS,
    # Unset: the task's timeout applies.
    "timeout": {"type": "float"},
    "hostname": {"type": "str"},
    "ip_addresses": {"type": "list", "elements": "str", "default": []},
    "primary": {"type": "bool", "default": False},
}

ARGUMENT_SPEC = {
    "appliances": {"type": "list", "elements": "dict", "required": True, "options": APPLIANCE_OPTIONS},
    "site_hostname": {"type": "str", "default": ""},
    "subject_alt_name": {"type": "list", "elements": "str"},
    "certificate": {"type": "str"},
    "provider": {"type": "str"},
    "acme_mode": {"type": "str", "choices": ["controller", "appliance"]},
    "primary_group": {"type": "str", "default": "bomgar_primary"},
    "timeout": {"type": "float", "default": DEFAULT_TIMEOUT},
    "workers": {"type": "int", "default": DEFAULT_WORKERS},
}


def read_certificate(client, ref: str) -> dict:
    """``{certificates}`` the primary holds under ``ref``, or ``{certificate_error}``.

    ``ref`` is a friendly name, fingerprint or id; a name no certificate carries exactly also names the newest
    server certificate named as the bomgar.pki.certificate role names them (``<name> <date-time>``).
    """
    if not ref:
        return {
            "certificate_error": "no certificate is named. Set atlas_rollout_certificate (by default certificate_name) "
            "to the friendly name or SHA-256 fingerprint of the certificate to roll out."
        }
    certificates = client.get("certificates") or []
    requests = client.get("certificate-requests") or []
    chosen, _requests, unmatched = certificate_info.select(certificates, requests, [ref])
    if unmatched:
        # The bomgar.pki.certificate role names its certificates "<name> <date-time>": its current one is meant.
        current = find_current(certificates, ref)
        if current is not None:
            return {"certificates": [current]}
        return {"certificate_error": certificate_info.unmatched_message(unmatched, certificates, requests)}
    return {"certificates": chosen}


def read_appliance(task_ctx, values: dict, ref: str | None) -> dict:
    """One appliance: ``{failed: false, status}`` (and what ``ref`` names, on the primary), or ``{failed, msg}``."""

    def read(client) -> dict:
        answer = {"status": client.get("status/basics") or {}}
        if ref is not None:
            try:
                answer.update(read_certificate(client, ref))
            except Exception as exc:  # pylint: disable=broad-exception-caught
                refused = failure(exc)
                if refused is None:
                    raise
                answer["certificate_error"] = refused["msg"]
        return answer

    timeout = task_ctx.params["timeout"] if values.get("timeout") is None else values["timeout"]
    return read_one(task_ctx, {**values, "timeout": timeout}, read)


def run(ctx) -> dict:
    """Read every appliance of the site, list every problem, and fail when there is one; never changes anything."""
    from ...pki.deps import require_cryptography

    require_cryptography()
    params = ctx.params
    entries = params["appliances"]
    check_entries(ctx, entries, params["workers"])
    issuing = params.get("certificate") is None
    if issuing and params.get("subject_alt_name") is None:
        ctx.fail(
            "Give subject_alt_name (the names of the certificate the rollout issues) or certificate (the "
            "certificate of the primary the rollout rolls out)."
        )
    primary = next((entry["host"] for entry in entries if entry["primary"]), None)
    ref = None if issuing else params["certificate"]

    def one(values: dict) -> dict:
        return read_appliance(ctx, values, ref if values["host"] == primary else None)

    answers = for_each(entries, one, params["workers"])

    source = {}
    certificate_error = None
    if issuing:
        sans = list(params["subject_alt_name"])
    else:
        answer = answers.get(primary) or {"failed": True}
        certificate_error = answer.get("certificate_error")
        source = newest_server_certificate(answer.get("certificates") or [])
        if answer.get("certificates") and not source:
            certificate_error = (
                f"'{ref}' names no server certificate there. Name the site's server certificate (its friendly "
                "name or SHA-256 fingerprint) in atlas_rollout_certificate."
            )
        # No names to check when the primary could not be read: that is reported as its own problem.
        sans = None if answer.get("failed", True) else list(source.get("subject_alt_name") or [])
    found = preflight(
        entries,
        answers,
        site_hostname=params["site_hostname"],
        subject_alt_name=sans,
        certificate_error=certificate_error,
        primary_group=params["primary_group"],
        renewed_by=(
            "appliance"
            if issuing and params.get("provider") == "acme" and params.get("acme_mode") == "appliance"
            else "controller"
        ),
    )
    appliances = {
        host: {key: value for key, value in answer.items() if key not in ("certificates", "certificate_error")}
        for host, answer in answers.items()
    }
    result = {
        "changed": False,
        "problems": found["problems"],
        "hostnames": found["hostnames"],
        "subject_alt_name": sans or [],
        "uncovered": found["uncovered"],
        "source": source,
        "appliances": appliances,
        "failed_hosts": [host for host, answer in answers.items() if answer.get("failed")],
    }
    if found["problems"]:
        ctx.fail(preflight_message(found["problems"]), **{k: v for k, v in result.items() if k != "changed"})
    return result


MODULE_SPEC = ModuleSpec(
    argument_spec=ARGUMENT_SPEC,
    run=run,
    mutually_exclusive=[("subject_alt_name", "certificate")],
    connection=False,
)
