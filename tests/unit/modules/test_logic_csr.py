# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks of appliance_csr that need no appliance."""

from __future__ import annotations

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic import csr
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import Context, ModuleFailed, run_logic
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import SpecError, UnsupportedKey
from ansible_collections.bomgar.pki.plugins.module_utils.pki.keys import KeySpec

FP_A = ":".join(["aa"] * 32)
FP_B = ":".join(["bb"] * 32)


def params(**overrides):
    values = {name: None for name in csr.ARGUMENT_SPEC}
    values.update(self_signed=False, self_signed_days=365, state="present")
    values.update(friendly_name="support 2026", common_name="Support", subject_alt_name=["DNS:support.example.com"])
    values.update(overrides)
    return values


class OfflineContext(Context):
    """A context whose appliance must not be contacted."""

    def client(self):
        raise AssertionError("the appliance was contacted before the spec was checked")


# --- labels and days ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (" support", "Write it as 'support'"),
        ("x" * 129, "at most 128"),
        ("line\nbreak", "control character"),
    ],
)
def test_check_label_refuses_what_the_appliance_would_change_or_refuse(value, words):
    with pytest.raises(SpecError) as caught:
        csr.check_label(value, "friendly_name")
    assert words in str(caught.value) and "friendly_name" in str(caught.value)


def test_check_label_keeps_a_good_label():
    assert csr.check_label("support.example.com 2026-11", "friendly_name") == "support.example.com 2026-11"


@pytest.mark.parametrize("days", [0, -1, 3651])
def test_check_self_signed_days_refuses_out_of_range(days):
    with pytest.raises(SpecError, match=r"1\.\.3650"):
        csr.check_self_signed_days(days)


def test_check_self_signed_days_keeps_one_day():
    assert csr.check_self_signed_days(1) == 1


# --- key spec -------------------------------------------------------------------


def test_no_key_options_means_no_key_spec():
    assert csr.key_spec_from_params(params()) is None


def test_a_curve_alone_asks_for_an_ec_key():
    assert csr.key_spec_from_params(params(key_curve="P-384")) == KeySpec("ec", None, "P-384")


def test_a_size_alone_asks_for_an_rsa_key():
    assert csr.key_spec_from_params(params(key_size=4096)) == KeySpec("rsa", 4096, None)


def test_a_weak_key_is_refused_with_the_sizes_to_use():
    with pytest.raises(UnsupportedKey) as caught:
        csr.key_spec_from_params(params(key_size=1024))
    assert "1024" in str(caught.value) and "2048" in str(caught.value)


def test_an_ec_key_with_a_size_is_refused():
    with pytest.raises(SpecError, match="has no size"):
        csr.key_spec_from_params(params(key_type="ec", key_size=2048))


# --- the whole spec -------------------------------------------------------------


def test_wanted_spec_normalises_names_and_names_the_key_after_the_friendly_name():
    wanted = csr.wanted_spec(
        params(subject_alt_name=["DNS:Support.Example.COM", "DNS:support.example.com", "IP:127.0.0.2"])
    )
    assert wanted.subject_alt_name == ["DNS:support.example.com", "IP:127.0.0.2"]
    assert wanted.subject == {"common_name": "Support"}
    assert wanted.key_name == "support 2026" and not wanted.key_named
    assert wanted.new_key_spec() == KeySpec("rsa", 2048, None)
    assert any("IP address SANs" in warning for warning in wanted.warnings)


def test_wanted_spec_uses_the_key_option_as_the_key_name():
    wanted = csr.wanted_spec(params(key="support 2025", key_type="ec"))
    assert wanted.key_name == "support 2025" and wanted.key_named
    assert wanted.new_key_spec() == KeySpec("ec", None, "P-256")


def test_wanted_spec_suggests_gb_for_uk():
    with pytest.raises(SpecError) as caught:
        csr.wanted_spec(params(country_name="UK"))
    assert "'UK'" in str(caught.value) and "'GB'" in str(caught.value)


def test_wanted_spec_refuses_a_dns_common_name_that_is_not_the_first_name():
    with pytest.raises(SpecError) as caught:
        csr.wanted_spec(params(common_name="www.example.com"))
    assert "first subject alternative name" in str(caught.value) and "DNS:www.example.com" in str(caught.value)


def test_wanted_spec_refuses_a_wildcard_for_a_whole_domain():
    with pytest.raises(SpecError, match=r"\*\.example\.com"):
        csr.wanted_spec(params(subject_alt_name=["DNS:*.com"]))


def test_days_are_checked_only_for_a_self_signed_certificate():
    csr.wanted_spec(params(self_signed_days=0))
    with pytest.raises(SpecError):
        csr.wanted_spec(params(self_signed=True, self_signed_days=0))


