# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private keys: the specs the appliance accepts, generation, matching and protected export."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import KeyMismatch, SpecError, UnsupportedKey, with_article
from .fingerprints import public_key_fingerprint

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
except ImportError:  # see deps.require_cryptography()
    hashes = serialization = ec = rsa = pkcs12 = None

KEY_TYPES = ("rsa", "ec")
RSA_SIZES = (2048, 3072, 4096)
EC_CURVES = ("P-256", "P-384")
_CURVE_BY_CRYPTOGRAPHY_NAME = {"secp256r1": "P-256", "secp384r1": "P-384"}
_CURVE_ALIASES = {
    "p-256": "P-256",
    "p256": "P-256",
    "secp256r1": "P-256",
    "prime256v1": "P-256",
    "p-384": "P-384",
    "p384": "P-384",
    "secp384r1": "P-384",
}
MIN_PASSPHRASE_LENGTH = 4
# How key types are written in messages.
KEY_TYPE_NAMES = {"rsa": "RSA", "ec": "EC", "dsa": "DSA", "ed25519": "Ed25519", "ed448": "Ed448"}
# What the appliance holds, as messages say it.
APPLIANCE_KEYS_TEXT = "RSA keys of 2048, 3072 or 4096 bits and EC keys on P-256 or P-384"


@dataclass(frozen=True)
class KeySpec:
    """What a key should be: RSA with a size, or EC on a named curve."""

    type: str = "rsa"
    size: int | None = None
    curve: str | None = None

    @classmethod
    def create(cls, kind: str = "rsa", size: int | None = None, curve: str | None = None) -> KeySpec:
        """Validate and normalise; RSA defaults to 2048 bits, EC to P-256."""
        requested = kind
        kind = str(kind or "rsa").lower()
        if kind not in KEY_TYPES:
            raise UnsupportedKey(
                f"Key type '{requested}' is not supported by the appliance.",
                hint="Use type 'rsa' (2048, 3072 or 4096 bits) or 'ec' (curve P-256 or P-384).",
            )
        if kind == "rsa":
            if curve:
                raise SpecError(
                    f"An RSA key has no curve, but curve '{curve}' was given.", hint="Drop 'curve', or use type 'ec'."
                )
            bits = 2048 if size is None else _as_int(size, "size")
            if bits not in RSA_SIZES:
                raise UnsupportedKey(
                    f"An RSA key of {bits} bits is not accepted.",
                    hint="Use 2048 or 4096 bits (3072 is accepted too); ask your CA which sizes it signs.",
                )
            return cls("rsa", bits, None)
        if size is not None:
            raise SpecError(
                f"An EC key has no size, but size {size} was given.", hint="Drop 'size' and choose 'curve'."
            )
        name = _CURVE_ALIASES.get(str(curve or "P-256").lower())
        if name is None:
            raise UnsupportedKey(f"EC curve '{curve}' is not accepted.", hint="Use curve P-256 or P-384.")
        return cls("ec", None, name)

    def describe(self) -> str:
        """``'RSA 2048'`` or ``'EC P-256'``."""
        return f"RSA {self.size}" if self.type == "rsa" else f"EC {self.curve}"

    def as_dict(self) -> dict:
        """JSON-friendly form with ``type`` and ``size`` or ``curve``."""
        if self.type == "rsa":
            return {"type": "rsa", "size": self.size}
        return {"type": "ec", "curve": self.curve}


