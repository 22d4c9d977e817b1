# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of chain building, classification and validation (plugins/module_utils/pki/chain.py)."""

from __future__ import annotations

import datetime
import itertools
import json
import os

import cryptography_vectors
import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import chain, chain_facts
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import AIAFetchError, ChainError
from ansible_collections.bomgar.pki.plugins.module_utils.pki.fingerprints import certificate_fingerprint
from chain_factory import (
    DAY,
    NOW,
    make_cert,
    make_hierarchy,
    make_intermediate,
    make_leaf,
    make_root,
    new_ec_key,
)
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

HOST = "support.example.com"
PKITS = os.path.join(os.path.dirname(cryptography_vectors.__file__), "x509", "PKITS_data", "certs")
PKITS_TIME = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)


def fingerprints(certs):
    return [certificate_fingerprint(cert) for cert in certs]


def pkits(file_name: str) -> x509.Certificate:
    with open(os.path.join(PKITS, file_name + ".crt"), "rb") as handle:
        return x509.load_der_x509_certificate(handle.read())


@pytest.fixture(scope="module")
def pki():
    """One hierarchy with AIA links, plus strays that belong to no path of it."""
    hierarchy = make_hierarchy(
        root_aia=("http://ca.example.test/root.cer",), leaf_aia=("http://ca.example.test/int.cer",)
    )
    other_root = make_root("Unrelated Root CA")
    other_intermediate = make_intermediate(other_root, "Unrelated Intermediate CA")
    return hierarchy, [other_root.cert, other_intermediate.cert]


# --- ordering -----------------------------------------------------------------


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
@pytest.mark.parametrize("extras", ["none", "strays", "duplicates", "strays_and_duplicates"])
def test_any_order_with_strays_and_duplicates_gives_the_same_chain(pki, order, extras):
    hierarchy, strays = pki
    certs = [hierarchy.certs[i] for i in order]
    if "strays" in extras:
        certs = [strays[0], *certs, strays[1]]
    if "duplicates" in extras:
        certs = [*certs, hierarchy.certs[order[0]], hierarchy.leaf.cert]

    report = chain.build_chain(certs, hostname=HOST, now=NOW)

    assert report.fingerprints() == fingerprints(hierarchy.certs)
    assert report.roles == ["server", "intermediate", "root"]
    assert report.status == chain.STATUS_COMPLETE
    assert report.leaf == hierarchy.leaf.cert
    assert fingerprints(report.unused) == (fingerprints(strays) if "strays" in extras else [])
    assert report.validated is True
    assert report.validated_hostname == HOST
    assert report.warnings == []


def test_same_name_roots_the_one_that_signed_is_chosen():
    impostor = make_root("Shared Name Root")
    real = make_root("Shared Name Root")
    assert impostor.cert.subject == real.cert.subject
    intermediate = make_intermediate(real)
    leaf = make_leaf(intermediate)

    for roots in ([impostor.cert, real.cert], [real.cert, impostor.cert]):
        report = chain.build_chain([leaf.cert, *roots, intermediate.cert], now=NOW)
        assert report.chain[-1] == real.cert
        assert report.status == chain.STATUS_COMPLETE
        assert report.unused == [impostor.cert]


def test_same_name_root_with_the_wrong_key_only_leaves_the_chain_incomplete():
    impostor = make_root("Shared Name Root")
    real = make_root("Shared Name Root")
    intermediate = make_intermediate(real)
    leaf = make_leaf(intermediate)

    report = chain.build_chain([leaf.cert, intermediate.cert, impostor.cert], now=NOW)

    assert report.status == chain.STATUS_INCOMPLETE
    assert report.chain == [leaf.cert, intermediate.cert]
    assert report.missing_issuer == real.cert.subject.rfc4514_string()
    assert any(
        "different CA with the same name" in w and certificate_fingerprint(impostor.cert) in w for w in report.warnings
    )


