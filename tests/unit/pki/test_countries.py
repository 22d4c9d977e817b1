# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import re
from pathlib import Path

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import countries
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import SpecError

# The time zone database ships its own copy of the ISO 3166-1 alpha-2 table.
TZDATA_ISO3166 = Path("/usr/share/zoneinfo/iso3166.tab")


def test_table_holds_the_249_assigned_codes():
    assert len(countries.COUNTRY_NAMES) == 249
    assert all(re.fullmatch(r"[A-Z]{2}", code) for code in countries.COUNTRY_NAMES)
    assert all(name and name == name.strip() for name in countries.COUNTRY_NAMES.values())


def test_alpha3_table_maps_one_to_one_onto_the_alpha2_codes():
    assert len(countries.ALPHA3_TO_ALPHA2) == 249
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in countries.ALPHA3_TO_ALPHA2)
    assert sorted(countries.ALPHA3_TO_ALPHA2.values()) == sorted(countries.COUNTRY_NAMES)


@pytest.mark.skipif(not TZDATA_ISO3166.exists(), reason="tzdata's iso3166.tab is not installed")
def test_codes_agree_with_the_time_zone_database():
    lines = TZDATA_ISO3166.read_text(encoding="utf-8").splitlines()
    tz_codes = {line.split("\t")[0] for line in lines if line and not line.startswith("#")}
    assert tz_codes == set(countries.COUNTRY_NAMES)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("DE", "Germany"),
        ("GB", "United Kingdom"),
        ("US", "United States"),
        ("FR", "France"),
        ("JP", "Japan"),
        ("CH", "Switzerland"),
        ("AX", "Åland Islands"),
        ("SS", "South Sudan"),
    ],
)
def test_known_codes(code, name):
    assert countries.is_country_code(code)
    assert countries.country_name(code) == name
    assert countries.country_name(code.lower()) == name


@pytest.mark.parametrize(
    ("alpha3", "alpha2"), [("USA", "US"), ("DEU", "DE"), ("GBR", "GB"), ("CHE", "CH"), ("NLD", "NL")]
)
def test_known_alpha3_codes(alpha3, alpha2):
    assert countries.ALPHA3_TO_ALPHA2[alpha3] == alpha2


@pytest.mark.parametrize(
    "value",
    ["de", "UK", "EL", "EU", "XX", "ZZ", "USA", "Germany", "D", "", " DE", "DE ", "D E", None, 49, ("D", "E")],
)
def test_is_country_code_refuses_everything_but_an_assigned_upper_case_code(value):
    assert not countries.is_country_code(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DE", "DE"),
        ("de", "DE"),
        ("UK", "GB"),
        ("u.k.", "GB"),
        ("EL", "GR"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("deu", "DE"),
        ("Germany", "DE"),
        ("GERMANY", "DE"),
        ("  germany ", "DE"),
        ("United States of America", "US"),
        ("England", "GB"),
        ("The Netherlands", "NL"),
        ("Cote d'Ivoire", "CI"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Bolivia", "BO"),
        ("Republic of Korea", "KR"),
        ("South Korea", "KR"),
        ("Falkland Islands", "FK"),
        ("British Virgin Islands", "VG"),
        ("Korea", None),
        ("Atlantis", None),
        ("XX", None),
        ("", None),
        ("   ", None),
        (None, None),
        (276, None),
    ],
)
def test_suggest_country_code(text, expected):
    assert countries.suggest_country_code(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("DE", "DE"), ("de", "DE"), ("gB", "GB"), ("us", "US")])
def test_normalize_forgives_letter_case_only(text, expected):
    assert countries.normalize_country_code(text) == expected


@pytest.mark.parametrize(
    ("value", "problem", "hint"),
    [
        ("UK", "'UK' is not an assigned ISO 3166-1 alpha-2", "Use 'GB' (United Kingdom)"),
        ("USA", "'USA' is not an assigned", "Use 'US' (United States)"),
        ("Germany", "'Germany' is not an assigned", "Use 'DE' (Germany)"),
        ("XX", "'XX' is not an assigned", "two-letter ISO 3166-1 alpha-2 code"),
        ("", "is empty", "two-letter ISO 3166-1 alpha-2 code"),
        (" DE", "leading or trailing whitespace", "Use 'DE'"),
        (False, "must be text", "two-letter"),
    ],
)
def test_normalize_refuses_with_a_hint(value, problem, hint):
    with pytest.raises(SpecError) as caught:
        countries.normalize_country_code(value)
    assert problem in caught.value.message
    assert "country_name" in caught.value.message
    assert hint in caught.value.hint


def test_strict_check_names_lower_case_as_the_problem():
    error = countries.country_code_error("de")
    assert "'de' must be written in upper case" in error.message
    assert error.hint == "Use 'DE' (Germany)."
    assert error.details["suggestion"] == "DE"


def test_country_name_of_an_unknown_code_raises():
    with pytest.raises(SpecError, match="'QZ' is not an assigned"):
        countries.country_name("QZ")


@pytest.mark.parametrize(
    ("country", "code", "expected"),
    [
        ("US", "CA", "California"),
        ("US", "ny", "New York"),
        ("US", "N.Y.", "New York"),
        ("CA", "BC", "British Columbia"),
        ("AU", "NSW", "New South Wales"),
        ("DE", "BY", None),
        ("US", "ZZ", None),
        (None, "CA", None),
    ],
)
def test_subdivision_name(country, code, expected):
    assert countries.subdivision_name(country, code) == expected
