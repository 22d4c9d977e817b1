# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.local_ca_sign through ansible-playbook: a CA in files on the controller, no appliance."""

from __future__ import annotations

import datetime
import json
import os
import stat
import subprocess
from pathlib import Path
from types import SimpleNamespace

from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, keys, subject_fields
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from harness import api_state

PASSPHRASE = "correct horse battery"
# The play's only host is the controller itself; these satisfy the harness's inventory variables (either transport).
CONTROLLER = SimpleNamespace(
    api_url="https://127.0.0.1:9",
    token="unused",
    username="unused",
    password="unused",
    ca_path="/nonexistent",
    ip_addresses=[],
    site_port=443,
    hostname="controller",
)


def sign_task(title, **args):
    return {"name": title, "bomgar.pki.local_ca_sign": args, "ignore_errors": True}


def write_key(path: Path, key, passphrase=None) -> None:
    if passphrase:
        data = keys.export_pkcs8_pem(key, passphrase)
    else:
        data = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    path.write_bytes(data)


def write_cert(path: Path, cert) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def make_csr(sans=("DNS:support.example.com", "DNS:*.example.com")) -> str:
    key = keys.generate_private_key(keys.KeySpec.create("ec"))
    csr = builder.build_csr(key, subject_fields.SubjectSpec(common_name="support.example.com"), list(sans))
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def tampered_csr() -> str:
    """A request whose structure parses but whose signature no longer verifies."""
    der = bytearray(x509.load_pem_x509_csr(make_csr().encode()).public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01
    return x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM).decode("ascii")


def material(base: Path) -> dict:
    """Files for the refusals: an expired CA, a stray key, a server certificate, a key without its certificate."""
    base.mkdir(parents=True, exist_ok=True)
    spec = keys.KeySpec.create("ec")
    expired_key = keys.generate_private_key(spec)
    long_ago = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=30)
    expired = builder.create_ca_certificate(
        expired_key, subject_fields.SubjectSpec(common_name="Old CA"), days=2, now=long_ago
    )
    write_cert(base / "expired.pem", expired)
    write_key(base / "expired.key", expired_key)
    write_key(base / "stray.key", keys.generate_private_key(spec))
    server_key = keys.generate_private_key(spec)
    server = builder.self_signed_certificate(
        server_key, subject_fields.SubjectSpec(common_name="support.example.com"), ["DNS:support.example.com"], days=30
    )
    write_cert(base / "server.pem", server)
    write_key(base / "server.key", server_key)
    orphan = base / "orphan"
    orphan.mkdir()
    write_key(orphan / "issuing.key", keys.generate_private_key(spec))
    return {
        "expired": str(base / "expired.pem"),
        "expired_key": str(base / "expired.key"),
        "stray_key": str(base / "stray.key"),
        "server": str(base / "server.pem"),
        "server_key": str(base / "server.key"),
        "orphan_cert": str(orphan / "issuing.pem"),
        "orphan_key": str(orphan / "issuing.key"),
    }


