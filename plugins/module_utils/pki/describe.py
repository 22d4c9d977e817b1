# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificates and requests as plain dicts, and what differs from a desired spec.

The dicts carry no key material: they are safe for module results, diffs, logs
and API responses.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import aia, chain_facts, hostnames, subject_fields
from .fingerprints import certificate_fingerprint, public_key_fingerprint
from .keys import KeySpec, describe_key

try:
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID
except ImportError:  # see deps.require_cryptography()
    x509 = ExtendedKeyUsageOID = None

_EKU_NAMES = {
    "serverAuth": "SERVER_AUTH",
    "clientAuth": "CLIENT_AUTH",
    "codeSigning": "CODE_SIGNING",
    "emailProtection": "EMAIL_PROTECTION",
    "timeStamping": "TIME_STAMPING",
    "OCSPSigning": "OCSP_SIGNING",
}
_KEY_USAGE_FIELDS = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
)


def iso_time(moment) -> str:
    """``2026-11-29T09:50:13Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _extension(obj, cls):
    try:
        return obj.extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None


def _eku_names(cert) -> list[str]:
    value = _extension(cert, x509.ExtendedKeyUsage)
    if value is None:
        return []
    by_oid = {getattr(ExtendedKeyUsageOID, attr): label for label, attr in _EKU_NAMES.items()}
    return [by_oid.get(oid, oid.dotted_string) for oid in value]


def _key_usage(cert) -> list[str]:
    value = _extension(cert, x509.KeyUsage)
    if value is None:
        return []
    return [label for attr, label in _KEY_USAGE_FIELDS if getattr(value, attr)]


def _name_dict(name) -> dict:
    return subject_fields.subject_from_name(name).as_dict()


def describe_certificate(cert) -> dict:
    """Everything a person or a playbook needs to know about a certificate, as a plain dict."""
    constraints = _extension(cert, x509.BasicConstraints)
    self_issued = chain_facts.is_self_issued(cert)
    return {
        "subject": _name_dict(cert.subject),
        "subject_text": subject_fields.name_to_text(cert.subject),
        "issuer": _name_dict(cert.issuer),
        "issuer_text": subject_fields.name_to_text(cert.issuer),
        "subject_alt_name": [str(entry) for entry in hostnames.sans_from_certificate(cert)],
        "serial_number": format(cert.serial_number, "x"),
        "not_before": iso_time(cert.not_valid_before_utc),
        "not_after": iso_time(cert.not_valid_after_utc),
        "sha256_fingerprint": certificate_fingerprint(cert),
        "public_key_fingerprint": public_key_fingerprint(cert.public_key()),
        "public_key": describe_key(cert.public_key()),
        "signature_algorithm": _signature_algorithm(cert),
        "is_ca": bool(constraints and constraints.ca),
        "path_length": constraints.path_length if constraints and constraints.ca else None,
        "self_issued": self_issued,
        "self_signed": self_issued and chain_facts.is_self_signed(cert),
        "key_usage": _key_usage(cert),
        "extended_key_usage": _eku_names(cert),
        "ca_issuers_urls": aia.ca_issuers_urls(cert),
        "ocsp_urls": aia.ocsp_urls(cert),
    }


def _signature_algorithm(obj) -> str:
    oid = obj.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string


def describe_csr(csr) -> dict:
    """A certificate request as a plain dict."""
    return {
        "subject": _name_dict(csr.subject),
        "subject_text": subject_fields.name_to_text(csr.subject),
        "subject_alt_name": [str(entry) for entry in hostnames.sans_from_certificate(csr)],
        "public_key_fingerprint": public_key_fingerprint(csr.public_key()),
        "public_key": describe_key(csr.public_key()),
        "signature_algorithm": _signature_algorithm(csr),
        "signature_valid": csr.is_signature_valid,
    }


@dataclass(frozen=True)
class Difference:
    """One field where what exists differs from what is wanted."""

    field: str
    current: object
    desired: object

    def as_dict(self) -> dict:
        """JSON-friendly form."""
        return {"field": self.field, "current": self.current, "desired": self.desired}

    def __str__(self) -> str:
        return f"{self.field}: {self.current!r} -> {self.desired!r}"


def compare_with_spec(
    obj,
    subject: subject_fields.SubjectSpec | None = None,
    sans=None,
    key_spec: KeySpec | None = None,
    public_key_fingerprint_wanted: str | None = None,
) -> list[Difference]:
    """What differs between a certificate or request and a desired spec; empty when it matches.

    Only the parts given are compared. Subject fields are compared one by one;
    alternative names as a set (order aside from the first, which must stay
    first when the common name is a DNS name, is not significant to clients).
    """
    differences: list[Difference] = []
    if subject is not None:
        current = subject_fields.subject_from_name(obj.subject).as_dict()
        wanted = subject.as_dict()
        for field in sorted(set(current) | set(wanted)):
            if current.get(field) != wanted.get(field):
                differences.append(Difference(field, current.get(field), wanted.get(field)))
    if sans is not None:
        current_sans = [str(entry) for entry in hostnames.sans_from_certificate(obj)]
        wanted_sans = [str(entry) for entry in hostnames.parse_sans(sans)]
        if set(current_sans) != set(wanted_sans) or (
            wanted_sans and current_sans and current_sans[0] != wanted_sans[0]
        ):
            differences.append(Difference("subject_alt_name", current_sans, wanted_sans))
    public = obj.public_key()
    if key_spec is not None:
        current_key = describe_key(public)
        wanted_key = key_spec.as_dict()
        if any(current_key.get(k) != v for k, v in wanted_key.items()):
            differences.append(Difference("key", _key_text(current_key), key_spec.describe()))
    if public_key_fingerprint_wanted is not None:
        current_fp = public_key_fingerprint(public)
        if current_fp != public_key_fingerprint_wanted:
            differences.append(Difference("public_key_fingerprint", current_fp, public_key_fingerprint_wanted))
    return differences


def _key_text(info: dict) -> str:
    if info.get("type") == "rsa":
        return f"RSA {info.get('size')}"
    if info.get("type") == "ec":
        return f"EC {info.get('curve')}"
    return str(info.get("type"))
