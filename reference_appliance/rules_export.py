# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificate export: PEM with its chain, or a passphrase-protected PKCS#12, optionally with the key.

The private key only ever leaves the appliance inside a PKCS#12 protected by a
passphrase the caller gave (docs/procedure.md, rule R5.3: the vendor gets the chain,
never the key). Exporting never changes the appliance.
"""

from __future__ import annotations

import base64
import re

from cryptography.hazmat.primitives import serialization

from .core import errors as pki_errors
from .core import fingerprints, keys
from .errors import ApplianceError, from_pki_error

FORMATS = ("pem", "pkcs12")


def check_request(export_format, include_private_key: bool, passphrase) -> str:
    """Refuse an export that cannot be made, before anything is read; returns the format."""
    if export_format not in FORMATS:
        raise ApplianceError(
            422,
            "unsupported_format",
            f"Export format {str(export_format)[:40]!r} is not supported. Use 'pem' (certificate and chain) or "
            "'pkcs12' (passphrase-protected, optionally with the private key).",
            {"format": str(export_format)[:40], "formats": list(FORMATS)},
        )
    if include_private_key and export_format == "pem":
        raise ApplianceError(
            422,
            "passphrase_required",
            "The private key is only exported inside a passphrase-protected PKCS#12 file, never as PEM. "
            "Use format 'pkcs12' with a passphrase, or leave include_private_key false.",
            {"format": export_format},
        )
    if export_format == "pkcs12" and not passphrase:
        raise ApplianceError(
            422,
            "passphrase_required",
            "A PKCS#12 export is always protected by a passphrase, and none was given. Give a passphrase "
            "(at least 4 characters; keep it with the file in a secure, documented place).",
            {"format": export_format},
        )
    return export_format


def _filename(friendly_name: str, certificate_id: str, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", friendly_name or "").strip("._-")
    return f"{stem or certificate_id}.{extension}"


def export(cert, chain_certs, private_key, *, row: dict, export_format: str, passphrase, legacy: bool) -> dict:
    """The export result object: ``{format, filename, content | content_base64, includes_private_key, certificates}``.

    ``chain_certs`` are the certificates above ``cert`` (leaf excluded, root last) to include;
    ``private_key`` is the key to include, or None.
    """
    everything = [cert, *chain_certs]
    result = {
        "format": export_format,
        "includes_private_key": private_key is not None,
        "certificates": [fingerprints.certificate_fingerprint(item) for item in everything],
    }
    if export_format == "pem":
        text = b"".join(item.public_bytes(serialization.Encoding.PEM) for item in everything).decode("ascii")
        result["filename"] = _filename(row["friendly_name"], row["id"], "pem")
        result["content"] = text
        return result
    try:
        blob = keys.export_pkcs12(
            private_key,
            cert,
            chain_certs,
            passphrase=passphrase,
            friendly_name=row["friendly_name"],
            legacy=bool(legacy),
        )
    except pki_errors.PKIError as exc:
        raise from_pki_error(exc) from None
    result["filename"] = _filename(row["friendly_name"], row["id"], "p12")
    result["content_base64"] = base64.b64encode(blob).decode("ascii")
    return result
