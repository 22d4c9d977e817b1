# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only factory for certificate hierarchies built with ``cryptography`` directly.

The certificates follow the RFC 5280 profile that ``cryptography.x509.verification``
enforces (SAN on the leaf, AKI on non-root certificates, keyUsage on CAs), unless a
test asks for a defect on purpose.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

UTC = datetime.timezone.utc
NOW = datetime.datetime.now(UTC).replace(microsecond=0)
DAY = datetime.timedelta(days=1)

_RSA_KEYS: list = []


def new_ec_key():
    """A fresh P-256 key (fast to generate)."""
    return ec.generate_private_key(ec.SECP256R1())


def shared_rsa_key():
    """A 2048-bit RSA key; generated once and reused, because RSA generation is slow."""
    if not _RSA_KEYS:
        _RSA_KEYS.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _RSA_KEYS[0]


@dataclass
class Issued:
    """A certificate and the private key that belongs to it."""

    cert: x509.Certificate
    key: object

    @property
    def name(self) -> x509.Name:
        return self.cert.subject


def name(common_name: str, org: str = "Example Test PKI") -> x509.Name:
    """A subject with an organization and a common name."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _general_name(text: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(text))
    except ValueError:
        return x509.DNSName(text)


def make_cert(
    common_name: str,
    issuer: Issued | None = None,
    key=None,
    ca: bool = False,
    sans: tuple[str, ...] = (),
    aia: tuple[str, ...] = (),
    ocsp: tuple[str, ...] = (),
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
    eku: tuple | None = (ExtendedKeyUsageOID.SERVER_AUTH,),
    subject: x509.Name | None = None,
    issuer_name: x509.Name | None = None,
    with_aki: bool = True,
    with_key_usage: bool = True,
    with_basic_constraints: bool = True,
    hash_algorithm=None,
) -> Issued:
    """One certificate. ``issuer=None`` makes it self-signed.

    CA certificates get basicConstraints CA, keyUsage keyCertSign/cRLSign and no EKU;
    end-entity certificates get digitalSignature, the given EKU and the given SANs.
    """
    key = key or new_ec_key()
    subject = subject or name(common_name)
    signer_key = issuer.key if issuer else key
    if issuer_name is None:
        issuer_name = issuer.cert.subject if issuer else subject
    not_before = not_before or NOW - 30 * DAY
    not_after = not_after or NOW + 365 * DAY
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if with_basic_constraints:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if with_aki:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False
        )
    if with_key_usage:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if not ca and eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(s) for s in sans]), critical=False)
    access = [
        x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(u)) for u in aia
    ] + [x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(u)) for u in ocsp]
    if access:
        builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
    cert = builder.sign(signer_key, hash_algorithm or hashes.SHA256())
    return Issued(cert, key)


def make_root(common_name: str = "Test Root CA", key=None, **kwargs) -> Issued:
    """A self-signed CA certificate."""
    return make_cert(common_name, ca=True, key=key, **kwargs)


def make_intermediate(issuer: Issued, common_name: str = "Test Intermediate CA", **kwargs) -> Issued:
    """A CA certificate issued by ``issuer``."""
    return make_cert(common_name, issuer=issuer, ca=True, **kwargs)


def make_leaf(issuer: Issued | None, hostname: str = "support.example.com", **kwargs) -> Issued:
    """A TLS server certificate for ``hostname`` (its CN and first SAN) issued by ``issuer``."""
    kwargs.setdefault("sans", (hostname,))
    return make_cert(hostname, issuer=issuer, **kwargs)


@dataclass
class Hierarchy:
    """root -> intermediate -> leaf."""

    root: Issued
    intermediate: Issued
    leaf: Issued

    @property
    def certs(self) -> list[x509.Certificate]:
        return [self.leaf.cert, self.intermediate.cert, self.root.cert]


def make_hierarchy(
    hostname: str = "support.example.com",
    root_aia: tuple[str, ...] = (),
    leaf_aia: tuple[str, ...] = (),
    use_rsa: bool = False,
    **leaf_kwargs,
) -> Hierarchy:
    """A three-level hierarchy; ``root_aia`` goes into the intermediate, ``leaf_aia`` into the leaf."""
    root = make_root(key=shared_rsa_key() if use_rsa else None)
    intermediate = make_intermediate(root, aia=root_aia)
    leaf_kwargs.setdefault("aia", leaf_aia)
    leaf = make_leaf(intermediate, hostname, **leaf_kwargs)
    return Hierarchy(root, intermediate, leaf)


def der(cert: x509.Certificate) -> bytes:
    """DER bytes of a certificate."""
    return cert.public_bytes(serialization.Encoding.DER)


def pem(cert: x509.Certificate) -> bytes:
    """PEM bytes of a certificate."""
    return cert.public_bytes(serialization.Encoding.PEM)


def pkcs7_der(certs: list[x509.Certificate]) -> bytes:
    """A DER PKCS#7 certs-only bundle (what a .p7c AIA URL serves)."""
    return pkcs7.serialize_certificates(certs, serialization.Encoding.DER)


def pkcs7_pem(certs: list[x509.Certificate]) -> bytes:
    """A PEM PKCS#7 certs-only bundle."""
    return pkcs7.serialize_certificates(certs, serialization.Encoding.PEM)
