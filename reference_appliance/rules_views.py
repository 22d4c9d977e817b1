# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The JSON objects of the API (key, request, certificate, IP address) built from store rows.

None of them carries key material: a key is described by type, size, curve and
public key fingerprint only.
"""

from __future__ import annotations

import json

SERVING_FACTORY_DEFAULT = "factory_default"
SERVING_CERTIFICATE = "certificate"


def key_view(row: dict, used_by_requests: list[str], used_by_certificates: list[str]) -> dict:
    """The API's ``key`` object."""
    return {
        "id": row["id"],
        "name": row["name"],
        "type": row["type"],
        "size": row["size"],
        "curve": row["curve"],
        "public_key_fingerprint": row["public_key_fingerprint"],
        "created_at": row["created_at"],
        "used_by": {"requests": list(used_by_requests), "certificates": list(used_by_certificates)},
    }


def request_view(row: dict) -> dict:
    """The API's ``request`` object."""
    return {
        "id": row["id"],
        "friendly_name": row["friendly_name"],
        "key_id": row["key_id"],
        "subject": json.loads(row["subject"]),
        "subject_alt_name": json.loads(row["subject_alt_name"]),
        "public_key_fingerprint": row["public_key_fingerprint"],
        "pem": row["pem"],
        "warnings": json.loads(row["warnings"]),
        "status": row["status"],
        "certificate_id": row["certificate_id"],
        "created_at": row["created_at"],
    }


def certificate_view(row: dict, catalog, ip_addresses: list[str]) -> dict:
    """The API's ``certificate`` object (``catalog`` is a synced CertificateCatalog)."""
    ident = row["id"]
    described = catalog.description(ident)
    report = catalog.chain(ident)
    return {
        "id": ident,
        "friendly_name": row["friendly_name"],
        "sha256_fingerprint": described["sha256_fingerprint"],
        "subject": dict(described["subject"]),
        "issuer": dict(described["issuer"]),
        "subject_alt_name": list(described["subject_alt_name"]),
        "serial_number": described["serial_number"],
        "not_before": described["not_before"],
        "not_after": described["not_after"],
        "public_key": dict(described["public_key"]),
        "public_key_fingerprint": described["public_key_fingerprint"],
        "is_ca": described["is_ca"],
        "role": catalog.role(ident),
        "self_signed": described["self_signed"],
        "factory_default": bool(row["factory_default"]),
        "private_key_available": row["key_id"] is not None,
        "key_id": row["key_id"],
        "chain_status": report.status,
        "chain": report.fingerprints(),
        "chain_warnings": list(report.warnings),
        "missing_issuer": report.missing_issuer,
        "ca_issuers_urls": list(described["ca_issuers_urls"]),
        "ocsp_urls": list(described["ocsp_urls"]),
        "ip_addresses": list(ip_addresses),
        "created_at": row["created_at"],
    }


def served_certificate_id(row: dict, factory_default_id: str) -> str:
    """The certificate an IP address row serves: its bound certificate, or the factory default."""
    return row["certificate_id"] or factory_default_id


def ip_view(row: dict, factory_default_id: str) -> dict:
    """The API's IP address object: ``certificate_id`` is the certificate served there."""
    return {
        "address": row["address"],
        "certificate_id": served_certificate_id(row, factory_default_id),
        "serving": SERVING_CERTIFICATE if row["certificate_id"] else SERVING_FACTORY_DEFAULT,
    }
