# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The certificate role's acme provider in its plan: the refusals, the decision, what the role's steps read.

Pure functions over the role's variables (without their prefix) and a trimmed appliance read, as in
test_issuance_plan.py; the plan module's own refusal of a controller without community.crypto at the end.
"""

from __future__ import annotations

import copy

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils import issuance_plan as cp
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic import certificate_plan
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import Context

NAME = "support.example.com"
CURRENT_NAME = f"{NAME} 20260401-000000"
FP_CURRENT = ":".join(["a1"] * 32)
FP_INTERMEDIATE = ":".join(["b2"] * 32)
ADDRESSES = ["10.0.0.1", "10.0.0.2"]
DIRECTORY = "https://acme.example.net/directory"
DNS_TASKS = "/srv/inventory/dns/nsupdate.yml"
KEY_FILE = "/srv/inventory/acme-account.key"
NOW = "2026-05-01T12:00:00Z"
PREFIX = "certificate_"
WINDOW = {"start": "2026-06-08T00:00:00Z", "end": "2026-06-10T00:00:00Z"}
FILES = {DNS_TASKS, KEY_FILE, "/srv/inventory/acme-ca.pem"}


def is_file(path: str) -> bool:
    return path in FILES


CURRENT = {
    "id": "cert-a",
    "friendly_name": CURRENT_NAME,
    "sha256_fingerprint": FP_CURRENT,
    # What an ACME CA writes: the first name as the common name, whatever the request said.
    "subject": {"common_name": NAME},
    "subject_alt_name": [f"DNS:{NAME}", "DNS:*.example.com"],
    "role": "server",
    "self_signed": False,
    "factory_default": False,
    "private_key_available": True,
    "key_id": "key-a",
    "public_key": {"type": "ec", "size": 256, "curve": "P-256"},
    "chain_status": "incomplete",
    "chain": [FP_CURRENT, FP_INTERMEDIATE],
    "not_before": "2026-04-01T00:00:00Z",
    "not_after": "2026-06-30T00:00:00Z",  # 90 days: two thirds at 2026-05-31
    "ip_addresses": list(ADDRESSES),
}
INFO = {
    "status": {"trusted_root_fingerprints": []},
    "certificates": [CURRENT],
    "keys": [{"id": "key-a", "name": CURRENT_NAME, "type": "ec", "size": None, "curve": "P-256"}],
    "requests": [],
    "bindings": [
        {
            "address": address,
            "certificate_id": "cert-a",
            "friendly_name": CURRENT_NAME,
            "sha256_fingerprint": FP_CURRENT,
            "serving": "certificate",
        }
        for address in ADDRESSES
    ],
}


def values_with(**changes) -> dict:
    """The role's variables without their prefix: its defaults, controller mode, two names, two addresses."""
    values = {
        "name": NAME,
        "subject": {},
        "subject_alt_name": [f"DNS:{NAME}", "DNS:*.example.com"],
        "key_type": "ec",
        "key_size": 2048,
        "key_curve": "P-256",
        "provider": "acme",
        "days": 397,
        "acme_mode": "controller",
        "acme_directory": DIRECTORY,
        "acme_account_key_src": KEY_FILE,
        "acme_account_key_content": None,
        "acme_contact": ["pki-team@example.com", "mailto:oncall@example.com"],
        "acme_ca_path": None,
        "acme_dns_tasks": DNS_TASKS,
        "acme_wait_timeout": 300,
        "acme_eab_key_id": None,
        "acme_eab_hmac": None,
        "ip_addresses": list(ADDRESSES),
        "hostnames": None,
        "site_port": 443,
        "renew_before_days": None,
        "renew_before_percent": None,
        "rekey": False,
        "force": False,
        "keep_previous": 1,
        "now": NOW,
    }
    values.update(changes)
    return values


def problems(**changes) -> list:
    return cp.check_variables(values_with(**changes), PREFIX, is_file=is_file)


# --- the refusals -----------------------------------------------------------------------------------------


