# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Refuse bytes that are, or contain, a private key.

Whatever leaves the operator's network for the vendor (a certificate with its
chain, a support archive) must never carry a private key. This module looks for
keys by structure, without decrypting or even fully parsing anything:

- PEM blocks whose label names a private key (``PRIVATE KEY``, ``RSA PRIVATE
  KEY``, ``ENCRYPTED PRIVATE KEY``, ``OPENSSH PRIVATE KEY``, ...), and PuTTY key files;
- DER private keys anywhere in the bytes: PKCS#8 (plain and encrypted), PKCS#1
  RSA, SEC1 EC and OpenSSL DSA;
- PKCS#12 files with a key bag or shrouded key bag, and any PKCS#12 whose
  contents are encrypted (it cannot be opened here, so it may hold a key);
- long base64 runs (a DER key inside JSON or text) that decode to any of the above.

It errs on the side of refusing: a binary blob that happens to parse as a key
is refused, a key is never let through.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from .errors import PrivateKeyFound, with_article

_SEQUENCE = 0x30
_INTEGER = 0x02
_OCTET_STRING = 0x04
_OID = 0x06
_CONTEXT_0 = 0xA0
_CONTEXT_1 = 0xA1
_CONTEXT_1_PRIMITIVE = 0x81

# DER content octets of the object identifiers the PKCS#12 check needs.
_OID_PKCS7_DATA = bytes.fromhex("2a864886f70d010701")
_OID_PKCS7_SIGNED_DATA = bytes.fromhex("2a864886f70d010702")
_OID_PKCS7_ENVELOPED_DATA = bytes.fromhex("2a864886f70d010703")
_OID_PKCS7_ENCRYPTED_DATA = bytes.fromhex("2a864886f70d010706")
_OID_KEY_BAG = bytes.fromhex("2a864886f70d010c0a0101")
_OID_SHROUDED_KEY_BAG = bytes.fromhex("2a864886f70d010c0a0102")
_OID_SAFE_CONTENTS_BAG = bytes.fromhex("2a864886f70d010c0a0106")
_HARMLESS_BAGS = {
    bytes.fromhex("2a864886f70d010c0a0103"): "certBag",
    bytes.fromhex("2a864886f70d010c0a0104"): "crlBag",
    bytes.fromhex("2a864886f70d010c0a0105"): "secretBag",
}
# Full DER encodings (tag, length, content) of the key bag OIDs, found by a byte search.
_KEY_BAG_OID_BYTES = {
    b"\x06\x0b" + _OID_KEY_BAG: "PKCS#12 key bag",
    b"\x06\x0b" + _OID_SHROUDED_KEY_BAG: "PKCS#12 shrouded key bag",
}
# Digest algorithm arcs: a DigestInfo has the shape of an EncryptedPrivateKeyInfo.
_DIGEST_OID_PREFIXES = (
    bytes.fromhex("6086480165030402"),  # 2.16.840.1.101.3.4.2 (SHA-2, SHA-3)
    bytes.fromhex("2b0e03021a"),  # 1.3.14.3.2.26 (SHA-1)
    bytes.fromhex("2a864886f70d0202"),  # 1.2.840.113549.2.2 (MD2)
    bytes.fromhex("2a864886f70d0205"),  # 1.2.840.113549.2.5 (MD5)
)

KEY_STRUCTURE_PKCS8 = "pkcs8"
KEY_STRUCTURE_PKCS8_ENCRYPTED = "pkcs8_encrypted"
KEY_STRUCTURE_RSA = "rsa"
KEY_STRUCTURE_EC = "ec"
KEY_STRUCTURE_DSA = "dsa"
_KEY_STRUCTURE_NAMES = {
    KEY_STRUCTURE_PKCS8: "DER PKCS#8 private key",
    KEY_STRUCTURE_PKCS8_ENCRYPTED: "DER PKCS#8 encrypted private key",
    KEY_STRUCTURE_RSA: "DER PKCS#1 RSA private key",
    KEY_STRUCTURE_EC: "DER SEC1 EC private key",
    KEY_STRUCTURE_DSA: "DER OpenSSL DSA private key",
}

