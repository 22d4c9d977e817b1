# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.appliance_csr through ansible-playbook against a reference appliance."""

from __future__ import annotations

import base64
import datetime

from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, hostnames, keys, subject_fields
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from harness import api_state

SPEC = {
    "friendly_name": "support.example.com 2026-11",
    "common_name": "support.example.com",
    "country_name": "US",
    "state_or_province_name": "California",
    "organization_name": "Example Inc.",
    "subject_alt_name": ["DNS:support.example.com", "DNS:remote.example.com"],
}


def csr_task(title, **args):
    return {"name": title, "bomgar.pki.appliance_csr": args, "ignore_errors": True}


def requests_named(handle, friendly_name):
    with handle.client() as client:
        return [r for r in client.get("certificate-requests").json() if r["friendly_name"] == friendly_name]


def test_request_is_created_once_and_check_mode_predicts(appliance, play):
    hosts = {"appliance": appliance}
    before = api_state(appliance)
    check = play(hosts, [csr_task("request", **SPEC)], check=True, diff=True)
    predicted = check.result("request")
    assert predicted["changed"] is True and not predicted["failed"]
    assert predicted["diff"]["before"] == {}
    assert predicted["diff"]["after"]["subject_alt_name"] == SPEC["subject_alt_name"]
    assert predicted["key"]["name"] == SPEC["friendly_name"] and predicted["key"]["size"] == 2048
    assert "csr" not in predicted
    assert api_state(appliance) == before, "check mode wrote to the appliance"

    run = play(hosts, [csr_task("create", **SPEC), csr_task("again", **SPEC)], diff=True)
    created = run.result("create")
    assert created["changed"] is True, created
    assert created["request"]["status"] == "pending"
    assert created["key"]["name"] == SPEC["friendly_name"] and created["key"]["type"] == "rsa"
    assert created["request"]["public_key_fingerprint"] == created["key"]["public_key_fingerprint"]
    csr = x509.load_pem_x509_csr(created["csr"].encode())
    assert subject_fields.subject_from_name(csr.subject).as_dict() == {
        name: SPEC[name] for name in ("common_name", "country_name", "state_or_province_name", "organization_name")
    }
    assert [str(entry) for entry in hostnames.sans_from_certificate(csr)] == SPEC["subject_alt_name"]
    after = created["diff"]["after"]
    assert after["key"] == SPEC["friendly_name"] and after["status"] == "pending"
    assert "PRIVATE" not in str(created["diff"]) and "pem" not in after
    again = run.result("again")
    assert again["changed"] is False
    assert again["request"]["id"] == created["request"]["id"] and again["csr"] == created["csr"]

    state = api_state(appliance)
    assert play(hosts, [csr_task("request", **SPEC)], check=True).result("request")["changed"] is False
    assert api_state(appliance) == state


def test_changed_spec_replaces_the_pending_request(appliance, play, transport):
    hosts = {"appliance": appliance}
    first = play(hosts, [csr_task("create", **SPEC)]).result("create")
    assert first["changed"] is True
    changed_sans = {**SPEC, "subject_alt_name": ["DNS:support.example.com", "DNS:*.example.com"]}
    new_key = {**SPEC, "key": "support ec", "key_type": "ec", "key_curve": "P-384"}

    before = api_state(appliance)
    check = play(hosts, [csr_task("sans", **changed_sans)], check=True, diff=True).result("sans")
    assert check["changed"] is True
    assert api_state(appliance) == before

    sans = play(hosts, [csr_task("sans", **changed_sans)], diff=True).result("sans")
    assert sans["changed"] is True
    assert sans["diff"]["before"]["subject_alt_name"] == SPEC["subject_alt_name"]
    assert sans["diff"]["after"]["subject_alt_name"] == changed_sans["subject_alt_name"]
    assert sans["request"]["id"] != first["request"]["id"]
    assert sans["key"]["name"] == first["key"]["name"] == SPEC["friendly_name"]
    if transport == "api":
        assert sans["request"]["public_key_fingerprint"] == first["request"]["public_key_fingerprint"]
    else:
        # Over web Delete Request takes the request's key along (docs/web-interface.md): the new request gets a new
        # key of the same kind and name, and the diff shows it.
        assert (sans["key"]["type"], sans["key"]["size"]) == (first["key"]["type"], first["key"]["size"])
        assert sans["request"]["public_key_fingerprint"] != first["request"]["public_key_fingerprint"]
        assert sans["diff"]["after"]["public_key_fingerprint"] == sans["key"]["public_key_fingerprint"]
    remaining = requests_named(appliance, SPEC["friendly_name"])
    assert [r["public_key_fingerprint"] for r in remaining] == [sans["request"]["public_key_fingerprint"]]
    assert [r["subject_alt_name"] for r in remaining] == [changed_sans["subject_alt_name"]], "replaced, not added"

    before = api_state(appliance)
    rekeyed = play(hosts, [csr_task("key", **new_key)], diff=True).result("key")
    if transport == "web":
        # Over web a new key is named after the request that makes it: a key of another name is refused before
        # anything is deleted.
        assert rekeyed["failed"] and rekeyed["error"] == "not_possible_over_web", rekeyed
        assert "'support ec'" in rekeyed["msg"] and "state: absent" in rekeyed["msg"]
        assert api_state(appliance) == before
        return
    assert rekeyed["changed"] is True
    diff = rekeyed["diff"]
    assert diff["before"]["key"] == SPEC["friendly_name"] and diff["after"]["key"] == "support ec"
    assert diff["before"]["public_key_fingerprint"] != diff["after"]["public_key_fingerprint"]
    assert diff["after"]["public_key_fingerprint"] == rekeyed["key"]["public_key_fingerprint"]
    assert rekeyed["key"]["curve"] == "P-384"
    remaining = requests_named(appliance, SPEC["friendly_name"])
    assert [r["id"] for r in remaining] == [rekeyed["request"]["id"]], "the replaced request is still there"


