# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import datetime
import ipaddress
import re
import shutil
import subprocess

import cryptography_vectors
import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import names
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import SpecError, UnrecognizedFormat
from ansible_collections.bomgar.pki.plugins.module_utils.pki.names import SanEntry, SubjectSpec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, NameOID

FULL_SUBJECT = SubjectSpec(
    common_name="Bomgar Support",
    country_name="DE",
    state_or_province_name="Bavaria",
    locality_name="Munich",
    organization_name="Example GmbH",
    organizational_unit_name="IT",
)


@pytest.fixture(scope="module")
def signing_key():
    return ec.generate_private_key(ec.SECP256R1())


def _self_signed(key, subject: x509.Name, general_names=None, extra_extensions=()):
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if general_names is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(general_names), critical=False)
    for extension in extra_extensions:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(key, hashes.SHA256())


def _vector_certificate(path):
    with cryptography_vectors.open_vector_file(path, "rb") as handle:
        return x509.load_pem_x509_certificate(handle.read())


# --- parse_san ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DNS:support.example.com", "DNS:support.example.com"),
        ("dns:support.example.com", "DNS:support.example.com"),
        ("DNS:Support.EXAMPLE.com", "DNS:support.example.com"),
        ("DNS:support.example.com.", "DNS:support.example.com"),
        ("DNS:*.example.com", "DNS:*.example.com"),
        ("DNS:*.Example.COM.", "DNS:*.example.com"),
        ("DNS:bücher.example", "DNS:xn--bcher-kva.example"),
        ("DNS:BÜCHER.example", "DNS:xn--bcher-kva.example"),
        ("DNS:XN--BCHER-KVA.example", "DNS:xn--bcher-kva.example"),
        ("DNS:*.bücher.example", "DNS:*.xn--bcher-kva.example"),
        ("DNS:bücher\u3002example", "DNS:xn--bcher-kva.example"),
        ("DNS:a-b.example.com", "DNS:a-b.example.com"),
        ("DNS:1st.example.com", "DNS:1st.example.com"),
        ("DNS:" + "a" * 63 + ".example.com", "DNS:" + "a" * 63 + ".example.com"),
        ("IP:192.0.2.1", "IP:192.0.2.1"),
        ("ip:192.0.2.1", "IP:192.0.2.1"),
        ("IP Address:192.0.2.1", "IP:192.0.2.1"),
        ("IP:2001:db8::1", "IP:2001:db8::1"),
        ("IP:2001:DB8:0:0:0:0:0:1", "IP:2001:db8::1"),
        ("IP:2001:0db8:0000::0001", "IP:2001:db8::1"),
    ],
)
def test_parse_san_normalises(text, expected):
    entry = names.parse_san(text)
    assert str(entry) == expected
    assert names.parse_san(entry) == entry


def test_parse_san_of_a_long_but_valid_name():
    # 4 labels of 63 characters and the dots: 255 characters, over the limit; three of them plus
    # a 61-character label make 253, at the limit.
    at_limit = ".".join(["a" * 63] * 3 + ["b" * 61])
    assert len(at_limit) == 253
    assert names.parse_san(f"DNS:{at_limit}").value == at_limit


