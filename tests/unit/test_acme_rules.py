# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rules of an ACME order, defined once (module_utils/acme_rules.py) for appliance_acme and the role's plan.

Each rule gets its corner cases, and both callers are checked to use the one definition. The CA bundle the module
sends is normalised by the module and again by the appliance: the two must agree, or every run would report a
change.
"""

from __future__ import annotations

import datetime
import inspect

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils import acme_rules, issuance_plan
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic import acme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reference_appliance.acme import settings as appliance_settings


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, []),
        ([], []),
        (["pki@example.com"], ["mailto:pki@example.com"]),
        (["mailto:pki@example.com", "pki@example.com"], ["mailto:pki@example.com"]),
        ([" ", "tel:+15551234"], ["tel:+15551234"]),
        ([" pki@example.com "], ["mailto:pki@example.com"]),
    ],
)
def test_contacts_become_uris_each_once(given, expected):
    assert acme_rules.contact_uris(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, []),
        (["A.example.COM.", "a.example.com", " b.example.com "], ["a.example.com", "b.example.com"]),
        (["", " ", "."], []),
        (["*.Example.com", "example.com"], ["*.example.com", "example.com"]),
    ],
)
def test_identifier_names_are_lower_case_without_final_dot_each_once(given, expected):
    assert acme_rules.identifier_names(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["support.example.com"], []),
        (["*.example.com", "support.example.com"], ["*.example.com"]),
        (["*.A.example.com.", "*.a.example.com"], ["*.a.example.com"]),
    ],
)
def test_http01_cannot_prove_wildcards(given, expected):
    assert acme_rules.http01_wildcards(given) == expected


def test_the_module_and_the_plan_use_the_one_definition():
    assert acme.contact_uris is acme_rules.contact_uris
    assert issuance_plan.contact_uris is acme_rules.contact_uris
    assert acme.identifier_names is acme_rules.identifier_names
    assert issuance_plan.identifier_names is acme_rules.identifier_names
    for caller in (acme.hostnames_problem, issuance_plan._acme_mode_problems):
        assert "http01_wildcards(" in inspect.getsource(caller)


def test_the_plans_order_names_and_the_modules_hostnames_agree():
    values = {"subject_alt_name": ["DNS:Support.Example.com.", "IP:127.0.0.2", "dns:*.Nodes.example.com", "DNS:"]}
    names = issuance_plan.acme_names(values)
    assert names == ["support.example.com", "*.nodes.example.com"]
    assert acme.hostnames_problem(names) is not None
    assert "*.nodes.example.com" in acme.hostnames_problem(names)


def _certificate_pem(name: str) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


@pytest.mark.parametrize(
    "layout",
    [
        lambda a, b: a + b,
        lambda a, b: "Bag Attributes\n  friendlyName: root\n" + a + "\n\n" + b,
        lambda a, b: (a + b).replace("\n", "\r\n"),
        lambda a, b: "  " + a.replace("\n", "  \n") + "\t" + b,
        lambda a, b: a.rstrip("\n") + "\n" + b.rstrip("\n"),
    ],
)
def test_a_ca_bundle_normalised_by_the_module_is_what_the_appliance_keeps(layout):
    first, second = _certificate_pem("Root A"), _certificate_pem("Root B")
    given = layout(first, second)
    sent = acme.check_ca_bundle(given, "ca_bundle_content")
    kept = appliance_settings.check_ca_bundle(sent)
    assert kept == sent
    assert appliance_settings.check_ca_bundle(given) == sent
    # What the appliance returns compares equal to what the module wants: a re-run changes nothing.
    assert acme_rules.pem_certificates(kept) == acme_rules.pem_certificates(given)
    assert acme.settings_differ({"ca_bundle": kept}, {"ca_bundle": sent}, resend_hmac=False) == []
