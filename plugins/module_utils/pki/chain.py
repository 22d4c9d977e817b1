# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""From an unordered set of certificates to the ordered chain of one server certificate.

Path building: the server certificate of a set (by key, by hostname, or the
single end-entity that issues nothing else), then its issuers upwards by
signature, preferring those valid now, until a self-signed root. A chain that
does not end in a root is incomplete: the report names the missing issuer and
the AIA caIssuers URLs it can be fetched from, and ``build_chain`` can follow
those links itself. What one certificate is lives in ``chain_facts``; path
validation in ``chain_verify``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from . import aia
from .chain_facts import (
    ROLE_INTERMEDIATE,
    ROLE_ROOT,
    ROLE_SERVER,
    classify,
    covers_hostname,
    is_end_entity,
    is_self_signed,
    issued_by,
    label,
    subject_text,
    valid_at,
)
from .chain_verify import validate_path
from .deps import require_cryptography
from .errors import ChainError, PKIError, with_article
from .fingerprints import certificate_fingerprint, public_key_fingerprint
from .serving import weak_signature_hash

try:
    from cryptography import x509
except ImportError:  # reported by deps.require_cryptography()
    x509 = None

STATUS_COMPLETE, STATUS_INCOMPLETE, STATUS_SELF_SIGNED = "complete", "incomplete", "self_signed"
# Why an incomplete chain stops where it does (ChainReport.missing_reason).
REASON_MISSING, REASON_LOOP, REASON_OTHER_KEY, REASON_WEAK_SIGNATURE = "missing", "loop", "other_key", "weak_signature"

# Longest path searched upwards from the leaf, and the most issuer candidates tried in one search.
MAX_PATH_LENGTH = 16
_SEARCH_BUDGET = 2000

_IMPORT_ALL_HINT = "Import every file the CA sent (the signed certificate, the intermediates and the root)."
_PICK_LEAF_HINT = (
    "Name the server certificate: give the private key or the appliance hostname it was issued for, "
    "or import only the certificate of this appliance together with its CA files."
)


def _utc(moment: datetime.datetime | None) -> datetime.datetime:
    if moment is None:
        return datetime.datetime.now(datetime.timezone.utc)
    if not isinstance(moment, datetime.datetime):
        raise ChainError(f"The validation time must be a datetime, got {type(moment).__name__} {moment!r}.")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


# --- the set of certificates --------------------------------------------------


def _as_certificate_list(certs) -> list:
    if certs is None:
        return []
    if isinstance(certs, x509.Certificate):
        return [certs]
    if isinstance(certs, (str, bytes)):
        raise ChainError(
            f"Expected certificate objects, got {type(certs).__name__}.",
            "Load the PEM/DER content into certificates first.",
        )
    try:
        items = list(certs)
    except TypeError:
        raise ChainError(
            f"Expected a list of certificates, got {type(certs).__name__}.",
            "Pass the certificates as a list.",
        ) from None
    for position, item in enumerate(items, start=1):
        if not isinstance(item, x509.Certificate):
            raise ChainError(
                f"Item {position} of the certificates is {with_article(type(item).__name__)}, not a certificate.",
                "Load the PEM/DER content into certificates first.",
            )
    return items


