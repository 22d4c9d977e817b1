# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""No private key, passphrase or API token in what a playbook shows or records, even with -vvv.

One playbook makes a key and a self-signed certificate, imports a PKCS#12
with its private key and passphrase (once right, once with a wrong
passphrase), and writes a support bundle; then its output, the recorded task
results and the bundle are searched for every secret involved. Another gives
every module a token (over the web interface: a password) that cannot be sent
(a vaulted value with echo's newline).
"""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from harness import api_state, secrets_of
from module_probes import module_calls, probe_outcome, probe_tasks

MODULES_DIR = Path(__file__).resolve().parents[2] / "plugins" / "modules"
PASSPHRASE = "Correct-Horse-Battery-4711"
WRONG_PASSPHRASE = "Wrong-Staple-Passphrase-0815"


def module_exists(name: str) -> bool:
    return (MODULES_DIR / f"{name}.py").exists()


def pkcs12_with_key(handle) -> bytes:
    """A certificate and key made on the appliance, exported as a passphrase-protected PKCS#12, then deleted there."""
    with handle.client() as client:
        key = client.post("keys", json={"name": "exported-key", "type": "rsa", "size": 2048}).json()
        body = {
            "friendly_name": "exported",
            "key_id": key["id"],
            "subject": {"common_name": "Exported"},
            "subject_alt_name": ["DNS:support.example.com"],
            "days": 30,
        }
        cert = client.post("certificates/self-signed", json=body).json()
        export = {"format": "pkcs12", "include_chain": True, "include_private_key": True, "passphrase": PASSPHRASE}
        answer = client.post(f"certificates/{cert['id']}/export", json=export)
        assert answer.status_code == 200, answer.text
        assert client.delete(f"certificates/{cert['id']}").status_code == 204
        assert client.delete(f"keys/{key['id']}").status_code == 204
    return base64.b64decode(answer.json()["content_base64"])


def secret_fragments(p12: bytes, handle) -> dict:
    """What must never be shown: each secret, and pieces of the private key in the forms it could take."""
    key, _cert, _extra = pkcs12.load_key_and_certificates(p12, PASSPHRASE.encode())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    legacy_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    fragments = {
        "PEM private key marker": "PRIVATE KEY-----",
        "passphrase": PASSPHRASE,
        "wrong passphrase": WRONG_PASSPHRASE,
        "PKCS#12 (base64)": base64.b64encode(p12).decode()[40:100],
    }
    for number, secret in enumerate(secrets_of(handle)):
        fragments[f"secret {number} of the appliance (API token, admin password)"] = secret
    for label, text in (("PKCS#8 key", key_pem), ("PKCS#1 key", legacy_pem)):
        lines = [line for line in text.splitlines() if line and not line.startswith("-----")]
        fragments[f"{label} line 2"] = lines[1]
        fragments[f"{label} line 5"] = lines[4]
    return fragments


def test_no_secret_in_verbose_output_results_or_bundle(appliance, play, tmp_path):
    p12 = pkcs12_with_key(appliance)
    p12_path = tmp_path / "exported.p12"
    p12_path.write_bytes(p12)
    dest = tmp_path / "bundle.zip"
    missing = [name for name in ("appliance_csr", "appliance_cert_import") if not module_exists(name)]

    tasks = []
    bundled = "Factory Default"
    if module_exists("appliance_csr"):
        # The request makes its own key (named after it): the one way to make a key over both transports.
        csr = {
            "friendly_name": "verbose-selfsigned",
            "key_type": "ec",
            "common_name": "Verbose",
            "subject_alt_name": ["DNS:support.example.com"],
            "self_signed": True,
        }
        tasks.append({"name": "self-signed", "bomgar.pki.appliance_csr": csr})
        # The key it made, as appliance_key reports it.
        tasks.append({"name": "key", "bomgar.pki.appliance_key": {"name": "verbose-selfsigned", "type": "ec"}})
        bundled = "verbose-selfsigned"
    if module_exists("appliance_cert_import"):
        wrong = {"src": [str(p12_path)], "passphrase": "{{ wrong_passphrase }}"}
        right = {"src": [str(p12_path)], "passphrase": "{{ p12_passphrase }}", "friendly_name": "exported"}
        tasks += [
            {"name": "import wrong passphrase", "bomgar.pki.appliance_cert_import": wrong, "ignore_errors": True},
            {"name": "import", "bomgar.pki.appliance_cert_import": right},
        ]
        bundled = "exported"
    tasks.append({"name": "bundle", "bomgar.pki.appliance_support_bundle": {"certificate": bundled, "dest": str(dest)}})
    secrets = {"p12_passphrase": PASSPHRASE, "wrong_passphrase": WRONG_PASSPHRASE}
    run = play({"appliance": appliance}, tasks, verbosity=3, diff=True, extra_vars=secrets)

    assert run.rc == 0, run.stdout[-3000:]
    assert "<appliance>" in run.stdout or "task path" in run.stdout.lower(), "the run was not verbose"
    if module_exists("appliance_cert_import"):
        refused = run.result("import wrong passphrase")
        assert refused["failed"] and "passphrase" in refused["msg"].lower()
        imported = run.result("import")
        assert not imported["failed"] and imported["changed"] is True
    if module_exists("appliance_csr"):
        assert run.result("self-signed")["changed"] is True
        key = run.result("key")
        assert not key["failed"] and key["changed"] is False, key
    assert run.result("bundle")["certificate"]["friendly_name"] == bundled

    with zipfile.ZipFile(dest) as archive:
        bundle_text = b"".join(archive.read(name) for name in archive.namelist()).decode("utf-8", "replace")
    places = {
        "stdout": run.stdout,
        "stderr": run.stderr,
        "recorded results": json.dumps(run.results),
        "bundle": bundle_text,
    }
    leaks = [
        f"{label} in {place}"
        for label, fragment in secret_fragments(p12, appliance).items()
        for place, text in places.items()
        if fragment in text
    ]
    assert not leaks, leaks
    if missing:
        pytest.skip(f"checked without {', '.join(missing)}: those modules do not exist yet")


# What each transport says of its secret (the API token, the admin password) with echo's newline, and how to fix it.
NEWLINE_REFUSALS = {
    "api": (
        "api_token holds a line break at its end, which cannot be sent in an HTTP header",
        ("ansible-vault encrypt_string", "printf"),
    ),
    "web": (
        "password holds a line break or a NUL character, which no login form takes, so nothing was sent",
        ("vaulted with `echo`", "printf"),
    ),
}


def test_a_token_with_a_line_break_is_refused_by_every_module_and_never_shown(appliance, play, tmp_path, transport):
    """What `echo TOKEN | ansible-vault encrypt_string` gives: the token (over web: the password) and echo's
    newline."""
    connection = {"appliance_url": "{{ bomgar_appliance_url }}", "ca_path": "{{ bomgar_ca_path }}"}
    if transport == "api":
        connection["api_token"] = "{{ vaulted_secret }}"
        secret = appliance.token
    else:
        connection.update(transport="web", username="{{ bomgar_username }}", password="{{ vaulted_secret }}")
        secret = appliance.password
    tasks = probe_tasks("newline", connection, tmp_path, appliance.ca_path)
    before = api_state(appliance)
    run = play(
        {"appliance": appliance},
        tasks,
        connection_defaults=False,
        verbosity=3,
        extra_vars={"vaulted_secret": secret + "\n"},
    )
    assert api_state(appliance) == before
    problem, fixes = NEWLINE_REFUSALS[transport]
    for module in module_calls(tmp_path, appliance.ca_path):
        failed, msg = probe_outcome(run, "newline", module)
        assert failed, (module, msg)
        assert problem in msg, (module, msg)
        assert all(fix in msg for fix in fixes), (module, msg)
    shown = run.stdout + run.stderr + json.dumps(run.results)
    assert "<appliance>" in run.stdout or "task path" in run.stdout.lower(), "the run was not verbose"
    assert not [secret for secret in secrets_of(appliance) if secret in shown]
    assert "Invalid header value" not in shown and "Traceback" not in shown


def test_a_private_key_given_in_the_wrong_option_is_masked_at_vvv(appliance, play, tmp_path):
    """A key pasted where a request, a fingerprint or a name belongs is refused, and shown nowhere."""
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    legacy_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode("ascii")
    ca = {"ca_cert": str(tmp_path / "ca" / "issuing.pem"), "ca_key": str(tmp_path / "ca" / "issuing.key")}
    tasks = [
        {"name": "ca", "bomgar.pki.local_ca_sign": {**ca, "create": True}},
        {"name": "key as csr", "bomgar.pki.local_ca_sign": {**ca, "csr": legacy_pem}, "ignore_errors": True},
        {"name": "key as content", "bomgar.pki.appliance_cert_import": {"content": [key_pem]}, "ignore_errors": True},
        {
            "name": "key as for_public_key",
            "bomgar.pki.appliance_cert_import": {"src": [str(tmp_path)], "for_public_key": key_pem},
            "ignore_errors": True,
        },
        {
            "name": "key as friendly_name",
            "bomgar.pki.appliance_cert_import": {"src": [str(tmp_path / "ca" / "root.pem")], "friendly_name": key_pem},
            "ignore_errors": True,
        },
    ]
    run = play({"appliance": appliance}, tasks, verbosity=3, diff=True)
    assert "task path" in run.stdout.lower(), "the run was not verbose"
    body = [line for text in (key_pem, legacy_pem) for line in text.splitlines() if not line.startswith("-----")]
    places = {"stdout": run.stdout, "stderr": run.stderr, "recorded results": json.dumps(run.results)}
    leaks = [
        f"key line {number} in {place}"
        for number, line in enumerate(body)
        for place, text in places.items()
        if line in text
    ]
    assert not leaks, leaks
    assert "PRIVATE KEY-----" not in run.stdout + run.stderr + json.dumps(run.results)
    refusals = {
        "key as csr": "certificate request",
        "key as content": "belongs to no certificate",
        "key as for_public_key": "is not a SHA-256 public key fingerprint",
        "key as friendly_name": "friendly",
    }
    for title, words in refusals.items():
        result = run.result(title)
        assert result["failed"] and words in result["msg"], (title, result["msg"])
    assert run.result("key as csr")["invocation"]["module_args"]["csr"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