def _sign_and_import(handle, csr_pem: str) -> None:
    ca_key = keys.generate_private_key(keys.KeySpec.create("ec"))
    ca_cert = builder.create_ca_certificate(ca_key, subject_fields.SubjectSpec(common_name="Test Root CA"), days=30)
    signed = builder.sign_csr(x509.load_pem_x509_csr(csr_pem.encode()), ca_cert, ca_key, days=20)
    files = [
        {"name": name, "content": base64.b64encode(cert.public_bytes(serialization.Encoding.PEM)).decode()}
        for name, cert in (("server.pem", signed), ("root.pem", ca_cert))
    ]
    with handle.client() as client:
        response = client.post("certificates/import", json={"files": files})
        assert response.status_code == 201, response.text


def test_completed_request_with_the_same_spec_is_unchanged(appliance, play):
    hosts = {"appliance": appliance}
    created = play(hosts, [csr_task("create", **SPEC)]).result("create")
    _sign_and_import(appliance, created["csr"])
    before = api_state(appliance)
    run = play(hosts, [csr_task("again", **SPEC)], diff=True)
    again = run.result("again")
    assert again["changed"] is False, again
    assert again["request"]["id"] == created["request"]["id"]
    assert again["request"]["status"] == "completed" and again["request"]["certificate_id"]
    assert again["csr"] == created["csr"]
    assert api_state(appliance) == before


def test_self_signed_certificate(appliance, play):
    hosts = {"appliance": appliance}
    spec = {
        "friendly_name": "lab.example.com self-signed",
        "common_name": "lab.example.com",
        "subject_alt_name": ["DNS:lab.example.com"],
        "key_type": "ec",
        "self_signed": True,
        # The appliance's own validity: the web's New Certificate form has no other (docs/web-interface.md).
        "self_signed_days": 365,
    }
    before = api_state(appliance)
    check = play(hosts, [csr_task("self-signed", **spec)], check=True, diff=True).result("self-signed")
    assert check["changed"] is True and check["diff"]["after"]["validity_days"] == 365
    assert api_state(appliance) == before

    changed = {**spec, "subject_alt_name": ["DNS:lab.example.com", "DNS:lab2.example.com"]}
    run = play(
        hosts,
        [csr_task("create", **spec), csr_task("again", **spec), csr_task("changed", **changed)],
        diff=True,
    )
    created = run.result("create")
    assert created["changed"] is True, created
    cert = created["certificate"]
    assert cert["self_signed"] is True and cert["private_key_available"] and cert["chain_status"] == "self_signed"
    assert cert["subject"] == {"common_name": "lab.example.com"} and cert["key_id"] == created["key"]["id"]
    assert "request" not in created and "csr" not in created
    assert created["diff"]["after"]["sha256_fingerprint"] == cert["sha256_fingerprint"]
    assert created["diff"]["after"]["not_after"] == cert["not_after"]
    lifetime = datetime.datetime.fromisoformat(cert["not_after"][:-1]) - datetime.datetime.fromisoformat(
        cert["not_before"][:-1]
    )
    assert datetime.timedelta(days=365) <= lifetime <= datetime.timedelta(days=365, minutes=6), lifetime

    again = run.result("again")
    assert again["changed"] is False and again["certificate"]["id"] == cert["id"]

    replaced = run.result("changed")
    assert replaced["changed"] is True
    assert replaced["diff"]["before"]["sha256_fingerprint"] == cert["sha256_fingerprint"]
    assert replaced["diff"]["after"]["subject_alt_name"] == changed["subject_alt_name"]
    assert replaced["certificate"]["public_key_fingerprint"] == cert["public_key_fingerprint"], "key reused"
    with appliance.client() as client:
        named = client.get("certificates", params={"friendly_name": spec["friendly_name"]}).json()
    assert {c["sha256_fingerprint"] for c in named} == {
        cert["sha256_fingerprint"],
        replaced["certificate"]["sha256_fingerprint"],
    }, "the old certificate must stay"