def _as_int(value, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SpecError(f"Key {what} '{value}' is not a number.", hint="Give the size in bits, e.g. 2048.") from None


def describe_key(key) -> dict:
    """Type, size or curve of any private or public key, without key material."""
    public = key.public_key() if hasattr(key, "private_bytes") else key
    if isinstance(public, rsa.RSAPublicKey):
        return {"type": "rsa", "size": public.key_size}
    if isinstance(public, ec.EllipticCurvePublicKey):
        name = public.curve.name
        return {"type": "ec", "curve": _CURVE_BY_CRYPTOGRAPHY_NAME.get(name, name), "size": public.curve.key_size}
    name = type(public).__name__.replace("PublicKey", "").lower().lstrip("_")
    return {"type": name or "unknown"}


def key_spec_of(key) -> KeySpec:
    """The :class:`KeySpec` an existing key satisfies; UnsupportedKey for anything else."""
    info = describe_key(key)
    if info["type"] == "rsa":
        return KeySpec.create("rsa", size=info["size"])
    if info["type"] == "ec":
        return KeySpec.create("ec", curve=info["curve"])
    raise UnsupportedKey(
        f"{with_article(key_type_text(key), capital=True)} key cannot be used on the appliance.",
        hint=f"Use a key the appliance holds: {APPLIANCE_KEYS_TEXT}.",
    )


def key_type_text(key) -> str:
    """``RSA 1024``, ``EC P-521``, ``Ed25519``: the type and size of a key as messages write it, no key material."""
    info = describe_key(key)
    name = KEY_TYPE_NAMES.get(info["type"], info["type"])
    detail = info.get("curve") or info.get("size") or getattr(key, "key_size", None)
    return f"{name} {detail}" if detail else name


def appliance_key_problem(key) -> str | None:
    """Why the appliance cannot hold ``key`` (private or public), or None when it is one it takes.

    The appliance holds RSA 2048, 3072 and 4096 and EC P-256 and P-384 keys (:class:`KeySpec`);
    TLS libraries refuse RSA keys under 2048 bits, and the appliance refuses to import the others.
    """
    try:
        key_spec_of(key)
    except (UnsupportedKey, SpecError):
        return f"its key is {key_type_text(key)}, and the appliance holds only {APPLIANCE_KEYS_TEXT}"
    return None


def generate_private_key(spec: KeySpec):
    """A new private key for ``spec`` (validated with :meth:`KeySpec.create` first)."""
    spec = KeySpec.create(spec.type, spec.size, spec.curve)
    if spec.type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=spec.size)
    curve = ec.SECP256R1() if spec.curve == "P-256" else ec.SECP384R1()
    return ec.generate_private_key(curve)


def signature_hash_for(key):
    """SHA-384 for P-384 keys, SHA-256 otherwise, the usual pairing for TLS server certificates."""
    info = describe_key(key)
    if info["type"] == "ec" and info.get("curve") == "P-384":
        return hashes.SHA384()
    return hashes.SHA256()


def public_keys_equal(a, b) -> bool:
    """True when two keys (private or public, any mix) share the same public key."""
    return public_key_fingerprint(a) == public_key_fingerprint(b)


def key_matches_certificate(key, cert) -> bool:
    """True when ``key`` is the private (or public) key of ``cert``."""
    return public_keys_equal(key, cert.public_key())


def key_matches_csr(key, csr) -> bool:
    """True when ``key`` is the key a certificate request was made with."""
    return public_keys_equal(key, csr.public_key())


def ensure_key_matches(key, obj, what: str = "certificate") -> None:
    """Raise KeyMismatch naming both fingerprints when ``key`` does not belong to ``obj``."""
    if not public_keys_equal(key, obj.public_key()):
        raise KeyMismatch(
            f"The private key (public key fingerprint {public_key_fingerprint(key)}) does not belong to the {what} "
            f"(public key fingerprint {public_key_fingerprint(obj.public_key())}).",
            hint=f"Use the key the {what} was made with.",
        )


def _passphrase_bytes(passphrase) -> bytes:
    if passphrase is None or passphrase in ("", b""):
        raise SpecError(
            "A private key is only exported protected by a passphrase, and none was given.",
            hint="Give a passphrase; store it with the exported file in a secure, documented place.",
        )
    data = passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase)
    if len(data) < MIN_PASSPHRASE_LENGTH:
        raise SpecError(
            f"The export passphrase is shorter than {MIN_PASSPHRASE_LENGTH} characters.",
            hint="Use a longer passphrase (a generated one of 20 or more characters is best).",
        )
    return data


def export_pkcs8_pem(key, passphrase) -> bytes:
    """The private key as encrypted PKCS#8 PEM (``ENCRYPTED PRIVATE KEY``, PBES2 / AES-256)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase_bytes(passphrase)),
    )


def export_pkcs12(
    key, cert, chain=(), *, passphrase=None, friendly_name: str | None = None, legacy: bool = False
) -> bytes:
    """A passphrase-protected PKCS#12 of ``cert`` (with ``key`` when given) and its ``chain``.

    Modern files use PBES2 with AES-256 and an HMAC-SHA256 MAC. ``legacy=True``
    writes PBE-SHA1-3DES with a SHA-1 MAC for consumers that predate OpenSSL 3
    (older Windows and Java releases).
    """
    secret = _passphrase_bytes(passphrase)
    if key is not None:
        ensure_key_matches(key, cert)
    if legacy:
        builder = serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(50000)
        builder = builder.key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC).hmac_hash(hashes.SHA1())
    else:
        builder = serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(50000)
        builder = builder.key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256())
    name = friendly_name.encode("utf-8") if friendly_name else None
    return pkcs12.serialize_key_and_certificates(name, key, cert, list(chain) or None, builder.build(secret))
