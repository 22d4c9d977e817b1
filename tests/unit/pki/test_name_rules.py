# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The procedure's rules about a certificate's names (validate_request)."""

from __future__ import annotations

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import name_rules
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import SpecError
from ansible_collections.bomgar.pki.plugins.module_utils.pki.hostnames import SanEntry
from ansible_collections.bomgar.pki.plugins.module_utils.pki.subject_fields import SubjectSpec
from names_material import FULL_SUBJECT

# --- validate_request -----------------------------------------------------------------

WEB = ["DNS:support.example.com", "DNS:remote.example.com"]


@pytest.mark.parametrize(
    ("subject", "sans"),
    [
        (FULL_SUBJECT, WEB),
        (SubjectSpec(common_name="support.example.com"), WEB),
        (SubjectSpec(common_name="*.example.com"), ["DNS:*.example.com", "DNS:example.com"]),
        (SubjectSpec(common_name="xn--bcher-kva.example"), ["DNS:bücher.example"]),
        (SubjectSpec(), WEB),
        (SubjectSpec(common_name="   "), WEB),
        (SubjectSpec(country_name="GB", state_or_province_name="Greater London"), WEB),
        (SubjectSpec(common_name="C" * 64, organization_name="O" * 64, organizational_unit_name="U" * 64), WEB),
        (SubjectSpec(locality_name="L" * 128, state_or_province_name="S" * 128), WEB),
        (SubjectSpec(common_name="Support Portal v2.1"), WEB),
    ],
)
def test_validate_request_accepts_without_warnings(subject, sans):
    assert name_rules.validate_request(subject, sans) == []


@pytest.mark.parametrize(
    ("subject", "sans", "problem", "hint"),
    [
        # Country: two characters, an assigned ISO 3166-1 alpha-2 code.
        (SubjectSpec(country_name="UK"), WEB, "country_name 'UK' is not an assigned", "Use 'GB' (United Kingdom)"),
        (SubjectSpec(country_name="Germany"), WEB, "country_name 'Germany'", "Use 'DE' (Germany)"),
        (SubjectSpec(country_name="USA"), WEB, "country_name 'USA'", "Use 'US' (United States)"),
        (SubjectSpec(country_name="de"), WEB, "'de' must be written in upper case", "Use 'DE'"),
        (SubjectSpec(country_name="XX"), WEB, "country_name 'XX'", "two-letter ISO 3166-1"),
        # A common name or at least one alternative name.
        (SubjectSpec(organization_name="Example GmbH"), [], "neither a common_name nor", "'DNS:support.example.com'"),
        (SubjectSpec(common_name=" "), [], "neither a common_name nor", "subject alternative names"),
        # A DNS common name is the first alternative name.
        (
            SubjectSpec(common_name="support.example.com"),
            [],
            "'support.example.com' is a DNS name but the request has no subject alternative names",
            "Add 'DNS:support.example.com' as the first subject alternative name",
        ),
        (
            SubjectSpec(common_name="192.0.2.10"),
            [],
            "'192.0.2.10' is an IP address but the request has no subject alternative names",
            "Add 'IP:192.0.2.10' as the first subject alternative name",
        ),
        (
            SubjectSpec(common_name="192.0.2.10"),
            ["DNS:remote.example.com"],
            "'192.0.2.10' is an IP address but not the first subject alternative name",
            "Add 'IP:192.0.2.10' as the first",
        ),
        (
            SubjectSpec(common_name="support.example.com"),
            ["DNS:remote.example.com", "DNS:support.example.com"],
            "is subject alternative name number 2; it must be the first",
            "Move 'DNS:support.example.com' to the top",
        ),
        (
            SubjectSpec(common_name="support.example.com"),
            ["DNS:remote.example.com"],
            "not the first subject alternative name ('DNS:remote.example.com')",
            "Add 'DNS:support.example.com' as the first",
        ),
        (
            SubjectSpec(common_name="support.example.com"),
            ["DNS:*.example.com"],
            "not the first subject alternative name",
            "Add 'DNS:support.example.com'",
        ),
        (
            SubjectSpec(common_name="Support.Example.com"),
            WEB,
            "must be spelled exactly as the first subject alternative name 'support.example.com'",
            "Set common_name to 'support.example.com'",
        ),
        (
            SubjectSpec(common_name="bücher.example"),
            ["DNS:bücher.example"],
            "spelled exactly as the first subject alternative name 'xn--bcher-kva.example'",
            "'xn--bcher-kva.example'",
        ),
        (SubjectSpec(common_name="*.com"), WEB, "common_name '*.com': Wildcard DNS name", "'*.example.com'"),
        (
            SubjectSpec(common_name="192.0.2.1"),
            ["DNS:support.example.com", "IP:192.0.2.1"],
            "is subject alternative name number 2",
            "Move 'IP:192.0.2.1'",
        ),
        # RFC 5280 upper bounds.
        (
            SubjectSpec(common_name="C" * 65),
            WEB,
            "is 65 characters long; RFC 5280 allows at most 64",
            "64 characters or fewer",
        ),
        (SubjectSpec(organization_name="O" * 65), WEB, "organization_name", "64 characters or fewer"),
        (SubjectSpec(organizational_unit_name="U" * 65), WEB, "organizational_unit_name", "64 characters or fewer"),
        (SubjectSpec(locality_name="L" * 129), WEB, "locality_name", "128 characters or fewer"),
        (SubjectSpec(state_or_province_name="S" * 129), WEB, "state_or_province_name", "128 characters or fewer"),
        # Surrounding whitespace and control characters.
        (SubjectSpec(common_name=" Support"), WEB, "common_name ' Support' has leading or trailing", "'Support'"),
        (SubjectSpec(organization_name="Example GmbH\n"), WEB, "organization_name", "'Example GmbH'"),
        (SubjectSpec(locality_name="Mu\tnich"), WEB, "contains a control character", "one line"),
        (SubjectSpec(country_name=" DE"), WEB, "country_name ' DE' has leading or trailing", "'DE'"),
        (SubjectSpec(country_name=False), WEB, "country_name must be text", "Norway"),
        # Alternative names are parsed and checked too.
        (FULL_SUBJECT, ["support.example.com"], "does not start with DNS: or IP:", "DNS: or IP:"),
        (FULL_SUBJECT, ["DNS:f*.example.com"], "whole leftmost label", "'*.example.com'"),
    ],
)
def test_validate_request_refuses(subject, sans, problem, hint):
    with pytest.raises(SpecError) as caught:
        name_rules.validate_request(subject, sans)
    assert problem in caught.value.message
    assert hint in caught.value.hint


