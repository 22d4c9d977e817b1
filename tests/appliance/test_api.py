# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Appliance Certificate API over HTTP, against a real appliance on a temporary store.

Every resource and every refusal of docs/appliance-api.md: status, error code,
a message that names the problem and the fix, and nothing changed by a refusal.
"""

from __future__ import annotations

import base64
import json

import pytest
from api_client import SITE_HOSTNAME, TOKEN, ApiHarness
from api_material import (
    b64,
    der,
    fingerprint,
    legacy_pem_key,
    make_ca,
    make_hierarchy,
    make_server,
    pem,
    pem_certificates,
    pkcs7_der,
    pkcs8_der,
    pkcs12_der,
    sign_request,
    upload,
)
from api_routes import concrete, contract_routes
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from reference_appliance import API_VERSION

PASSPHRASE = "correct horse battery staple 7"


@pytest.fixture
def harness(tmp_path):
    harness = ApiHarness(tmp_path / "state")
    yield harness
    harness.close()


def refused(response, status: int, error: str, *words: str) -> dict:
    """Assert a refusal in the API's shape; every word must appear in the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "message", "details"}, body
    assert body["error"] == error, body
    assert isinstance(body["details"], dict)
    for word in words:
        assert word.lower() in body["message"].lower(), (word, body["message"])
    return body


# Token, health, routes


def test_health_needs_no_token(harness):
    response = harness.anonymous.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(("method", "path"), [route for route in contract_routes() if route[1] != "/health"])
def test_every_resource_refuses_a_request_without_token(harness, method, path):
    response = harness.anonymous.request(method, concrete(path), json={})
    refused(response, 401, "unauthorized", "Authorization: Bearer")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer wrong-token-Zq81",
        f"Basic {TOKEN}",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        "Bearer",
        b"Bearer \xe9\xfc",
    ],
)
def test_a_wrong_token_is_refused_and_never_echoed(harness, authorization):
    response = harness.anonymous.get("/keys", headers={"Authorization": authorization})
    body = refused(response, 401, "unauthorized", "not accepted", "Bearer <token>")
    assert TOKEN not in response.text
    assert "Zq81" not in response.text
    assert body["details"] == {}


def test_the_right_token_is_accepted(harness):
    assert harness.api.get("/keys").status_code == 200


def test_the_token_is_checked_before_the_body(harness):
    response = harness.anonymous.post("/keys", content=b"{not json", headers={"Content-Type": "application/json"})
    refused(response, 401, "unauthorized")


@pytest.mark.parametrize("path", ["/certificates/some-id/chain", "/keys/", "/keys/a%2Fb", "/", "/../keys"])
def test_an_unknown_route_is_404_in_the_api_shape(harness, path):
    response = harness.api.get(path)
    body = refused(response, 404, "not_found", "openapi.json")
    assert body["details"] == {"path": response.request.url.path}


def test_a_wrong_method_is_405_naming_the_allowed_ones(harness):
    response = harness.api.put("/keys", json={})
    body = refused(response, 405, "method_not_allowed", "PUT", "GET, POST")
    assert body["details"]["allowed"] == ["GET", "POST"]
    assert response.headers["allow"] == "GET, POST"


# Status and network


def test_status_basics_reports_the_appliance(harness):
    basics = harness.ok("GET", "/status/basics")
    assert basics["hostname"] == "appliance-01.example.com"
    assert basics["site_hostname"] == SITE_HOSTNAME
    assert basics["role"] == "primary"
    assert basics["api_version"] == API_VERSION
    assert basics["appliance_id"]
    assert basics["ip_addresses"] == []
    assert basics == harness.appliance.status_basics()


def test_an_added_address_serves_the_factory_default_and_adding_it_again_changes_nothing(harness):
    factory = harness.factory_default()
    first = harness.ok("POST", "/network/ip-addresses", 201, json={"address": "127.0.0.2"})
    assert first == {"address": "127.0.0.2", "certificate_id": factory["id"], "serving": "factory_default"}
    again = harness.ok("POST", "/network/ip-addresses", 200, json={"address": "127.0.0.2"})
    assert again == first
    assert harness.ok("GET", "/network/ip-addresses") == [first] == harness.appliance.list_ip_addresses()
    assert harness.ok("GET", "/status/basics")["ip_addresses"] == ["127.0.0.2"]


def test_a_removed_address_is_gone(harness):
    harness.ok("POST", "/network/ip-addresses", 201, json={"address": "127.0.0.2"})
    harness.ok("DELETE", "/network/ip-addresses/127.0.0.2", 204)
    assert harness.ok("GET", "/network/ip-addresses") == []
    refused(harness.api.delete("/network/ip-addresses/127.0.0.2"), 404, "not_found", "127.0.0.2")


# Keys


