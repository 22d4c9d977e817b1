# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Subject fields: SubjectSpec, X.509 names built from it and read back."""

from __future__ import annotations

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import subject_fields
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import SpecError
from ansible_collections.bomgar.pki.plugins.module_utils.pki.subject_fields import SubjectSpec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from names_material import FULL_SUBJECT, self_signed, vector_certificate

# --- subject names -------------------------------------------------------------------


def test_build_name_orders_rdns_c_st_l_o_ou_cn():
    name = subject_fields.build_name(FULL_SUBJECT)
    assert [attribute.oid for attribute in name] == [
        NameOID.COUNTRY_NAME,
        NameOID.STATE_OR_PROVINCE_NAME,
        NameOID.LOCALITY_NAME,
        NameOID.ORGANIZATION_NAME,
        NameOID.ORGANIZATIONAL_UNIT_NAME,
        NameOID.COMMON_NAME,
    ]
    # RFC 4514 writes the RDNs last first.
    assert subject_fields.name_to_text(name) == "CN=Bomgar Support,OU=IT,O=Example GmbH,L=Munich,ST=Bavaria,C=DE"


@pytest.mark.parametrize(
    "subject",
    [
        FULL_SUBJECT,
        SubjectSpec(common_name="support.example.com"),
        SubjectSpec(country_name="CH", organization_name='Zürich AG, "Quoted" + Co'),
        SubjectSpec(),
    ],
)
def test_build_name_and_subject_from_name_round_trip(subject, signing_key):
    name = subject_fields.build_name(subject)
    assert subject_fields.subject_from_name(name) == subject
    # Through DER and back, as a certificate stores it.
    cert = self_signed(signing_key, name)
    reloaded = x509.load_der_x509_certificate(cert.public_bytes(serialization.Encoding.DER))
    assert subject_fields.subject_from_name(reloaded.subject) == subject


def test_build_name_leaves_blank_fields_out():
    name = subject_fields.build_name(SubjectSpec(common_name="Support", organization_name="", locality_name="  "))
    assert subject_fields.name_to_text(name) == "CN=Support"


def test_build_name_turns_an_unencodable_field_into_a_spec_error():
    with pytest.raises(SpecError, match="country_name 'DEU' cannot be encoded"):
        subject_fields.build_name(SubjectSpec(country_name="DEU"))


def test_subject_from_name_takes_the_first_of_repeated_attributes_and_reports_the_rest():
    name = x509.Name(
        [
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "First"),
                    x509.NameAttribute(NameOID.EMAIL_ADDRESS, "admin@example.com"),
                ]
            ),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Second")]),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, "Support")]),
        ]
    )
    assert subject_fields.subject_from_name(name) == SubjectSpec(
        common_name="Support", organizational_unit_name="First"
    )
    assert subject_fields.unrepresented_attributes(name) == ["1.2.840.113549.1.9.1=admin@example.com", "OU=Second"]
    assert subject_fields.unrepresented_attributes(subject_fields.build_name(FULL_SUBJECT)) == []


def test_subject_from_name_of_a_real_certificate():
    cert = vector_certificate("x509/wildcard_san.pem")
    assert subject_fields.subject_from_name(cert.subject) == SubjectSpec(
        common_name="*.langui.sh",
        country_name="US",
        state_or_province_name="Texas",
        locality_name="Austin",
        organization_name="Paul Kehrer",
    )


# --- SubjectSpec ---------------------------------------------------------------------


def test_subject_spec_as_dict_has_only_set_fields():
    assert SubjectSpec(common_name="Support", country_name="DE").as_dict() == {
        "common_name": "Support",
        "country_name": "DE",
    }
    assert SubjectSpec(common_name="", locality_name="  ").as_dict() == {}
    assert SubjectSpec.from_dict(FULL_SUBJECT.as_dict()) == FULL_SUBJECT


def test_subject_spec_from_dict_ignores_empty_values():
    spec = SubjectSpec.from_dict(
        {"common_name": "Support", "locality_name": None, "organization_name": "", "organizational_unit_name": "  "}
    )
    assert spec == SubjectSpec(common_name="Support")
    assert SubjectSpec.from_dict(None) == SubjectSpec()
    assert SubjectSpec.from_dict({}) == SubjectSpec()


@pytest.mark.parametrize(
    ("data", "problem", "hint"),
    [
        ({"CN": "Support"}, "Unknown subject field 'CN'", "Use 'common_name' instead of 'CN'"),
        ({"commonName": "Support"}, "Unknown subject field 'commonName'", "'common_name'"),
        ({"C": "DE"}, "Unknown subject field 'C'", "'country_name'"),
        ({"organisation_name": "Example"}, "'organisation_name'", "'organization_name'"),
        ({"city": "Munich"}, "'city'", "'locality_name'"),
        ({"OU": "IT"}, "'OU'", "'organizational_unit_name'"),
        ({"stateOrProvinceName": "Bavaria"}, "'stateOrProvinceName'", "'state_or_province_name'"),
        ({"colour": "blue"}, "Unknown subject field 'colour'", "common_name, country_name, state_or_province_name"),
        ({"country_name": False}, "country_name must be text, got bool False", "unquoted NO (Norway)"),
        ({"common_name": 42}, "common_name must be text, got int 42", "Quote the value"),
        ({"common_name": ["a"]}, "common_name must be text", "as text"),
    ],
)
def test_subject_spec_from_dict_refuses(data, problem, hint):
    with pytest.raises(SpecError) as caught:
        SubjectSpec.from_dict(data)
    assert problem in caught.value.message
    assert hint in caught.value.hint


def test_subject_spec_from_dict_refuses_what_is_not_a_mapping():
    with pytest.raises(SpecError, match="must be a mapping"):
        SubjectSpec.from_dict(["common_name", "Support"])