def openssl_verify(root: Path, issuing: Path, leaf: str, workdir: Path) -> subprocess.CompletedProcess:
    leaf_path = workdir / "leaf.pem"
    leaf_path.write_text(leaf, encoding="utf-8")
    return subprocess.run(
        [
            "openssl",
            "verify",
            "-purpose",
            "sslserver",
            "-CAfile",
            str(root),
            "-untrusted",
            str(issuing),
            str(leaf_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_create_report_sign_and_check_mode(tmp_path, play):
    ca_dir = tmp_path / "ca"
    ca = {"ca_cert": str(ca_dir / "issuing.pem"), "ca_key": str(ca_dir / "issuing.key")}
    secret = {**ca, "ca_key_passphrase": PASSPHRASE}
    csr = make_csr()
    tasks = [
        {**sign_task("predict create", **secret, create=True, csr=csr), "check_mode": True},
        sign_task("create", **secret, create=True, ca_common_name="Example Lab CA"),
        sign_task("create again", **secret, create=True, ca_common_name="Example Lab CA"),
        sign_task("report", **secret),
        {**sign_task("predict sign", **secret, csr=csr), "check_mode": True},
        sign_task("sign", **secret, csr=csr, days=90),
        sign_task("sign beyond the CA", **secret, csr=csr, days=3000),
    ]
    run = play({"controller": CONTROLLER}, tasks, diff=True, connection_defaults=False)
    assert run.rc == 0, run.stdout

    predicted = run.result("predict create")
    assert predicted["changed"] is True and predicted["created"] is True and predicted["root_fingerprint"] is None
    assert "certificate" not in predicted

    created = run.result("create")
    assert not created["failed"], created.get("msg")
    assert created["changed"] is True and created["created"] is True
    assert len(created["chain"]) == 2
    assert created["diff"]["before"]["ca_fingerprint"] is None
    assert created["diff"]["after"]["ca_fingerprint"] == created["ca_fingerprint"]
    assert stat.S_IMODE(os.stat(ca["ca_key"]).st_mode) == 0o600
    assert (ca_dir / "root.pem").exists()
    assert b"ENCRYPTED PRIVATE KEY" in Path(ca["ca_key"]).read_bytes()
    issuing = x509.load_pem_x509_certificate(Path(ca["ca_cert"]).read_bytes())
    root = x509.load_pem_x509_certificate((ca_dir / "root.pem").read_bytes())
    assert issuing.subject.rfc4514_string() == "CN=Example Lab CA Issuing"
    assert root.subject.rfc4514_string() == "CN=Example Lab CA Root"

    for title in ("create again", "report"):
        again = run.result(title)
        assert again["changed"] is False and again["created"] is False, title
        assert again["ca_fingerprint"] == created["ca_fingerprint"]
        assert again["root_fingerprint"] == created["root_fingerprint"]
        assert again["chain"] == created["chain"]
        assert "certificate" not in again

    predict_sign = run.result("predict sign")
    assert predict_sign["changed"] is True and "certificate" not in predict_sign

    signed = run.result("sign")
    assert signed["changed"] is True
    info = signed["info"]
    assert info["subject"] == {"common_name": "support.example.com"}
    assert info["subject_alt_name"] == ["DNS:support.example.com", "DNS:*.example.com"]
    assert info["issuer"] == {"common_name": "Example Lab CA Issuing"}
    assert info["extended_key_usage"] == ["serverAuth"] and info["is_ca"] is False
    lifetime = datetime.datetime.fromisoformat(info["not_after"][:-1]) - datetime.datetime.fromisoformat(
        info["not_before"][:-1]
    )
    assert datetime.timedelta(days=90) <= lifetime <= datetime.timedelta(days=90, minutes=6)
    assert signed["diff"]["after"]["certificate"]["sha256_fingerprint"] == info["sha256_fingerprint"]
    assert "-----BEGIN" not in json.dumps(signed["diff"])
    verified = openssl_verify(ca_dir / "root.pem", Path(ca["ca_cert"]), signed["certificate"], tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    beyond = run.result("sign beyond the CA")
    assert beyond["changed"] is True
    assert any("the certificate ends with it" in warning for warning in beyond.get("warnings", []))
    assert beyond["info"]["not_after"] == beyond["ca_not_after"]

    assert PASSPHRASE not in run.stdout
    for entry in run.results:
        assert PASSPHRASE not in json.dumps(entry["result"])


def test_refusals_name_problem_and_fix_and_write_nothing(tmp_path, play):
    ca_dir = tmp_path / "ca"
    plain = {"ca_cert": str(ca_dir / "issuing.pem"), "ca_key": str(ca_dir / "issuing.key")}
    ca = {**plain, "ca_key_passphrase": PASSPHRASE}
    files = material(tmp_path / "material")
    csr = make_csr()
    tasks = [
        sign_task("create", **ca, create=True),
        sign_task("bad csr signature", **ca, csr=tampered_csr()),
        sign_task(
            "not a csr", **ca, csr="-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"
        ),
        sign_task("key of another CA", ca_cert=plain["ca_cert"], ca_key=files["stray_key"], csr=csr),
        sign_task("expired CA", ca_cert=files["expired"], ca_key=files["expired_key"], csr=csr),
        sign_task("server certificate as CA", ca_cert=files["server"], ca_key=files["server_key"], csr=csr),
        sign_task("missing CA", ca_cert=str(tmp_path / "none.pem"), ca_key=str(tmp_path / "none.key"), csr=csr),
        sign_task("key without certificate", ca_cert=files["orphan_cert"], ca_key=files["orphan_key"], create=True),
        sign_task("chain without root", **ca, chain=[], csr=csr),
        sign_task("too long", **ca, csr=csr, days=5000),
        sign_task("wrong passphrase", **plain, csr=csr, ca_key_passphrase="not the one"),
        sign_task("no passphrase", **plain, csr=csr),
        sign_task(
            "short passphrase on create",
            ca_cert=str(tmp_path / "new/c.pem"),
            ca_key=str(tmp_path / "new/k.pem"),
            ca_key_passphrase="abc",
            create=True,
        ),
    ]
    run = play({"controller": CONTROLLER}, tasks, connection_defaults=False)
    assert not run.result("create")["failed"]
    expected = {
        "bad csr signature": ("signature does not verify", "Create the request again"),
        "not a csr": ("not a readable certificate request", "exactly as it was created"),
        "key of another CA": ("does not belong to ca_cert", "Give the key the CA certificate was made with"),
        "expired CA": ("expired on", "Renew the CA"),
        "server certificate as CA": ("is not a CA", "issuing CA's certificate"),
        "missing CA": ("does not exist", "create: true"),
        "key without certificate": ("is not overwritten", "move the file away"),
        "chain without root": ("chain of the CA stops at", "root.pem"),
        "too long": ("days is 5000", "398 days"),
        "wrong passphrase": ("Wrong passphrase for", "Set ca_key_passphrase"),
        "no passphrase": ("no passphrase was given", "Set ca_key_passphrase"),
        "short passphrase on create": ("ca_key_passphrase is shorter than 4 characters", "longer passphrase"),
    }
    for title, (problem, fix) in expected.items():
        result = run.result(title)
        assert result["failed"], title
        assert problem in result["msg"] and fix in result["msg"], (title, result["msg"])
        assert "certificate" not in result, title
    assert not os.path.exists(files["orphan_cert"])
    assert not (tmp_path / "material" / "orphan" / "root.pem").exists()
    assert not (tmp_path / "new").exists() or not any((tmp_path / "new").iterdir())


def test_signed_certificate_imports_with_a_complete_chain(tmp_path, shared_appliance, play, transport):
    ca = {"ca_cert": str(tmp_path / "ca" / "issuing.pem"), "ca_key": str(tmp_path / "ca" / "issuing.key")}
    # The appliance is shared by the runs over both transports: each makes its own certificate.
    name = f"local-ca-sign test {transport}"
    tasks = [
        {"name": "ca", "bomgar.pki.local_ca_sign": {**ca, "create": True}, "register": "local_ca"},
        {
            "name": "request",
            "bomgar.pki.appliance_csr": {
                "friendly_name": name,
                "key_type": "ec",
                "common_name": "support.example.com",
                "subject_alt_name": ["DNS:support.example.com", "DNS:*.example.com"],
            },
            "register": "request",
        },
        {"name": "sign", "bomgar.pki.local_ca_sign": {**ca, "csr": "{{ request.csr }}"}, "register": "signed"},
        {
            "name": "import",
            "bomgar.pki.appliance_cert_import": {"content": "{{ [signed.certificate] + signed.chain }}"},
        },
        {"name": "info", "bomgar.pki.appliance_certificate_info": {"certificates": [name]}},
    ]
    run = play({"appliance": shared_appliance}, tasks)
    assert run.rc == 0, run.stdout
    signed = run.result("sign")
    imported = [
        cert
        for cert in run.result("info")["certificates"]
        if cert["sha256_fingerprint"] == signed["info"]["sha256_fingerprint"]
    ]
    assert len(imported) == 1
    assert imported[0]["chain_status"] == "complete"
    assert imported[0]["chain"][1:] == [run.result("ca")["ca_fingerprint"], run.result("ca")["root_fingerprint"]]
    assert imported[0]["private_key_available"] is True
    before = api_state(shared_appliance)
    again = play({"appliance": shared_appliance}, tasks[:1])
    assert again.result("ca")["changed"] is False
    assert api_state(shared_appliance) == before


def _request(key, sans, common_name="Support site") -> str:
    """A request made with ``cryptography`` directly (any key, any alternative names)."""
    builder_ = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)])
    )
    if sans:
        builder_ = builder_.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder_.sign(key, algorithm).public_bytes(serialization.Encoding.PEM).decode("ascii")


