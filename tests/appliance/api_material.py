# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificates, keys and files in the procedure's formats, made with ``cryptography`` alone.

The API tests import what a CA or another server would hand an operator; this
material is built independently of the appliance and of the collection's core.
EC keys keep it fast.
"""

from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = datetime.timezone.utc
NOW = datetime.datetime.now(UTC).replace(microsecond=0)
DAY = datetime.timedelta(days=1)


@dataclass
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example API Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _issue(subject: x509.Name, public_key, issuer: Issued | None, key, ca: bool, sans: list[str]):
    issuer_name = issuer.cert.subject if issuer else subject
    signing_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - DAY)
        .not_valid_after(NOW + 90 * DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        )
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def make_ca(common_name: str, issuer: Issued | None = None) -> Issued:
    key = new_key()
    return Issued(_issue(_name(common_name), key.public_key(), issuer, key, True, []), key)


def make_server(hostname: str, issuer: Issued) -> Issued:
    key = new_key()
    return Issued(_issue(_name(hostname), key.public_key(), issuer, key, False, [hostname]), key)


def sign_request(csr_pem: str, issuer: Issued) -> x509.Certificate:
    """What a CA returns for a request: the request's subject and DNS names, signed by ``issuer``."""
    csr = x509.load_pem_x509_csr(csr_pem.encode("ascii"))
    try:
        sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName
        )
    except x509.ExtensionNotFound:
        sans = []
    return _issue(csr.subject, csr.public_key(), issuer, None, False, list(sans))


@dataclass
class Hierarchy:
    """A root and an issuing intermediate, as a small internal CA has them."""

    root: Issued
    intermediate: Issued


def make_hierarchy() -> Hierarchy:
    root = make_ca("Example API Test Root CA")
    return Hierarchy(root, make_ca("Example API Test Issuing CA", root))


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def pkcs7_der(certs: list[x509.Certificate]) -> bytes:
    return pkcs7.serialize_certificates(certs, serialization.Encoding.DER)


def pkcs12_der(issued: Issued, cas: list[x509.Certificate], passphrase: str) -> bytes:
    encryption = serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
    return pkcs12.serialize_key_and_certificates(b"exported", issued.key, issued.cert, cas, encryption)


def pkcs8_der(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def legacy_pem_key(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def upload(*files: tuple[str, bytes]) -> list[dict]:
    """The ``files`` of an import request."""
    return [{"name": name, "content": b64(data)} for name, data in files]


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex(":")


def pem_certificates(text: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(text.encode("ascii"))