@pytest.mark.parametrize(
    ("text", "problem", "hint"),
    [
        ("DNS:*.com", "at least two labels after '*'", "'*.example.com'"),
        ("DNS:*", "at least two labels after '*'", "'*.example.com'"),
        ("DNS:*.", "at least two labels after '*'", "'*.example.com'"),
        ("DNS:f*.example.com", "whole leftmost label", "'*.example.com'"),
        ("DNS:*f.example.com", "whole leftmost label", "'*.example.com'"),
        ("DNS:a.*.example.com", "only as the leftmost label", "'*.example.com'"),
        ("DNS:*.*.example.com", "only the leftmost label", "'*.example.com'"),
        ("support.example.com", "does not start with DNS: or IP:", "'DNS:support.example.com'"),
        ("192.0.2.1", "has no type prefix", "'IP:192.0.2.1'"),
        ("2001:db8::1", "has no type prefix", "'IP:2001:db8::1'"),
        ("support.example.com:443", "does not start with DNS: or IP:", "DNS: or IP:"),
        ("URI:https://support.example.com/", "of type 'URI'", "DNS names ('DNS:...')"),
        ("email:admin@example.com", "of type 'email'", "DNS names"),
        ("DNS:" + "a" * 64 + ".example.com", "label of 64 characters", "Shorten"),
        ("DNS:" + ".".join(["a" * 63] * 4), "255 characters long", "shorter name"),
        ("DNS:-bad.example.com", "begins or ends with a hyphen", "letter or digit"),
        ("DNS:bad-.example.com", "begins or ends with a hyphen", "letter or digit"),
        ("DNS:bad_host.example.com", "other than letters, digits and hyphens", "underscores"),
        ("DNS:support..example.com", "empty label", "extra dot"),
        ("DNS:.example.com", "empty label", "extra dot"),
        ("DNS:support example.com", "contains whitespace", "Remove the spaces"),
        ("DNS:", "is empty", "fully qualified"),
        ("DNS:support", "not a fully qualified DNS name", "'DNS:support.example.com'"),
        ("DNS:192.0.2.1", "IP address written as a DNS name", "'IP:192.0.2.1'"),
        ("DNS:host.123", "all-numeric label", "fully qualified"),
        ("DNS:xn--zz.example.com", "not a valid A-label", "Unicode form"),
        ("DNS:" + "ü" * 60 + ".example", "cannot be converted to an A-label", "63 characters"),
        ("IP:300.1.1.1", "'300.1.1.1' is not a valid IPv4 or IPv6 address", "'IP:192.0.2.10'"),
        ("IP:192.0.2.01", "is not a valid IPv4 or IPv6 address", "'IP:192.0.2.10'"),
        ("IP:support.example.com", "is not a valid IPv4 or IPv6 address", "'IP:192.0.2.10'"),
        ("IP:192.0.2.0/24", "is a network, not an address", "each IP address"),
        ("IP:fe80::1%eth0", "zone index", "bare address"),
        (" DNS:support.example.com", "leading or trailing whitespace", "'DNS:support.example.com'"),
        ("", "is empty", "Remove the empty entry"),
    ],
)
def test_parse_san_refuses_bad_input(text, problem, hint):
    with pytest.raises(SpecError) as caught:
        names.parse_san(text)
    assert problem in caught.value.message
    assert hint in caught.value.hint


@pytest.mark.parametrize("value", [None, 42, b"DNS:support.example.com"])
def test_parse_san_refuses_what_is_not_text(value):
    with pytest.raises(SpecError, match="must be text"):
        names.parse_san(value)


def test_parse_sans_keeps_order_and_drops_duplicates_after_normalising():
    entries = names.parse_sans(
        [
            "DNS:support.example.com",
            "IP:2001:db8::1",
            "DNS:Support.Example.com.",
            SanEntry("DNS", "remote.example.com"),
            "IP:2001:DB8:0::1",
            "dns:remote.example.com",
        ]
    )
    assert [str(entry) for entry in entries] == ["DNS:support.example.com", "IP:2001:db8::1", "DNS:remote.example.com"]


@pytest.mark.parametrize(("items", "expected"), [(None, []), ([], []), ("DNS:a.example.com", ["DNS:a.example.com"])])
def test_parse_sans_edge_inputs(items, expected):
    assert [str(entry) for entry in names.parse_sans(items)] == expected


def test_parse_sans_reports_the_bad_item():
    with pytest.raises(SpecError, match=re.escape("'f*.example.com'")):
        names.parse_sans(["DNS:ok.example.com", "DNS:f*.example.com"])


# --- DNS name helpers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bücher.example", "xn--bcher-kva.example"),
        ("EXAMPLE.com.", "example.com"),
        ("localhost", "localhost"),
        ("*.example.com", "*.example.com"),
    ],
)
def test_normalize_dns_name(name, expected):
    assert names.normalize_dns_name(name) == expected