def test_a_generated_key_is_described_without_material(harness):
    ec_key = harness.create_key("site 2026 ec", curve="P-384")
    assert ec_key["name"] == "site 2026 ec"
    assert (ec_key["type"], ec_key["size"], ec_key["curve"]) == ("ec", None, "P-384")
    assert ec_key["used_by"] == {"requests": [], "certificates": []}
    rsa_key = harness.ok("POST", "/keys", 201, json={"name": "site 2026 rsa", "type": "rsa", "size": 2048})
    assert (rsa_key["type"], rsa_key["size"], rsa_key["curve"]) == ("rsa", 2048, None)
    assert harness.ok("GET", f"/keys/{ec_key['id']}") == ec_key
    listed = harness.ok("GET", "/keys")
    assert [key["id"] for key in listed if key["id"] in (ec_key["id"], rsa_key["id"])] == [ec_key["id"], rsa_key["id"]]
    assert listed == harness.appliance.list_keys()
    assert "PRIVATE KEY" not in harness.api.get("/keys").text


def test_a_key_is_deleted_once_nothing_uses_it(harness):
    key = harness.create_key("short-lived")
    request = harness.create_request("uses the key", key["id"])
    body = refused(harness.api.delete(f"/keys/{key['id']}"), 409, "key_in_use", request["id"], "delete")
    assert body["details"]["requests"] == [request["id"]]
    harness.ok("DELETE", f"/certificate-requests/{request['id']}", 204)
    harness.ok("DELETE", f"/keys/{key['id']}", 204)
    refused(harness.api.get(f"/keys/{key['id']}"), 404, "not_found", key["id"])


def test_a_second_key_with_the_same_name_is_refused_with_the_existing_one(harness):
    key = harness.create_key("unique")
    body = refused(harness.api.post("/keys", json={"name": "unique", "type": "ec"}), 409, "key_exists", "unique")
    assert body["details"]["key"] == key


# Certificate requests


def test_a_request_carries_the_subject_names_and_key(harness):
    key = harness.create_key("request key")
    request = harness.create_request("support 2026-11", key["id"])
    assert request["status"] == "pending"
    assert request["certificate_id"] is None
    assert request["subject"] == {"common_name": SITE_HOSTNAME, "country_name": "US", "organization_name": "Example"}
    assert request["subject_alt_name"] == [f"DNS:{SITE_HOSTNAME}"]
    assert request["public_key_fingerprint"] == key["public_key_fingerprint"]
    csr = x509.load_pem_x509_csr(request["pem"].encode("ascii"))
    assert csr.is_signature_valid
    sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == [SITE_HOSTNAME]
    assert harness.ok("GET", f"/certificate-requests/{request['id']}") == request
    assert request == harness.appliance.get_request(request["id"])
    assert harness.ok("GET", "/certificate-requests") == [request]
    assert harness.ok("GET", f"/keys/{key['id']}")["used_by"]["requests"] == [request["id"]]
    harness.ok("DELETE", f"/certificate-requests/{request['id']}", 204)
    refused(harness.api.get(f"/certificate-requests/{request['id']}"), 404, "not_found")


# Certificates: self-signed, import, export


def test_a_self_signed_certificate_has_its_key_and_no_chain(harness):
    key = harness.create_key("self-signed key")
    cert = harness.create_self_signed("lab self-signed", key["id"])
    assert cert["friendly_name"] == "lab self-signed"
    assert (cert["role"], cert["self_signed"], cert["chain_status"]) == ("server", True, "self_signed")
    assert cert["private_key_available"] is True
    assert cert["key_id"] == key["id"]
    assert cert["chain"] == [cert["sha256_fingerprint"]]
    assert cert["subject"] == {"common_name": SITE_HOSTNAME}
    assert harness.ok("GET", f"/certificates/{cert['id']}") == cert == harness.appliance.get_certificate(cert["id"])
    assert harness.ok("GET", "/certificates", params={"friendly_name": "lab self-signed"}) == [cert]
    assert harness.ok("GET", "/certificates", params={"friendly_name": "no such name"}) == []


def test_a_signed_certificate_imported_with_its_chain_completes_the_request(harness):
    ca = make_hierarchy()
    key = harness.create_key("ca-signed key")
    request = harness.create_request("support 2026-11", key["id"])
    leaf = sign_request(request["pem"], ca.intermediate)
    files = upload(
        ("support.cer", der(leaf)), ("issuing.pem", pem(ca.intermediate.cert)), ("root.p7b", pkcs7_der([ca.root.cert]))
    )
    result = harness.ok("POST", "/certificates/import", 201, json={"files": files})
    assert result["changed"] is True
    assert result["keys_imported"] == []
    assert {item["source"] for item in result["items"]} == {"support.cer", "issuing.pem", "root.p7b"}
    by_role = {cert["role"]: cert for cert in result["imported"]}
    assert set(by_role) == {"server", "intermediate", "root"}
    server = by_role["server"]
    assert server["friendly_name"] == "support 2026-11"
    assert server["key_id"] == key["id"]
    assert server["private_key_available"] is True
    assert server["chain_status"] == "complete"
    assert server["chain"] == [fingerprint(leaf), fingerprint(ca.intermediate.cert), fingerprint(ca.root.cert)]
    completed = harness.ok("GET", f"/certificate-requests/{request['id']}")
    assert (completed["status"], completed["certificate_id"]) == ("completed", server["id"])

    again = harness.ok("POST", "/certificates/import", 200, json={"files": files})
    assert again["changed"] is False
    assert again["imported"] == []
    assert sorted(cert["id"] for cert in again["unchanged"]) == sorted(cert["id"] for cert in result["imported"])


