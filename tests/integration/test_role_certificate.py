# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role bomgar.pki.certificate through ansible-playbook against reference appliances.

The role is included by a play that sets no connection options (the role sets them from the
inventory), and by the collection's playbooks issue.yml and renew.yml with the demo spec in git.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, formats, keys, subject_fields
from cryptography.hazmat.primitives import serialization
from harness import ROOT, PlaybookRun, api_state
from harness import run_playbook as shared_run_playbook

ADDRESSES = ["127.0.0.2", "127.0.0.3"]
NAME = "support.example.com"
ROLE = {"name": "certificate role", "ansible.builtin.include_role": {"name": "bomgar.pki.certificate"}}
RESULT_TASK = "bomgar.pki.certificate : Record the result (certificate_result)"
SHOW_RESULT = {"name": "certificate_result after the role", "ansible.builtin.debug": {"var": "certificate_result"}}
BIND_TASK = "bomgar.pki.certificate : Bind the certificate to its IP addresses and check what each serves"
SPEC = {
    "certificate_name": NAME,
    "certificate_subject": {"common_name": "Example Support", "country_name": "US", "organization_name": "Example"},
    "certificate_subject_alt_name": ["DNS:support.example.com", "DNS:*.example.com"],
}
_RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


# --- helpers ------------------------------------------------------------------------------------


def run_role(play, appliance, tmp_path, check=False, diff=False, after=(), **variables) -> PlaybookRun:
    """The role on one appliance (then the tasks ``after``), with the spec plus ``variables``; no connection options."""
    extra = {**SPEC, "certificate_support_bundle_dir": str(tmp_path / "bundles"), **variables}
    return play(
        {"appliance": appliance},
        [ROLE, *after],
        extra_vars=extra,
        connection_defaults=False,
        check=check,
        diff=diff,
    )


def recap(run: PlaybookRun) -> dict:
    """``{host: {ok, changed, unreachable, failed}}`` from the PLAY RECAP."""
    return {
        host: dict(zip(("ok", "changed", "unreachable", "failed"), map(int, counts), strict=True))
        for host, *counts in _RECAP.findall(run.stdout)
    }


def outcome(run: PlaybookRun, host: str | None = None) -> dict:
    """The role's certificate_result fact, as the task that recorded it set it (on ``host``, or the only host).

    The appliances that keep their certificate get it from one task for the batch (a loop with one item per
    appliance, facts delegated to it); the others from a task of their own.
    """
    entries = [r for r in run.results if r["task"] == RESULT_TASK and r["status"] != "skipped"]
    for entry in reversed(entries):
        result = entry["result"]
        for item in result.get("results") or [result]:
            target = item.get("item") if "results" in result else entry["host"]
            if (host is None or target == host) and "ansible_facts" in item:
                return item["ansible_facts"]["certificate_result"]
    raise AssertionError(f"no {RESULT_TASK!r} for {host or 'the host'}\n{run.stdout[-3000:]}")


def certificates(handle) -> list:
    with handle.client() as client:
        return client.get("certificates").json()


def by_fingerprint(handle, fingerprint: str) -> dict:
    return next(cert for cert in certificates(handle) if cert["sha256_fingerprint"] == fingerprint)


def served(handle) -> dict:
    """What each address serves over TLS: fingerprints, leaf first."""
    return {address: handle.served_fingerprints(address) for address in handle.ip_addresses}


def fingerprint_of(cert) -> str:
    der = cert.public_bytes(serialization.Encoding.DER)
    return ":".join(f"{byte:02x}" for byte in hashlib.sha256(der).digest())


def pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def ca_pair(common_name: str):
    """A root and an issuing CA made with the PKI core: (root, issuing, issuing key)."""
    spec = keys.KeySpec.create("ec")
    root_key = keys.generate_private_key(spec)
    root = builder.create_ca_certificate(
        root_key, subject_fields.SubjectSpec(common_name=f"{common_name} Root"), path_length=1
    )
    issuing_key = keys.generate_private_key(spec)
    issuing = builder.create_ca_certificate(
        issuing_key,
        subject_fields.SubjectSpec(common_name=f"{common_name} Issuing"),
        days=1000,
        issuer_cert=root,
        issuer_key=root_key,
        path_length=0,
    )
    return root, issuing, issuing_key


