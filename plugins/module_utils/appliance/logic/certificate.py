# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""appliance_certificate: remove certificates from the appliance (the Delete button of the Certificates list).

Certificates are named exactly, by SHA-256 fingerprint or id: a friendly name
can belong to several certificates (renewals keep it), so it is refused with the
fingerprints it matches. Every refusal is made before anything is deleted: the
factory default certificate, and a certificate that still serves an address.
A certificate that is not there is already absent.
"""

from __future__ import annotations

from ...pki.fingerprints import fingerprint_or_none
from ..client import ApplianceAPIError
from ..resources import certificate_for_diff
from ..runner import ModuleSpec

ARGUMENT_SPEC = {
    "certificates": {"type": "list", "elements": "str", "required": True},
    "state": {"type": "str", "choices": ["absent"], "required": True},
}


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
    if problems:
        ctx.fail(" ".join(problems) + " Nothing was deleted.")
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
