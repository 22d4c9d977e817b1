# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import json

from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, describe, keys, subject_fields
from ansible_collections.bomgar.pki.plugins.module_utils.pki.fingerprints import (
    certificate_fingerprint,
    public_key_fingerprint,
)

SUBJECT = subject_fields.SubjectSpec(common_name="Support Site", country_name="US", organization_name="Example Inc")
SANS = ["DNS:support.example.com", "DNS:remote.example.com"]


def test_describe_signed_certificate(rsa_key, local_ca):
    csr = builder.build_csr(rsa_key, SUBJECT, SANS)
    cert = builder.sign_csr(
        csr,
        local_ca["issuing"],
        local_ca["issuing_key"],
        days=90,
        ca_issuers_url="http://pki.example.com/issuing.cer",
        ocsp_url="http://ocsp.example.com",
    )
    info = describe.describe_certificate(cert)
    json.dumps(info)  # plain data only
    assert info["subject"] == {"common_name": "Support Site", "country_name": "US", "organization_name": "Example Inc"}
    assert info["issuer"]["common_name"] == "Example Issuing CA"
    assert info["subject_alt_name"] == SANS
    assert info["sha256_fingerprint"] == certificate_fingerprint(cert)
    assert info["public_key_fingerprint"] == public_key_fingerprint(rsa_key)
    assert info["public_key"] == {"type": "rsa", "size": 2048}
    assert info["is_ca"] is False
    assert info["self_issued"] is False
    assert info["self_signed"] is False
    assert info["extended_key_usage"] == ["serverAuth"]
    assert "keyEncipherment" in info["key_usage"]
    assert info["ca_issuers_urls"] == ["http://pki.example.com/issuing.cer"]
    assert info["ocsp_urls"] == ["http://ocsp.example.com"]
    assert info["serial_number"] == format(cert.serial_number, "x")
    assert info["not_after"].endswith("Z")
    assert "PRIVATE" not in json.dumps(info)


def test_describe_root_and_self_signed(local_ca, ec_key, self_signed):
    root = describe.describe_certificate(local_ca["root"])
    assert root["is_ca"] and root["self_issued"] and root["self_signed"]
    assert root["public_key"] == {"type": "ec", "curve": "P-384", "size": 384}
    leaf = describe.describe_certificate(self_signed(ec_key))
    assert leaf["self_signed"] and not leaf["is_ca"]


def test_describe_csr(ec_key):
    csr = builder.build_csr(ec_key, SUBJECT, SANS)
    info = describe.describe_csr(csr)
    assert info["subject_alt_name"] == SANS
    assert info["signature_valid"] is True
    assert info["public_key_fingerprint"] == public_key_fingerprint(ec_key)


def test_compare_with_spec_lists_each_difference(rsa_key, ec_key):
    csr = builder.build_csr(rsa_key, SUBJECT, SANS)
    assert describe.compare_with_spec(csr, SUBJECT, SANS, keys.KeySpec.create("rsa", 2048)) == []
    # order of alternative names after the first does not matter
    assert describe.compare_with_spec(csr, sans=[SANS[0], SANS[1].upper()]) == []
    changed = subject_fields.SubjectSpec(common_name="Support Site", country_name="DE", locality_name="Berlin")
    diffs = describe.compare_with_spec(
        csr,
        changed,
        [*SANS, "DNS:new.example.com"],
        keys.KeySpec.create("ec"),
        public_key_fingerprint(ec_key),
    )
    by_field = {d.field: d for d in diffs}
    assert set(by_field) == {
        "country_name",
        "locality_name",
        "organization_name",
        "subject_alt_name",
        "key",
        "public_key_fingerprint",
    }
    assert by_field["country_name"].as_dict() == {"field": "country_name", "current": "US", "desired": "DE"}
    assert by_field["organization_name"].desired is None
    assert by_field["key"].current == "RSA 2048" and by_field["key"].desired == "EC P-256"
    assert "new.example.com" in str(by_field["subject_alt_name"])


def test_compare_notices_first_san_change(rsa_key):
    csr = builder.build_csr(rsa_key, SUBJECT, SANS)
    diffs = describe.compare_with_spec(csr, sans=list(reversed(SANS)))
    assert [d.field for d in diffs] == ["subject_alt_name"]