def _cross_signed(new_root_valid=True, cross_valid=True, cross_expires_later=False):
    """An intermediate key certified twice: by a new root and, cross-signed, by an old root."""
    old_root = make_root("Old Root CA")
    new_root = make_root(
        "New Root CA",
        not_after=None if new_root_valid else NOW - DAY,
        not_before=None if new_root_valid else NOW - 90 * DAY,
    )
    key = new_ec_key()
    later, sooner = NOW + 900 * DAY, NOW + 300 * DAY
    via_new = make_intermediate(new_root, "Issuing CA", key=key, not_after=sooner if cross_expires_later else later)
    via_old = make_intermediate(
        old_root,
        "Issuing CA",
        key=key,
        not_after=(later if cross_expires_later else sooner) if cross_valid else NOW - DAY,
        not_before=None if cross_valid else NOW - 90 * DAY,
    )
    leaf = make_leaf(via_new)
    return old_root.cert, new_root.cert, via_new.cert, via_old.cert, leaf.cert


@pytest.mark.parametrize(
    ("case", "present", "expected"),
    [
        # Both roots there: the intermediate that is valid and expires last wins.
        ("both roots", ("old_root", "new_root", "via_new", "via_old"), ("via_new", "new_root")),
        # The new root missing: the cross-signed path completes, so it wins over the later-expiring one.
        ("only old root", ("old_root", "via_new", "via_old"), ("via_old", "old_root")),
        # Only the new root: the cross-signed certificate is a stray.
        ("only new root", ("new_root", "via_new", "via_old"), ("via_new", "new_root")),
    ],
)
def test_cross_signed_intermediate(case, present, expected):
    old_root, new_root, via_new, via_old, leaf = _cross_signed()
    named = {"old_root": old_root, "new_root": new_root, "via_new": via_new, "via_old": via_old}

    report = chain.build_chain([named[n] for n in present] + [leaf], now=NOW)

    assert report.status == chain.STATUS_COMPLETE, case
    assert report.chain == [leaf] + [named[n] for n in expected], case


def test_cross_signed_prefers_the_valid_intermediate_over_a_later_expiring_one_not_yet_valid():
    old_root, new_root = make_root("Old Root CA"), make_root("New Root CA")
    key = new_ec_key()
    via_new = make_intermediate(new_root, "Issuing CA", key=key, not_after=NOW + 300 * DAY)
    not_yet = make_intermediate(old_root, "Issuing CA", key=key, not_before=NOW + 10 * DAY, not_after=NOW + 900 * DAY)
    leaf = make_leaf(via_new).cert
    report = chain.build_chain([leaf, not_yet.cert, via_new.cert, old_root.cert, new_root.cert], now=NOW)
    assert report.chain == [leaf, via_new.cert, new_root.cert]
    # At a time when both are valid, the later expiry wins.
    report = chain.build_chain([leaf, via_new.cert, not_yet.cert, old_root.cert, new_root.cert], now=NOW + 20 * DAY)
    assert report.chain == [leaf, not_yet.cert, old_root.cert]


def test_cross_signed_expired_intermediate_is_not_chosen():
    old_root, new_root, via_new, via_old, leaf = _cross_signed(cross_valid=False)
    report = chain.build_chain([leaf, via_old, via_new, old_root, new_root], now=NOW)
    assert report.chain == [leaf, via_new, new_root]

    old_root, new_root, via_new, via_old, leaf = _cross_signed(cross_expires_later=True)
    report = chain.build_chain([leaf, via_new, via_old, old_root, new_root], now=NOW)
    assert report.chain == [leaf, via_old, old_root]


# --- incomplete chains ----------------------------------------------------------


def test_leaf_only_is_incomplete_and_names_the_missing_issuer_and_its_aia_url(pki):
    hierarchy, _strays = pki
    report = chain.build_chain([hierarchy.leaf.cert], now=NOW)

    assert report.status == chain.STATUS_INCOMPLETE
    assert report.chain == [hierarchy.leaf.cert]
    assert report.roles == ["server"]
    assert report.missing_issuer == "CN=Test Intermediate CA,O=Example Test PKI"
    assert report.missing_aia_urls == ["http://ca.example.test/int.cer"]
    assert report.validated is False
    assert report.warnings[0] == (
        "chain incomplete: issuer 'CN=Test Intermediate CA,O=Example Test PKI' of "
        "'CN=support.example.com,O=Example Test PKI' is missing; fetch it from http://ca.example.test/int.cer "
        "(AIA caIssuers) or import every file the CA sent"
    )


