# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import base64
import json
import os
import random
import zipfile
from pathlib import Path

import cryptography_vectors
import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import keyguard
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import PrivateKeyFound
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa
from formats_material import (
    DER,
    NO_ENCRYPTION,
    PASSPHRASE,
    PEM,
    PKCS8,
    TRADITIONAL,
    Material,
    legacy_pkcs12,
    pem_block,
    zip_of,
)

VECTORS = Path(cryptography_vectors.__file__).parent
OPENSSH = serialization.PrivateFormat.OpenSSH


@pytest.fixture(scope="module")
def m() -> Material:
    return Material.create()


@pytest.fixture(scope="module")
def dsa_key():
    return dsa.generate_private_key(key_size=1024)


def _json_with_key(m, _dsa_key=None) -> bytes:
    der = m.key_bytes(m.ec_key, DER, PKCS8)
    return json.dumps({"name": "backup", "key": base64.b64encode(der).decode()}).encode()


def _json_escaped_slashes(m, _dsa_key=None) -> bytes:
    der = m.key_bytes(m.server_key, DER, TRADITIONAL)
    return b'{"k":"' + base64.b64encode(der).replace(b"/", b"\\/") + b'"}'


def _base64_glued_to_text(m, _dsa_key=None) -> bytes:
    return b"SECRET_KEYmaterial" + base64.b64encode(m.key_bytes(m.ec_key, DER, TRADITIONAL)) + b"\n"


def _base64_lines_without_pem(m, _dsa_key=None) -> bytes:
    text = base64.b64encode(m.key_bytes(m.server_key, DER, PKCS8))
    return b"key=\n" + b"\n".join(text[i : i + 76] for i in range(0, len(text), 76)) + b"\n"


# id, builder(m, dsa_key) -> bytes, words the finding must contain
KEY_CASES = [
    ("pem_pkcs8", lambda m, d: m.key_bytes(m.server_key, PEM, PKCS8), "PEM block 'PRIVATE KEY' at line 1"),
    (
        "pem_pkcs8_encrypted",
        lambda m, d: m.key_bytes(m.server_key, PEM, PKCS8, PASSPHRASE),
        "PEM block 'ENCRYPTED PRIVATE KEY'",
    ),
    ("pem_rsa_legacy", lambda m, d: m.key_bytes(m.server_key, PEM, TRADITIONAL), "'RSA PRIVATE KEY'"),
    ("pem_ec_legacy", lambda m, d: m.key_bytes(m.ec_key, PEM, TRADITIONAL), "'EC PRIVATE KEY'"),
    (
        "pem_dsa_legacy",
        lambda m, d: d.private_bytes(PEM, TRADITIONAL, NO_ENCRYPTION),
        "'DSA PRIVATE KEY'",
    ),
    (
        "pem_legacy_encrypted",
        lambda m, d: m.key_bytes(m.ec_key, PEM, TRADITIONAL, PASSPHRASE),
        "'EC PRIVATE KEY'",
    ),
    ("pem_openssh", lambda m, d: m.key_bytes(m.ed_key, PEM, OPENSSH), "'OPENSSH PRIVATE KEY'"),
    (
        "ssh2_four_dashes",
        lambda m, d: (
            b"---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: x\nP2/56wAAA\n"
            b"---- END SSH2 ENCRYPTED PRIVATE KEY ----\n"
        ),
        "'SSH2 ENCRYPTED PRIVATE KEY'",
    ),
    (
        "putty",
        lambda m, d: b"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPrivate-Lines: 1\nAAAA\n",
        "PuTTY private key file at line 1",
    ),
    (
        "pem_inside_text_with_crlf",
        lambda m, d: (m.chain_pem + b"the key:\n" + m.key_bytes(m.ec_key, PEM, PKCS8)).replace(b"\n", b"\r\n"),
        "'PRIVATE KEY' at line",
    ),
    (
        "pem_in_json_string",
        lambda m, d: json.dumps({"key": m.key_bytes(m.ec_key, PEM, PKCS8).decode()}).encode(),
        "'PRIVATE KEY'",
    ),
    ("pem_utf16", lambda m, d: m.key_bytes(m.ec_key, PEM, PKCS8).decode().encode("utf-16"), "UTF-16"),
    ("der_pkcs1_rsa", lambda m, d: m.key_bytes(m.server_key, DER, TRADITIONAL), "DER PKCS#1 RSA private key"),
    ("der_pkcs8", lambda m, d: m.key_bytes(m.server_key, DER, PKCS8), "DER PKCS#8 private key"),
    ("der_pkcs8_ed25519", lambda m, d: m.key_bytes(m.ed_key, DER, PKCS8), "DER PKCS#8 private key"),
    (
        "der_pkcs8_encrypted",
        lambda m, d: m.key_bytes(m.server_key, DER, PKCS8, PASSPHRASE),
        "DER PKCS#8 encrypted private key",
    ),
    ("der_sec1_ec", lambda m, d: m.key_bytes(m.ec_key, DER, TRADITIONAL), "DER SEC1 EC private key"),
    ("der_dsa", lambda m, d: d.private_bytes(DER, TRADITIONAL, NO_ENCRYPTION), "DER OpenSSL DSA"),
    (
        "der_key_after_a_certificate",
        lambda m, d: m.cert_der + m.key_bytes(m.ec_key, DER, TRADITIONAL),
        "DER SEC1 EC private key at byte offset",
    ),
    (
        "der_key_in_stored_zip",
        lambda m, d: zip_of({"cert.der": m.cert_der, "key.der": m.key_bytes(m.ec_key, DER, PKCS8)}, zipfile.ZIP_STORED),
        "DER PKCS#8 private key at byte offset",
    ),
    ("pkcs12_with_key_unencrypted", lambda m, d: m.p12_unencrypted(), "PKCS#12 with key bag"),
    ("pkcs12_with_key_encrypted", lambda m, d: m.p12_modern(), "PKCS#12 with shrouded key bag"),
    ("pkcs12_legacy_3des", lambda m, d: m.p12_legacy(), "PKCS#12 with password-encrypted contents"),
    ("pkcs12_key_only", lambda m, d: legacy_pkcs12(m.ec_key, None, None), "PKCS#12 with shrouded key bag"),
    (
        "pkcs12_certificates_password_protected",
        lambda m, d: m.p12_certs_only(PASSPHRASE),
        "PKCS#12 with password-encrypted contents that may hold a private key",
    ),
    ("base64_der_in_json", _json_with_key, "base64 text at line 1 holding a DER PKCS#8 private key"),
    ("base64_json_escaped_slashes", _json_escaped_slashes, "holding a DER PKCS#1 RSA private key"),
    ("base64_glued_to_text", _base64_glued_to_text, "holding a DER SEC1 EC private key"),
    ("base64_lines_without_pem", _base64_lines_without_pem, "holding a DER PKCS#8 private key"),
]