# Also the four-dash, spaced form of SSH.com keys ("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----").
_PEM_KEY_LABEL = re.compile(rb"-{4,5} ?BEGIN ([^\r\n]{0,80}?PRIVATE KEY[^\r\n-]{0,40}?) ?-{4,5}", re.IGNORECASE)
_PEM_END = re.compile(rb"-----END [^\r\n]{0,120}?-----")
_PUTTY_KEY = re.compile(rb"PuTTY-User-Key-File-\d+:")
# Runs of base64 text, allowing whitespace and the escapes JSON puts inside strings.
_BASE64_RUN = re.compile(rb"(?:[A-Za-z0-9+/=]|\\[nrt/]|[ \t\r\n])+")
_BASE64_MIN_CHARS = 60
_BASE64_JUNK = re.compile(rb"\\[nrt]|\s")
_MAX_DEPTH = 2
_MAX_CHILDREN = 16


@dataclass(frozen=True)
class KeyFinding:
    """One place where a private key (or something that may hold one) was found."""

    where: str


@dataclass(frozen=True)
class _Element:
    tag: int
    start: int  # first content byte
    end: int  # one past the last content byte


def _read_header(data: bytes, offset: int) -> tuple[int, int, int | None] | None:
    """``(tag, header length, content length)`` at ``offset``; length None when indefinite (BER)."""
    if offset + 2 > len(data):
        return None
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        return None
    first = data[offset + 1]
    if first < 0x80:
        return tag, 2, first
    if first == 0x80:
        return tag, 2, None
    count = first & 0x7F
    if count > 4 or offset + 2 + count > len(data):
        return None
    return tag, 2 + count, int.from_bytes(data[offset + 2 : offset + 2 + count], "big")


def _read_element(data: bytes, offset: int, limit: int) -> _Element | None:
    """The definite-length element at ``offset`` when it ends at or before ``limit``."""
    header = _read_header(data, offset)
    if header is None or header[2] is None:
        return None
    tag, header_length, length = header
    start = offset + header_length
    if start + length > limit:
        return None
    return _Element(tag, start, start + length)


def _children(data: bytes, element: _Element) -> list[_Element] | None:
    """The elements that exactly fill ``element``'s content; None when they do not, or there are too many."""
    children = []
    offset = element.start
    while offset < element.end:
        if len(children) == _MAX_CHILDREN:
            return None
        child = _read_element(data, offset, element.end)
        if child is None:
            return None
        children.append(child)
        offset = child.end
    return children


def _small_integer(data: bytes, element: _Element) -> int | None:
    if element.tag != _INTEGER or not 1 <= element.end - element.start <= 2:
        return None
    return int.from_bytes(data[element.start : element.end], "big", signed=True)


def _first_child_is_oid(data: bytes, element: _Element) -> bool:
    child = _read_element(data, element.start, element.end)
    return element.tag == _SEQUENCE and child is not None and child.tag == _OID


def _is_encryption_algorithm(data: bytes, element: _Element) -> bool:
    """An AlgorithmIdentifier with an OID that is not a digest and parameters in a SEQUENCE."""
    if element.tag != _SEQUENCE:
        return False
    parts = _children(data, element)
    if not parts or len(parts) != 2 or parts[0].tag != _OID or parts[1].tag != _SEQUENCE:
        return False
    oid = data[parts[0].start : parts[0].end]
    return not oid.startswith(_DIGEST_OID_PREFIXES)


