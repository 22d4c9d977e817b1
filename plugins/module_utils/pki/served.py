# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a TLS server shows a client, and what a client that trusts a CA bundle makes of it.

The input is the chain exactly as the server sent it (DER, in its order, read
without trusting it). The facts are those of the core: the certificate as
``describe.describe_certificate`` sees it, the chain ordered by ``chain.build_chain``
(and so: the order it was sent in, what is missing, whether the root was sent),
path validation with cryptography's verifier against the bundle
(``chain_verify.validate_with_store``), hostname coverage by the one rule
(``hostnames.hostname_covered`` through ``chain_facts.covers_hostname``), the
renewal rule (``renewal.renewal_decision``) and the publicly trusted lifetime
in force at issuance (``lifetime.maximum_lifetime_days``).
"""

from __future__ import annotations

import datetime

from .chain import STATUS_COMPLETE, STATUS_INCOMPLETE, STATUS_SELF_SIGNED, build_chain
from .chain_facts import ROLE_ROOT, covers_hostname, is_self_signed, subject_text
from .chain_verify import validate_with_store
from .deps import require_cryptography
from .describe import describe_certificate, iso_time
from .errors import ChainError, PKIError
from .fingerprints import certificate_fingerprint
from .lifetime import maximum_lifetime_days
from .renewal import renewal_decision

try:
    from cryptography import x509
except ImportError:  # reported by deps.require_cryptography()
    x509 = None

ROLE_UNRELATED = "unrelated"
_DAY_SECONDS = 86400.0


def load_served(ders: list) -> list:
    """The served DER certificates as certificate objects, in the order served; ChainError when none or unreadable."""
    require_cryptography()
    if not ders:
        raise ChainError("The server sent no certificate.", "Check that the address serves TLS on this port.")
    certs = []
    for position, der in enumerate(ders, start=1):
        try:
            certs.append(x509.load_der_x509_certificate(bytes(der)))
        except ValueError as exc:
            raise ChainError(f"Certificate {position} the server sent cannot be read: {exc}.") from None
    return certs


def _time(cert, moment: datetime.datetime) -> dict:
    """Dates, days left, lifetime and the share of it left, and the lifetime publicly trusted CAs may issue."""
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    lifetime = (end - start).total_seconds() / _DAY_SECONDS
    days_left = (end - moment).total_seconds() / _DAY_SECONDS
    maximum = maximum_lifetime_days(start)
    return {
        "not_before": iso_time(start),
        "not_after": iso_time(end),
        "days_left": round(days_left, 2),
        "lifetime_days": round(lifetime, 2),
        "fraction_left": round(min(1.0, max(0.0, days_left / lifetime)), 4) if lifetime > 0 else 0.0,
        "expired": moment > end,
        "not_yet_valid": moment < start,
        "public_maximum_days": maximum,
        # A day of slack: the Baseline Requirements count both ends of the validity period.
        "over_public_maximum": lifetime > maximum + 1,
    }


def _served_entry(cert, role: str) -> dict:
    return {
        "subject": subject_text(cert),
        "issuer": cert.issuer.rfc4514_string() or "(empty name)",
        "sha256_fingerprint": certificate_fingerprint(cert),
        "role": role,
        "self_signed": is_self_signed(cert),
        "not_after": iso_time(cert.not_valid_after_utc),
    }


def chain_as_served(certs: list, trust, moment: datetime.datetime):
    """``(facts, report)``: the chain as served, judged against the bundle ``trust``, and the ordered ChainReport.

    ``status``: ``complete`` (the path reaches a root: sent, or in the bundle), ``incomplete`` (the issuer of the
    last certificate on the path was neither sent nor is in the bundle: a missing intermediate, or a root the
    bundle does not hold) or ``self_signed``. ``in_order``: the certificates on the path were sent leaf first,
    each followed by its issuer. ``root_included``: the server sends the root itself. ``unrelated``: sent
    certificates that are not on the path.
    """
    report = build_chain(certs[1:], leaf=certs[0], validate=False, now=moment)
    path_fingerprints = report.fingerprints()
    served_fingerprints = [certificate_fingerprint(cert) for cert in certs]
    on_path = [fingerprint for fingerprint in served_fingerprints if fingerprint in path_fingerprints]
    roles = dict(zip(path_fingerprints, report.roles, strict=True))
    anchor = None
    status = report.status
    if status == STATUS_SELF_SIGNED:
        anchor = certs[0] if trust.contains(certs[0]) else None
    elif status == STATUS_COMPLETE:
        anchor = report.chain[-1] if trust.contains(report.chain[-1]) else None
    else:
        anchor = trust.issuer_of(report.chain[-1])
        if anchor is not None:
            status = STATUS_COMPLETE
    root_included = (
        report.status == STATUS_COMPLETE and len(report.chain) > 1 and path_fingerprints[-1] in served_fingerprints[1:]
    )
    missing = status == STATUS_INCOMPLETE
    facts = {
        "status": status,
        "length": len(certs),
        "in_order": on_path == path_fingerprints[: len(on_path)],
        "root_included": root_included,
        "anchored": anchor is not None,
        "anchor": subject_text(anchor) if anchor is not None else None,
        "missing_issuer": report.missing_issuer if missing else None,
        "missing_aia_urls": list(report.missing_aia_urls) if missing else [],
        "served": [
            _served_entry(cert, roles.get(fingerprint, ROLE_UNRELATED))
            for cert, fingerprint in zip(certs, served_fingerprints, strict=True)
        ],
        "path": path_fingerprints,
        "unrelated": [fingerprint for fingerprint in served_fingerprints if fingerprint not in path_fingerprints],
    }
    return facts, report


def coverage(cert, hostnames: list) -> dict:
    """``{hostname: covered}`` by the one coverage rule; a name that is no DNS name or IP address covers nothing."""
    covered = {}
    for hostname in hostnames:
        try:
            covered[hostname] = covers_hostname(cert, hostname)
        except PKIError:
            covered[hostname] = False
    return covered


def _reason(chain: dict, time: dict, hostname: str | None, covered: bool | None, named, report, moment) -> str:
    """Why a client refuses the chain, in the words of what to fix (dates, names, chain, trust)."""
    if time["expired"]:
        return f"the server certificate expired on {time['not_after']}"
    if time["not_yet_valid"]:
        return f"the server certificate is not valid before {time['not_before']}"
    if hostname and covered is False:
        return f"the certificate does not cover {hostname}"
    if chain["status"] == STATUS_INCOMPLETE:
        where = f" (its AIA caIssuers: {', '.join(chain['missing_aia_urls'])})" if chain["missing_aia_urls"] else ""
        return (
            f"chain incomplete: the issuer '{chain['missing_issuer']}' of '{subject_text(report.chain[-1])}' was not "
            f"sent and is not in the CA bundle{where}"
        )
    if chain["status"] == STATUS_SELF_SIGNED and not chain["anchored"]:
        return "self-signed certificate that the CA bundle does not hold"
    if not chain["anchored"] and report.roles and report.roles[-1] == ROLE_ROOT:
        return f"the root '{subject_text(report.chain[-1])}' is not in the CA bundle"
    expired = [
        f"'{subject_text(cert)}' expired on {iso_time(cert.not_valid_after_utc)}"
        for cert in report.chain[1:]
        if cert.not_valid_after_utc < moment
    ]
    if expired:
        return "a CA certificate of the chain has expired: " + "; ".join(expired)
    diagnosis = [line for line in named.warnings if not line.startswith("path validation for")]
    return diagnosis[0] if diagnosis else (named.error or "the chain does not validate")


def served_facts(
    ders: list,
    trust,
    moment: datetime.datetime,
    hostname: str | None = None,
    hostnames: list | None = None,
    renew_before_days=None,
    renew_before_percent=None,
) -> dict:
    """Everything about one served chain: the certificate, the chain, trust, names, dates and renewal.

    ``hostname`` is the name the client asked for (SNI) and is verified; ``hostnames`` are every name the
    host is known by, each checked for coverage. ``trust`` is a ``trust.TrustStore``.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    certs = load_served(ders)
    leaf = certs[0]
    chain, report = chain_as_served(certs, trust, moment)
    time = _time(leaf, moment)
    names = list(dict.fromkeys([*(hostnames or []), *([hostname] if hostname else [])]))
    covered = coverage(leaf, names)
    named = validate_with_store(trust.store, leaf, certs[1:], report.chain, report.roles, hostname, moment)
    trusted = named
    if hostname:
        trusted = validate_with_store(trust.store, leaf, certs[1:], report.chain, report.roles, None, moment)
    this_covered = covered.get(hostname) if hostname else None
    renewal = renewal_decision(
        leaf.not_valid_before_utc,
        leaf.not_valid_after_utc,
        now=moment,
        renew_before_days=renew_before_days,
        renew_before_percent=renew_before_percent,
    ).as_dict()
    verification = {
        "verified": named.validated,
        "chain_trusted": trusted.validated,
        "hostname": named.hostname,
        "reason": None,
        "details": [line for line in named.warnings if not line.startswith("path validation for")],
        "verifier_error": named.error,
        "chain_reason": None,
    }
    if not named.validated:
        verification["reason"] = _reason(chain, time, hostname, this_covered, named, report, moment)
    verification["chain_reason"] = (
        None if trusted.validated else _reason(chain, time, None, None, trusted, report, moment)
    )
    try:
        certificate = describe_certificate(leaf)
    except PKIError as exc:
        raise ChainError(f"The server certificate cannot be described: {exc}") from None
    return {
        "certificate": {**certificate, **time},
        "chain": chain,
        "verification": verification,
        "hostname_covered": this_covered,
        "hostnames_covered": covered,
        "renewal": {
            "due": renewal["renewal_due"],
            "renew_at": renewal["renew_at"],
            "reason": renewal["reason"],
        },
    }