@pytest.mark.parametrize(("builder", "expected"), [c[1:] for c in KEY_CASES], ids=[c[0] for c in KEY_CASES])
def test_every_key_form_is_found(m, dsa_key, builder, expected):
    data = builder(m, dsa_key)
    findings = keyguard.find_private_keys(data)
    wheres = [finding.where for finding in findings]
    assert any(expected in where for where in wheres), wheres
    with pytest.raises(PrivateKeyFound) as caught:
        keyguard.ensure_no_private_key(data, name="support-bundle/server.bin")
    assert "'support-bundle/server.bin'" in caught.value.message
    assert expected in caught.value.message
    assert caught.value.details["findings"] == wheres


def test_embedded_key_offset_is_exact(m):
    key = m.key_bytes(m.ec_key, DER, TRADITIONAL)
    (finding,) = keyguard.find_private_keys(m.cert_der + key)
    assert finding.where == f"DER SEC1 EC private key at byte offset {len(m.cert_der)}"


def test_pem_line_number_counts_crlf_lines(m):
    data = (m.chain_pem + b"the key:\n" + m.key_bytes(m.ec_key, PEM, PKCS8)).replace(b"\n", b"\r\n")
    (finding,) = keyguard.find_private_keys(data)
    line = m.chain_pem.count(b"\n") + 2
    assert finding.where == f"PEM block 'PRIVATE KEY' at line {line}"