@pytest.mark.parametrize("name", ["*.example.com", "*.co.uk", "example.com", "support.example.com"])
def test_validate_wildcard_accepts(name):
    assert names.validate_wildcard(name) is None


@pytest.mark.parametrize("name", ["*", "*.com", "*.com.", "f*.example.com", "a.*.example.com", "*.*.example.com"])
def test_validate_wildcard_refuses(name):
    with pytest.raises(SpecError, match="Wildcard DNS name"):
        names.validate_wildcard(name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("support.example.com", True),
        ("Support.Example.com.", True),
        ("*.example.com", True),
        ("bücher.example", True),
        ("Bomgar Support", False),
        ("support", False),
        ("192.0.2.1", False),
        ("*.com", False),
        ("bad_host.example.com", False),
        ("", False),
        (None, False),
    ],
)
def test_is_dns_name(text, expected):
    assert names.is_dns_name(text) is expected


# --- coverage -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hostname", "sans", "expected"),
    [
        ("support.example.com", ["DNS:support.example.com"], True),
        ("SUPPORT.Example.com.", ["DNS:support.example.com"], True),
        ("support.example.com", ["DNS:Support.Example.com."], True),
        ("remote.example.com", ["DNS:support.example.com"], False),
        ("a.example.com", ["DNS:*.example.com"], True),
        ("support.example.com", ["DNS:*.example.com"], True),
        ("example.com", ["DNS:*.example.com"], False),
        ("a.b.example.com", ["DNS:*.example.com"], False),
        ("a.notexample.com", ["DNS:*.example.com"], False),
        ("support.example.org", ["DNS:*.example.com"], False),
        ("example.com", ["DNS:*.example.com", "DNS:example.com"], True),
        ("bücher.example.com", ["DNS:xn--bcher-kva.example.com"], True),
        ("xn--bcher-kva.example.com", ["DNS:bücher.example.com"], True),
        ("bücher.example.com", ["DNS:*.example.com"], True),
        ("bücher.example.com", ["DNS:bucher.example.com"], False),
        ("*.example.com", ["DNS:*.example.com"], True),
        ("*.example.com", ["DNS:a.example.com"], False),
        ("192.0.2.1", ["IP:192.0.2.1"], True),
        ("192.0.2.1", ["IP:192.0.2.2"], False),
        ("192.0.2.1", ["DNS:*.example.com"], False),
        ("192.0.2.1", ["DNS:support.example.com", "IP:192.0.2.1"], True),
        ("2001:DB8::1", ["IP:2001:db8:0::1"], True),
        ("[2001:db8::1]", ["IP:2001:db8::1"], True),
        ("support.example.com", ["IP:192.0.2.1"], False),
        ("support.example.com", [], False),
        ("support.example.com", [SanEntry("DNS", "*.example.com")], True),
        ("localhost", ["DNS:*.example.com"], False),
    ],
)
def test_hostname_covered(hostname, sans, expected):
    assert names.hostname_covered(hostname, sans) is expected


@pytest.mark.parametrize("hostname", ["bad_host.example.com", "*.com", "", "two words.example.com"])
def test_hostname_covered_refuses_a_bad_hostname(hostname):
    with pytest.raises(SpecError):
        names.hostname_covered(hostname, ["DNS:*.example.com"])


def test_uncovered_hostnames_lists_what_is_missing_in_order():
    sans = ["DNS:*.example.com", "IP:192.0.2.1"]
    hostnames = ["support.example.com", "example.com", "a.b.example.com", "192.0.2.1", "192.0.2.2", "tn1.example.com"]
    assert names.uncovered_hostnames(hostnames, sans) == ["example.com", "a.b.example.com", "192.0.2.2"]
    assert names.uncovered_hostnames("example.com", sans) == ["example.com"]
    assert names.uncovered_hostnames([], sans) == []


# --- general names and certificates --------------------------------------------------


