# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Path validation of a chain that ends in a root, as a TLS client does it, and our reading of why it fails.

The validation is cryptography's X.509 verifier (RFC 5280 and the CA/Browser
Forum profile) with the chain's own root as the only trust anchor; when it
refuses, the diagnosis names what a person can fix: dates, names, key usages,
key sizes and signature algorithms.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass, field

from .chain_facts import ROLE_SERVER, covers_hostname, extension, is_ca, sans_of, subject_text
from .errors import SpecError, with_article
from .serving import EKU_NAMES, MINIMUM_RSA_BITS, small_rsa_bits, weak_signature_hash

_VALIDATION_ERRORS: tuple = (ValueError, TypeError)
try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

    _VALIDATION_ERRORS += (VerificationError, UnsupportedAlgorithm)
except ImportError:  # reported by deps.require_cryptography()
    x509 = ExtendedKeyUsageOID = PolicyBuilder = Store = UnsupportedAlgorithm = None


def _verifier_hostname(leaf, hostname: str | None) -> str | None:
    """The name to validate the leaf for: the hostname, else its first DNS or IP alternative name."""
    if hostname:
        return hostname.strip().rstrip(".")
    sans = sans_of(leaf)
    dns = [entry.value for entry in sans if entry.type == "DNS"]
    plain = [value for value in dns if not value.startswith("*.")]
    addresses = [entry.value for entry in sans if entry.type == "IP"]
    if plain:
        return plain[0]
    if dns:
        # A wildcard-only certificate: a name one label under its first wildcard.
        return "host" + dns[0][1:]
    if addresses:
        return addresses[0]
    return None


def _general_name(text: str):
    try:
        return x509.IPAddress(ipaddress.ip_address(text))
    except ValueError:
        return x509.DNSName(text)


def _date(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _diagnose(chain: list, roles: list[str], hostname: str | None, moment) -> list[str]:
    """Our own reading of why a validator refuses the chain: dates, names, key usages, profile."""
    found = []
    for cert, role in zip(chain, roles, strict=True):
        name = f"{role} certificate '{subject_text(cert)}'"
        if cert.not_valid_after_utc < moment:
            found.append(f"{name} expired on {_date(cert.not_valid_after_utc)}")
        elif cert.not_valid_before_utc > moment:
            found.append(f"{name} is not valid before {_date(cert.not_valid_before_utc)}")
        bits = small_rsa_bits(cert)
        if bits is not None:
            found.append(f"{name} has {with_article(f'{bits}-bit')} RSA key; validators require {MINIMUM_RSA_BITS}")
        weak = weak_signature_hash(cert)
        if weak is not None:
            found.append(f"{name} is signed with {weak}, which validators refuse")
        if role != ROLE_SERVER:
            found.extend(_diagnose_ca(cert, name))
    found.extend(_diagnose_leaf(chain[0], hostname))
    return found


def _diagnose_ca(cert, name: str) -> list[str]:
    found = []
    if not is_ca(cert):
        found.append(f"{name} is not marked as a CA (basicConstraints CA:TRUE), yet it issues the certificate below it")
    usage = extension(cert, x509.KeyUsage)
    if usage is None:
        found.append(f"{name} has no keyUsage extension; RFC 5280 validators require keyCertSign on a CA")
    elif not usage.key_cert_sign:
        found.append(f"{name} has a keyUsage without keyCertSign, so it may not sign certificates")
    return found


def _covers(leaf, hostname: str) -> bool:
    try:
        return covers_hostname(leaf, hostname)
    except SpecError:
        return False


def _diagnose_leaf(leaf, hostname: str | None) -> list[str]:
    found = []
    name = f"server certificate '{subject_text(leaf)}'"
    sans = sans_of(leaf)
    if extension(leaf, x509.SubjectAlternativeName) is None:
        found.append(f"{name} has no subjectAltName extension; validators match hostnames only there")
    elif hostname and not _covers(leaf, hostname):
        listed = ", ".join(str(entry) for entry in sans) or "none"
        found.append(f"{name} does not cover hostname '{hostname}' (its names: {listed})")
    usages = extension(leaf, x509.ExtendedKeyUsage)
    if usages is not None and ExtendedKeyUsageOID.SERVER_AUTH not in usages:
        listed = ", ".join(EKU_NAMES.get(oid.dotted_string, oid.dotted_string) for oid in usages) or "none"
        found.append(f"{name} is not for TLS servers: its extendedKeyUsage lacks serverAuth (has: {listed})")
    if is_ca(leaf):
        found.append(f"{name} is marked as a CA (basicConstraints CA:TRUE), which validators refuse for a server")
    if extension(leaf, x509.AuthorityKeyIdentifier) is None:
        found.append(f"{name} has no authorityKeyIdentifier extension, which RFC 5280 validators require")
    return found


@dataclass
class Validation:
    validated: bool = False
    hostname: str | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def validate_path(chain: list, roles: list[str], hostname: str | None, moment) -> Validation:
    """Path validation of a chain that ends in a root (or a self-signed leaf), as a TLS client would."""
    return _validate(Store([chain[-1]]) if Store else None, chain[0], chain[1:-1], chain, roles, hostname, moment)


def validate_with_store(
    store, leaf, intermediates: list, path: list, roles: list[str], hostname: str | None, moment
) -> Validation:
    """Path validation of a served chain against trust anchors ``store`` (a cryptography ``Store``).

    ``intermediates`` are the other certificates the server sent, in any order (the verifier builds the path);
    ``path`` and ``roles`` (the chain as ordered from what was sent) are what the diagnosis reads when the
    verifier refuses. With ``hostname`` None the leaf is validated for its own first name, so that the result
    says whether the chain is trusted, names aside.
    """
    return _validate(store, leaf, list(intermediates), path, roles, hostname, moment)


def _validate(store, leaf, intermediates: list, path: list, roles: list[str], hostname: str | None, moment):
    text = _verifier_hostname(leaf, hostname)
    if text is None:
        return Validation(
            warnings=[
                "chain not validated: no hostname was given and the server certificate has no DNS or IP "
                "alternative name to validate it for"
            ]
        )
    result = Validation(hostname=text)
    try:
        subject = _general_name(text)
        verifier = PolicyBuilder().store(store).time(moment).build_server_verifier(subject)
    except (ValueError, TypeError) as exc:
        result.error = f"cannot validate for hostname '{text}': {exc}"
        result.warnings.append(f"chain not validated: '{text}' is not a hostname a TLS client could connect to")
        return result
    try:
        verifier.verify(leaf, intermediates)
    except _VALIDATION_ERRORS as exc:
        result.error = str(exc)
        result.warnings.append(f"path validation for '{text}' failed: {exc}")
        result.warnings.extend(_diagnose(path, roles, text, moment))
        return result
    result.validated = True
    return result
