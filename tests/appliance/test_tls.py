# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Site TLS of a running appliance: what each of its IP addresses serves, as a TLS client sees it."""

from __future__ import annotations

import base64
import socket
import ssl

import httpx
import pytest
import serving_material
from appliance_fixtures import openssl_served_chain, sha256_fingerprint
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from server_material import import_and_bind, import_body, make_ca_set, make_server_certificate

from reference_appliance.core import chain, serving
from reference_appliance.tls import build_site_context

FIRST_IP, SECOND_IP, ADDED_IP = "127.0.0.2", "127.0.0.4", "127.0.0.5"


@pytest.fixture
def two_ip_appliance(appliance_factory):
    return appliance_factory(ip_addresses=[FIRST_IP, SECOND_IP])


@pytest.fixture(scope="module")
def ca_set():
    return make_ca_set("Site TLS Test")


def factory_default_fingerprint(client) -> str:
    certificates = client.get("/certificates").json()
    return next(cert["sha256_fingerprint"] for cert in certificates if cert["factory_default"])


def fingerprints_on(handle, address: str) -> list[str]:
    return handle.served_fingerprints(address)


def test_each_ip_serves_the_factory_default(two_ip_appliance):
    with two_ip_appliance.client() as client:
        factory_default = factory_default_fingerprint(client)
    for address in (FIRST_IP, SECOND_IP):
        assert fingerprints_on(two_ip_appliance, address) == [factory_default]


def test_binding_serves_the_leaf_and_its_intermediate_from_the_next_connection(two_ip_appliance, ca_set):
    first = make_server_certificate(ca_set, ["support.example.com"])
    second = make_server_certificate(ca_set, ["support.example.com", "remote.example.com"], label="Second")
    with two_ip_appliance.client() as client:
        factory_default = factory_default_fingerprint(client)
        import_and_bind(client, first, "site 2026", [FIRST_IP])

        expected = [first.fingerprint, first.intermediate_fingerprint]
        assert fingerprints_on(two_ip_appliance, FIRST_IP) == expected
        seen_by_openssl = openssl_served_chain(FIRST_IP, two_ip_appliance.site_port)
        assert [sha256_fingerprint(der) for der in seen_by_openssl] == expected
        assert fingerprints_on(two_ip_appliance, SECOND_IP) == [factory_default]

        import_and_bind(client, second, "site 2026 second", [FIRST_IP])
        assert fingerprints_on(two_ip_appliance, FIRST_IP) == [second.fingerprint, second.intermediate_fingerprint]


