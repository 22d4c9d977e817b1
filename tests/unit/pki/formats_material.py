# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keys, certificates and their serialisations in every import format, for the formats and keyguard tests."""

from __future__ import annotations

import base64
import datetime
import io
import json
import zipfile
from dataclasses import dataclass
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID

PASSPHRASE = b"correct horse battery"
DER = serialization.Encoding.DER
PEM = serialization.Encoding.PEM
PKCS8 = serialization.PrivateFormat.PKCS8
TRADITIONAL = serialization.PrivateFormat.TraditionalOpenSSL
NO_ENCRYPTION = serialization.NoEncryption()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificate(subject_key, common_name: str, issuer_key=None, issuer_name: str | None = None, ca=False):
    """A small certificate for ``subject_key``, self-signed unless an issuer is given."""
    now = datetime.datetime.now(datetime.timezone.utc)
    signing_key = issuer_key or subject_key
    algorithm = None if isinstance(signing_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(issuer_name or common_name))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signing_key, algorithm)
    )


def pem_block(label: str, der: bytes) -> bytes:
    """A PEM block with 64-character lines."""
    text = base64.b64encode(der).decode("ascii")
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def legacy_pkcs12(key, cert, cas, passphrase: bytes = PASSPHRASE) -> bytes:
    """PKCS#12 with the old PBESv1 SHA1/3DES encryption and a SHA-1 MAC."""
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())
        .build(passphrase)
    )
    return pkcs12.serialize_key_and_certificates(b"legacy", key, cert, cas, encryption)


def zip_of(members: dict, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@dataclass
class Material:
    """One RSA CA, an RSA server certificate it signed, an EC key and an Ed25519 key."""

    ca_key: rsa.RSAPrivateKey
    ca_cert: x509.Certificate
    server_key: rsa.RSAPrivateKey
    server_cert: x509.Certificate
    ec_key: ec.EllipticCurvePrivateKey
    ec_cert: x509.Certificate
    ed_key: ed25519.Ed25519PrivateKey

    @classmethod
    def create(cls) -> Material:
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        server_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ec_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = make_certificate(ca_key, "Formats Test Root CA", ca=True)
        server_cert = make_certificate(server_key, "support.example.com", ca_key, "Formats Test Root CA")
        return cls(
            ca_key=ca_key,
            ca_cert=ca_cert,
            server_key=server_key,
            server_cert=server_cert,
            ec_key=ec_key,
            ec_cert=make_certificate(ec_key, "ec.example.com"),
            ed_key=ed25519.Ed25519PrivateKey.generate(),
        )

    # certificates
    @cached_property
    def cert_der(self) -> bytes:
        return self.server_cert.public_bytes(DER)

    @cached_property
    def cert_pem(self) -> bytes:
        return self.server_cert.public_bytes(PEM)

    @cached_property
    def chain_pem(self) -> bytes:
        return self.cert_pem + self.ca_cert.public_bytes(PEM)

    @cached_property
    def p7_der(self) -> bytes:
        return pkcs7.serialize_certificates([self.server_cert, self.ca_cert], DER)

    @cached_property
    def p7_pem(self) -> bytes:
        return pkcs7.serialize_certificates([self.server_cert, self.ca_cert], PEM)

    # keys
    def key_bytes(self, key, encoding, private_format, passphrase: bytes | None = None) -> bytes:
        encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else NO_ENCRYPTION
        return key.private_bytes(encoding, private_format, encryption)

    # PKCS#12
    def p12_modern(self, passphrase: bytes = PASSPHRASE) -> bytes:
        encryption = serialization.BestAvailableEncryption(passphrase)
        return pkcs12.serialize_key_and_certificates(
            b"server", self.server_key, self.server_cert, [self.ca_cert], encryption
        )

    def p12_legacy(self) -> bytes:
        return legacy_pkcs12(self.server_key, self.server_cert, [self.ca_cert])

    def p12_unencrypted(self, key=True) -> bytes:
        key = self.server_key if key else None
        cert = self.server_cert if key else None
        cas = [self.ca_cert] if key else [self.server_cert, self.ca_cert]
        return pkcs12.serialize_key_and_certificates(b"server", key, cert, cas, NO_ENCRYPTION)

    def p12_certs_only(self, passphrase: bytes | None = None) -> bytes:
        encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else NO_ENCRYPTION
        return pkcs12.serialize_key_and_certificates(None, None, None, [self.server_cert, self.ca_cert], encryption)

    def csr(self):
        return (
            x509.CertificateSigningRequestBuilder()
            .subject_name(_name("support.example.com"))
            .sign(self.server_key, hashes.SHA256())
        )

    def json_with_certs(self) -> bytes:
        return json.dumps(
            {
                "certificate": base64.b64encode(self.cert_der).decode(),
                "chain": [base64.b64encode(self.ca_cert.public_bytes(DER)).decode()],
                "pem": self.chain_pem.decode(),
            }
        ).encode()
