# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The appliance's rules, called directly (no HTTP) on a temporary store.

Every operation's happy path, every refusal of docs/appliance-api.md (status,
error code, a message that names the problem and the fix, and nothing changed),
import of every format in any order, and no key material in any result.
"""

from __future__ import annotations

import base64
import json
import random
import threading

import cryptography_vectors
import pytest
import service_material as material
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import pkcs12
from service_fixtures import IDENTITY, SANS, SUBJECT, Recorder, open_appliance, populate, snapshot

from reference_appliance import API_VERSION
from reference_appliance.appliance import Appliance, Identity
from reference_appliance.core import fingerprints
from reference_appliance.errors import ApplianceError
from reference_appliance.store import Store


@pytest.fixture(scope="module")
def hierarchy():
    return material.make_hierarchy("Example")


@pytest.fixture(scope="module")
def shared_rsa_key():
    return material.rsa_key()


@pytest.fixture
def changes():
    return []


@pytest.fixture
def opened(tmp_path, changes):
    store, appliance = open_appliance(tmp_path / "state", changes)
    yield store, appliance
    store.close()


@pytest.fixture
def appliance(opened):
    return opened[1]


@pytest.fixture
def env(appliance, hierarchy, changes):
    populated = populate(appliance, hierarchy)
    changes.clear()
    return populated


def refused(call) -> ApplianceError:
    with pytest.raises(ApplianceError) as caught:
        call()
    return caught.value


# --- factory default, status, identity ---------------------------------------------------------


def test_a_new_store_gets_a_factory_default_certificate_with_its_key(appliance):
    [default] = appliance.list_certificates()
    assert default["factory_default"] is True
    assert default["friendly_name"] == "Factory Default"
    assert default["private_key_available"] is True
    assert default["public_key"] == {"type": "ec", "curve": "P-256", "size": 256}
    assert default["subject"]["common_name"] == material.HOSTNAME
    assert default["subject_alt_name"] == [f"DNS:{material.HOSTNAME}"]
    assert default["chain_status"] == "self_signed"
    assert default["role"] == "server"


def test_status_basics_reports_identity_and_the_factory_default_as_trusted_root(appliance):
    appliance.add_ip_address("127.0.0.3")
    appliance.add_ip_address("127.0.0.2")
    status = appliance.status_basics()
    [default] = appliance.list_certificates()
    assert status["hostname"] == material.HOSTNAME
    assert status["site_hostname"] == material.SITE
    assert status["role"] == "primary"
    assert status["software_version"] == IDENTITY.software_version
    assert status["trusted_root_fingerprints"] == [default["sha256_fingerprint"]]
    assert status["ip_addresses"] == ["127.0.0.2", "127.0.0.3"]
    assert status["traffic_nodes"] == []
    assert status["api_version"] == API_VERSION
    assert status["appliance_id"]


def test_status_basics_reports_the_trusted_roots_the_identity_names(tmp_path):
    identity = Identity(
        hostname="node1.example.com",
        site_hostname=material.SITE,
        role="traffic-node",
        traffic_nodes=["node2.example.com"],
        trusted_root_fingerprints=["ab:" * 31 + "ab"],
    )
    store, appliance = open_appliance(tmp_path, identity=identity)
    status = appliance.status_basics()
    store.close()
    assert status["trusted_root_fingerprints"] == ["ab:" * 31 + "ab"]
    assert status["role"] == "traffic-node"
    assert status["traffic_nodes"] == ["node2.example.com"]


def test_reopening_keeps_the_appliance_id_and_the_factory_default(tmp_path):
    store, appliance = open_appliance(tmp_path)
    before = snapshot(appliance)
    store.close()
    store, again = open_appliance(tmp_path)
    after = snapshot(again)
    store.close()
    assert after == before


def test_a_hostname_that_is_no_dns_name_still_gets_a_factory_default(tmp_path):
    store, appliance = open_appliance(tmp_path, identity=Identity(hostname="appliance", site_hostname="site"))
    [default] = appliance.list_certificates()
    store.close()
    assert default["factory_default"] is True
    assert default["private_key_available"] is True


# --- IP addresses ------------------------------------------------------------------------------


def test_ip_addresses_are_added_once_in_canonical_form_and_serve_the_factory_default(appliance, changes):
    ip, created = appliance.add_ip_address(" 127.0.0.2 ")
    again, created_again = appliance.add_ip_address("127.0.0.2")
    default = appliance.list_certificates()[0]
    assert (created, created_again) == (True, False)
    assert ip == again == {"address": "127.0.0.2", "certificate_id": default["id"], "serving": "factory_default"}
    assert appliance.list_ip_addresses() == [ip]
    assert appliance.get_certificate(default["id"])["ip_addresses"] == ["127.0.0.2"]
    assert changes == ["change"]


def test_removing_an_ip_address_takes_its_binding_with_it(appliance, env, changes):
    appliance.remove_ip_address("127.0.0.2")
    assert [ip["address"] for ip in appliance.list_ip_addresses()] == ["127.0.0.3", "127.0.0.4"]
    assert appliance.get_certificate(env.bound.id)["ip_addresses"] == []
    assert changes == ["change"]
    appliance.add_ip_address("127.0.0.2")
    assert appliance.list_ip_addresses()[0]["serving"] == "factory_default"


# --- keys --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "size", "curve", "expected"),
    [
        ("rsa", 2048, None, {"type": "rsa", "size": 2048, "curve": None}),
        ("rsa", None, None, {"type": "rsa", "size": 2048, "curve": None}),
        ("ec", None, "P-256", {"type": "ec", "size": None, "curve": "P-256"}),
        ("ec", None, "P-384", {"type": "ec", "size": None, "curve": "P-384"}),
        ("EC", None, None, {"type": "ec", "size": None, "curve": "P-256"}),
    ],
)
def test_keys_are_generated_listed_and_deleted(appliance, kind, size, curve, expected):
    key = appliance.create_key("my key", kind, size, curve)
    assert {name: key[name] for name in ("type", "size", "curve")} == expected
    assert key["name"] == "my key"
    assert key["id"] == "key-" + key["public_key_fingerprint"].replace(":", "")[:12]
    assert key["used_by"] == {"requests": [], "certificates": []}
    assert appliance.get_key(key["id"]) == key
    assert key in appliance.list_keys()
    appliance.delete_key(key["id"])
    assert key["id"] not in [item["id"] for item in appliance.list_keys()]


def test_a_key_lists_what_uses_it(appliance, env, hierarchy):
    key = appliance.get_key(env.key_id)
    assert key["used_by"] == {"requests": [env.request_id], "certificates": []}


# --- requests ----------------------------------------------------------------------------------


def test_a_request_is_made_with_an_appliance_key_and_carries_its_warnings(appliance):
    key = appliance.create_key("request key", "ec")
    subject = dict(SUBJECT, state_or_province_name="CA")
    request = appliance.create_request("Site 2026", key["id"], subject, [*SANS, "IP:127.0.0.2"])
    csr = x509.load_pem_x509_csr(request["pem"].encode())
    assert fingerprints.public_key_fingerprint(csr.public_key()) == key["public_key_fingerprint"]
    assert request["status"] == "pending"
    assert request["certificate_id"] is None
    assert request["subject"] == subject
    assert request["subject_alt_name"] == ["DNS:support.example.com", "IP:127.0.0.2"]
    assert any("abbreviation" in warning for warning in request["warnings"])
    assert any("IP address" in warning for warning in request["warnings"])
    assert appliance.get_request(request["id"]) == request
    assert appliance.list_requests() == [request]
    appliance.delete_request(request["id"])
    assert appliance.list_requests() == []
    assert appliance.get_key(key["id"])["used_by"]["requests"] == []


def test_a_second_request_with_a_completed_requests_name_is_accepted(appliance, hierarchy):
    key = appliance.create_key("request key", "ec")
    first = appliance.create_request("Site", key["id"], SUBJECT, SANS)
    signed = material.sign_request(first["pem"], hierarchy[1])
    appliance.import_files([("signed.cer", material.cert_der(signed))])
    second = appliance.create_request("Site", key["id"], SUBJECT, SANS)
    assert second["status"] == "pending"
    assert appliance.get_request(first["id"])["status"] == "completed"


# --- self-signed -------------------------------------------------------------------------------


def test_a_self_signed_certificate_has_its_key_and_can_be_bound(appliance, changes):
    appliance.add_ip_address("127.0.0.5")
    key = appliance.create_key("self key", "ec", curve="P-384")
    cert = appliance.create_self_signed("Self 2026", key["id"], {"common_name": material.SITE}, SANS, 30)
    assert cert["private_key_available"] is True
    assert cert["key_id"] == key["id"]
    assert cert["self_signed"] is True
    assert cert["chain_status"] == "self_signed"
    assert cert["role"] == "server"
    assert cert["public_key"]["curve"] == "P-384"
    assert appliance.set_bindings(cert["id"], ["127.0.0.5"]) == {
        "certificate_id": cert["id"],
        "ip_addresses": ["127.0.0.5"],
    }
    chain_pem, key_pem, served = appliance.tls_material("127.0.0.5")
    assert served == cert["id"]
    assert x509.load_pem_x509_certificates(chain_pem)[0].fingerprint is not None
    loaded_key = serialization.load_pem_private_key(key_pem, None)
    assert fingerprints.public_key_fingerprint(loaded_key) == key["public_key_fingerprint"]
    assert appliance.list_certificates(friendly_name="Self 2026") == [appliance.get_certificate(cert["id"])]


# --- import ------------------------------------------------------------------------------------


def _separate(encode):
    return lambda leaf, inter, root: [
        ("leaf.crt", encode(leaf)),
        ("intermediate.crt", encode(inter)),
        ("root.crt", encode(root)),
    ]


CERT_FORMATS = {
    "der": (_separate(material.cert_der), "der_x509"),
    "pem": (_separate(material.cert_pem), "pem_x509"),
    "pem-bundle": (lambda leaf, inter, root: [("chain.pem", material.cert_pem(leaf, inter, root))], "pem_x509"),
    "pkcs7-der": (lambda leaf, inter, root: [("chain.p7b", material.pkcs7_der(leaf, inter, root))], "pkcs7_der"),
    "pkcs7-pem": (lambda leaf, inter, root: [("chain.p7c", material.pkcs7_pem(leaf, inter, root))], "pkcs7_pem"),
}
KEY_FORMATS = {
    "pkcs8-der": (material.pkcs8_der, "pkcs8_der"),
    "pkcs8-pem": (material.pkcs8_pem, "pkcs8_pem"),
    "pkcs8-der-encrypted": (material.pkcs8_der_encrypted, "pkcs8_der_encrypted"),
    "pkcs8-pem-encrypted": (material.pkcs8_pem_encrypted, "pkcs8_pem_encrypted"),
    "legacy-der": (material.legacy_der, "legacy_der"),
    "legacy-pem": (material.legacy_pem, "legacy_pem"),
    "legacy-pem-encrypted": (material.legacy_pem_encrypted, "legacy_pem_encrypted"),
    "pkcs12-key-only": (material.pkcs12_key_only, "pkcs12"),
}
FORMAT_CASES = [(cert, key, "ec") for cert in CERT_FORMATS for key in KEY_FORMATS]
FORMAT_CASES += [("pem", key, "rsa") for key in KEY_FORMATS]


def _assert_complete_import(appliance, result, leaf, inter, root):
    imported = {cert["id"]: cert for cert in result["imported"]}
    assert result["changed"] is True
    assert set(imported) == {leaf.id, inter.id, root.id}
    assert result["unchanged"] == []
    [key] = result["keys_imported"]
    assert key["public_key_fingerprint"] == leaf.public_key_fingerprint
    assert key["name"].startswith("imported-")
    server = imported[leaf.id]
    assert server["private_key_available"] is True
    assert server["key_id"] == key["id"]
    assert server["role"] == "server"
    assert server["friendly_name"] == material.SITE
    assert server["chain_status"] == "complete"
    assert server["chain"] == [leaf.fingerprint, inter.fingerprint, root.fingerprint]
    assert server["chain_warnings"] == []
    assert server["missing_issuer"] is None
    assert server["ca_issuers_urls"] == ["http://pki.example.com/ca.cer"]
    assert (imported[inter.id]["role"], imported[inter.id]["friendly_name"]) == ("intermediate", "Example Issuing CA")
    assert (imported[root.id]["role"], imported[root.id]["friendly_name"]) == ("root", "Example Root CA")
    assert imported[root.id]["private_key_available"] is False
    assert appliance.get_key(key["id"])["used_by"]["certificates"] == [leaf.id]


@pytest.mark.parametrize(("cert_format", "key_format", "key_kind"), FORMAT_CASES)
def test_import_reads_every_format_in_any_order(
    appliance, hierarchy, shared_rsa_key, cert_format, key_format, key_kind
):
    root, inter = hierarchy
    leaf = material.make_leaf(inter, material.SITE, key=shared_rsa_key if key_kind == "rsa" else None)
    encode_certs, cert_label = CERT_FORMATS[cert_format]
    encode_key, key_label = KEY_FORMATS[key_format]
    files = [*encode_certs(leaf.cert, inter.cert, root.cert), ("site.key", encode_key(leaf.key))]
    random.Random(f"{cert_format}/{key_format}/{key_kind}").shuffle(files)
    result = appliance.import_files(files, passphrase=material.PASSPHRASE)
    _assert_complete_import(appliance, result, leaf, inter, root)
    formats_seen = {(item["kind"], item["format"]) for item in result["items"]}
    assert formats_seen == {("certificate", cert_label), ("private_key", key_label)}
    assert all(item["source"] in dict(files) for item in result["items"])
    assert any("site.key" in item["description"] for item in result["items"])


@pytest.mark.parametrize("encode", [material.pkcs12_modern, material.pkcs12_legacy], ids=["modern", "legacy"])
def test_import_reads_a_pkcs12_with_key_certificate_and_chain(appliance, hierarchy, encode):
    root, inter = hierarchy
    leaf = material.make_leaf(inter)
    result = appliance.import_files(
        [("site.pfx", encode(leaf.key, leaf.cert, [inter.cert, root.cert]))], passphrase=material.PASSPHRASE
    )
    _assert_complete_import(appliance, result, leaf, inter, root)
    assert {item["format"] for item in result["items"]} == {"pkcs12"}


def test_importing_the_same_files_again_changes_nothing(appliance, hierarchy):
    root, inter = hierarchy
    leaf = material.make_leaf(inter)
    files = [("site.p12", material.pkcs12_modern(leaf.key, leaf.cert, [inter.cert, root.cert]))]
    first = appliance.import_files(files, passphrase=material.PASSPHRASE)
    before = snapshot(appliance)
    second = appliance.import_files(list(reversed(files)), passphrase=material.PASSPHRASE)
    assert second["changed"] is False
    assert second["imported"] == []
    assert second["keys_imported"] == []
    assert sorted(cert["id"] for cert in second["unchanged"]) == sorted(cert["id"] for cert in first["imported"])
    assert snapshot(appliance) == before


def test_a_duplicate_inside_one_import_is_stored_once(appliance, hierarchy):
    inter = hierarchy[1]
    leaf = material.make_leaf(inter)
    files = [("a.pem", material.cert_pem(leaf.cert, inter.cert)), ("b.der", material.cert_der(leaf.cert))]
    result = appliance.import_files(files)
    assert sorted(cert["id"] for cert in result["imported"]) == sorted([leaf.id, inter.id])
    assert len(result["items"]) == 3


def test_a_signed_request_completes_and_names_the_certificate_and_a_renewal_reuses_the_key(appliance, hierarchy):
    root, inter = hierarchy
    key = appliance.create_key("site key", "ec")
    request = appliance.create_request("Support 2026-11", key["id"], SUBJECT, SANS)
    signed = material.sign_request(request["pem"], inter)
    result = appliance.import_files(
        [("signed.cer", material.cert_der(signed)), ("ca.p7b", material.pkcs7_der(inter.cert, root.cert))]
    )
    cert_id = fingerprints.certificate_fingerprint(signed).replace(":", "")[:16]
    cert = appliance.get_certificate(cert_id)
    assert result["keys_imported"] == []
    assert cert["friendly_name"] == "Support 2026-11"
    assert (cert["private_key_available"], cert["key_id"]) == (True, key["id"])
    assert appliance.get_request(request["id"])["status"] == "completed"
    assert appliance.get_request(request["id"])["certificate_id"] == cert_id

    renewal = appliance.create_request("Support 2027-11", key["id"], SUBJECT, SANS)
    renewed = material.sign_request(renewal["pem"], inter, days=120)
    result = appliance.import_files([("renewed.pem", material.cert_pem(renewed))])
    renewed_id = fingerprints.certificate_fingerprint(renewed).replace(":", "")[:16]
    [new] = result["imported"]
    assert new["id"] == renewed_id
    assert (new["friendly_name"], new["key_id"], new["chain_status"]) == ("Support 2027-11", key["id"], "complete")
    assert appliance.get_request(renewal["id"])["certificate_id"] == renewed_id
    assert appliance.get_key(key["id"])["used_by"]["certificates"] == [cert_id, renewed_id]


def test_a_given_friendly_name_wins_over_the_request_and_still_completes_it(appliance, hierarchy):
    key = appliance.create_key("site key", "ec")
    request = appliance.create_request("From request", key["id"], SUBJECT, SANS)
    signed = material.sign_request(request["pem"], hierarchy[1])
    result = appliance.import_files(
        [("signed.pem", material.cert_pem(signed, hierarchy[1].cert))], friendly_name="Given"
    )
    names = {cert["role"]: cert["friendly_name"] for cert in result["imported"]}
    assert names == {"server": "Given", "intermediate": "Example Issuing CA"}
    assert appliance.get_request(request["id"])["status"] == "completed"


def test_a_missing_root_leaves_the_chain_incomplete_until_it_is_imported(appliance, hierarchy):
    root, inter = hierarchy
    leaf = material.make_leaf(inter)
    appliance.import_files([("leaf.pem", material.cert_pem(leaf.cert)), ("site.key", material.pkcs8_pem(leaf.key))])
    incomplete = appliance.get_certificate(leaf.id)
    assert incomplete["chain_status"] == "incomplete"
    assert incomplete["missing_issuer"] == inter.cert.subject.rfc4514_string()
    assert any("http://pki.example.com/ca.cer" in warning for warning in incomplete["chain_warnings"])
    appliance.import_files([("inter.pem", material.cert_pem(inter.cert))])
    assert appliance.get_certificate(leaf.id)["missing_issuer"] == root.cert.subject.rfc4514_string()
    result = appliance.import_files([("root.cer", material.cert_der(root.cert))])
    complete = appliance.get_certificate(leaf.id)
    assert result["changed"] is True
    assert complete["chain_status"] == "complete"
    assert complete["chain"] == [leaf.fingerprint, inter.fingerprint, root.fingerprint]
    assert complete["chain_warnings"] == []
    assert complete["missing_issuer"] is None


def test_a_key_imported_later_makes_the_certificate_bindable(appliance, hierarchy, changes):
    leaf = material.make_leaf(hierarchy[1])
    first = appliance.import_files([("leaf.pem", material.cert_pem(leaf.cert))])
    assert first["imported"][0]["private_key_available"] is False
    appliance.add_ip_address("127.0.0.2")
    assert refused(lambda: appliance.set_bindings(leaf.id, ["127.0.0.2"])).error == "private_key_unavailable"
    second = appliance.import_files(
        [("leaf.p12", material.pkcs12_modern(leaf.key, leaf.cert))], passphrase=material.PASSPHRASE
    )
    assert second["changed"] is True
    assert [cert["id"] for cert in second["imported"]] == [leaf.id]
    assert second["imported"][0]["private_key_available"] is True
    assert len(second["keys_imported"]) == 1
    assert appliance.set_bindings(leaf.id, ["127.0.0.2"])["ip_addresses"] == ["127.0.0.2"]


def test_a_key_alone_attaches_to_its_certificate_already_on_the_appliance(appliance, hierarchy):
    leaf = material.make_leaf(hierarchy[1])
    appliance.import_files([("leaf.pem", material.cert_pem(leaf.cert))])
    result = appliance.import_files([("leaf.key", material.legacy_pem(leaf.key))])
    assert result["changed"] is True
    assert [cert["id"] for cert in result["imported"]] == [leaf.id]
    assert appliance.get_certificate(leaf.id)["private_key_available"] is True


def test_an_imported_key_that_is_already_an_appliance_key_is_reused(appliance, hierarchy):
    key = appliance.create_key("site key", "ec")
    request = appliance.create_request("Req", key["id"], SUBJECT, SANS)
    signed = material.sign_request(request["pem"], hierarchy[1])
    appliance.import_files([("signed.pem", material.cert_pem(signed))])
    cert_id = fingerprints.certificate_fingerprint(signed).replace(":", "")[:16]
    exported = appliance.export_certificate(
        cert_id, "pkcs12", include_private_key=True, passphrase=material.EXPORT_PASSPHRASE
    )
    again = appliance.import_files(
        [("again.p12", base64.b64decode(exported["content_base64"]))], passphrase=material.EXPORT_PASSPHRASE
    )
    assert again["changed"] is False
    assert again["keys_imported"] == []
    assert [item["id"] for item in appliance.list_keys()].count(key["id"]) == 1


# --- export ------------------------------------------------------------------------------------


def test_export_pem_gives_the_certificate_and_its_chain_leaf_first(appliance, env):
    before = snapshot(appliance)
    with_chain = appliance.export_certificate(env.bound.id, "pem", include_chain=True)
    alone = appliance.export_certificate(env.bound.id, "pem", include_chain=False)
    expected = [env.bound.fingerprint, env.inter.fingerprint, env.root.fingerprint]
    assert with_chain["certificates"] == expected
    exported = x509.load_pem_x509_certificates(with_chain["content"].encode())
    assert [fingerprints.certificate_fingerprint(cert) for cert in exported] == expected
    assert alone["certificates"] == [env.bound.fingerprint]
    assert with_chain["format"] == "pem"
    assert with_chain["includes_private_key"] is False
    assert with_chain["filename"] == "bound.example.com.pem"
    assert "content_base64" not in with_chain
    assert snapshot(appliance) == before


@pytest.mark.parametrize("legacy", [False, True])
def test_export_pkcs12_with_the_key_opens_with_the_passphrase(appliance, env, legacy):
    before = snapshot(appliance)
    result = appliance.export_certificate(
        env.bound.id, "pkcs12", include_private_key=True, passphrase=material.EXPORT_PASSPHRASE, legacy=legacy
    )
    loaded = pkcs12.load_pkcs12(base64.b64decode(result["content_base64"]), material.EXPORT_PASSPHRASE.encode())
    assert fingerprints.public_key_fingerprint(loaded.key) == env.bound.public_key_fingerprint
    assert fingerprints.certificate_fingerprint(loaded.cert.certificate) == env.bound.fingerprint
    assert len(loaded.additional_certs) == 2
    assert result["includes_private_key"] is True
    assert result["filename"].endswith(".p12")
    assert "content" not in result
    assert snapshot(appliance) == before


def test_export_pkcs12_without_the_key_works_for_a_certificate_without_key(appliance, env):
    result = appliance.export_certificate(env.keyless.id, "pkcs12", passphrase=material.EXPORT_PASSPHRASE)
    loaded = pkcs12.load_pkcs12(base64.b64decode(result["content_base64"]), material.EXPORT_PASSPHRASE.encode())
    assert loaded.key is None
    assert result["includes_private_key"] is False


# --- delete ------------------------------------------------------------------------------------


def test_unbound_certificates_and_ca_certificates_can_be_deleted(appliance, env):
    appliance.delete_certificate(env.keyless.id)
    appliance.delete_certificate(env.root.id)
    remaining = {cert["id"] for cert in appliance.list_certificates()}
    assert env.keyless.id not in remaining
    assert env.root.id not in remaining
    assert appliance.get_certificate(env.bound.id)["chain_status"] == "incomplete"


def test_deleting_a_certificate_keeps_its_key_and_the_completed_request(appliance, hierarchy):
    key = appliance.create_key("site key", "ec")
    request = appliance.create_request("Req", key["id"], SUBJECT, SANS)
    signed = material.sign_request(request["pem"], hierarchy[1])
    appliance.import_files([("signed.pem", material.cert_pem(signed))])
    cert_id = fingerprints.certificate_fingerprint(signed).replace(":", "")[:16]
    appliance.delete_certificate(cert_id)
    assert appliance.get_key(key["id"])["used_by"] == {"requests": [request["id"]], "certificates": []}
    assert appliance.get_request(request["id"])["status"] == "completed"


# --- bindings ----------------------------------------------------------------------------------


def test_set_bindings_moves_addresses_and_returns_the_unlisted_to_the_factory_default(
    appliance, env, hierarchy, changes
):
    other = material.make_leaf(hierarchy[1], "other.example.com")
    appliance.import_files(
        [("other.p12", material.pkcs12_modern(other.key, other.cert))], passphrase=material.PASSPHRASE
    )
    appliance.set_bindings(env.bound.id, ["127.0.0.2", "127.0.0.3"])
    result = appliance.set_bindings(other.id, ["127.0.0.3", "127.0.0.4"])
    assert result == {"certificate_id": other.id, "ip_addresses": ["127.0.0.3", "127.0.0.4"]}
    assert appliance.get_bindings(env.bound.id) == {"certificate_id": env.bound.id, "ip_addresses": ["127.0.0.2"]}
    appliance.set_bindings(other.id, ["127.0.0.4"])
    served = {ip["address"]: (ip["certificate_id"], ip["serving"]) for ip in appliance.list_ip_addresses()}
    assert served == {
        "127.0.0.2": (env.bound.id, "certificate"),
        "127.0.0.3": (env.factory_default_id, "factory_default"),
        "127.0.0.4": (other.id, "certificate"),
    }
    assert appliance.get_certificate(env.factory_default_id)["ip_addresses"] == ["127.0.0.3"]
    assert len(changes) == 4  # the import (it may complete a served chain) and one per set_bindings


def test_setting_the_same_bindings_again_changes_nothing(appliance, env, changes):
    before = snapshot(appliance)
    appliance.set_bindings(env.bound.id, ["127.0.0.2"])
    assert snapshot(appliance) == before
    assert changes == []


def test_binding_the_factory_default_unbinds_and_unbind_returns_one_address(appliance, env, changes):
    appliance.set_bindings(env.bound.id, ["127.0.0.2", "127.0.0.3"])
    appliance.set_bindings(env.factory_default_id, ["127.0.0.2"])
    assert appliance.get_bindings(env.bound.id)["ip_addresses"] == ["127.0.0.3"]
    appliance.unbind(env.bound.id, "127.0.0.3")
    assert appliance.get_bindings(env.bound.id)["ip_addresses"] == []
    assert appliance.get_bindings(env.factory_default_id)["ip_addresses"] == ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    appliance.unbind(env.bound.id, "127.0.0.3")
    assert len(changes) == 3


def test_tls_material_serves_the_bound_chain_and_key_or_the_factory_default(appliance, env):
    chain_pem, key_pem, served = appliance.tls_material("127.0.0.2")
    certs = x509.load_pem_x509_certificates(chain_pem)
    assert served == env.bound.id
    assert [fingerprints.certificate_fingerprint(cert) for cert in certs] == [
        env.bound.fingerprint,
        env.inter.fingerprint,
    ]
    assert fingerprints.public_key_fingerprint(serialization.load_pem_private_key(key_pem, None)) == (
        env.bound.public_key_fingerprint
    )
    default_chain, default_key, default_id = appliance.tls_material("127.0.0.3")
    [default_cert] = x509.load_pem_x509_certificates(default_chain)
    assert default_id == env.factory_default_id
    assert default_cert.public_key() == serialization.load_pem_private_key(default_key, None).public_key()


def test_a_failing_on_change_callback_does_not_undo_the_change(tmp_path, caplog):
    def broken():
        raise RuntimeError("listener down")

    store = Store(tmp_path)
    appliance = Appliance(store, IDENTITY, on_change=broken)
    ip, created = appliance.add_ip_address("127.0.0.2")
    assert created is True
    assert appliance.list_ip_addresses() == [ip]
    assert "on_change" in caplog.text
    store.close()


# --- refusals ----------------------------------------------------------------------------------


def _req(appliance, env, friendly_name="New request", key_id=None, subject=None, sans=None):
    return appliance.create_request(
        friendly_name, key_id or env.key_id, SUBJECT if subject is None else subject, SANS if sans is None else sans
    )


def _vector(path: str) -> bytes:
    with cryptography_vectors.open_vector_file(path, "rb") as handle:
        return handle.read()


def _p12(env):
    return material.pkcs12_modern(env.bound.key, env.bound.cert)


REFUSALS = [
    (
        "ip-not-loopback",
        lambda a, e: a.add_ip_address("10.0.0.1"),
        422,
        "invalid_ip_address",
        ["10.0.0.1", "127.0.0.0/8"],
    ),
    ("ip-v6", lambda a, e: a.add_ip_address("::1"), 422, "invalid_ip_address", ["::1", "127.0.0.0/8"]),
    (
        "ip-text",
        lambda a, e: a.add_ip_address("localhost"),
        422,
        "invalid_ip_address",
        ["not an ip address", "127.0.0.2"],
    ),
    ("ip-not-text", lambda a, e: a.add_ip_address(7), 422, "invalid_ip_address", ["must be text", "127.0.0.0/8"]),
    ("ip-remove-unknown", lambda a, e: a.remove_ip_address("127.0.0.99"), 404, "not_found", ["127.0.0.99"]),
    ("ip-remove-invalid", lambda a, e: a.remove_ip_address("8.8.8.8"), 422, "invalid_ip_address", ["8.8.8.8"]),
    ("key-type", lambda a, e: a.create_key("k", "dsa"), 422, "unsupported_key", ["'dsa'", "use type 'rsa'"]),
    ("key-size", lambda a, e: a.create_key("k", "rsa", 1024), 422, "unsupported_key", ["1024", "use 2048"]),
    ("key-curve", lambda a, e: a.create_key("k", "ec", curve="P-521"), 422, "unsupported_key", ["p-521", "p-256"]),
    ("key-rsa-curve", lambda a, e: a.create_key("k", "rsa", curve="P-256"), 422, "invalid_spec", ["curve", "drop"]),
    ("key-size-text", lambda a, e: a.create_key("k", "rsa", "big"), 422, "invalid_spec", ["'big'", "2048"]),
    ("key-name-empty", lambda a, e: a.create_key("  ", "ec"), 422, "invalid_spec", ["key name", "give"]),
    ("key-name-long", lambda a, e: a.create_key("k" * 300, "ec"), 422, "invalid_spec", ["300 characters", "shorten"]),
    ("key-exists", lambda a, e: a.create_key("site-key", "rsa"), 409, "key_exists", ["site-key", "another name"]),
    ("key-unknown", lambda a, e: a.get_key("key-000000000000"), 404, "not_found", ["key-000000000000"]),
    ("key-delete-unknown", lambda a, e: a.delete_key("key-000000000000"), 404, "not_found", ["key-000000000000"]),
    ("key-in-use-request", lambda a, e: a.delete_key(e.key_id), 409, "key_in_use", ["request", "delete those first"]),
    (
        "key-in-use-certificate",
        lambda a, e: a.delete_key(a.get_certificate(e.bound.id)["key_id"]),
        409,
        "key_in_use",
        ["certificate", "delete those first"],
    ),
    ("request-unknown-key", lambda a, e: _req(a, e, key_id="key-000000000000"), 404, "not_found", ["key-000000000000"]),
    (
        "request-country",
        lambda a, e: _req(a, e, subject={"common_name": "Support", "country_name": "USA"}),
        422,
        "invalid_spec",
        ["usa", "country"],
    ),
    (
        "request-cn-not-first-san",
        lambda a, e: _req(a, e, subject={"common_name": "www.example.com"}),
        422,
        "invalid_spec",
        ["www.example.com", "first subject alternative name"],
    ),
    ("request-san-prefix", lambda a, e: _req(a, e, sans=["support.example.com"]), 422, "invalid_spec", ["dns:"]),
    (
        "request-subject-field",
        lambda a, e: _req(a, e, subject={"cn": "x"}),
        422,
        "invalid_spec",
        ["'cn'", "common_name"],
    ),
    ("request-no-name", lambda a, e: _req(a, e, subject={}, sans=[]), 422, "invalid_spec", ["neither", "add"]),
    ("request-friendly-empty", lambda a, e: _req(a, e, friendly_name=""), 422, "invalid_spec", ["friendly name"]),
    (
        "request-exists",
        lambda a, e: _req(a, e, friendly_name="Pending 2026"),
        409,
        "request_exists",
        ["pending 2026", "another friendly name"],
    ),
    ("request-unknown", lambda a, e: a.get_request("req-000000000000"), 404, "not_found", ["req-000000000000"]),
    ("request-delete-unknown", lambda a, e: a.delete_request("req-0"), 404, "not_found", ["req-0"]),
    (
        "self-signed-days",
        lambda a, e: a.create_self_signed("S", e.key_id, SUBJECT, SANS, 0),
        422,
        "invalid_spec",
        ["0 days", "choose a validity"],
    ),
    (
        "self-signed-unknown-key",
        lambda a, e: a.create_self_signed("S", "key-000000000000", SUBJECT, SANS, 30),
        404,
        "not_found",
        ["key-000000000000"],
    ),
    ("import-no-files", lambda a, e: a.import_files([]), 422, "invalid_spec", ["no files", "give"]),
    (
        "import-garbage",
        lambda a, e: a.import_files([("notes.txt", b"hello world")]),
        422,
        "unrecognized_format",
        ["notes.txt", "pkcs#12", "tried"],
    ),
    (
        "import-too-large",
        lambda a, e: a.import_files([("big.pem", b"A" * (1024 * 1024 + 1))]),
        413,
        "input_too_large",
        ["big.pem", "1 mib"],
    ),
    (
        "import-passphrase-required",
        lambda a, e: a.import_files([("site.p12", _p12(e))]),
        422,
        "passphrase_required",
        ["site.p12", "give the password"],
    ),
    (
        "import-wrong-passphrase",
        lambda a, e: a.import_files([("site.p12", _p12(e))], passphrase="not-the-one"),
        422,
        "wrong_passphrase",
        ["site.p12", "check the passphrase"],
    ),
    (
        "import-key-passphrase-required",
        lambda a, e: a.import_files([("site.key", material.pkcs8_pem_encrypted(e.bound.key))]),
        422,
        "passphrase_required",
        ["site.key", "give the passphrase"],
    ),
    (
        "import-key-without-certificate",
        lambda a, e: a.import_files([("orphan.key", material.pkcs8_pem(e.orphan_key))]),
        422,
        "key_without_certificate",
        ["orphan.key", "belongs to no certificate", "together with its certificate"],
    ),
    (
        "import-good-then-bad",
        lambda a, e: a.import_files([("new.pem", material.cert_pem(e.fresh.cert)), ("junk.bin", b"\x00\x01junk")]),
        422,
        "unrecognized_format",
        ["junk.bin"],
    ),
    (
        "import-ed25519-key",
        lambda a, e: a.import_files([("ed.key", material.pkcs8_pem(ed25519.Ed25519PrivateKey.generate()))]),
        422,
        "unsupported_key",
        ["ed25519", "rsa"],
    ),
    (
        "import-friendly-name-control",
        lambda a, e: a.import_files([("new.pem", material.cert_pem(e.fresh.cert))], friendly_name="a\nb"),
        422,
        "invalid_spec",
        ["control character", "one line"],
    ),
    (
        "import-passphrase-nul",
        lambda a, e: a.import_files([("site.p12", _p12(e))], passphrase="a\x00b"),
        422,
        "invalid_spec",
        ["nul character", "without it"],
    ),
    (
        "import-passphrase-not-text",
        lambda a, e: a.import_files([("site.p12", _p12(e))], passphrase=1234),
        422,
        "invalid_spec",
        ["must be text", "string"],
    ),
    (
        "import-not-pairs",
        lambda a, e: a.import_files(["site.pem"]),
        422,
        "invalid_spec",
        ["(name, content) pairs", "give each file"],
    ),
    (
        "request-sans-not-a-list",
        lambda a, e: _req(a, e, sans="DNS:support.example.com"),
        422,
        "invalid_spec",
        ["must be a list", "dns:"],
    ),
    (
        "export-passphrase-nul",
        lambda a, e: a.export_certificate(e.bound.id, "pkcs12", passphrase="long\x00enough"),
        422,
        "invalid_spec",
        ["nul character"],
    ),
    (
        "import-duplicate-extension",
        lambda a, e: a.import_files(
            [("ok.pem", material.cert_pem(e.fresh.cert)), ("two.pem", _vector("x509/custom/two_basic_constraints.pem"))]
        ),
        422,
        "unrecognized_format",
        ["two.pem", "cannot be used", "duplicate", "ask the ca"],
    ),
    (
        "import-unreadable-sct",
        lambda a, e: a.import_files([("sct.der", _vector("x509/badssl-sct-none-hash.der"))]),
        422,
        "unrecognized_format",
        ["sct.der", "cannot be used", "ask the ca"],
    ),
    (
        "import-unknown-key-algorithm",
        lambda a, e: a.import_files([("gost.der", _vector("x509/e-trust.ru.der"))]),
        422,
        "unrecognized_format",
        ["gost.der", "cannot be used", "unknown key type"],
    ),
    ("export-unknown", lambda a, e: a.export_certificate("0000000000000000"), 404, "not_found", ["0000000000000000"]),
    (
        "export-pem-with-key",
        lambda a, e: a.export_certificate(e.bound.id, "pem", include_private_key=True, passphrase="long-enough"),
        422,
        "passphrase_required",
        ["never as pem", "use format 'pkcs12' with a passphrase"],
    ),
    (
        "export-pkcs12-without-passphrase",
        lambda a, e: a.export_certificate(e.bound.id, "pkcs12", include_private_key=True),
        422,
        "passphrase_required",
        ["none was given", "give a passphrase"],
    ),
    (
        "export-short-passphrase",
        lambda a, e: a.export_certificate(e.bound.id, "pkcs12", passphrase="abc"),
        422,
        "invalid_spec",
        ["shorter than 4", "longer passphrase"],
    ),
    (
        "export-key-unavailable",
        lambda a, e: a.export_certificate(e.keyless.id, "pkcs12", include_private_key=True, passphrase="long-enough"),
        409,
        "private_key_unavailable",
        ["not on this appliance", "without its private key"],
    ),
    (
        "export-format",
        lambda a, e: a.export_certificate(e.bound.id, "der"),
        422,
        "unsupported_format",
        ["'der'", "'pkcs12'"],
    ),
    ("delete-bound", lambda a, e: a.delete_certificate(e.bound.id), 409, "certificate_bound", ["127.0.0.2", "unbind"]),
    (
        "delete-factory-default",
        lambda a, e: a.delete_certificate(e.factory_default_id),
        409,
        "factory_default",
        ["factory default", "assign your own certificate"],
    ),
    ("delete-unknown", lambda a, e: a.delete_certificate("0000000000000000"), 404, "not_found", ["0000000000000000"]),
    (
        "bind-keyless",
        lambda a, e: a.set_bindings(e.keyless.id, ["127.0.0.3"]),
        409,
        "private_key_unavailable",
        ["private key", "not available", "with its private key", "passphrase", "pkcs#12", "from the server", "import"],
    ),
    (
        "bind-intermediate",
        lambda a, e: a.set_bindings(e.inter.id, ["127.0.0.3"]),
        422,
        "not_a_server_certificate",
        ["ca certificate", "intermediate", "assign the server certificate"],
    ),
    (
        "bind-root",
        lambda a, e: a.set_bindings(e.root.id, ["127.0.0.3"]),
        422,
        "not_a_server_certificate",
        ["ca certificate", "root"],
    ),
    (
        "bind-unknown-ip",
        lambda a, e: a.set_bindings(e.bound.id, ["127.0.0.3", "127.0.0.9"]),
        422,
        "unknown_ip_address",
        ["127.0.0.9", "network/ip-addresses"],
    ),
    (
        "bind-invalid-ip",
        lambda a, e: a.set_bindings(e.bound.id, ["192.168.1.1"]),
        422,
        "invalid_ip_address",
        ["192.168.1.1", "127.0.0.0/8"],
    ),
    ("bind-not-a-list", lambda a, e: a.set_bindings(e.bound.id, "127.0.0.3"), 422, "invalid_ip_address", ["list"]),
    ("bind-unknown-cert", lambda a, e: a.set_bindings("0000000000000000", []), 404, "not_found", ["0000000000000000"]),
    ("bindings-unknown-cert", lambda a, e: a.get_bindings("0000000000000000"), 404, "not_found", ["0000000000000000"]),
    ("unbind-unknown-ip", lambda a, e: a.unbind(e.bound.id, "127.0.0.9"), 422, "unknown_ip_address", ["127.0.0.9"]),
    (
        "unbind-unknown-cert",
        lambda a, e: a.unbind("0000000000000000", "127.0.0.2"),
        404,
        "not_found",
        ["0000000000000000"],
    ),
    ("tls-unknown-address", lambda a, e: a.tls_material("127.0.0.9"), 404, "not_found", ["127.0.0.9"]),
    ("certificate-unknown", lambda a, e: a.get_certificate("nope"), 404, "not_found", ["nope"]),
]


@pytest.fixture
def refusal_env(appliance, env, hierarchy):
    env.orphan_key = material.ec_key()
    env.fresh = material.make_leaf(hierarchy[1], "fresh.example.com")
    return env


@pytest.mark.parametrize(
    ("call", "status", "error", "words"), [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS]
)
def test_refusals_name_the_problem_and_the_fix_and_change_nothing(
    appliance, refusal_env, changes, call, status, error, words
):
    before = snapshot(appliance)
    exc = refused(lambda: call(appliance, refusal_env))
    body = exc.as_dict()
    assert (exc.status, body["error"]) == (status, error), body
    for word in words:
        assert word in body["message"].lower(), (word, body["message"])
    json.dumps(body)
    assert snapshot(appliance) == before
    assert changes == []


def test_a_refused_binding_moves_no_address(appliance, env):
    before = appliance.list_ip_addresses()
    refused(lambda: appliance.set_bindings(env.bound.id, ["127.0.0.3", "127.0.0.9"]))
    assert appliance.list_ip_addresses() == before


def test_key_without_certificate_names_the_public_key_fingerprint(appliance):
    key = material.ec_key()
    exc = refused(lambda: appliance.import_files([("orphan.key", material.pkcs8_pem(key))]))
    assert fingerprints.public_key_fingerprint(key) in exc.message
    assert exc.details["public_key_fingerprint"] == fingerprints.public_key_fingerprint(key)


# --- no key material, concurrency ----------------------------------------------------------------


def test_no_result_or_refusal_carries_key_material_or_a_passphrase(tmp_path, hierarchy):
    store, plain = open_appliance(tmp_path)
    appliance = Recorder(plain)
    env = populate(appliance, hierarchy)
    leaf = material.make_leaf(hierarchy[1], "scan.example.com")
    files = [("leaf.pem", material.cert_pem(leaf.cert)), ("leaf.key", material.pkcs8_pem_encrypted(leaf.key))]
    appliance.import_files(files, passphrase=material.PASSPHRASE)
    appliance.create_key("rsa key", "rsa", 2048)
    key = appliance.create_key("ec key", "ec")
    appliance.create_self_signed("Self", key["id"], {"common_name": material.SITE}, SANS, 10)
    appliance.export_certificate(env.bound.id, "pem")
    appliance.export_certificate(env.bound.id, "pkcs12", passphrase=material.EXPORT_PASSPHRASE)
    for call in (
        lambda: appliance.import_files(
            [("x.p12", material.pkcs12_modern(leaf.key, leaf.cert))], passphrase="wrong-pass"
        ),
        lambda: appliance.import_files([("o.key", material.pkcs8_pem(material.ec_key()))]),
        lambda: appliance.export_certificate(env.bound.id, "pem", include_private_key=True, passphrase="secret-pass"),
        lambda: appliance.set_bindings(env.keyless.id, ["127.0.0.3"]),
    ):
        refused(call)
    for method in ("list_keys", "list_requests", "list_certificates", "list_ip_addresses", "status_basics"):
        getattr(appliance, method)()
    text = "\n".join(appliance.outputs)
    with store.read() as tx:
        pems = [row["private_key_pem"] for row in tx.all_keys()]
    store.close()
    assert len(pems) >= 5
    assert "PRIVATE KEY" not in text
    for pem in pems:
        private = serialization.load_pem_private_key(pem.encode(), None)
        for fragment in material.key_der_base64(private):
            assert fragment not in text
    for secret in (material.PASSPHRASE, material.EXPORT_PASSPHRASE, "wrong-pass", "secret-pass"):
        assert secret not in text


def test_concurrent_operations_leave_a_consistent_store(opened, hierarchy):
    store, appliance = opened
    root, inter = hierarchy
    for number in range(2, 6):
        appliance.add_ip_address(f"127.0.0.{number}")
    leaves = [material.make_leaf(inter, f"host{number}.example.com") for number in range(6)]
    failures = []

    def work(index: int) -> None:
        try:
            leaf = leaves[index]
            appliance.import_files(
                [("l.p12", material.pkcs12_modern(leaf.key, leaf.cert, [inter.cert, root.cert]))],
                passphrase=material.PASSPHRASE,
            )
            appliance.set_bindings(leaf.id, [f"127.0.0.{2 + index % 4}"])
            appliance.list_certificates()
            appliance.create_key(f"key {index}", "ec")
        except Exception as exc:  # collected and reported by the assertion below
            failures.append(repr(exc))

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(leaves))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert store.consistency_problems() == []
    assert len(appliance.list_certificates()) == 1 + 2 + len(leaves)
    assert all(ip["serving"] == "certificate" for ip in appliance.list_ip_addresses())


def test_views_after_adds_and_deletes_match_a_freshly_opened_appliance(opened, hierarchy):
    store, appliance = opened
    root, inter = hierarchy
    leaf = material.make_leaf(inter)
    other_root, other_inter = material.make_hierarchy("Other")
    other = material.make_leaf(other_inter, "other.example.com")
    appliance.import_files([("leaf.pem", material.cert_pem(leaf.cert, inter.cert))])
    appliance.import_files([("other.pem", material.cert_pem(other.cert, other_inter.cert, other_root.cert))])
    appliance.list_certificates()
    appliance.import_files([("root.pem", material.cert_pem(root.cert))])
    appliance.delete_certificate(other_inter.id)
    appliance.list_certificates()
    appliance.delete_certificate(inter.id)
    appliance.import_files([("inter.pem", material.cert_pem(inter.cert, other_inter.cert))])
    fresh = Appliance(store, IDENTITY)
    assert snapshot(appliance) == snapshot(fresh)
    chains = {cert["id"]: cert["chain_status"] for cert in appliance.list_certificates()}
    assert (chains[leaf.id], chains[other.id]) == ("complete", "complete")
