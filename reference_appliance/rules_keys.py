# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Private keys as store rows: ids, names, the stored PEM and loading it back."""

from __future__ import annotations

import re

from cryptography.hazmat.primitives import serialization

from .core import fingerprints, keys
from .errors import ApplianceError

MAX_NAME_LENGTH = 128
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def key_id_for(public_key_fingerprint: str) -> str:
    """``key-<first 12 hex digits of the public key fingerprint>``."""
    return "key-" + public_key_fingerprint.replace(":", "")[:12]


def key_row(private_key, name: str | None, now: str) -> dict:
    """The store row of a private key (PKCS#8 PEM, unencrypted: the store file is 0600)."""
    info = keys.describe_key(private_key)
    fingerprint = fingerprints.public_key_fingerprint(private_key)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {
        "id": key_id_for(fingerprint),
        "name": name,
        "type": info["type"],
        "size": info.get("size") if info["type"] == "rsa" else None,
        "curve": info.get("curve") if info["type"] == "ec" else None,
        "private_key_pem": pem.decode("ascii"),
        "public_key_fingerprint": fingerprint,
        "created_at": now,
    }


def load_private_key(row: dict):
    """The private key object of a key row."""
    return serialization.load_pem_private_key(row["private_key_pem"].encode("ascii"), None)


def unique_key_name(tx, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``... when a key of that name exists."""
    name, number = wanted, 1
    while tx.key_by_name(name) is not None:
        number += 1
        name = f"{wanted}-{number}"
    return name


def checked_label(value, what: str, example: str) -> str:
    """A name or friendly name: text of 1..128 characters on one line, without surrounding whitespace."""
    if not isinstance(value, str) or not value.strip():
        raise ApplianceError(
            422,
            "invalid_spec",
            f"The {what} is missing or empty. Give a descriptive {what}, e.g. {example!r}.",
            {"field": what.replace(" ", "_")},
        )
    text = value.strip()
    if len(text) > MAX_NAME_LENGTH:
        raise ApplianceError(
            422,
            "invalid_spec",
            f"The {what} is {len(text)} characters long; at most {MAX_NAME_LENGTH} are allowed. Shorten it.",
            {"field": what.replace(" ", "_"), "length": len(text), "limit": MAX_NAME_LENGTH},
        )
    if _CONTROL_CHARACTER.search(text):
        raise ApplianceError(
            422,
            "invalid_spec",
            f"The {what} contains a control character (such as a line break or tab). Write it on one line.",
            {"field": what.replace(" ", "_")},
        )
    return text


def checked_passphrase(value, purpose: str) -> str | None:
    """A passphrase as text, or None when none was given; never echoed in the refusal."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ApplianceError(
            422,
            "invalid_spec",
            f"The passphrase {purpose} must be text, got {type(value).__name__}. Give it as a string.",
            {"field": "passphrase"},
        )
    if "\x00" in value:
        raise ApplianceError(
            422,
            "invalid_spec",
            f"The passphrase {purpose} contains a NUL character, which no PKCS#12 or key file can use. "
            "Give the passphrase without it.",
            {"field": "passphrase"},
        )
    return value
