# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostnames and subject alternative names: parsing, normalising, reading them from certificates, coverage."""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import hostnames, subject_fields
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import SpecError, UnrecognizedFormat
from ansible_collections.bomgar.pki.plugins.module_utils.pki.hostnames import SanEntry
from ansible_collections.bomgar.pki.plugins.module_utils.pki.subject_fields import SubjectSpec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtensionOID
from names_material import FULL_SUBJECT, self_signed, vector_certificate

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
    entry = hostnames.parse_san(text)
    assert str(entry) == expected
    assert hostnames.parse_san(entry) == entry


def test_parse_san_of_a_long_but_valid_name():
    # 4 labels of 63 characters and the dots: 255 characters, over the limit; three of them plus
    # a 61-character label make 253, at the limit.
    at_limit = ".".join(["a" * 63] * 3 + ["b" * 61])
    assert len(at_limit) == 253
    assert hostnames.parse_san(f"DNS:{at_limit}").value == at_limit


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
        hostnames.parse_san(text)
    assert problem in caught.value.message
    assert hint in caught.value.hint


@pytest.mark.parametrize("value", [None, 42, b"DNS:support.example.com"])
def test_parse_san_refuses_what_is_not_text(value):
    with pytest.raises(SpecError, match="must be text"):
        hostnames.parse_san(value)


def test_parse_sans_keeps_order_and_drops_duplicates_after_normalising():
    entries = hostnames.parse_sans(
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
    assert [str(entry) for entry in hostnames.parse_sans(items)] == expected


def test_parse_sans_reports_the_bad_item():
    with pytest.raises(SpecError, match=re.escape("'f*.example.com'")):
        hostnames.parse_sans(["DNS:ok.example.com", "DNS:f*.example.com"])


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
    assert hostnames.normalize_dns_name(name) == expected


@pytest.mark.parametrize("name", ["*.example.com", "*.co.uk", "example.com", "support.example.com"])
def test_validate_wildcard_accepts(name):
    assert hostnames.validate_wildcard(name) is None


@pytest.mark.parametrize("name", ["*", "*.com", "*.com.", "f*.example.com", "a.*.example.com", "*.*.example.com"])
def test_validate_wildcard_refuses(name):
    with pytest.raises(SpecError, match="Wildcard DNS name"):
        hostnames.validate_wildcard(name)


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
    assert hostnames.is_dns_name(text) is expected


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
    assert hostnames.hostname_covered(hostname, sans) is expected


@pytest.mark.parametrize("hostname", ["bad_host.example.com", "*.com", "", "two words.example.com"])
def test_hostname_covered_refuses_a_bad_hostname(hostname):
    with pytest.raises(SpecError):
        hostnames.hostname_covered(hostname, ["DNS:*.example.com"])


def test_uncovered_hostnames_lists_what_is_missing_in_order():
    sans = ["DNS:*.example.com", "IP:192.0.2.1"]
    asked = ["support.example.com", "example.com", "a.b.example.com", "192.0.2.1", "192.0.2.2", "tn1.example.com"]
    assert hostnames.uncovered_hostnames(asked, sans) == ["example.com", "a.b.example.com", "192.0.2.2"]
    assert hostnames.uncovered_hostnames("example.com", sans) == ["example.com"]
    assert hostnames.uncovered_hostnames([], sans) == []


# --- general names and certificates --------------------------------------------------


def test_san_general_name():
    assert hostnames.san_general_name(SanEntry("DNS", "support.example.com")) == x509.DNSName("support.example.com")
    assert hostnames.san_general_name(SanEntry("IP", "2001:db8::1")) == x509.IPAddress(
        ipaddress.ip_address("2001:db8::1")
    )
    with pytest.raises(SpecError, match="'URI' is not supported"):
        hostnames.san_general_name(SanEntry("URI", "https://example.com/"))


def test_sans_from_certificate_and_request(signing_key):
    entries = hostnames.parse_sans(
        ["DNS:support.example.com", "DNS:*.bücher.example", "IP:192.0.2.1", "IP:2001:db8::1"]
    )
    general_names = [hostnames.san_general_name(entry) for entry in entries]
    general_names.insert(1, x509.UniformResourceIdentifier("https://support.example.com/"))
    general_names.append(x509.RFC822Name("admin@example.com"))
    cert = self_signed(signing_key, x509.Name([]), general_names)
    expected = ["DNS:support.example.com", "DNS:*.xn--bcher-kva.example", "IP:192.0.2.1", "IP:2001:db8::1"]
    assert [str(entry) for entry in hostnames.sans_from_certificate(cert)] == expected

    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject_fields.build_name(FULL_SUBJECT))
        .add_extension(x509.SubjectAlternativeName(general_names), critical=False)
        .sign(signing_key, hashes.SHA256())
    )
    assert [str(entry) for entry in hostnames.sans_from_certificate(csr)] == expected


def test_sans_from_certificate_without_the_extension(signing_key):
    cert = self_signed(signing_key, subject_fields.build_name(FULL_SUBJECT))
    assert hostnames.sans_from_certificate(cert) == []
    assert hostnames.sans_from_certificate(vector_certificate("x509/custom/no_sans.pem")) == []


def test_sans_from_certificate_normalises_what_the_certificate_holds(signing_key):
    cert = self_signed(
        signing_key, x509.Name([]), [x509.DNSName("Support.Example.COM"), x509.DNSName("odd_name.example")]
    )
    assert [str(entry) for entry in hostnames.sans_from_certificate(cert)] == [
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
    assert [str(entry) for entry in hostnames.sans_from_certificate(vector_certificate(path))] == expected


@pytest.mark.parametrize("path", ["x509/custom/malformed-san.pem", "x509/custom/two_basic_constraints.pem"])
def test_sans_from_a_malformed_certificate(path):
    with pytest.raises(UnrecognizedFormat, match="cannot be read"):
        hostnames.sans_from_certificate(vector_certificate(path))


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
    assert [str(entry) for entry in hostnames.sans_from_certificate(cert)] == [
        "DNS:support.example.com",
        "IP:2001:db8::1",
    ]
    assert subject_fields.subject_from_name(cert.subject) == SubjectSpec(
        common_name="Support.Example.com",
        country_name="DE",
        state_or_province_name="Bavaria",
        organization_name="Example GmbH",
    )


def test_an_unencodable_san_extension_is_never_produced(signing_key):
    # The alternative names built from parsed entries survive a round trip through DER.
    entries = hostnames.parse_sans(["DNS:*.bücher.example", "IP:2001:db8::1"])
    cert = self_signed(signing_key, x509.Name([]), [hostnames.san_general_name(entry) for entry in entries])
    reloaded = x509.load_der_x509_certificate(cert.public_bytes(serialization.Encoding.DER))
    extension = reloaded.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    assert extension.value.get_values_for_type(x509.DNSName) == ["*.xn--bcher-kva.example"]
    assert hostnames.sans_from_certificate(reloaded) == entries
