# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Load every certificate and key file a CA or an operator can hand over, detected by content.

Formats (the appliance's import list): DER and PEM X.509 certificates, PKCS#7
certificate bundles (DER and PEM), PKCS#8 private keys (DER and PEM, plain and
encrypted), PKCS#12 files (with or without password, modern or legacy
encryption), and legacy OpenSSL RSA/EC/DSA keys (DER and PEM, PEM also
encrypted). A PEM file may hold several blocks of different kinds with text
around them. Certificate requests are loaded separately by :func:`load_csr`.

The file name never matters. Every foreseeable failure is one of the errors in
:mod:`.errors`, with a message that names the file, the format and the problem.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import warnings
from dataclasses import dataclass

from . import keyguard
from .errors import (
    InputTooLarge,
    PassphraseError,
    PassphraseRequired,
    PKIError,
    UnrecognizedFormat,
    UnsupportedKey,
    WrongPassphrase,
    with_article,
)
from .fingerprints import certificate_fingerprint, public_key_fingerprint
from .keys import describe_key, key_type_text

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

    _CERTIFICATE_ERRORS = (ValueError, x509.InvalidVersion, x509.DuplicateExtension, x509.UnsupportedGeneralNameType)
except ImportError:  # see deps.require_cryptography()
    x509 = serialization = pkcs7 = pkcs12 = None

    class UnsupportedAlgorithm(Exception):
        """Placeholder so the ``except`` clauses below stay valid without cryptography."""

    _CERTIFICATE_ERRORS = (ValueError,)


MAX_INPUT_BYTES = 1024 * 1024

KIND_CERTIFICATE = "certificate"
KIND_PRIVATE_KEY = "private_key"

FORMAT_PEM_X509 = "pem_x509"
FORMAT_DER_X509 = "der_x509"
FORMAT_PKCS7_DER = "pkcs7_der"
FORMAT_PKCS7_PEM = "pkcs7_pem"
FORMAT_PKCS8_DER = "pkcs8_der"
FORMAT_PKCS8_PEM = "pkcs8_pem"
FORMAT_PKCS8_DER_ENCRYPTED = "pkcs8_der_encrypted"
FORMAT_PKCS8_PEM_ENCRYPTED = "pkcs8_pem_encrypted"
FORMAT_PKCS12 = "pkcs12"
FORMAT_LEGACY_DER = "legacy_der"
FORMAT_LEGACY_PEM = "legacy_pem"
FORMAT_LEGACY_PEM_ENCRYPTED = "legacy_pem_encrypted"

FORMAT_LABELS = {
    FORMAT_PEM_X509: "PEM X.509",
    FORMAT_DER_X509: "DER X.509",
    FORMAT_PKCS7_DER: "PKCS#7 DER",
    FORMAT_PKCS7_PEM: "PKCS#7 PEM",
    FORMAT_PKCS8_DER: "PKCS#8 DER",
    FORMAT_PKCS8_PEM: "PKCS#8 PEM",
    FORMAT_PKCS8_DER_ENCRYPTED: "PKCS#8 DER, encrypted",
    FORMAT_PKCS8_PEM_ENCRYPTED: "PKCS#8 PEM, encrypted",
    FORMAT_PKCS12: "PKCS#12",
    FORMAT_LEGACY_DER: "legacy OpenSSL DER",
    FORMAT_LEGACY_PEM: "legacy OpenSSL PEM",
    FORMAT_LEGACY_PEM_ENCRYPTED: "legacy OpenSSL PEM, encrypted",
}

# Every format load_bytes tries, in the words an UnrecognizedFormat message uses.
FORMATS_TRIED = (
    "DER X.509 certificate",
    "PEM X.509 certificate (CERTIFICATE, X509 CERTIFICATE, TRUSTED CERTIFICATE)",
    "PKCS#7 certificate bundle (DER, or PEM 'PKCS7')",
    "PKCS#8 private key (DER, or PEM 'PRIVATE KEY')",
    "encrypted PKCS#8 private key (DER, or PEM 'ENCRYPTED PRIVATE KEY')",
    "PKCS#12 (with or without password)",
    "legacy OpenSSL RSA/EC/DSA private key (DER, or PEM, also encrypted)",
)