@pytest.mark.parametrize(
    ("subject", "sans", "expected"),
    [
        (
            SubjectSpec(country_name="US", state_or_province_name="CA"),
            WEB,
            ["'CA' looks like an abbreviation", "'California'"],
        ),
        (SubjectSpec(country_name="US", state_or_province_name="N.Y."), WEB, ["some CAs reject", "'New York'"]),
        (SubjectSpec(state_or_province_name="NY"), WEB, ["'NY' looks like an abbreviation", "full name"]),
        (SubjectSpec(country_name="DE", state_or_province_name="Bav."), WEB, ["'Bav.' looks like", "full name."]),
        (SubjectSpec(country_name="DE", state_or_province_name="NRW"), WEB, ["'NRW' looks like"]),
        (SubjectSpec(country_name="AU", state_or_province_name="nsw"), WEB, ["'New South Wales'"]),
        (SubjectSpec(common_name="Support"), ["IP:192.0.2.1"], ["IP address SANs are possible but not recommended"]),
        (
            SubjectSpec(common_name="Support"),
            ["DNS:support.example.com", "IP:192.0.2.1", "IP:2001:db8::1"],
            ["not recommended (192.0.2.1, 2001:db8::1)"],
        ),
        (SubjectSpec(common_name="Support"), [], ["no subject alternative names", "browsers ignore the common name"]),
    ],
)
def test_validate_request_warns(subject, sans, expected):
    warnings = name_rules.validate_request(subject, sans)
    assert len(warnings) == 1
    for fragment in expected:
        assert fragment in warnings[0]


def test_validate_request_collects_every_warning():
    subject = SubjectSpec(common_name="Support", country_name="US", state_or_province_name="TX")
    warnings = name_rules.validate_request(subject, [])
    assert len(warnings) == 2
    assert "'Texas'" in warnings[0]
    assert "no subject alternative names" in warnings[1]


def test_validate_request_accepts_san_entries_and_an_ip_common_name():
    sans = [SanEntry("IP", "192.0.2.1"), SanEntry("DNS", "support.example.com")]
    warnings = name_rules.validate_request(SubjectSpec(common_name="192.0.2.1"), sans)
    assert warnings == ["IP address SANs are possible but not recommended (192.0.2.1); prefer DNS names."]


def test_validate_request_refuses_a_subject_that_is_not_a_subject_spec():
    with pytest.raises(SpecError, match="must be a SubjectSpec"):
        name_rules.validate_request({"common_name": "Support"}, WEB)


def test_errors_carry_field_and_value_in_details():
    with pytest.raises(SpecError) as caught:
        name_rules.validate_request(SubjectSpec(country_name="UK"), WEB)
    assert caught.value.details["field"] == "country_name"
    assert caught.value.details["value"] == "UK"
    assert caught.value.as_dict()["error"] == "invalid_spec"
