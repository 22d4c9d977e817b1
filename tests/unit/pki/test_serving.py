# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""serving.check_servable: what refuses the binding of a certificate, and what is only said (docs/procedure.md,
"What the collection refuses, and what it warns about")."""

from __future__ import annotations

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import chain, serving
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID
from serving_material import DAY, NOW, self_signed
from serving_material import chain as make_chain


def codes(check, severity=None) -> list:
    return [finding.code for finding in check.findings if severity is None or finding.severity == severity]


def test_a_good_chain_is_servable_without_a_word():
    check = serving.check_servable(make_chain().certificates)
    assert check.servable and check.findings == []


@pytest.mark.parametrize(
    ("options", "code", "words", "listener"),
    [
        ({"not_before": NOW - 60 * DAY, "not_after": NOW - DAY}, "expired", "it expired on", False),
        ({"not_before": NOW + 5000 * DAY, "not_after": NOW + 6000 * DAY}, "not_yet_valid", "not valid before", False),
        ({"leaf_weak": "sha1"}, "weak_signature", "signed with SHA-1", True),
        ({"leaf_weak": "md5"}, "weak_signature", "signed with MD5", True),
        ({"intermediate_weak": "sha1"}, "weak_signature", "intermediate 'CN=Serving Test Issuing", True),
        ({"leaf_bits": 1024}, "weak_key", "its key is RSA 1024", True),
        ({"intermediate_bits": 1024}, "weak_key", "intermediate 'CN=Serving Test Issuing,O=Serving Test' has a", True),
        ({"root_bits": 1024}, "weak_key", "root 'CN=Serving Test Root,O=Serving Test' has a 1024-bit", False),
        ({"leaf_key": ed25519.Ed25519PrivateKey.generate()}, "weak_key", "its key is Ed25519", False),
        ({"sans": ()}, "no_names", "it has no subject alternative names", False),
        ({"eku": (ExtendedKeyUsageOID.CLIENT_AUTH,)}, "not_for_servers", "lacks serverAuth (it has clientAuth)", False),
        ({"key_usage": {"digital_signature": False}}, "not_for_servers", "neither digitalSignature", False),
        ({"sans": ("DNS:*.*.example.com", "DNS:*.com", "DNS:foo.*.example.com")}, "no_names", "*.com", False),
        ({"sans": ("email:ops@example.com",)}, "no_names", "email:ops@example.com", False),
    ],
)
def test_what_refuses_the_binding(options, code, words, listener):
    check = serving.check_servable(make_chain(**options).certificates)
    assert not check.servable
    assert codes(check, serving.REFUSE_BINDING) == [code], check.findings
    assert words in check.refusal_text()
    assert check.refusal_text().startswith("Certificate 'CN=support.example.com,O=Serving Test' cannot be served")
    assert [finding.listener for finding in check.refusals] == [listener]
    assert check.reasons() == [{"code": code, "message": check.refusals[0].message}]


def test_a_common_name_that_is_an_ip_address_says_which_name_is_missing():
    check = serving.check_servable(make_chain(hostname="127.0.0.5", sans=()).certificates)
    assert codes(check) == ["no_names"]
    assert "its common name '127.0.0.5' is an IP address" in check.refusal_text()
    assert "it needs 'IP:127.0.0.5' among them" in check.refusal_text()


def test_a_certificate_that_becomes_valid_within_minutes_is_servable():
    check = serving.check_servable(make_chain(not_before=NOW + DAY / 24 / 30).certificates)
    assert check.servable


def test_expired_and_future_ca_certificates_refuse_the_binding():
    root_expired = make_chain().certificates
    check = serving.check_servable(root_expired, now=NOW + 400 * DAY)
    assert codes(check) == ["expired", "ca_expired", "ca_expired"]
    assert "its intermediate 'CN=Serving Test Issuing,O=Serving Test' expired on" in check.refusal_text()
    assert "Import the CA's current intermediate and root certificates." in check.refusal_text()


def test_a_self_signed_certificate_signed_with_sha1_is_refused_but_the_listener_could_load_it():
    cert, _key = self_signed(weak="sha1")
    check = serving.check_servable([cert])
    assert codes(check) == ["weak_signature"]
    assert [finding.listener for finding in check.refusals] == [False]


def test_the_self_signature_of_a_root_is_not_checked():
    made = make_chain(root_weak="sha1")
    check = serving.check_servable(made.certificates)
    assert "weak_signature" not in codes(check)


@pytest.mark.parametrize(
    ("sans", "code", "words"),
    [
        (("DNS:support.example.com", "DNS:*.com"), "unusable_names", "DNS:*.com cover no hostname"),
        (("DNS:support.example.com", "email:ops@example.com", "URI:https://support.example.com/"), "other_names",
         "email:ops@example.com, URI:https://support.example.com/"),
        (("DNS:other.example.com",), "common_name_not_covered", "its common name 'support.example.com' is not"),
    ],
)  # fmt: skip
def test_what_is_only_said(sans, code, words):
    check = serving.check_servable(make_chain(sans=sans).certificates)
    assert check.servable
    assert codes(check, serving.WARN) == [code]
    assert any(words in text for text in check.warning_texts()), check.warning_texts()


def test_a_wildcard_common_name_covered_by_its_san_is_quiet():
    check = serving.check_servable(make_chain(common_name="*.example.com", sans=("DNS:*.example.com",)).certificates)
    assert check.findings == []


def test_an_incomplete_chain_is_checked_as_far_as_it_goes():
    made = make_chain(intermediate_bits=1024)
    check = serving.check_servable([made.leaf, made.intermediate])
    assert [finding.listener for finding in check.refusals] == [True]


def test_chain_building_says_why_a_sha1_signature_stops_the_chain():
    made = make_chain(leaf_weak="sha1")
    report = chain.build_chain(made.certificates, leaf=made.leaf, validate=False)
    assert report.status == chain.STATUS_INCOMPLETE and report.missing_reason == chain.REASON_WEAK_SIGNATURE
    assert "is signed with SHA-1, which is not verified" in report.missing_found[0]