def test_good_variables_pass_in_both_modes():
    assert problems() == []
    assert problems(acme_account_key_src=None, acme_account_key_content="-----BEGIN EC PRIVATE KEY-----\n...") == []
    assert (
        problems(
            acme_eab_key_id="kid-1", acme_eab_hmac="zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"
        )
        == []
    )
    assert problems(acme_ca_path="/srv/inventory/acme-ca.pem", subject={"common_name": NAME}) == []
    appliance = {"acme_mode": "appliance", "acme_account_key_src": None, "acme_dns_tasks": None}
    assert problems(subject_alt_name=[f"DNS:{NAME}", "DNS:remote.example.com"], **appliance) == []


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        (
            {"acme_directory": None},
            "certificate_provider acme needs certificate_acme_directory, the URL of the CA's ACME directory",
        ),
        ({"acme_directory": "http://acme.example.net/directory"}, "is not an https:// URL"),
        (
            {"subject_alt_name": [f"DNS:{NAME}", "IP:10.0.0.1"]},
            "certificate_provider acme cannot order IP:10.0.0.1",
        ),
        (
            {"subject": {"common_name": NAME, "organization_name": "Example Inc."}},
            "so certificate_subject organization_name would never match what it issues",
        ),
        (
            {"subject": {"common_name": "Example Support"}},
            "certificate_subject.common_name Example Support is not one of the DNS names",
        ),
        (
            {"acme_account_key_src": None},
            "certificate_acme_mode controller needs the ACME account key on the controller: "
            "certificate_acme_account_key_src (a PEM file) or certificate_acme_account_key_content",
        ),
        (
            {"acme_account_key_content": "-----BEGIN EC PRIVATE KEY-----"},
            "certificate_acme_account_key_src and certificate_acme_account_key_content are mutually exclusive",
        ),
        (
            {"acme_account_key_src": "/nowhere/account.key"},
            "certificate_acme_account_key_src /nowhere/account.key is not",
        ),
        (
            {"acme_account_key_src": None, "acme_account_key_content": "not a key"},
            "certificate_acme_account_key_content holds no PEM private key",
        ),
        ({"acme_dns_tasks": None}, "certificate_acme_mode controller proves the names over DNS-01 and needs"),
        ({"acme_dns_tasks": "/nowhere/dns.yml"}, "certificate_acme_dns_tasks /nowhere/dns.yml is not a file"),
        ({"acme_ca_path": "/nowhere/ca.pem"}, "certificate_acme_ca_path /nowhere/ca.pem is not a file"),
        ({"acme_eab_key_id": "kid-1"}, "certificate_acme_eab_key_id is set but certificate_acme_eab_hmac is not"),
        ({"acme_eab_hmac": "c2VjcmV0"}, "certificate_acme_eab_hmac is set but certificate_acme_eab_key_id is not"),
        ({"acme_eab_key_id": "kid-1", "acme_eab_hmac": "not base64url!"}, "is not base64url text"),
        ({"acme_contact": ["pki-team"]}, "certificate_acme_contact pki-team is neither an e-mail address"),
        ({"acme_wait_timeout": 0}, "certificate_acme_wait_timeout is 0; give the seconds"),
        (
            {"acme_mode": "appliance"},
            "certificate_acme_mode appliance cannot order *.example.com: the appliance's ACME client proves names "
            "over HTTP-01, which cannot prove a wildcard",
        ),
        (
            {"acme_mode": "appliance", "subject_alt_name": [f"DNS:{NAME}"], "rekey": True},
            "certificate_rekey cannot be done by the appliance's ACME client",
        ),
    ],
)
def test_each_refusal_alone(changes, words):
    found = problems(**changes)
    assert len(found) == 1, found
    assert words in found[0], found[0]


def test_a_refusal_never_shows_a_secret():
    hmac = "not base64url! secret-part"
    content = "a secret that is not a key"
    found = " ".join(
        problems(
            acme_eab_key_id="kid-1", acme_eab_hmac=hmac, acme_account_key_src=None, acme_account_key_content=content
        )
    )
    assert "secret" not in found and "certificate_acme_eab_hmac" in found


def test_the_other_providers_ignore_the_acme_variables():
    assert (
        problems(provider="self_signed", acme_directory=None, acme_dns_tasks=None, subject={"country_name": "US"}) == []
    )


@pytest.mark.parametrize(
    ("found", "words"),
    [
        (
            None,
            "orders with the collection community.crypto >= 3.0.0, which is not installed on the controller. "
            "Install it: ansible-galaxy collection install 'community.crypto>=3.0.0'",
        ),
        ({"version": "2.26.1", "path": "/old"}, "but community.crypto 2.26.1 is installed (/old). Upgrade it"),
    ],
)
def test_community_crypto_missing_or_too_old(found, words):
    message = cp.acme_collection_problem(found, PREFIX)
    assert message.startswith("certificate_provider acme with certificate_acme_mode controller")
    assert words in message


@pytest.mark.parametrize("version", ["3.0.0", "3.0.5", "3.1.0", "4.0.0", None])
def test_community_crypto_recent_enough_or_of_unknown_version(version):
    assert cp.acme_collection_problem({"version": version, "path": "/c"}, PREFIX) is None


# --- the plan -------------------------------------------------------------------------------------------