def _key_structure(data: bytes, element: _Element) -> str | None:
    """Which private-key structure ``element`` is, if any (one of the KEY_STRUCTURE_* names)."""
    if element.tag != _SEQUENCE:
        return None
    kids = _children(data, element)
    if not kids:
        return None
    tags = [kid.tag for kid in kids]
    version = _small_integer(data, kids[0])
    if version in (0, 1) and tags[:9] == [_INTEGER] * 9 and tags[9:] in ([], [_SEQUENCE]):
        return KEY_STRUCTURE_RSA
    if version == 0 and len(kids) == 6 and all(tag == _INTEGER for tag in tags):
        return KEY_STRUCTURE_DSA
    if (
        version in (0, 1)
        and len(kids) >= 3
        and _first_child_is_oid(data, kids[1])
        and tags[2] == _OCTET_STRING
        and all(tag in (_CONTEXT_0, _CONTEXT_1_PRIMITIVE, _CONTEXT_1) for tag in tags[3:])
    ):
        return KEY_STRUCTURE_PKCS8
    if (
        version == 1
        and len(kids) >= 2
        and tags[1] == _OCTET_STRING
        and 1 <= kids[1].end - kids[1].start <= 128
        and tags[2:] in ([], [_CONTEXT_0], [_CONTEXT_1], [_CONTEXT_0, _CONTEXT_1])
    ):
        return KEY_STRUCTURE_EC
    if len(kids) == 2 and tags[1] == _OCTET_STRING and _is_encryption_algorithm(data, kids[0]):
        return KEY_STRUCTURE_PKCS8_ENCRYPTED
    return None


def der_private_key_structure(data: bytes) -> str | None:
    """The KEY_STRUCTURE_* name when ``data`` is exactly one DER private key, else None."""
    element = _read_element(data, 0, len(data))
    if element is None or element.end != len(data):
        return None
    return _key_structure(data, element)


def _pfx_header(data: bytes, offset: int) -> tuple[int, int | None] | None:
    """When a PKCS#12 PFX starts at ``offset``: (offset of its authSafe ContentInfo, end of the PFX or None)."""
    outer = _read_header(data, offset)
    if outer is None or outer[0] != _SEQUENCE:
        return None
    position = offset + outer[1]
    if data[position : position + 3] != b"\x02\x01\x03":
        return None
    position += 3
    content_info = _read_header(data, position)
    if content_info is None or content_info[0] != _SEQUENCE:
        return None
    oid_at = position + content_info[1]
    oid = data[oid_at : oid_at + 11]
    if oid[:2] != b"\x06\x09" or oid[2:] not in (_OID_PKCS7_DATA, _OID_PKCS7_SIGNED_DATA):
        return None
    end = None if outer[2] is None else offset + outer[1] + outer[2]
    return position, end


def is_pkcs12(data: bytes) -> bool:
    """True when ``data`` starts with a PKCS#12 PFX (version 3, data or signed-data authSafe)."""
    return _pfx_header(data, 0) is not None


def _data_content(data: bytes, content_info: _Element) -> _Element | str:
    """The OCTET STRING inside a pkcs7-data ContentInfo, or a reason why it cannot be read here."""
    parts = _children(data, content_info)
    if not parts or parts[0].tag != _OID:
        return "a content entry that cannot be read"
    oid = data[parts[0].start : parts[0].end]
    if oid in (_OID_PKCS7_ENCRYPTED_DATA, _OID_PKCS7_ENVELOPED_DATA):
        return "password-encrypted contents that may hold a private key"
    if oid != _OID_PKCS7_DATA:
        return "contents of a kind that cannot be inspected"
    if len(parts) != 2 or parts[1].tag != _CONTEXT_0:
        return "a content entry that cannot be read"
    octets = _read_element(data, parts[1].start, parts[1].end)
    if octets is None or octets.tag != _OCTET_STRING or octets.end != parts[1].end:
        return "contents in a form (BER) that cannot be inspected"
    return octets