def run_playbook(workdir: Path, playbook: str, inventories: list, check=False, diff=False, extra_vars=None):
    """One of the collection's playbooks with ansible-playbook, as a user runs it."""
    arguments = [str(ROOT / "playbooks" / playbook)]
    for inventory in inventories:
        arguments += ["-i", str(inventory)]
    arguments += ["--check"] if check else []
    arguments += ["--diff"] if diff else []
    arguments += ["-e", json.dumps(extra_vars)] if extra_vars else []
    return shared_run_playbook(workdir, arguments)


# --- self_signed ----------------------------------------------------------------------------------


def test_self_signed_issue_then_nothing_to_do(appliance_factory, play, tmp_path):
    appliance = appliance_factory(ip_addresses=ADDRESSES)

    first = run_role(play, appliance, tmp_path)
    assert first.rc == 0, first.stdout[-4000:]
    result = outcome(first)
    assert result["action"] == "issue"
    assert "no certificate named 'support.example.com'" in result["reasons"][0]
    assert re.fullmatch(r"support\.example\.com \d{8}-\d{6}", result["friendly_name"])
    cert = by_fingerprint(appliance, result["sha256_fingerprint"])
    assert cert["self_signed"] and cert["friendly_name"] == result["friendly_name"]
    assert sorted(cert["ip_addresses"]) == ADDRESSES
    assert served(appliance) == {address: [cert["sha256_fingerprint"]] for address in ADDRESSES}
    # A self-signed root is not one the factory software trusts: the bundle for the vendor is written.
    assert result["software_update_required"] is True
    assert result["root_fingerprint"] == result["sha256_fingerprint"], "a self-signed certificate is its own root"
    assert Path(result["bundle"]).is_file()
    assert f"Send {result['bundle']} to the vendor" in first.stdout

    before = api_state(appliance)
    second = run_role(play, appliance, tmp_path, after=[SHOW_RESULT])
    assert second.rc == 0, second.stdout[-4000:]
    assert recap(second)["appliance"]["changed"] == 0
    again = outcome(second)
    # The fact is the appliance's own after the role, as for an appliance that got a new certificate.
    assert second.result(SHOW_RESULT["name"])["certificate_result"] == again
    assert again["action"] == "none"
    assert again["reasons"][0].startswith("nothing to do:")
    assert again["sha256_fingerprint"] == result["sha256_fingerprint"]
    assert again["bundle"] is None
    assert api_state(appliance) == before


def test_spec_change_reissues_with_the_same_key(appliance, play, tmp_path):
    first = outcome(run_role(play, appliance, tmp_path))
    old = by_fingerprint(appliance, first["sha256_fingerprint"])

    wider = [*SPEC["certificate_subject_alt_name"], "DNS:remote.example.org"]
    run = run_role(play, appliance, tmp_path, certificate_subject_alt_name=wider)
    assert run.rc == 0, run.stdout[-4000:]
    result = outcome(run)
    assert result["action"] == "reissue"
    assert "adds DNS:remote.example.org" in result["reasons"][0]
    assert result["previous_fingerprint"] == old["sha256_fingerprint"]
    new = by_fingerprint(appliance, result["sha256_fingerprint"])
    assert "DNS:remote.example.org" in new["subject_alt_name"]
    assert new["public_key_fingerprint"] == old["public_key_fingerprint"], "a spec change keeps the key"
    assert new["friendly_name"] != old["friendly_name"]
    assert served(appliance) == {appliance.ip_addresses[0]: [new["sha256_fingerprint"]]}
    assert by_fingerprint(appliance, old["sha256_fingerprint"])["ip_addresses"] == [], "kept, unbound"


# --- local_ca -------------------------------------------------------------------------------------


def local_ca_vars(tmp_path) -> dict:
    return {
        "certificate_provider": "local_ca",
        "certificate_local_ca_cert": str(tmp_path / "ca" / "issuing.pem"),
        "certificate_local_ca_key": str(tmp_path / "ca" / "issuing.key"),
        "certificate_local_ca_create": True,
    }