def test_the_plan_of_a_first_issuance_from_the_controller():
    plan = cp.build_plan({**INFO, "certificates": [], "bindings": []}, values_with())
    assert plan["action"] == "issue" and plan["new_key"] is True
    assert plan["friendly_name"] == f"{NAME} 20260501-120000"
    assert plan["software_update"] is None, "the CA's root is known once its answer is imported"
    assert plan["acme"] == {
        "mode": "controller",
        "directory": DIRECTORY,
        "contact": ["mailto:pki-team@example.com", "mailto:oncall@example.com"],
        "names": [NAME, "*.example.com"],
        "environment": {},
        "challenge": "dns-01",
        "dns_tasks": DNS_TASKS,
        "kept": "the addresses serve what they served before",
    }
    lines = cp.plan_lines(plan, values_with(), prefix=PREFIX)
    assert (
        f"Certificate: request on the appliance (its key stays there), ordered by the controller from the ACME CA "
        f"{DIRECTORY} for {NAME}, *.example.com over DNS-01 (TXT records set and removed by {DNS_TASKS}), imported "
        "with the chain the CA sends; the CA decides the validity (certificate_days does not apply)."
    ) in lines


def test_the_ca_path_is_given_to_the_acme_modules():
    plan = cp.build_plan(INFO, values_with(acme_ca_path="/srv/inventory/acme-ca.pem"))
    assert plan["acme"]["environment"] == {"SSL_CERT_FILE": "/srv/inventory/acme-ca.pem"}


def test_the_subject_an_acme_ca_writes_is_no_spec_change():
    plan = cp.build_plan(INFO, values_with(), renewal_info={"window": None, "reason": "no ARI"})
    assert plan["action"] == "none", plan["reasons"]
    assert plan["acme"]["kept"] == f"10.0.0.1 serves {CURRENT_NAME}, 10.0.0.2 serves {CURRENT_NAME}, as before"
    added = cp.build_plan(INFO, values_with(subject_alt_name=[f"DNS:{NAME}", "DNS:*.example.com", "DNS:x.example.org"]))
    assert added["action"] == "reissue" and "adds DNS:x.example.org" in added["reasons"][0]


@pytest.mark.parametrize(
    ("now", "renewal_info", "action", "words"),
    [
        (
            "2026-06-01T00:00:00Z",
            {"window": WINDOW, "reason": None},
            "none",
            "not due until the ARI window from 2026-06-08T00:00:00Z to 2026-06-10T00:00:00Z",
        ),
        (
            "2026-06-09T00:00:00Z",
            {"window": WINDOW, "reason": None},
            "renew",
            "is due for renewal: now is inside the ARI window from 2026-06-08T00:00:00Z to 2026-06-10T00:00:00Z",
        ),
        # Without ARI, two thirds of 90 days (2026-05-31) decide, and the reason says why.
        (
            "2026-05-30T00:00:00Z",
            {"window": None, "reason": "the CA offers no renewal information (ARI): its directory has no renewalInfo"},
            "none",
            "(after two thirds of the lifetime); 31.0 days left (the CA offers "
            "no renewal information (ARI): its directory has no renewalInfo, so the lifetime rule decides)",
        ),
        (
            "2026-06-01T00:00:00Z",
            {"window": None, "reason": "the CA offers no renewal information (ARI)"},
            "renew",
            "renewal due since 2026-05-31T00:00:00Z (after two thirds of the lifetime)",
        ),
        # Not read at all (the plan read no directory): still the ACME rule, saying so.
        ("2026-05-30T00:00:00Z", None, "none", "the CA's renewal information was not read"),
    ],
)
def test_renewal_by_the_cas_window_or_the_lifetime(now, renewal_info, action, words):
    plan = cp.build_plan(INFO, values_with(now=now), renewal_info=renewal_info)
    assert plan["action"] == action
    assert words in plan["reasons"][0], plan["reasons"]
    text = cp.plan_lines(plan, values_with(now=now), prefix=PREFIX)[1]
    assert words in text


def test_the_plan_in_appliance_mode():
    values = values_with(acme_mode="appliance", subject_alt_name=[f"DNS:{NAME}"], acme_dns_tasks=None)
    fresh = cp.build_plan({**INFO, "certificates": [], "bindings": []}, values)
    assert fresh["action"] == "issue"
    assert fresh["friendly_name"] == NAME, "the appliance's client installs it under certificate_name"
    assert fresh["new_key"] is False and fresh["key_name"] is None
    assert fresh["acme"]["hostnames"] == [NAME]
    assert fresh["acme"]["key_type"] == "ec-p256"
    assert fresh["acme"]["challenge"] == "http-01"
    assert fresh["acme"]["renew_now"] is False, "new settings make the appliance order by itself"
    lines = cp.plan_lines(fresh, values, prefix=PREFIX)
    assert "Key: made and kept by the appliance's ACME client (ec-p256)" in lines
    assert any("ordered by the appliance's own ACME client" in line and "waits up to 300 s" in line for line in lines)

    forced = cp.build_plan(INFO, {**values, "force": True})
    assert forced["action"] == "reissue" and forced["acme"]["renew_now"] is True


