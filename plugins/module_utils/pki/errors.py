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
