# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.appliance_certificate through ansible-playbook against reference appliances.

Certificates are put on the appliance as a user would, with bomgar.pki.appliance_csr
(``self_signed: true``) and bound with bomgar.pki.appliance_ip_binding; then they
are deleted by fingerprint (in any spelling) or id, and the refusals (a friendly
name, the factory default, a certificate that still serves an address) are shown
to delete nothing.
"""

from __future__ import annotations

import json

import serving_material
from ansible_collections.bomgar.pki.plugins.module_utils.pki import keys
from harness import api_state, secrets_of

ADDRESSES = ["127.0.0.2", "127.0.0.3"]
# What the diff and ``deleted`` show of a certificate: names, fingerprint, dates, bindings; never key material.
DIFF_FIELDS = (
    "friendly_name",
    "sha256_fingerprint",
    "subject",
    "issuer",
    "subject_alt_name",
    "not_before",
    "not_after",
    "chain_status",
    "ip_addresses",
)
UNKNOWN_FINGERPRINT = ":".join(["ab"] * 32)


def delete_task(title, certificates, **extra):
    task = {
        "name": title,
        "bomgar.pki.appliance_certificate": {"certificates": certificates, "state": "absent"},
        "ignore_errors": True,
    }
    task.update(extra)
    return task


def self_signed_task(title, friendly_name, *names):
    spec = {
        "friendly_name": friendly_name,
        "common_name": names[0],
        "subject_alt_name": [f"DNS:{name}" for name in names],
        "key_type": "ec",
        "self_signed": True,
    }
    return {"name": title, "bomgar.pki.appliance_csr": spec}


def make_certificates(play, hosts, tasks) -> dict:
    """Run the set-up tasks (appliance_csr, appliance_ip_binding); each task's result by its name."""
    run = play(hosts, tasks)
    assert run.rc == 0, run.stdout[-3000:]
    return {task["name"]: run.result(task["name"]) for task in tasks}


def certificates_on(handle) -> list:
    with handle.client() as client:
        return client.get("certificates").json()


def fingerprints_on(handle) -> set:
    return {cert["sha256_fingerprint"] for cert in certificates_on(handle)}


def diff_entry(cert: dict) -> dict:
    return {name: cert[name] for name in DIFF_FIELDS}


def test_delete_by_fingerprint_in_any_spelling_and_by_id(appliance, play):
    hosts = {"appliance": appliance}
    made = make_certificates(
        play,
        hosts,
        [
            self_signed_task("one", "lab one", "one.example.com"),
            self_signed_task("two", "lab two", "two.example.com"),
            self_signed_task("three", "lab three", "three.example.com"),
        ],
    )
    one, two, three = (made[title]["certificate"] for title in ("one", "two", "three"))
    default_fp = next(c["sha256_fingerprint"] for c in certificates_on(appliance) if c["factory_default"])
    assert len({one["id"], two["id"], three["id"]}) == 3
    keys_before = {key["id"] for key in api_state(appliance)["keys"]}

    run = play(
        hosts,
        [
            delete_task("by fingerprint", [one["sha256_fingerprint"]]),
            delete_task("by fingerprint again", [one["sha256_fingerprint"]]),
            delete_task("upper case without colons", [two["sha256_fingerprint"].replace(":", "").upper()]),
            delete_task("by id", [three["id"]]),
            delete_task("by id again", [three["id"]]),
            delete_task("never there", [UNKNOWN_FINGERPRINT, "no-such-id"]),
        ],
    )
    assert run.rc == 0, run.stdout[-3000:]

    first = run.result("by fingerprint")
    assert not first["failed"] and first["changed"] is True, first
    assert [entry["sha256_fingerprint"] for entry in first["deleted"]] == [one["sha256_fingerprint"]]
    assert first["deleted"][0]["friendly_name"] == "lab one"
    assert first["deleted"][0]["ip_addresses"] == []
    again = run.result("by fingerprint again")
    assert not again["failed"] and again["changed"] is False and again["deleted"] == []

    upper = run.result("upper case without colons")
    assert upper["changed"] is True
    assert [entry["sha256_fingerprint"] for entry in upper["deleted"]] == [two["sha256_fingerprint"]]

    by_id = run.result("by id")
    assert by_id["changed"] is True
    assert [entry["sha256_fingerprint"] for entry in by_id["deleted"]] == [three["sha256_fingerprint"]]
    assert by_id["deleted"][0]["friendly_name"] == "lab three"
    assert run.result("by id again")["changed"] is False

    never = run.result("never there")
    assert not never["failed"] and never["changed"] is False and never["deleted"] == []

    assert fingerprints_on(appliance) == {default_fp}, "only the factory default is left"
    assert {key["id"] for key in api_state(appliance)["keys"]} == keys_before, "the keys of deleted certificates stay"


