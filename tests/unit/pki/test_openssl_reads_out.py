# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the core writes, the openssl CLI reads: requests, certificates, keys, PKCS#12."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, keys, subject_fields
from ansible_collections.bomgar.pki.plugins.module_utils.pki.fingerprints import public_key_fingerprint
from cryptography.hazmat.primitives import serialization

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl CLI is not installed")

PASS = "openssl-cross-check"
SUBJECT = subject_fields.SubjectSpec(common_name="support.example.com", country_name="DE", organization_name="Example")
SANS = ["DNS:support.example.com", "DNS:*.example.com", "IP:192.0.2.10"]


def openssl(*args, data: bytes | None = None, stderr: bool = False) -> str:
    done = subprocess.run(["openssl", *args], input=data, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return (done.stderr if stderr else done.stdout).decode(errors="replace")


def pem(obj) -> bytes:
    return obj.public_bytes(serialization.Encoding.PEM)


def openssl_pubkey_fingerprint(pubkey_pem: str) -> str:
    public = serialization.load_pem_public_key(pubkey_pem.encode())
    return public_key_fingerprint(public)


@pytest.mark.parametrize("spec", [keys.KeySpec.create("rsa", 2048), keys.KeySpec.create("ec", curve="P-384")])
def test_request_is_read_and_verified_by_openssl(spec, tmp_path):
    key = keys.generate_private_key(spec)
    path = tmp_path / "req.pem"
    path.write_bytes(pem(builder.build_csr(key, SUBJECT, SANS)))
    text = openssl("req", "-in", str(path), "-noout", "-verify", "-text")
    assert "CN = support.example.com" in text or "CN=support.example.com" in text
    assert "DNS:*.example.com" in text and "IP Address:192.0.2.10" in text
    assert openssl_pubkey_fingerprint(openssl("req", "-in", str(path), "-noout", "-pubkey")) == public_key_fingerprint(
        key
    )


def test_signed_chain_verifies_with_openssl(rsa_key, local_ca, tmp_path):
    cert = builder.sign_csr(builder.build_csr(rsa_key, SUBJECT, SANS), local_ca["issuing"], local_ca["issuing_key"])
    (tmp_path / "root.pem").write_bytes(pem(local_ca["root"]))
    (tmp_path / "issuing.pem").write_bytes(pem(local_ca["issuing"]))
    (tmp_path / "leaf.pem").write_bytes(pem(cert))
    out = openssl(
        "verify",
        "-CAfile",
        str(tmp_path / "root.pem"),
        "-untrusted",
        str(tmp_path / "issuing.pem"),
        "-purpose",
        "sslserver",
        "-verify_hostname",
        "remote.example.com",
        str(tmp_path / "leaf.pem"),
    )
    assert out.strip().endswith("OK")
    der = cert.public_bytes(serialization.Encoding.DER)
    assert "Subject Key Identifier" in openssl("x509", "-inform", "DER", "-noout", "-text", data=der)


def test_self_signed_is_read_by_openssl(ec_key, tmp_path):
    cert = builder.self_signed_certificate(ec_key, SUBJECT, SANS, days=10)
    (tmp_path / "cert.pem").write_bytes(pem(cert))
    text = openssl("x509", "-in", str(tmp_path / "cert.pem"), "-noout", "-text", "-ext", "subjectAltName")
    assert "DNS:support.example.com" in text
    out = openssl("verify", "-CAfile", str(tmp_path / "cert.pem"), str(tmp_path / "cert.pem"))
    assert out.strip().endswith("OK")


def test_encrypted_pkcs8_is_read_by_openssl(rsa_key, tmp_path):
    path = tmp_path / "key.pem"
    path.write_bytes(keys.export_pkcs8_pem(rsa_key, PASS))
    public = openssl("pkey", "-in", str(path), "-passin", f"pass:{PASS}", "-pubout")
    assert openssl_pubkey_fingerprint(public) == public_key_fingerprint(rsa_key)
    failed = subprocess.run(
        ["openssl", "pkey", "-in", str(path), "-passin", "pass:wrong-pass", "-noout"], capture_output=True, check=False
    )
    assert failed.returncode != 0


@pytest.mark.parametrize("legacy", [False, True])
def test_pkcs12_is_read_by_openssl(rsa_key, local_ca, tmp_path, legacy):
    cert = builder.sign_csr(builder.build_csr(rsa_key, SUBJECT, SANS), local_ca["issuing"], local_ca["issuing_key"])
    blob = keys.export_pkcs12(
        rsa_key, cert, [local_ca["issuing"], local_ca["root"]], passphrase=PASS, friendly_name="support", legacy=legacy
    )
    path = tmp_path / "bundle.p12"
    path.write_bytes(blob)
    args = ["pkcs12", "-in", str(path), "-passin", f"pass:{PASS}", "-nodes"]
    if legacy:
        # OpenSSL 3 reads 3DES PKCS#12 with its default provider; -legacy is only needed for RC2/RC4.
        info = openssl("pkcs12", "-in", str(path), "-passin", f"pass:{PASS}", "-info", "-noout", stderr=True)
        assert "pbeWithSHA1And3-KeyTripleDES-CBC" in info
    out = openssl(*args)
    assert out.count("BEGIN CERTIFICATE") == 3
    assert "friendlyName: support" in out
    key_pem = out[out.index("-----BEGIN PRIVATE KEY-----") :]
    key_pem = key_pem[: key_pem.index("-----END PRIVATE KEY-----") + len("-----END PRIVATE KEY-----")]
    public = openssl("pkey", "-pubout", data=key_pem.encode())
    assert openssl_pubkey_fingerprint(public) == public_key_fingerprint(rsa_key)