def test_a_pkcs12_with_its_passphrase_brings_the_key(harness):
    ca = make_hierarchy()
    server = make_server(SITE_HOSTNAME, ca.intermediate)
    blob = pkcs12_der(server, [ca.intermediate.cert, ca.root.cert], PASSPHRASE)
    result = harness.ok(
        "POST", "/certificates/import", 201, json={"files": upload(("site.p12", blob)), "passphrase": PASSPHRASE}
    )
    assert len(result["keys_imported"]) == 1
    imported = next(cert for cert in result["imported"] if cert["role"] == "server")
    assert imported["private_key_available"] is True
    assert imported["key_id"] == result["keys_imported"][0]["id"]
    assert imported["chain_status"] == "complete"
    assert PASSPHRASE not in json.dumps(result)


def test_a_pkcs8_key_imported_with_its_certificate_makes_it_bindable(harness):
    server = make_server(SITE_HOSTNAME, make_ca("Standalone CA"))
    files = upload(("site.crt", pem(server.cert)), ("site.p8", pkcs8_der(server.key)))
    result = harness.ok("POST", "/certificates/import", 201, json={"files": files, "friendly_name": "from files"})
    assert result["imported"][0]["friendly_name"] == "from files"
    assert result["imported"][0]["private_key_available"] is True
    assert result["imported"][0]["chain_status"] == "incomplete"
    assert result["imported"][0]["chain_warnings"]


def test_a_key_imported_later_attaches_to_its_certificate(harness):
    server = make_server(SITE_HOSTNAME, make_ca("Later CA"))
    first = harness.ok("POST", "/certificates/import", 201, json={"files": upload(("site.der", der(server.cert)))})
    cert_id = first["imported"][0]["id"]
    assert first["imported"][0]["private_key_available"] is False
    second = harness.ok(
        "POST", "/certificates/import", 201, json={"files": upload(("site.key", legacy_pem_key(server.key)))}
    )
    assert [cert["id"] for cert in second["imported"]] == [cert_id]
    assert harness.ok("GET", f"/certificates/{cert_id}")["private_key_available"] is True


def test_pem_export_holds_the_chain_leaf_first_and_no_key(harness):
    ca = make_hierarchy()
    server = make_server(SITE_HOSTNAME, ca.intermediate)
    files = upload(("site.crt", pem(server.cert)), ("chain.p7b", pkcs7_der([ca.intermediate.cert, ca.root.cert])))
    result = harness.ok("POST", "/certificates/import", 201, json={"files": files})
    cert_id = next(cert["id"] for cert in result["imported"] if cert["role"] == "server")

    exported = harness.ok("POST", f"/certificates/{cert_id}/export", json={"format": "pem", "include_chain": True})
    assert exported["format"] == "pem"
    assert exported["includes_private_key"] is False
    assert exported["filename"].endswith(".pem")
    assert "content_base64" not in exported
    chain = [server.cert, ca.intermediate.cert, ca.root.cert]
    assert pem_certificates(exported["content"]) == chain
    assert exported["certificates"] == [fingerprint(cert) for cert in chain]
    assert "PRIVATE KEY" not in exported["content"]

    alone = harness.ok("POST", f"/certificates/{cert_id}/export", json={"include_chain": False})
    assert pem_certificates(alone["content"]) == [server.cert]
    assert harness.ok("GET", f"/certificates/{cert_id}")["id"] == cert_id


def test_pkcs12_export_with_the_key_opens_with_the_passphrase(harness):
    key = harness.create_key("exported key")
    cert = harness.create_self_signed("to export", key["id"])
    body = {"format": "pkcs12", "include_private_key": True, "passphrase": PASSPHRASE}
    exported = harness.ok("POST", f"/certificates/{cert['id']}/export", json=body)
    assert exported["format"] == "pkcs12"
    assert exported["includes_private_key"] is True
    assert exported["filename"].endswith(".p12")
    assert "content" not in exported
    private_key, leaf, _others = pkcs12.load_key_and_certificates(
        base64.b64decode(exported["content_base64"]), PASSPHRASE.encode("utf-8")
    )
    assert fingerprint(leaf) == cert["sha256_fingerprint"]
    public = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert private_key.public_key().public_bytes(*public) == leaf.public_key().public_bytes(*public)
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(base64.b64decode(exported["content_base64"]), b"another passphrase")
    assert harness.ok("GET", f"/certificates/{cert['id']}")["private_key_available"] is True


