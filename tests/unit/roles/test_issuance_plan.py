# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The certificate role's plan in Python: checks of the variables, the plan, what a kept certificate needs, the text.

The functions were ported from the Jinja of the role's ``decide.yml``, which is
their specification: the expected messages, plan values and plan lines below
are what that Jinja gave for the same variables and appliance. The appliance is
a trimmed result of appliance_certificate_info: the factory default certificate,
the current certificate of the name "support" (signed by a local CA, bound to
the role's two addresses), three earlier ones of the name, the issuing CA, and a
newer certificate of another name that only starts like it.
"""

from __future__ import annotations

import copy

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils import issuance_plan as cp


def _fingerprint(byte: int) -> str:
    return ":".join([f"{byte:02x}"] * 32)


FP_FACTORY = _fingerprint(0x75)
FP_A = _fingerprint(0xA1)
FP_B = _fingerprint(0xB2)
FP_C = _fingerprint(0xC3)
FP_D = _fingerprint(0xD4)
FP_X = _fingerprint(0xE5)
FP_ISSUING = _fingerprint(0xD6)
FP_ROOT = _fingerprint(0x4D)
FP_OTHER_ROOT = _fingerprint(0x0F)
SANS = ["DNS:support.example.com", "DNS:*.example.com"]
ADDRESSES = ["10.0.0.1", "10.0.0.2"]
NOW = "2026-06-01T12:00:00Z"
NEW = "support 20260601-120000"
NAME_A = "support 20260301-000000"
NAME_B = "support 20260201-000000"
NAME_C = "support 20260101-000000"
PENDING = "support 20260515-080000"
PLAN_KEYS = {
    "action",
    "reasons",
    "triggers",
    "current",
    "key_name",
    "new_key",
    "key_exists",
    "friendly_name",
    "stamp",
    "resumed",
    "request_file",
    "delete",
    "leftovers",
    "previous_bindings",
    "previous_fingerprint",
    "trusted_roots",
    "new_root",
    "software_update",
    "acme",
}
BINDING_LINE_END = "; if what it serves is wrong, the previous bindings are restored and the role fails."


def _certificate(**fields) -> dict:
    """A server certificate as appliance_certificate_info returns it, signed by the local CA unless changed."""
    base = {
        "subject": {"common_name": "support.example.com"},
        "subject_alt_name": list(SANS),
        "is_ca": False,
        "role": "server",
        "self_signed": False,
        "factory_default": False,
        "private_key_available": True,
        "ip_addresses": [],
        "not_after": "2027-03-01T00:00:00Z",
        "public_key": {"type": "ec", "size": 256, "curve": "P-256"},
        "chain_status": "complete",
    }
    base.update(fields)
    base.setdefault("chain", [base["sha256_fingerprint"], FP_ISSUING, FP_ROOT])
    return base


def _binding(address: str, cert: dict, serving: str = "certificate") -> dict:
    return {
        "address": address,
        "certificate_id": cert["id"],
        "friendly_name": cert["friendly_name"],
        "sha256_fingerprint": cert["sha256_fingerprint"],
        "serving": serving,
    }


FACTORY = _certificate(
    id="cert-factory",
    friendly_name="Factory Default",
    sha256_fingerprint=FP_FACTORY,
    subject={"common_name": "appliance.example.com", "organization_name": "Factory Default"},
    subject_alt_name=["DNS:appliance.example.com"],
    not_before="2026-01-01T00:00:00Z",
    not_after="2035-12-30T00:00:00Z",
    self_signed=True,
    factory_default=True,
    key_id="key-factory",
    chain_status="self_signed",
    chain=[FP_FACTORY],
    ip_addresses=["10.0.0.9"],
)
CURRENT = _certificate(
    id="cert-a",
    friendly_name=NAME_A,
    sha256_fingerprint=FP_A,
    not_before="2026-03-01T00:00:00Z",
    key_id="key-a",
    ip_addresses=list(ADDRESSES),
)
EARLIER_B = _certificate(
    id="cert-b", friendly_name=NAME_B, sha256_fingerprint=FP_B, not_before="2026-02-01T00:00:00Z", key_id="key-b"
)
# Still serves an address outside the role's: never deleted.
EARLIER_C = _certificate(
    id="cert-c",
    friendly_name=NAME_C,
    sha256_fingerprint=FP_C,
    not_before="2026-01-01T00:00:00Z",
    key_id=None,
    ip_addresses=["10.0.0.3"],
)
EARLIER_D = _certificate(
    id="cert-d",
    friendly_name="support 20251201-000000",
    sha256_fingerprint=FP_D,
    not_before="2025-12-01T00:00:00Z",
    key_id=None,
)
ISSUING = _certificate(
    id="cert-issuing",
    friendly_name="support CA",
    sha256_fingerprint=FP_ISSUING,
    subject={"common_name": "bomgar.pki Local CA Issuing"},
    subject_alt_name=[],
    not_before="2026-01-01T00:00:00Z",
    is_ca=True,
    role="intermediate",
    private_key_available=False,
    key_id=None,
    chain=[FP_ISSUING, FP_ROOT],
)
# Newer, but of another name ("supportx" does not match "^support( |$)").
OTHER_NAME = _certificate(
    id="cert-x", friendly_name="supportx 20260401-000000", sha256_fingerprint=FP_X, not_before="2026-04-01T00:00:00Z"
)

INFO = {
    "changed": False,
    "status": {"hostname": "appliance.example.com", "trusted_root_fingerprints": [FP_ROOT]},
    "certificates": [FACTORY, EARLIER_D, EARLIER_B, CURRENT, ISSUING, EARLIER_C, OTHER_NAME],
    "keys": [
        {"id": "key-factory", "name": "factory-default", "type": "ec", "size": None, "curve": "P-256"},
        {"id": "key-a", "name": NAME_A, "type": "ec", "size": None, "curve": "P-256"},
        {"id": "key-b", "name": NAME_B, "type": "ec", "size": None, "curve": "P-256"},
        {"id": "key-p", "name": PENDING, "type": "ec", "size": None, "curve": "P-256"},
        {"id": "key-p384", "name": "support 20260516-000000", "type": "ec", "size": None, "curve": "P-384"},
        {"id": "key-rsa2048", "name": "support 20260517-000000", "type": "rsa", "size": 2048, "curve": None},
        {"id": "key-rsa4096", "name": "support 20260518-000000", "type": "rsa", "size": 4096, "curve": None},
    ],
    "requests": [],
    "bindings": [
        _binding("10.0.0.9", FACTORY, "factory_default"),
        _binding("10.0.0.1", CURRENT),
        _binding("10.0.0.2", CURRENT),
    ],
    "failed": False,
}


def info_with(**changes) -> dict:
    """A deep copy of INFO with top-level keys replaced."""
    data = copy.deepcopy(INFO)
    data.update(copy.deepcopy(changes))
    return data


def values_with(**changes) -> dict:
    """The role's variables without their prefix (its defaults, a local CA, two addresses), with changes."""
    values = {
        "name": "support",
        "subject": {"common_name": "support.example.com", "organization_name": None},
        "subject_alt_name": list(SANS),
        "key_type": "ec",
        "key_size": 2048,
        "key_curve": "P-256",
        "provider": "local_ca",
        "days": 397,
        "local_ca_cert": "/ca/issuing.pem",
        "local_ca_key": "/ca/issuing.key",
        "local_ca_create": False,
        "manual_request_dir": None,
        "manual_drop_dir": None,
        "ip_addresses": list(ADDRESSES),
        "hostnames": ["support.example.com"],
        "site_port": 9443,
        "renew_before_days": None,
        "renew_before_percent": None,
        "rekey": False,
        "force": False,
        "keep_previous": 1,
        "support_bundle_dir": "/play/bundles",
        "now": NOW,
    }
    values.update(changes)
    return values


MANUAL = {"provider": "manual", "manual_request_dir": "/req", "manual_drop_dir": "/drop"}


def _request(friendly_name: str, key_id: str, created_at: str, status: str = "pending") -> dict:
    return {
        "id": f"req-{created_at}",
        "friendly_name": friendly_name,
        "status": status,
        "key_id": key_id,
        "created_at": created_at,
    }


# --- check_variables ------------------------------------------------------------------------------

MSG_SANS = "certificate_subject_alt_name is empty; give the names the site needs, e.g. DNS:support.example.com."
MSG_ADDRESSES = (
    "certificate_ip_addresses is empty; give the addresses of the appliance that serve the certificate "
    "(the default is bomgar_ip_addresses from the inventory)."
)
MSG_RENEW = (
    "certificate_renew_before_days and certificate_renew_before_percent are mutually exclusive; set one of them."
)
MSG_LOCAL_CA = (
    "certificate_provider local_ca needs certificate_local_ca_cert and certificate_local_ca_key (the issuing "
    "CA's certificate and key on the controller); add certificate_local_ca_create true to make a CA there."
)
MSG_MANUAL = (
    "certificate_provider manual needs certificate_manual_request_dir (where the request is written for the "
    "CA) and certificate_manual_drop_dir (where the signed certificate and the CA's files are put)."
)
MSG_KEEP = "certificate_keep_previous is negative; give how many earlier certificates to keep (0 or more)."


def msg_uncovered(hostnames: str, sans: str = ", ".join(SANS)) -> str:
    return (
        f"certificate_hostnames {hostnames} are not covered by certificate_subject_alt_name {sans} "
        "(a wildcard covers exactly one label); add them to the names, or correct certificate_hostnames."
    )


def test_check_variables_accepts_good_values():
    assert cp.check_variables(values_with(), "certificate_") == []
    assert cp.check_variables(values_with(**MANUAL), "certificate_") == []
    assert cp.check_variables(values_with(provider="self_signed", local_ca_cert=None, local_ca_key=None)) == []
    assert cp.check_variables(values_with(renew_before_days=30), "certificate_") == []
    assert cp.check_variables(values_with(keep_previous=0, hostnames=[]), "certificate_") == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"subject_alt_name": [], "hostnames": []}, MSG_SANS),
        ({"ip_addresses": []}, MSG_ADDRESSES),
        ({"renew_before_days": 30, "renew_before_percent": 10}, MSG_RENEW),
        ({"renew_before_days": 0, "renew_before_percent": 0}, MSG_RENEW),  # 0 is set: "is not none"
        ({"local_ca_cert": None}, MSG_LOCAL_CA),
        ({"local_ca_key": ""}, MSG_LOCAL_CA),
        ({"local_ca_cert": None, "local_ca_key": None, "local_ca_create": True}, MSG_LOCAL_CA),
        ({"provider": "manual"}, MSG_MANUAL),
        ({**MANUAL, "manual_drop_dir": ""}, MSG_MANUAL),
        ({**MANUAL, "manual_request_dir": None}, MSG_MANUAL),
        ({"hostnames": ["support.example.com", "a.b.example.com", "x.example.com"]}, msg_uncovered("a.b.example.com")),
        ({"hostnames": ["example.com"]}, msg_uncovered("example.com")),
        ({"keep_previous": -1}, MSG_KEEP),
    ],
)
def test_check_variables_each_problem_alone(changes, problem):
    assert cp.check_variables(values_with(**changes), "certificate_") == [problem]


