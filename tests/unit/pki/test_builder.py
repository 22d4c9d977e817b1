# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import datetime

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, hostnames, keys, subject_fields
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import ChainError, KeyMismatch, SpecError
from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

SUBJECT = subject_fields.SubjectSpec(
    common_name="support.example.com",
    country_name="DE",
    state_or_province_name="Bavaria",
    locality_name="Munich",
    organization_name="Example GmbH",
    organizational_unit_name="IT",
)
SANS = ["DNS:support.example.com", "DNS:*.example.com"]


def ext(cert, cls):
    return cert.extensions.get_extension_for_class(cls)


def test_csr_carries_subject_and_sans(rsa_key):
    csr = builder.build_csr(rsa_key, SUBJECT, SANS)
    assert csr.is_signature_valid
    assert subject_fields.subject_from_name(csr.subject) == SUBJECT
    assert [str(e) for e in hostnames.sans_from_certificate(csr)] == SANS
    assert keys.key_matches_csr(rsa_key, csr)


@pytest.mark.parametrize(
    ("subject", "sans", "words"),
    [
        (subject_fields.SubjectSpec(common_name="support.example.com", country_name="UK"), SANS, "GB"),
        (subject_fields.SubjectSpec(common_name="support.example.com"), ["DNS:other.example.com"], "first"),
        (subject_fields.SubjectSpec(common_name="Support"), ["DNS:*.com"], r"\*\.com"),
    ],
)
def test_csr_refuses_procedure_violations(rsa_key, subject, sans, words):
    with pytest.raises(SpecError, match=words):
        builder.build_csr(rsa_key, subject, sans)


def test_self_signed_is_a_server_certificate(ec_key):
    now = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
    cert = builder.self_signed_certificate(ec_key, SUBJECT, SANS, days=90, now=now)
    assert cert.subject == cert.issuer
    cert.verify_directly_issued_by(cert)
    assert not ext(cert, x509.BasicConstraints).value.ca
    assert ext(cert, x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
    assert not ext(cert, x509.KeyUsage).value.key_encipherment  # EC keys do not encipher
    assert cert.not_valid_before_utc == now - builder.BACKDATE
    assert cert.not_valid_after_utc == now + datetime.timedelta(days=90)
    assert [str(e) for e in hostnames.sans_from_certificate(cert)] == SANS


@pytest.mark.parametrize("days", [0, -5, 3651, "long"])
def test_validity_bounds(ec_key, days):
    with pytest.raises(SpecError, match="days"):
        builder.self_signed_certificate(ec_key, SUBJECT, SANS, days=days)


def test_sign_csr_with_local_ca(rsa_key, local_ca):
    csr = builder.build_csr(rsa_key, SUBJECT, SANS)
    cert = builder.sign_csr(
        csr, local_ca["issuing"], local_ca["issuing_key"], days=397, ca_issuers_url="http://pki.example.com/issuing.cer"
    )
    cert.verify_directly_issued_by(local_ca["issuing"])
    assert cert.subject == csr.subject
    assert cert.issuer == local_ca["issuing"].subject
    assert [str(e) for e in hostnames.sans_from_certificate(cert)] == SANS
    assert ext(cert, x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH])
    assert ext(cert, x509.KeyUsage).value.key_encipherment  # RSA
    issuing_ski = ext(local_ca["issuing"], x509.SubjectKeyIdentifier).value.digest
    assert ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == issuing_ski
    assert ext(cert, x509.SubjectKeyIdentifier).value == x509.SubjectKeyIdentifier.from_public_key(rsa_key.public_key())
    access = ext(cert, x509.AuthorityInformationAccess).value
    assert [(a.access_method, a.access_location.value) for a in access] == [
        (AuthorityInformationAccessOID.CA_ISSUERS, "http://pki.example.com/issuing.cer")
    ]
    assert keys.key_matches_certificate(rsa_key, cert)


def test_signed_validity_never_outlives_the_ca(rsa_key, local_ca):
    csr = builder.build_csr(rsa_key, SUBJECT, SANS)
    cert = builder.sign_csr(csr, local_ca["issuing"], local_ca["issuing_key"], days=3650)
    assert cert.not_valid_after_utc == local_ca["issuing"].not_valid_after_utc


def test_sign_refuses_wrong_ca_key_non_ca_and_expired_ca(rsa_key, ec_key, local_ca, self_signed):
    csr = builder.build_csr(rsa_key, SUBJECT, SANS)
    with pytest.raises(KeyMismatch, match="CA certificate"):
        builder.sign_csr(csr, local_ca["issuing"], local_ca["root_key"])
    leaf = self_signed(ec_key)
    with pytest.raises(ChainError, match="not a CA"):
        builder.sign_csr(csr, leaf, ec_key)
    later = local_ca["issuing"].not_valid_after_utc + datetime.timedelta(days=1)
    with pytest.raises(ChainError, match="expired"):
        builder.sign_csr(csr, local_ca["issuing"], local_ca["issuing_key"], now=later)


def test_sign_refuses_a_tampered_request(rsa_key, local_ca):
    csr = builder.build_csr(rsa_key, SUBJECT, SANS)
    from cryptography.hazmat.primitives import serialization

    der = bytearray(csr.public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0xFF  # flip bits inside the signature
    tampered = x509.load_der_x509_csr(bytes(der))
    with pytest.raises(SpecError, match="signature does not verify"):
        builder.sign_csr(tampered, local_ca["issuing"], local_ca["issuing_key"])


def test_ca_certificates(local_ca):
    root, issuing = local_ca["root"], local_ca["issuing"]
    root.verify_directly_issued_by(root)
    issuing.verify_directly_issued_by(root)
    assert ext(issuing, x509.BasicConstraints).value == x509.BasicConstraints(ca=True, path_length=0)
    assert ext(issuing, x509.KeyUsage).value.key_cert_sign
    with pytest.raises(SpecError, match="common name"):
        builder.create_ca_certificate(local_ca["root_key"], subject_fields.SubjectSpec(organization_name="x"))
    with pytest.raises(SpecError, match="issuing CA's key"):
        builder.create_ca_certificate(
            local_ca["root_key"], subject_fields.SubjectSpec(common_name="x"), issuer_cert=root
        )