def test_a_certificate_is_deleted_once_unbound(harness):
    key = harness.create_key("deleted cert key")
    cert = harness.create_self_signed("to delete", key["id"])
    harness.ok("POST", "/network/ip-addresses", 201, json={"address": "127.0.0.2"})
    harness.ok("PUT", f"/certificates/{cert['id']}/ip-addresses", json={"ip_addresses": ["127.0.0.2"]})
    refused(harness.api.delete(f"/certificates/{cert['id']}"), 409, "certificate_bound", "127.0.0.2")
    harness.ok("DELETE", f"/certificates/{cert['id']}/ip-addresses/127.0.0.2", 204)
    harness.ok("DELETE", f"/certificates/{cert['id']}", 204)
    refused(harness.api.get(f"/certificates/{cert['id']}"), 404, "not_found", cert["id"])


# Bindings


def test_bindings_move_addresses_and_unbinding_returns_them_to_the_factory_default(harness):
    factory = harness.factory_default()
    for address in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        harness.ok("POST", "/network/ip-addresses", 201, json={"address": address})
    first = harness.create_self_signed("first", harness.create_key("first key")["id"])
    second = harness.create_self_signed("second", harness.create_key("second key")["id"])

    bound = harness.ok(
        "PUT", f"/certificates/{first['id']}/ip-addresses", json={"ip_addresses": ["127.0.0.3", "127.0.0.2"]}
    )
    assert bound == {"certificate_id": first["id"], "ip_addresses": ["127.0.0.2", "127.0.0.3"]}
    assert harness.ok("GET", f"/certificates/{first['id']}/ip-addresses") == bound
    assert harness.ok("GET", f"/certificates/{first['id']}")["ip_addresses"] == ["127.0.0.2", "127.0.0.3"]
    serving = {
        ip["address"]: (ip["serving"], ip["certificate_id"]) for ip in harness.ok("GET", "/network/ip-addresses")
    }
    assert serving == {
        "127.0.0.2": ("certificate", first["id"]),
        "127.0.0.3": ("certificate", first["id"]),
        "127.0.0.4": ("factory_default", factory["id"]),
    }

    harness.ok("PUT", f"/certificates/{second['id']}/ip-addresses", json={"ip_addresses": ["127.0.0.3"]})
    assert harness.ok("GET", f"/certificates/{first['id']}/ip-addresses")["ip_addresses"] == ["127.0.0.2"]
    assert harness.ok("GET", f"/certificates/{second['id']}/ip-addresses")["ip_addresses"] == ["127.0.0.3"]

    harness.ok("PUT", f"/certificates/{first['id']}/ip-addresses", json={"ip_addresses": []})
    harness.ok("DELETE", f"/certificates/{second['id']}/ip-addresses/127.0.0.3", 204)
    assert {ip["serving"] for ip in harness.ok("GET", "/network/ip-addresses")} == {"factory_default"}
    assert harness.ok("GET", f"/certificates/{factory['id']}/ip-addresses")["ip_addresses"] == [
        "127.0.0.2",
        "127.0.0.3",
        "127.0.0.4",
    ]


def test_a_certificate_imported_with_its_key_from_another_server_can_be_bound(harness):
    harness.ok("POST", "/network/ip-addresses", 201, json={"address": "127.0.0.2"})
    ca = make_hierarchy()
    server = make_server(SITE_HOSTNAME, ca.intermediate)
    files = upload(("site.der", der(server.cert)), ("issuing.der", der(ca.intermediate.cert)))
    cert_id = next(
        c["id"]
        for c in harness.ok("POST", "/certificates/import", 201, json={"files": files})["imported"]
        if c["role"] == "server"
    )
    body = refused(
        harness.api.put(f"/certificates/{cert_id}/ip-addresses", json={"ip_addresses": ["127.0.0.2"]}),
        409,
        "private_key_unavailable",
        "PKCS#12",
        "passphrase",
        "export",
    )
    assert body["details"]["certificate_id"] == cert_id
    blob = pkcs12_der(server, [], PASSPHRASE)
    harness.ok(
        "POST", "/certificates/import", 201, json={"files": upload(("site.p12", blob)), "passphrase": PASSPHRASE}
    )
    bound = harness.ok("PUT", f"/certificates/{cert_id}/ip-addresses", json={"ip_addresses": ["127.0.0.2"]})
    assert bound["ip_addresses"] == ["127.0.0.2"]


