# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Finding appliance resources the way users name them, and the shapes modules return and diff."""

from __future__ import annotations

from ..pki.fingerprints import fingerprint_or_none

CERTIFICATE_DIFF_FIELDS = (
    "friendly_name",
    "sha256_fingerprint",
    "subject",
    "issuer",
    "subject_alt_name",
    "not_before",
    "not_after",
    "chain_status",
    "ip_addresses",
)


def find_certificate(certificates: list, ref: str) -> dict | None:
    """The certificate a user means by ``ref``: a SHA-256 fingerprint, an id, or a friendly name.

    Several certificates can share a friendly name (a renewal keeps it); the
    newest server certificate among them is meant.
    """
    fingerprint = fingerprint_or_none(ref)
    if fingerprint:
        return next((c for c in certificates if c.get("sha256_fingerprint") == fingerprint), None)
    by_id = next((c for c in certificates if c.get("id") == ref), None)
    if by_id:
        return by_id
    named = [c for c in certificates if c.get("friendly_name") == ref]
    if not named:
        return None
    servers = [c for c in named if c.get("role") == "server"] or named
    return max(servers, key=lambda c: (c.get("not_before") or "", c.get("created_at") or ""))


def describe_choices(certificates: list, limit: int = 10) -> str:
    """``'a' (ab:cd…), 'b' (…)`` for error messages."""
    shown = [f"'{c.get('friendly_name')}' ({(c.get('sha256_fingerprint') or '')[:23]}…)" for c in certificates[:limit]]
    more = len(certificates) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "") if shown else "none"


def certificate_for_diff(cert: dict | None) -> dict:
    """The fields a diff shows for a certificate: names, fingerprints, dates, bindings; never key material."""
    if not cert:
        return {}
    return {name: cert.get(name) for name in CERTIFICATE_DIFF_FIELDS if name in cert}


def served_chain_matches(expected: list, served: list, root_may_be_absent: bool) -> bool:
    """True when the served chain (leaf first) is the expected one; the root may be left out when it ends one."""
    if not expected or not served:
        return False
    if list(served) == list(expected):
        return True
    return root_may_be_absent and len(expected) > 1 and list(served) == list(expected[:-1])