@pytest.mark.parametrize(
    "overrides",
    [
        {"country_name": "UK"},
        {"subject_alt_name": ["DNS:*.com"]},
        {"key_size": 1024},
        {"friendly_name": "support "},
        {"common_name": "www.example.com"},
    ],
)
def test_bad_input_fails_before_the_appliance_is_contacted(overrides):
    result = run_logic(csr.MODULE_SPEC, OfflineContext(params(**overrides)))
    assert result["failed"] and result["changed"] is False and result["msg"]


def test_absent_checks_the_friendly_name_before_the_appliance_is_contacted():
    result = run_logic(csr.MODULE_SPEC, OfflineContext(params(state="absent", friendly_name="")))
    assert result["failed"] and "friendly_name is empty" in result["msg"]


# --- comparing with what exists ---------------------------------------------------


EXISTING = {
    "subject": {"common_name": "support.example.com", "country_name": "US"},
    "subject_alt_name": ["DNS:support.example.com", "DNS:remote.example.com"],
    "public_key_fingerprint": FP_A,
}


def test_the_same_spec_matches():
    assert csr.check_matches_spec(EXISTING, dict(EXISTING["subject"]), list(EXISTING["subject_alt_name"]), FP_A)


def test_names_after_the_first_may_come_in_any_order():
    sans = ["DNS:support.example.com", "DNS:remote.example.com"]
    assert (
        csr.spec_differences(
            {**EXISTING, "subject_alt_name": sans[:1] + sans[1:][::-1]}, EXISTING["subject"], sans, FP_A
        )
        == []
    )


def test_a_new_first_name_is_a_difference():
    sans = ["DNS:remote.example.com", "DNS:support.example.com"]
    assert csr.spec_differences(EXISTING, EXISTING["subject"], sans, FP_A) == ["subject_alt_name"]


def test_subject_key_and_names_are_each_reported():
    differences = csr.spec_differences(EXISTING, {"common_name": "support.example.com"}, ["DNS:x.example.com"], FP_B)
    assert differences == ["subject", "subject_alt_name", "key"]


def test_absent_subject_fields_do_not_count():
    existing = {**EXISTING, "subject": {**EXISTING["subject"], "locality_name": None}}
    assert csr.check_matches_spec(existing, EXISTING["subject"], EXISTING["subject_alt_name"], FP_A)


def test_a_key_still_to_be_generated_never_matches():
    assert csr.spec_differences(EXISTING, EXISTING["subject"], EXISTING["subject_alt_name"], None) == ["key"]


def test_nothing_existing_never_matches():
    assert csr.check_matches_spec(None, {}, [], FP_A) is False


def test_requests_named_finds_the_pending_and_the_newest_completed():
    requests = [
        {"id": "r1", "friendly_name": "a", "status": "completed", "created_at": "2026-01-01T00:00:00Z"},
        {"id": "r2", "friendly_name": "a", "status": "completed", "created_at": "2026-06-01T00:00:00Z"},
        {"id": "r3", "friendly_name": "a", "status": "pending", "created_at": "2026-07-01T00:00:00Z"},
        {"id": "r4", "friendly_name": "b", "status": "pending", "created_at": "2026-08-01T00:00:00Z"},
    ]
    pending, completed = csr.requests_named(requests, "a")
    assert pending["id"] == "r3" and completed["id"] == "r2"
    assert csr.requests_named(requests, "c") == (None, None)


def test_the_diff_of_a_request_shows_no_pem_and_names_the_key():
    request = {**EXISTING, "friendly_name": "a", "key_id": "key-1", "pem": "-----BEGIN", "status": "pending"}
    shown = csr.request_for_diff(request, "support key")
    assert "pem" not in shown and shown["key"] == "support key" and shown["public_key_fingerprint"] == FP_A
    assert csr.request_for_diff(None) == {}


# --- keys -----------------------------------------------------------------------


KEYS = [
    {"id": "key-1", "name": "support 2026", "type": "rsa", "size": 2048, "curve": None, "public_key_fingerprint": FP_A}
]


def test_resolve_key_uses_an_existing_key_of_any_spec_when_none_is_asked_for():
    wanted = csr.wanted_spec(params())
    assert csr.resolve_key(OfflineContext(params()), KEYS, wanted)["id"] == "key-1"


def test_resolve_key_returns_none_for_a_key_to_generate():
    wanted = csr.wanted_spec(params(friendly_name="other"))
    assert csr.resolve_key(OfflineContext(params()), KEYS, wanted) is None


def test_resolve_key_refuses_a_named_key_that_does_not_exist():
    wanted = csr.wanted_spec(params(key="typo"))
    with pytest.raises(ModuleFailed) as caught:
        csr.resolve_key(OfflineContext(params()), KEYS, wanted)
    assert "'typo'" in caught.value.msg and "'support 2026'" in caught.value.msg and "key_type" in caught.value.msg


def test_resolve_key_refuses_an_existing_key_of_another_spec():
    wanted = csr.wanted_spec(params(key_type="ec"))
    with pytest.raises(ModuleFailed) as caught:
        csr.resolve_key(OfflineContext(params()), KEYS, wanted)
    assert "RSA 2048" in caught.value.msg and "EC P-256" in caught.value.msg