# Refusals leave the appliance as it was


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    """An appliance with addresses, keys, a request, a bound certificate, a CA chain and a certificate without key."""
    harness = ApiHarness(tmp_path_factory.mktemp("populated"))
    for address in ("127.0.0.2", "127.0.0.3"):
        harness.ok("POST", "/network/ip-addresses", 201, json={"address": address})
    key = harness.create_key("in use")
    request = harness.create_request("pending request", key["id"])
    bound = harness.create_self_signed("bound", key["id"])
    harness.ok("PUT", f"/certificates/{bound['id']}/ip-addresses", json={"ip_addresses": ["127.0.0.2"]})
    ca = make_hierarchy()
    stranger = make_server(SITE_HOSTNAME, ca.intermediate)
    files = upload(("chain.p7b", pkcs7_der([ca.root.cert, ca.intermediate.cert])), ("stranger.cer", der(stranger.cert)))
    imported = {
        cert["role"]: cert["id"]
        for cert in harness.ok("POST", "/certificates/import", 201, json={"files": files})["imported"]
    }
    foreign = make_server("other.example.com", make_ca("Foreign CA"))
    ids = {
        "key": key["id"],
        "request": request["id"],
        "bound": bound["id"],
        "factory": harness.factory_default()["id"],
        "intermediate": imported["intermediate"],
        "no_key": imported["server"],
    }
    material = {
        "p12": b64(pkcs12_der(foreign, [], PASSPHRASE)),
        "lone_key": b64(legacy_pem_key(foreign.key)),
        "new_ca": b64(der(make_ca("Not Yet Imported CA").cert)),
    }
    yield harness, ids, material
    harness.close()


_SUBJECT = {"common_name": SITE_HOSTNAME}
_SANS = [f"DNS:{SITE_HOSTNAME}"]
_JUNK = b64(b"\x00" * 64)
_OVER_1_MIB = b64(b"A" * (1024 * 1024 + 1))


def _request(**fields) -> dict:
    return {"friendly_name": "r", "key_id": "{key}", "subject": _SUBJECT, "subject_alt_name": _SANS, **fields}


def _self_signed(**fields) -> dict:
    return _request(**{"friendly_name": "s", "days": 30, **fields})


def _files(*named: tuple[str, str], **fields) -> dict:
    return {"files": [{"name": name, "content": content} for name, content in named], **fields}