def _safe_contents_findings(data: bytes, safe_contents: _Element, depth: int) -> list[str]:
    """What in one SafeContents may hold a key: key bags, nested bags, unknown bags."""
    problems: list[str] = []
    offset = safe_contents.start
    while offset < safe_contents.end:
        bag = _read_element(data, offset, safe_contents.end)
        parts = _children(data, bag) if bag is not None and bag.tag == _SEQUENCE else None
        if not parts or parts[0].tag != _OID:
            return [*problems, "a bag that cannot be read"]
        bag_id = data[parts[0].start : parts[0].end]
        if bag_id == _OID_KEY_BAG:
            problems.append("key bag")
        elif bag_id == _OID_SHROUDED_KEY_BAG:
            problems.append("shrouded key bag")
        elif bag_id == _OID_SAFE_CONTENTS_BAG and depth < _MAX_DEPTH and len(parts) >= 2:
            inner = _read_element(data, parts[1].start, parts[1].end)
            if inner is None or inner.tag != _SEQUENCE:
                problems.append("a nested bag that cannot be read")
            else:
                problems.extend(_safe_contents_findings(data, inner, depth + 1))
        elif bag_id not in _HARMLESS_BAGS:
            problems.append("a bag of an unknown type")
        offset = bag.end
    return problems


def _pkcs12_findings(data: bytes, offset: int) -> list[str]:
    """Reasons the PKCS#12 at ``offset`` holds, or may hold, a private key (empty when it holds none)."""
    header = _pfx_header(data, offset)
    if header is None:
        return []
    content_info_at, end = header
    if end is None:
        return ["contents in a form (BER) that cannot be inspected"]
    content_info = _read_element(data, content_info_at, end)
    if content_info is None:
        return ["a damaged structure that cannot be inspected"]
    auth_safe = _data_content(data, content_info)
    if isinstance(auth_safe, str):
        return [auth_safe]
    sequence = _read_element(data, auth_safe.start, auth_safe.end)
    if sequence is None or sequence.tag != _SEQUENCE:
        return ["a damaged structure that cannot be inspected"]
    problems: list[str] = []
    position = sequence.start
    while position < sequence.end:
        entry = _read_element(data, position, sequence.end)
        if entry is None:
            return [*problems, "a damaged structure that cannot be inspected"]
        content = _data_content(data, entry)
        if isinstance(content, str):
            problems.append(content)
        else:
            safe_contents = _read_element(data, content.start, content.end)
            if safe_contents is None or safe_contents.tag != _SEQUENCE:
                problems.append("a damaged structure that cannot be inspected")
            else:
                problems.extend(_safe_contents_findings(data, safe_contents, 0))
        position = entry.end
    return problems


def _where(offset: int, what: str) -> str:
    return what if offset == 0 else f"{what} at byte offset {offset}"


def _der_findings(data: bytes) -> list[KeyFinding]:
    """DER private keys and key-bearing PKCS#12 files at any offset of ``data``."""
    findings = []
    offset = data.find(b"\x30")
    while offset != -1:
        next_offset = offset + 1
        pkcs12_problems = _pkcs12_findings(data, offset)
        if pkcs12_problems:
            for problem in dict.fromkeys(pkcs12_problems):
                findings.append(KeyFinding(_where(offset, f"PKCS#12 with {problem}")))
            pfx_end = _pfx_header(data, offset)[1]
            next_offset = pfx_end if pfx_end is not None else next_offset
        else:
            element = _read_element(data, offset, len(data))
            structure = _key_structure(data, element) if element is not None else None
            if structure is not None:
                findings.append(KeyFinding(_where(offset, _KEY_STRUCTURE_NAMES[structure])))
                next_offset = element.end
        offset = data.find(b"\x30", next_offset)
    for oid_bytes, what in _KEY_BAG_OID_BYTES.items():
        position = data.find(oid_bytes)
        if position != -1 and not any("PKCS#12" in finding.where for finding in findings):
            findings.append(KeyFinding(f"{what} identifier at byte offset {position}"))
    return findings


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _pem_findings(data: bytes) -> tuple[list[KeyFinding], list[tuple[int, int]]]:
    """Private-key PEM blocks (and PuTTY files), with the byte spans they cover."""
    findings = []
    spans = []
    for match in _PEM_KEY_LABEL.finditer(data):
        label = match.group(1).decode("ascii", "replace").strip()
        findings.append(KeyFinding(f"PEM block '{label}' at line {_line_of(data, match.start())}"))
        end = _PEM_END.search(data, match.end())
        spans.append((match.start(), end.end() if end else len(data)))
    for match in _PUTTY_KEY.finditer(data):
        findings.append(KeyFinding(f"PuTTY private key file at line {_line_of(data, match.start())}"))
    return findings, spans