def test_check_variables_wildcard_covers_exactly_one_label():
    assert cp.check_variables(values_with(hostnames=["x.example.com"]), "certificate_") == []
    assert cp.check_variables(values_with(hostnames=["a.b.example.com"]), "certificate_") == [
        "certificate_hostnames a.b.example.com are not covered by certificate_subject_alt_name "
        "DNS:support.example.com, DNS:*.example.com (a wildcard covers exactly one label); add them to the names, "
        "or correct certificate_hostnames."
    ]


def test_check_variables_lists_uncovered_hostnames_once_in_order():
    values = values_with(
        subject_alt_name=["DNS:*.example.com"],
        hostnames=["remote.example.org", "a.b.example.com", "remote.example.org", "node1.example.com"],
    )
    assert cp.check_variables(values, "certificate_") == [
        msg_uncovered("remote.example.org, a.b.example.com", "DNS:*.example.com")
    ]


def test_check_variables_without_prefix_names_the_bare_variables():
    values = values_with(subject_alt_name=[], hostnames=[], ip_addresses=[], keep_previous=-2)
    assert cp.check_variables(values) == [
        "subject_alt_name is empty; give the names the site needs, e.g. DNS:support.example.com.",
        "ip_addresses is empty; give the addresses of the appliance that serve the certificate "
        "(the default is bomgar_ip_addresses from the inventory).",
        "keep_previous is negative; give how many earlier certificates to keep (0 or more).",
    ]
    assert cp.check_variables(values_with(hostnames=["a.b.example.com"]), "bomgar_cert_") == [
        "bomgar_cert_hostnames a.b.example.com are not covered by bomgar_cert_subject_alt_name "
        "DNS:support.example.com, DNS:*.example.com (a wildcard covers exactly one label); add them to the names, "
        "or correct bomgar_cert_hostnames."
    ]