def test_check_mode_predicts_and_diff_shows_the_certificates(appliance, play):
    hosts = {"appliance": appliance}
    made = make_certificates(
        play,
        hosts,
        [self_signed_task("one", "lab one", "one.example.com"), self_signed_task("two", "lab two", "two.example.com")],
    )
    one, two = made["one"]["certificate"], made["two"]["certificate"]
    listed = {cert["sha256_fingerprint"]: cert for cert in certificates_on(appliance)}
    expected = [diff_entry(listed[one["sha256_fingerprint"]]), diff_entry(listed[two["sha256_fingerprint"]])]
    refs = [one["sha256_fingerprint"], two["id"], one["id"], one["sha256_fingerprint"].upper()]

    before = api_state(appliance)
    check = play(hosts, [delete_task("delete", refs)], check=True, diff=True)
    predicted = check.result("delete")
    assert not predicted["failed"] and predicted["changed"] is True, predicted
    assert predicted["deleted"] == expected, "each certificate once, however often it is named"
    assert predicted["diff"] == {"before": {"certificates": expected}, "after": {"certificates": []}}
    assert api_state(appliance) == before, "check mode deleted something"

    run = play(hosts, [delete_task("delete", refs), delete_task("delete again", refs)], diff=True)
    deleted = run.result("delete")
    assert deleted["changed"] is True and deleted["deleted"] == expected
    assert deleted["diff"] == predicted["diff"], "check mode predicted the deletion"
    assert not any("pem" in entry or "key_id" in entry for entry in deleted["deleted"]), "no key material"
    assert one["sha256_fingerprint"] in run.stdout and "lab two" in run.stdout, "--diff shows the certificates"
    again = run.result("delete again")
    assert again["changed"] is False
    assert again["diff"] == {"before": {"certificates": []}, "after": {"certificates": []}}
    assert not {one["sha256_fingerprint"], two["sha256_fingerprint"]} & fingerprints_on(appliance)


def test_refusals_name_the_fix_and_delete_nothing(appliance_factory, play):
    appliance = appliance_factory(ip_addresses=ADDRESSES)
    hosts = {"appliance": appliance}
    made = make_certificates(
        play,
        hosts,
        [
            self_signed_task("free", "lab free", "free.example.com"),
            self_signed_task("renewed", "support renewed", "support.example.com"),
            self_signed_task("renewed again", "support renewed", "support.example.com", "remote.example.com"),
            self_signed_task("bound", "lab bound", "bound.example.com"),
            {
                "name": "bind",
                "bomgar.pki.appliance_ip_binding": {
                    "certificate": "lab bound",
                    "ip_addresses": ["127.0.0.3"],
                    "site_port": "{{ bomgar_site_port }}",
                },
            },
            # The factory default as the modules see it over the test's transport (its id is the transport's).
            {"name": "default", "bomgar.pki.appliance_certificate_info": {"certificates": ["Factory Default"]}},
        ],
    )
    free = made["free"]["certificate"]
    renewed = [made["renewed"]["certificate"], made["renewed again"]["certificate"]]
    bound = made["bound"]["certificate"]
    assert renewed[0]["id"] != renewed[1]["id"], "the renewal is a second certificate with the same friendly name"
    assert made["bind"]["changed"] is True and made["bind"]["ip_addresses"] == ["127.0.0.3"]
    [default] = made["default"]["certificates"]
    assert default["factory_default"] is True
    assert (
        default["sha256_fingerprint"]
        == next(c for c in certificates_on(appliance) if c["factory_default"])["sha256_fingerprint"]
    )

    before = api_state(appliance)
    run = play(
        hosts,
        [
            delete_task("friendly name", ["support renewed"]),
            delete_task("factory default", [default["sha256_fingerprint"]]),
            delete_task("factory default by id", [default["id"]]),
            delete_task("bound", [bound["sha256_fingerprint"].replace(":", "")]),
            delete_task("one of several", [free["sha256_fingerprint"], renewed[0]["id"], bound["id"]]),
            delete_task("all refusals at once", [free["id"], "support renewed", default["id"], bound["id"]]),
            delete_task("shortened fingerprint", [free["sha256_fingerprint"][:23] + "\u2026"]),
        ],
    )
    assert api_state(appliance) == before, "a refused deletion changed the appliance"

    expectations = {
        "friendly name": [
            "'support renewed' is a friendly name, carried by 2 certificate(s)",
            # Whole fingerprints and ids, to copy into the task.
            f"id {renewed[0]['id']}, fingerprint {renewed[0]['sha256_fingerprint']}",
            f"id {renewed[1]['id']}, fingerprint {renewed[1]['sha256_fingerprint']}",
            "SHA-256 fingerprint or id",
        ],
        "shortened fingerprint": ["is not a whole SHA-256 fingerprint", "Give the whole fingerprint"],
        "factory default": ["'Factory Default'", default["sha256_fingerprint"], "factory default certificate"],
        "factory default by id": ["factory default certificate", "cannot be deleted"],
        "bound": ["'lab bound'", bound["sha256_fingerprint"], "serves 127.0.0.3", "bomgar.pki.appliance_ip_binding"],
        "one of several": ["serves 127.0.0.3", "bomgar.pki.appliance_ip_binding"],
        "all refusals at once": ["is a friendly name", "factory default certificate", "serves 127.0.0.3"],
    }
    for title, fragments in expectations.items():
        result = run.result(title)
        assert result["failed"] and result["changed"] is False, (title, result)
        assert "Nothing was deleted." in result["msg"], (title, result["msg"])
        for fragment in fragments:
            assert fragment in result["msg"], (title, fragment, result["msg"])
    assert free["sha256_fingerprint"] not in run.result("one of several")["msg"], "the free one is not a problem"
    assert {free["sha256_fingerprint"], renewed[0]["sha256_fingerprint"]} <= fingerprints_on(appliance)
    assert appliance.served_fingerprints("127.0.0.3") == [bound["sha256_fingerprint"]], "still served"