def test_leaf_and_intermediate_without_root_names_the_missing_root(pki):
    hierarchy, _strays = pki
    report = chain.build_chain([hierarchy.intermediate.cert, hierarchy.leaf.cert], now=NOW)

    assert report.status == chain.STATUS_INCOMPLETE
    assert report.chain == [hierarchy.leaf.cert, hierarchy.intermediate.cert]
    assert report.roles == ["server", "intermediate"]
    assert report.missing_issuer == "CN=Test Root CA,O=Example Test PKI"
    assert report.missing_aia_urls == ["http://ca.example.test/root.cer"]
    assert "issuer 'CN=Test Root CA,O=Example Test PKI'" in report.warnings[0]
    assert report.as_dict()["missing_issuer"] == "CN=Test Root CA,O=Example Test PKI"


def test_incomplete_without_aia_link_says_to_import_every_file():
    hierarchy = make_hierarchy()
    report = chain.build_chain([hierarchy.leaf.cert], now=NOW)
    assert report.missing_aia_urls == []
    assert "has no AIA caIssuers link: import every file the CA sent" in report.warnings[0]


# --- self-signed ------------------------------------------------------------------


def test_self_signed_server_certificate():
    server = make_leaf(None, HOST)
    report = chain.build_chain([server.cert], hostname=HOST, now=NOW)

    assert report.status == chain.STATUS_SELF_SIGNED
    assert report.chain == [server.cert]
    assert report.roles == ["server"]
    assert report.missing_issuer is None
    assert report.validated is True
    assert report.warnings == []


def test_self_signed_server_certificate_marked_as_ca_is_reported_not_raised():
    # What "openssl req -x509" makes by default: a self-signed certificate with CA:TRUE.
    server = make_cert(HOST, ca=True, sans=(HOST,))
    report = chain.build_chain([server.cert], now=NOW)

    assert report.status == chain.STATUS_SELF_SIGNED
    assert report.validated is False
    assert "basicConstraints" in report.validation_error
    assert any("is marked as a CA" in w for w in report.warnings)


# --- find_leaf ----------------------------------------------------------------------


def test_find_leaf_by_private_or_public_key():
    first = make_hierarchy("one.example.com")
    second_leaf = make_leaf(first.intermediate, "two.example.com")
    certs = [*first.certs, second_leaf.cert]

    assert chain.find_leaf(certs, key=second_leaf.key) == second_leaf.cert
    assert chain.find_leaf(certs, key=first.leaf.key.public_key()) == first.leaf.cert
    report = chain.build_chain(certs, key=second_leaf.key, now=NOW)
    assert report.leaf == second_leaf.cert
    assert report.unused == [first.leaf.cert]


def test_find_leaf_by_hostname_through_a_wildcard():
    wildcard = make_hierarchy("*.example.com", sans=("*.example.com",))
    other = make_leaf(wildcard.intermediate, "www.example.org")
    certs = [other.cert, *wildcard.certs]

    assert chain.find_leaf(certs, hostname="remote.example.com") == wildcard.leaf.cert
    assert chain.find_leaf(certs, hostname="www.example.org") == other.cert
    report = chain.build_chain(certs, hostname="remote.example.com", now=NOW)
    assert report.validated is True
    assert report.validated_hostname == "remote.example.com"


def test_find_leaf_without_hints_takes_the_single_end_entity():
    hierarchy = make_hierarchy()
    assert chain.find_leaf(list(reversed(hierarchy.certs))) == hierarchy.leaf.cert


def test_find_leaf_without_hints_skips_an_issuer_that_lacks_basic_constraints():
    # An old-style CA without basicConstraints looks like an end-entity, but it issued the leaf.
    root = make_root()
    legacy_ca = make_intermediate(root, "Legacy Issuing CA", with_basic_constraints=False)
    leaf = make_leaf(legacy_ca)
    assert chain_facts.classify(legacy_ca.cert) == "server"
    assert chain.find_leaf([legacy_ca.cert, leaf.cert, root.cert]) == leaf.cert


