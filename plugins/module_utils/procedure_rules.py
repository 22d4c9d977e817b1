# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The procedure's rules over what an appliance reports about its certificates, each written once.

Modules, filters, the plan and the support bundle call these; roles read what
the modules return and never work a rule out again. The other rules live
beside the data they need: whether names cover a hostname in
``pki.hostnames.hostname_covered``, the procedure's naming rules in
``pki.name_rules``, when renewal is due in ``pki.renewal.renewal_decision``.

Certificates here are the dicts of the Appliance Certificate API: ``chain`` is
the list of SHA-256 fingerprints from the certificate up, ``chain_status`` is
``complete``, ``incomplete`` or ``self_signed``.
"""

from __future__ import annotations

from .pki.fingerprints import fingerprint_or_none

DEFAULT_SITE_PORT = 443


def root_fingerprint(certificate: dict | None) -> str | None:
    """The fingerprint of the root a certificate chains to, or None when that is not known.

    A self-signed certificate is its own root, whether or not the appliance lists a chain for it. A CA-signed
    certificate has a root only when its chain is complete: the last certificate of the chain. An incomplete
    chain (an intermediate or the root not imported) has no known root.
    """
    certificate = certificate or {}
    status = certificate.get("chain_status")
    if status == "self_signed":
        return fingerprint_or_none(certificate.get("sha256_fingerprint"))
    chain = certificate.get("chain") or []
    if status == "complete" and chain:
        return fingerprint_or_none(chain[-1])
    return None


def software_update_required(root: str | None, trusted_roots) -> bool:
    """True when the appliance software must be rebuilt by the vendor for a certificate with this root.

    The software embeds the roots it trusts (Status > Basics lists their fingerprints); a root that is not
    among them, or a root that is not known, needs a new build. Fingerprints compare in any spelling.
    """
    wanted = fingerprint_or_none(root)
    if wanted is None:
        return True
    return wanted not in {fingerprint_or_none(fingerprint) for fingerprint in trusted_roots or []}


def software_update_of(certificate: dict | None, status: dict | None) -> dict:
    """``{root_fingerprint, software_update_required}`` of a certificate on an appliance with this Status > Basics.

    What modules return beside a certificate; both are None when there is no certificate.
    """
    if not certificate:
        return {"root_fingerprint": None, "software_update_required": None}
    root = root_fingerprint(certificate)
    trusted = (status or {}).get("trusted_root_fingerprints") or []
    return {"root_fingerprint": root, "software_update_required": software_update_required(root, trusted)}


def site_port(status: dict | None, given=None) -> int:
    """The port on which an appliance serves its site: the one given, else what Status > Basics reports, else 443."""
    if given:
        return int(given)
    return int((status or {}).get("site_port") or DEFAULT_SITE_PORT)
