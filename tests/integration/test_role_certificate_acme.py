# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The certificate role's acme provider, controller mode, through ansible-playbook against Pebble.

Pebble (Debian's, strict mode, with its random nonce rejection and authorization reuse; tests/pebble.py) is the CA,
pebble-challtestsrv its DNS, a reference appliance the appliance. The controller orders with community.crypto taken
from the ``ansible`` package into build/optional-collections (``make optional-collections``); only these tests put
it on ANSIBLE_COLLECTIONS_PATH, so that the test of a controller without it runs without it. The DNS task file is
the one the collection ships for challtestsrv (examples/acme/dns-challtestsrv.yml), behind a file that records each
call.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from acme_helpers import (
    COMMUNITY_CRYPTO,
    OPTIONAL_COLLECTIONS,
    account_key_pem,
    crypto_env,
    dns_calls,
    import_root,
    recording_dns_tasks,
    verified_handshake,
)
from harness import PlaybookRun, api_state

ADDRESSES = ["127.0.0.2", "127.0.0.3"]
NAME = "support.example.com"
ROLE = {"name": "certificate role", "ansible.builtin.include_role": {"name": "bomgar.pki.certificate"}}
RESULT_TASK = "bomgar.pki.certificate : Record the result (certificate_result)"
PLAN_TASK = "bomgar.pki.certificate : Plan"
EAB_KEY_ID = "kid-bomgar-pki"
# Base64url of the 48-byte HMAC key the CA hands out for the external account binding.
EAB_HMAC = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"
NO_ARI = "the CA offers no renewal information (ARI): its directory has no renewalInfo"


# --- helpers ----------------------------------------------------------------------------------------------


def acme_vars(ca, dns_tasks: Path, key_pem: str, **changes) -> dict:
    variables = {
        "certificate_name": NAME,
        "certificate_subject_alt_name": [f"DNS:{NAME}", "DNS:*.example.com"],
        "certificate_key_type": "ec",
        "certificate_provider": "acme",
        "certificate_acme_directory": ca.directory_url,
        "certificate_acme_ca_path": str(ca.ca_bundle_path),
        "certificate_acme_account_key_content": key_pem,
        "certificate_acme_contact": ["pki-team@example.com"],
        "certificate_acme_dns_tasks": str(dns_tasks),
        "challtestsrv_url": f"http://127.0.0.1:{ca.challtestsrv_port}",
    }
    variables.update(changes)
    return variables


def run_role(play, appliance, tmp_path, variables: dict, env: dict | None = None, **options) -> PlaybookRun:
    extra = {"certificate_support_bundle_dir": str(tmp_path / "bundles"), **variables}
    return play({"appliance": appliance}, [ROLE], extra_vars=extra, connection_defaults=False, env=env, **options)


def outcome(run: PlaybookRun) -> dict:
    for entry in reversed(run.results):
        if entry["task"] == RESULT_TASK and entry["status"] != "skipped":
            result = entry["result"]
            for item in result.get("results") or [result]:
                if "ansible_facts" in item:
                    return item["ansible_facts"]["certificate_result"]
    raise AssertionError(f"no {RESULT_TASK!r}\n{run.stdout[-4000:]}")


def changed_count(run: PlaybookRun) -> int:
    return sum(1 for entry in run.results if entry["result"].get("changed"))


def secret_fragments(key_pem: str) -> dict:
    lines = [line for line in key_pem.splitlines() if line and not line.startswith("-----")]
    return {"EAB HMAC": EAB_HMAC, "account key line 1": lines[0], "account key line 2": lines[1]}


# --- the optional collection ----------------------------------------------------------------------------


def test_the_optional_community_crypto_has_what_the_role_uses():
    crypto_env()
    manifest = json.loads((COMMUNITY_CRYPTO / "MANIFEST.json").read_text(encoding="utf-8"))
    version = tuple(int(part) for part in manifest["collection_info"]["version"].split(".")[:3])
    assert version >= (3, 0, 0), version
    modules = COMMUNITY_CRYPTO / "plugins" / "modules"
    for module in ("acme_account", "acme_certificate", "acme_certificate_renewal_info", "acme_ari_info"):
        assert (modules / f"{module}.py").is_file(), module
    fragment = (COMMUNITY_CRYPTO / "plugins" / "doc_fragments" / "_acme.py").read_text(encoding="utf-8")
    assert "csr_content:" in fragment
    certificate = (modules / "acme_certificate.py").read_text(encoding="utf-8")
    assert "challenge_data_dns" in certificate
    # Only community.crypto is copied, and it runs on the ansible-core of this venv.
    assert sorted(p.name for p in (OPTIONAL_COLLECTIONS / "ansible_collections").iterdir()) == ["community"]
    assert sorted(p.name for p in (OPTIONAL_COLLECTIONS / "ansible_collections" / "community").iterdir()) == ["crypto"]
    from ansible.release import __version__ as core_version

    required = yaml.safe_load((COMMUNITY_CRYPTO / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    floor = required["requires_ansible"].lstrip(">=")
    assert tuple(int(p) for p in core_version.split(".")[:2]) >= tuple(int(p) for p in floor.split(".")[:2])


# --- controller mode against Pebble ---------------------------------------------------------------------


def test_issuance_over_dns01_served_and_a_rerun_changes_nothing(appliance_factory, pebble_factory, play, tmp_path):
    appliance = appliance_factory(ip_addresses=ADDRESSES)
    ca = pebble_factory(eab_keys={EAB_KEY_ID: EAB_HMAC}, eab_required=True)
    import_root(appliance, ca)
    env = crypto_env()
    key_pem = account_key_pem()
    dns_folder = tmp_path / "dns"
    variables = acme_vars(
        ca,
        recording_dns_tasks(dns_folder),
        key_pem,
        certificate_acme_eab_key_id=EAB_KEY_ID,
        certificate_acme_eab_hmac=EAB_HMAC,
    )

    # The plan in check mode: what would happen, and nothing changes.
    before = api_state(appliance)
    planned = run_role(play, appliance, tmp_path, variables, env=env, check=True)
    assert planned.rc == 0, planned.stdout[-4000:]
    lines = planned.result(PLAN_TASK)["msg"]
    assert lines[0].startswith(f"Issue: {NAME} ")
    assert any(
        line.startswith("Certificate: request on the appliance (its key stays there), ordered by the controller")
        and "over DNS-01" in line
        for line in lines
    ), lines
    assert api_state(appliance) == before
    assert dns_calls(dns_folder) == []

    first = run_role(play, appliance, tmp_path, variables, env=env, verbosity=3)
    assert first.rc == 0, first.stdout[-6000:]
    result = outcome(first)
    assert result["action"] == "issue"
    with appliance.client() as client:
        cert = next(
            c for c in client.get("certificates").json() if c["sha256_fingerprint"] == result["sha256_fingerprint"]
        )
    assert set(cert["subject_alt_name"]) == {f"DNS:{NAME}", "DNS:*.example.com"}
    assert cert["private_key_available"] and cert["friendly_name"] == result["friendly_name"]
    assert sorted(cert["ip_addresses"]) == ADDRESSES
    # The appliance serves it, with the chain Pebble sent, to a client that trusts Pebble's root.
    for address in ADDRESSES:
        leaf = verified_handshake(address, appliance.site_port, ca.roots_pem(), NAME)
        assert appliance.served_fingerprints(address)[0] == result["sha256_fingerprint"]
        assert leaf
    # Both records were set, then removed.
    calls = dns_calls(dns_folder)
    records = {line.split()[1] for line in calls}
    assert records == {f"_acme-challenge.{NAME}", "_acme-challenge.example.com"}, calls
    assert sorted(line.split()[0] for line in calls) == ["absent", "absent", "present", "present"], calls
    # Neither the account key nor the EAB HMAC shows, at -vvv, in any output or recorded result.
    assert "<appliance>" in first.stdout or "task path" in first.stdout.lower(), "the run was not verbose"
    places = {"stdout": first.stdout, "stderr": first.stderr, "results": json.dumps(first.results)}
    leaks = [
        f"{label} in {place}"
        for label, fragment in secret_fragments(key_pem).items()
        for place, text in places.items()
        if fragment in text
    ]
    assert not leaks, leaks

    # The next run: nothing to do, and why (Pebble has no ARI: the lifetime rule decides).
    state = api_state(appliance)
    second = run_role(play, appliance, tmp_path, variables, env=env)
    assert second.rc == 0, second.stdout[-4000:]
    again = outcome(second)
    assert again["action"] == "none" and again["sha256_fingerprint"] == result["sha256_fingerprint"]
    assert again["reasons"][0].startswith("nothing to do:")
    assert NO_ARI in again["reasons"][0]
    assert changed_count(second) == 0
    assert api_state(appliance) == state
    assert len(dns_calls(dns_folder)) == 4, "no order, no DNS change"


def test_a_failed_challenge_binds_nothing_and_the_previous_certificate_stays(
    appliance_factory, pebble_factory, play, tmp_path
):
    appliance = appliance_factory(ip_addresses=ADDRESSES)
    ca = pebble_factory()
    import_root(appliance, ca)
    env = crypto_env()
    key_pem = account_key_pem()
    first = run_role(play, appliance, tmp_path, acme_vars(ca, recording_dns_tasks(tmp_path / "dns"), key_pem), env=env)
    assert first.rc == 0, first.stdout[-6000:]
    previous = outcome(first)["sha256_fingerprint"]

    # A name more, and a DNS task file that sets nothing: the CA finds no TXT record for the new name (an
    # authorization of the other names may be reused, that of a new name never is).
    silent = tmp_path / "silent-dns"
    wider = [f"DNS:{NAME}", "DNS:*.example.com", "DNS:remote.example.org"]
    variables = acme_vars(ca, recording_dns_tasks(silent, set_records=False), key_pem)
    variables["certificate_subject_alt_name"] = wider
    failed = run_role(play, appliance, tmp_path, variables, env=env)
    assert failed.rc != 0
    message = failed.result("bomgar.pki.certificate : Say why the ACME order failed")["msg"]
    assert "The ACME order of support.example.com, *.example.com, remote.example.org" in message, message
    # What the CA said, for the first name it could not validate (another may come first when not reused).
    reason = message.split("failed:", 1)[1]
    assert "dns-01" in reason and "No TXT records found for DNS challenge" in reason, message
    assert "Nothing was imported or bound" in message
    assert f"{ADDRESSES[0]} serves {outcome(first)['friendly_name']}" in message
    # Nothing bound: the previous certificate still serves every address.
    for address in ADDRESSES:
        assert appliance.served_fingerprints(address)[0] == previous
    with appliance.client() as client:
        names = [cert["subject_alt_name"] for cert in client.get("certificates").json()]
    assert not any("DNS:remote.example.org" in sans for sans in names), "nothing was imported"
    # The records of the order were handed to the DNS file again to be removed.
    calls = dns_calls(silent)
    assert "absent _acme-challenge.remote.example.org" in " ".join(calls), calls


# --- refused before anything is changed --------------------------------------------------------------------


def test_a_controller_without_community_crypto_fails_at_once_saying_what_to_install(shared_appliance, play, tmp_path):
    key_file = tmp_path / "account.key"
    key_file.write_text(account_key_pem(), encoding="ascii")
    dns_tasks = recording_dns_tasks(tmp_path / "dns")
    variables = {
        "certificate_name": NAME,
        "certificate_subject_alt_name": [f"DNS:{NAME}"],
        "certificate_provider": "acme",
        "certificate_acme_directory": "https://acme.example.invalid/directory",
        "certificate_acme_account_key_src": str(key_file),
        "certificate_acme_dns_tasks": str(dns_tasks),
    }
    before = api_state(shared_appliance)
    # Only the collection under test: no optional collections, none from the Python packages either.
    run = run_role(play, shared_appliance, tmp_path, variables, env={"ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false"})
    assert run.rc != 0
    failed = [entry for entry in run.results if entry["status"] == "failed"]
    assert [entry["task"] for entry in failed] == [PLAN_TASK]
    message = failed[0]["result"]["msg"]
    assert (
        "certificate_provider acme with certificate_acme_mode controller orders with the collection "
        "community.crypto >= 3.0.0, which is not installed on the controller. Install it: ansible-galaxy "
        "collection install 'community.crypto>=3.0.0'"
    ) in message, message
    assert not any(entry["result"].get("changed") for entry in run.results)
    assert api_state(shared_appliance) == before


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"certificate_acme_directory": None},
            "certificate_provider acme needs certificate_acme_directory, the URL of the CA's ACME directory",
        ),
        (
            {
                "certificate_acme_mode": "appliance",
                "certificate_subject_alt_name": [f"DNS:{NAME}", "DNS:*.example.com"],
            },
            "certificate_acme_mode appliance cannot order *.example.com: the appliance's ACME client proves names "
            "over HTTP-01, which cannot prove a wildcard",
        ),
        ({"certificate_acme_mode": "dns"}, "certificate_acme_mode must be one of: controller, appliance"),
    ],
    ids=["no_directory", "wildcard_appliance", "mode"],
)
def test_refusals_before_anything_is_written(shared_appliance, play, tmp_path, variables, message):
    extra = {
        "certificate_name": NAME,
        "certificate_subject_alt_name": [f"DNS:{NAME}"],
        "certificate_provider": "acme",
        "certificate_acme_directory": "https://acme.example.invalid/directory",
        **variables,
    }
    extra = {name: value for name, value in extra.items() if value is not None}
    before = api_state(shared_appliance)
    run = run_role(play, shared_appliance, tmp_path, extra)
    assert run.rc != 0
    failed = [entry for entry in run.results if entry["status"] == "failed"]
    assert len(failed) == 1, [entry["task"] for entry in failed]
    assert message in failed[0]["result"]["msg"], failed[0]["result"]["msg"]
    assert not any(entry["result"].get("changed") for entry in run.results)
    assert api_state(shared_appliance) == before