@pytest.mark.parametrize(
    ("hint", "problem"),
    [
        ({}, "2 certificates could be the server certificate"),
        ({"hostname": "shared.example.com"}, "2 certificates cover hostname 'shared.example.com'"),
    ],
)
def test_find_leaf_ambiguous_names_every_candidate(hint, problem):
    hierarchy = make_hierarchy("shared.example.com")
    twin = make_leaf(hierarchy.intermediate, "shared.example.com")

    with pytest.raises(ChainError) as caught:
        chain.find_leaf([*hierarchy.certs, twin.cert], **hint)

    message = str(caught.value)
    assert problem in message
    for cert in (hierarchy.leaf.cert, twin.cert):
        assert certificate_fingerprint(cert) in message
    assert "CN=shared.example.com" in message
    assert "private key or the appliance hostname" in caught.value.hint
    assert len(caught.value.details["candidates"]) == 2


def test_find_leaf_with_key_and_hostname_resolves_a_shared_key():
    # Renewal reuses the key: two certificates of one key, for different names.
    intermediate = make_hierarchy().intermediate
    key = new_ec_key()
    old = make_leaf(intermediate, "old.example.com", key=key)
    new = make_leaf(intermediate, "new.example.com", key=key)
    assert chain.find_leaf([old.cert, new.cert], key=key, hostname="new.example.com") == new.cert
    with pytest.raises(ChainError, match="2 certificates belong to the given key"):
        chain.find_leaf([old.cert, new.cert], key=key)


@pytest.mark.parametrize(
    ("certs", "kwargs", "problem"),
    [
        ("hierarchy", {"key": "other"}, "None of the 3 certificates belongs to the given key"),
        ("hierarchy", {"hostname": "nowhere.example.net"}, "No certificate covers hostname 'nowhere.example.net'"),
        ("cas", {}, "No server certificate among the 2 certificates; all are CA certificates"),
        ("empty", {}, "No certificates were given"),
        ("strings", {}, "Item 1 of the certificates is a str, not a certificate"),
        ("bytes", {}, "Expected certificate objects, got bytes"),
        ("hierarchy", {"key": "not a key"}, "is not a usable key object"),
    ],
)
def test_find_leaf_errors_name_the_problem(certs, kwargs, problem):
    hierarchy = make_hierarchy()
    given = {
        "hierarchy": hierarchy.certs,
        "cas": [hierarchy.intermediate.cert, hierarchy.root.cert],
        "empty": [],
        "strings": ["-----BEGIN CERTIFICATE-----"],
        "bytes": b"-----BEGIN CERTIFICATE-----",
    }[certs]
    if kwargs.get("key") == "other":
        kwargs = {"key": new_ec_key()}
    with pytest.raises(ChainError) as caught:
        chain.find_leaf(given, **kwargs)
    assert problem in str(caught.value)


def test_build_chain_errors_are_chain_errors():
    with pytest.raises(ChainError, match="No certificates were given to build a chain"):
        chain.build_chain([])
    with pytest.raises(ChainError, match="No certificates were given to build a chain"):
        chain.build_chain(None)
    hierarchy = make_hierarchy()
    with pytest.raises(ChainError, match="must be callable"):
        chain.build_chain(hierarchy.certs, fetch="http://ca.example.test/")
    with pytest.raises(ChainError, match="must be a certificate object"):
        chain.build_chain(hierarchy.certs, leaf="support.example.com")
    with pytest.raises(ChainError, match="max_fetch_depth must be a whole number"):
        chain.build_chain(hierarchy.certs, max_fetch_depth="5")


def test_explicit_leaf_not_in_the_set_is_added():
    hierarchy = make_hierarchy()
    report = chain.build_chain(hierarchy.certs[1:], leaf=hierarchy.leaf.cert, now=NOW)
    assert report.chain == hierarchy.certs
    assert report.unused == []


# --- classify -------------------------------------------------------------------------