def test_check_variables_reports_several_problems_in_order():
    values = values_with(
        ip_addresses=[],
        renew_before_days=14,
        renew_before_percent=20.0,
        provider="manual",
        manual_request_dir="/req",
        hostnames=["a.b.example.com"],
        keep_previous=-1,
    )
    assert cp.check_variables(values, "certificate_") == [
        MSG_ADDRESSES,
        MSG_RENEW,
        MSG_MANUAL,
        msg_uncovered("a.b.example.com"),
        MSG_KEEP,
    ]
    values = values_with(subject_alt_name=[], hostnames=[], local_ca_key=None, renew_before_percent=5)
    assert cp.check_variables(values, "certificate_") == [MSG_SANS, MSG_LOCAL_CA]


def test_check_variables_empty_names_are_reported_once_not_again_as_uncovered_hostnames():
    # Every hostname is uncovered by an empty list of names; that second message would only repeat the first.
    values = values_with(subject_alt_name=[], hostnames=["support.example.com"])
    assert cp.check_variables(values, "certificate_") == [MSG_SANS]


# --- build_plan -------------------------------------------------------------------------------------


def test_build_plan_returns_the_keys_the_role_reads_for_a_kept_certificate():
    plan = cp.build_plan(INFO, values_with(), FP_ROOT)
    assert set(plan) == PLAN_KEYS
    assert plan["action"] == "none"
    assert plan["triggers"] == []
    assert plan["reasons"][0].startswith(f"nothing to do: '{NAME_A}' matches the spec (EC P-256, 2 alternative names)")
    assert plan["current"]["sha256_fingerprint"] == FP_A
    assert plan["friendly_name"] == NAME_A
    assert plan["key_name"] == NAME_A
    assert plan["new_key"] is False
    assert plan["key_exists"] is True
    assert plan["stamp"] == "20260601-120000"
    assert plan["resumed"] is False
    assert plan["request_file"] is None
    assert plan["new_root"] == FP_ROOT
    assert plan["trusted_roots"] == [FP_ROOT]
    assert plan["software_update"] is False
    assert plan["previous_bindings"] == [_binding("10.0.0.1", CURRENT), _binding("10.0.0.2", CURRENT)]
    assert plan["previous_fingerprint"] == FP_A
    # Computed whatever the action; the role only uses it when it issues.
    assert plan["delete"] == [
        {"id": "cert-b", "friendly_name": NAME_B, "sha256_fingerprint": FP_B, "not_before": "2026-02-01T00:00:00Z"},
        {
            "id": "cert-d",
            "friendly_name": "support 20251201-000000",
            "sha256_fingerprint": FP_D,
            "not_before": "2025-12-01T00:00:00Z",
        },
    ]


def test_build_plan_issue_for_a_new_name():
    plan = cp.build_plan(INFO, values_with(name="remote"), FP_ROOT)
    assert set(plan) == PLAN_KEYS
    assert plan["action"] == "issue"
    assert plan["triggers"] == ["missing"]
    assert plan["reasons"] == ["no certificate named 'remote' is on the appliance, so one is issued"]
    assert plan["current"] is None
    assert plan["friendly_name"] == "remote 20260601-120000"
    assert plan["key_name"] == "remote 20260601-120000"
    assert plan["new_key"] is True
    assert plan["key_exists"] is False
    assert plan["resumed"] is False
    assert plan["delete"] == []
    assert plan["previous_fingerprint"] == FP_A


@pytest.mark.parametrize(
    ("changes", "root", "trusted", "new_root", "software_update"),
    [
        ({"provider": "self_signed"}, None, [FP_ROOT], None, True),
        ({}, FP_ROOT, [FP_OTHER_ROOT, FP_ROOT], FP_ROOT, False),
        ({}, FP_ROOT, [FP_OTHER_ROOT], FP_ROOT, True),
        ({}, FP_ROOT, None, FP_ROOT, True),
        # Check mode: the CA is created later, so its root is new, and no software trusts a new root.
        ({"local_ca_create": True}, None, [FP_ROOT], None, True),
        (MANUAL, None, [FP_ROOT], None, None),
    ],
)
def test_build_plan_software_update_by_provider(changes, root, trusted, new_root, software_update):
    info = info_with(status={"trusted_root_fingerprints": trusted} if trusted is not None else {})
    plan = cp.build_plan(info, values_with(force=True, **changes), root)
    assert plan["new_root"] == new_root
    assert plan["trusted_roots"] == (trusted or [])
    assert plan["software_update"] is software_update


def test_build_plan_without_status_has_no_trusted_roots():
    info = info_with()
    del info["status"]
    plan = cp.build_plan(info, values_with(force=True), FP_ROOT)
    assert plan["trusted_roots"] == []
    assert plan["software_update"] is True


def test_build_plan_request_file_of_the_manual_provider():
    plan = cp.build_plan(INFO, values_with(force=True, **MANUAL))
    assert plan["action"] == "reissue"
    assert plan["friendly_name"] == NEW
    assert plan["request_file"] == "/req/support_20260601-120000.csr"
    for provider in ("self_signed", "local_ca"):
        assert cp.build_plan(INFO, values_with(force=True, provider=provider), FP_ROOT)["request_file"] is None


