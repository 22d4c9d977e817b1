# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The /acme resource over HTTP against a real appliance on a temporary store, without a CA.

Every 422 of the contract (reason and fix in the message, nothing changed), the EAB HMAC never returned,
DELETE, the 409s of POST /acme/orders, and an order that cannot reach its CA. Orders against a real CA
(Pebble) are in test_acme_pebble.py.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest
from api_client import ApiHarness
from api_material import make_ca, pem

from reference_appliance.acme.responder import ChallengeResponder

HMAC = "c2VjcmV0LWhtYWMta2V5LW5ldmVyLXNob3duLTAxMjM0NTY3ODk"
VALID = {
    "directory_url": "https://127.0.0.1:9/dir",
    "contact": ["mailto:pki@example.com"],
    "hostnames": ["support.example.com", "www.example.com"],
    "ip_addresses": ["127.0.0.2"],
}


@pytest.fixture
def harness(tmp_path):
    harness = ApiHarness(tmp_path / "state")
    harness.ok("POST", "/network/ip-addresses", 201, json={"address": "127.0.0.2"})
    yield harness
    harness.appliance.acme.stop(timeout=2)
    harness.close()


def refused(response, status: int, error: str, *words: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message", "details"}, body
    assert body["error"] == error, body
    for word in words:
        assert word.lower() in body["message"].lower(), (word, body["message"])
    return body


def settled(harness, timeout: float = 20.0) -> dict:
    """GET /acme once no order runs any more."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        configuration = harness.ok("GET", "/acme")
        if configuration["status"]["state"] != "pending":
            return configuration
        time.sleep(0.05)
    raise AssertionError(f"the order did not end within {timeout:g} s: {configuration}")


def test_acme_is_off_until_configured(harness):
    configuration = harness.ok("GET", "/acme")
    assert configuration == {
        "enabled": False,
        "directory_url": None,
        "contact": [],
        "eab_key_id": None,
        "eab_hmac_configured": False,
        "hostnames": [],
        "key_type": "ec-p256",
        "ca_bundle": None,
        "friendly_name": "ACME",
        "ip_addresses": [],
        "http_port": 80,
        "status": {
            "state": "disabled",
            "last_attempt_at": None,
            "last_success_at": None,
            "last_error": None,
            "certificate_id": None,
            "certificate_sha256": None,
            "not_after": None,
            "next_renewal_at": None,
            "renewal_basis": None,
            "ari_window": None,
            "account_url": None,
        },
    }


REFUSALS = [
    # id, changes to VALID, status, error, words in the message (the reason and the fix)
    (
        "http directory",
        {"directory_url": "http://acme.example.com/dir"},
        "invalid_acme_settings",
        ["not an https URL", "Give the https URL"],
    ),
    ("directory without host", {"directory_url": "https:///dir"}, "invalid_acme_settings", ["no valid host"]),
    ("empty hostnames", {"hostnames": []}, "invalid_acme_settings", ["hostnames is empty", "Give the names"]),
    (
        "wildcard hostname",
        {"hostnames": ["*.example.com"]},
        "invalid_acme_settings",
        ["wildcard", "HTTP-01", "List each hostname"],
    ),
    (
        "invalid hostname",
        {"hostnames": ["not a name"]},
        "invalid_acme_settings",
        ["not a valid fully qualified DNS name", "Give DNS names"],
    ),
    ("single-label hostname", {"hostnames": ["localhost"]}, "invalid_acme_settings", ["not a valid fully qualified"]),
    ("IP address as hostname", {"hostnames": ["192.0.2.10"]}, "invalid_acme_settings", ["an IP address"]),
    (
        "unknown IP address",
        {"ip_addresses": ["127.0.0.9"]},
        "unknown_ip_address",
        ["no IP address 127.0.0.9", "POST /network/ip-addresses"],
    ),
    ("IP address off loopback", {"ip_addresses": ["192.0.2.1"]}, "invalid_ip_address", ["127.0.0.0/8"]),
    (
        "EAB key id without HMAC",
        {"eab_key_id": "kid-1"},
        "invalid_acme_settings",
        ["without eab_hmac", "give the HMAC key"],
    ),
    ("EAB HMAC without key id", {"eab_hmac": HMAC}, "invalid_acme_settings", ["without eab_key_id", "give the key id"]),
    (
        "EAB HMAC not base64url",
        {"eab_key_id": "kid-1", "eab_hmac": "not base64url!"},
        "invalid_acme_settings",
        ["not base64url", "exactly as the CA shows it"],
    ),
    (
        "CA bundle not PEM",
        {"ca_bundle": "hello"},
        "invalid_acme_settings",
        ["no readable PEM certificate", "root certificate"],
    ),
    (
        "CA bundle with a key",
        {"ca_bundle": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
        "invalid_acme_settings",
        ["other than certificates", "root certificate"],
    ),
    ("unknown key type", {"key_type": "ed25519"}, "invalid_acme_settings", ["not one the appliance makes", "ec-p256"]),
    ("contact not mailto", {"contact": ["pki@example.com"]}, "invalid_acme_settings", ["not a mailto: URI"]),
    ("empty friendly name", {"friendly_name": " "}, "invalid_spec", ["friendly name is missing"]),
]


@pytest.mark.parametrize(("changes", "error", "words"), [case[1:] for case in REFUSALS], ids=[c[0] for c in REFUSALS])
def test_every_invalid_setting_is_refused_with_the_reason_and_the_fix(harness, changes, error, words):
    before = harness.ok("GET", "/acme")
    response = harness.api.put("/acme", json={**VALID, **changes})
    body = refused(response, 422, error, *words)
    assert HMAC not in response.text
    assert body["details"].get("field") in (None, *changes)
    assert harness.ok("GET", "/acme") == before


def test_wrong_types_and_unknown_fields_are_refused_by_the_schema(harness):
    refused(harness.api.put("/acme", json={**VALID, "hostnames": "support.example.com"}), 422, "invalid_request")
    refused(harness.api.put("/acme", json={**VALID, "eab_hmac": 5}), 422, "invalid_request")
    refused(harness.api.put("/acme", json={**VALID, "surprise": 1}), 422, "invalid_request")
    refused(harness.api.put("/acme", json={"hostnames": ["support.example.com"]}), 422, "invalid_request")


def test_a_ca_bundle_of_certificates_is_kept(harness):
    root = make_ca("ACME test root")
    configuration = harness.ok("PUT", "/acme", json={**VALID, "ca_bundle": pem(root.cert).decode("ascii")})
    assert configuration["ca_bundle"] == pem(root.cert).decode("ascii")


def test_the_hmac_is_stored_but_never_returned(harness):
    response = harness.api.put("/acme", json={**VALID, "eab_key_id": "kid-1", "eab_hmac": HMAC})
    assert response.status_code == 200, response.text
    assert HMAC not in response.text
    configuration = response.json()
    assert configuration["enabled"] is True
    assert configuration["eab_key_id"] == "kid-1"
    assert configuration["eab_hmac_configured"] is True
    assert "eab_hmac" not in configuration
    assert HMAC not in harness.api.get("/acme").text
    assert HMAC not in harness.api.get("/openapi.json").text
    assert HMAC not in str(harness.snapshot())
    # The same key id without the HMAC keeps it (a form that never shows it can be saved again).
    again = harness.ok("PUT", "/acme", json={**VALID, "eab_key_id": "kid-1"})
    assert again["eab_hmac_configured"] is True
    # Another key id needs its own HMAC.
    response = harness.api.put("/acme", json={**VALID, "eab_key_id": "kid-2"})
    refused(response, 422, "invalid_acme_settings", "no HMAC is stored")


def test_hostnames_and_contacts_are_normalised(harness):
    configuration = harness.ok(
        "PUT",
        "/acme",
        json={
            **VALID,
            "hostnames": ["Support.Example.COM.", "support.example.com", "www.example.com"],
            "contact": ["MAILTO:pki@example.com", "mailto:pki@example.com"],
            "key_type": "rsa-2048",
            "friendly_name": "  Site ACME  ",
        },
    )
    assert configuration["hostnames"] == ["support.example.com", "www.example.com"]
    assert configuration["contact"] == ["mailto:pki@example.com"]
    assert configuration["key_type"] == "rsa-2048"
    assert configuration["friendly_name"] == "Site ACME"


def test_put_orders_at_once_and_without_the_responder_the_order_fails_in_plain_words(harness):
    configuration = harness.ok("PUT", "/acme", json=VALID)
    assert configuration["status"]["state"] in ("pending", "failed")
    failed = settled(harness)
    status = failed["status"]
    assert status["state"] == "failed"
    assert "HTTP-01 responder is not running" in status["last_error"]
    assert status["last_attempt_at"] is not None
    assert status["certificate_id"] is None
    assert status["next_renewal_at"] > status["last_attempt_at"], "a failure is retried after a back-off"
    # The back-off holds: a check now orders nothing.
    assert harness.appliance.acme.check() is False


def test_delete_turns_acme_off_forgets_the_hmac_and_is_idempotent(harness):
    assert harness.api.delete("/acme").status_code == 204
    harness.ok("PUT", "/acme", json={**VALID, "eab_key_id": "kid-1", "eab_hmac": HMAC})
    settled(harness)
    assert harness.api.delete("/acme").status_code == 204
    configuration = harness.ok("GET", "/acme")
    assert configuration["enabled"] is False
    assert configuration["eab_hmac_configured"] is False
    assert configuration["status"]["state"] == "disabled"
    assert configuration["status"]["next_renewal_at"] is None
    assert configuration["hostnames"] == VALID["hostnames"]
    assert harness.api.delete("/acme").status_code == 204
    # Turned on again with the same key id, the HMAC must be given again.
    refused(harness.api.put("/acme", json={**VALID, "eab_key_id": "kid-1"}), 422, "invalid_acme_settings")


def test_renew_now_is_refused_while_acme_is_off(harness):
    refused(harness.api.post("/acme/orders"), 409, "acme_disabled", "turned off", "PUT /acme")


class SilentServer:
    """A TCP listener that accepts and never answers: an order against it waits until it closes."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        with contextlib.suppress(OSError):
            while True:
                connection, _address = self.socket.accept()
                self.connections.append(connection)

    def close(self):
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self.socket.close()


def test_renew_now_is_refused_while_an_order_runs_and_the_failure_names_the_directory(harness):
    silent = SilentServer()
    responder = ChallengeResponder(lambda: ["127.0.0.2"], 0)
    harness.appliance.acme.start(responder, check_interval=3600)
    try:
        harness.ok("PUT", "/acme", json={**VALID, "directory_url": f"https://127.0.0.1:{silent.port}/dir"})
        deadline = time.monotonic() + 10
        while not silent.connections and time.monotonic() < deadline:
            time.sleep(0.02)
        assert silent.connections, "the order did not reach the directory"
        assert harness.ok("GET", "/acme")["status"]["state"] == "pending"
        refused(harness.api.post("/acme/orders"), 409, "acme_order_running", "already running")
    finally:
        silent.close()
    status = settled(harness, timeout=40)["status"]
    assert status["state"] == "failed"
    assert f"127.0.0.1:{silent.port}" in status["last_error"]