def _classify_cases():
    root = make_root()
    intermediate = make_intermediate(root)
    return {
        "root": (root.cert, (), "root"),
        "intermediate": (intermediate.cert, (), "intermediate"),
        "leaf": (make_leaf(intermediate).cert, (), "server"),
        "leaf, other hostname given": (make_leaf(intermediate).cert, ("elsewhere.example.com",), "server"),
        "self-signed end-entity": (make_leaf(None).cert, (), "server"),
        "self-signed CA named by URL (openssl req -x509)": (make_cert(HOST, ca=True).cert, (), "server"),
        "self-signed CA with DNS SAN": (make_cert("Appliance", ca=True, sans=(HOST,)).cert, (), "server"),
        "self-signed without basicConstraints (v1-style root)": (
            make_cert("Legacy Root", with_basic_constraints=False, with_key_usage=False, eku=None).cert,
            (),
            "root",
        ),
        "CA certificate matching the hostname": (
            make_intermediate(root, "Appliance CA", sans=("ca.example.com",)).cert,
            ("ca.example.com",),
            "server",
        ),
        "self-issued but not self-signed CA (key rollover)": (
            make_cert("Test Root CA", issuer=root, ca=True, subject=root.cert.subject).cert,
            (),
            "intermediate",
        ),
        "hostname given as a single string": (make_root("Odd CA", sans=("odd.example.com",)).cert, HOST, "server"),
    }


CLASSIFY_CASES = _classify_cases()


@pytest.mark.parametrize("case", list(CLASSIFY_CASES))
def test_classify_by_the_procedure(case):
    cert, hostnames, expected = CLASSIFY_CASES[case]
    assert chain_facts.classify(cert, hostnames) == expected


def test_self_issued_and_self_signed():
    root = make_root()
    other_key_same_name = make_cert(
        "x", issuer=make_root("Other"), subject=root.cert.subject, issuer_name=root.cert.subject
    )
    leaf = make_leaf(root)
    assert chain_facts.is_self_issued(root.cert) and chain_facts.is_self_signed(root.cert)
    assert chain_facts.is_self_issued(other_key_same_name.cert)
    assert not chain_facts.is_self_signed(other_key_same_name.cert)
    assert chain_facts.issued_by(leaf.cert, root.cert)
    assert not chain_facts.issued_by(root.cert, leaf.cert)
    assert not chain_facts.issued_by(leaf.cert, make_root().cert)  # same name, different key


# --- validation ------------------------------------------------------------------------


def test_validation_passes_for_a_good_rsa_chain():
    hierarchy = make_hierarchy(use_rsa=True)
    report = chain.build_chain(hierarchy.certs, hostname=HOST.upper() + ".", now=NOW)
    assert report.validated is True
    assert report.validation_error is None


def test_validation_without_hostname_uses_the_first_dns_san():
    hierarchy = make_hierarchy(sans=("first.example.com", "second.example.com"))
    report = chain.build_chain(hierarchy.certs, now=NOW)
    assert report.validated is True
    assert report.validated_hostname == "first.example.com"


def test_validation_fails_for_an_expired_intermediate_and_names_it():
    root = make_root()
    intermediate = make_intermediate(
        root, "Lapsed Intermediate CA", not_before=NOW - 400 * DAY, not_after=NOW - 2 * DAY
    )
    leaf = make_leaf(intermediate)

    report = chain.build_chain([leaf.cert, intermediate.cert, root.cert], hostname=HOST, now=NOW)

    assert report.status == chain.STATUS_COMPLETE
    assert report.validated is False
    assert "not valid at validation time" in report.validation_error
    expected_date = (NOW - 2 * DAY).strftime("%Y-%m-%d")
    assert any(
        w.startswith("intermediate certificate 'CN=Lapsed Intermediate CA") and f"expired on {expected_date}" in w
        for w in report.warnings
    ), report.warnings


def test_validation_fails_for_a_hostname_not_covered_and_lists_the_names():
    hierarchy = make_hierarchy(sans=(HOST, "remote.example.com"))
    report = chain.build_chain(hierarchy.certs, hostname="other.example.com", now=NOW)

    assert report.validated is False
    assert "subjectAltName" in report.validation_error
    assert any(
        "does not cover hostname 'other.example.com' (its names: DNS:support.example.com, DNS:remote.example.com)" in w
        for w in report.warnings
    ), report.warnings