def test_build_plan_request_file_replaces_runs_of_unsafe_characters():
    plan = cp.build_plan(INFO, values_with(name="Web: portal/v2 (EU)", **MANUAL))
    assert plan["friendly_name"] == "Web: portal/v2 (EU) 20260601-120000"
    assert plan["request_file"] == "/req/Web_portal_v2_EU_20260601-120000.csr"
    assert cp.safe_file_name("a.b_c-D9") == "a.b_c-D9"
    assert cp.safe_file_name("a  b//c\u00e9d") == "a_b_c_d"


# --- build_plan: taking up a pending request ---------------------------------------------------------

RESUMED = {"resumed": True, "friendly_name": PENDING, "key_name": PENDING, "new_key": False, "key_exists": True}


def _resume_of(plan: dict) -> dict:
    return {key: plan[key] for key in RESUMED}


def test_build_plan_takes_up_a_pending_request_with_a_fitting_new_key():
    info = info_with(requests=[_request(PENDING, "key-p", "2026-05-15T08:00:00Z")])
    plan = cp.build_plan(info, values_with(rekey=True, **MANUAL))
    assert plan["action"] == "reissue"
    assert _resume_of(plan) == RESUMED
    assert plan["request_file"] == "/req/support_20260515-080000.csr"
    assert plan["stamp"] == "20260601-120000"
    assert plan["triggers"] == ["rekey"]
    lines = cp.plan_lines(plan, values_with(rekey=True, **MANUAL), prefix="certificate_")
    assert lines[0] == f"Reissue: {PENDING} (taking up the pending request of an earlier run)"
    # The key the earlier run made for its request is used; the plan does not say both "new key" and "reuse".
    assert lines[2] == (
        f"Key: the new key {PENDING}, which the earlier run made for its request (instead of making another)"
    )
    assert not any("reuse" in line for line in lines)


def test_build_plan_takes_up_the_pending_request_of_the_current_key_when_the_key_stays():
    name = "support 20260520-000000"
    info = info_with(requests=[_request(name, "key-a", "2026-05-20T00:00:00Z")])
    plan = cp.build_plan(info, values_with(force=True), FP_ROOT)
    assert plan["action"] == "reissue"
    assert _resume_of(plan) == {
        "resumed": True,
        "friendly_name": name,
        "key_name": NAME_A,
        "new_key": False,
        "key_exists": True,
    }


def test_build_plan_takes_up_the_newest_pending_request():
    requests = [
        _request("support 20260520-000000", "key-p", "2026-05-20T00:00:00Z"),
        _request("support 20260401-000000", "key-p", "2026-04-01T00:00:00Z"),
        _request("support 20260530-000000", "key-p", "2026-05-30T00:00:00Z", status="denied"),
        _request("supportx 20260531-000000", "key-p", "2026-05-31T00:00:00Z"),
    ]
    plan = cp.build_plan(info_with(requests=requests), values_with(rekey=True), FP_ROOT)
    assert plan["resumed"] is True
    assert plan["friendly_name"] == "support 20260520-000000"
    assert plan["key_name"] == PENDING


def test_build_plan_the_newest_pending_request_decides_even_when_its_key_does_not_fit():
    requests = [
        _request("support 20260520-000000", "key-p", "2026-05-20T00:00:00Z"),
        _request("support 20260521-000000", "key-p384", "2026-05-21T00:00:00Z"),
    ]
    plan = cp.build_plan(info_with(requests=requests), values_with(rekey=True), FP_ROOT)
    assert plan["resumed"] is False
    assert plan["friendly_name"] == NEW
    assert plan["key_name"] == NEW
    assert plan["new_key"] is True


@pytest.mark.parametrize(
    ("request_fields", "changes", "resumed"),
    [
        ({}, {"rekey": True}, True),
        # Only what the role made is taken up: "<name> <stamp>", not the bare name or another suffix.
        ({"friendly_name": "support"}, {"rekey": True}, False),
        ({"friendly_name": "support test"}, {"rekey": True}, False),
        ({"friendly_name": "support 2026-05-15"}, {"rekey": True}, False),
        ({"friendly_name": "support 20260515-080000-2"}, {"rekey": True}, True),
        ({"friendly_name": "supportx 20260515-080000"}, {"rekey": True}, False),
        ({"friendly_name": "old support 20260515-080000"}, {"rekey": True}, False),
        ({"status": "issued"}, {"rekey": True}, False),
        ({"key_id": "key-gone"}, {"rekey": True}, False),
        ({}, {"rekey": True, "provider": "self_signed"}, False),
        ({}, {}, False),  # nothing to do
        # A new key is needed: the pending key must not be the current certificate's, and must fit.
        ({"key_id": "key-a"}, {"rekey": True}, False),
        ({"key_id": "key-p384"}, {"rekey": True}, False),
        ({"key_id": "key-p384"}, {"key_curve": "P-384"}, True),
        ({"key_id": "key-rsa2048"}, {"rekey": True}, False),
        ({"key_id": "key-rsa2048"}, {"key_type": "rsa", "key_size": 2048}, True),
        ({"key_id": "key-rsa4096"}, {"key_type": "rsa", "key_size": 2048}, False),
        ({"key_id": "key-rsa4096"}, {"key_type": "rsa", "key_size": 4096}, True),
        # The key stays: the pending request's key must be the one the decision reuses.
        ({}, {"force": True}, False),
        ({"key_id": "key-a"}, {"force": True}, True),
        ({"key_id": "key-a"}, {"now": "2027-01-15T00:00:00Z"}, True),  # renewal
    ],
)
def test_build_plan_pending_request_conditions(request_fields, changes, resumed):
    request = {**_request(PENDING, "key-p", "2026-05-15T08:00:00Z"), **request_fields}
    info = info_with(requests=[request])
    plan = cp.build_plan(info, values_with(**changes), None if changes.get("provider") else FP_ROOT)
    assert plan["resumed"] is resumed
    if resumed:
        key_name = next(key["name"] for key in INFO["keys"] if key["id"] == request["key_id"])
        assert plan["friendly_name"] == request["friendly_name"]
        assert plan["key_name"] == key_name
        assert plan["new_key"] is False
        assert plan["key_exists"] is True
    elif plan["action"] == "none":
        assert plan["friendly_name"] == NAME_A
    else:
        assert plan["friendly_name"] == f"support {plan['stamp']}"


