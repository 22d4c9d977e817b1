# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""No token, passphrase or key material in any log record, at the most verbose level.

The API runs under a real uvicorn server on loopback (plain HTTP: TLS is the
listeners' concern) with every logger at TRACE, and the test performs every
operation that carries a secret: the token itself and wrong ones, imports with
passphrases and keys, key generation, PKCS#12 export, and refusals of bad input.
"""

from __future__ import annotations

import base64
import logging
import threading
import time

import httpx
import pytest
import uvicorn
from api_client import SITE_HOSTNAME, TOKEN, ApiHarness, identity
from api_material import b64, legacy_pem_key, make_ca, make_hierarchy, make_server, pem, pkcs8_der, pkcs12_der, upload
from fastapi.testclient import TestClient

from reference_appliance import API_PREFIX
from reference_appliance.api import create_app
from reference_appliance.appliance import Appliance
from reference_appliance.store import Store

TRACE = 5
LOGGERS = [
    "",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "uvicorn.asgi",
    "fastapi",
    "starlette",
    "httpx",
    "httpcore",
]
PASSPHRASE = "log-test passphrase Qv93"
WRONG_PASSPHRASE = "wrong passphrase Hk27"
WRONG_TOKEN = "not-the-token-Xy7Q9"


def _record_texts(records) -> list[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [formatter.format(record) + repr(getattr(record, "args", None)) for record in records]


def _leaks(records, secrets: list[str]) -> list[tuple[str, str]]:
    """(secret, log line) for every secret found; PEM private key markers count as secrets too."""
    found = []
    for text in _record_texts(records):
        for secret in [*secrets, "PRIVATE KEY"]:
            if secret and secret in text:
                found.append((secret[:24], text[:200]))
    return found


def _pem_body_lines(pem_text: str) -> list[str]:
    return [line for line in pem_text.splitlines() if line and not line.startswith("-----")]


@pytest.fixture
def logged(caplog):
    for name in LOGGERS:
        caplog.set_level(TRACE, logger=name)
    return caplog


@pytest.fixture
def served(tmp_path, logged):
    """The API of a real appliance under uvicorn on 127.0.0.1, and an httpx client with the token."""
    harness = ApiHarness(tmp_path / "state")
    config = uvicorn.Config(
        harness.app, host="127.0.0.1", port=0, log_config=None, log_level="trace", access_log=True, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}{API_PREFIX}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
    )
    yield client, harness
    client.close()
    server.should_exit = True
    thread.join(15)
    harness.close()


def _ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


def test_secret_carrying_operations_leave_no_secret_in_any_log(served, logged):
    client, harness = served
    secrets = [TOKEN, WRONG_TOKEN, PASSPHRASE, WRONG_PASSPHRASE]

    # the token, right and wrong
    assert client.get("/keys", headers={"Authorization": f"Bearer {WRONG_TOKEN}"}).status_code == 401
    assert client.get("/keys", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401

    # key generation, a self-signed certificate on it, and its binding
    for address in ("127.0.0.2", "127.0.0.3"):
        _ok(client.post("/network/ip-addresses", json={"address": address}), 201)
    ec_key = _ok(client.post("/keys", json={"name": "log ec", "type": "ec", "curve": "P-384"}), 201)
    rsa_key = _ok(client.post("/keys", json={"name": "log rsa", "type": "rsa", "size": 2048}), 201)
    certs = {}
    for key, address in ((ec_key, "127.0.0.2"), (rsa_key, "127.0.0.3")):
        body = {
            "friendly_name": f"log {key['type']}",
            "key_id": key["id"],
            "subject": {"common_name": SITE_HOSTNAME},
            "subject_alt_name": [f"DNS:{SITE_HOSTNAME}"],
            "days": 30,
        }
        certs[address] = _ok(client.post("/certificates/self-signed", json=body), 201)
        _ok(client.put(f"/certificates/{certs[address]['id']}/ip-addresses", json={"ip_addresses": [address]}))
        key_pem = harness.appliance.tls_material(address)[1].decode("ascii")
        secrets += _pem_body_lines(key_pem)

    # imports carrying keys: PKCS#12 with passphrase (right, wrong, missing), PKCS#8 and legacy PEM keys
    ca = make_hierarchy()
    p12_server = make_server(SITE_HOSTNAME, ca.intermediate)
    p12 = b64(pkcs12_der(p12_server, [ca.intermediate.cert, ca.root.cert], PASSPHRASE))
    files = [{"name": "site.p12", "content": p12}]
    assert client.post("/certificates/import", json={"files": files}).status_code == 422
    assert client.post("/certificates/import", json={"files": files, "passphrase": WRONG_PASSPHRASE}).status_code == 422
    _ok(client.post("/certificates/import", json={"files": files, "passphrase": PASSPHRASE}), 201)
    pkcs8_server = make_server("pkcs8.example.com", make_ca("Log CA"))
    legacy_server = make_server("legacy.example.com", make_ca("Log Legacy CA"))
    imports = upload(
        ("pkcs8.crt", pem(pkcs8_server.cert)),
        ("pkcs8.p8", pkcs8_der(pkcs8_server.key)),
        ("legacy.crt", pem(legacy_server.cert)),
        ("legacy.key", legacy_pem_key(legacy_server.key)),
    )
    _ok(client.post("/certificates/import", json={"files": imports}), 201)
    lone = make_server("lone.example.com", make_ca("Lone CA"))
    lone_key = legacy_pem_key(lone.key)
    refused = client.post("/certificates/import", json={"files": upload(("lone.key", lone_key))})
    assert refused.status_code == 422
    secrets += [p12[:60], p12[-60:], b64(pkcs8_der(pkcs8_server.key))[:60], b64(lone_key)[:60]]
    for issued in (p12_server, pkcs8_server, legacy_server, lone):
        secrets += _pem_body_lines(legacy_pem_key(issued.key).decode("ascii"))

    # bad requests that carry secrets in wrong places
    bad_bodies = [
        {"files": [{"content": b64(lone_key), "name": 3}], "passphrase": PASSPHRASE},
        {"files": [{"content": lone_key.decode("ascii")}], "passphrase": PASSPHRASE},
        {"files": "x", "passphrase": [PASSPHRASE], PASSPHRASE: 1},
    ]
    for body in bad_bodies:
        assert client.post("/certificates/import", json=body).status_code == 422
    assert client.post("/keys", content=f'{{"name": "{PASSPHRASE}", '.encode()).status_code == 422

    # PKCS#12 export with the private key
    export = {"format": "pkcs12", "include_private_key": True, "passphrase": PASSPHRASE}
    exported = _ok(client.post(f"/certificates/{certs['127.0.0.2']['id']}/export", json=export))
    assert base64.b64decode(exported["content_base64"])
    secrets += [exported["content_base64"][:60], exported["content_base64"][-60:]]
    assert (
        client.post(f"/certificates/{certs['127.0.0.2']['id']}/export", json={**export, "format": "pem"}).status_code
        == 422
    )

    access = [record for record in logged.records if record.name == "uvicorn.access"]
    assert any(f"POST {API_PREFIX}/certificates/import" in record.getMessage() for record in access), (
        "the access log was not captured"
    )
    assert _leaks(logged.records, secrets) == []


def test_the_leak_check_finds_a_secret_in_a_log_record(logged):
    logging.getLogger("reference_appliance.probe").debug("token is %s", TOKEN)
    assert _leaks(logged.records, [TOKEN]) != []


class _FailingAppliance(Appliance):
    """A real appliance whose export fails unexpectedly, with secrets in the exception."""

    def export_certificate(self, certificate_id, *args, passphrase=None, **kwargs):
        raise RuntimeError(f"export of {certificate_id} failed with {passphrase} and {TOKEN}")


def test_an_unexpected_failure_is_a_generic_500_logged_without_secrets(tmp_path, logged):
    appliance = _FailingAppliance(Store(tmp_path / "state"), identity())
    client = TestClient(create_app(appliance, TOKEN), base_url=f"http://testserver{API_PREFIX}")
    cert_id = appliance.list_certificates()[0]["id"]
    response = client.post(
        f"/certificates/{cert_id}/export",
        json={"format": "pkcs12", "passphrase": PASSPHRASE},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal_error"
    assert body["details"] == {}
    assert PASSPHRASE not in response.text and TOKEN not in response.text
    errors = [record for record in logged.records if record.levelno >= logging.ERROR]
    assert any("RuntimeError" in record.getMessage() for record in errors)
    assert _leaks(logged.records, [TOKEN, PASSPHRASE]) == []