@pytest.mark.parametrize(
    ("leaf_kwargs", "diagnosis"),
    [
        ({"eku": (ExtendedKeyUsageOID.CLIENT_AUTH,)}, "lacks serverAuth (has: clientAuth)"),
        ({"sans": ()}, "has no subjectAltName extension"),
        ({"with_aki": False}, "has no authorityKeyIdentifier extension"),
    ],
)
def test_validation_failures_get_a_diagnosis(leaf_kwargs, diagnosis):
    hierarchy = make_hierarchy(**leaf_kwargs)
    report = chain.build_chain(hierarchy.certs, hostname=HOST, now=NOW)
    assert report.validated is False
    assert report.validation_error
    assert any(diagnosis in w for w in report.warnings), report.warnings


def test_ca_without_key_usage_is_diagnosed():
    root = make_root()
    intermediate = make_intermediate(root, with_key_usage=False)
    leaf = make_leaf(intermediate)
    report = chain.build_chain([leaf.cert, intermediate.cert, root.cert], hostname=HOST, now=NOW)
    assert report.validated is False
    assert any("has no keyUsage extension" in w for w in report.warnings), report.warnings


def test_no_name_to_validate_for_is_a_note_not_a_failure():
    hierarchy = make_hierarchy(sans=())
    report = chain.build_chain(hierarchy.certs, now=NOW)
    assert report.status == chain.STATUS_COMPLETE
    assert report.validated is False
    assert report.validation_error is None
    assert any("chain not validated: no hostname was given" in w for w in report.warnings)


def test_wildcard_hostname_cannot_be_validated_and_says_so():
    hierarchy = make_hierarchy("*.example.com", sans=("*.example.com",))
    report = chain.build_chain(hierarchy.certs, hostname="*.example.com", now=NOW)
    assert report.validated is False
    assert "cannot validate for hostname '*.example.com'" in report.validation_error


def test_validate_false_skips_validation():
    hierarchy = make_hierarchy()
    report = chain.build_chain(hierarchy.certs, hostname="other.example.com", now=NOW, validate=False)
    assert report.validated is False
    assert report.validation_error is None
    assert report.leaf == hierarchy.leaf.cert
    assert report.warnings == [
        "no certificate covers hostname 'other.example.com'; using "
        f"'CN=support.example.com,O=Example Test PKI' ({certificate_fingerprint(hierarchy.leaf.cert)}), "
        "the only server certificate in the set"
    ]


def test_hostname_covered_by_no_certificate_is_still_named_when_the_chain_is_incomplete():
    hierarchy = make_hierarchy()
    report = chain.build_chain([hierarchy.leaf.cert], hostname="other.example.com", now=NOW)
    assert report.status == chain.STATUS_INCOMPLETE
    assert report.warnings[0].startswith("no certificate covers hostname 'other.example.com'")
    with pytest.raises(ChainError, match="2 certificates could be the server certificate"):
        chain.build_chain([hierarchy.leaf.cert, make_leaf(None).cert], hostname="other.example.com")


# --- real certificates (cryptography-vectors) ----------------------------------------


def test_real_pkits_chain_is_ordered_and_its_missing_san_reported():
    certs = [pkits("ValidCertificatePathTest1EE"), pkits("TrustAnchorRootCertificate"), pkits("GoodCACert")]
    report = chain.build_chain(certs, hostname=HOST, now=PKITS_TIME)

    assert report.status == chain.STATUS_COMPLETE
    assert report.as_dict()["subjects"] == [
        "CN=Valid EE Certificate Test1,O=Test Certificates 2011,C=US",
        "CN=Good CA,O=Test Certificates 2011,C=US",
        "CN=Trust Anchor,O=Test Certificates 2011,C=US",
    ]
    assert report.validated is False
    assert any("has no subjectAltName extension" in w for w in report.warnings)


def test_real_pkits_key_rollover_goes_through_the_self_issued_certificate():
    certs = [
        pkits("TrustAnchorRootCertificate"),
        pkits("BasicSelfIssuedNewKeyOldWithNewCACert"),
        pkits("ValidBasicSelfIssuedOldWithNewTest1EE"),
        pkits("BasicSelfIssuedNewKeyCACert"),
    ]
    report = chain.build_chain(certs, now=PKITS_TIME)
    assert report.status == chain.STATUS_COMPLETE
    assert report.chain == [certs[2], certs[1], certs[3], certs[0]]
    assert report.roles == ["server", "intermediate", "intermediate", "root"]