def test_requests_the_appliance_cannot_use_are_refused_before_signing(tmp_path, play):
    ca_dir = tmp_path / "ca"
    ca = {"ca_cert": str(ca_dir / "issuing.pem"), "ca_key": str(ca_dir / "issuing.key")}
    ec_key = keys.generate_private_key(keys.KeySpec.create("ec"))
    support = x509.DNSName("support.example.com")
    tasks = [
        sign_task("create", **ca, create=True),
        sign_task("ed25519", **ca, csr=_request(ed25519.Ed25519PrivateKey.generate(), [support])),
        sign_task("rsa 1024", **ca, csr=_request(rsa.generate_private_key(65537, 1024), [support])),
        sign_task(
            "email and uri",
            **ca,
            csr=_request(
                ec_key,
                [support, x509.RFC822Name("ops@example.com"), x509.UniformResourceIdentifier("https://example.com/")],
            ),
        ),
        sign_task("no alternative name", **ca, csr=_request(ec_key, [])),
        sign_task("double wildcard", **ca, csr=_request(ec_key, [x509.DNSName("*.*.example.com")])),
        sign_task("empty csr", **ca, csr=""),
        sign_task("good", **ca, csr=_request(ec_key, [support])),
    ]
    run = play({"controller": CONTROLLER}, tasks, connection_defaults=False)
    assert not run.result("create")["failed"]
    expected = {
        "ed25519": ("its key is Ed25519, and the appliance holds only RSA keys of 2048, 3072 or 4096 bits", "key_type"),
        "rsa 1024": ("its key is RSA 1024, and the appliance holds only", "key_size 2048, 3072 or 4096"),
        "email and uri": ("(email:ops@example.com, URI:https://example.com/)", "only DNS: and IP:"),
        "no alternative name": ("has no DNS or IP alternative name", "'DNS:support.example.com'"),
        "double wildcard": ("not signed: wildcard DNS name '*.*.example.com' is not allowed", "'*.example.com'"),
        "empty csr": ("csr is empty", "leave csr out"),
    }
    for title, (problem, fix) in expected.items():
        result = run.result(title)
        assert result["failed"], title
        assert problem in result["msg"] and fix in result["msg"], (title, result["msg"])
        assert "certificate" not in result and result["changed"] is False, title
    assert run.result("good")["info"]["subject_alt_name"] == ["DNS:support.example.com"]


