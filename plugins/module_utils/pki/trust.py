# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The CA bundle a served chain is verified against: the system's trust store, or a PEM file of the user's.

The system store is the file OpenSSL was built to use (``ssl.get_default_verify_paths()``:
``SSL_CERT_FILE`` when set, else the distribution's bundle such as
``/etc/ssl/certs/ca-certificates.crt``), or, when there is no such file, the
PEM files of its certificate directory. Only certificates are read; anything
else in the file (text, keys, CRLs) is skipped.
"""

from __future__ import annotations

import os
import ssl
import warnings
from dataclasses import dataclass, field

from .chain_facts import issued_by
from .deps import require_cryptography
from .errors import ChainError
from .fingerprints import certificate_fingerprint

try:
    from cryptography import x509
    from cryptography.x509.verification import Store
except ImportError:  # reported by deps.require_cryptography()
    x509 = Store = None

SOURCE_SYSTEM, SOURCE_GIVEN = "system", "given"
MAX_BUNDLE_BYTES = 16 * 1024 * 1024
_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"
_PEM_END = b"-----END CERTIFICATE-----"


@dataclass
class TrustStore:
    """The trust anchors: their certificates, cryptography's ``Store`` of them, and where they came from."""

    path: str
    source: str
    certificates: list = field(default_factory=list)
    store: object = None
    _by_subject: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for cert in self.certificates:
            self._by_subject.setdefault(cert.subject, []).append(cert)
        if self.store is None and self.certificates:
            self.store = Store(self.certificates)

    def issuer_of(self, cert):
        """The anchor whose subject is ``cert``'s issuer and whose key verifies its signature, or None."""
        for candidate in self._by_subject.get(cert.issuer, ()):
            if issued_by(cert, candidate):
                return candidate
        return None

    def contains(self, cert) -> bool:
        """True when ``cert`` itself is one of the anchors."""
        wanted = certificate_fingerprint(cert)
        return any(certificate_fingerprint(candidate) == wanted for candidate in self._by_subject.get(cert.subject, ()))

    def as_dict(self) -> dict:
        """Where the anchors came from and how many there are."""
        return {"path": self.path, "source": self.source, "certificates": len(self.certificates)}


def system_ca_location() -> str | None:
    """The system's CA bundle file, else its CA directory; None when OpenSSL names neither or neither exists."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and os.path.isfile(candidate):
            return candidate
    for candidate in (paths.capath, paths.openssl_capath):
        if candidate and os.path.isdir(candidate):
            return candidate
    return None


def _pem_certificates(data: bytes, where: str, strict: bool = True) -> list:
    """The certificates of PEM ``data``; an unreadable one is an error when ``strict``, else left out."""
    certs = []
    start = data.find(_PEM_BEGIN)
    while start != -1:
        end = data.find(_PEM_END, start)
        if end == -1:
            break
        block = data[start : end + len(_PEM_END)]
        try:
            with warnings.catch_warnings():
                # A root of the system's store may carry a serial number RFC 5280 forbids; it is read all the same.
                warnings.simplefilter("ignore")
                certs.append(x509.load_pem_x509_certificate(block))
        except ValueError as exc:
            if not strict:
                start = data.find(_PEM_BEGIN, end)
                continue
            raise ChainError(
                f"A certificate in the CA bundle {where} cannot be read: {exc}.",
                "Give a PEM file of CA certificates (as openssl s_client -CAfile takes).",
            ) from None
        start = data.find(_PEM_BEGIN, end)
    return certs


def _read(path: str) -> bytes:
    try:
        if os.path.getsize(path) > MAX_BUNDLE_BYTES:
            raise ChainError(
                f"The CA bundle {path} is larger than {MAX_BUNDLE_BYTES // (1024 * 1024)} MiB.",
                "Give a PEM file of CA certificates.",
            )
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise ChainError(
            f"The CA bundle {path} cannot be read: {exc.strerror or exc}.", "Check the path and its permissions."
        ) from None


def _directory_certificates(directory: str) -> list:
    certs = []
    seen = set()
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if not os.path.isfile(path) or not (name.endswith((".pem", ".crt")) or name[-2:-1] == "."):
            continue
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        try:
            certs.extend(_pem_certificates(_read(path), path, strict=False))
        except ChainError:
            continue  # an unreadable file of the directory is left out, as OpenSSL leaves it out
    return certs


def load_trust_store(path: str | None = None) -> TrustStore:
    """The anchors of ``path`` (a PEM file, or a directory of PEM files), else of the system's trust store.

    ChainError when the file cannot be read, holds an unreadable certificate, or holds none.
    """
    require_cryptography()
    source = SOURCE_GIVEN
    if not path:
        source = SOURCE_SYSTEM
        path = system_ca_location()
        if path is None:
            raise ChainError(
                "The system has no CA bundle (OpenSSL names no file or directory that exists).",
                "Install the ca-certificates package, or give a CA bundle (a PEM file of the CAs to trust).",
            )
    if os.path.isdir(path):
        certs = _directory_certificates(path)
    else:
        # The system's bundle is read as OpenSSL reads it (a certificate it cannot use is left out); the user's
        # own bundle must be readable as a whole.
        certs = _pem_certificates(_read(path), path, strict=source == SOURCE_GIVEN)
    unique = list({certificate_fingerprint(cert): cert for cert in certs}.values())
    if not unique:
        raise ChainError(
            f"The CA bundle {path} holds no certificate.",
            "Give a PEM file with the CA certificates to trust (-----BEGIN CERTIFICATE----- blocks).",
        )
    return TrustStore(path=path, source=source, certificates=unique)