# id, builder(m) -> bytes that hold no private key
CLEAN_CASES = [
    ("der_certificate", lambda m: m.cert_der),
    ("pem_chain", lambda m: m.chain_pem),
    (
        "pem_with_openssl_text",
        lambda m: b"Certificate:\n    Data:\n        Version: 3 (0x2)\n" + m.chain_pem.replace(b"\n", b"\r\n"),
    ),
    ("pkcs7_der", lambda m: m.p7_der),
    ("pkcs7_pem", lambda m: m.p7_pem),
    ("pkcs12_certificates_only_unencrypted", lambda m: m.p12_certs_only()),
    ("pkcs12_certificates_unencrypted_from_key_export", lambda m: m.p12_unencrypted(key=False)),
    ("csr_pem", lambda m: m.csr().public_bytes(PEM)),
    ("csr_der", lambda m: m.csr().public_bytes(DER)),
    (
        "public_key_pem",
        lambda m: m.server_key.public_key().public_bytes(PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    ),
    (
        "public_key_der",
        lambda m: m.ec_key.public_key().public_bytes(DER, serialization.PublicFormat.SubjectPublicKeyInfo),
    ),
    ("json_with_certificates", lambda m: m.json_with_certs()),
    (
        "text",
        lambda m: b"Appliance: support.example.com\nIncident: 12345\nThe private key stays on the server.\n" * 20,
    ),
    ("zip_of_certificates_deflated", lambda m: zip_of({"server.crt": m.cert_pem, "chain.p7b": m.p7_der})),
    (
        "zip_of_certificates_stored",
        lambda m: zip_of({"server.cer": m.cert_der, "chain.pem": m.chain_pem}, zipfile.ZIP_STORED),
    ),
    ("empty", lambda m: b""),
    ("random_bytes", lambda m: random.Random(7).randbytes(256 * 1024)),
]


@pytest.mark.parametrize("builder", [c[1] for c in CLEAN_CASES], ids=[c[0] for c in CLEAN_CASES])
def test_certificates_and_harmless_bytes_pass(m, builder):
    data = builder(m)
    assert keyguard.find_private_keys(data) == []
    keyguard.ensure_no_private_key(data, name="bundle.zip")


def _vector_files(*folders: str):
    for folder in folders:
        for root, _dirs, files in os.walk(VECTORS / folder):
            for name in sorted(files):
                yield Path(root) / name


def test_real_certificates_pass():
    """Every certificate, request, CRL and PKCS#7 file of the cryptography corpus that carries no key."""
    checked = 0
    for path in _vector_files("x509", "pkcs7"):
        data = path.read_bytes()
        if b"PRIVATE KEY" in data or path.suffix in (".p12", ".pfx") or "custom/ca" in path.as_posix():
            continue
        findings = keyguard.find_private_keys(data)
        assert findings == [], f"{path.relative_to(VECTORS)}: {findings}"
        checked += 1
    assert checked > 1000


def test_real_key_files_are_found():
    """Every private key file of the corpus (public keys and parameters excepted)."""
    checked = 0
    for path in _vector_files(
        "asymmetric/PEM_Serialization",
        "asymmetric/DER_Serialization",
        "asymmetric/PKCS8",
        "asymmetric/Traditional_OpenSSL_Serialization",
    ):
        if "public" in path.name or ".pub." in path.name or path.name in ("README.txt", "dsaparam.pem"):
            continue
        if path.name == "rsa_pss_2048_pub.der":
            continue
        assert keyguard.find_private_keys(path.read_bytes()), path.relative_to(VECTORS)
        checked += 1
    assert checked > 60


def test_real_pkcs12_files_with_keys_are_found():
    """The corpus names PKCS#12 files without a key 'no-cert-*-no-pwd' (extra certificates only)."""
    for path in _vector_files("pkcs12"):
        if path.suffix != ".p12":
            continue
        findings = keyguard.find_private_keys(path.read_bytes())
        holds_only_certs = path.name.startswith("no-cert-") and path.name.endswith("-no-pwd.p12")
        if holds_only_certs or path.name == "java-truststore.p12":
            assert findings == [], path.name
        else:
            assert findings, path.name


def test_der_private_key_structure_names_the_shape(m, dsa_key):
    cases = {
        m.key_bytes(m.server_key, DER, PKCS8): keyguard.KEY_STRUCTURE_PKCS8,
        m.key_bytes(m.server_key, DER, PKCS8, PASSPHRASE): keyguard.KEY_STRUCTURE_PKCS8_ENCRYPTED,
        m.key_bytes(m.server_key, DER, TRADITIONAL): keyguard.KEY_STRUCTURE_RSA,
        m.key_bytes(m.ec_key, DER, TRADITIONAL): keyguard.KEY_STRUCTURE_EC,
        dsa_key.private_bytes(DER, TRADITIONAL, NO_ENCRYPTION): keyguard.KEY_STRUCTURE_DSA,
        m.cert_der: None,
        m.p7_der: None,
    }
    for data, expected in cases.items():
        assert keyguard.der_private_key_structure(data) == expected


def test_is_pkcs12(m):
    assert keyguard.is_pkcs12(m.p12_modern())
    assert keyguard.is_pkcs12(m.p12_certs_only())
    assert not keyguard.is_pkcs12(m.cert_der)
    assert not keyguard.is_pkcs12(pem_block("PKCS12", m.p12_modern()).encode())