# --- appliance mode: the plumbing to the appliance's own ACME client ------------------------------------------


def test_appliance_mode_has_the_appliance_order_over_http01_then_changes_nothing(
    appliance_factory, pebble_factory, play, tmp_path
):
    ca = pebble_factory()
    ca.add_a(NAME, ADDRESSES[0])
    appliance = appliance_factory(ip_addresses=ADDRESSES[:1], acme_http_port=ca.http_port)
    variables = {
        "certificate_name": NAME,
        "certificate_subject_alt_name": [f"DNS:{NAME}"],
        "certificate_key_type": "ec",
        "certificate_provider": "acme",
        "certificate_acme_mode": "appliance",
        "certificate_acme_directory": ca.directory_url,
        "certificate_acme_ca_path": str(ca.ca_bundle_path),
        "certificate_acme_contact": ["pki-team@example.com"],
        "certificate_acme_wait_timeout": 120,
    }
    first = run_role(play, appliance, tmp_path, variables)
    assert first.rc == 0, first.stdout[-6000:]
    lines = first.result(PLAN_TASK)["msg"]
    assert "Key: made and kept by the appliance's ACME client (ec-p256)" in lines
    result = outcome(first)
    assert result["action"] == "issue" and result["friendly_name"] == NAME
    with appliance.client() as client:
        configuration = client.get("acme").json()
    assert configuration["status"]["state"] == "valid"
    assert configuration["hostnames"] == [NAME] and configuration["key_type"] == "ec-p256"
    assert configuration["contact"] == ["mailto:pki-team@example.com"]
    assert configuration["status"]["certificate_sha256"] == result["sha256_fingerprint"].replace(":", "")
    leaf = verified_handshake(ADDRESSES[0], appliance.site_port, ca.roots_pem(), NAME)
    assert leaf and appliance.served_fingerprints(ADDRESSES[0])[0] == result["sha256_fingerprint"]

    second = run_role(play, appliance, tmp_path, variables)
    assert second.rc == 0, second.stdout[-4000:]
    again = outcome(second)
    assert again["action"] == "none" and again["sha256_fingerprint"] == result["sha256_fingerprint"]
    assert "the appliance's ACME client reports no ARI window for it" in again["reasons"][0]
    assert changed_count(second) == 0
