# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The error hierarchy of the PKI core.

Every failure the core can foresee is one of these. Each carries a message
that names the problem and, where there is one, a hint that names the fix, so
a caller (a module's single ``fail_json``, or the reference appliance's 4xx
response) can pass both on unchanged.
"""

from __future__ import annotations

import re

# Letters whose spoken name starts with a vowel sound, for an abbreviation spelled letter by letter ("an RSA key").
_VOWEL_SOUND_LETTERS = "AEFHILMNORSX"
_ABBREVIATION = re.compile(r"^[A-Z][A-Z0-9#.-]*$")


def with_article(word, capital: bool = False) -> str:
    """``word`` with "a" or "an" before it, as it is spoken: an Ed25519 key, an RSA key, a DNS name, an 8192-bit key.

    ``capital`` starts it with "A" or "An", for the start of a sentence.
    """
    text = str(word)
    first = text[:1]
    head = text.split(maxsplit=1)[0] if text.strip() else text
    if first.isdigit():
        digits = re.match(r"\d+", text).group(0)
        # eight..., eleven, eighteen (and their thousands)
        vowel = digits.startswith("8") or (digits[:2] in ("11", "18") and len(digits) in (2, 5))
    elif _ABBREVIATION.match(head) and len(head) > 1:
        vowel = first in _VOWEL_SOUND_LETTERS
    else:
        vowel = first.lower() in "aeio" or (first.lower() == "u" and not text.lower().startswith(("uni", "us", "ut")))
    article = "an" if vowel else "a"
    return f"{article.capitalize() if capital else article} {text}"


class PKIError(Exception):
    """Base class of every error the PKI core raises on purpose."""

    code = "pki_error"

    def __init__(self, message: str, hint: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = dict(details or {})

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} {self.hint}"
        return self.message

    def as_dict(self) -> dict:
        """A JSON-friendly form: ``{error, message, details}``."""
        return {"error": self.code, "message": str(self), "details": self.details}


class InputTooLarge(PKIError):
    """The input exceeds the size cap."""

    code = "input_too_large"


class UnrecognizedFormat(PKIError):
    """The content is none of the supported certificate or key formats."""

    code = "unrecognized_format"


class PassphraseError(PKIError):
    """The content is encrypted and the passphrase is missing or wrong."""

    code = "passphrase_error"


class PassphraseRequired(PassphraseError):
    """The content is encrypted and no passphrase was given."""

    code = "passphrase_required"


class WrongPassphrase(PassphraseError):
    """The content is encrypted and the passphrase given does not open it."""

    code = "wrong_passphrase"


class SpecError(PKIError):
    """A requested subject, alternative name, key or validity is not acceptable."""

    code = "invalid_spec"


class UnsupportedKey(PKIError):
    """A key type or size outside what the appliance accepts."""

    code = "unsupported_key"


class KeyMismatch(PKIError):
    """A key does not belong to the certificate or request it is paired with."""

    code = "key_mismatch"


class ChainError(PKIError):
    """A certificate chain cannot be built or does not validate."""

    code = "chain_error"


class AIAFetchError(PKIError):
    """An Authority Information Access URL could not be used."""

    code = "aia_fetch_error"


class PrivateKeyFound(PKIError):
    """Bytes that must not carry a private key do carry one."""

    code = "private_key_found"