_CERTIFICATE_LABELS = ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE")
_PKCS7_LABELS = ("PKCS7", "PKCS #7 SIGNED DATA", "CMS")
_LEGACY_KEY_LABELS = ("RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY")
_CSR_LABELS = ("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST")
_PEM_BEGIN = re.compile(rb"-----BEGIN ([^\n]*?)-----[ \t]*\n")
_FRIENDLY_NAME = re.compile(rb"friendlyName: *([^\n]*)")
_BARE_BASE64 = re.compile(rb"[A-Za-z0-9+/\s]+={0,2}\s*")
_UTF8_BOM = b"\xef\xbb\xbf"
_WRONG_PASSPHRASE_HINT = "Check the passphrase the exporter used."
_DER_TO_PEM_FORMAT = {
    FORMAT_DER_X509: FORMAT_PEM_X509,
    FORMAT_PKCS7_DER: FORMAT_PKCS7_PEM,
    FORMAT_PKCS8_DER: FORMAT_PKCS8_PEM,
    FORMAT_PKCS8_DER_ENCRYPTED: FORMAT_PKCS8_PEM_ENCRYPTED,
    FORMAT_LEGACY_DER: FORMAT_LEGACY_PEM,
}


@dataclass(frozen=True)
class LoadedItem:
    """One certificate or private key found in an input, with where and how it was found."""

    kind: str
    format: str
    obj: object
    source: str | None
    index: int
    friendly_name: str | None = None

    @property
    def key_type(self) -> str | None:
        """``rsa``, ``ec``, ``dsa``, ``ed25519``, ... for a private key; None for a certificate."""
        if self.kind != KIND_PRIVATE_KEY:
            return None
        return describe_key(self.obj)["type"]

    @property
    def fingerprint(self) -> str:
        """Certificate fingerprint, or the public-key fingerprint of a private key."""
        if self.kind == KIND_CERTIFICATE:
            return certificate_fingerprint(self.obj)
        return public_key_fingerprint(self.obj)

    def describe(self) -> str:
        """One human line, e.g. ``private key (PKCS#8 DER, encrypted) RSA 2048``; never key material."""
        label = FORMAT_LABELS.get(self.format, self.format)
        if self.kind == KIND_CERTIFICATE:
            text = f"certificate ({label}) {_subject_text(self.obj)}, sha256 {self.fingerprint}"
        else:
            text = f"private key ({label}) {key_summary(self.obj)}"
        if self.friendly_name:
            text += f", friendly name '{self.friendly_name}'"
        if self.source:
            text += f", from {self.source}" + (f" (item {self.index + 1})" if self.index else "")
        return text