def _decode_base64(text: bytes) -> bytes | None:
    """Decode base64 text without its padding; None when it is not base64."""
    if len(text) % 4 == 1:
        return None
    try:
        return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _base64_candidates(run: bytes) -> list[bytes]:
    """Byte strings a base64 run may stand for.

    Line breaks and JSON escapes are dropped; padding splits the run into separate values; each
    value is decoded at the four alignments, as text may be glued to its start.
    """
    text = _BASE64_JUNK.sub(b"", run.replace(b"\\/", b"/"))
    candidates = []
    for value in re.split(rb"=+", text):
        for shift in range(4):
            if len(value) - shift < _BASE64_MIN_CHARS:
                break
            decoded = _decode_base64(value[shift:])
            if decoded:
                candidates.append(decoded)
    return candidates


def _base64_findings(data: bytes, skip: list[tuple[int, int]], depth: int) -> list[KeyFinding]:
    """Keys inside long base64 runs outside the spans already reported."""
    findings = []
    for match in _BASE64_RUN.finditer(data):
        if match.end() - match.start() < _BASE64_MIN_CHARS:
            continue
        if any(start <= match.start() < end for start, end in skip):
            continue
        found = []
        for blob in _base64_candidates(match.group(0)):
            found.extend(_scan(blob, depth + 1))
        line = _line_of(data, match.start())
        for where in dict.fromkeys(finding.where for finding in found):
            findings.append(KeyFinding(f"base64 text at line {line} holding {with_article(where)}"))
    return findings


def _utf16_text(data: bytes) -> bytes | None:
    """The UTF-8 form of UTF-16 text (BOM, or the PEM dashes in UTF-16), else None."""
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom) or "-----BEGIN".encode(encoding) in data:
            return data.decode(encoding, "ignore").encode("utf-8")
    return None


def _scan(data: bytes, depth: int) -> list[KeyFinding]:
    findings, spans = _pem_findings(data)
    findings.extend(_der_findings(data))
    if depth < _MAX_DEPTH:
        findings.extend(_base64_findings(data, spans, depth))
        text = _utf16_text(data) if depth == 0 else None
        if text:
            found = _scan(text, depth + 1)
            findings.extend(KeyFinding(f"UTF-16 text with {with_article(finding.where)}") for finding in found)
    return findings


def find_private_keys(data: bytes, name: str | None = None) -> list[KeyFinding]:
    """Every place in ``data`` that is, or may hold, a private key (empty list when none).

    ``name`` is accepted for symmetry with :func:`ensure_no_private_key`; findings describe
    positions inside ``data`` only.
    """
    del name
    if isinstance(data, str):
        data = data.encode("utf-8")
    findings = _scan(bytes(data), 0)
    return list(dict.fromkeys(findings))


def ensure_no_private_key(data: bytes, name: str | None = None) -> None:
    """Raise PrivateKeyFound, naming ``name`` and each finding, when ``data`` holds a private key."""
    findings = find_private_keys(data, name)
    if not findings:
        return
    label = f"'{name}'" if name else "The data"
    places = "; ".join(finding.where for finding in findings)
    raise PrivateKeyFound(
        f"{label} contains a private key, or something that may hold one: {places}.",
        hint="Send certificates only: export the certificate and its chain without the private key "
        "(a PKCS#12 with a password cannot be checked and is refused). The key stays on the server that holds it.",
        details={"name": name, "findings": [finding.where for finding in findings]},
    )
