# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Refusals of the appliance: an HTTP status and the ``{error, message, details}`` body."""

from __future__ import annotations

from .core import errors as pki_errors


class ApplianceError(Exception):
    """A refusal a person can act on. ``message`` says what is wrong and what to do."""

    def __init__(self, status: int, error: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.details = dict(details or {})

    def as_dict(self) -> dict:
        """The JSON body of the error response."""
        return {"error": self.error, "message": self.message, "details": self.details}


def not_found(what: str, ident: str) -> ApplianceError:
    """404 for a resource id that does not exist."""
    return ApplianceError(404, "not_found", f"No {what} with id '{ident}' exists on this appliance.", {"id": ident})


_STATUS_BY_PKI_ERROR = {
    pki_errors.InputTooLarge: 413,
}


def from_pki_error(exc: pki_errors.PKIError, source: str | None = None) -> ApplianceError:
    """Turn a PKI core error into a 4xx refusal (422 unless the kind says otherwise)."""
    status = next((code for cls, code in _STATUS_BY_PKI_ERROR.items() if isinstance(exc, cls)), 422)
    details = dict(exc.details)
    if source:
        details.setdefault("source", source)
    return ApplianceError(status, exc.code, str(exc), details)