def test_served_certificate_validates_for_the_site_hostname_with_the_root(appliance, ca_set, tmp_path):
    server = make_server_certificate(ca_set, ["support.example.com"])
    with appliance.client() as client:
        import_and_bind(client, server, "validated site", [appliance.ip_addresses[0]])
    root_file = tmp_path / "root.pem"
    root_file.write_bytes(ca_set.root.public_bytes(serialization.Encoding.PEM))
    context = ssl.create_default_context(cafile=str(root_file))
    with (
        socket.create_connection((appliance.ip_addresses[0], appliance.site_port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="support.example.com") as tls,
    ):
        assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_added_ip_serves_factory_default_then_its_binding_and_closes_when_removed(appliance, ca_set):
    server = make_server_certificate(ca_set, ["support.example.com"])
    with appliance.client() as client:
        factory_default = factory_default_fingerprint(client)
        response = client.post("/network/ip-addresses", json={"address": ADDED_IP})
        assert response.status_code == 201, response.text
        assert fingerprints_on(appliance, ADDED_IP) == [factory_default]

        import_and_bind(client, server, "added ip site", [ADDED_IP])
        assert fingerprints_on(appliance, ADDED_IP) == [server.fingerprint, server.intermediate_fingerprint]
        assert fingerprints_on(appliance, appliance.ip_addresses[0]) == [factory_default]

        assert client.delete(f"/network/ip-addresses/{ADDED_IP}").status_code == 204
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((ADDED_IP, appliance.site_port), timeout=5).close()
    assert fingerprints_on(appliance, appliance.ip_addresses[0]) == [factory_default]


def test_plain_https_get_returns_a_page_naming_the_appliance(appliance_factory):
    handle = appliance_factory(hostname="node7.example.net", site_hostname="remote.example.net", role="traffic-node")
    address = handle.ip_addresses[0]
    response = httpx.get(f"https://{address}:{handle.site_port}/", verify=False, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for text in ("node7.example.net", "remote.example.net", "traffic-node"):
        assert text in response.text


def test_failed_handshakes_close_quietly_and_the_next_connection_works(appliance):
    address, port = appliance.ip_addresses[0], appliance.site_port
    with socket.create_connection((address, port), timeout=5) as plain:
        plain.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            answer = plain.recv(4096)
        except ConnectionResetError:
            answer = b""
        assert b"HTTP/1.1 200" not in answer
    with socket.create_connection((address, port), timeout=5) as cut:
        cut.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # the start of a ClientHello, then nothing
    assert len(appliance.served_chain()) == 1
    stderr = appliance.process.stderr()
    assert "Traceback" not in stderr
    assert "Error" not in stderr


def test_importing_the_missing_intermediate_completes_the_served_chain_at_once(appliance, ca_set):
    server = make_server_certificate(ca_set, ["support.example.com"], label="Late chain")
    body = import_body(server, "late chain")
    leaf_and_key = [f for f in body["files"] if f["name"] in ("site.crt", "site.key")]
    rest = [f for f in body["files"] if f["name"] not in ("site.crt", "site.key")]
    address = appliance.ip_addresses[0]
    with appliance.client() as client:
        assert client.post("/certificates/import", json={"files": leaf_and_key}).status_code == 201
        ident = next(
            c["id"] for c in client.get("/certificates").json() if c["sha256_fingerprint"] == server.fingerprint
        )
        assert client.put(f"/certificates/{ident}/ip-addresses", json={"ip_addresses": [address]}).status_code == 200
        assert fingerprints_on(appliance, address) == [server.fingerprint]
        assert client.post("/certificates/import", json={"files": rest}).status_code == 201
    assert fingerprints_on(appliance, address) == [server.fingerprint, server.intermediate_fingerprint]


# --- what the listener cannot serve ---------------------------------------------------------------------------


def _served(made) -> tuple[list, list]:
    """``(chain as the appliance builds it, what its listener sends)`` for a serving_material chain."""
    report = chain.build_chain([made.intermediate, made.root], leaf=made.leaf, validate=False)
    served = report.chain[:-1] if report.status == chain.STATUS_COMPLETE else report.chain
    return report.chain, served


LISTENER_CASES = {
    "good": {},
    "sha1 leaf": {"leaf_weak": "sha1"},
    "md5 leaf": {"leaf_weak": "md5"},
    "sha1 intermediate": {"intermediate_weak": "sha1"},
    "sha1 root": {"root_weak": "sha1"},
    "rsa 1024 leaf": {"leaf_bits": 1024},
    "rsa 1024 intermediate": {"intermediate_bits": 1024},
    "rsa 1024 root": {"root_bits": 1024},
    "expired": {"not_before": serving_material.NOW - 60 * serving_material.DAY, "not_after": serving_material.NOW},
    "no alternative name": {"sans": ()},
    "ed25519 leaf": {"leaf_key": ed25519.Ed25519PrivateKey.generate()},
}


@pytest.mark.parametrize("case", sorted(LISTENER_CASES))
def test_the_listener_loads_exactly_what_the_rule_says_it_can(case, tmp_path):
    """docs/procedure.md, "What the collection refuses": the listener's refusals are exactly the rule's."""
    made = serving_material.chain(**LISTENER_CASES[case])
    built, served = _served(made)
    check = serving.check_servable(built)
    pem = b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in served)
    try:
        build_site_context(pem, made.key_pem(), tmp_path)
        loads = True
    except ssl.SSLError:
        loads = False
    assert loads == (not check.listener_refusals), (case, check.findings)


def test_a_self_signed_sha1_certificate_loads_but_is_refused_by_the_rule(tmp_path):
    cert, key = serving_material.self_signed(weak="sha1")
    check = serving.check_servable([cert])
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    build_site_context(cert.public_bytes(serialization.Encoding.PEM), key_pem, tmp_path)
    assert not check.servable and not check.listener_refusals


def _import_made(client, made, friendly_name: str) -> str:
    files = [
        ("leaf.pem", made.pem("leaf")),
        ("leaf.key", made.key_pem()),
        ("chain.pem", made.pem("intermediate", "root")),
    ]
    body = {
        "files": [{"name": name, "content": base64.b64encode(data).decode("ascii")} for name, data in files],
        "friendly_name": friendly_name,
    }
    response = client.post("/certificates/import", json=body)
    assert response.status_code in (200, 201), response.text
    return next(cert["id"] for cert in client.get("/certificates").json() if cert["friendly_name"] == friendly_name)


def test_binding_what_the_listener_cannot_load_is_a_422(appliance):
    with appliance.client() as client:
        factory_default = factory_default_fingerprint(client)
        weak = _import_made(client, serving_material.chain(leaf_weak="sha1"), "sha1")
        response = client.put(f"/certificates/{weak}/ip-addresses", json={"ip_addresses": [FIRST_IP]})
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["error"] == "certificate_not_servable"
        assert "signed with SHA-1" in body["message"] and "site TLS listener cannot load it" in body["message"]
        assert body["details"]["reasons"][0]["code"] == "weak_signature"
        assert client.get(f"/certificates/{weak}/ip-addresses").json()["ip_addresses"] == []
        # What the listener can load is the appliance's to serve, even when clients will refuse it (expired).
        old = serving_material.chain(
            not_before=serving_material.NOW - 60 * serving_material.DAY, not_after=serving_material.NOW
        )
        expired = _import_made(client, old, "expired")
        assert client.put(f"/certificates/{expired}/ip-addresses", json={"ip_addresses": [FIRST_IP]}).status_code == 200
    assert fingerprints_on(appliance, FIRST_IP)[0] == sha256_fingerprint(
        old.leaf.public_bytes(serialization.Encoding.DER)
    )
    assert fingerprints_on(appliance, FIRST_IP)[0] != factory_default