# (label, "METHOD path", JSON body, "status error", "words|the|message|names"); "{...}" are filled from `populated`
REFUSALS = [
    ("duplicate key name", "POST /keys", {"name": "in use", "type": "ec"}, "409 key_exists", "in use|another name"),
    ("rsa 1024", "POST /keys", {"name": "w", "type": "rsa", "size": 1024}, "422 unsupported_key", "1024|2048"),
    ("ec p-521", "POST /keys", {"name": "p", "type": "ec", "curve": "P-521"}, "422 unsupported_key", "P-521|P-256"),
    ("rsa with curve", "POST /keys", {"name": "o", "type": "rsa", "curve": "P-256"}, "422 invalid_spec", "curve"),
    ("key type dsa", "POST /keys", {"name": "d", "type": "dsa"}, "422 invalid_request", "'type'|'rsa' or 'ec'"),
    ("empty key name", "POST /keys", {"name": "  ", "type": "ec"}, "422 invalid_spec", "key name"),
    ("key in use", "DELETE /keys/{key}", None, "409 key_in_use", "{request}|{bound}"),
    ("unknown key", "GET /keys/key-000000000000", None, "404 not_found", "key-000000000000"),
    ("unknown key deleted", "DELETE /keys/key-000000000000", None, "404 not_found", "key-000000000000"),
    (
        "country of three letters",
        "POST /certificate-requests",
        _request(subject={**_SUBJECT, "country_name": "USA"}),
        "422 invalid_spec",
        "USA|country",
    ),
    (
        "cn not the first san",
        "POST /certificate-requests",
        _request(subject_alt_name=["DNS:other.example.com"]),
        "422 invalid_spec",
        SITE_HOSTNAME,
    ),
    (
        "san without prefix",
        "POST /certificate-requests",
        _request(subject_alt_name=[SITE_HOSTNAME]),
        "422 invalid_spec",
        "DNS:",
    ),
    (
        "second pending request",
        "POST /certificate-requests",
        _request(friendly_name="pending request"),
        "409 request_exists",
        "pending request|{request}",
    ),
    ("request, unknown key", "POST /certificate-requests", _request(key_id="key-0"), "404 not_found", "key-0"),
    ("unknown request", "GET /certificate-requests/req-0", None, "404 not_found", "req-0"),
    ("unknown request deleted", "DELETE /certificate-requests/req-0", None, "404 not_found", "req-0"),
    ("self-signed, zero days", "POST /certificates/self-signed", _self_signed(days=0), "422 invalid_spec", "0 days"),
    (
        "self-signed, 10**12 days",
        "POST /certificates/self-signed",
        _self_signed(days=10**12),
        "422 invalid_spec",
        "days",
    ),
    ("unknown certificate", "GET /certificates/0000", None, "404 not_found", "0000"),
    (
        "unrecognized file",
        "POST /certificates/import",
        _files(("notes.txt", b64(b"hello, CA"))),
        "422 unrecognized_format",
        "notes.txt|PKCS#12",
    ),
    (
        "not base64",
        "POST /certificates/import",
        _files(("a.pem", "QUJD"), ("b.der", "%%%")),
        "422 invalid_base64",
        "File 1|b.der|base64",
    ),
    (
        "file over 1 MiB",
        "POST /certificates/import",
        _files(("big.pem", _OVER_1_MIB)),
        "413 input_too_large",
        "big.pem|1 MiB",
    ),
    (
        "pkcs12 without passphrase",
        "POST /certificates/import",
        _files(("site.p12", "{p12}")),
        "422 passphrase_required",
        "site.p12|passphrase",
    ),
    (
        "pkcs12 wrong passphrase",
        "POST /certificates/import",
        _files(("site.p12", "{p12}"), passphrase="wrong"),
        "422 wrong_passphrase",
        "site.p12|passphrase",
    ),
    (
        "key without certificate",
        "POST /certificates/import",
        _files(("lone.key", "{lone_key}")),
        "422 key_without_certificate",
        "lone.key|certificate",
    ),
    (
        "one bad file refuses the whole import",
        "POST /certificates/import",
        _files(("ca.der", "{new_ca}"), ("junk.bin", _JUNK)),
        "422 unrecognized_format",
        "junk.bin",
    ),
    (
        "pem export with key",
        "POST /certificates/{bound}/export",
        {"format": "pem", "include_private_key": True},
        "422 passphrase_required",
        "PKCS#12|passphrase",
    ),
    (
        "pkcs12 with key, no passphrase",
        "POST /certificates/{bound}/export",
        {"format": "pkcs12", "include_private_key": True},
        "422 passphrase_required",
        "passphrase",
    ),
    (
        "export the key that is not here",
        "POST /certificates/{no_key}/export",
        {"format": "pkcs12", "include_private_key": True, "passphrase": PASSPHRASE},
        "409 private_key_unavailable",
        "{no_key}|without its private key",
    ),
    ("export unknown", "POST /certificates/0000/export", {}, "404 not_found", "0000"),
    ("delete bound", "DELETE /certificates/{bound}", None, "409 certificate_bound", "127.0.0.2|unbind"),
    ("delete factory default", "DELETE /certificates/{factory}", None, "409 factory_default", "factory default|assign"),
    (
        "bind a CA",
        "PUT /certificates/{intermediate}/ip-addresses",
        {"ip_addresses": ["127.0.0.3"]},
        "422 not_a_server_certificate",
        "CA certificate|server certificate",
    ),
    (
        "bind without key",
        "PUT /certificates/{no_key}/ip-addresses",
        {"ip_addresses": ["127.0.0.3"]},
        "409 private_key_unavailable",
        "PKCS#12|passphrase|import",
    ),
    (
        "bind an unknown address",
        "PUT /certificates/{bound}/ip-addresses",
        {"ip_addresses": ["127.0.0.2", "127.0.0.9"]},
        "422 unknown_ip_address",
        "127.0.0.9|POST /network/ip-addresses",
    ),
    (
        "bind a non-loopback address",
        "PUT /certificates/{bound}/ip-addresses",
        {"ip_addresses": ["192.0.2.1"]},
        "422 invalid_ip_address",
        "192.0.2.1|127.0.0.0/8",
    ),
    (
        "unbind an unknown address",
        "DELETE /certificates/{bound}/ip-addresses/127.0.0.9",
        None,
        "422 unknown_ip_address",
        "127.0.0.9",
    ),
    ("bindings of unknown", "GET /certificates/0000/ip-addresses", None, "404 not_found", "0000"),
    (
        "add a non-loopback address",
        "POST /network/ip-addresses",
        {"address": "10.1.2.3"},
        "422 invalid_ip_address",
        "10.1.2.3|127.0.0.0/8",
    ),
    (
        "add a hostname",
        "POST /network/ip-addresses",
        {"address": "support.example.com"},
        "422 invalid_ip_address",
        "not an IP address",
    ),
    ("remove unknown address", "DELETE /network/ip-addresses/127.0.0.9", None, "404 not_found", "127.0.0.9"),
    (
        "size as text",
        "POST /keys",
        {"name": "n", "type": "rsa", "size": "2048"},
        "422 invalid_request",
        "'size'|integer",
    ),
    ("unknown field", "POST /keys", {"name": "n", "type": "ec", "bits": 256}, "422 invalid_request", "'bits'|remove"),
    ("missing field", "POST /keys", {"type": "ec"}, "422 invalid_request", "'name'|required"),
    ("body not an object", "POST /keys", ["ec"], "422 invalid_request", "request body|object"),
    ("no files", "POST /certificates/import", {"files": []}, "422 invalid_request", "'files'|at least 1"),
    (
        "nested wrong type",
        "PUT /certificates/{bound}/ip-addresses",
        {"ip_addresses": [2130706434]},
        "422 invalid_request",
        "'ip_addresses[0]'|string",
    ),
    (
        "days as text",
        "POST /certificates/self-signed",
        _self_signed(days="30"),
        "422 invalid_request",
        "'days'|integer",
    ),
    (
        "format unknown",
        "POST /certificates/{bound}/export",
        {"format": "der"},
        "422 invalid_request",
        "'format'|'pem' or 'pkcs12'",
    ),
    (
        "subject field unknown",
        "POST /certificate-requests",
        _request(subject={"cn": "x"}),
        "422 invalid_request",
        "'subject.cn'|remove",
    ),
    (
        "unknown filter",
        "GET /certificates?friendly_nme=bound",
        None,
        "422 invalid_request",
        "'friendly_nme'|friendly_name",
    ),
    ("no body", "POST /network/ip-addresses", None, "422 invalid_request", "request body|required"),
]