def test_real_pkits_bad_ca_signature_leaves_the_chain_incomplete():
    certs = [pkits("TrustAnchorRootCertificate"), pkits("BadSignedCACert"), pkits("InvalidCASignatureTest2EE")]
    report = chain.build_chain(certs, now=PKITS_TIME)
    assert report.status == chain.STATUS_INCOMPLETE
    assert report.missing_issuer == "CN=Trust Anchor,O=Test Certificates 2011,C=US"
    assert report.unused == [certs[0]]
    assert any("does not verify the signature of 'CN=Bad Signed CA" in w for w in report.warnings)


def test_real_web_chain_without_its_root():
    with cryptography_vectors.open_vector_file(os.path.join("x509", "cryptography.io.chain.pem"), "rb") as handle:
        certs = x509.load_pem_x509_certificates(handle.read())
    report = chain.build_chain(list(reversed(certs)), hostname="www.cryptography.io")
    assert report.chain == certs
    assert report.status == chain.STATUS_INCOMPLETE
    assert report.missing_issuer == "CN=GeoTrust Global CA,O=GeoTrust Inc.,C=US"


# --- AIA completion -------------------------------------------------------------------


class FakeFetch:
    """url -> certificates from a table, recording each call; unknown URLs fail like the real fetcher."""

    def __init__(self, table):
        self.table = table
        self.calls = []

    def __call__(self, url):
        self.calls.append(url)
        if url not in self.table:
            raise AIAFetchError(f"Fetching '{url}' failed: HTTP 404 Not Found.")
        return self.table[url]


def test_aia_completes_a_leaf_only_chain():
    hierarchy = make_hierarchy(root_aia=("http://aia.test/root.cer",), leaf_aia=("http://aia.test/int.cer",))
    fetch = FakeFetch(
        {"http://aia.test/int.cer": [hierarchy.intermediate.cert], "http://aia.test/root.cer": [hierarchy.root.cert]}
    )

    report = chain.build_chain([hierarchy.leaf.cert], fetch=fetch, hostname=HOST, now=NOW)

    assert report.status == chain.STATUS_COMPLETE
    assert report.chain == hierarchy.certs
    assert report.fetched == [hierarchy.intermediate.cert, hierarchy.root.cert]
    assert fetch.calls == ["http://aia.test/int.cer", "http://aia.test/root.cer"]
    assert report.validated is True
    assert report.warnings == []
    assert report.as_dict()["fetched"] == fingerprints(report.fetched)


def test_aia_is_not_used_when_the_set_is_complete():
    hierarchy = make_hierarchy(leaf_aia=("http://aia.test/int.cer",))
    fetch = FakeFetch({})
    report = chain.build_chain(hierarchy.certs, fetch=fetch, now=NOW)
    assert report.status == chain.STATUS_COMPLETE
    assert fetch.calls == []


def test_aia_tries_the_next_url_and_reports_failures_only_when_all_fail():
    hierarchy = make_hierarchy(leaf_aia=("ldap://ldap.test/cn=int", "http://aia.test/int.cer"))
    fetch = FakeFetch({"http://aia.test/int.cer": [hierarchy.intermediate.cert]})
    report = chain.build_chain([hierarchy.leaf.cert, hierarchy.root.cert], fetch=fetch, now=NOW)
    assert report.status == chain.STATUS_COMPLETE
    assert report.warnings == []

    fetch = FakeFetch({})
    report = chain.build_chain([hierarchy.leaf.cert], fetch=fetch, now=NOW)
    assert report.status == chain.STATUS_INCOMPLETE
    assert fetch.calls == ["ldap://ldap.test/cn=int", "http://aia.test/int.cer"]
    assert report.missing_aia_urls == ["ldap://ldap.test/cn=int", "http://aia.test/int.cer"]
    assert any("HTTP 404 Not Found" in w and "http://aia.test/int.cer" in w for w in report.warnings)