def test_no_token_in_verbose_output(appliance, play, transport):
    hosts = {"appliance": appliance}
    made = make_certificates(play, hosts, [self_signed_task("one", "lab one", "one.example.com")])
    fingerprint = made["one"]["certificate"]["sha256_fingerprint"]
    run = play(
        hosts,
        [delete_task("delete", [fingerprint]), delete_task("refused", ["Factory Default"])],
        verbosity=3,
        diff=True,
    )
    assert run.rc == 0, run.stdout[-3000:]
    assert "task path" in run.stdout.lower(), "the run was not verbose"
    assert run.result("delete")["changed"] is True and run.result("refused")["failed"]
    assert fingerprint in run.stdout
    for secret in secrets_of(appliance):
        assert secret not in run.stdout and secret not in run.stderr
        assert secret not in json.dumps(run.results)
    credential = "password" if transport == "web" else "api_token"
    assert run.result("delete")["invocation"]["module_args"][credential] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_a_ca_certificate_that_completes_a_served_chain_is_not_deleted_unless_allowed(appliance, play, tmp_path):
    made = serving_material.chain()
    p12 = tmp_path / "support.p12"
    p12.write_bytes(keys.export_pkcs12(made.leaf_key, made.leaf, [made.intermediate, made.root], passphrase="p12-pass"))
    hosts = {"appliance": appliance}
    setup = make_certificates(
        play,
        hosts,
        [
            {
                "name": "import and bind",
                "bomgar.pki.appliance_cert_import": {
                    "src": [str(p12)],
                    "passphrase": "p12-pass",
                    "friendly_name": "support served",
                    "bind": {"ip_addresses": ["127.0.0.2"], "site_port": "{{ bomgar_site_port }}"},
                },
            }
        ],
    )
    leaf_fp, intermediate_fp, root_fp = setup["import and bind"]["chain"]["fingerprints"]
    before = api_state(appliance)
    run = play(hosts, [delete_task("root", [root_fp]), delete_task("intermediate", [intermediate_fp], check_mode=True)])
    assert api_state(appliance) == before, "a CA certificate of a served chain was deleted"
    for title, fingerprint in (("root", root_fp), ("intermediate", intermediate_fp)):
        result = run.result(title)
        assert result["failed"] and result["changed"] is False, title
        named = f"({fingerprint}) is in the chain of 'support served' ({leaf_fp}), which serves 127.0.0.2"
        assert named in result["msg"], result["msg"]
        assert "allow_chain_break: true" in result["msg"] and "Nothing was deleted." in result["msg"]

    forced = play(
        hosts,
        [{**delete_task("root anyway", [root_fp]), "bomgar.pki.appliance_certificate": {
            "certificates": [root_fp], "state": "absent", "allow_chain_break": True}}],
    )  # fmt: skip
    result = forced.result("root anyway")
    assert not result["failed"] and result["changed"] is True, result.get("msg")
    assert any("Deleted anyway because allow_chain_break is true" in warning for warning in result["warnings"])
    assert root_fp not in fingerprints_on(appliance)