def _filled(value, names: dict):
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [_filled(item, names) for item in value]
    if isinstance(value, dict):
        return {key: _filled(item, names) for key, item in value.items()}
    return value


@pytest.mark.parametrize(("label", "request_line", "body", "outcome", "words"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refusal_names_problem_and_fix_and_changes_nothing(populated, label, request_line, body, outcome, words):
    harness, ids, material = populated
    names = {**ids, **material, "name": "certificates"}
    method, path = request_line.split(" ", 1)
    status, error = outcome.split(" ")
    before = harness.snapshot()
    kwargs = {} if body is None else {"json": _filled(body, names)}
    response = harness.api.request(method, path.format(**names), **kwargs)
    refused(response, int(status), error, *_filled(words, names).split("|"))
    assert harness.snapshot() == before, label


@pytest.mark.parametrize(
    ("label", "content", "content_type", "words"),
    [
        ("truncated JSON", b'{"name": "k", "type": ', "application/json", ["not valid JSON"]),
        ("not UTF-8", b'{"name": "\xff\xfe"}', "application/json", ["JSON"]),
        ("not JSON at all", b"name=k&type=ec", "application/x-www-form-urlencoded", ["request body", "object"]),
        ("text", b'{"name": "k", "type": "ec"}', "text/plain", ["request body"]),
    ],
)
def test_a_body_that_is_not_json_is_refused_in_the_api_shape(populated, label, content, content_type, words):
    harness = populated[0]
    before = harness.snapshot()
    response = harness.api.post("/keys", content=content, headers={"Content-Type": content_type})
    refused(response, 422, "invalid_request", *words)
    assert harness.snapshot() == before, label


def test_a_body_over_12_mib_is_refused(populated):
    harness = populated[0]
    before = harness.snapshot()
    content = b'{"files": [{"content": "' + b"A" * (12 * 1024 * 1024) + b'"}]}'
    response = harness.api.post("/certificates/import", content=content, headers={"Content-Type": "application/json"})
    refused(response, 413, "request_too_large", "12 MiB", "smaller")
    assert harness.snapshot() == before


def test_a_refused_request_never_repeats_passphrases_or_key_material(populated):
    harness = populated[0]
    server = make_server(SITE_HOSTNAME, make_ca("Secret CA"))
    key_pem = legacy_pem_key(server.key).decode("ascii")
    key_b64 = b64(legacy_pem_key(server.key))
    secret = "Pa55-phrase-never-echo-81"
    bad_requests = [
        ("POST", "/certificates/import", {"files": [{"content": key_b64, "name": 7}], "passphrase": secret}),
        ("POST", "/certificates/import", {"files": [{"content": key_b64}], "passphrase": 42, "extra": secret}),
        ("POST", "/certificates/import", {"files": [{"content": key_pem}], "passphrase": secret}),
        ("POST", "/certificates/import", {"files": key_pem, "passphrase": [secret]}),
        ("POST", "/certificates/import", {"files": [{"content": key_b64, "name": "k.pem"}], "passphrase": secret}),
        ("POST", "/certificates/{bound}/export", {"format": "pkcs12", "passphrase": {"value": secret}}),
        ("POST", "/certificates/{bound}/export", {"format": key_pem, "passphrase": secret}),
        ("POST", "/keys", {"name": key_pem, "type": secret}),
        ("PUT", "/certificates/{bound}/ip-addresses", {"ip_addresses": secret}),
    ]
    ids = populated[1]
    key_lines = [line for line in key_pem.splitlines() if line and not line.startswith("-----")]
    for method, path, body in bad_requests:
        response = harness.api.request(method, path.format(**ids), json=body)
        assert 400 <= response.status_code < 500, response.text
        assert secret not in response.text
        assert key_b64[:40] not in response.text
        assert "PRIVATE KEY" not in response.text
        assert not any(line in response.text for line in key_lines)


def test_a_streamed_body_over_12_mib_is_refused(populated):
    harness = populated[0]
    before = harness.snapshot()
    chunks = iter([b'{"files": [{"content": "'] + [b"A" * 1024 * 1024] * 13 + [b'"}]}'])
    response = harness.api.post("/certificates/import", content=chunks, headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    refused(response, 413, "request_too_large", "12 MiB")
    assert harness.snapshot() == before


# Text that is not Unicode: a lone surrogate, which JSON can carry ("\ud800") and no store can hold

LONE_SURROGATE = "\ud800"
# Each request body of the API with valid values ("{...}" from `populated`), by the route that takes it.
VALID_BODIES = {
    "POST /network/ip-addresses": {"address": "127.0.0.9"},
    "POST /keys": {"name": "surrogate key", "type": "ec", "curve": "P-256"},
    "POST /certificate-requests": _request(
        friendly_name="surrogate request",
        subject={
            "common_name": SITE_HOSTNAME,
            "country_name": "US",
            "state_or_province_name": "California",
            "locality_name": "San Jose",
            "organization_name": "Example",
            "organizational_unit_name": "IT",
        },
    ),
    "POST /certificates/self-signed": _self_signed(friendly_name="surrogate self-signed"),
    "POST /certificates/import": {
        "files": [{"content": "{p12}", "name": "site.p12"}],
        "passphrase": PASSPHRASE,
        "friendly_name": "surrogate import",
    },
    "POST /certificates/{bound}/export": {"format": "pkcs12", "include_private_key": True, "passphrase": PASSPHRASE},
    "PUT /certificates/{bound}/ip-addresses": {"ip_addresses": ["127.0.0.2"]},
    "PUT /locks/{name}": {"holder": "surrogate run", "lease_seconds": 60},
    "PUT /acme": {
        "directory_url": "https://127.0.0.1:9/dir",
        "contact": ["mailto:pki@example.com"],
        "eab_key_id": "kid-1",
        "eab_hmac": "c2VjcmV0",
        "hostnames": [SITE_HOSTNAME],
        "key_type": "ec-p256",
        "ca_bundle": None,
        "friendly_name": "ACME",
        "ip_addresses": ["127.0.0.2"],
    },
}


def _text_fields(model, prefix: str = "") -> list[str]:
    """The dotted names of every text field of a request model (lists of text as ``name[0]``), nested ones too."""
    import types
    import typing

    from pydantic import BaseModel, SecretStr

    names = []
    for name, info in model.model_fields.items():
        optional = typing.get_origin(info.annotation) in (typing.Union, types.UnionType)
        kinds = typing.get_args(info.annotation) if optional else [info.annotation]
        for kind in kinds:
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                names += _text_fields(kind, f"{prefix}{name}.")
            elif typing.get_origin(kind) is list:
                (item,) = typing.get_args(kind)
                if isinstance(item, type) and issubclass(item, BaseModel):
                    names += _text_fields(item, f"{prefix}{name}[0].")
                elif item is str:
                    names.append(f"{prefix}{name}[0]")
            elif kind in (str, SecretStr) or typing.get_origin(kind) is typing.Literal:
                names.append(prefix + name)
                break
    return names


def _surrogate_cases() -> list[tuple[str, str]]:
    from fastapi.routing import APIRoute

    from reference_appliance.api import protected

    cases = []
    for route in protected.routes:
        if not isinstance(route, APIRoute) or route.body_field is None:
            continue
        for method in route.methods:
            request_line = f"{method} {route.path}".replace("{certificate_id}", "{bound}")
            assert request_line in VALID_BODIES, f"give a valid body of {request_line} in VALID_BODIES"
            cases += [(request_line, field) for field in _text_fields(route.body_field.field_info.annotation)]
    return cases


def _with_text(body, dotted: str, text: str):
    """``body`` with the text field named ``dotted`` (``files[0].name``) set to ``text``."""
    body = json.loads(json.dumps(body))
    parts = [part for piece in dotted.split(".") for part in piece.replace("]", "").split("[")]
    holder = body
    for part in parts[:-1]:
        holder = holder[int(part)] if part.isdigit() else holder.setdefault(part, {})
    last = parts[-1]
    if last.isdigit():
        holder[int(last)] = text
    else:
        holder[last] = text
    return body


@pytest.mark.parametrize(("request_line", "field"), _surrogate_cases(), ids=lambda value: value)
def test_a_lone_surrogate_in_any_text_field_is_a_422_naming_the_field(populated, request_line, field):
    harness, ids, material = populated
    names = {**ids, **material, "name": "certificates"}
    method, path = request_line.split(" ", 1)
    body = _with_text(_filled(VALID_BODIES[request_line], names), field, "a" + LONE_SURROGATE + "b")
    before = harness.snapshot()
    # JSON carries the surrogate as the escape \ud800 (json.dumps writes ASCII); the appliance decodes it.
    content = json.dumps(body).encode("ascii")
    assert b"\\ud800" in content
    headers = {"Content-Type": "application/json"}
    response = harness.api.request(method, path.format(**names), content=content, headers=headers)
    shown = field.removesuffix("[0]")  # a list of texts is named with the item: 'subject_alt_name' ... (item 0)
    found = refused(response, 422, "invalid_request", f"'{shown}", "not valid unicode")
    assert any(problem["field"].startswith(f"'{shown}") for problem in found["details"]["errors"]), found
    assert harness.snapshot() == before