def test_build_plan_pending_request_for_a_lost_key_of_the_current_certificate():
    # The current certificate's key is gone, so the decision makes a new key; a pending request whose key fits
    # (and is not the current certificate's) is taken up instead.
    certificates = [dict(cert, key_id="key-lost") if cert["id"] == "cert-a" else cert for cert in INFO["certificates"]]
    info = info_with(certificates=certificates, requests=[_request(PENDING, "key-p", "2026-05-15T08:00:00Z")])
    plan = cp.build_plan(info, values_with(force=True), FP_ROOT)
    assert plan["action"] == "reissue"
    assert _resume_of(plan) == RESUMED


# --- build_plan: earlier certificates and the bindings before the run ---------------------------------


def _trimmed(cert: dict) -> dict:
    return {key: cert[key] for key in ("id", "friendly_name", "sha256_fingerprint", "not_before")}


@pytest.mark.parametrize(
    ("keep_previous", "deleted"),
    [
        (0, [CURRENT, EARLIER_B, EARLIER_D]),
        (1, [EARLIER_B, EARLIER_D]),
        (2, [EARLIER_D]),
        (3, [EARLIER_D]),
        (4, []),
        (10, []),
        (-1, [CURRENT, EARLIER_B, EARLIER_D]),
        ("2", [EARLIER_D]),
        (None, [CURRENT, EARLIER_B, EARLIER_D]),
    ],
)
def test_build_plan_deletes_earlier_certificates_beyond_keep_previous(keep_previous, deleted):
    plan = cp.build_plan(INFO, values_with(force=True, keep_previous=keep_previous), FP_ROOT)
    # Newest first, never the factory default, the CA of the same name, another name, or one serving 10.0.0.3.
    assert plan["delete"] == [_trimmed(cert) for cert in deleted]


def test_build_plan_keeps_the_certificates_that_serve_the_addresses_first():
    # 10.0.0.2 serves the oldest certificate of the name now: it is kept before the newer ones.
    bindings = [_binding("10.0.0.1", CURRENT), _binding("10.0.0.2", EARLIER_D)]
    certificates = [
        dict(cert, ip_addresses=["10.0.0.1"]) if cert["id"] == "cert-a" else cert for cert in INFO["certificates"]
    ]
    info = info_with(bindings=bindings, certificates=certificates)
    plan = cp.build_plan(info, values_with(force=True, keep_previous=2), FP_ROOT)
    assert plan["delete"] == [_trimmed(EARLIER_B)]
    plan = cp.build_plan(info, values_with(force=True, keep_previous=1), FP_ROOT)
    assert plan["delete"] == [_trimmed(EARLIER_D), _trimmed(EARLIER_B)]


def test_build_plan_deletes_only_certificates_whose_addresses_are_the_roles():
    certificates = [
        dict(cert, ip_addresses=["10.0.0.2"]) if cert["id"] == "cert-b" else cert for cert in INFO["certificates"]
    ]
    plan = cp.build_plan(info_with(certificates=certificates), values_with(force=True, keep_previous=1), FP_ROOT)
    assert plan["delete"] == [_trimmed(EARLIER_B), _trimmed(EARLIER_D)]
    plan = cp.build_plan(
        info_with(certificates=certificates), values_with(force=True, keep_previous=1, ip_addresses=["10.0.0.1"])
    )
    assert plan["delete"] == [_trimmed(EARLIER_D)]


def test_build_plan_delete_entries_carry_only_the_keys_that_exist():
    certificates = [
        {key: value for key, value in cert.items() if key != "not_before"} if cert["id"] == "cert-d" else cert
        for cert in INFO["certificates"]
    ]
    plan = cp.build_plan(info_with(certificates=certificates), values_with(force=True, keep_previous=2), FP_ROOT)
    assert plan["delete"] == [{"id": "cert-d", "friendly_name": "support 20251201-000000", "sha256_fingerprint": FP_D}]


def test_build_plan_previous_bindings_and_fingerprint():
    bindings = [
        _binding("10.0.0.9", CURRENT),
        _binding("10.0.0.2", FACTORY, "factory_default"),
        _binding("10.0.0.1", EARLIER_B),
    ]
    plan = cp.build_plan(info_with(bindings=bindings), values_with(force=True), FP_ROOT)
    # Only the role's addresses, in the appliance's order; the fingerprint is the first one not factory default.
    assert plan["previous_bindings"] == [
        _binding("10.0.0.2", FACTORY, "factory_default"),
        _binding("10.0.0.1", EARLIER_B),
    ]
    assert plan["previous_fingerprint"] == FP_B


def test_build_plan_previous_fingerprint_is_none_when_only_the_factory_default_serves():
    bindings = [_binding("10.0.0.1", FACTORY, "factory_default"), _binding("10.0.0.3", CURRENT)]
    plan = cp.build_plan(info_with(bindings=bindings), values_with(force=True), FP_ROOT)
    assert plan["previous_bindings"] == [_binding("10.0.0.1", FACTORY, "factory_default")]
    assert plan["previous_fingerprint"] is None
    plan = cp.build_plan(info_with(bindings=[]), values_with(force=True), FP_ROOT)
    assert plan["previous_bindings"] == []
    assert plan["previous_fingerprint"] is None


# --- a certificate that stays -----------------------------------------------------------------------


def test_kept_result_of_a_trusted_certificate():
    plan = cp.build_plan(INFO, values_with(), FP_ROOT)
    result = cp.kept_result(plan)
    assert result == {
        "action": "none",
        "reasons": plan["reasons"],
        "friendly_name": NAME_A,
        "sha256_fingerprint": FP_A,
        "previous_fingerprint": None,
        "software_update_required": False,
        "root_fingerprint": FP_ROOT,
        "bundle": None,
    }
    assert result["reasons"] is not plan["reasons"]