class _Pool:
    """The deduplicated certificates, indexed by subject, with cached signature checks."""

    def __init__(self, certs):
        self.certs: list = []
        self._by_fingerprint: dict = {}
        self._by_subject: dict = {}
        self._issued_cache: dict = {}
        for cert in certs:
            self.add(cert)

    def add(self, cert) -> bool:
        """Add ``cert`` unless a certificate with the same fingerprint is there; True when added."""
        fingerprint = certificate_fingerprint(cert)
        if fingerprint in self._by_fingerprint:
            return False
        self._by_fingerprint[fingerprint] = cert
        self.certs.append(cert)
        self._by_subject.setdefault(cert.subject, []).append(cert)
        return True

    def named(self, name) -> list:
        """Certificates whose subject equals ``name``."""
        return list(self._by_subject.get(name, ()))

    def issued(self, child, parent) -> bool:
        key = (certificate_fingerprint(child), certificate_fingerprint(parent))
        if key not in self._issued_cache:
            self._issued_cache[key] = issued_by(child, parent)
        return self._issued_cache[key]

    def issuers_of(self, cert) -> list:
        """Certificates in the pool whose key signed ``cert`` (itself excluded)."""
        own = certificate_fingerprint(cert)
        return [
            parent
            for parent in self.named(cert.issuer)
            if certificate_fingerprint(parent) != own and self.issued(cert, parent)
        ]

    def issues_another(self, cert) -> bool:
        """True when ``cert`` signed some other certificate in the pool."""
        own = certificate_fingerprint(cert)
        return any(
            certificate_fingerprint(child) != own and child.issuer == cert.subject and self.issued(child, cert)
            for child in self.certs
        )


# --- finding the leaf ---------------------------------------------------------


def _candidates_text(candidates) -> str:
    return "; ".join(label(cert) for cert in candidates)


def _candidates_details(candidates) -> list[dict]:
    return [{"subject": subject_text(cert), "fingerprint": certificate_fingerprint(cert)} for cert in candidates]


def _narrow(candidates: list, pool: _Pool) -> list:
    """Among several leaf candidates keep those that issue nothing else, then the end-entities, if any remain."""
    bottom = [cert for cert in candidates if not pool.issues_another(cert)]
    if bottom:
        candidates = bottom
    end_entities = [cert for cert in candidates if is_end_entity(cert)]
    return end_entities or candidates


def _key_fingerprint(key) -> str:
    try:
        return public_key_fingerprint(key)
    except (AttributeError, TypeError, ValueError) as exc:
        raise ChainError(
            f"The key given to find the server certificate is not a usable key object ({type(key).__name__}).",
            "Pass a private or public key loaded with cryptography.",
        ) from exc


def _find_leaf_in(pool: _Pool, key=None, hostname=None, warnings: list | None = None):
    """The leaf of ``pool``. With ``warnings`` given, a hostname no certificate covers is a warning, not an error."""
    everything = pool.certs
    lenient = warnings is not None and key is None
    if lenient and hostname and not any(covers_hostname(cert, hostname) for cert in everything):
        leaf = _find_leaf_in(pool)
        warnings.append(
            f"no certificate covers hostname '{hostname}'; using {label(leaf)}, the only server certificate in the set"
        )
        return leaf
    if key is not None:
        wanted = _key_fingerprint(key)
        candidates = [cert for cert in everything if public_key_fingerprint(cert.public_key()) == wanted]
        if not candidates:
            raise ChainError(
                f"None of the {len(everything)} certificates belongs to the given key (public key {wanted}); "
                f"the certificates are: {_candidates_text(everything)}.",
                "Import the certificate the CA issued for this key, or give the key that belongs to it.",
                {"public_key_fingerprint": wanted, "candidates": _candidates_details(everything)},
            )
        if hostname and len(candidates) > 1:
            covering = [cert for cert in candidates if covers_hostname(cert, hostname)]
            candidates = covering or candidates
        what = "belong to the given key"
    elif hostname:
        candidates = [cert for cert in everything if covers_hostname(cert, hostname)]
        if not candidates:
            raise ChainError(
                f"No certificate covers hostname '{hostname}'; the certificates are: {_candidates_text(everything)}.",
                "Import the certificate issued for this hostname (its alternative names must include it or a "
                "wildcard that covers it), or correct the hostname.",
                {"hostname": hostname, "candidates": _candidates_details(everything)},
            )
        what = f"cover hostname '{hostname}'"
    else:
        candidates = [cert for cert in everything if classify(cert) == ROLE_SERVER]
        if not candidates:
            raise ChainError(
                f"No server certificate among the {len(everything)} certificates; all are CA certificates: "
                f"{_candidates_text(everything)}.",
                "Import the signed server certificate the CA returned, together with its CA files.",
                {"candidates": _candidates_details(everything)},
            )
        what = "could be the server certificate"
    if len(candidates) > 1:
        candidates = _narrow(candidates, pool)
    if len(candidates) == 1:
        return candidates[0]
    raise ChainError(
        f"{len(candidates)} certificates {what}: {_candidates_text(candidates)}.",
        _PICK_LEAF_HINT,
        {"candidates": _candidates_details(candidates)},
    )


