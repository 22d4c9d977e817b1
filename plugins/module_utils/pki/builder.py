# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make certificate requests and certificates: request, self-signed, signed by a local CA, CA itself."""

from __future__ import annotations

import datetime

from . import hostnames, name_rules, subject_fields
from .errors import ChainError, SpecError
from .keys import ensure_key_matches, signature_hash_for

try:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID
except ImportError:  # see deps.require_cryptography()
    x509 = rsa = AuthorityInformationAccessOID = ExtendedKeyUsageOID = None

MAX_DAYS = 3650
BACKDATE = datetime.timedelta(minutes=5)


def utcnow() -> datetime.datetime:
    """The current time, timezone-aware UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


def _check_days(days) -> int:
    try:
        value = int(days)
    except (TypeError, ValueError):
        raise SpecError(f"Validity '{days}' is not a number of days.", hint="Give a whole number, e.g. 365.") from None
    if not 1 <= value <= MAX_DAYS:
        raise SpecError(
            f"A validity of {value} days is outside 1..{MAX_DAYS}.",
            hint="Choose a validity your CA and clients accept; public CAs issue at most 398 days.",
        )
    return value


def _sans(subject: subject_fields.SubjectSpec, sans) -> list:
    entries = hostnames.parse_sans(sans or [])
    name_rules.validate_request(subject, entries)
    return entries


def _san_extension(entries):
    return x509.SubjectAlternativeName([hostnames.san_general_name(entry) for entry in entries])


def _server_key_usage(public_key):
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=isinstance(public_key, rsa.RSAPublicKey),
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _ca_key_usage():
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def build_csr(key, subject: subject_fields.SubjectSpec, sans=()):
    """A certificate request for ``key`` with ``subject`` and alternative names, checked by the procedure's rules."""
    entries = _sans(subject, sans)
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject_fields.build_name(subject))
    if entries:
        builder = builder.add_extension(_san_extension(entries), critical=False)
    return builder.sign(key, signature_hash_for(key))


def _validity(days: int, now: datetime.datetime | None):
    start = (now or utcnow()) - BACKDATE
    return start, start + BACKDATE + datetime.timedelta(days=days)


def self_signed_certificate(
    key, subject: subject_fields.SubjectSpec, sans=(), days: int = 365, now=None, serial: int | None = None
):
    """A self-signed server certificate (not a CA) for ``key``; it has no chain beyond itself."""
    entries = _sans(subject, sans)
    start, end = _validity(_check_days(days), now)
    name = subject_fields.build_name(subject)
    public = key.public_key()
    ski = x509.SubjectKeyIdentifier.from_public_key(public)
    aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    builder = _server_certificate(name, name, public, (start, end), serial, entries, aki)
    return builder.sign(key, signature_hash_for(key))


def _server_certificate(subject_name, issuer_name, public, validity, serial, entries, aki):
    """The builder of a TLS server certificate: not a CA, serverAuth, key identifiers, SANs."""
    start, end = validity
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject_name)
        .issuer_name(issuer_name)
        .public_key(public)
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_server_key_usage(public), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(aki, critical=False)
    )
    if entries:
        builder = builder.add_extension(_san_extension(entries), critical=False)
    return builder


def _authority_key_identifier(ca_cert):
    try:
        ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key())


def _check_signing_ca(ca_cert, ca_key, now: datetime.datetime) -> None:
    ensure_key_matches(ca_key, ca_cert, "CA certificate")
    try:
        constraints = ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        is_ca = constraints.ca
    except x509.ExtensionNotFound:
        is_ca = False
    subject = ca_cert.subject.rfc4514_string()
    if not is_ca:
        raise ChainError(
            f"The signing certificate '{subject}' is not a CA (basicConstraints CA:TRUE is missing).",
            hint="Sign with a CA certificate and its key.",
        )
    if ca_cert.not_valid_after_utc <= now:
        raise ChainError(
            f"The CA certificate '{subject}' expired on {ca_cert.not_valid_after_utc.isoformat()}.",
            hint="Renew the CA certificate before signing with it.",
        )


def sign_csr(
    csr,
    ca_cert,
    ca_key,
    days: int = 365,
    now=None,
    serial: int | None = None,
    ca_issuers_url: str | None = None,
    ocsp_url: str | None = None,
):
    """Sign a request as a TLS server certificate with a local CA.

    The subject and alternative names come from the request. The certificate
    gets serverAuth, a subject and authority key identifier, and, when URLs are
    given, Authority Information Access. Its end never passes the CA's own end.
    """
    current = now or utcnow()
    if not csr.is_signature_valid:
        raise SpecError(
            "The certificate request's signature does not verify; the request is corrupt or was altered.",
            hint="Create the request again.",
        )
    _check_signing_ca(ca_cert, ca_key, current)
    subject = subject_fields.subject_from_name(csr.subject)
    entries = hostnames.sans_from_certificate(csr)
    name_rules.validate_request(subject, entries)
    start, end = _validity(_check_days(days), current)
    validity = (start, min(end, ca_cert.not_valid_after_utc))
    aki = _authority_key_identifier(ca_cert)
    builder = _server_certificate(csr.subject, ca_cert.subject, csr.public_key(), validity, serial, entries, aki)
    access = _access_descriptions(ca_issuers_url, ocsp_url)
    if access:
        builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
    return builder.sign(ca_key, signature_hash_for(ca_key))


def _access_descriptions(ca_issuers_url: str | None, ocsp_url: str | None) -> list:
    access = []
    if ocsp_url:
        access.append(
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))
        )
    if ca_issuers_url:
        access.append(
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(ca_issuers_url)
            )
        )
    return access


def create_ca_certificate(
    key,
    subject: subject_fields.SubjectSpec,
    days: int = 3650,
    issuer_cert=None,
    issuer_key=None,
    path_length: int | None = None,
    now=None,
    serial: int | None = None,
    ca_issuers_url: str | None = None,
):
    """A CA certificate: a root when no issuer is given, otherwise an intermediate signed by the issuer."""
    if not subject.common_name:
        raise SpecError("A CA certificate needs a common name.", hint="Set common_name, e.g. 'Example Issuing CA'.")
    current = now or utcnow()
    start, end = _validity(_check_days(days), current)
    public = key.public_key()
    signer_key = key
    issuer_name = subject_fields.build_name(subject)
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(public)
    if issuer_cert is not None:
        if issuer_key is None:
            raise SpecError("An intermediate CA needs the issuing CA's key as well as its certificate.")
        _check_signing_ca(issuer_cert, issuer_key, current)
        signer_key = issuer_key
        issuer_name = issuer_cert.subject
        aki = _authority_key_identifier(issuer_cert)
        end = min(end, issuer_cert.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject_fields.build_name(subject))
        .issuer_name(issuer_name)
        .public_key(public)
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(aki, critical=False)
    )
    access = _access_descriptions(ca_issuers_url, None)
    if access:
        builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
    return builder.sign(signer_key, signature_hash_for(signer_key))