@pytest.mark.parametrize(
    ("current", "trusted", "required"),
    [
        ({"chain_status": "complete", "chain": [FP_A, FP_ISSUING, FP_ROOT]}, [FP_ROOT], False),
        ({"chain_status": "complete", "chain": [FP_A, FP_ISSUING, FP_ROOT]}, [FP_OTHER_ROOT], True),
        ({"chain_status": "incomplete", "chain": [FP_A, FP_ISSUING]}, [FP_ISSUING], True),
        ({"chain_status": "self_signed", "chain": [FP_A]}, [FP_A], False),
        # A self-signed certificate is its own root, whether or not a chain is listed for it.
        ({"chain_status": "self_signed", "chain": []}, [FP_A], False),
        ({"chain_status": "self_signed", "chain": []}, [FP_ROOT], True),
    ],
)
def test_kept_result_software_update_required_by_the_root(current, trusted, required):
    plan = {
        "action": "none",
        "reasons": ["nothing to do"],
        "friendly_name": NAME_A,
        "current": {"friendly_name": NAME_A, "sha256_fingerprint": FP_A, **current},
        "trusted_roots": trusted,
    }
    assert cp.kept_result(plan)["software_update_required"] is required


def test_kept_result_without_trusted_roots_or_current():
    current = {"friendly_name": NAME_A, "sha256_fingerprint": FP_A, "chain_status": "complete", "chain": [FP_ROOT]}
    plan = {"action": "none", "reasons": ["why"], "friendly_name": "planned", "current": current}
    assert cp.kept_result(plan)["software_update_required"] is True
    assert cp.kept_result({**plan, "current": None}) == {
        "action": "none",
        "reasons": ["why"],
        "friendly_name": "planned",
        "sha256_fingerprint": None,
        "previous_fingerprint": None,
        "software_update_required": None,
        "root_fingerprint": None,
        "bundle": None,
    }


def _drift_info(*addresses: str, cert_id: str = "cert-a") -> dict:
    bindings = [{"address": address, "certificate_id": cert_id} for address in addresses]
    return {"bindings": [{"address": "10.0.0.9", "certificate_id": "cert-factory"}, *bindings]}


@pytest.mark.parametrize(
    ("info", "current_changes", "hostnames", "drift"),
    [
        (_drift_info("10.0.0.1", "10.0.0.2"), {}, ["support.example.com", "x.example.com"], None),
        (_drift_info("10.0.0.2", "10.0.0.1"), {}, [], None),
        (_drift_info("10.0.0.1"), {}, [], f"'{NAME_A}' is bound not on 10.0.0.2"),
        (_drift_info(), {}, [], f"'{NAME_A}' is bound not on 10.0.0.1, 10.0.0.2"),
        (_drift_info(cert_id="cert-b"), {}, [], f"'{NAME_A}' is bound not on 10.0.0.1, 10.0.0.2"),
        (
            _drift_info("10.0.0.1", "10.0.0.2", "10.0.0.5", "10.0.0.3"),
            {},
            [],
            f"'{NAME_A}' is bound also on 10.0.0.3, 10.0.0.5",
        ),
        (
            _drift_info("10.0.0.1", "10.0.0.3"),
            {"private_key_available": False},
            [],
            f"'{NAME_A}' is bound not on 10.0.0.2 and also on 10.0.0.3",
        ),
        (
            _drift_info("10.0.0.1", "10.0.0.2"),
            {"private_key_available": False},
            ["a.b.example.com"],
            f"the private key of '{NAME_A}' is not available on the appliance",
        ),
        (
            _drift_info("10.0.0.1", "10.0.0.2"),
            {},
            ["a.b.example.com", "support.example.com", "remote.example.org"],
            f"'{NAME_A}' does not cover a.b.example.com, remote.example.org",
        ),
        (
            _drift_info("10.0.0.1", "10.0.0.2"),
            {"subject_alt_name": []},
            ["support.example.com"],
            f"'{NAME_A}' does not cover support.example.com",
        ),
    ],
)
def test_binding_drift(info, current_changes, hostnames, drift):
    current = {**CURRENT, **current_changes}
    assert cp.binding_drift(current, info, list(ADDRESSES), hostnames) == drift


def test_binding_drift_of_the_plans_current_certificate():
    plan = cp.build_plan(INFO, values_with(), FP_ROOT)
    assert cp.binding_drift(plan["current"], INFO, ADDRESSES, ["support.example.com"]) is None
    assert cp.binding_drift(plan["current"], INFO, ["10.0.0.1"], []) == f"'{NAME_A}' is bound also on 10.0.0.2"


CHAIN = [FP_A, FP_ISSUING, FP_ROOT]


@pytest.mark.parametrize(
    ("cert", "served", "matches"),
    [
        ({"chain_status": "complete", "chain": CHAIN}, CHAIN, True),
        ({"chain_status": "complete", "chain": CHAIN}, tuple(CHAIN), True),
        ({"chain_status": "complete", "chain": CHAIN}, CHAIN[:2], True),  # the root left out
        ({"chain_status": "complete", "chain": CHAIN}, CHAIN[:1], False),
        ({"chain_status": "complete", "chain": CHAIN}, [FP_ISSUING, FP_A, FP_ROOT], False),
        ({"chain_status": "complete", "chain": CHAIN}, [*CHAIN, FP_OTHER_ROOT], False),
        ({"chain_status": "complete", "chain": CHAIN}, [], False),
        ({"chain_status": "complete", "chain": CHAIN}, None, False),
        ({"chain_status": "incomplete", "chain": CHAIN[:2]}, CHAIN[:2], True),
        ({"chain_status": "incomplete", "chain": CHAIN}, CHAIN[:2], False),
        ({"chain_status": "self_signed", "chain": [FP_A]}, [FP_A], True),
        ({"chain_status": "complete", "chain": [FP_A]}, [FP_A], True),
        ({"chain_status": "complete", "chain": [FP_A]}, [], False),
        ({"chain_status": "complete", "chain": []}, [FP_A], False),
        ({"chain_status": "complete"}, [FP_A], False),
    ],
)
def test_served_matches(cert, served, matches):
    assert cp.served_matches(cert, served) is matches


# --- plan_lines: the plan as text, as decide.yml printed it ------------------------------------------