@pytest.mark.parametrize(
    ("key_type", "size", "curve", "expected"),
    [("rsa", 2048, "P-256", "rsa-2048"), ("rsa", 4096, "P-256", "rsa-4096"), ("ec", 2048, "P-384", "ec-p384")],
)
def test_appliance_key_types(key_type, size, curve, expected):
    values = values_with(acme_mode="appliance", key_type=key_type, key_size=size, key_curve=curve)
    assert cp.acme_plan(values, {"triggers": []}, {})["key_type"] == expected


def test_appliance_settings_drift():
    values = values_with(acme_mode="appliance", subject_alt_name=[f"DNS:{NAME}"])
    acme = cp.acme_plan(values, {"triggers": []}, {})
    held = {
        "enabled": True,
        "directory_url": DIRECTORY,
        "hostnames": [NAME],
        "key_type": "ec-p256",
        "friendly_name": NAME,
        "ip_addresses": list(reversed(ADDRESSES)),
        "contact": ["mailto:pki-team@example.com", "mailto:oncall@example.com"],
        "eab_key_id": None,
        "eab_hmac_configured": False,
    }
    assert cp.acme_settings_drift(held, acme, values) is None
    assert cp.acme_settings_drift(None, acme, values) is None
    assert cp.acme_settings_drift({**held, "enabled": False}, acme, values) == "the appliance's ACME client is off"
    assert cp.acme_settings_drift({**held, "contact": []}, acme, values).endswith("other settings (contact)")
    eab = {**values, "acme_eab_key_id": "kid", "acme_eab_hmac": "c2VjcmV0"}
    assert "(eab_key_id, eab_hmac)" in cp.acme_settings_drift(held, acme, eab)
    plan = cp.build_plan({**INFO, "acme": {**held, "contact": []}}, values)
    assert plan["acme"]["configure"].endswith("(contact)")
    assert any(
        line.startswith("ACME: the appliance's ACME client holds other settings")
        for line in cp.plan_lines(plan, values, prefix=PREFIX)
    )


# --- the plan module: community.crypto, before anything is read ---------------------------------------------------


def entry(**changes) -> dict:
    return {
        "host": "appliance",
        "appliance_url": "https://127.0.0.1:1",
        "api_token": "token",
        "transport": None,
        "username": None,
        "password": None,
        "web_snapshot_dir": None,
        "ca_path": None,
        "validate_certs": True,
        "timeout": 30,
        "support_bundle_dir": None,
        "local_ca_cert": None,
        "local_ca_key": None,
        "local_ca_key_passphrase": None,
        "local_ca_create": False,
        "local_ca_common_name": None,
        "manual_request_dir": None,
        "manual_drop_dir": None,
        **values_with(**changes),
    }


def run_plan(entries, find_collection):
    params = {
        "appliances": entries,
        "lock_holder": None,
        "lock_wait": 0,
        "lock_lease": 1800,
        "variable_prefix": PREFIX,
        "workers": 2,
    }
    return certificate_plan.run(Context(copy.deepcopy(params), check_mode=True), find_collection=find_collection)


def test_the_plan_fails_a_controller_without_community_crypto_before_reading_it(tmp_path):
    (tmp_path / "dns.yml").write_text("---\n[]\n")
    (tmp_path / "account.key").write_text("-----BEGIN EC PRIVATE KEY-----\n")
    files = {"acme_dns_tasks": str(tmp_path / "dns.yml"), "acme_account_key_src": str(tmp_path / "account.key")}
    asked = []

    def nowhere(name):
        asked.append(name)

    # Nothing listens at the appliance's URL: an entry that got past the check fails on the connection instead.
    result = run_plan([entry(**files), entry(host="other", provider="self_signed", **files)], nowhere)
    assert asked == ["community.crypto"]
    failed = result["appliances"]["appliance"]
    assert failed["failed"] is True
    assert "community.crypto >= 3.0.0, which is not installed" in failed["msg"]
    assert "lock" not in failed, "nothing was read, no lock taken"
    assert result["appliances"]["other"]["failed"] is True
    assert "community.crypto" not in result["appliances"]["other"]["msg"], "only the controller mode needs it"


def test_the_plan_asks_for_community_crypto_only_for_the_controller_mode():
    asked = []
    run_plan([entry(provider="self_signed")], asked.append)
    run_plan([entry(acme_mode="appliance", subject_alt_name=[f"DNS:{NAME}"])], asked.append)
    assert asked == []
