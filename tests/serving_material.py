# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificates that cannot be served, or only with a warning, for the tests of what the collection refuses.

``chain(**defects)`` makes a root, an intermediate and a server certificate with
one defect each asks for: signed with SHA-1 or MD5 (which ``cryptography`` does
not do itself: the certificate is made with SHA-256, its two signature algorithm
identifiers are swapped for SHA-1's or MD5's, which have the same length, and the
to-be-signed part is signed again with that hash, as an old CA would have), an
RSA key of 1024 bits, dates in the past or the future, no or odd alternative
names, or other key usages.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = datetime.timezone.utc
NOW = datetime.datetime.now(UTC).replace(microsecond=0)
DAY = datetime.timedelta(days=1)

_SHA256_WITH_RSA = bytes.fromhex("06092a864886f70d01010b")
_WEAK = {
    "sha1": (bytes.fromhex("06092a864886f70d010105"), hashes.SHA1),
    "md5": (bytes.fromhex("06092a864886f70d010104"), hashes.MD5),
}
_RSA_KEYS: dict = {}


def rsa_key(bits: int = 2048):
    """An RSA key of ``bits``, made once per size (RSA generation is slow)."""
    if bits not in _RSA_KEYS:
        _RSA_KEYS[bits] = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return _RSA_KEYS[bits]


def _element(der: bytes, offset: int) -> tuple[int, int]:
    """``(content start, content end)`` of the DER element at ``offset``."""
    first = der[offset + 1]
    if first < 0x80:
        return offset + 2, offset + 2 + first
    count = first & 0x7F
    length = int.from_bytes(der[offset + 2 : offset + 2 + count], "big")
    return offset + 2 + count, offset + 2 + count + length


def weakly_signed(cert: x509.Certificate, issuer_key, hash_name: str = "sha1") -> x509.Certificate:
    """``cert`` (signed by the RSA ``issuer_key`` with SHA-256) signed again with ``hash_name`` (sha1 or md5)."""
    oid, algorithm = _WEAK[hash_name]
    der = cert.public_bytes(serialization.Encoding.DER)
    assert der.count(_SHA256_WITH_RSA) == 2, "sign the certificate with an RSA key and SHA-256 first"
    der = der.replace(_SHA256_WITH_RSA, oid)
    tbs_start, _end = _element(der, 0)
    _content, tbs_end = _element(der, tbs_start)
    signature = issuer_key.sign(der[tbs_start:tbs_end], padding.PKCS1v15(), algorithm())
    return x509.load_der_x509_certificate(der[: -issuer_key.key_size // 8] + signature)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Serving Test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _general_name(text: str) -> x509.GeneralName:
    kind, _sep, value = text.partition(":")
    if kind == "IP":
        return x509.IPAddress(ipaddress.ip_address(value))
    if kind == "email":
        return x509.RFC822Name(value)
    if kind == "URI":
        return x509.UniformResourceIdentifier(value)
    return x509.DNSName(value)


def make_cert(
    common_name: str,
    key,
    issuer=None,
    ca: bool = False,
    sans=(),
    eku=(ExtendedKeyUsageOID.SERVER_AUTH,),
    key_usage=None,
    not_before=None,
    not_after=None,
    weak: str | None = None,
):
    """One certificate for ``key``; ``issuer`` is ``(certificate, key)`` or None for a self-signed one."""
    issuer_cert, issuer_key = issuer or (None, key)
    subject = _name(common_name)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert is not None else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - 30 * DAY)
        .not_valid_after(not_after or NOW + 365 * DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    usages = dict.fromkeys(
        ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement", "encipher_only"), False
    )
    usages["decipher_only"] = False
    if ca:
        usages.update(digital_signature=False, key_cert_sign=True, crl_sign=True)
    else:
        usages.update(digital_signature=True, key_cert_sign=False, crl_sign=False)
        usages.update(key_usage or {})
    builder = builder.add_extension(x509.KeyUsage(**usages), critical=True)
    if not ca and eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(s) for s in sans]), critical=False)
    if isinstance(issuer_key, ed25519.Ed25519PrivateKey):
        return builder.sign(issuer_key, None)
    cert = builder.sign(issuer_key, hashes.SHA256())
    return weakly_signed(cert, issuer_key, weak) if weak else cert


@dataclass
class Chain:
    """A root, an intermediate and a server certificate, with the server certificate's key."""

    root: x509.Certificate
    intermediate: x509.Certificate
    leaf: x509.Certificate
    leaf_key: object

    @property
    def certificates(self) -> list:
        """Server certificate first, root last: the order chain.build_chain gives."""
        return [self.leaf, self.intermediate, self.root]

    def pem(self, *which: str) -> bytes:
        """The PEM of the certificates named (leaf, intermediate, root), in that order."""
        return b"".join(getattr(self, name).public_bytes(serialization.Encoding.PEM) for name in which)

    def key_pem(self) -> bytes:
        return self.leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def chain(
    hostname: str = "support.example.com",
    leaf_weak: str | None = None,
    intermediate_weak: str | None = None,
    root_weak: str | None = None,
    leaf_bits: int | None = None,
    intermediate_bits: int | None = None,
    root_bits: int | None = None,
    leaf_key=None,
    sans=None,
    common_name: str | None = None,
    **leaf_options,
) -> Chain:
    """A root, an intermediate and a server certificate for ``hostname``, with the defects asked for.

    Every key is RSA 2048 unless a size (``*_bits``) or a ``leaf_key`` is given, so that any certificate can be
    signed with SHA-1 or MD5 (``*_weak``). ``leaf_options`` go to :func:`make_cert` for the server certificate.
    """
    root_key = rsa_key(root_bits or 2048)
    root = make_cert("Serving Test Root", root_key, ca=True, weak=root_weak)
    intermediate_key = rsa_key(intermediate_bits or 2048)
    intermediate = make_cert(
        "Serving Test Issuing", intermediate_key, issuer=(root, root_key), ca=True, weak=intermediate_weak
    )
    key = leaf_key or rsa_key(leaf_bits or 2048)
    leaf = make_cert(
        common_name or hostname,
        key,
        issuer=(intermediate, intermediate_key),
        sans=(f"DNS:{hostname}",) if sans is None else sans,
        weak=leaf_weak,
        **leaf_options,
    )
    return Chain(root, intermediate, leaf, key)


def self_signed(hostname: str = "self.example.com", weak: str | None = None, key=None):
    """A self-signed server certificate and its key."""
    key = key or rsa_key()
    return make_cert(hostname, key, sans=(f"DNS:{hostname}",), weak=weak), key


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())
