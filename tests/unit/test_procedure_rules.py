# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The procedure's rules that were once written in several places, each with the corner cases where the copies
disagreed: the root of a chain, whether the software must be rebuilt, hostname coverage and the site port.

Each rule has one definition; the callers (plan, decision, modules, support bundle) are checked to use it.
"""

from __future__ import annotations

import datetime
import inspect

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils import certificate_decision, issuance_plan, procedure_rules
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic import (
    cert_import,
    certificate_info,
    csr,
    ip_binding,
    support_bundle,
)
from ansible_collections.bomgar.pki.plugins.module_utils.pki import chain_facts, hostnames, renewal
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import SpecError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LEAF = "11:" * 31 + "11"
ISSUING = "22:" * 31 + "22"
ROOT = "33:" * 31 + "33"


# --- root of a chain ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("certificate", "root"),
    [
        # A self-signed certificate is its own root, also when the appliance lists no chain for it
        # (the decision's copy said None here, the support bundle's said the certificate).
        ({"chain_status": "self_signed", "sha256_fingerprint": LEAF, "chain": []}, LEAF),
        ({"chain_status": "self_signed", "sha256_fingerprint": LEAF}, LEAF),
        ({"chain_status": "self_signed", "sha256_fingerprint": LEAF, "chain": [LEAF]}, LEAF),
        ({"chain_status": "complete", "sha256_fingerprint": LEAF, "chain": [LEAF, ISSUING, ROOT]}, ROOT),
        # Fingerprints come back in the collection's one spelling.
        ({"chain_status": "complete", "chain": [LEAF, ROOT.upper().replace(":", "")]}, ROOT),
        # No root is known for an incomplete chain, nor for a complete one without its list.
        ({"chain_status": "incomplete", "sha256_fingerprint": LEAF, "chain": [LEAF, ISSUING]}, None),
        ({"chain_status": "complete", "sha256_fingerprint": LEAF, "chain": []}, None),
        ({}, None),
        (None, None),
    ],
)
def test_root_fingerprint(certificate, root):
    assert procedure_rules.root_fingerprint(certificate) == root


# --- software rebuild needed --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("root", "trusted", "required"),
    [
        (ROOT, [ROOT], False),
        # Only one of the four copies lower-cased the trusted fingerprints; any spelling compares now.
        (ROOT, [ROOT.upper()], False),
        (ROOT, [ROOT.replace(":", "")], False),
        (ROOT.upper(), [ROOT], False),
        (ROOT, [ISSUING], True),
        (ROOT, [], True),
        (ROOT, None, True),
        # A root that is not known (incomplete chain) cannot be shown to be trusted.
        (None, [ROOT], True),
        (None, [], True),
    ],
)
def test_software_update_required(root, trusted, required):
    assert procedure_rules.software_update_required(root, trusted) is required


@pytest.mark.parametrize(
    ("certificate", "expected"),
    [
        (None, {"root_fingerprint": None, "software_update_required": None}),
        (
            {"chain_status": "self_signed", "sha256_fingerprint": ROOT},
            {"root_fingerprint": ROOT, "software_update_required": False},
        ),
        (
            {"chain_status": "self_signed", "sha256_fingerprint": LEAF},
            {"root_fingerprint": LEAF, "software_update_required": True},
        ),
        ({"chain_status": "incomplete", "chain": [LEAF]}, {"root_fingerprint": None, "software_update_required": True}),
    ],
)
def test_software_update_of_a_certificate(certificate, expected):
    status = {"trusted_root_fingerprints": [ROOT.upper()]}
    assert procedure_rules.software_update_of(certificate, status) == expected


# --- the site port ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "given", "port"),
    [
        ({}, None, 443),
        (None, None, 443),
        ({"site_port": 9443}, None, 9443),
        ({"site_port": 9443}, 8443, 8443),
        ({"site_port": 9443}, "8443", 8443),
        ({"site_port": None}, 0, 443),
    ],
)
def test_site_port(status, given, port):
    assert procedure_rules.site_port(status, given) == port


# --- hostname coverage --------------------------------------------------------------------------------------------


def _certificate(common_name: str, sans: list | None):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if sans is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), critical=False)
    return builder.sign(key, hashes.SHA256())


@pytest.mark.parametrize(
    ("common_name", "sans", "hostname", "covered"),
    [
        # The common name never covers: not when there are no alternative names (the chain's copy fell back
        # to it), and not beside alternative names that do not match.
        ("support.example.com", None, "support.example.com", False),
        ("support.example.com", ["other.example.com"], "support.example.com", False),
        ("Example Support", ["support.example.com"], "support.example.com", True),
        ("Example Support", ["*.example.com"], "node1.example.com", True),
        ("Example Support", ["*.example.com"], "a.b.example.com", False),
        ("Example Support", ["*.example.com"], "example.com", False),
        # Malformed wildcards a certificate may carry cover nothing.
        ("Example Support", ["*.com"], "example.com", False),
        ("Example Support", ["a.*.example.com"], "a.b.example.com", False),
        ("Example Support", ["*.*.example.com"], "a.b.example.com", False),
    ],
)
def test_a_certificate_covers_a_hostname_only_through_its_alternative_names(common_name, sans, hostname, covered):
    assert chain_facts.covers_hostname(_certificate(common_name, sans), hostname) is covered


@pytest.mark.parametrize(
    ("sans", "hostname", "covered"),
    [
        # Names read from an appliance: an entry that does not parse covers nothing, and does not hide the
        # entries that do (the support bundle's copy said "covered" whenever any entry failed to parse).
        (["DNS:*.com"], "example.com", False),
        (["URI:https://x", "DNS:support.example.com"], "support.example.com", True),
        (["not a name", "DNS:*.example.com"], "node2.example.com", True),
        (["not a name"], "support.example.com", False),
        ([], "support.example.com", False),
        (None, "support.example.com", False),
        (["IP:127.0.0.2"], "127.0.0.2", True),
        (["DNS:support.example.com"], "127.0.0.2", False),
    ],
)
def test_names_read_from_an_appliance_are_read_leniently(sans, hostname, covered):
    assert hostnames.hostname_covered(hostname, hostnames.certificate_sans(sans)) is covered


def test_names_a_user_typed_are_read_strictly():
    # A typo in a spec must be named, not taken for "not covered".
    with pytest.raises(SpecError, match="does not start with DNS: or IP:"):
        hostnames.hostname_covered("support.example.com", ["support.example.com"])
    with pytest.raises(SpecError):
        hostnames.hostname_covered("bad_host!.example.com", ["DNS:*.example.com"])


# --- one definition each ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "copy", "rule"),
    [
        (certificate_decision, "root_of", None),
        (support_bundle, "root_fingerprint", procedure_rules.root_fingerprint),
        (support_bundle, "check_software_update_required", None),
        (support_bundle, "_covers", None),
        (certificate_info, "site_port_of", None),
        (certificate_info, "parse_time", renewal.parse_time),
        (certificate_decision, "parse_time", renewal.parse_time),
        (ip_binding, "_site_port", None),
        (chain_facts, "_sans_cover", None),
    ],
)
def test_the_old_copies_are_gone(module, copy, rule):
    assert getattr(module, copy, None) is rule


@pytest.mark.parametrize(
    ("module", "rule"),
    [
        (issuance_plan, "software_update_of"),
        (issuance_plan, "software_update_required"),
        (certificate_decision, "root_fingerprint"),
        (support_bundle, "software_update_of"),
        (certificate_info, "software_update_of"),
        (certificate_info, "site_port"),
        (ip_binding, "site_port"),
        (cert_import, "software_update_of"),
        (csr, "software_update_of"),
    ],
)
def test_callers_use_the_one_rule(module, rule):
    assert getattr(module, rule) is getattr(procedure_rules, rule)
    assert rule in inspect.getsource(module)
