# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks of appliance_certificate_export, without an appliance."""

from __future__ import annotations

import base64

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic import certificate_export as ce
from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, keys, subject_fields
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import PrivateKeyFound, WrongPassphrase
from ansible_collections.bomgar.pki.plugins.module_utils.pki.fingerprints import certificate_fingerprint
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

PASSPHRASE = "Unit-Export-4711"
SANS = ["DNS:support.example.com", "DNS:*.example.com"]


@pytest.fixture(scope="module")
def material():
    """root -> leaf with the leaf's key, and another key."""
    root_key = keys.generate_private_key(keys.KeySpec.create("ec"))
    root = builder.create_ca_certificate(root_key, subject_fields.SubjectSpec(common_name="Unit Root CA"))
    leaf_key = keys.generate_private_key(keys.KeySpec.create("ec"))
    csr = builder.build_csr(leaf_key, subject_fields.SubjectSpec(common_name="Support"), SANS)
    leaf = builder.sign_csr(csr, root, root_key)
    other_key = keys.generate_private_key(keys.KeySpec.create("ec"))
    return {
        "root": root,
        "leaf": leaf,
        "key": leaf_key,
        "other_key": other_key,
        "leaf_fp": certificate_fingerprint(leaf),
        "root_fp": certificate_fingerprint(root),
    }


def listed(material, **changes) -> dict:
    """The leaf as the appliance's API lists it."""
    cert = {
        "id": "c1",
        "friendly_name": "support",
        "sha256_fingerprint": material["leaf_fp"],
        "subject_alt_name": SANS,
        "role": "server",
        "is_ca": False,
        "private_key_available": True,
        "chain": [material["leaf_fp"], material["root_fp"]],
        "chain_status": "complete",
    }
    cert.update(changes)
    return cert


@pytest.mark.parametrize(
    ("export_format", "include_key", "passphrase", "expected"),
    [
        ("pem", False, None, []),
        ("pkcs12", True, "abcd", []),
        ("pkcs12", False, "abcd", []),
        ("pem", True, None, ["include_private_key needs format pkcs12"]),
        ("pkcs12", True, None, ["A PKCS#12 export is always protected by a passphrase, and passphrase is not set"]),
        ("pkcs12", False, "", ["A PKCS#12 export is always protected by a passphrase, and passphrase is not set"]),
        ("pkcs12", True, "abc", ["passphrase has 3 character(s); a PKCS#12 passphrase needs at least 4"]),
        ("pkcs12", True, "ab\x00cd", ["passphrase contains a NUL character"]),
        ("pem", True, "ab", ["include_private_key needs format pkcs12"]),
    ],
)
def test_the_options_are_checked_before_the_appliance_is_asked(export_format, include_key, passphrase, expected):
    problems = ce.request_problems(export_format, include_key, passphrase)
    assert len(problems) == len(expected)
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start)
        if passphrase:
            assert passphrase not in problem


@pytest.mark.parametrize(
    ("changes", "include_key", "hostnames", "expected"),
    [
        ({}, True, ["node1.example.com", "support.example.com"], []),
        ({}, False, None, []),
        ({"private_key_available": False}, False, None, []),
        (
            {"private_key_available": False},
            True,
            None,
            ["The private key of certificate 'support' (", "is not on the appliance, so it cannot be exported with it"],
        ),
        ({"role": "root", "is_ca": True, "private_key_available": True}, True, None, ["is a root CA certificate"]),
        ({"role": "intermediate", "is_ca": True}, True, None, ["is an intermediate CA certificate"]),
        ({"role": "root", "is_ca": True}, False, None, []),
        (
            {},
            False,
            ["a.b.example.com", "node1.example.com", "example.org"],
            ["does not cover a.b.example.com, example.org"],
        ),
    ],
)
def test_the_certificate_is_checked_before_it_is_exported(material, changes, include_key, hostnames, expected):
    problems = ce.certificate_problems(listed(material, **changes), include_key, hostnames)
    assert len(problems) == (1 if expected else 0)
    for fragment in expected:
        assert fragment in problems[0]


def test_uncovered_names_and_a_missing_key_are_reported_together(material):
    problems = ce.certificate_problems(listed(material, private_key_available=False), True, ["x.example.org"])
    assert len(problems) == 2
    assert "does not cover x.example.org" in problems[0] and "Import the certificate with its key first" in problems[1]


def test_the_certificates_expected_leaf_first(material):
    cert = listed(material)
    assert ce.expected_certificates(cert, True) == [material["leaf_fp"], material["root_fp"]]
    assert ce.expected_certificates(cert, False) == [material["leaf_fp"]]
    assert ce.expected_certificates(listed(material, chain=[]), True) == [material["leaf_fp"]]