def find_leaf(certs, key=None, hostname=None):
    """The server certificate of a set: the one matching ``key`` (by public key), else covering ``hostname``,
    else the single end-entity that issues nothing else. ChainError names the candidates when none or several fit.
    """
    require_cryptography()
    pool = _Pool(_as_certificate_list(certs))
    if not pool.certs:
        raise ChainError("No certificates were given to find the server certificate in.", _IMPORT_ALL_HINT)
    return _find_leaf_in(pool, key=key, hostname=hostname)


# --- walking up ---------------------------------------------------------------


def _preference(cert, moment):
    """Sort key: valid now first, then the latest expiry."""
    return (valid_at(cert, moment), cert.not_valid_after_utc)


def _best_path(leaf, pool: _Pool, moment) -> list:
    """The path from ``leaf`` up by signature; a path ending in a self-signed root wins over a longer search.

    Several issuers of one certificate are tried in order of preference (valid now, then latest
    expiry); the first complete path is taken, else the path through the most preferred issuers.
    """
    budget = [_SEARCH_BUDGET]

    def extend(path: list, on_path: set) -> list:
        current = path[-1]
        if is_self_signed(current) or len(path) >= MAX_PATH_LENGTH:
            return path
        candidates = [parent for parent in pool.issuers_of(current) if certificate_fingerprint(parent) not in on_path]
        candidates.sort(key=lambda parent: _preference(parent, moment), reverse=True)
        fallback = None
        for parent in candidates:
            if budget[0] <= 0:
                break
            budget[0] -= 1
            result = extend([*path, parent], on_path | {certificate_fingerprint(parent)})
            if is_self_signed(result[-1]):
                return result
            if fallback is None:
                fallback = result
        return fallback or path

    return extend([leaf], {certificate_fingerprint(leaf)})


def _ends_in_root(path: list) -> bool:
    return len(path) > 1 and is_self_signed(path[-1])


def _certificates_in(result) -> list:
    if result is None:
        return []
    if isinstance(result, x509.Certificate):
        return [result]
    try:
        return [cert for cert in result if isinstance(cert, x509.Certificate)]
    except TypeError:
        return []


def _follow_aia(leaf, pool: _Pool, moment, fetch, max_depth: int, fetched: list, warnings: list) -> list:
    """Extend the path through AIA caIssuers links until it ends in a root, links run out or ``max_depth`` is hit.

    Each URL is fetched at most once and a certificate already known is not added again, so links
    that point back down the chain end the walk.
    """
    path = _best_path(leaf, pool, moment)
    if is_self_signed(leaf):
        return path
    tried: set[str] = set()
    rounds = 0
    while not _ends_in_root(path):
        last = path[-1]
        urls = [url for url in aia.ca_issuers_urls(last) if url not in tried]
        if not urls:
            break
        if rounds >= max_depth:
            warnings.append(
                f"stopped following AIA caIssuers links after {max_depth} (max_fetch_depth); the issuer of "
                f"'{subject_text(last)}' was not fetched from {', '.join(urls)}"
            )
            break
        rounds += 1
        problems = []
        found = False
        for url in urls:
            tried.add(url)
            try:
                received = _certificates_in(fetch(url))
            except (PKIError, OSError, ValueError) as exc:
                problems.append(str(exc))
                continue
            fetched.extend(cert for cert in received if pool.add(cert))
            if pool.issuers_of(last):
                found = True
                break
            problems.append(f"'{url}' served {len(received)} certificate(s), none of which signed it")
        if not found:
            warnings.extend(f"AIA fetch for the issuer of '{subject_text(last)}': {problem}" for problem in problems)
        path = _best_path(leaf, pool, moment)
    return path