def test_san_general_name():
    assert names.san_general_name(SanEntry("DNS", "support.example.com")) == x509.DNSName("support.example.com")
    assert names.san_general_name(SanEntry("IP", "2001:db8::1")) == x509.IPAddress(ipaddress.ip_address("2001:db8::1"))
    with pytest.raises(SpecError, match="'URI' is not supported"):
        names.san_general_name(SanEntry("URI", "https://example.com/"))


def test_sans_from_certificate_and_request(signing_key):
    entries = names.parse_sans(["DNS:support.example.com", "DNS:*.bücher.example", "IP:192.0.2.1", "IP:2001:db8::1"])
    general_names = [names.san_general_name(entry) for entry in entries]
    general_names.insert(1, x509.UniformResourceIdentifier("https://support.example.com/"))
    general_names.append(x509.RFC822Name("admin@example.com"))
    cert = _self_signed(signing_key, x509.Name([]), general_names)
    expected = ["DNS:support.example.com", "DNS:*.xn--bcher-kva.example", "IP:192.0.2.1", "IP:2001:db8::1"]
    assert [str(entry) for entry in names.sans_from_certificate(cert)] == expected

    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(names.build_name(FULL_SUBJECT))
        .add_extension(x509.SubjectAlternativeName(general_names), critical=False)
        .sign(signing_key, hashes.SHA256())
    )
    assert [str(entry) for entry in names.sans_from_certificate(csr)] == expected


def test_sans_from_certificate_without_the_extension(signing_key):
    cert = _self_signed(signing_key, names.build_name(FULL_SUBJECT))
    assert names.sans_from_certificate(cert) == []
    assert names.sans_from_certificate(_vector_certificate("x509/custom/no_sans.pem")) == []


def test_sans_from_certificate_normalises_what_the_certificate_holds(signing_key):
    cert = _self_signed(
        signing_key, x509.Name([]), [x509.DNSName("Support.Example.COM"), x509.DNSName("odd_name.example")]
    )
    assert [str(entry) for entry in names.sans_from_certificate(cert)] == [
        "DNS:support.example.com",
        "DNS:odd_name.example",
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("x509/cryptography.io.pem", ["DNS:www.cryptography.io", "DNS:cryptography.io"]),
        (
            "x509/wildcard_san.pem",
            ["DNS:*.langui.sh", "DNS:langui.sh", "DNS:*.saseliminator.com", "DNS:saseliminator.com"],
        ),
        ("x509/custom/san_email_dns_ip_dirname_uri.pem", ["DNS:cryptography.io", "IP:127.0.0.1", "IP:ff::"]),
        ("x509/custom/san_wildcard_idna.pem", ["DNS:*.xn--80ato2c.cryptography"]),
    ],
)
def test_sans_from_real_certificates(path, expected):
    assert [str(entry) for entry in names.sans_from_certificate(_vector_certificate(path))] == expected


@pytest.mark.parametrize("path", ["x509/custom/malformed-san.pem", "x509/custom/two_basic_constraints.pem"])
def test_sans_from_a_malformed_certificate(path):
    with pytest.raises(UnrecognizedFormat, match="cannot be read"):
        names.sans_from_certificate(_vector_certificate(path))


def test_sans_from_certificate_that_openssl_made(tmp_path):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert_path = tmp_path / "cert.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(tmp_path / "key.pem"),
            "-out",
            str(cert_path),
            "-days",
            "1",
            "-subj",
            "/C=DE/ST=Bavaria/O=Example GmbH/CN=Support.Example.com",
            "-addext",
            "subjectAltName=DNS:Support.Example.com,email:admin@example.com,IP:2001:DB8::1,URI:https://x.example/",
        ],
        check=True,
        capture_output=True,
    )
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    assert [str(entry) for entry in names.sans_from_certificate(cert)] == ["DNS:support.example.com", "IP:2001:db8::1"]
    assert names.subject_from_name(cert.subject) == SubjectSpec(
        common_name="Support.Example.com",
        country_name="DE",
        state_or_province_name="Bavaria",
        organization_name="Example GmbH",
    )


# --- subject names -------------------------------------------------------------------