def test_absent_deletes_only_the_pending_request(appliance, play, transport):
    hosts = {"appliance": appliance}
    created = play(hosts, [csr_task("create", **SPEC)]).result("create")
    before = api_state(appliance)
    check = play(hosts, [csr_task("remove", friendly_name=SPEC["friendly_name"], state="absent")], check=True)
    assert check.result("remove")["changed"] is True
    assert api_state(appliance) == before

    run = play(
        hosts,
        [
            csr_task("remove", friendly_name=SPEC["friendly_name"], state="absent"),
            csr_task("remove again", friendly_name=SPEC["friendly_name"], state="absent"),
        ],
        diff=True,
    )
    removed = run.result("remove")
    assert removed["changed"] is True
    assert removed["diff"]["before"]["subject_alt_name"] == SPEC["subject_alt_name"]
    assert removed["diff"]["after"] == {}
    assert run.result("remove again")["changed"] is False
    assert requests_named(appliance, SPEC["friendly_name"]) == []
    after = api_state(appliance)
    for part in ("status/basics", "network/ip-addresses", "certificates"):
        assert after[part] == before[part], part
    key_names = {key["name"] for key in after["keys"]}
    if transport == "api":
        assert created["key"]["name"] in key_names, "the key stays"
        assert key_names == {key["name"] for key in before["keys"]}
    else:
        # Over web Delete Request takes the request's key along when nothing else uses it (docs/web-interface.md);
        # every other key stays.
        assert key_names == {key["name"] for key in before["keys"]} - {created["key"]["name"]}


def test_bad_input_fails_with_the_fix_and_changes_nothing(appliance, play):
    hosts = {"appliance": appliance}
    with appliance.client() as client:
        key = client.post("keys", json={"name": "existing rsa", "type": "rsa", "size": 2048})
        assert key.status_code == 201
        # A request uses the key: over web a key's kind is read from what uses it (docs/web-interface.md).
        request = {
            "friendly_name": "existing rsa",
            "key_id": key.json()["id"],
            "subject": {"common_name": "Example Support"},
            "subject_alt_name": ["DNS:support.example.com"],
        }
        assert client.post("certificate-requests", json=request).status_code == 201
    before = api_state(appliance)
    base = {"friendly_name": "bad", "common_name": "Example Support", "subject_alt_name": ["DNS:support.example.com"]}
    tasks = [
        csr_task("uk", **base, country_name="UK"),
        csr_task("cn", **{**base, "common_name": "www.example.com"}),
        csr_task("wildcard", **{**base, "subject_alt_name": ["DNS:*.com"]}),
        csr_task("small key", **base, key_size=1024),
        csr_task("unknown key", **base, key="no such key"),
        csr_task("key mismatch", **base, key="existing rsa", key_type="ec"),
        csr_task("no names", friendly_name="bad", country_name="US"),
        csr_task("friendly name", **{**base, "friendly_name": " bad"}),
        csr_task("days", **base, self_signed=True, self_signed_days=0),
    ]
    run = play(hosts, tasks)
    messages = {task["name"]: run.result(task["name"]) for task in tasks}
    assert all(result["failed"] for result in messages.values()), messages
    msg = {name: result["msg"] for name, result in messages.items()}
    assert "'UK'" in msg["uk"] and "'GB'" in msg["uk"]
    assert "www.example.com" in msg["cn"] and "first subject alternative name" in msg["cn"]
    assert "'DNS:www.example.com'" in msg["cn"]
    assert "*.com" in msg["wildcard"] and "'*.example.com'" in msg["wildcard"]
    assert "1024" in msg["small key"] and "2048" in msg["small key"]
    assert "'no such key'" in msg["unknown key"] and "'existing rsa'" in msg["unknown key"]
    assert "key_type" in msg["unknown key"]
    assert "RSA 2048" in msg["key mismatch"] and "EC P-256" in msg["key mismatch"]
    assert "common_name" in msg["no names"] and "DNS:" in msg["no names"]
    assert "whitespace" in msg["friendly name"] and "'bad'" in msg["friendly name"]
    assert "self_signed_days" in msg["days"]
    assert api_state(appliance) == before


def test_ip_san_gives_a_warning(appliance, play):
    args = {
        "friendly_name": "by address",
        "common_name": "Lab",
        "subject_alt_name": ["DNS:lab.example.com", "IP:127.0.0.2"],
    }
    result = play({"appliance": appliance}, [csr_task("ip", **args)]).result("ip")
    assert result["changed"] is True and not result["failed"]
    assert any("IP address SANs" in warning and "127.0.0.2" in warning for warning in result["warnings"]), result
