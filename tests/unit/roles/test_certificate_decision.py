# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The certificate decision: each trigger on its own, then the whole decision, then the filter.

The info is a trimmed result of appliance_certificate_info against a reference
appliance: the factory default certificate, a self-signed certificate, a newer
one signed by a local issuing CA (with that CA and its root imported), and
their keys.
"""

from __future__ import annotations

import copy
import datetime
import os
import subprocess
import sys
import textwrap

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils import certificate_decision as cd
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import PKIError, SpecError

UTC = datetime.timezone.utc
FP_FACTORY = "75:d9:a9:c0:c3:fa:4f:ca:4c:2e:4a:a8:73:7b:70:df:ae:7d:bf:c7:fa:43:4a:79:22:bc:63:c9:73:a0:e7:8c"
FP_SELF = "a2:41:eb:7a:d0:b4:21:cb:89:c7:f3:8f:5a:05:24:19:6b:8c:f2:c5:cc:21:ae:a8:c2:e0:f5:ce:8c:9a:5d:5e"
FP_SIGNED = "51:67:90:79:4c:a4:7a:90:94:e8:a4:02:b8:4a:18:d4:cb:bd:19:13:52:2d:20:79:a6:88:54:16:a5:69:81:7b"
FP_ISSUING = "d6:8e:27:f0:64:da:97:9f:91:cb:7c:51:61:b4:b1:06:e6:87:24:e7:34:71:5f:61:2a:f2:2f:1e:4a:b6:69:47"
FP_ROOT = "4d:ea:d6:15:e5:18:5d:b8:ab:fb:5d:d2:e8:c9:da:d7:0b:74:03:a4:52:9f:f5:3b:45:ff:0c:07:93:7b:03:1b"
FP_OTHER_ROOT = ":".join(["0f"] * 32)
SANS = ["DNS:support.example.com", "DNS:*.example.com"]
# Between the signed certificate's start and the two-thirds point of its lifetime.
NOW = "2026-06-01T12:00:00Z"


def _certificate(**fields) -> dict:
    """A certificate as appliance_certificate_info returns it (some API keys trimmed)."""
    base = {
        "subject": {"common_name": "support.example.com"},
        "subject_alt_name": list(SANS),
        "is_ca": False,
        "role": "server",
        "self_signed": False,
        "factory_default": False,
        "private_key_available": True,
        "chain_warnings": [],
        "missing_issuer": None,
        "ip_addresses": [],
        "renewal_due": False,
    }
    base.update(fields)
    base.setdefault("chain", [base["sha256_fingerprint"]])
    return base


INFO = {
    "changed": False,
    "status": {"hostname": "appliance.example.com", "site_hostname": "support.example.com", "role": "primary"},
    "certificates": [
        _certificate(
            id="75d9a9c0c3fa4fca",
            friendly_name="Factory Default",
            sha256_fingerprint=FP_FACTORY,
            subject={"common_name": "appliance.example.com", "organization_name": "Factory Default"},
            subject_alt_name=["DNS:appliance.example.com"],
            not_before="2026-01-01T00:00:00Z",
            not_after="2035-12-30T00:00:00Z",
            public_key={"type": "ec", "size": 256, "curve": "P-256"},
            self_signed=True,
            factory_default=True,
            key_id="key-93d58bf4384f",
            chain_status="self_signed",
            ip_addresses=["127.0.0.2"],
            created_at="2026-01-01T00:00:00Z",
            renewal_reason="not due until 2032-08-31T00:00:00Z (after two thirds of the lifetime); 3500.0 days left",
        ),
        _certificate(
            id="a241eb7ad0b421cb",
            friendly_name="support 20260101-000000",
            sha256_fingerprint=FP_SELF,
            issuer={"common_name": "support.example.com"},
            not_before="2026-01-01T00:00:00Z",
            not_after="2027-01-01T00:00:00Z",
            public_key={"type": "rsa", "size": 2048},
            self_signed=True,
            key_id="key-d856dd3f5a4b",
            chain_status="self_signed",
            created_at="2026-01-01T00:00:00Z",
            renewal_reason="not due until 2026-09-01T08:00:00Z (after two thirds of the lifetime); 214.5 days left",
        ),
        _certificate(
            id="516790794ca47a90",
            friendly_name="support 20260301-095500",
            sha256_fingerprint=FP_SIGNED,
            issuer={"common_name": "bomgar.pki Local CA Issuing"},
            not_before="2026-03-01T09:55:00Z",
            not_after="2027-04-02T10:00:00Z",
            public_key={"type": "ec", "size": 256, "curve": "P-256"},
            key_id="key-e20bcfa85571",
            chain_status="complete",
            chain=[FP_SIGNED, FP_ISSUING, FP_ROOT],
            ip_addresses=["127.0.0.2"],
            created_at="2026-03-01T10:00:00Z",
            renewal_reason="not due until 2026-11-21T01:58:20Z (after two thirds of the lifetime); 305.0 days left",
        ),
        _certificate(
            id="d68e27f064da979f",
            friendly_name="support CA",
            sha256_fingerprint=FP_ISSUING,
            subject={"common_name": "bomgar.pki Local CA Issuing"},
            subject_alt_name=[],
            not_before="2026-03-01T09:50:00Z",
            not_after="2031-03-01T09:55:00Z",
            public_key={"type": "rsa", "size": 2048},
            is_ca=True,
            role="intermediate",
            private_key_available=False,
            key_id=None,
            chain_status="complete",
            chain=[FP_ISSUING, FP_ROOT],
        ),
        _certificate(
            id="4dead615e5185db8",
            friendly_name="bomgar.pki Local CA Root",
            sha256_fingerprint=FP_ROOT,
            subject={"common_name": "bomgar.pki Local CA Root"},
            subject_alt_name=[],
            not_before="2026-03-01T09:50:00Z",
            not_after="2036-02-27T09:55:00Z",
            public_key={"type": "rsa", "size": 2048},
            is_ca=True,
            role="root",
            self_signed=True,
            private_key_available=False,
            key_id=None,
            chain_status="self_signed",
        ),
    ],
    "keys": [
        {"id": "key-93d58bf4384f", "name": "factory-default", "type": "ec", "size": None, "curve": "P-256"},
        {"id": "key-d856dd3f5a4b", "name": "support 20260101-000000", "type": "rsa", "size": 2048, "curve": None},
        {"id": "key-e20bcfa85571", "name": "support 20260301-095500", "type": "ec", "size": None, "curve": "P-256"},
    ],
    "bindings": [
        {
            "address": "127.0.0.2",
            "certificate_id": "516790794ca47a90",
            "friendly_name": "support 20260301-095500",
            "sha256_fingerprint": FP_SIGNED,
            "serving": "certificate",
        }
    ],
    "failed": False,
}

SPEC = {
    "name": "support",
    "subject": {"common_name": "support.example.com"},
    "subject_alt_name": list(SANS),
    "key_type": "ec",
    "key_curve": "P-256",
    "expected_root_fingerprint": FP_ROOT,
    "provider": "local_ca",
    "now": NOW,
}


def info_with(**changes) -> dict:
    """A copy of INFO whose signed certificate has ``changes``."""
    data = copy.deepcopy(INFO)
    data["certificates"][2].update(changes)
    return data


def situation(spec_changes=None, cert_changes=None, now=NOW) -> cd.Situation:
    """The Situation the triggers see, for the signed certificate with changes."""
    data = info_with(**(cert_changes or {}))
    spec = {**SPEC, **(spec_changes or {})}
    current = cd.find_current(data["certificates"], spec["name"])
    return cd.Situation(cd.parse_spec(spec), current, cd.key_of(data, current), cd.parse_time(now), data, True)


# --- finding the current certificate ------------------------------------------------------


@pytest.mark.parametrize(
    ("friendly_name", "name", "named"),
    [
        ("support", "support", True),
        ("support 20260301-095500", "support", True),
        ("support.example.com 20260301-095500", "support", False),
        ("supportx", "support", False),
        ("other support", "support", False),
        ("support CA", "support", True),
    ],
)
def test_is_named(friendly_name, name, named):
    assert cd.is_named({"friendly_name": friendly_name}, name) is named


def test_find_current_takes_the_newest_server_certificate_of_the_name():
    current = cd.find_current(INFO["certificates"], "support")
    assert current["sha256_fingerprint"] == FP_SIGNED  # the CA named "support CA" is not a server certificate


def test_find_current_ignores_factory_default_and_breaks_ties_by_name():
    certificates = copy.deepcopy(INFO["certificates"])
    certificates[1]["not_before"] = certificates[2]["not_before"]
    certificates[1]["created_at"] = certificates[2]["created_at"]
    certificates[1]["friendly_name"] = "support 20260301-095501"
    assert cd.find_current(certificates, "support")["sha256_fingerprint"] == FP_SELF
    assert cd.find_current(certificates, "Factory Default") is None


def test_key_of_finds_the_key_by_id_or_none():
    current = INFO["certificates"][2]
    assert cd.key_of(INFO, current)["name"] == "support 20260301-095500"
    assert cd.key_of(INFO, {**current, "key_id": "key-gone"}) is None
    assert cd.key_of(INFO, {**current, "key_id": None}) is None
    assert cd.key_of(INFO, None) is None


# --- each trigger ---------------------------------------------------------------------------

# (trigger, spec changes, certificate changes, expected words in the reason or None)
TRIGGER_CASES = [
    (cd.trigger_forced, {}, {}, None),
    (cd.trigger_forced, {"force": True}, {}, "force is true"),
    (cd.trigger_forced, {"force": "yes"}, {}, "force is true"),
    (cd.trigger_rekey, {}, {}, None),
    (cd.trigger_rekey, {"rekey": True}, {}, "with a new key"),
    (cd.trigger_key_changed, {}, {}, None),
    (cd.trigger_key_changed, {"key_type": "ec", "key_curve": None}, {}, None),  # P-256 is the EC default
    (cd.trigger_key_changed, {"key_curve": "P-384"}, {}, "is EC P-256, but EC P-384 is wanted"),
    (cd.trigger_key_changed, {"key_type": "rsa", "key_curve": None}, {}, "is EC P-256, but RSA 2048 is wanted"),
    (
        cd.trigger_key_changed,
        {"key_type": "rsa", "key_size": 4096, "key_curve": None},
        {"public_key": {"type": "rsa", "size": 2048}},
        "is RSA 2048, but RSA 4096 is wanted",
    ),
    (cd.trigger_spec_changed, {}, {}, None),
    (cd.trigger_spec_changed, {"subject_alt_name": ["DNS:Support.Example.com.", "DNS:*.example.com"]}, {}, None),
    (cd.trigger_spec_changed, {"subject": {"common_name": "support.example.com", "organization_name": None}}, {}, None),
    (
        cd.trigger_spec_changed,
        {"subject": {"common_name": "support.example.com", "organization_name": "Example Inc."}},
        {},
        "subject CN=support.example.com -> CN=support.example.com, O=Example Inc.",
    ),
    (cd.trigger_spec_changed, {"subject_alt_name": ["DNS:support.example.com"]}, {}, "drops DNS:*.example.com"),
    (
        cd.trigger_spec_changed,
        {"subject_alt_name": [*SANS, "DNS:remote.example.org"]},
        {},
        "adds DNS:remote.example.org",
    ),
    (
        cd.trigger_spec_changed,
        {"subject_alt_name": ["DNS:*.example.com", "DNS:support.example.com"]},
        {},
        "first alternative name DNS:support.example.com -> DNS:*.example.com",
    ),
    (cd.trigger_ca_changed, {}, {}, None),
    (cd.trigger_ca_changed, {"expected_root_fingerprint": FP_ROOT.upper().replace(":", "")}, {}, None),
    (
        cd.trigger_ca_changed,
        {"expected_root_fingerprint": FP_OTHER_ROOT},
        {},
        f"not to the expected root {FP_OTHER_ROOT}",
    ),
    (
        cd.trigger_ca_changed,
        {},
        {"chain_status": "incomplete", "chain": [FP_SIGNED, FP_ISSUING]},
        "chain of 'support 20260301-095500' is incomplete",
    ),
    (cd.trigger_ca_changed, {"expected_root_fingerprint": None}, {"chain_status": "incomplete"}, None),
    (
        cd.trigger_ca_changed,
        {"expected_root_fingerprint": None},
        {"self_signed": True, "chain_status": "self_signed", "chain": [FP_SIGNED]},
        "is self-signed but the provider is local_ca",
    ),
    (
        cd.trigger_ca_changed,
        {"expected_root_fingerprint": None, "provider": "self_signed"},
        {},
        "is CA-signed but the provider is self_signed",
    ),
    (cd.trigger_renewal_due, {}, {}, None),
    (cd.trigger_renewal_due, {"now": "2027-01-15T00:00:00Z"}, {}, "renewal due since 2026-11-21T01:58:20Z"),
    (cd.trigger_renewal_due, {"now": "2027-05-01T00:00:00Z"}, {}, "expired on 2027-04-02T10:00:00Z"),
    (cd.trigger_renewal_due, {"renew_before_days": 30}, {}, None),
    (cd.trigger_renewal_due, {"renew_before_days": 350}, {}, "(350 days before expiry)"),
    (cd.trigger_renewal_due, {"renew_before_percent": 80}, {}, "when 80% of the lifetime is left"),
]


@pytest.mark.parametrize(("trigger", "spec_changes", "cert_changes", "expected"), TRIGGER_CASES)
def test_trigger(trigger, spec_changes, cert_changes, expected):
    now = spec_changes.get("now", NOW)
    reason = trigger(situation(spec_changes, cert_changes, now))
    if expected is None:
        assert reason is None
    else:
        assert expected in reason


def test_trigger_missing():
    assert cd.trigger_missing(situation()) is None
    reason = cd.trigger_missing(situation({"name": "remote"}))
    assert reason == "no certificate named 'remote' is on the appliance, so one is issued"


def test_renewal_uses_the_info_decision_without_window_or_time():
    data = info_with(renewal_due=True, renewal_reason="expired on 2027-04-02T10:00:00Z")
    spec = cd.parse_spec({key: value for key, value in SPEC.items() if key != "now"})
    current = cd.find_current(data["certificates"], "support")
    moment = cd.parse_time(NOW)
    plain = cd.Situation(spec, current, cd.key_of(data, current), moment, data, False)
    assert "expired on 2027-04-02" in cd.trigger_renewal_due(plain)
    timed = cd.Situation(spec, current, cd.key_of(data, current), moment, data, True)
    assert cd.trigger_renewal_due(timed) is None


def test_triggers_are_in_the_contract_order():
    assert [name for name, *_rest in cd.TRIGGERS] == [
        "missing",
        "forced",
        "rekey",
        "key_changed",
        "spec_changed",
        "ca_changed",
        "renewal_due",
    ]


# --- the whole decision ------------------------------------------------------------------------

NEW = "support 20260601-120000"
CURRENT_KEY = "support 20260301-095500"

# (spec changes, certificate changes, action, triggers, new_key, key_name, friendly_name)
DECISION_CASES = [
    ({}, {}, "none", [], False, CURRENT_KEY, "support 20260301-095500"),
    ({"name": "remote"}, {}, "issue", ["missing"], True, "remote 20260601-120000", "remote 20260601-120000"),
    ({"name": "remote", "force": True}, {}, "issue", ["missing"], True, "remote 20260601-120000", None),
    ({"force": True}, {}, "reissue", ["forced"], False, CURRENT_KEY, NEW),
    ({"rekey": True}, {}, "reissue", ["rekey"], True, NEW, NEW),
    ({"force": True, "rekey": True}, {}, "reissue", ["forced", "rekey"], True, NEW, NEW),
    ({"key_curve": "P-384"}, {}, "reissue", ["key_changed"], True, NEW, NEW),
    ({"subject_alt_name": ["DNS:support.example.com"]}, {}, "reissue", ["spec_changed"], False, CURRENT_KEY, NEW),
    ({"expected_root_fingerprint": FP_OTHER_ROOT}, {}, "reissue", ["ca_changed"], False, CURRENT_KEY, NEW),
    ({"now": "2027-01-15T00:00:00Z"}, {}, "renew", ["renewal_due"], False, CURRENT_KEY, "support 20270115-000000"),
    (
        {"now": "2027-05-01T00:00:00Z", "key_type": "rsa", "key_curve": None, "subject_alt_name": SANS[:1]},
        {},
        "reissue",
        ["key_changed", "spec_changed", "renewal_due"],
        True,
        "support 20270501-000000",
        "support 20270501-000000",
    ),
    ({"force": True}, {"key_id": "key-deleted"}, "reissue", ["forced"], True, NEW, NEW),
    ({}, {"key_id": None}, "none", [], False, None, "support 20260301-095500"),
]


@pytest.mark.parametrize(
    ("spec_changes", "cert_changes", "action", "triggers", "new_key", "key_name", "friendly_name"), DECISION_CASES
)
def test_decide(spec_changes, cert_changes, action, triggers, new_key, key_name, friendly_name):
    decision = cd.decide(info_with(**cert_changes), {**SPEC, **spec_changes})
    assert decision["action"] == action
    assert decision["triggers"] == triggers
    assert decision["new_key"] is new_key
    assert decision["key_name"] == key_name
    assert decision["key_exists"] is (key_name in {key["name"] for key in INFO["keys"]})
    if friendly_name:
        assert decision["friendly_name"] == friendly_name
    assert len(decision["reasons"]) >= max(1, len(triggers))
    assert decision["stamp"] == cd.stamp_of(cd.parse_time(spec_changes.get("now", NOW)))


def test_decide_nothing_to_do_says_why():
    decision = cd.decide(INFO, SPEC)
    assert decision["current"]["sha256_fingerprint"] == FP_SIGNED
    assert decision["reasons"] == [
        "nothing to do: 'support 20260301-095500' matches the spec (EC P-256, 2 alternative names) and not due until "
        "2026-11-21T01:58:20Z (after two thirds of the lifetime); 304.9 days left"
    ]


def test_decide_lost_key_is_said():
    decision = cd.decide(info_with(key_id="key-deleted"), {**SPEC, "force": True})
    assert decision["reasons"][-1] == (
        "the key of 'support 20260301-095500' is not on the appliance, so a new key is used"
    )


def test_decide_missing_has_no_current_and_one_reason():
    decision = cd.decide(INFO, {**SPEC, "name": "remote", "rekey": True})
    assert decision["current"] is None
    assert decision["reasons"] == ["no certificate named 'remote' is on the appliance, so one is issued"]


def test_stamp_is_utc():
    moment = datetime.datetime(2026, 6, 1, 14, 0, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert cd.stamp_of(moment) == "20260601-120005"
    assert cd.parse_time("2026-06-01T12:00:05") == datetime.datetime(2026, 6, 1, 12, 0, 5, tzinfo=UTC)


def test_decide_without_now_uses_the_clock():
    spec = {key: value for key, value in SPEC.items() if key != "now"}
    before = datetime.datetime.now(UTC).replace(microsecond=0)
    decision = cd.decide(INFO, spec)
    after = datetime.datetime.now(UTC)
    stamped = datetime.datetime.strptime(decision["stamp"], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    assert before <= stamped <= after
    assert decision["friendly_name"] == "support 20260301-095500"


# --- what cannot be decided --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("info", "spec", "error", "words"),
    [
        (INFO, {**SPEC, "colour": "blue"}, SpecError, "Unknown spec key(s): colour"),
        (INFO, {**SPEC, "name": ""}, SpecError, "The spec has no name"),
        (INFO, {**SPEC, "subject_alt_name": ["support.example.com"]}, SpecError, "does not start with DNS: or IP:"),
        (INFO, {**SPEC, "subject": {"cn": "x"}}, SpecError, "cn"),
        (INFO, {**SPEC, "key_type": "rsa", "key_size": 1024, "key_curve": None}, PKIError, "1024 bits"),
        (INFO, {**SPEC, "provider": "letsencrypt"}, SpecError, "provider 'letsencrypt' is not known"),
        (INFO, {**SPEC, "provider": "acme", "renewal_info": "soon"}, SpecError, "renewal_info must be null"),
        (INFO, {**SPEC, "provider": "acme", "renewal_info": {"window": "soon"}}, SpecError, "ari_window must be"),
        (INFO, {**SPEC, "renew_before_days": 30, "renew_before_percent": 10}, SpecError, "Choose one"),
        (INFO, {**SPEC, "expected_root_fingerprint": "abc"}, SpecError, "not a SHA-256 fingerprint"),
        (INFO, {**SPEC, "now": "yesterday"}, SpecError, "not an ISO 8601 time"),
        (INFO, {**SPEC, "force": "maybe"}, SpecError, "force must be true or false"),
        (INFO, "support", SpecError, "must be a mapping"),
        ({"failed": True, "msg": "401 Unauthorized"}, SPEC, cd.DecisionError, "401 Unauthorized"),
        ({"certificates": []}, SPEC, cd.DecisionError, "gather including certificates and keys"),
        ("nothing", SPEC, cd.DecisionError, "registered result"),
    ],
)
def test_decide_refuses(info, spec, error, words):
    with pytest.raises(error) as caught:
        cd.decide(info, spec)
    assert words in str(caught.value)


# --- the filter plugin -------------------------------------------------------------------------


def test_filter_returns_the_decision_and_wraps_errors():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.bomgar.pki.plugins.filter.certificate_decision import FilterModule

    decide = FilterModule().filters()["certificate_decision"]
    assert decide(INFO, {**SPEC, "force": True})["action"] == "reissue"
    with pytest.raises(AnsibleFilterError, match="certificate_decision: The spec has no name"):
        decide(INFO, {**SPEC, "name": None})


def test_decision_and_filter_import_without_cryptography():
    code = textwrap.dedent(
        """
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "cryptography" or name.startswith("cryptography."):
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        from ansible_collections.bomgar.pki.plugins.module_utils import certificate_decision
        from ansible_collections.bomgar.pki.plugins.filter import certificate_decision as plugin
        assert "cryptography" not in sys.modules
        print(plugin.FilterModule().filters()["certificate_decision"].__name__)
        """
    )
    build = os.path.join(os.path.dirname(__file__), "..", "..", "..", "build")
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": os.path.abspath(build)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "certificate_decision"


def test_a_new_name_already_on_the_appliance_gets_a_number():
    # A renewal and a re-key within the same second would otherwise share a friendly name (and a key name).
    info = {
        "certificates": [{"friendly_name": "support 20260601-120000"}],
        "requests": [{"friendly_name": "support 20260601-120000-2"}],
        "keys": [{"name": "support 20260601-120000-3"}],
    }
    assert cd.unused_name("support 20260601-120000", info) == "support 20260601-120000-4"
    assert cd.unused_name("support 20260601-120001", info) == "support 20260601-120001"
    assert cd.is_named({"friendly_name": "support 20260601-120000-4"}, "support")


def test_decide_names_a_rekey_in_the_same_second_apart_from_the_renewal():
    stamp = cd.stamp_of(cd.parse_time(NOW))
    taken = f"support {stamp}"
    renewed = copy.deepcopy(INFO)
    renewed["certificates"].append({**renewed["certificates"][-1], "friendly_name": taken})
    spec = {"name": "support", "subject_alt_name": SANS, "rekey": True, "now": NOW, "key_type": "ec"}
    decision = cd.decide(renewed, spec)
    assert decision["action"] == "reissue" and decision["new_key"] is True
    assert decision["friendly_name"] == f"{taken}-2" and decision["key_name"] == f"{taken}-2"