def answer(material, **changes) -> dict:
    result = {
        "format": "pem",
        "filename": "support.pem",
        "content": "-----BEGIN CERTIFICATE-----\n",
        "includes_private_key": False,
        "certificates": [material["leaf_fp"], material["root_fp"]],
    }
    result.update(changes)
    return result


@pytest.mark.parametrize(
    ("changes", "export_format", "include_key", "include_chain", "message"),
    [
        ({}, "pem", False, True, None),
        ({"certificates": ["x"]}, "pem", False, True, "were asked for"),
        ({}, "pem", False, False, "were asked for"),
        ({"includes_private_key": True}, "pem", False, True, "holds the private key, which was not asked for"),
        ({"format": "pkcs12", "content_base64": "AAAA"}, "pkcs12", True, True, "lacks the private key"),
        ({"content": None}, "pem", False, True, "is not the pem file asked for"),
        ({"format": "pkcs12"}, "pkcs12", False, True, "is not the pkcs12 file asked for"),
    ],
)
def test_the_answer_of_the_appliance_is_checked(material, changes, export_format, include_key, include_chain, message):
    cert = listed(material)
    given = answer(material, **changes)
    if message is None:
        exported, content = ce.check_answer(given, cert, export_format, include_key, include_chain)
        assert exported == [material["leaf_fp"], material["root_fp"]] and content == given["content"]
        return
    with pytest.raises(ce.ExportRefused, match=message):
        ce.check_answer(given, cert, export_format, include_key, include_chain)
    with pytest.raises(ce.ExportRefused, match="no export object"):
        ce.check_answer(None, cert, export_format, include_key, include_chain)


def pem(*certs) -> str:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs).decode("ascii")


def test_a_pem_export_must_hold_exactly_the_certificates_and_no_key(material):
    expected = [material["leaf_fp"], material["root_fp"]]
    ce.check_pem(pem(material["leaf"], material["root"]), expected)
    with pytest.raises(ce.ExportRefused, match="not \\["):
        ce.check_pem(pem(material["root"], material["leaf"]), expected)
    key_pem = (
        material["key"]
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode("ascii")
    )
    with pytest.raises(PrivateKeyFound):
        ce.check_pem(pem(material["leaf"], material["root"]) + key_pem, expected)


def p12(material, key="key", chain=True) -> str:
    """A PKCS#12 of the leaf (with the root when ``chain``) and the key named (none for None), base64.

    Another certificate's key cannot go in beside the leaf, so it goes in with the certificates as extra ones.
    """
    private_key = material[key] if key else None
    extra = [material["root"]] if chain else []
    leaf = material["leaf"]
    if key == "other_key":
        leaf, extra = None, [material["leaf"], *extra]
    encryption = serialization.BestAvailableEncryption(PASSPHRASE.encode())
    blob = pkcs12.serialize_key_and_certificates(b"support", private_key, leaf, extra, encryption)
    return base64.b64encode(blob).decode("ascii")


def test_a_pkcs12_export_must_open_and_hold_the_key_of_its_certificate(material):
    expected = [material["leaf_fp"], material["root_fp"]]
    ce.check_pkcs12(p12(material), PASSPHRASE, expected, include_private_key=True)
    ce.check_pkcs12(p12(material, key=None), PASSPHRASE, expected, include_private_key=False)
    with pytest.raises(WrongPassphrase):
        ce.check_pkcs12(p12(material), "Wrong-Passphrase", expected, include_private_key=True)
    with pytest.raises(ce.ExportRefused, match="does not hold the private key of its certificate"):
        ce.check_pkcs12(p12(material, key=None), PASSPHRASE, expected, include_private_key=True)
    with pytest.raises(ce.ExportRefused, match="holds a private key that was not asked for"):
        ce.check_pkcs12(p12(material), PASSPHRASE, expected, include_private_key=False)
    with pytest.raises(ce.ExportRefused, match="holds certificates"):
        ce.check_pkcs12(p12(material, chain=False), PASSPHRASE, expected, include_private_key=True)
    with pytest.raises(ce.ExportRefused, match="not valid base64"):
        ce.check_pkcs12("not base64!", PASSPHRASE, expected, include_private_key=True)


def test_a_pkcs12_whose_key_belongs_to_another_certificate_is_refused(material):
    expected = [material["leaf_fp"], material["root_fp"]]
    with pytest.raises(ce.ExportRefused, match="does not hold the private key of its certificate"):
        ce.check_pkcs12(p12(material, key="other_key"), PASSPHRASE, expected, include_private_key=True)


def test_the_module_hides_a_result_that_holds_the_pkcs12():
    assert ce.MODULE_SPEC.secret_results == ("pkcs12",)
    assert ce.ARGUMENT_SPEC["passphrase"]["no_log"] is True