def test_local_ca_created_ca_and_complete_chain_served(appliance_factory, play, tmp_path):
    appliance = appliance_factory(ip_addresses=ADDRESSES)
    run = run_role(play, appliance, tmp_path, **local_ca_vars(tmp_path))
    assert run.rc == 0, run.stdout[-4000:]
    result = outcome(run)
    assert result["action"] == "issue"
    root_file = tmp_path / "ca" / "root.pem"
    assert (tmp_path / "ca" / "issuing.pem").is_file() and root_file.is_file()
    assert oct((tmp_path / "ca" / "issuing.key").stat().st_mode & 0o777) == "0o600"

    cert = by_fingerprint(appliance, result["sha256_fingerprint"])
    assert cert["chain_status"] == "complete" and len(cert["chain"]) == 3
    root = formats.certificates(formats.load_file(str(root_file)))[0]
    assert cert["chain"][-1] == fingerprint_of(root)
    for address in ADDRESSES:
        assert appliance.served_fingerprints(address) in (cert["chain"], cert["chain"][:-1])
    assert result["software_update_required"] is True and Path(result["bundle"]).is_file()


def test_renewal_keeps_the_key_and_rekey_makes_a_new_one(appliance, play, tmp_path):
    ca = local_ca_vars(tmp_path)
    issued = outcome(run_role(play, appliance, tmp_path, certificate_days=1, **ca))
    first = by_fingerprint(appliance, issued["sha256_fingerprint"])

    # One day of validity, renewal due while 99.9 % of it is left: due at once.
    run = run_role(play, appliance, tmp_path, certificate_days=1, certificate_renew_before_percent=99.9, **ca)
    assert run.rc == 0, run.stdout[-4000:]
    renewed = outcome(run)
    assert renewed["action"] == "renew"
    assert "due for renewal" in renewed["reasons"][0]
    assert renewed["previous_fingerprint"] == first["sha256_fingerprint"]
    second = by_fingerprint(appliance, renewed["sha256_fingerprint"])
    assert second["public_key_fingerprint"] == first["public_key_fingerprint"], "renewal reuses the key"
    assert second["key_id"] == first["key_id"]
    assert second["friendly_name"] != first["friendly_name"]
    assert appliance.served_fingerprints()[0] == second["sha256_fingerprint"]

    run = run_role(play, appliance, tmp_path, certificate_rekey=True, **ca)
    assert run.rc == 0, run.stdout[-4000:]
    rekeyed = outcome(run)
    assert rekeyed["action"] == "reissue"
    assert "new key" in rekeyed["reasons"][0]
    third = by_fingerprint(appliance, rekeyed["sha256_fingerprint"])
    assert third["public_key_fingerprint"] != second["public_key_fingerprint"]
    with appliance.client() as client:
        key = client.get(f"keys/{third['key_id']}").json()
    assert key["name"] == third["friendly_name"], "a re-key names the new key after the new friendly name"
    assert appliance.served_fingerprints()[0] == third["sha256_fingerprint"]
    # certificate_keep_previous=1: the renewed certificate stays (unbound); the first one is deleted.
    remaining = {cert["sha256_fingerprint"] for cert in certificates(appliance)}
    assert second["sha256_fingerprint"] in remaining
    assert first["sha256_fingerprint"] not in remaining


# --- manual ---------------------------------------------------------------------------------------


