# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SHA-256 fingerprints in one canonical form: lowercase hex pairs joined by colons."""

from __future__ import annotations

import hashlib
import re

from .errors import SpecError

try:
    from cryptography.hazmat.primitives import serialization
except ImportError:  # see deps.require_cryptography()
    serialization = None

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def format_digest(digest: bytes) -> str:
    """``b'\\xab\\xcd'`` -> ``'ab:cd'``."""
    return ":".join(f"{b:02x}" for b in digest)


def sha256_fingerprint(data: bytes) -> str:
    """Fingerprint of raw bytes (DER of a certificate, SPKI, ...)."""
    return format_digest(hashlib.sha256(data).digest())


def certificate_fingerprint(cert) -> str:
    """SHA-256 over the certificate's DER encoding."""
    return sha256_fingerprint(cert.public_bytes(serialization.Encoding.DER))


def public_key_fingerprint(key) -> str:
    """SHA-256 over the DER SubjectPublicKeyInfo of a public or private key."""
    public = key.public_key() if hasattr(key, "private_bytes") else key
    spki = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return sha256_fingerprint(spki)


def looks_like_fingerprint(text: str) -> bool:
    """True when ``text`` is a SHA-256 fingerprint in any common spelling."""
    cleaned = re.sub(r"[\s:]", "", str(text)).lower()
    if cleaned.startswith("sha256"):
        cleaned = cleaned[len("sha256") :].lstrip("=")
    return bool(_HEX64.match(cleaned))


def fingerprint_or_none(text) -> str | None:
    """The canonical form of ``AB:CD..``, ``abcd..``, ``SHA256=AB:..`` or spaced hex; None when it is no fingerprint."""
    cleaned = re.sub(r"[\s:]", "", str(text if text is not None else "")).lower()
    if cleaned.startswith("sha256"):
        cleaned = cleaned[len("sha256") :].lstrip("=")
    if not _HEX64.match(cleaned):
        return None
    return format_digest(bytes.fromhex(cleaned))


def normalize_fingerprint(text: str) -> str:
    """The canonical form of a SHA-256 fingerprint in any spelling; SpecError when ``text`` is none."""
    canonical = fingerprint_or_none(text)
    if canonical is None:
        raise SpecError(
            f"'{text}' is not a SHA-256 fingerprint.",
            "Give 64 hex digits, with or without colons (as 'openssl x509 -noout -fingerprint -sha256' prints them).",
        )
    return canonical
