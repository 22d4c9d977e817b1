# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whether the ``cryptography`` library is usable, and the error to give when it is not.

Every module of the core imports ``cryptography`` inside ``try/except ImportError``
so that the collection's documentation and plugins load without it (as
``ansible-doc`` and ansible-test's import check need); code that does PKI work
calls :func:`require_cryptography` first.
"""

from __future__ import annotations

from .errors import PKIError

MINIMUM_CRYPTOGRAPHY_VERSION = (42, 0)

try:
    import cryptography

    CRYPTOGRAPHY_VERSION = cryptography.__version__
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # reported by require_cryptography()
    CRYPTOGRAPHY_VERSION = None
    CRYPTOGRAPHY_IMPORT_ERROR = exc


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def has_cryptography() -> bool:
    """True when a recent enough ``cryptography`` is importable."""
    return CRYPTOGRAPHY_VERSION is not None and _version_tuple(CRYPTOGRAPHY_VERSION) >= MINIMUM_CRYPTOGRAPHY_VERSION


def require_cryptography() -> None:
    """Raise a PKIError that says how to install ``cryptography`` when it is missing or too old."""
    if has_cryptography():
        return
    wanted = ".".join(str(p) for p in MINIMUM_CRYPTOGRAPHY_VERSION)
    found = f"version {CRYPTOGRAPHY_VERSION} is installed" if CRYPTOGRAPHY_VERSION else "it is not installed"
    raise PKIError(
        f"The Python library 'cryptography' >= {wanted} is required on the Ansible controller, but {found}.",
        hint=f"Install it into the Python that runs ansible-playbook: pip install 'cryptography>={wanted}'.",
    )