def test_build_name_orders_rdns_c_st_l_o_ou_cn():
    name = names.build_name(FULL_SUBJECT)
    assert [attribute.oid for attribute in name] == [
        NameOID.COUNTRY_NAME,
        NameOID.STATE_OR_PROVINCE_NAME,
        NameOID.LOCALITY_NAME,
        NameOID.ORGANIZATION_NAME,
        NameOID.ORGANIZATIONAL_UNIT_NAME,
        NameOID.COMMON_NAME,
    ]
    # RFC 4514 writes the RDNs last first.
    assert names.name_to_text(name) == "CN=Bomgar Support,OU=IT,O=Example GmbH,L=Munich,ST=Bavaria,C=DE"


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
    name = names.build_name(subject)
    assert names.subject_from_name(name) == subject
    # Through DER and back, as a certificate stores it.
    cert = _self_signed(signing_key, name)
    reloaded = x509.load_der_x509_certificate(cert.public_bytes(serialization.Encoding.DER))
    assert names.subject_from_name(reloaded.subject) == subject


def test_build_name_leaves_blank_fields_out():
    name = names.build_name(SubjectSpec(common_name="Support", organization_name="", locality_name="  "))
    assert names.name_to_text(name) == "CN=Support"


def test_build_name_turns_an_unencodable_field_into_a_spec_error():
    with pytest.raises(SpecError, match="country_name 'DEU' cannot be encoded"):
        names.build_name(SubjectSpec(country_name="DEU"))


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
    assert names.subject_from_name(name) == SubjectSpec(common_name="Support", organizational_unit_name="First")
    assert names.unrepresented_attributes(name) == ["1.2.840.113549.1.9.1=admin@example.com", "OU=Second"]
    assert names.unrepresented_attributes(names.build_name(FULL_SUBJECT)) == []


def test_subject_from_name_of_a_real_certificate():
    cert = _vector_certificate("x509/wildcard_san.pem")
    assert names.subject_from_name(cert.subject) == SubjectSpec(
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
    assert names.validate_request(subject, sans) == []


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
        names.validate_request(subject, sans)
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
    warnings = names.validate_request(subject, sans)
    assert len(warnings) == 1
    for fragment in expected:
        assert fragment in warnings[0]


def test_validate_request_collects_every_warning():
    subject = SubjectSpec(common_name="Support", country_name="US", state_or_province_name="TX")
    warnings = names.validate_request(subject, [])
    assert len(warnings) == 2
    assert "'Texas'" in warnings[0]
    assert "no subject alternative names" in warnings[1]


def test_validate_request_accepts_san_entries_and_an_ip_common_name():
    sans = [SanEntry("IP", "192.0.2.1"), SanEntry("DNS", "support.example.com")]
    warnings = names.validate_request(SubjectSpec(common_name="192.0.2.1"), sans)
    assert warnings == ["IP address SANs are possible but not recommended (192.0.2.1); prefer DNS names."]


def test_validate_request_refuses_a_subject_that_is_not_a_subject_spec():
    with pytest.raises(SpecError, match="must be a SubjectSpec"):
        names.validate_request({"common_name": "Support"}, WEB)


def test_errors_carry_field_and_value_in_details():
    with pytest.raises(SpecError) as caught:
        names.validate_request(SubjectSpec(country_name="UK"), WEB)
    assert caught.value.details["field"] == "country_name"
    assert caught.value.details["value"] == "UK"
    assert caught.value.as_dict()["error"] == "invalid_spec"


def test_an_unencodable_san_extension_is_never_produced(signing_key):
    # The alternative names built from parsed entries survive a round trip through DER.
    entries = names.parse_sans(["DNS:*.bücher.example", "IP:2001:db8::1"])
    cert = _self_signed(signing_key, x509.Name([]), [names.san_general_name(entry) for entry in entries])
    reloaded = x509.load_der_x509_certificate(cert.public_bytes(serialization.Encoding.DER))
    extension = reloaded.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    assert extension.value.get_values_for_type(x509.DNSName) == ["*.xn--bcher-kva.example"]
    assert names.sans_from_certificate(reloaded) == entries
