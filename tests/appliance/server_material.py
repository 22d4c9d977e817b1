# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a CA hands an operator (root, intermediate, signed server certificate and its key), and its import.

Built with the collection's PKI core on EC P-256 keys (fast); the appliance
receives it through its API exactly as an operator's upload.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization

from reference_appliance.core import builder, fingerprints, keys, subject_fields


@dataclass
class CASet:
    """A root CA and an intermediate signed by it, with their keys."""

    root: object
    root_key: object
    intermediate: object
    intermediate_key: object


@dataclass
class ServerCertificate:
    """A server certificate signed by the intermediate, its key, and the CA set it came from."""

    cert: object
    key: object
    cas: CASet

    @property
    def fingerprint(self) -> str:
        return fingerprints.certificate_fingerprint(self.cert)

    @property
    def intermediate_fingerprint(self) -> str:
        return fingerprints.certificate_fingerprint(self.cas.intermediate)


def _ec_key():
    return keys.generate_private_key(keys.KeySpec.create("ec", curve="P-256"))


def make_ca_set(label: str = "Example") -> CASet:
    """A root ``<label> Root CA`` and an intermediate ``<label> Issuing CA``."""
    root_key, intermediate_key = _ec_key(), _ec_key()
    root = builder.create_ca_certificate(
        root_key, subject_fields.SubjectSpec(common_name=f"{label} Root CA"), days=3650
    )
    intermediate = builder.create_ca_certificate(
        intermediate_key,
        subject_fields.SubjectSpec(common_name=f"{label} Issuing CA"),
        days=1825,
        issuer_cert=root,
        issuer_key=root_key,
        path_length=0,
    )
    return CASet(root, root_key, intermediate, intermediate_key)


def make_server_certificate(cas: CASet, hostnames: list[str], label: str = "Support site") -> ServerCertificate:
    """A server certificate for ``hostnames`` (DNS SANs), signed by the intermediate of ``cas``."""
    key = _ec_key()
    csr = builder.build_csr(key, subject_fields.SubjectSpec(common_name=label), [f"DNS:{name}" for name in hostnames])
    cert = builder.sign_csr(csr, cas.intermediate, cas.intermediate_key, days=365)
    return ServerCertificate(cert, key, cas)


def _pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def import_body(server: ServerCertificate, friendly_name: str) -> dict:
    """The body of ``POST /certificates/import``: the files a CA sends, plus the key."""
    files = [
        ("site.crt", _pem(server.cert)),
        ("site.key", _key_pem(server.key)),
        ("issuing-ca.crt", _pem(server.cas.intermediate)),
        ("root-ca.crt", _pem(server.cas.root)),
    ]
    return {
        "files": [{"name": name, "content": base64.b64encode(data).decode("ascii")} for name, data in files],
        "friendly_name": friendly_name,
    }


def import_and_bind(client, server: ServerCertificate, friendly_name: str, addresses: list[str]) -> str:
    """Import ``server`` (with key and chain) through the API and bind it to ``addresses``; its certificate id."""
    response = client.post("/certificates/import", json=import_body(server, friendly_name))
    assert response.status_code in (200, 201), response.text
    certificate_id = next(
        cert["id"] for cert in client.get("/certificates").json() if cert["sha256_fingerprint"] == server.fingerprint
    )
    response = client.put(f"/certificates/{certificate_id}/ip-addresses", json={"ip_addresses": addresses})
    assert response.status_code == 200, response.text
    return certificate_id
