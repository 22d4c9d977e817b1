# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""appliance_certificate: remove certificates from the appliance (the Delete button of the Certificates list).

Certificates are named exactly, by SHA-256 fingerprint or id: a friendly name
can belong to several certificates (renewals keep it), so it is refused with the
fingerprints it matches. Every refusal is made before anything is deleted: the
factory default certificate, a certificate that still serves an address, and a
CA certificate that completes the chain of a certificate serving an address
(unless ``allow_chain_break``). A certificate that is not there is already absent.
"""

from __future__ import annotations

from ...pki.fingerprints import fingerprint_or_none
from ..client import ApplianceAPIError
from ..resources import certificate_for_diff
from ..runner import ModuleSpec

ARGUMENT_SPEC = {
    "certificates": {"type": "list", "elements": "str", "required": True},
    "state": {"type": "str", "choices": ["absent"], "required": True},
    "allow_chain_break": {"type": "bool", "default": False},
}


def chains_completed_by(cert: dict, certificates: list, deleted: set) -> list:
    """The certificates serving an address whose chain ``cert`` completes, and that would lose it when it is deleted.

    A CA certificate (intermediate or root) is in the chain of every certificate it issues; without it those are
    served with an incomplete chain. Another certificate on the appliance with the same subject and public key
    (a re-issued CA) that is not deleted as well takes its place, so nothing is lost then.
    """
    fingerprint = cert.get("sha256_fingerprint")
    replaced = any(
        other.get("sha256_fingerprint") != fingerprint
        and other.get("sha256_fingerprint") not in deleted
        and other.get("subject") == cert.get("subject")
        and other.get("public_key_fingerprint") == cert.get("public_key_fingerprint")
        for other in certificates
    )
    if replaced:
        return []
    return [
        other
        for other in certificates
        if other.get("ip_addresses")
        and other.get("sha256_fingerprint") != fingerprint
        and fingerprint in (other.get("chain") or [])[1:]
    ]


def _chain_problems(targets: dict, certificates: list, allow_chain_break: bool) -> tuple[list, list]:
    """``(problems, warnings)``: a CA certificate completing the chain of a bound certificate is refused, or with
    ``allow_chain_break`` deleted with a warning."""
    problems, warnings = [], []
    deleted = {cert.get("sha256_fingerprint") for cert in targets.values()}
    for cert in targets.values():
        label = f"'{cert.get('friendly_name')}' ({cert.get('sha256_fingerprint')})"
        for bound in chains_completed_by(cert, certificates, deleted):
            text = (
                f"{label} is in the chain of '{bound.get('friendly_name')}' ({bound.get('sha256_fingerprint')}), "
                f"which serves {', '.join(bound['ip_addresses'])}; without it those addresses serve an incomplete "
                "chain"
            )
            if allow_chain_break:
                warnings.append(f"{text}. Deleted anyway because allow_chain_break is true.")
            else:
                problems.append(
                    f"{text}. Bind a certificate whose chain does not need it to those addresses first, or set "
                    "allow_chain_break: true to delete it anyway."
                )
    return problems, warnings


def targets_of(certificates: list, refs: list) -> tuple:
    """``(certificates to delete, problems)`` for ``refs``; a ref that matches nothing is already absent."""
    targets, problems = {}, []
    for ref in refs:
        fingerprint = fingerprint_or_none(ref)
        if fingerprint:
            cert = next((c for c in certificates if c.get("sha256_fingerprint") == fingerprint), None)
        else:
            cert = next((c for c in certificates if c.get("id") == ref), None)
            named = [c for c in certificates if c.get("friendly_name") == ref]
            if cert is None and named:
                listed = "; ".join(f"id {c.get('id')}, fingerprint {c.get('sha256_fingerprint')}" for c in named)
                problems.append(
                    f"'{ref}' is a friendly name, carried by {len(named)} certificate(s) ({listed}); several "
                    "certificates can carry one. Name each certificate to delete by its SHA-256 fingerprint or id."
                )
                continue
            if cert is None and (":" in ref or "\u2026" in ref):
                problems.append(
                    f"'{ref}' is not a whole SHA-256 fingerprint (32 bytes, 64 hexadecimal digits). Give the whole "
                    "fingerprint, or the certificate's id."
                )
                continue
        if cert is None:
            continue
        label = f"'{cert.get('friendly_name')}' ({cert.get('sha256_fingerprint')})"
        if cert.get("factory_default"):
            problems.append(
                f"{label} is the factory default certificate, which cannot be deleted: it serves every address "
                "that has no other certificate."
            )
        elif cert.get("ip_addresses"):
            problems.append(
                f"{label} serves {', '.join(cert['ip_addresses'])}. Bind another certificate to those addresses "
                "(bomgar.pki.appliance_ip_binding), then delete it."
            )
        else:
            targets[cert.get("id")] = cert
    return list(targets.values()), problems


def run(ctx) -> dict:
    """Delete the certificates named that are on the appliance, after checking all of them."""
    client = ctx.client()
    certificates = list(client.get("certificates") or [])
    targets, problems = targets_of(certificates, ctx.params["certificates"])
    chain_problems, warnings = _chain_problems(
        {cert.get("id"): cert for cert in targets}, certificates, ctx.params["allow_chain_break"]
    )
    problems += chain_problems
    if problems:
        ctx.fail(" ".join(problems) + " Nothing was deleted.")
    for warning in warnings:
        ctx.warn(warning)
    deleted = [certificate_for_diff(cert) for cert in targets]
    if targets and not ctx.check_mode:
        for cert in targets:
            try:
                client.delete(f"certificates/{cert['id']}")
            except ApplianceAPIError as exc:
                if exc.status != 404:  # gone meanwhile: absent, as asked
                    raise
    return {
        "changed": bool(targets),
        "deleted": deleted,
        "diff": {"before": {"certificates": deleted}, "after": {"certificates": []}},
    }


MODULE_SPEC = ModuleSpec(argument_spec=ARGUMENT_SPEC, run=run)