def _keep_plan() -> dict:
    return {
        "action": "none",
        "reasons": ["nothing to do: 'support 20260301-000000' matches the spec"],
        "current": {"friendly_name": NAME_A, "sha256_fingerprint": FP_A},
        "friendly_name": NAME_A,
        "key_name": NAME_A,
        "new_key": False,
        "resumed": False,
        "request_file": None,
        "delete": [_trimmed(EARLIER_B)],
        "previous_bindings": [_binding("10.0.0.1", CURRENT), _binding("10.0.0.2", CURRENT)],
        "new_root": FP_ROOT,
        "software_update": True,
    }


def test_plan_lines_of_a_kept_certificate():
    assert cp.plan_lines(_keep_plan(), values_with(), False, "certificate_") == [
        f"Keep: {NAME_A} ({FP_A})",
        "Why: nothing to do: 'support 20260301-000000' matches the spec.",
        "Binding: it stays on 10.0.0.1, 10.0.0.2; then each address is checked over TLS on port 9443 as "
        "support.example.com; if what it serves is wrong, the previous bindings are restored and the role fails.",
    ]


def test_plan_lines_of_a_kept_certificate_bound_again():
    plan = {**_keep_plan(), "rebind": f"'{NAME_A}' is bound not on 10.0.0.2"}
    assert cp.plan_lines(plan, values_with(), False, "certificate_")[2] == (
        "Binding: it is bound again to 10.0.0.1, 10.0.0.2; then each address is checked over TLS on port 9443 as "
        "support.example.com" + BINDING_LINE_END
    )


def test_plan_lines_of_an_issue_say_nothing_of_binding_again():
    plan = {**_issue_plan(), "rebind": None}
    binding = [line for line in cp.plan_lines(plan, values_with(), False) if line.startswith("Binding: ")]
    assert len(binding) == 1 and binding[0].startswith("Binding: the new certificate replaces what ")


def test_plan_lines_vendor_without_a_bundle_folder():
    values = values_with(support_bundle_dir=None)
    lines = cp.plan_lines(_issue_plan(), values, False)
    assert (
        "Vendor: the appliance software does not trust the new root; a support bundle for the vendor is written."
        in lines
    )


def test_plan_lines_of_a_kept_certificate_from_build_plan():
    plan = cp.build_plan(INFO, values_with(), FP_ROOT)
    assert cp.plan_lines(plan, values_with(), False, "certificate_") == [
        f"Keep: {NAME_A} ({FP_A})",
        "Why: " + "; ".join(plan["reasons"]) + ".",
        "Binding: it stays on 10.0.0.1, 10.0.0.2; then each address is checked over TLS on port 9443 as "
        "support.example.com" + BINDING_LINE_END,
    ]


def _issue_plan() -> dict:
    return {
        "action": "issue",
        "reasons": ["no certificate named 'support' is on the appliance, so one is issued"],
        "current": None,
        "friendly_name": NEW,
        "key_name": NEW,
        "new_key": True,
        "resumed": False,
        "request_file": None,
        "delete": [_trimmed(EARLIER_B), _trimmed(EARLIER_D)],
        "previous_bindings": [_binding("10.0.0.1", FACTORY, "factory_default"), _binding("10.0.0.2", EARLIER_C)],
        "new_root": FP_ROOT,
        "software_update": True,
    }


def test_plan_lines_issue_local_ca_new_key_cleanup_and_vendor():
    assert cp.plan_lines(_issue_plan(), values_with(), False, "certificate_") == [
        f"Issue: {NEW}",
        "Why: no certificate named 'support' is on the appliance, so one is issued.",
        f"Key: new EC P-256 key {NEW}",
        "Certificate: request on the appliance, signed by the local CA /ca/issuing.pem for 397 days, imported with "
        f"its chain (root {FP_ROOT}).",
        "Binding: the new certificate replaces what 10.0.0.1, 10.0.0.2 serve; then each address is checked over TLS "
        "on port 9443 as support.example.com; if what it serves is wrong, the previous bindings are restored and the "
        "role fails.",
        f"Previous: 10.0.0.1 serves Factory Default, 10.0.0.2 serves {NAME_C}; they stay bound until the new "
        "certificate is imported and verified.",
        f"Cleanup: delete {NAME_B}, support 20251201-000000 (more than certificate_keep_previous=1 earlier ones, "
        "served nowhere).",
        "Vendor: the appliance software does not trust the new root; a support bundle for the vendor is written to "
        "/play/bundles.",
    ]


def test_plan_lines_reissue_reusing_the_key_with_the_manual_provider():
    plan = {
        **_issue_plan(),
        "action": "reissue",
        "reasons": [f"force is true, so '{NAME_A}' is reissued", "and more"],
        "key_name": NAME_A,
        "new_key": False,
        "request_file": "/req/support_20260601-120000.csr",
        "delete": [],
        "previous_bindings": [_binding("10.0.0.1", CURRENT)],
        "new_root": None,
        "software_update": None,
    }
    values = values_with(ip_addresses=["10.0.0.1"], keep_previous=0, **MANUAL)
    assert cp.plan_lines(plan, values, False, "certificate_") == [
        f"Reissue: {NEW}",
        # Two reasons stay two: joined by a semicolon, not run together.
        f"Why: force is true, so '{NAME_A}' is reissued; and more.",
        f"Key: reuse {NAME_A}",
        "Certificate: request on the appliance, written to /req/support_20260601-120000.csr for the CA; imported "
        "with its chain from /drop once the signed certificate is there.",
        "Binding: the new certificate replaces what 10.0.0.1 serve; then each address is checked over TLS on port "
        "9443 as support.example.com" + BINDING_LINE_END,
        f"Previous: 10.0.0.1 serves {NAME_A}; they stay bound until the new certificate is imported and verified.",
        "Vendor: whether the appliance software must be rebuilt is known once the signed certificate is imported.",
    ]


