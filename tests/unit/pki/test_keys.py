# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import keys
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import KeyMismatch, SpecError, UnsupportedKey
from ansible_collections.bomgar.pki.plugins.module_utils.pki.fingerprints import public_key_fingerprint
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, keys.KeySpec("rsa", 2048, None)),
        ({"kind": "RSA", "size": "4096"}, keys.KeySpec("rsa", 4096, None)),
        ({"kind": "rsa", "size": 3072}, keys.KeySpec("rsa", 3072, None)),
        ({"kind": "ec"}, keys.KeySpec("ec", None, "P-256")),
        ({"kind": "ec", "curve": "secp384r1"}, keys.KeySpec("ec", None, "P-384")),
        ({"kind": "ec", "curve": "prime256v1"}, keys.KeySpec("ec", None, "P-256")),
    ],
)
def test_key_spec_normalises(args, expected):
    assert keys.KeySpec.create(**args) == expected


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ({"kind": "rsa", "size": 1024}, UnsupportedKey, "1024 bits is not accepted"),
        ({"kind": "rsa", "size": 8192}, UnsupportedKey, "8192"),
        ({"kind": "rsa", "size": "big"}, SpecError, "not a number"),
        ({"kind": "dsa"}, UnsupportedKey, "'dsa' is not supported"),
        ({"kind": "ec", "curve": "P-521"}, UnsupportedKey, "P-521"),
        ({"kind": "ec", "size": 256}, SpecError, "EC key has no size"),
        ({"kind": "rsa", "curve": "P-256"}, SpecError, "RSA key has no curve"),
    ],
)
def test_key_spec_refuses(args, error, words):
    with pytest.raises(error, match=words) as info:
        keys.KeySpec.create(**args)
    assert info.value.hint, "every refusal names the fix"


@pytest.mark.parametrize(
    ("spec", "info"),
    [
        (keys.KeySpec.create("rsa", 2048), {"type": "rsa", "size": 2048}),
        (keys.KeySpec.create("ec", curve="P-256"), {"type": "ec", "curve": "P-256", "size": 256}),
        (keys.KeySpec.create("ec", curve="P-384"), {"type": "ec", "curve": "P-384", "size": 384}),
    ],
)
def test_generate_and_describe(spec, info):
    key = keys.generate_private_key(spec)
    assert keys.describe_key(key) == info
    assert keys.describe_key(key.public_key()) == info
    assert keys.key_spec_of(key) == spec


def test_key_spec_of_refuses_other_algorithms():
    with pytest.raises(
        UnsupportedKey, match=r"^An Ed25519 key cannot be used on the appliance\. Use a key the appliance"
    ):
        keys.key_spec_of(ed25519.Ed25519PrivateKey.generate())
    dsa_key = dsa.generate_private_key(2048)
    assert keys.describe_key(dsa_key)["type"] == "dsa"


def test_matching_and_mismatch(rsa_key, ec_key, self_signed):
    cert = self_signed(rsa_key)
    assert keys.key_matches_certificate(rsa_key, cert)
    assert keys.key_matches_certificate(rsa_key.public_key(), cert)
    assert not keys.key_matches_certificate(ec_key, cert)
    keys.ensure_key_matches(rsa_key, cert)
    with pytest.raises(KeyMismatch, match="does not belong to the certificate") as info:
        keys.ensure_key_matches(ec_key, cert)
    assert public_key_fingerprint(ec_key) in str(info.value)


def test_pkcs8_export_is_encrypted_and_round_trips(ec_key):
    pem = keys.export_pkcs8_pem(ec_key, "correct horse")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = serialization.load_pem_private_key(pem, b"correct horse")
    assert keys.public_keys_equal(loaded, ec_key)
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(pem, b"wrong horse")


@pytest.mark.parametrize("passphrase", [None, "", b"", "abc"])
def test_exports_refuse_missing_or_short_passphrase(ec_key, self_signed, passphrase):
    with pytest.raises(SpecError, match="passphrase"):
        keys.export_pkcs8_pem(ec_key, passphrase)
    with pytest.raises(SpecError, match="passphrase"):
        keys.export_pkcs12(ec_key, self_signed(ec_key), passphrase=passphrase)


@pytest.mark.parametrize("legacy", [False, True])
def test_pkcs12_export(rsa_key, self_signed, legacy):
    cert = self_signed(rsa_key)
    other = self_signed(keys.generate_private_key(keys.KeySpec.create("ec")))
    blob = keys.export_pkcs12(
        rsa_key, cert, [other], passphrase="s3cret-pass", friendly_name="Support 2026", legacy=legacy
    )
    loaded = pkcs12.load_pkcs12(blob, b"s3cret-pass")
    assert keys.public_keys_equal(loaded.key, rsa_key)
    assert loaded.cert.certificate == cert
    assert loaded.cert.friendly_name == b"Support 2026"
    assert [c.certificate for c in loaded.additional_certs] == [other]


def test_pkcs12_export_without_key_and_with_wrong_key(rsa_key, ec_key, self_signed):
    cert = self_signed(rsa_key)
    blob = keys.export_pkcs12(None, cert, passphrase="s3cret-pass")
    assert pkcs12.load_pkcs12(blob, b"s3cret-pass").key is None
    with pytest.raises(KeyMismatch):
        keys.export_pkcs12(ec_key, cert, passphrase="s3cret-pass")


def test_rsa_public_exponent_is_standard(rsa_key):
    assert isinstance(rsa_key, rsa.RSAPrivateKey)
    assert rsa_key.public_key().public_numbers().e == 65537


def test_signature_hash_follows_curve():
    p384 = ec.generate_private_key(ec.SECP384R1())
    assert keys.signature_hash_for(p384).name == "sha384"
    assert keys.signature_hash_for(ec.generate_private_key(ec.SECP256R1())).name == "sha256"