def test_a_blank_ca_name_is_refused_and_nothing_is_created(tmp_path, play):
    ca = {"ca_cert": str(tmp_path / "ca" / "issuing.pem"), "ca_key": str(tmp_path / "ca" / "issuing.key")}
    tasks = [
        sign_task("blank", **ca, create=True, ca_common_name=""),
        sign_task("spaces", **ca, create=True, ca_common_name="   "),
        sign_task("too long", **ca, create=True, ca_common_name="x" * 60),
    ]
    run = play({"controller": CONTROLLER}, tasks, connection_defaults=False)
    blank = run.result("blank")
    assert blank["failed"] and "ca_common_name is empty" in blank["msg"] and "' Root'" in blank["msg"]
    assert "bomgar.pki Local CA" in blank["msg"]
    assert run.result("spaces")["failed"] and "ca_common_name is empty" in run.result("spaces")["msg"]
    too_long = run.result("too long")
    assert too_long["failed"] and "cannot name the new CAs" in too_long["msg"], too_long["msg"]
    assert not (tmp_path / "ca").exists()


def test_a_new_ca_directory_is_private_whatever_the_umask(tmp_path, play):
    ca_dir = tmp_path / "new" / "ca"
    ca = {"ca_cert": str(ca_dir / "issuing.pem"), "ca_key": str(ca_dir / "issuing.key")}
    previous = os.umask(0)
    try:
        run = play({"controller": CONTROLLER}, [sign_task("create", **ca, create=True)], connection_defaults=False)
    finally:
        os.umask(previous)
    assert not run.result("create")["failed"], run.result("create").get("msg")
    assert stat.S_IMODE(os.stat(ca_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "new").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(ca["ca_key"]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ca["ca_cert"]).st_mode) == 0o644


def test_a_private_key_given_as_csr_is_masked_even_at_vvv(tmp_path, play):
    ca = {"ca_cert": str(tmp_path / "ca" / "issuing.pem"), "ca_key": str(tmp_path / "ca" / "issuing.key")}
    key = keys.generate_private_key(keys.KeySpec.create("ec"))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    tasks = [sign_task("create", **ca, create=True), sign_task("key as csr", **ca, csr=key_pem)]
    run = play({"controller": CONTROLLER}, tasks, connection_defaults=False, verbosity=3, diff=True)
    refused = run.result("key as csr")
    assert refused["failed"] and "certificate request" in refused["msg"]
    assert refused["invocation"]["module_args"]["csr"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    body = [line for line in key_pem.splitlines() if not line.startswith("-----")]
    for place in (run.stdout, run.stderr, json.dumps(run.results)):
        assert "BEGIN PRIVATE KEY" not in place
        assert not any(line in place for line in body)