def test_aia_serving_the_wrong_certificate_is_reported():
    hierarchy = make_hierarchy(leaf_aia=("http://aia.test/int.cer",))
    stranger = make_root("Stranger CA")
    fetch = FakeFetch({"http://aia.test/int.cer": [stranger.cert]})
    report = chain.build_chain([hierarchy.leaf.cert], fetch=fetch, now=NOW)
    assert report.status == chain.STATUS_INCOMPLETE
    assert report.fetched == [stranger.cert]
    assert any("served 1 certificate(s), none of which signed it" in w for w in report.warnings)


def test_aia_loop_terminates():
    # A's AIA points to B and B's AIA points to A: two CAs that certify each other, no root.
    key_a, key_b = new_ec_key(), new_ec_key()
    placeholder_b = make_root("Loop CA B", key=key_b)
    ca_a = make_cert("Loop CA A", issuer=placeholder_b, key=key_a, ca=True, aia=("http://aia.test/b.cer",))
    ca_b = make_cert("Loop CA B", issuer=ca_a, key=key_b, ca=True, aia=("http://aia.test/a.cer",))
    leaf = make_leaf(ca_a, aia=("http://aia.test/a.cer",))
    fetch = FakeFetch({"http://aia.test/a.cer": [ca_a.cert], "http://aia.test/b.cer": [ca_b.cert]})

    report = chain.build_chain([leaf.cert], fetch=fetch, now=NOW)

    assert report.status == chain.STATUS_INCOMPLETE
    assert report.chain == [leaf.cert, ca_a.cert, ca_b.cert]
    assert fetch.calls == ["http://aia.test/a.cer", "http://aia.test/b.cer"]
    assert any("in a loop" in w for w in report.warnings), report.warnings


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_aia_depth_cap(depth):
    # Every URL serves a new CA whose AIA points one level further up, for ever.
    def endless(url):
        calls.append(url)
        level = int(url.rsplit("/", 1)[1])
        return [cas[level].cert]

    calls = []
    levels = 8
    keys = [new_ec_key() for _level in range(levels + 1)]
    cas = []
    for level in range(levels):
        parent = make_root(f"Level {level + 1} CA", key=keys[level + 1])
        cas.append(
            make_cert(
                f"Level {level} CA", issuer=parent, key=keys[level], ca=True, aia=(f"http://aia.test/{level + 1}",)
            )
        )
    leaf = make_leaf(cas[0], aia=("http://aia.test/0",))

    report = chain.build_chain([leaf.cert], fetch=endless, max_fetch_depth=depth, now=NOW)

    assert len(calls) == depth
    assert len(report.chain) == depth + 1
    assert report.status == chain.STATUS_INCOMPLETE
    assert any(f"stopped following AIA caIssuers links after {depth} (max_fetch_depth)" in w for w in report.warnings)


def test_aia_fetch_that_raises_an_os_error_is_reported_not_raised():
    hierarchy = make_hierarchy(leaf_aia=("http://aia.test/int.cer",))

    def broken(url):
        raise ConnectionRefusedError(111, "Connection refused")

    report = chain.build_chain([hierarchy.leaf.cert], fetch=broken, now=NOW)
    assert report.status == chain.STATUS_INCOMPLETE
    assert any("Connection refused" in w for w in report.warnings)


def test_as_dict_is_json_friendly():
    hierarchy = make_hierarchy()
    stray = make_root("Stray Root")
    report = chain.build_chain([stray.cert, *hierarchy.certs], hostname=HOST, now=NOW)
    data = json.loads(json.dumps(report.as_dict()))
    assert data["status"] == "complete"
    assert data["roles"] == ["server", "intermediate", "root"]
    assert data["fingerprints"] == fingerprints(hierarchy.certs)
    assert data["leaf"] == certificate_fingerprint(hierarchy.leaf.cert)
    assert data["unused"] == [certificate_fingerprint(stray.cert)]
    assert data["subjects"][0] == "CN=support.example.com,O=Example Test PKI"
    assert data["validated"] is True


def test_naive_now_is_taken_as_utc():
    hierarchy = make_hierarchy()
    naive = NOW.replace(tzinfo=None)
    assert chain.build_chain(hierarchy.certs, now=naive).validated is True
    with pytest.raises(ChainError, match="must be a datetime"):
        chain.build_chain(hierarchy.certs, now="2026-01-01")
