# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the openssl CLI writes, the core reads: every import format, matched by fingerprint.

The reference fingerprints come from openssl too (its DER of each certificate and of each
key's SubjectPublicKeyInfo), so a match means our loader found the same objects openssl wrote.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import formats, keyguard
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import PassphraseRequired, WrongPassphrase
from ansible_collections.bomgar.pki.plugins.module_utils.pki.fingerprints import (
    certificate_fingerprint,
    public_key_fingerprint,
    sha256_fingerprint,
)

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl CLI is not on PATH")

PASS = "openssl-reads-in"
C = formats.KIND_CERTIFICATE
K = formats.KIND_PRIVATE_KEY


class OpenSSLFiles:
    """Runs openssl in one folder; keeps the reference fingerprints of what it made."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.references: dict[str, str] = {}
        self.legacy_note = ""

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(["openssl", *args], cwd=self.folder, capture_output=True, check=False)
        if check:
            assert done.returncode == 0, f"openssl {' '.join(args)}: {done.stderr.decode(errors='replace')}"
        return done

    def path(self, name: str) -> Path:
        return self.folder / name

    def reference_key(self, name: str, key_file: str) -> None:
        self.run("pkey", "-in", key_file, "-pubout", "-outform", "DER", "-out", f"{name}.spki")
        self.references[name] = sha256_fingerprint(self.path(f"{name}.spki").read_bytes())

    def reference_cert(self, name: str, cert_file: str) -> None:
        self.run("x509", "-in", cert_file, "-outform", "DER", "-out", f"{name}.ref.der")
        self.references[name] = sha256_fingerprint(self.path(f"{name}.ref.der").read_bytes())


def _make_files(files: OpenSSLFiles) -> None:
    run = files.run
    passout = f"pass:{PASS}"
    # keys, CA, server certificate and its request
    run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem")
    run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem")
    run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key")
    run(
        "req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=OpenSSL Reads In CA", "-days", "30",
        "-addext", "basicConstraints=critical,CA:TRUE", "-out", "ca.pem",
    )  # fmt: skip
    run("req", "-new", "-key", "rsa.pem", "-subj", "/CN=support.example.com", "-out", "req.pem")
    run("req", "-in", "req.pem", "-outform", "DER", "-out", "req.der")
    run(
        "x509", "-req", "-in", "req.pem", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "4242",
        "-days", "30", "-out", "cert.pem",
    )  # fmt: skip
    files.reference_key("rsa", "rsa.pem")
    files.reference_key("ec", "ec.pem")
    files.reference_cert("cert", "cert.pem")
    files.reference_cert("ca", "ca.pem")
    files.path("chain.pem").write_bytes(files.path("cert.pem").read_bytes() + files.path("ca.pem").read_bytes())
    # certificates
    run("x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der")
    run("x509", "-in", "cert.pem", "-text", "-out", "cert-text.pem")
    run("x509", "-in", "cert.pem", "-addtrust", "serverAuth", "-trustout", "-out", "trusted.pem")
    run("crl2pkcs7", "-nocrl", "-certfile", "chain.pem", "-out", "chain.p7b.pem")
    run("crl2pkcs7", "-nocrl", "-certfile", "chain.pem", "-outform", "DER", "-out", "chain.p7b")
    # PKCS#8
    run("pkcs8", "-topk8", "-nocrypt", "-in", "rsa.pem", "-outform", "DER", "-out", "rsa.p8.der")
    run("pkcs8", "-topk8", "-nocrypt", "-in", "rsa.pem", "-out", "rsa.p8.pem")
    run("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "rsa.pem", "-passout", passout, "-outform", "DER",
        "-out", "rsa.p8enc.der")  # fmt: skip
    run("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "ec.pem", "-passout", passout, "-out", "ec.p8enc.pem")
    # PKCS#12
    export = ["pkcs12", "-export", "-inkey", "rsa.pem", "-in", "cert.pem", "-certfile", "ca.pem", "-name", "support"]
    run(*export, "-passout", passout, "-out", "modern.p12")
    if run(*export, "-legacy", "-passout", passout, "-out", "legacy.p12", check=False).returncode != 0:
        files.legacy_note = "openssl pkcs12 -legacy failed (no legacy provider); used PBE-SHA1-3DES instead"
        run(*export, "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1",
            "-passout", passout, "-out", "legacy.p12")  # fmt: skip
    run(*export, "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1",
        "-passout", passout, "-out", "3des.p12")  # fmt: skip
    run(*export, "-passout", "pass:", "-out", "empty-password.p12")
    run(*export, "-keypbe", "NONE", "-certpbe", "NONE", "-nomac", "-passout", "pass:", "-out", "plain.p12")
    run("pkcs12", "-export", "-nokeys", "-in", "chain.pem", "-passout", passout, "-out", "certs-only.p12")
    run("pkcs12", "-in", "modern.p12", "-passin", passout, "-noenc", "-out", "p12-dump.pem")
    # legacy ("traditional") keys
    run("rsa", "-in", "rsa.pem", "-traditional", "-out", "rsa.trad.pem")
    run("rsa", "-in", "rsa.pem", "-traditional", "-outform", "DER", "-out", "rsa.trad.der")
    run("rsa", "-in", "rsa.pem", "-traditional", "-aes256", "-passout", passout, "-out", "rsa.trad.enc.pem")
    run("ec", "-in", "ec.pem", "-out", "ec.trad.pem")
    run("ec", "-in", "ec.pem", "-outform", "DER", "-out", "ec.trad.der")
    run("ec", "-in", "ec.pem", "-aes256", "-passout", passout, "-out", "ec.trad.enc.pem")


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> OpenSSLFiles:
    files = OpenSSLFiles(tmp_path_factory.mktemp("openssl-reads-in"))
    _make_files(files)
    return files


P12 = [(C, "pkcs12", "cert"), (C, "pkcs12", "ca"), (K, "pkcs12", "rsa")]
# file, passphrase, expected (kind, format, reference) per item, first line the file must start with
CASES = [
    ("cert.der", None, [(C, "der_x509", "cert")], None),
    ("cert.pem", None, [(C, "pem_x509", "cert")], "-----BEGIN CERTIFICATE-----"),
    ("cert-text.pem", None, [(C, "pem_x509", "cert")], "Certificate:"),
    ("trusted.pem", None, [(C, "pem_x509", "cert")], "-----BEGIN TRUSTED CERTIFICATE-----"),
    ("chain.p7b.pem", None, [(C, "pkcs7_pem", "cert"), (C, "pkcs7_pem", "ca")], "-----BEGIN PKCS7-----"),
    ("chain.p7b", None, [(C, "pkcs7_der", "cert"), (C, "pkcs7_der", "ca")], None),
    ("rsa.pem", None, [(K, "pkcs8_pem", "rsa")], "-----BEGIN PRIVATE KEY-----"),
    ("rsa.p8.pem", None, [(K, "pkcs8_pem", "rsa")], "-----BEGIN PRIVATE KEY-----"),
    ("rsa.p8.der", None, [(K, "pkcs8_der", "rsa")], None),
    ("rsa.p8enc.der", PASS, [(K, "pkcs8_der_encrypted", "rsa")], None),
    ("ec.p8enc.pem", PASS, [(K, "pkcs8_pem_encrypted", "ec")], "-----BEGIN ENCRYPTED PRIVATE KEY-----"),
    ("modern.p12", PASS, P12, None),
    ("legacy.p12", PASS, P12, None),
    ("3des.p12", PASS, P12, None),
    ("empty-password.p12", None, P12, None),
    ("plain.p12", None, P12, None),
    ("certs-only.p12", PASS, [(C, "pkcs12", "cert"), (C, "pkcs12", "ca")], None),
    (
        "p12-dump.pem",
        None,
        [(C, "pem_x509", "cert"), (C, "pem_x509", "ca"), (K, "pkcs8_pem", "rsa")],
        "Bag Attributes",
    ),
    ("rsa.trad.pem", None, [(K, "legacy_pem", "rsa")], "-----BEGIN RSA PRIVATE KEY-----"),
    ("rsa.trad.der", None, [(K, "legacy_der", "rsa")], None),
    ("rsa.trad.enc.pem", PASS, [(K, "legacy_pem_encrypted", "rsa")], "-----BEGIN RSA PRIVATE KEY-----"),
    ("ec.trad.pem", None, [(K, "legacy_pem", "ec")], "-----BEGIN EC PRIVATE KEY-----"),
    ("ec.trad.der", None, [(K, "legacy_der", "ec")], None),
    ("ec.trad.enc.pem", PASS, [(K, "legacy_pem_encrypted", "ec")], "-----BEGIN EC PRIVATE KEY-----"),
]


def _fingerprint(item) -> str:
    if item.kind == C:
        return certificate_fingerprint(item.obj)
    return public_key_fingerprint(item.obj)


# openssl crl2pkcs7 writes the certificate SET unsorted (not DER); cryptography reads it as BER and warns.
@pytest.mark.filterwarnings("ignore:PKCS#7 certificates could not be parsed as DER:UserWarning")
@pytest.mark.parametrize(("name", "passphrase", "expected", "first_line"), CASES, ids=[case[0] for case in CASES])
def test_openssl_output_is_read_and_matches(made, name, passphrase, expected, first_line):
    path = made.path(name)
    if first_line is not None:
        assert path.read_text(errors="replace").lstrip().startswith(first_line), "openssl wrote another format"
    items = formats.load_file(str(path), passphrase)
    assert [(item.kind, item.format) for item in items] == [(kind, fmt) for kind, fmt, _ref in expected]
    assert [_fingerprint(item) for item in items] == [made.references[ref] for _kind, _fmt, ref in expected]


@pytest.mark.parametrize("name", ["modern.p12", "legacy.p12", "3des.p12", "p12-dump.pem"])
def test_friendly_name_set_by_openssl_is_kept(made, name):
    passphrase = None if name.endswith(".pem") else PASS
    items = formats.load_file(str(made.path(name)), passphrase)
    assert items[0].friendly_name == "support"


def test_legacy_pkcs12_really_uses_legacy_encryption(made):
    info = made.run("pkcs12", "-in", "legacy.p12", "-info", "-noout", "-passin", f"pass:{PASS}", "-legacy", check=False)
    text = info.stderr.decode(errors="replace") + info.stdout.decode(errors="replace")
    assert "pbeWithSHA1And" in text, made.legacy_note or text


@pytest.mark.parametrize(
    "name", ["rsa.p8enc.der", "ec.p8enc.pem", "modern.p12", "legacy.p12", "rsa.trad.enc.pem", "ec.trad.enc.pem"]
)
def test_openssl_encrypted_files_need_the_right_passphrase(made, name):
    with pytest.raises(PassphraseRequired):
        formats.load_file(str(made.path(name)))
    with pytest.raises(WrongPassphrase, match="Wrong passphrase"):
        formats.load_file(str(made.path(name)), "not-" + PASS)


@pytest.mark.parametrize("name", ["req.pem", "req.der"])
def test_openssl_request_is_read(made, name):
    csr = formats.load_csr(made.path(name).read_bytes(), source=name)
    assert public_key_fingerprint(csr.public_key()) == made.references["rsa"]
    assert csr.subject.rfc4514_string() == "CN=support.example.com"


@pytest.mark.parametrize(
    ("name", "holds_key"),
    [
        ("cert.der", False),
        ("cert-text.pem", False),
        ("chain.p7b", False),
        ("chain.p7b.pem", False),
        ("req.der", False),
        ("plain.p12", True),
        ("certs-only.p12", True),  # password-protected: cannot be inspected, so refused
        ("rsa.p8.der", True),
        ("rsa.trad.der", True),
        ("ec.trad.der", True),
        ("rsa.p8enc.der", True),
        ("p12-dump.pem", True),
    ],
)
def test_keyguard_on_openssl_output(made, name, holds_key):
    assert bool(keyguard.find_private_keys(made.path(name).read_bytes())) is holds_key