@dataclass(frozen=True)
class LoadResult:
    """What :func:`load_bytes_with_notes` found: the items, and notes on what it skipped."""

    items: tuple[LoadedItem, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _PemBlock:
    label: str
    number: int  # 1-based position among the PEM blocks of the input
    line: int
    headers: dict
    body: bytes  # base64 text
    raw: bytes  # the whole block, BEGIN to END line
    preamble: bytes  # the text between the previous block and this one
    source: str | None = None

    @property
    def where(self) -> str:
        place = f"PEM block '{self.label}' (block {self.number}, line {self.line})"
        return f"{place} of '{self.source}'" if self.source else place


def key_summary(key) -> str:
    """``RSA 2048``, ``EC P-256``, ``Ed25519``: the type and size of a key, no key material."""
    return key_type_text(key)


def _subject_text(cert) -> str:
    try:
        return cert.subject.rfc4514_string() or "(empty subject)"
    except ValueError:
        return "(subject cannot be read)"


def _name(source: str | None) -> str:
    return f"'{source}'" if source else "the input"


def _sentence_start(text: str) -> str:
    return text[:1].upper() + text[1:]


def _passphrase_bytes(passphrase) -> bytes | None:
    if passphrase is None:
        return None
    if isinstance(passphrase, (bytes, bytearray, memoryview)):
        secret = bytes(passphrase)
    else:
        secret = str(passphrase).encode("utf-8")
    if b"\x00" in secret:
        raise PassphraseError(
            "The passphrase contains a NUL character, which no PKCS#8 or PKCS#12 passphrase can hold.",
            hint="Check how the passphrase was copied; give it without control characters.",
        )
    return secret


def _check_readable(item: LoadedItem) -> None:
    """Parse now what ``cryptography`` would parse lazily later: extensions and the public key."""
    if item.kind != KIND_CERTIFICATE:
        return
    try:
        for extension in item.obj.extensions:
            _unused_value = extension.value
        item.obj.public_key()
    except (*_CERTIFICATE_ERRORS, TypeError, IndexError, UnsupportedAlgorithm) as exc:
        raise UnrecognizedFormat(
            f"{_sentence_start(item.describe())} cannot be used: {_short(exc)}.",
            hint="The certificate is malformed (duplicate or unreadable extensions, or an unknown key type); "
            "ask the CA for a corrected certificate.",
            details={"source": item.source, "index": item.index, **parser_detail(exc)},
        ) from None


# The kinds of cryptography's DER parser errors ("ParseError { kind: ShortData { needed: 85 } }"), in words.
_PARSE_ERROR_KIND = re.compile(r"ParseError\s*\{\s*kind:\s*([A-Za-z]+)")
_PARSE_ERROR_WORDS = {
    "ShortData": "the data ends too early; the file is cut short",
    "ExtraData": "there are bytes after the end of the data; two files were joined, or junk follows",
    "InvalidLength": "a length in the data is wrong; the file is damaged",
    "InvalidTag": "the data is not structured as expected; the file is damaged or of another kind",
    "UnexpectedTag": "the data is not structured as expected; the file is damaged or of another kind",
    "InvalidValue": "a field holds a value that is not allowed there; the file is damaged or malformed",
    "IntegerOverflow": "a number in the data is too large; the file is damaged",
    "InvalidSetOrdering": "the data is not in canonical DER order",
    "EncodedDefault": "a field is written out with its default value, which DER forbids",
    "OidTooLong": "an object identifier is too long; the file is damaged",
    "UnknownDefinedBy": "an algorithm or field type in the data is unknown",
}


def _raw(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def plain_reason(error: Exception) -> str:
    """Why parsing failed, in words: cryptography's parser errors are translated, other messages kept short."""
    match = _PARSE_ERROR_KIND.search(str(error))
    if match:
        return _PARSE_ERROR_WORDS.get(match.group(1), "the data cannot be parsed; the file is damaged")
    return _raw(error)


def parser_detail(error: Exception) -> dict:
    """``{"parser_detail": text}`` when ``error`` is a parser error whose own text was left out of the message."""
    return {"parser_detail": _raw(error)} if _PARSE_ERROR_KIND.search(str(error)) else {}


_short = plain_reason


def _check_size(size: int, source: str | None) -> None:
    if size > MAX_INPUT_BYTES:
        raise InputTooLarge(
            f"{_sentence_start(_name(source))} is {size} bytes; the limit is {MAX_INPUT_BYTES} bytes (1 MiB).",
            hint="Certificates, bundles and keys are far smaller: check that this is the right file.",
            details={"size": size, "limit": MAX_INPUT_BYTES, "source": source},
        )


def _prepare(data, source: str | None) -> bytes:
    """Bytes of ``data`` without a byte-order mark, after the size and emptiness checks."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    elif isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    elif not isinstance(data, bytes):
        raise UnrecognizedFormat(
            f"{_sentence_start(_name(source))} is {with_article(type(data).__name__)}, not bytes or text."
        )
    _check_size(len(data), source)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data.decode("utf-16", "replace").encode("utf-8")
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    if not data.strip():
        raise UnrecognizedFormat(
            f"{_sentence_start(_name(source))} is empty.",
            hint="Give a certificate, certificate bundle, PKCS#12 file or private key.",
            details={"source": source, "tried": list(FORMATS_TRIED)},
        )
    return data


def _unrecognized(source: str | None, size: int, found: str = "", reasons: dict | None = None) -> UnrecognizedFormat:
    tried = "; ".join(FORMATS_TRIED)
    found_text = f" {found}" if found else ""
    return UnrecognizedFormat(
        f"{_sentence_start(_name(source))} ({size} bytes) is not a supported certificate or key format.{found_text} "
        f"Tried: {tried}.",
        hint="Give the file the CA or the exporting server produced, unchanged; "
        "a certificate request is loaded separately.",
        details={"source": source, "tried": list(FORMATS_TRIED), "reasons": dict(reasons or {})},
    )


# ---- PEM ---------------------------------------------------------------------------------------


def _pem_blocks(text: bytes, source: str | None) -> tuple[list[_PemBlock], list[str]]:
    """Every PEM block in ``text`` (LF line ends) in order, and the BEGIN lines that have no END."""
    blocks = []
    unterminated = []
    position = 0
    previous_end = 0
    for match in _PEM_BEGIN.finditer(text):
        if match.start() < position:
            continue
        label = match.group(1).decode("ascii", "replace").strip()
        line = text.count(b"\n", 0, match.start()) + 1
        end_marker = b"-----END " + match.group(1) + b"-----"
        end = text.find(end_marker, match.end())
        if end == -1:
            unterminated.append(f"PEM block '{label}' at line {line} has no '-----END {label}-----' line")
            continue
        content = text[match.end() : end]
        headers, body = _split_pem_headers(content)
        blocks.append(
            _PemBlock(
                label=label,
                number=len(blocks) + 1,
                line=line,
                headers=headers,
                body=body,
                raw=text[match.start() : end + len(end_marker)] + b"\n",
                preamble=text[previous_end : match.start()],
                source=source,
            )
        )
        position = previous_end = end + len(end_marker)
    return blocks, unterminated


def _split_pem_headers(content: bytes) -> tuple[dict, bytes]:
    """RFC 1421 headers (``Proc-Type``, ``DEK-Info``) and the base64 body of one block."""
    lines = content.split(b"\n")
    headers = {}
    index = 0
    while index < len(lines) and b":" in lines[index]:
        name, _sep, value = lines[index].partition(b":")
        headers[name.strip().decode("ascii", "replace").lower()] = value.strip().decode("ascii", "replace")
        index += 1
    return headers, b"".join(line.strip() for line in lines[index:])


def _block_der(block: _PemBlock) -> bytes:
    try:
        return base64.b64decode(block.body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UnrecognizedFormat(
            f"{block.where} is damaged: its base64 text does not decode ({_short(exc)}).",
            hint="Copy the block again, from its BEGIN line to its END line, without changes.",
        ) from None


def _friendly_name(preamble: bytes) -> str | None:
    """The ``friendlyName`` of the 'Bag Attributes' text ``openssl pkcs12`` prints before a block."""
    matches = _FRIENDLY_NAME.findall(preamble)
    return matches[-1].strip().decode("utf-8", "replace") if matches else None


def _first_element(der: bytes) -> bytes:
    """The first DER element of ``der`` (a TRUSTED CERTIFICATE carries trust settings after it)."""
    if len(der) < 2:
        return der
    first = der[1]
    if first < 0x80:
        return der[: 2 + first]
    count = first & 0x7F
    length = int.from_bytes(der[2 : 2 + count], "big")
    return der[: 2 + count + length]


def _pem_items(
    blocks: list[_PemBlock], passphrase: bytes | None, source: str | None, notes: list[str]
) -> list[LoadedItem]:
    items: list[LoadedItem] = []
    for block in blocks:
        friendly = _friendly_name(block.preamble)
        if block.label in _CERTIFICATE_LABELS:
            items.extend(_pem_certificates(block, source, friendly))
        elif block.label in _PKCS7_LABELS:
            items.extend(_pkcs7_items(_block_der(block), FORMAT_PKCS7_PEM, source, block.where))
        elif block.label == "PRIVATE KEY":
            key = _load_key(serialization.load_der_private_key, _block_der(block), None, block.where)
            items.append(LoadedItem(KIND_PRIVATE_KEY, FORMAT_PKCS8_PEM, key, source, 0, friendly))
        elif block.label == "ENCRYPTED PRIVATE KEY":
            key = _load_key(serialization.load_der_private_key, _block_der(block), passphrase, block.where, True)
            items.append(LoadedItem(KIND_PRIVATE_KEY, FORMAT_PKCS8_PEM_ENCRYPTED, key, source, 0, friendly))
        elif block.label in _LEGACY_KEY_LABELS:
            if "ENCRYPTED" in block.headers.get("proc-type", "").upper():
                key = _load_key(serialization.load_pem_private_key, block.raw, passphrase, block.where, True)
                items.append(LoadedItem(KIND_PRIVATE_KEY, FORMAT_LEGACY_PEM_ENCRYPTED, key, source, 0, friendly))
            else:
                key = _load_key(serialization.load_der_private_key, _block_der(block), None, block.where)
                items.append(LoadedItem(KIND_PRIVATE_KEY, FORMAT_LEGACY_PEM, key, source, 0, friendly))
        elif block.label in _CSR_LABELS:
            notes.append(f"{block.where} skipped: a certificate request is not imported (load it with load_csr).")
        elif "PRIVATE KEY" in block.label:
            notes.append(f"{block.where} skipped: a private key in a format that is not imported.")
        else:
            notes.append(f"{block.where} skipped: not a certificate or private key.")
    return items


def _pem_certificates(block: _PemBlock, source: str | None, friendly: str | None) -> list[LoadedItem]:
    der = _block_der(block)
    if block.label == "TRUSTED CERTIFICATE":
        der = _first_element(der)
    try:
        cert = x509.load_der_x509_certificate(der)
    except _CERTIFICATE_ERRORS as exc:
        if block.label == "CERTIFICATE" and _loads_as_pkcs7(der):
            return _pkcs7_items(der, FORMAT_PKCS7_PEM, source, block.where)
        raise UnrecognizedFormat(
            f"{block.where} is damaged: it is not a readable X.509 certificate ({_short(exc)}).",
            hint="Copy the block again, from its BEGIN line to its END line, without changes.",
            details={"source": source, **parser_detail(exc)},
        ) from None
    return [LoadedItem(KIND_CERTIFICATE, FORMAT_PEM_X509, cert, source, 0, friendly)]


def _load_pem(text: bytes, passphrase: bytes | None, source: str | None) -> LoadResult:
    text = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    blocks, unterminated = _pem_blocks(text, source)
    known = _CERTIFICATE_LABELS + _PKCS7_LABELS + _LEGACY_KEY_LABELS + ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY")
    for problem in unterminated:
        if any(f"'{label}'" in problem for label in known):
            raise UnrecognizedFormat(
                f"{_sentence_start(_name(source))}: {problem}.",
                hint="The file is cut short: copy or download it again.",
            )
    notes = [f"{problem}; skipped." for problem in unterminated]
    items = _pem_items(blocks, passphrase, source, notes)
    if not items:
        found = ", ".join(block.where for block in blocks) or "no complete PEM block"
        raise _unrecognized(source, len(text), found=f"It holds {found}.")
    numbered = []
    for index, item in enumerate(items):
        numbered.append(LoadedItem(item.kind, item.format, item.obj, item.source, index, item.friendly_name))
    return LoadResult(tuple(numbered), tuple(notes))


# ---- DER ---------------------------------------------------------------------------------------


def _pkcs7_certificates(der: bytes) -> list:
    """The certificates of a DER (or BER) PKCS#7 bundle.

    cryptography reads a bundle that is not strict DER (``openssl crl2pkcs7`` writes its certificates
    unsorted) as BER, and says so with a UserWarning printed on stderr, where Ansible reports it as
    data a worker sent to stderr. The bundle is read completely either way, so the warning is dropped.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"PKCS#7 certificates could not be parsed as DER", category=UserWarning
        )
        return pkcs7.load_der_pkcs7_certificates(der)


def _loads_as_pkcs7(der: bytes) -> bool:
    try:
        return bool(_pkcs7_certificates(der))
    except (ValueError, UnsupportedAlgorithm):
        return False


def _pkcs7_items(der: bytes, format_: str, source: str | None, where: str) -> list[LoadedItem]:
    try:
        certs = _pkcs7_certificates(der)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise UnrecognizedFormat(
            f"{where} is not a readable PKCS#7 certificate bundle ({_short(exc)}).",
            hint="Only signed-data bundles of certificates (.p7b/.p7c) are imported.",
            details={"source": source, **parser_detail(exc)},
        ) from None
    if not certs:
        raise UnrecognizedFormat(f"{where} is a PKCS#7 bundle that holds no certificates.")
    return [LoadedItem(KIND_CERTIFICATE, format_, cert, source, index) for index, cert in enumerate(certs)]


def _load_key(loader, blob: bytes, passphrase: bytes | None, where: str, encrypted: bool = False):
    """A private key via ``loader``; our errors for a missing or wrong passphrase and unreadable keys."""
    if encrypted and passphrase is None:
        raise PassphraseRequired(
            f"{where} is an encrypted private key and no passphrase was given.",
            hint="Give the passphrase the key was exported with.",
            details={"where": where},
        )
    try:
        return loader(blob, passphrase if encrypted else None)
    except TypeError as exc:
        if "not given" in str(exc) and passphrase is not None:
            raise WrongPassphrase(
                f"Wrong passphrase for {where}: the empty passphrase does not decrypt the key.",
                hint=_WRONG_PASSPHRASE_HINT,
                details={"where": where},
            ) from None
        if "not given" in str(exc):
            raise PassphraseRequired(
                f"{where} is an encrypted private key and no passphrase was given.",
                hint="Give the passphrase the key was exported with.",
                details={"where": where},
            ) from None
        raise UnrecognizedFormat(f"{where} cannot be read: {_short(exc)}.") from None
    except UnsupportedAlgorithm as exc:
        raise UnsupportedKey(
            f"{where} uses a key type or algorithm that cannot be read here: {_short(exc)}.",
            hint="Use an RSA or EC key.",
        ) from None
    except ValueError as exc:
        message = str(exc).lower()
        if encrypted and "encryption algorithm" in message:
            raise UnsupportedKey(
                f"{where} is encrypted with an algorithm that cannot be read here: {_short(exc)}.",
                hint="Export the key again with AES-256 (e.g. 'openssl pkcs8 -topk8 -v2 aes-256-cbc').",
            ) from None
        if encrypted and "dek-info" not in message:
            # A wrong passphrase decrypts to garbage; the library then reports either a failed
            # decryption or an unreadable key, depending on the cipher.
            raise WrongPassphrase(
                f"Wrong passphrase for {where}: it does not decrypt the key (or the key is damaged).",
                hint=_WRONG_PASSPHRASE_HINT,
                details={"where": where, "reason": _short(exc)},
            ) from None
        raise UnrecognizedFormat(
            f"{where} is damaged or not a private key this library reads: {_short(exc)}.",
            hint="Export the key again, as PKCS#8 if possible.",
            details={"where": where, **parser_detail(exc)},
        ) from None


def _load_pkcs12(data: bytes, passphrase: bytes | None, source: str | None, notes: list[str]) -> list[LoadedItem]:
    where = f"PKCS#12 file {_name(source)}"
    attempts = list(dict.fromkeys([passphrase, None, b""]))
    loaded = None
    failure: Exception | None = None
    for attempt in attempts:
        try:
            loaded = pkcs12.load_pkcs12(data, attempt)
        except ValueError as exc:
            failure = exc
            continue
        except UnsupportedAlgorithm as exc:
            raise UnsupportedKey(
                f"{where} uses an algorithm that cannot be read here: {_short(exc)}.",
                hint="Export it again with AES-256 encryption (the default of current OpenSSL and Windows).",
            ) from None
        if attempt is not passphrase and passphrase is not None:
            notes.append(f"{where} is not password-protected; the passphrase given was not needed.")
        break
    if loaded is None:
        if "password" not in str(failure).lower():
            raise UnrecognizedFormat(
                f"{where} is damaged and cannot be read ({_short(failure)}).",
                hint="Export it again from the server that holds the certificate.",
            )
        if passphrase is None:
            raise PassphraseRequired(
                f"{where} is password-protected and no passphrase was given.",
                hint="Give the password the PKCS#12 file was exported with.",
                details={"where": where},
            )
        raise WrongPassphrase(
            f"Wrong passphrase for {where}: it does not open the file (or the file is damaged).",
            hint=_WRONG_PASSPHRASE_HINT,
            details={"where": where},
        )
    items = []
    certs = ([loaded.cert] if loaded.cert is not None else []) + list(loaded.additional_certs)
    for entry in certs:
        name = entry.friendly_name.decode("utf-8", "replace") if entry.friendly_name else None
        items.append(LoadedItem(KIND_CERTIFICATE, FORMAT_PKCS12, entry.certificate, source, len(items), name))
    if loaded.key is not None:
        items.append(LoadedItem(KIND_PRIVATE_KEY, FORMAT_PKCS12, loaded.key, source, len(items)))
    if not items:
        raise UnrecognizedFormat(f"{where} holds neither a certificate nor a private key.")
    return items


_KEY_FORMATS = {
    keyguard.KEY_STRUCTURE_PKCS8: (FORMAT_PKCS8_DER, False, "DER PKCS#8 private key"),
    keyguard.KEY_STRUCTURE_PKCS8_ENCRYPTED: (FORMAT_PKCS8_DER_ENCRYPTED, True, "DER encrypted PKCS#8 private key"),
    keyguard.KEY_STRUCTURE_RSA: (FORMAT_LEGACY_DER, False, "DER legacy RSA private key"),
    keyguard.KEY_STRUCTURE_EC: (FORMAT_LEGACY_DER, False, "DER legacy EC private key"),
    keyguard.KEY_STRUCTURE_DSA: (FORMAT_LEGACY_DER, False, "DER legacy DSA private key"),
}


def _load_der(data: bytes, passphrase: bytes | None, source: str | None) -> LoadResult:
    notes: list[str] = []
    if keyguard.is_pkcs12(data):
        return LoadResult(tuple(_load_pkcs12(data, passphrase, source, notes)), tuple(notes))
    structure = keyguard.der_private_key_structure(data)
    if structure is not None:
        format_, encrypted, what = _KEY_FORMATS[structure]
        key = _load_key(serialization.load_der_private_key, data, passphrase, f"{what} {_name(source)}", encrypted)
        return LoadResult((LoadedItem(KIND_PRIVATE_KEY, format_, key, source, 0),))
    reasons = {}
    try:
        cert = x509.load_der_x509_certificate(data)
        return LoadResult((LoadedItem(KIND_CERTIFICATE, FORMAT_DER_X509, cert, source, 0),))
    except _CERTIFICATE_ERRORS as exc:
        reasons["DER X.509 certificate"] = _raw(exc)
    try:
        certs = _pkcs7_certificates(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        reasons["PKCS#7"] = _raw(exc)
    else:
        if certs:
            return LoadResult(
                tuple(LoadedItem(KIND_CERTIFICATE, FORMAT_PKCS7_DER, cert, source, i) for i, cert in enumerate(certs))
            )
        reasons["PKCS#7"] = "a bundle without certificates"
    found = _der_guess(data)
    if not found and "ShortData" in reasons.get("DER X.509 certificate", ""):
        found = "It starts like a DER structure, but the data ends too early: the file is cut short."
    raise _unrecognized(source, len(data), found=found, reasons=reasons)


def _der_guess(data: bytes) -> str:
    """A sentence on what DER ``data`` is instead, when that is cheap to tell."""
    for loader, what in (
        (x509.load_der_x509_csr, "a certificate request (load it with load_csr)"),
        (x509.load_der_x509_crl, "a certificate revocation list"),
        (serialization.load_der_public_key, "a public key, not a private key"),
    ):
        try:
            loader(data)
        except (ValueError, UnsupportedAlgorithm):
            continue
        return f"It is {what}."
    if data[:1] != b"\x30":
        return "It is neither PEM text nor a DER structure."
    return ""


def _is_der_structure(data: bytes) -> bool:
    """True when ``data`` starts with a SEQUENCE whose definite length covers the whole input."""
    if len(data) < 2 or data[0] != 0x30:
        return False
    first = data[1]
    if first < 0x80:
        return 2 + first == len(data)
    count = first & 0x7F
    if first == 0x80 or count > 4:
        return False
    return 2 + count + int.from_bytes(data[2 : 2 + count], "big") == len(data)


def _bare_base64(data: bytes) -> bytes | None:
    """The DER inside a file of nothing but base64 text (a PEM body without BEGIN/END lines)."""
    if not _BARE_BASE64.fullmatch(data):
        return None
    try:
        der = base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return der if der[:1] == b"\x30" else None


def _load(data: bytes, passphrase: bytes | None, source: str | None) -> LoadResult:
    trimmed = data.rstrip(b"\r\n\t \x00")
    if not _is_der_structure(data) and _is_der_structure(trimmed):
        data = trimmed
    if _is_der_structure(data) or (data[:1] == b"\x30" and b"-----BEGIN " not in data):
        return _load_der(data, passphrase, source)
    if b"-----BEGIN " in data:
        return _load_pem(data, passphrase, source)
    der = _bare_base64(data)
    if der is not None:
        result = _load_der(der, passphrase, source)
        items = tuple(
            LoadedItem(i.kind, _DER_TO_PEM_FORMAT.get(i.format, i.format), i.obj, i.source, i.index, i.friendly_name)
            for i in result.items
        )
        note = f"{_sentence_start(_name(source))} is base64 text without PEM BEGIN/END lines; read as PEM."
        return LoadResult(items, (*result.notes, note))
    return _load_der(data, passphrase, source)


# ---- public API --------------------------------------------------------------------------------


def load_bytes_with_notes(data, passphrase=None, source: str | None = None) -> LoadResult:
    """Like :func:`load_bytes`, and also return notes on what was skipped (unknown PEM blocks, ...)."""
    data = _prepare(data, source)
    secret = _passphrase_bytes(passphrase)
    try:
        result = _load(data, secret, source)
        for item in result.items:
            _check_readable(item)
        return result
    except PKIError:
        raise
    except (*_CERTIFICATE_ERRORS, TypeError, IndexError, UnsupportedAlgorithm) as exc:
        raise UnrecognizedFormat(
            f"{_sentence_start(_name(source))} cannot be read: {_short(exc)}.",
            hint="Give the file the CA or the exporting server produced, unchanged.",
            details={"source": source, "tried": list(FORMATS_TRIED), **parser_detail(exc)},
        ) from None


def load_bytes(data, passphrase=None, source: str | None = None) -> list[LoadedItem]:
    """Every certificate and private key in ``data`` (bytes or text), detected by content.

    ``passphrase`` (bytes or text) opens encrypted keys and PKCS#12 files; ``source`` names
    the input in messages. Never returns an empty list: raises a :class:`PKIError` instead.
    """
    return list(load_bytes_with_notes(data, passphrase, source).items)


def _read_file(path: str) -> bytes:
    try:
        size = os.stat(path).st_size
        _check_size(size, path)
        with open(path, "rb") as handle:
            data = handle.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise PKIError(
            f"Cannot read '{path}': {exc.strerror or exc}.", hint="Check the path and its permissions."
        ) from None
    _check_size(len(data), path)
    return data


def load_file_with_notes(path: str, passphrase=None) -> LoadResult:
    """Like :func:`load_file`, and also return the notes."""
    return load_bytes_with_notes(_read_file(path), passphrase, source=path)


def load_file(path: str, passphrase=None) -> list[LoadedItem]:
    """:func:`load_bytes` on a file, refused by its size before it is read; messages name ``path``."""
    return load_bytes(_read_file(path), passphrase, source=path)


def load_csr(data, source: str | None = None):
    """The one certificate request (PEM or DER) in ``data``."""
    data = _prepare(data, source)
    if b"-----BEGIN " in data:
        text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        every_block = _pem_blocks(text, source)[0]
        blocks = [block for block in every_block if block.label in _CSR_LABELS]
        if len(blocks) != 1:
            found = ", ".join(block.where for block in every_block) or "no complete PEM block"
            raise UnrecognizedFormat(
                f"{_sentence_start(_name(source))} holds {len(blocks)} certificate requests, not one ({found}).",
                hint="Give exactly one PEM block '-----BEGIN CERTIFICATE REQUEST-----'.",
            )
        der, where = _block_der(blocks[0]), blocks[0].where
    else:
        der, where = _bare_base64(data) or data, f"{_name(source)}"
    try:
        return x509.load_der_x509_csr(der)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise UnrecognizedFormat(
            f"{_sentence_start(where)} is not a readable certificate request (PEM or DER): {_short(exc)}.",
            hint="Give the request exactly as it was created ('-----BEGIN CERTIFICATE REQUEST-----' ...).",
            details={"source": source, **parser_detail(exc)},
        ) from None


def certificates(items) -> list:
    """The certificates among ``items``, in order, each once (by fingerprint)."""
    seen = {}
    for item in items:
        if item.kind == KIND_CERTIFICATE:
            seen.setdefault(certificate_fingerprint(item.obj), item.obj)
    return list(seen.values())


def private_keys(items) -> list:
    """The private keys among ``items``, in order, each once (by public-key fingerprint)."""
    seen = {}
    for item in items:
        if item.kind == KIND_PRIVATE_KEY:
            seen.setdefault(public_key_fingerprint(item.obj), item.obj)
    return list(seen.values())