def _roles(path: list) -> list[str]:
    roles = []
    for position, cert in enumerate(path):
        if position == 0:
            roles.append(ROLE_SERVER)
        elif position == len(path) - 1 and is_self_signed(cert):
            roles.append(ROLE_ROOT)
        else:
            roles.append(ROLE_INTERMEDIATE)
    return roles


def _why_incomplete(path: list, pool: _Pool) -> tuple[str, list[str]]:
    """Why the path stops at its last certificate: ``(reason, what was found)``.

    ``missing``: no certificate with the issuer's name; ``loop``: the certificates with that name are
    already in the path (they issue each other and no self-signed root ends it); ``other_key``: a
    certificate has the name but its key does not verify the signature (another CA with the same
    name, or a damaged certificate); ``weak_signature``: the signature uses SHA-1 or MD5, which is
    not verified, so no issuer can be confirmed.
    """
    last = path[-1]
    on_path = {certificate_fingerprint(cert) for cert in path}
    named = pool.named(last.issuer)
    if not named:
        return REASON_MISSING, []
    weak = weak_signature_hash(last)
    if weak is not None:
        return REASON_WEAK_SIGNATURE, [
            f"'{subject_text(last)}' is signed with {weak}, which is not verified, so its issuer "
            f"{label(named[0])} cannot be confirmed"
        ]
    loop = [cert for cert in named if certificate_fingerprint(cert) in on_path and pool.issued(last, cert)]
    if loop:
        return REASON_LOOP, [
            f"certificate {label(cert)} signed '{subject_text(last)}' but is already in the chain: "
            "the certificates issue each other in a loop and no self-signed root ends it"
            for cert in loop
        ]
    others = [cert for cert in named if certificate_fingerprint(cert) not in on_path and not pool.issued(last, cert)]
    if others:
        return REASON_OTHER_KEY, [
            f"certificate {label(cert)} has the issuer's name but its key does not verify the signature of "
            f"'{subject_text(last)}': it is a different CA with the same name, or a damaged certificate"
            for cert in others
        ]
    return REASON_MISSING, []


def _incomplete_warnings(path: list, found: list[str]) -> list[str]:
    last = path[-1]
    missing = last.issuer.rfc4514_string() or "(empty name)"
    urls = aia.ca_issuers_urls(last)
    if urls:
        where = f"fetch it from {', '.join(urls)} (AIA caIssuers) or import every file the CA sent"
    else:
        where = "the certificate has no AIA caIssuers link: import every file the CA sent"
    return [f"chain incomplete: issuer '{missing}' of '{subject_text(last)}' is missing; {where}", *found]


# --- the report ----------------------------------------------------------------


@dataclass
class ChainReport:
    """The ordered chain of one server certificate, its roles, its status and what is wrong with it."""

    leaf: x509.Certificate
    chain: list[x509.Certificate]
    roles: list[str]
    status: str
    missing_issuer: str | None = None
    missing_aia_urls: list[str] = field(default_factory=list)
    missing_reason: str | None = None
    missing_found: list[str] = field(default_factory=list)
    unused: list[x509.Certificate] = field(default_factory=list)
    fetched: list[x509.Certificate] = field(default_factory=list)
    validated: bool = False
    validation_error: str | None = None
    warnings: list[str] = field(default_factory=list)
    validated_hostname: str | None = None

    def fingerprints(self) -> list[str]:
        """SHA-256 fingerprints of the chain, leaf first."""
        return [certificate_fingerprint(cert) for cert in self.chain]

    def as_dict(self) -> dict:
        """A JSON-friendly form (fingerprints, names and dates; no certificate objects)."""
        return {
            "status": self.status,
            "leaf": certificate_fingerprint(self.leaf),
            "fingerprints": self.fingerprints(),
            "roles": list(self.roles),
            "subjects": [cert.subject.rfc4514_string() for cert in self.chain],
            "issuers": [cert.issuer.rfc4514_string() for cert in self.chain],
            "not_after": [cert.not_valid_after_utc.isoformat() for cert in self.chain],
            "missing_issuer": self.missing_issuer,
            "missing_aia_urls": list(self.missing_aia_urls),
            "missing_reason": self.missing_reason,
            "unused": [certificate_fingerprint(cert) for cert in self.unused],
            "fetched": [certificate_fingerprint(cert) for cert in self.fetched],
            "validated": self.validated,
            "validated_hostname": self.validated_hostname,
            "validation_error": self.validation_error,
            "warnings": list(self.warnings),
        }


