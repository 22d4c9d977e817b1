# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the ACME tests of the roles share: community.crypto on the collections path, an account key, a DNS task
file that records its calls, the CA's root on the appliance, and a TLS handshake verified against the CA's roots."""

from __future__ import annotations

import base64
import os
import socket
import ssl
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from harness import COLLECTIONS_ROOT, ROOT

OPTIONAL_COLLECTIONS = ROOT / "build" / "optional-collections"
COMMUNITY_CRYPTO = OPTIONAL_COLLECTIONS / "ansible_collections" / "community" / "crypto"
CHALLTESTSRV_TASKS = ROOT / "examples" / "acme" / "dns-challtestsrv.yml"


def crypto_env() -> dict:
    """ANSIBLE_COLLECTIONS_PATH with the collection under test and the optional community.crypto."""
    if not (COMMUNITY_CRYPTO / "MANIFEST.json").is_file():
        pytest.fail(f"community.crypto is not in {OPTIONAL_COLLECTIONS}: run make optional-collections")
    return {"ANSIBLE_COLLECTIONS_PATH": os.pathsep.join([str(COLLECTIONS_ROOT), str(OPTIONAL_COLLECTIONS)])}


def account_key_pem() -> str:
    """A new ACME account key (P-256), as PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def recording_dns_tasks(folder: Path, set_records: bool = True, with_values: bool = True) -> Path:
    """A DNS task file that notes each call in ``dns.log`` beside it (state, record and, ``with_values``, the sorted
    values), then hands it to the shipped challtestsrv file; with ``set_records`` false it sets nothing (a DNS
    change that did not happen)."""
    folder.mkdir(parents=True, exist_ok=True)
    line = "{{ certificate_acme_dns_state }} {{ certificate_acme_dns_record }}"
    if with_values:
        line += " {{ certificate_acme_dns_values | sort | join(',') }}"
    tasks = [
        {
            "name": "Note the call",
            "ansible.builtin.lineinfile": {
                "path": str(folder / "dns.log"),
                "line": line,
                "create": True,
                "mode": "0644",
            },
        }
    ]
    if set_records:
        tasks.append({"name": "The shipped file", "ansible.builtin.include_tasks": str(CHALLTESTSRV_TASKS)})
    path = folder / "dns.yml"
    path.write_text(yaml.safe_dump(tasks, sort_keys=False), encoding="utf-8")
    return path


def dns_calls(folder: Path) -> list:
    """The calls the recording DNS task file noted, in order."""
    log = folder / "dns.log"
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def import_root(appliance, ca) -> None:
    """The CA's root on the appliance, as the admin of a private ACME CA imports it once (Pebble's intermediate has
    no AIA link to it, and the chain on the appliance must be complete)."""
    content = base64.b64encode(ca.roots_pem().encode("ascii")).decode("ascii")
    with appliance.client() as client:
        answer = client.post("certificates/import", json={"files": [{"content": content, "name": "ca-root.pem"}]})
    assert answer.status_code in (200, 201), answer.text


def verified_handshake(address: str, port: int, roots_pem: str, hostname: str) -> bytes:
    """The leaf served on ``address:port`` for ``hostname`` (SNI), in a handshake verified against ``roots_pem`` and
    checked for ``hostname``."""
    context = ssl.create_default_context(cadata=roots_pem)
    context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    with (
        socket.create_connection((address, port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=hostname) as tls,
    ):
        return tls.getpeercert(binary_form=True)