def test_manual_two_phases(appliance, play, tmp_path):
    requests, drop = tmp_path / "requests", tmp_path / "drop"
    manual = {
        "certificate_provider": "manual",
        "certificate_manual_request_dir": str(requests),
        "certificate_manual_drop_dir": str(drop),
    }
    default_served = served(appliance)

    first = run_role(play, appliance, tmp_path, **manual)
    assert first.rc == 0, first.stdout[-4000:]
    assert recap(first)["appliance"]["failed"] == 0
    waiting = first.result("bomgar.pki.certificate : Record that the request waits for the CA")["ansible_facts"][
        "certificate_result"
    ]
    request_file = Path(waiting["waiting_for"])
    assert request_file.parent == requests and request_file.suffix == ".csr"
    assert f"Hand {request_file} to the CA" in first.stdout
    assert str(drop) in first.stdout
    csr = formats.load_csr(request_file.read_bytes())
    assert waiting["sha256_fingerprint"] is None
    assert served(appliance) == default_served, "nothing is bound before the CA answered"
    assert drop.is_dir(), "the role makes the folder where the CA's answer goes"

    # A run before the CA answered changes nothing.
    waiting_again = run_role(play, appliance, tmp_path, **manual)
    assert waiting_again.rc == 0 and recap(waiting_again)["appliance"]["changed"] == 0

    # The CA's answer: the signed certificate as DER, the issuing CA and root as PEM, plus an unrelated
    # certificate (another key) and a note, which are left alone.
    root, issuing, issuing_key = ca_pair("Manual CA")
    leaf = builder.sign_csr(csr, issuing, issuing_key, days=90)
    (drop / "signed.cer").write_bytes(leaf.public_bytes(serialization.Encoding.DER))
    (drop / "issuing.pem").write_bytes(pem(issuing))
    (drop / "root.pem").write_bytes(pem(root))
    other_key = keys.generate_private_key(keys.KeySpec.create("ec"))
    other_csr = builder.build_csr(
        other_key, subject_fields.SubjectSpec(common_name="other.example.com"), ["DNS:other.example.com"]
    )
    (drop / "other.pem").write_bytes(pem(builder.sign_csr(other_csr, issuing, issuing_key, days=90)))
    (drop / "README.txt").write_text("signed by the manual CA\n")

    second = run_role(play, appliance, tmp_path, **manual)
    assert second.rc == 0, second.stdout[-4000:]
    result = outcome(second)
    assert result["action"] == "issue"
    assert result["friendly_name"] == waiting["friendly_name"], "the request of the first phase is taken up"
    assert result["sha256_fingerprint"] == fingerprint_of(leaf)
    cert = by_fingerprint(appliance, fingerprint_of(leaf))
    assert cert["chain_status"] == "complete" and cert["chain"][-1] == fingerprint_of(root)
    assert appliance.served_fingerprints()[0] == fingerprint_of(leaf)
    assert all(c["subject"].get("common_name") != "other.example.com" for c in certificates(appliance))
    imported = second.result("bomgar.pki.certificate : Import the CA's answer from the drop folder, when it is there")
    assert imported["waiting"] is False
    assert sorted(Path(entry["source"]).name for entry in imported["left_out"]) == ["README.txt", "other.pem"]
    assert result["root_fingerprint"] == fingerprint_of(root)
    assert result["software_update_required"] is True, "the manual CA's root is not one the software trusts"

    third = run_role(play, appliance, tmp_path, **manual)
    assert third.rc == 0 and recap(third)["appliance"]["changed"] == 0
    assert outcome(third)["action"] == "none"


# --- verification failure -------------------------------------------------------------------------


def test_failed_check_rebinds_the_previous_certificate(appliance_factory, play, tmp_path):
    appliance = appliance_factory(ip_addresses=ADDRESSES)
    previous = outcome(run_role(play, appliance, tmp_path))["sha256_fingerprint"]

    wrong_port = appliance.site_port + 1
    run = run_role(play, appliance, tmp_path, certificate_force=True, certificate_site_port=wrong_port)
    assert run.rc != 0
    failure = run.result("bomgar.pki.certificate : Fail with what the addresses served")
    assert failure["failed"]
    message = failure["msg"]
    assert f"127.0.0.2:{wrong_port}" in message and "site_port" in message, message
    assert "Restored the previous bindings" in message
    # The new certificate was imported and bound, failed its check, and the previous one serves again.
    bound = run.result(BIND_TASK)
    assert bound["failed"] and bound["certificate"]["sha256_fingerprint"] != previous
    assert served(appliance) == {address: [previous] for address in ADDRESSES}
    assert sorted(by_fingerprint(appliance, previous)["ip_addresses"]) == ADDRESSES