def test_plan_lines_renew_self_signed_resumed_rsa_without_vendor_line():
    plan = {
        **_issue_plan(),
        "action": "renew",
        "reasons": ["due"],
        "resumed": True,
        "friendly_name": PENDING,
        "key_name": "support 20260517-000000",
        "new_key": True,
        "delete": [],
        "previous_bindings": [],
        "software_update": False,
    }
    values = values_with(provider="self_signed", key_type="rsa", key_size=4096, days=90)
    assert cp.plan_lines(plan, values, False, "certificate_") == [
        f"Renew: {PENDING} (taking up the pending request of an earlier run)",
        "Why: due.",
        "Key: new RSA 4096 key support 20260517-000000",
        "Certificate: self-signed by the appliance for 90 days, names DNS:support.example.com, DNS:*.example.com.",
        "Binding: the new certificate replaces what 10.0.0.1, 10.0.0.2 serve; then each address is checked over TLS "
        "on port 9443 as support.example.com" + BINDING_LINE_END,
        "Previous: ; they stay bound until the new certificate is imported and verified.",
    ]


def test_plan_lines_local_ca_not_created_yet():
    lines = cp.plan_lines({**_issue_plan(), "new_root": None}, values_with(local_ca_create=True), True)
    assert lines[3] == (
        "Certificate: request on the appliance, signed by the local CA /ca/issuing.pem for 397 days, imported with "
        "its chain (root not created yet)."
    )
    # Without a prefix the cleanup line names the bare variable.
    assert lines[6] == (
        f"Cleanup: delete {NAME_B}, support 20251201-000000 (more than keep_previous=1 earlier ones, served nowhere)."
    )


def test_plan_lines_check_mode_adds_the_last_line():
    keep = cp.plan_lines(_keep_plan(), values_with(), True, "certificate_")
    assert keep[-1] == "Check mode: nothing is changed."
    assert keep[:-1] == cp.plan_lines(_keep_plan(), values_with(), False, "certificate_")
    issue = cp.plan_lines(_issue_plan(), values_with(), True, "certificate_")
    assert issue[-2:] == [
        "Vendor: the appliance software does not trust the new root; a support bundle for the vendor is written to "
        "/play/bundles.",
        "Check mode: nothing is changed.",
    ]
    assert len(issue) == 9


def test_plan_lines_without_site_port_or_hostnames():
    values = values_with(site_port=None, hostnames=[], ip_addresses=["10.0.0.1"])
    assert cp.plan_lines(_keep_plan(), values, False, "certificate_")[-1] == (
        "Binding: it stays on 10.0.0.1; then each address is checked over TLS on the site port" + BINDING_LINE_END
    )
    values = values_with(site_port=None, hostnames=["node1.example.com", "support.example.com"])
    assert cp.plan_lines(_issue_plan(), values, False, "certificate_")[4] == (
        "Binding: the new certificate replaces what 10.0.0.1, 10.0.0.2 serve; then each address is checked over TLS "
        "on the site port as node1.example.com" + BINDING_LINE_END
    )
    values = values_with(site_port=443, hostnames=[])
    assert cp.plan_lines(_keep_plan(), values, False, "certificate_")[-1] == (
        "Binding: it stays on 10.0.0.1, 10.0.0.2; then each address is checked over TLS on port 443" + BINDING_LINE_END
    )


# --- what interrupted runs left ------------------------------------------------------------------------


def _keys_used_by(requests: dict) -> list:
    """INFO's keys, each used by the requests named in ``requests`` (key id -> request ids)."""
    return [{**key, "used_by": {"requests": requests.get(key["id"], []), "certificates": []}} for key in INFO["keys"]]


def test_a_pending_request_left_by_an_interrupted_run_is_cleaned_up_with_its_key_when_nothing_is_to_be_done():
    # A run killed between the request and the import left the request and the key made for it.
    left = _request(PENDING, "key-p", "2026-05-15T08:00:00Z")
    info = info_with(requests=[left], keys=_keys_used_by({"key-p": [left["id"]]}))
    plan = cp.build_plan(info, values_with(), FP_ROOT)
    assert plan["action"] == "none" and plan["resumed"] is False
    assert plan["leftovers"] == {
        "requests": [{"id": left["id"], "friendly_name": PENDING}],
        "keys": [{"id": "key-p", "name": PENDING}],
    }
    lines = cp.plan_lines(plan, values_with(), False, "certificate_")
    assert lines[-1] == (
        f"Cleanup: delete the pending request(s) '{PENDING}' and the key(s) '{PENDING}' only they use, left by an "
        "earlier run that stopped before its certificate was imported."
    )


def test_a_pending_request_taken_up_is_no_leftover():
    left = _request(PENDING, "key-p", "2026-05-15T08:00:00Z")
    info = info_with(requests=[left], keys=_keys_used_by({"key-p": [left["id"]]}))
    plan = cp.build_plan(info, values_with(rekey=True), FP_ROOT)
    assert plan["resumed"] is True
    assert plan["leftovers"] == {"requests": [], "keys": []}


@pytest.mark.parametrize(
    ("request_name", "key_users", "requests", "keys"),
    [
        # Names the role did not make are someone else's: left alone.
        ("support", {"key-p": ["req-x"]}, [], []),
        ("support test", {"key-p": ["req-x"]}, [], []),
        ("supportx 20260515-080000", {"key-p": ["req-x"]}, [], []),
        # A key that another request or a certificate still uses stays.
        (PENDING, {"key-p": ["req-x", "req-other"]}, [PENDING], []),
    ],
)
def test_leftovers_are_only_what_the_role_made_and_nothing_else_uses(request_name, key_users, requests, keys):
    left = {**_request(request_name, "key-p", "2026-05-15T08:00:00Z"), "id": "req-x"}
    info = info_with(requests=[left], keys=_keys_used_by(key_users))
    found = cp.build_plan(info, values_with(), FP_ROOT)["leftovers"]
    assert [request["friendly_name"] for request in found["requests"]] == requests
    assert [key["name"] for key in found["keys"]] == keys


def test_check_mode_does_not_claim_the_request_file_is_written():
    plan = cp.build_plan(INFO, values_with(rekey=True, **MANUAL), FP_ROOT)
    certificate_line = next(
        line for line in cp.plan_lines(plan, values_with(rekey=True, **MANUAL), True) if "Certificate:" in line
    )
    assert "for the CA when run without check mode" in certificate_line
    certificate_line = next(
        line for line in cp.plan_lines(plan, values_with(rekey=True, **MANUAL), False) if "Certificate:" in line
    )
    assert "when run without check mode" not in certificate_line
