# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test material for the appliance's service layer: a CA hierarchy, signed leaves, and every import format.

Everything is made with the collection's PKI core (``builder``) and ``cryptography``;
EC keys keep it fast. Nothing here touches the appliance.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

from reference_appliance.core import builder, fingerprints, keys, subject_fields

PASSPHRASE = "import-passphrase-1"
EXPORT_PASSPHRASE = "export-passphrase-2"
SITE = "support.example.com"
HOSTNAME = "appliance1.example.com"


@dataclass
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: object

    @property
    def fingerprint(self) -> str:
        return fingerprints.certificate_fingerprint(self.cert)

    @property
    def id(self) -> str:
        return self.fingerprint.replace(":", "")[:16]

    @property
    def public_key_fingerprint(self) -> str:
        return fingerprints.public_key_fingerprint(self.key)


def ec_key():
    """A fresh P-256 key."""
    return ec.generate_private_key(ec.SECP256R1())


def rsa_key():
    """A fresh RSA 2048 key (slower: use sparingly)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_hierarchy(label: str = "Example") -> tuple[Issued, Issued]:
    """(root, intermediate) of a CA named after ``label``."""
    root_key = ec_key()
    root = builder.create_ca_certificate(
        root_key, subject_fields.SubjectSpec(common_name=f"{label} Root CA", country_name="US")
    )
    inter_key = ec_key()
    inter = builder.create_ca_certificate(
        inter_key,
        subject_fields.SubjectSpec(common_name=f"{label} Issuing CA", country_name="US"),
        days=1825,
        issuer_cert=root,
        issuer_key=root_key,
    )
    return Issued(root, root_key), Issued(inter, inter_key)


def sign_request(csr_pem: str | bytes, issuer: Issued, days: int = 90) -> x509.Certificate:
    """What the CA returns for a request PEM."""
    data = csr_pem.encode("ascii") if isinstance(csr_pem, str) else csr_pem
    csr = x509.load_pem_x509_csr(data)
    return builder.sign_csr(csr, issuer.cert, issuer.key, days=days, ca_issuers_url="http://pki.example.com/ca.cer")


def make_leaf(issuer: Issued, common_name: str = SITE, key=None, sans=None) -> Issued:
    """A server certificate for ``common_name`` signed by ``issuer`` (a new EC key unless given)."""
    key = key or ec_key()
    subject = subject_fields.SubjectSpec(common_name=common_name, organization_name="Example Corp")
    csr = builder.build_csr(key, subject, sans if sans is not None else [f"DNS:{common_name}"])
    return Issued(sign_request(csr.public_bytes(serialization.Encoding.PEM), issuer), key)


# --- encodings -------------------------------------------------------------------------------


def cert_der(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def cert_pem(*certs) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


def pkcs7_der(*certs) -> bytes:
    return pkcs7.serialize_certificates(list(certs), serialization.Encoding.DER)


def pkcs7_pem(*certs) -> bytes:
    return pkcs7.serialize_certificates(list(certs), serialization.Encoding.PEM)


def _key_bytes(key, encoding, private_format, passphrase=None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
    )
    return key.private_bytes(encoding, private_format, encryption)


def pkcs8_der(key) -> bytes:
    return _key_bytes(key, serialization.Encoding.DER, serialization.PrivateFormat.PKCS8)


def pkcs8_pem(key) -> bytes:
    return _key_bytes(key, serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8)


def pkcs8_der_encrypted(key, passphrase: str = PASSPHRASE) -> bytes:
    return _key_bytes(key, serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, passphrase)


def pkcs8_pem_encrypted(key, passphrase: str = PASSPHRASE) -> bytes:
    return _key_bytes(key, serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, passphrase)


def legacy_der(key) -> bytes:
    return _key_bytes(key, serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL)


def legacy_pem(key) -> bytes:
    return _key_bytes(key, serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL)


def legacy_pem_encrypted(key, passphrase: str = PASSPHRASE) -> bytes:
    return _key_bytes(key, serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, passphrase)


def pkcs12_modern(key, cert, cas=(), passphrase: str = PASSPHRASE) -> bytes:
    return keys.export_pkcs12(key, cert, list(cas), passphrase=passphrase)


def pkcs12_legacy(key, cert, cas=(), passphrase: str = PASSPHRASE) -> bytes:
    return keys.export_pkcs12(key, cert, list(cas), passphrase=passphrase, legacy=True)


def pkcs12_key_only(key, passphrase: str = PASSPHRASE) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        None, key, None, None, serialization.BestAvailableEncryption(passphrase.encode())
    )


def key_der_base64(key) -> list[str]:
    """Base64 texts of the key's DER encodings, as they would appear if the key leaked into JSON."""
    texts = []
    for private_format in (serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL):
        der = _key_bytes(key, serialization.Encoding.DER, private_format)
        # Any 48-byte run of the base64 text is enough to recognise a leak, wherever the line breaks fall.
        texts.append(base64.b64encode(der).decode("ascii")[16:64])
    return texts