# --- bad variables --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"certificate_provider": "letsencrypt"},
            "certificate_provider must be one of: self_signed, local_ca, manual, acme",
        ),
        ({"certificate_key_size": 1024}, "certificate_key_size must be one of: 2048, 3072, 4096"),
        (
            {"certificate_subject": {"cn": "Support"}},
            "certificate_subject.cn. Supported parameters include: common_name",
        ),
        ({"certificate_days": "a year"}, "certificate_days"),
        ({"certificate_name": None}, "certificate_name"),
        ({"certificate_provider": "local_ca"}, "certificate_provider local_ca needs certificate_local_ca_cert"),
        (
            {"certificate_hostnames": ["support.example.com", "a.b.example.com"]},
            "certificate_hostnames a.b.example.com are not covered",
        ),
        (
            {"certificate_renew_before_days": 30, "certificate_renew_before_percent": 10},
            "mutually exclusive",
        ),
    ],
    ids=[
        "provider",
        "key_size",
        "subject_field",
        "days_type",
        "name_missing",
        "local_ca_paths",
        "uncovered",
        "renew_both",
    ],
)
def test_bad_variables_fail_before_anything_is_written(shared_appliance, play, tmp_path, variables, message):
    before = api_state(shared_appliance)
    extra = {**SPEC, **variables}
    extra = {name: value for name, value in extra.items() if value is not None}
    run = play({"appliance": shared_appliance}, [ROLE], extra_vars=extra, connection_defaults=False)
    assert run.rc != 0
    failed = [entry for entry in run.results if entry["status"] == "failed"]
    assert len(failed) == 1, [entry["task"] for entry in failed]
    assert message in failed[0]["result"]["msg"], failed[0]["result"]["msg"]
    assert not any(entry["result"].get("changed") for entry in run.results)
    assert api_state(shared_appliance) == before


# --- the playbooks with the demo spec -------------------------------------------------------------


def test_renew_playbook_plans_in_check_mode_and_applies_without(fleet_factory, tmp_path):
    fleet = fleet_factory(2)
    primary = fleet.primary
    inventories = [fleet.inventory_path, ROOT / "inventories" / "demo"]
    demo_dir = {"bomgar_demo_dir": str(tmp_path / "demo")}

    before = api_state(primary)
    plan = run_playbook(tmp_path / "plan", "renew.yml", inventories, check=True, diff=True, extra_vars=demo_dir)
    assert plan.rc == 0, plan.stdout[-4000:]
    assert api_state(primary) == before, "check mode changed the appliance"
    assert not (tmp_path / "demo" / "ca").exists(), "check mode created the CA"
    hosts = {entry["host"] for entry in plan.results if entry["task"].endswith(": Plan")}
    primary_host = next(iter(hosts))
    assert len(hosts) == 1, "renew.yml runs on the primaries"
    lines = plan.result("bomgar.pki.certificate : Plan", primary_host)["msg"]
    assert lines[0].startswith("Issue: support.example.com ")
    assert any(line.startswith("Why: no certificate named 'support.example.com'") for line in lines)
    assert "Check mode: nothing is changed." in lines
    assert "Plan" in plan.stdout and "Why: " in plan.stdout

    applied = run_playbook(tmp_path / "apply", "renew.yml", inventories, extra_vars=demo_dir)
    assert applied.rc == 0, applied.stdout[-4000:]
    result = outcome(applied, primary_host)
    assert result["action"] == "issue"
    cert = by_fingerprint(primary, result["sha256_fingerprint"])
    assert set(cert["subject_alt_name"]) == {"DNS:support.example.com", "DNS:*.example.com"}
    assert cert["chain_status"] == "complete"
    assert primary.served_fingerprints()[0] == cert["sha256_fingerprint"]
    summary = applied.result("What was done on each appliance, and why")["msg"]["Done"]
    assert summary[primary_host]["action"] == "issue"

    before = api_state(primary)
    again = run_playbook(tmp_path / "again", "issue.yml", inventories, extra_vars=demo_dir)
    assert again.rc == 0 and recap(again)[primary_host]["changed"] == 0
    assert api_state(primary) == before

    # The spec in git gains a name: the check-mode plan says what would change and why, and changes nothing.
    wider = {
        **demo_dir,
        "certificate_subject_alt_name": ["DNS:support.example.com", "DNS:*.example.com", "DNS:remote.example.org"],
    }
    plan = run_playbook(tmp_path / "plan2", "renew.yml", inventories, check=True, diff=True, extra_vars=wider)
    assert plan.rc == 0, plan.stdout[-4000:]
    lines = plan.result("bomgar.pki.certificate : Plan", primary_host)["msg"]
    assert lines[0].startswith("Reissue: support.example.com ")
    assert "adds DNS:remote.example.org" in " ".join(lines)
    assert any(line.startswith("Key: reuse ") for line in lines)
    assert api_state(primary) == before