def build_chain(
    certs,
    leaf=None,
    key=None,
    hostname: str | None = None,
    fetch: Callable[[str], list] | None = None,
    max_fetch_depth: int = 5,
    now: datetime.datetime | None = None,
    validate: bool = True,
) -> ChainReport:
    """Order ``certs`` into the chain of the server certificate, fetch missing issuers through AIA, validate it.

    ``leaf`` names the server certificate (else ``find_leaf`` picks it by ``key`` or ``hostname``);
    ``fetch`` (``url -> list of certificates``, e.g. ``aia.make_http_fetcher()``) is used only when an
    issuer is not in the set, for at most ``max_fetch_depth`` links. Problems are reported in the
    returned ChainReport; ChainError only when there is nothing to build from or no server certificate.
    """
    require_cryptography()
    items = _as_certificate_list(certs)
    if leaf is not None:
        if not isinstance(leaf, x509.Certificate):
            raise ChainError(
                f"The server certificate must be a certificate object, got {type(leaf).__name__}.",
                "Load the PEM/DER content into a certificate first.",
            )
        items = [leaf, *items]
    if fetch is not None and not callable(fetch):
        raise ChainError(
            f"The AIA fetcher must be callable (url -> certificates), got {type(fetch).__name__}.",
            "Pass aia.make_http_fetcher() or leave fetch unset.",
        )
    if isinstance(max_fetch_depth, bool) or not isinstance(max_fetch_depth, int):
        raise ChainError(
            f"max_fetch_depth must be a whole number, got {type(max_fetch_depth).__name__} {max_fetch_depth!r}."
        )
    pool = _Pool(items)
    if not pool.certs:
        raise ChainError("No certificates were given to build a chain from.", _IMPORT_ALL_HINT)
    given = list(pool.certs)
    moment = _utc(now)
    fetched: list = []
    warnings: list[str] = []
    if leaf is None:
        leaf = _find_leaf_in(pool, key=key, hostname=hostname, warnings=warnings)
    if fetch is not None:
        path = _follow_aia(leaf, pool, moment, fetch, max(0, max_fetch_depth), fetched, warnings)
    else:
        path = _best_path(leaf, pool, moment)
    on_path = {certificate_fingerprint(cert) for cert in path}
    roles = _roles(path)
    report = ChainReport(
        leaf=leaf,
        chain=path,
        roles=roles,
        status=STATUS_INCOMPLETE,
        unused=[cert for cert in given if certificate_fingerprint(cert) not in on_path],
        fetched=fetched,
    )
    if is_self_signed(leaf):
        report.status = STATUS_SELF_SIGNED
    elif _ends_in_root(path):
        report.status = STATUS_COMPLETE
    else:
        report.missing_issuer = path[-1].issuer.rfc4514_string()
        report.missing_aia_urls = aia.ca_issuers_urls(path[-1])
        report.missing_reason, report.missing_found = _why_incomplete(path, pool)
        warnings.extend(_incomplete_warnings(path, report.missing_found))

    if validate and report.status != STATUS_INCOMPLETE:
        outcome = validate_path(path, roles, hostname, moment)
        report.validated = outcome.validated
        report.validated_hostname = outcome.hostname
        report.validation_error = outcome.error
        warnings.extend(outcome.warnings)
    report.warnings = warnings
    return report
