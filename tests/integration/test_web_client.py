# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The web transport (web_client.WebClient) against real reference appliances, answer by answer beside the API.

For each call the modules' logic makes, the WebClient's answer on an appliance equals the ApplianceClient's
answer on the same appliance, refusals included (same status, error code and message). Ids differ by design
(over the web an id is the address of a page, a key's id its name): every id is replaced by what it names (a
certificate's fingerprint, a request's name and PEM, a key's name) before answers are compared, so a web id that
points at the wrong thing, or at nothing, shows as a difference. ``created_at`` is left out (the pages do not
show when a certificate or key was made). Then what the web cannot do as the API does (keys made alone, other
validities), locks carried by marker requests, a session that expires, wrong credentials and the login
throttle, and pages altered as another software version might show them: each fails naming the page and the
text, writes a redacted snapshot, and changes nothing on the appliance.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import re
import socket
import time
from pathlib import Path

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.client import (
    ApplianceAPIError,
    ApplianceAuthError,
    ApplianceClient,
    ApplianceConnectionError,
    ApplianceTLSError,
)
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.web_client import WebClient
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.web_page import WebPageDifferenceError
from appliance_fixtures import start_appliance
from cryptography.hazmat.primitives.serialization import pkcs12
from import_material import PASSPHRASE, make_ca
from import_material import pkcs12 as make_pkcs12

SUBJECT = {"common_name": "support.example.com", "organization_name": "Example", "country_name": "US"}
SANS = ["DNS:support.example.com", "DNS:www.example.com"]
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def upload(path: Path, name: str | None = None) -> dict:
    return {"content": base64.b64encode(path.read_bytes()).decode("ascii"), "name": name or path.name}


class Site:
    """The module's appliance, the API client on it, and its CAs."""

    def __init__(self, handle, api, ca, other_ca, directory):
        self.handle = handle
        self.api = api
        self.ca = ca
        self.other_ca = other_ca
        self.directory = directory

    def web(self, snapshot_dir: Path, **options) -> WebClient:
        return WebClient(
            self.handle.api_url,
            self.handle.username,
            self.handle.password,
            ca_path=str(self.handle.ca_path),
            snapshot_dir=str(snapshot_dir),
            **options,
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One appliance with what the pages must show: a CA-signed certificate with its chain, bound to an address,
    and its completed request; a pending request; a self-signed certificate; a certificate without its key whose
    chain is incomplete."""
    directory = tmp_path_factory.mktemp("web-client")
    handle = start_appliance(directory / "appliance", ip_addresses=["127.0.0.2", "127.0.0.3"])
    api = ApplianceClient(handle.api_url, handle.token, ca_path=str(handle.ca_path))
    try:
        ca = make_ca(directory / "ca")
        other_ca = make_ca(directory / "other-ca")
        key = api.post("keys", {"name": "signed 2026", "type": "ec", "curve": "P-256"})
        request = api.post(
            "certificate-requests",
            {"friendly_name": "signed 2026", "key_id": key["id"], "subject": SUBJECT, "subject_alt_name": SANS},
        )
        signed = ca.sign(request["pem"].encode("ascii"), "signed-2026")
        api.post("certificates/import", {"files": [upload(signed), upload(ca.intermediate), upload(ca.root)]})
        served = {c["friendly_name"]: c for c in api.get("certificates")}["signed 2026"]
        api.put(f"certificates/{served['id']}/ip-addresses", {"ip_addresses": ["127.0.0.2"]})
        key = api.post("keys", {"name": "pending 2027", "type": "rsa", "size": 2048})
        api.post(
            "certificate-requests",
            {
                "friendly_name": "pending 2027",
                "key_id": key["id"],
                "subject": {**SUBJECT, "state_or_province_name": "CA"},
                "subject_alt_name": ["DNS:support.example.com", "IP:127.0.0.2"],
            },
        )
        key = api.post("keys", {"name": "self-signed 2026", "type": "ec", "curve": "P-384"})
        api.post(
            "certificates/self-signed",
            {
                "friendly_name": "self-signed 2026",
                "key_id": key["id"],
                "subject": {"common_name": "Self Signed"},
                "subject_alt_name": ["DNS:self.example.com"],
                "days": 365,
            },
        )
        _elsewhere_key, elsewhere = other_ca.issue("elsewhere", "elsewhere.example.com")
        api.post("certificates/import", {"files": [upload(elsewhere)]})
        yield Site(handle, api, ca, other_ca, directory)
    finally:
        api.close()
        handle.stop()


@pytest.fixture
def web(site, tmp_path):
    client = site.web(tmp_path / "snapshots")
    yield client
    client.close()


# --- comparing answers ------------------------------------------------------------------------------


ID_FIELDS = frozenset(("id", "key_id", "certificate_id", "request_id"))
ID_LISTS = frozenset(("requests", "certificates"))


class Names:
    """Every id a client gives, replaced by what it names, so that two transports' answers compare.

    In an id field (``id``, ``key_id``, ``used_by`` ...) an id becomes a token naming the certificate (by
    fingerprint), request (by name and PEM) or key (by name); in text (a message) a certificate's or request's
    id becomes its token and a key's id its name (over the web a key's id is its name).
    """

    def __init__(self, client):
        self.tokens, self.texts = {}, {}
        for cert in client.get("certificates"):
            self.tokens[cert["id"]] = self.texts[cert["id"]] = f"<certificate {cert['sha256_fingerprint']}>"
        for request in client.get("certificate-requests"):
            digest = hashlib.sha256(request["pem"].encode()).hexdigest()[:12]
            self.tokens[request["id"]] = self.texts[request["id"]] = f"<request {request['friendly_name']} {digest}>"
        for key in client.get("keys"):
            self.tokens[key["id"]] = f"<key {key['name']}>"
            self.texts[key["id"]] = key["name"]
        ids = sorted(self.texts, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(ident) for ident in ids)) if ids else None

    def __call__(self, value, field: str | None = None):
        if isinstance(value, dict):
            return {name: self(item, name) for name, item in value.items() if name != "created_at"}
        if isinstance(value, list):
            return [self(item, field if field in ID_LISTS else None) for item in value]
        if isinstance(value, str):
            if field in ID_FIELDS or field in ID_LISTS:
                return self.tokens.get(value, value)
            if self._pattern is None:
                return value
            return self._pattern.sub(lambda match: self.texts[match.group(0)], value)
        return value


def same(site, web, api_answer, web_answer):
    """The two answers, ids replaced by what they name, are equal."""
    assert Names(web)(web_answer) == Names(site.api)(api_answer)


def reads_match(site, snapshots: Path, *paths: str) -> None:
    """After changes through both transports: a new web client (one task's view) reads as the API does."""
    web = site.web(snapshots)
    try:
        for path in paths:
            same(site, web, site.api.get(path), web.get(path))
    finally:
        web.close()


def refused(call) -> ApplianceAPIError:
    with pytest.raises(ApplianceAPIError) as caught:
        call()
    return caught.value


def same_refusal(site, web, api_call, web_call, details: bool = True):
    """The same status, error code and message (ids replaced); the same details where the web transport knows
    them before it sends the page."""
    by_api, by_web = refused(lambda: api_call(site.api)), refused(lambda: web_call(web))
    api_names, web_names = Names(site.api), Names(web)
    assert (by_web.status, by_web.error) == (by_api.status, by_api.error), by_web.message
    assert web_names(by_web.message) == api_names(by_api.message)
    if details:
        assert web_names(by_web.details) == api_names(by_api.details)
    return by_api, by_web


def named(client, friendly_name: str, kind: str = "certificates") -> dict:
    field = "name" if kind == "keys" else "friendly_name"
    return next(item for item in client.get(kind) if item[field] == friendly_name)


def state(api) -> dict:
    """What the appliance holds, as the API lists it (to show that nothing changed)."""
    return {
        "certificates": api.get("certificates"),
        "requests": api.get("certificate-requests"),
        "keys": api.get("keys"),
        "ip_addresses": api.get("network/ip-addresses"),
        "locks": api.get("locks"),
    }


# --- reads -----------------------------------------------------------------------------------------------


def test_every_read_the_logic_makes_answers_as_the_api_does(site, web):
    for path in ("status/basics", "network/ip-addresses", "certificates", "certificate-requests", "keys", "locks"):
        same(site, web, site.api.get(path), web.get(path))
    for cert in site.api.get("certificates"):
        mine = next(c for c in web.get("certificates") if c["sha256_fingerprint"] == cert["sha256_fingerprint"])
        same(site, web, site.api.get(f"certificates/{cert['id']}"), web.get(f"certificates/{mine['id']}"))
        same(
            site,
            web,
            site.api.get(f"certificates/{cert['id']}/ip-addresses"),
            web.get(f"certificates/{mine['id']}/ip-addresses"),
        )
        query = {"friendly_name": cert["friendly_name"]}
        same(site, web, site.api.get("certificates", query=query), web.get("certificates", query=query))
    for request in site.api.get("certificate-requests"):
        mine = named(web, request["friendly_name"], "certificate-requests")
        same(site, web, request, web.get(f"certificate-requests/{mine['id']}"))
        assert mine["created_at"] == request["created_at"]
    for key in site.api.get("keys"):
        same(site, web, key, web.get(f"keys/{key['name']}"))
    kinds = {(c["friendly_name"], c["chain_status"], c["private_key_available"]) for c in web.get("certificates")}
    assert {
        ("signed 2026", "complete", True),
        ("self-signed 2026", "self_signed", True),
        ("elsewhere.example.com", "incomplete", False),
        ("Factory Default", "self_signed", True),
    } <= kinds
    assert named(web, "signed 2026", "certificate-requests")["status"] == "completed"


def test_one_list_page_serves_certificates_and_requests_and_exports_are_kept(site, web):
    web.get("status/basics")
    assert web.requests_made == 3  # the login form, its post, and Status :: Basics it leads to
    before = web.requests_made
    web.get("status/basics")
    assert web.requests_made == before
    certificates = web.get("certificates")
    after_certificates = web.requests_made
    requests = web.get("certificate-requests")
    # only the View Request pages: the list was read once
    assert web.requests_made - after_certificates == len(requests)
    web.get("certificates")
    web.get("certificate-requests")
    assert web.requests_made - after_certificates == len(requests)
    served = named(web, "signed 2026")
    settled = web.requests_made
    web.post(f"certificates/{served['id']}/export", {"format": "pem", "include_chain": True})
    assert web.requests_made == settled  # the certificate's export was read with the list
    assert len(certificates) >= 4


def test_exports_are_the_apis(site, web):
    for cert in site.api.get("certificates"):
        mine = next(c for c in web.get("certificates") if c["sha256_fingerprint"] == cert["sha256_fingerprint"])
        for chain in (True, False):
            body = {"format": "pem", "include_chain": chain, "include_private_key": False}
            same(
                site,
                web,
                site.api.post(f"certificates/{cert['id']}/export", body),
                web.post(f"certificates/{mine['id']}/export", body),
            )
        bodies = [{"format": "pkcs12", "include_chain": True, "passphrase": PASSPHRASE, "legacy": True}]
        if cert["private_key_available"]:
            bodies.append(
                {"format": "pkcs12", "include_chain": True, "include_private_key": True, "passphrase": "pw1234"}
            )
            bodies.append({**bodies[-1], "legacy": True, "include_chain": False})
        for body in bodies:
            by_api = site.api.post(f"certificates/{cert['id']}/export", body)
            by_web = web.post(f"certificates/{mine['id']}/export", body)
            contents = [base64.b64decode(answer.pop("content_base64")) for answer in (by_api, by_web)]
            same(site, web, by_api, by_web)
            (key_a, leaf_a, chain_a), (key_w, leaf_w, chain_w) = [
                pkcs12.load_key_and_certificates(blob, body["passphrase"].encode()) for blob in contents
            ]
            assert (key_a is not None) == (key_w is not None) == bool(body.get("include_private_key"))
            assert leaf_w == leaf_a and chain_w == chain_a


# --- changes ----------------------------------------------------------------------------------------------


def test_a_request_made_over_the_web_is_what_the_api_makes(site, web, tmp_path):
    web.get("certificate-requests")
    deferred = web.post("keys", {"name": "web request", "type": "ec", "curve": "P-256"})
    assert deferred["public_key_fingerprint"] is None
    made = web.post(
        "certificate-requests",
        {"friendly_name": "web request", "key_id": "web request", "subject": SUBJECT, "subject_alt_name": SANS},
    )
    key = site.api.post("keys", {"name": "api request", "type": "ec", "curve": "P-256"})
    by_api = site.api.post(
        "certificate-requests",
        {"friendly_name": "api request", "key_id": key["id"], "subject": SUBJECT, "subject_alt_name": SANS},
    )
    shape = ("subject", "subject_alt_name", "warnings", "status", "certificate_id")
    assert {name: made[name] for name in shape} == {name: by_api[name] for name in shape}
    assert set(made) == set(by_api)
    # the kept key is the key the request made, up to date in the answer the task holds
    assert deferred["public_key_fingerprint"] == made["public_key_fingerprint"]
    assert deferred["used_by"] == {"requests": [made["id"]], "certificates": []}
    reads_match(site, tmp_path, "keys", "certificate-requests")
    assert named(site.api, "web request", "keys")["type"] == "ec"
    # deleting the request takes its key along, as the page does; a key already gone is absent
    web.delete(f"certificate-requests/{made['id']}")
    assert "web request" not in [k["name"] for k in site.api.get("keys")]
    assert web.delete("keys/web request") is None


def test_a_pending_request_replaced_over_the_web_gets_a_new_key_of_the_same_kind(site, web):
    web.get("certificate-requests")
    web.post("keys", {"name": "replaced", "type": "rsa", "size": 3072})
    first = web.post(
        "certificate-requests",
        {"friendly_name": "replaced", "key_id": "replaced", "subject": SUBJECT, "subject_alt_name": SANS},
    )
    web.close()
    again = WebClient(site.handle.api_url, site.handle.username, site.handle.password, ca_path=str(site.handle.ca_path))
    key = next(k for k in again.get("keys") if k["name"] == "replaced")
    pending = next(r for r in again.get("certificate-requests") if r["friendly_name"] == "replaced")
    again.delete(f"certificate-requests/{pending['id']}")
    second = again.post(
        "certificate-requests",
        {"friendly_name": "replaced", "key_id": key["id"], "subject": SUBJECT, "subject_alt_name": SANS[:1]},
    )
    assert second["public_key_fingerprint"] != first["public_key_fingerprint"]
    assert key["public_key_fingerprint"] == second["public_key_fingerprint"]  # the answer the task holds
    assert (key["type"], key["size"]) == ("rsa", 3072)
    assert named(site.api, "replaced", "keys")["size"] == 3072
    again.delete(f"certificate-requests/{second['id']}")
    again.close()


def test_a_self_signed_certificate_made_over_the_web_is_what_the_api_makes(site, web, tmp_path):
    web.get("certificates", query={"friendly_name": "web self-signed"})
    web.post("keys", {"name": "web self-signed", "type": "rsa", "size": 2048})
    made = web.post(
        "certificates/self-signed",
        {
            "friendly_name": "web self-signed",
            "key_id": "web self-signed",
            "subject": SUBJECT,
            "subject_alt_name": SANS,
            "days": 365,
        },
    )
    key = site.api.post("keys", {"name": "api self-signed", "type": "rsa", "size": 2048})
    by_api = site.api.post(
        "certificates/self-signed",
        {
            "friendly_name": "api self-signed",
            "key_id": key["id"],
            "subject": SUBJECT,
            "subject_alt_name": SANS,
            "days": 365,
        },
    )
    shape = ("subject", "issuer", "subject_alt_name", "public_key", "is_ca", "role", "self_signed", "chain_status")
    assert {name: made[name] for name in shape} == {name: by_api[name] for name in shape}
    assert set(made) == set(by_api)
    for answer in (made, by_api):
        days = (
            datetime.datetime.fromisoformat(answer["not_after"][:-1])
            - datetime.datetime.fromisoformat(answer["not_before"][:-1])
        ).days
        assert 365 <= days <= 366
    reads_match(site, tmp_path, "certificates")
    for answer, client in ((made, web), (by_api, site.api)):
        client.delete(f"certificates/{answer['id']}")
    reads_match(site, tmp_path, "certificates")
    # their keys stay, used by nothing: the pages show such a key by its name only
    fresh = site.web(tmp_path / "fresh")
    lone = [key for key in fresh.get("keys") if key["name"] in ("web self-signed", "api self-signed")]
    fresh.close()
    assert [(k["type"], k["public_key_fingerprint"], k["used_by"]) for k in lone] == [
        (None, None, {"requests": [], "certificates": []})
    ] * 2
    for name in ("web self-signed", "api self-signed"):
        site.api.delete(f"keys/{named(site.api, name, 'keys')['id']}")
    reads_match(site, tmp_path, "keys")


def test_bindings_made_over_the_web_are_the_apis(site, web):
    served = named(web, "self-signed 2026")
    answer = web.put(f"certificates/{served['id']}/ip-addresses", {"ip_addresses": ["127.0.0.3"]})
    assert answer == {"certificate_id": served["id"], "ip_addresses": ["127.0.0.3"]}
    same(site, web, site.api.get("network/ip-addresses"), web.get("network/ip-addresses"))
    by_api = named(site.api, "self-signed 2026")
    assert by_api["ip_addresses"] == ["127.0.0.3"]
    assert web.delete(f"certificates/{served['id']}/ip-addresses/127.0.0.3") is None
    assert named(site.api, "self-signed 2026")["ip_addresses"] == []
    assert web.delete(f"certificates/{served['id']}/ip-addresses/127.0.0.3") is None  # not bound: nothing to do
    same(site, web, site.api.get("certificates"), web.get("certificates"))


def test_addresses_added_and_removed_over_the_web_are_the_apis(site, web):
    added = web.post("network/ip-addresses", {"address": "127.0.0.4"})
    assert added == {
        "address": "127.0.0.4",
        "certificate_id": named(web, "Factory Default")["id"],
        "serving": "factory_default",
    }
    assert web.post("network/ip-addresses", {"address": "127.0.0.4"}) == added  # there already: unchanged
    same(site, web, site.api.get("network/ip-addresses"), web.get("network/ip-addresses"))
    same(site, web, site.api.get("status/basics"), web.get("status/basics"))
    assert web.delete("network/ip-addresses/127.0.0.4") is None
    assert "127.0.0.4" not in [entry["address"] for entry in site.api.get("network/ip-addresses")]
    same_refusal(
        site,
        web,
        lambda c: c.delete("network/ip-addresses/127.0.0.4"),
        lambda c: c.delete("network/ip-addresses/127.0.0.4"),
    )
    error = refused(lambda: web.post("network/ip-addresses", {"address": "10.0.0.1"}))
    assert error.error == "invalid_ip_address" and "10.0.0.1" in error.message


def test_an_import_over_the_web_answers_as_the_apis(site, web):
    key_path, leaf = site.ca.issue("web-import", "import.example.com")
    bundle = make_pkcs12(leaf, key_path, [site.ca.intermediate], site.directory / "web-import.p12", PASSPHRASE)
    body = {"files": [upload(bundle)], "passphrase": PASSPHRASE, "friendly_name": "imported over web"}
    before = {c["sha256_fingerprint"] for c in site.api.get("certificates")}
    by_web = web.post("certificates/import", body)
    assert by_web["changed"] is True
    assert [c["friendly_name"] for c in by_web["imported"]] == ["imported over web"]
    assert {c["sha256_fingerprint"] for c in by_web["unchanged"]} <= before
    same(site, web, site.api.get("certificates"), web.get("certificates"))
    # the same files again: nothing new, and the answer is the API's to the letter
    same(site, web, site.api.post("certificates/import", body), web.post("certificates/import", body))
    same(site, web, site.api.get("keys"), web.get("keys"))
    assert len(by_web["keys_imported"]) == 1


# --- refusals -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def material(site) -> dict:
    """Files an import refuses: a PKCS#12 (needs its passphrase) and a key without its certificate."""
    key_path, leaf = site.other_ca.issue("refused", "refused.example.com")
    bundle = make_pkcs12(leaf, key_path, [], site.directory / "refused.p12", PASSPHRASE)
    lone = site.other_ca.issue("lone", "lone.example.com")[0]
    return {"bundle": bundle, "lone": lone}


def _id(client, friendly_name: str) -> str:
    return named(client, friendly_name)["id"]


@pytest.mark.parametrize(
    ("case", "call", "details"),
    [
        (
            "request_exists",
            lambda c, m: c.post(
                "certificate-requests",
                {
                    "friendly_name": "pending 2027",
                    "key_id": named(c, "pending 2027", "keys")["id"],
                    "subject": SUBJECT,
                    "subject_alt_name": SANS,
                },
            ),
            True,
        ),
        (
            "a country that is not one",
            lambda c, m: c.post(
                "certificate-requests",
                {
                    "friendly_name": "bad country",
                    "key_id": named(c, "pending 2027", "keys")["id"],
                    "subject": {**SUBJECT, "country_name": "USA"},
                    "subject_alt_name": SANS,
                },
            ),
            True,
        ),
        (
            "a DNS common name that is not the first name",
            lambda c, m: c.post(
                "certificates/self-signed",
                {
                    "friendly_name": "bad names",
                    "key_id": named(c, "pending 2027", "keys")["id"],
                    "subject": SUBJECT,
                    "subject_alt_name": ["DNS:www.example.com", "DNS:support.example.com"],
                    "days": 365,
                },
            ),
            True,
        ),
        (
            "an empty friendly name",
            lambda c, m: c.post(
                "certificate-requests",
                {"friendly_name": " ", "key_id": "x", "subject": SUBJECT, "subject_alt_name": SANS},
            ),
            True,
        ),
        (
            "a key that does not exist",
            lambda c, m: c.post(
                "certificate-requests",
                {"friendly_name": "no key", "key_id": "key-000000000000", "subject": SUBJECT, "subject_alt_name": SANS},
            ),
            True,
        ),
        ("factory_default", lambda c, m: c.delete(f"certificates/{_id(c, 'Factory Default')}"), True),
        ("certificate_bound", lambda c, m: c.delete(f"certificates/{_id(c, 'signed 2026')}"), True),
        ("a certificate that is not there", lambda c, m: c.get("certificates/nothing-here"), True),
        (
            "a PEM export with the key",
            lambda c, m: c.post(
                f"certificates/{_id(c, 'signed 2026')}/export",
                {"format": "pem", "include_private_key": True},
            ),
            True,
        ),
        (
            "a PKCS#12 export without a passphrase",
            lambda c, m: c.post(f"certificates/{_id(c, 'signed 2026')}/export", {"format": "pkcs12"}),
            True,
        ),
        (
            "the key of a certificate without it",
            lambda c, m: c.post(
                f"certificates/{_id(c, 'elsewhere.example.com')}/export",
                {"format": "pkcs12", "include_private_key": True, "passphrase": PASSPHRASE},
            ),
            True,
        ),
        (
            "binding a certificate without its key",
            lambda c, m: c.put(f"certificates/{_id(c, 'elsewhere.example.com')}/ip-addresses", {"ip_addresses": []}),
            True,
        ),
        (
            "binding a CA certificate",
            lambda c, m: c.put(
                f"certificates/{_id(c, 'Test Issuing CA')}/ip-addresses", {"ip_addresses": ["127.0.0.3"]}
            ),
            True,
        ),
        (
            "deleting a key in use",
            lambda c, m: c.delete(f"keys/{named(c, 'signed 2026', 'keys')['id']}"),
            True,
        ),
        ("a lock name that is not one", lambda c, m: c.put("locks/BAD", {"holder": "x"}), True),
        ("an empty holder", lambda c, m: c.put("locks/certificates", {"holder": " "}), True),
        ("a lease out of range", lambda c, m: c.put("locks/certificates", {"holder": "x", "lease_seconds": 5}), True),
        ("giving back without a holder", lambda c, m: c.request("DELETE", "locks/certificates"), True),
        (
            "an import of something that is no certificate",
            lambda c, m: c.post(
                "certificates/import", {"files": [{"content": base64.b64encode(b"hello").decode(), "name": "x.txt"}]}
            ),
            True,
        ),
        (
            "an encrypted import without a passphrase",
            lambda c, m: c.post("certificates/import", {"files": [upload(m["bundle"])]}),
            True,
        ),
        (
            "an encrypted import with the wrong passphrase",
            lambda c, m: c.post("certificates/import", {"files": [upload(m["bundle"])], "passphrase": "not-it-at-all"}),
            True,
        ),
        (
            "a key without its certificate",
            lambda c, m: c.post("certificates/import", {"files": [upload(m["lone"], "lone.key")]}),
            False,
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_refusals_are_the_apis(site, web, material, case, call, details):
    before = state(site.api)
    same_refusal(site, web, lambda c: call(c, material), lambda c: call(c, material), details)
    assert state(site.api) == before, case


def test_an_address_the_appliance_does_not_have_is_refused_with_the_apis_code_and_details(site, web):
    def bind(client):
        client.put(f"certificates/{_id(client, 'signed 2026')}/ip-addresses", {"ip_addresses": ["127.0.0.9"]})

    by_api, by_web = refused(lambda: bind(site.api)), refused(lambda: bind(web))
    assert (by_web.status, by_web.error, by_web.details) == (by_api.status, by_api.error, by_api.details)
    assert "127.0.0.9" in by_web.message and "Networking :: IP Configuration" in by_web.message


# --- what the web cannot do as the API does ------------------------------------------------------------------------


def test_a_key_cannot_be_made_alone_over_the_web(site, web):
    lone = site.api.post("keys", {"name": "lone key", "type": "ec", "curve": "P-256"})
    web.get("keys")
    before = state(site.api)
    error = refused(lambda: web.post("keys", {"name": "alone", "type": "rsa", "size": 2048}))
    assert error.error == "not_possible_over_web" and "appliance_csr" in error.message
    # a request may make it, named after it, not under another name
    web.get("certificate-requests")
    web.post("keys", {"name": "other name", "type": "rsa", "size": 2048})
    error = refused(
        lambda: web.post(
            "certificate-requests",
            {"friendly_name": "a request", "key_id": "other name", "subject": SUBJECT, "subject_alt_name": SANS},
        )
    )
    assert error.error == "not_possible_over_web"
    assert "Omit key" in error.message and "'a request'" in error.message
    # a self-signed certificate gets the appliance's own validity only
    error = refused(
        lambda: web.post(
            "certificates/self-signed",
            {"friendly_name": "x", "key_id": "x", "subject": SUBJECT, "subject_alt_name": SANS, "days": 90},
        )
    )
    assert error.error == "not_possible_over_web" and "365" in error.message
    assert state(site.api) == before
    # a key nothing uses has no page that deletes it
    error = refused(lambda: web.delete("keys/lone key"))
    assert error.error == "not_possible_over_web" and "no page" in error.message
    assert state(site.api) == before
    site.api.delete(f"keys/{lone['id']}")


# --- locks --------------------------------------------------------------------------------------------------------


def test_locks_over_the_web_keep_the_apis_rules(site, web, tmp_path):
    other = site.web(tmp_path / "other")
    try:
        taken = web.put("locks/certificates", {"holder": "alice@ctl run 1", "lease_seconds": 60})
        by_api = site.api.put("locks/certificates", {"holder": "alice@ctl run 1", "lease_seconds": 60})
        assert set(taken) == set(by_api)
        assert (taken["renewed"], taken["taken_over_from"], taken["expired"]) == (False, None, False)
        assert taken["acquired_at"] == taken["renewed_at"]
        lease = _parse(taken["expires_at"]) - _parse(taken["renewed_at"])
        assert 59 <= lease.total_seconds() <= 61
        # the lock is carried by a marker request (and its key), which the web transport shows no module
        markers = [r for r in site.api.get("certificate-requests") if r["friendly_name"].startswith("bomgar.pki lock")]
        assert [m["friendly_name"] for m in markers] == [
            f"bomgar.pki lock certificates alice@ctl run 1 until {taken['expires_at']}"
        ]
        assert markers[0]["friendly_name"] not in [r["friendly_name"] for r in web.get("certificate-requests")]
        assert markers[0]["friendly_name"] not in [k["name"] for k in web.get("keys")]
        assert markers[0]["created_at"] == taken["acquired_at"]
        # another run is refused, naming the holder, as the API does
        held = [
            refused(lambda c=c: c.put("locks/certificates", {"holder": "bob@ctl run 2", "lease_seconds": 60}))
            for c in (site.api, other)
        ]
        assert [(e.status, e.error) for e in held] == [(409, "lock_held")] * 2
        assert TIME.sub("<t>", held[1].message) == TIME.sub("<t>", held[0].message)
        assert held[1].details["lock"]["holder"] == "alice@ctl run 1"
        assert set(held[1].details["lock"]) == set(held[0].details["lock"])
        # the same run renews it; the other cannot give it back; its holder can
        renewed = web.put("locks/certificates", {"holder": "alice@ctl run 1", "lease_seconds": 120})
        assert renewed["renewed"] is True and renewed["acquired_at"] == taken["acquired_at"]
        assert [lock["holder"] for lock in other.get("locks")] == ["alice@ctl run 1"]
        error = refused(lambda: other.request("DELETE", "locks/certificates", query={"holder": "bob@ctl run 2"}))
        assert error.error == "lock_held"
        assert web.request("DELETE", "locks/certificates", query={"holder": "alice@ctl run 1"}) is None
        assert other.get("locks") == [] and web.request("DELETE", "locks/certificates", query={"holder": "x"}) is None
        # force removes another run's lock
        web.put("locks/certificates", {"holder": "alice@ctl run 3", "lease_seconds": 60})
        assert other.request("DELETE", "locks/certificates", query={"force": "true"}) is None
        assert web.get("locks") == []
        # a lease that ended is taken over, saying from whom
        web.put("locks/site", {"holder": "carol@ctl run 4", "lease_seconds": 10})
        time.sleep(11.5)
        assert [lock["expired"] for lock in other.get("locks")] == [True]
        took = other.put("locks/site", {"holder": "dave@ctl run 5", "lease_seconds": 60})
        assert took["taken_over_from"]["holder"] == "carol@ctl run 4" and took["renewed"] is False
        assert [lock["holder"] for lock in web.get("locks")] == ["dave@ctl run 5"]
        other.request("DELETE", "locks/site", query={"holder": "dave@ctl run 5"})
        site.api.request("DELETE", "locks/certificates", query={"force": "true"})
        assert web.get("locks") == [] and "bomgar.pki lock" not in json.dumps(site.api.get("keys"))
    finally:
        other.close()


def _parse(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")


# --- Status :: Basics for the support bundle -------------------------------------------------------------------------


def test_the_status_page_is_made_safe_to_keep(site, web):
    html = web.status_page_html()
    assert "Status :: Basics" in html and "appliance.example.com" in html and "<style>" in html
    assert site.handle.password not in html
    assert "<script" not in html and 'type="hidden"' not in html
    assert set(re.findall(r"href=\"([^\"]*)\"", html)) == {"#"}, "a link of the kept page goes somewhere"
    assert "csrf" not in html.lower() or 'name="csrf"' not in html


def test_an_untrusted_or_unreachable_appliance_is_said_before_any_password_is_sent(site, tmp_path):
    untrusted = WebClient(site.handle.api_url, site.handle.username, site.handle.password)
    with pytest.raises(ApplianceTLSError) as caught:
        untrusted.get("status/basics")
    assert "not trusted" in caught.value.message and "ca_path" in caught.value.message
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed = WebClient(f"https://127.0.0.1:{port}", "admin", "x", timeout=3)
    with pytest.raises(ApplianceConnectionError) as caught:
        closed.get("status/basics")
    assert caught.value.message.startswith(f"Cannot reach the appliance at https://127.0.0.1:{port}")


# --- sessions, credentials and the throttle ---------------------------------------------------------------------------


def test_an_expired_session_logs_in_again_and_wrong_credentials_are_refused(appliance_factory, tmp_path):
    handle = appliance_factory("sessions", web_idle_timeout=1, web_login_lockout=20)
    api = ApplianceClient(handle.api_url, handle.token, ca_path=str(handle.ca_path))
    web = WebClient(handle.api_url, handle.username, handle.password, ca_path=str(handle.ca_path))
    try:
        assert web.get("status/basics")["hostname"] == "appliance.example.com"
        web.get("certificate-requests")  # the list page (and its form's CSRF value) is kept
        web.post("keys", {"name": "after expiry", "type": "ec", "curve": "P-256"})
        time.sleep(1.6)
        made = web.post(
            "certificate-requests",
            {"friendly_name": "after expiry", "key_id": "after expiry", "subject": SUBJECT, "subject_alt_name": SANS},
        )
        assert [r["friendly_name"] for r in api.get("certificate-requests")] == ["after expiry"]
        time.sleep(1.6)
        assert web.get(f"certificate-requests/{made['id']}")["friendly_name"] == "after expiry"
    finally:
        web.close()
    wrong = WebClient(handle.api_url, handle.username, "not-the-password", ca_path=str(handle.ca_path))
    with pytest.raises(ApplianceAuthError) as caught:
        wrong.get("status/basics")
    message = caught.value.message
    assert message.startswith(
        f"The appliance at {handle.api_url} refused the username and password of its /appliance web interface"
    )
    assert "not-the-password" not in message and "BOMGAR_PASSWORD" in message
    throttled = None
    for _attempt in range(10):
        try:
            wrong.get("status/basics")
        except ApplianceAuthError as exc:
            if exc.status == 429:
                throttled = exc
                break
    assert throttled is not None and throttled.error == "login_throttled"
    assert re.search(r"wait \d+ seconds", throttled.message) and "not-the-password" not in throttled.message
    api.close()


# --- pages that differ ---------------------------------------------------------------------------------------------


ALTERATIONS = [
    "rename:Name (Common Name)=Common Name",
    "remove-button:Save Configuration",
    "require-field:Security :: Import Certificate=Ticket Number",
]


@pytest.fixture(scope="module")
def altered(tmp_path_factory):
    directory = tmp_path_factory.mktemp("altered")
    handle = start_appliance(directory / "appliance", web_alteration=ALTERATIONS)
    api = ApplianceClient(handle.api_url, handle.token, ca_path=str(handle.ca_path))
    try:
        yield handle, api, directory
    finally:
        api.close()
        handle.stop()


def _differs(handle, api, snapshots: Path, call, expected: str):
    web = WebClient(
        handle.api_url, handle.username, handle.password, ca_path=str(handle.ca_path), snapshot_dir=str(snapshots)
    )
    try:
        before = state(api)
        with pytest.raises(WebPageDifferenceError) as caught:
            call(web)
        assert state(api) == before
    finally:
        web.close()
    message = caught.value.message
    assert expected in message, message
    assert f"written to {caught.value.snapshot_path}" in message and "software version" in message
    (path,) = list(snapshots.iterdir())
    written = path.read_text(encoding="utf-8")
    snapshot = json.loads(written)
    assert snapshot["page"] == caught.value.page_title
    assert handle.password not in written and "csrf" not in written.lower()
    return snapshot


def test_a_renamed_label_fails_naming_the_page_and_the_labels_it_has(altered, tmp_path):
    handle, api, _directory = altered

    def make_request(web):
        web.get("certificate-requests")
        web.post("keys", {"name": "renamed", "type": "ec", "curve": "P-256"})
        web.post(
            "certificate-requests",
            {"friendly_name": "renamed", "key_id": "renamed", "subject": SUBJECT, "subject_alt_name": SANS},
        )

    snapshot = _differs(
        handle,
        api,
        tmp_path / "snapshots",
        make_request,
        "page 'Security :: Certificates :: New Certificate' has no field labelled 'Name (Common Name)'; its fields "
        "are: 'Certificate Friendly Name', 'Key', 'Country', 'State/Province', 'City (Locality)', 'Organization', "
        "'Organizational Unit', 'Common Name', 'Subject Alternative Names'",
    )
    assert snapshot["looked_for"] == {"kind": "field", "text": "Name (Common Name)"}
    assert "Create Certificate Request" in snapshot["forms"][0]["buttons"]


def test_a_missing_button_fails_before_anything_is_sent(altered, tmp_path):
    handle, api, _directory = altered

    def bind(web):
        served = named(web, "Factory Default")
        web.put(f"certificates/{served['id']}/ip-addresses", {"ip_addresses": ["127.0.0.2"]})

    snapshot = _differs(
        handle,
        api,
        tmp_path / "snapshots",
        bind,
        "page 'Security :: Certificates :: Edit Certificate Configuration' has no button 'Save Configuration'; its "
        "buttons are: none",
    )
    assert snapshot["looked_for"]["kind"] == "button"


def test_an_extra_required_field_fails_before_the_form_is_sent(altered, tmp_path):
    handle, api, directory = altered
    ca = make_ca(directory / "ca")

    def import_root(web):
        web.post("certificates/import", {"files": [upload(ca.root)]})

    snapshot = _differs(
        handle,
        api,
        tmp_path / "snapshots",
        import_root,
        "page 'Security :: Import Certificate' has a required field 'Ticket Number' that the web transport does not "
        "fill",
    )
    fields = snapshot["forms"][0]["fields"]
    assert {"label": "Ticket Number", "type": "text", "required": True} in fields