def test_issue_playbook_summary_says_the_request_waits_for_the_ca_never_done(fleet_factory, tmp_path):
    """A manual request that waits for the CA is listed as waiting, with what to do; "Done" only once imported."""
    fleet = fleet_factory(1)
    primary = fleet.primary
    inventories = [fleet.inventory_path, ROOT / "inventories" / "demo"]
    requests, drop = tmp_path / "requests", tmp_path / "drop"
    manual = {
        "bomgar_demo_dir": str(tmp_path / "demo"),
        "certificate_provider": "manual",
        "certificate_manual_request_dir": str(requests),
        "certificate_manual_drop_dir": str(drop),
    }
    summary_task = "What was done on each appliance, and why"

    first = run_playbook(tmp_path / "first", "issue.yml", inventories, extra_vars=manual)
    assert first.rc == 0, first.stdout[-4000:]
    summary = first.result(summary_task)["msg"]
    assert "Done" not in summary, summary
    [(title, waiting)] = summary.items()
    assert title.startswith("Not done, waiting for the CA: hand each request file (waiting_for) to the CA")
    assert "run this playbook again" in title
    [(host, entry)] = waiting.items()
    request_file = Path(entry["waiting_for"])
    assert request_file.parent == requests and request_file.is_file()
    assert entry["answer_to"] == str(drop)
    assert entry["sha256_fingerprint"] is None
    summary_output = first.stdout[first.stdout.index(f"TASK [{summary_task}]") :]
    assert '"Done"' not in summary_output and "waiting for the CA" in summary_output

    root, issuing, issuing_key = ca_pair("Manual CA")
    leaf = builder.sign_csr(formats.load_csr(request_file.read_bytes()), issuing, issuing_key, days=90)
    (drop / "signed.pem").write_bytes(pem(leaf))
    (drop / "chain.pem").write_bytes(pem(issuing) + pem(root))

    second = run_playbook(tmp_path / "second", "issue.yml", inventories, extra_vars=manual)
    assert second.rc == 0, second.stdout[-4000:]
    summary = second.result(summary_task)["msg"]
    assert list(summary) == ["Done"], summary
    assert summary["Done"][host]["action"] == "issue"
    assert summary["Done"][host]["sha256_fingerprint"] == fingerprint_of(leaf)
    assert "waiting_for" not in summary["Done"][host]
    assert primary.served_fingerprints()[0] == fingerprint_of(leaf)


def test_what_an_interrupted_run_left_is_cleaned_up_and_said(appliance, play, tmp_path):
    first = run_role(play, appliance, tmp_path)
    assert first.rc == 0, first.stdout[-3000:]
    kept = outcome(first)["sha256_fingerprint"]
    # A run killed after it made its key and request, before the import: both stay behind. Beside them, a
    # request someone made by hand with a name that starts the same, which is not the role's to remove.
    with appliance.client() as client:
        for name in ("support.example.com 20260101-000000", "support.example.com by hand"):
            key = client.post("keys", json={"name": name, "type": "ec", "curve": "P-256"}).json()
            made = client.post(
                "certificate-requests",
                json={
                    "friendly_name": name,
                    "key_id": key["id"],
                    "subject": {},
                    "subject_alt_name": SPEC["certificate_subject_alt_name"],
                },
            )
            assert made.status_code == 201, made.text

    planned = run_role(play, appliance, tmp_path, check=True)
    assert planned.rc == 0, planned.stdout[-3000:]
    assert "Cleanup: delete the pending request(s) 'support.example.com 20260101-000000'" in planned.stdout
    assert "by hand" not in planned.stdout.split("Cleanup:")[1].split("\n")[0]

    cleaned = run_role(play, appliance, tmp_path)
    assert cleaned.rc == 0, cleaned.stdout[-3000:]
    assert outcome(cleaned)["action"] == "none" and outcome(cleaned)["sha256_fingerprint"] == kept
    with appliance.client() as client:
        requests = [request["friendly_name"] for request in client.get("certificate-requests").json()]
        keys = [key["name"] for key in client.get("keys").json()]
    assert "support.example.com 20260101-000000" not in requests + keys
    assert "support.example.com by hand" in requests and "support.example.com by hand" in keys

    again = run_role(play, appliance, tmp_path)
    assert again.rc == 0 and recap(again)["appliance"]["changed"] == 0
