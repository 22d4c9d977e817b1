# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.appliance_certificate_export through ansible-playbook against a reference appliance.

The appliance holds what a CA hands over: a certificate for the site (key made
on the appliance, signed by a test CA with a root and an intermediate, imported
with its chain), and a certificate whose key is not on the appliance. They are
exported as PEM with their chain and as PKCS#12 with the key, which opens with
the passphrase and holds the key of the certificate; every refusal fails
before anything is exported and leaves the appliance as it was; check mode
exports as well; and nothing secret shows, even at -vvv without no_log.
"""

from __future__ import annotations

import base64
import json
import re
import socket

import import_material as material
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509 import load_pem_x509_certificates
from harness import api_state, secrets_of

PASSPHRASE = "Export-Passphrase-Tulip-8812"
SITE = "site certificate"
NO_KEY = "certificate without key"
SITE_SANS = ["DNS:support.example.com", "DNS:*.example.com"]
CENSORED = "the output has been hidden"


def fingerprint_of(cert) -> str:
    from cryptography.hazmat.primitives import hashes

    return ":".join(f"{byte:02x}" for byte in cert.fingerprint(hashes.SHA256()))


@pytest.fixture
def seeded(appliance, tmp_path):
    """The appliance with the site certificate (key on the appliance, complete chain) and one without its key."""
    ca = material.make_ca(tmp_path / "ca")
    with appliance.client() as client:
        key = client.post("keys", json={"name": "site-key", "type": "ec", "curve": "P-256"})
        key.raise_for_status()
        request = client.post(
            "certificate-requests",
            json={
                "friendly_name": SITE,
                "key_id": key.json()["id"],
                "subject": {"common_name": "support.example.com", "organization_name": "Example"},
                "subject_alt_name": SITE_SANS,
            },
        )
        request.raise_for_status()
        leaf = ca.sign(request.json()["pem"].encode("ascii"), "site")
        _no_key_key, no_key_leaf = ca.issue("nokey", "nokey.example.com")
        for name, files in ((SITE, [leaf, ca.intermediate, ca.root]), (NO_KEY, [no_key_leaf])):
            body = {
                "friendly_name": name,
                "files": [
                    {"name": path.name, "content": base64.b64encode(path.read_bytes()).decode()} for path in files
                ],
            }
            client.post("certificates/import", json=body).raise_for_status()
        certificates = {cert["friendly_name"]: cert for cert in client.get("certificates").json()}
    site = certificates[SITE]
    assert site["private_key_available"] and site["chain_status"] == "complete" and len(site["chain"]) == 3
    assert not certificates[NO_KEY]["private_key_available"]
    return {"certificates": certificates, "site": site, "no_key": certificates[NO_KEY], "ca": ca}


def export_task(title, **args):
    return {"name": title, "bomgar.pki.appliance_certificate_export": args, "register": "exported"}


def refused_task(title, **args):
    return {**export_task(title, **args), "ignore_errors": True}


def write_task(title, field, dest, mode="0600"):
    """Copy a registered field to a file on the controller (no_log: it may hold a PKCS#12)."""
    return {
        "name": title,
        "ansible.builtin.copy": {"content": f"{{{{ exported.{field} }}}}", "dest": str(dest), "mode": mode},
        "no_log": True,
    }


def test_pem_export_holds_the_chain_leaf_first_and_no_key(appliance, play, seeded, tmp_path, transport):
    site = seeded["site"]
    spelled = site["sha256_fingerprint"].replace(":", "").upper()
    before = api_state(appliance)
    tasks = [
        export_task("by name", certificate=SITE),
        write_task("write the chain", "content", tmp_path / "chain.pem", "0644"),
        export_task("by fingerprint, without the chain", certificate=spelled, include_chain=False),
        # By id: the one the previous export reported, as the test's transport gives ids.
        export_task(
            "covering the names",
            certificate="{{ exported.certificate.id }}",
            hostnames=["node1.example.com", "support.example.com"],
        ),
    ]

    run = play({"appliance": appliance}, tasks)

    assert run.rc == 0, run.stdout[-3000:]
    whole = run.result("by name")
    assert whole["changed"] is False
    assert whole["format"] == "pem" and whole["includes_private_key"] is False
    assert whole["certificates"] == site["chain"]
    assert whole["filename"].endswith(".pem")
    assert {key: whole["certificate"][key] for key in ("sha256_fingerprint", "chain")} == {
        key: site[key] for key in ("sha256_fingerprint", "chain")
    }
    if transport == "api":
        assert whole["certificate"]["id"] == site["id"]
    assert "PRIVATE KEY" not in whole["content"] and "pkcs12" not in whole
    written = (tmp_path / "chain.pem").read_bytes()
    assert [fingerprint_of(cert) for cert in load_pem_x509_certificates(written)] == site["chain"]
    leaf_only = run.result("by fingerprint, without the chain")
    assert leaf_only["certificates"] == [site["sha256_fingerprint"]]
    assert leaf_only["content"].count("BEGIN CERTIFICATE") == 1
    assert leaf_only["certificate"]["id"] == whole["certificate"]["id"], "one certificate, one id"
    by_id = run.result("covering the names")
    assert by_id["certificates"] == site["chain"]
    assert by_id["certificate"]["id"] == whole["certificate"]["id"]
    assert by_id["certificate"]["sha256_fingerprint"] == site["sha256_fingerprint"]
    assert api_state(appliance) == before


def test_pkcs12_with_key_opens_with_the_passphrase_and_holds_the_key_of_the_certificate(
    appliance, play, seeded, tmp_path
):
    site = seeded["site"]
    before = api_state(appliance)
    tasks = [
        export_task(
            "with key",
            certificate=SITE,
            format="pkcs12",
            include_private_key=True,
            passphrase="{{ transfer_passphrase }}",
            hostnames=["support.example.com", "node7.example.com"],
        ),
        write_task("write the PKCS#12", "pkcs12", tmp_path / "site.p12.b64"),
        {
            "name": "what the registered result says",
            "ansible.builtin.set_fact": {
                "export_facts": {
                    "changed": "{{ exported.changed }}",
                    "format": "{{ exported.format }}",
                    "includes_private_key": "{{ exported.includes_private_key }}",
                    "certificates": "{{ exported.certificates }}",
                    "filename": "{{ exported.filename }}",
                    "fingerprint": "{{ exported.certificate.sha256_fingerprint }}",
                    "has_content": "{{ exported.content is defined }}",
                }
            },
        },
        export_task("without key", certificate=SITE, format="pkcs12", passphrase="{{ transfer_passphrase }}"),
        write_task("write the PKCS#12 without key", "pkcs12", tmp_path / "nokey.p12.b64"),
    ]

    run = play({"appliance": appliance}, tasks, extra_vars={"transfer_passphrase": PASSPHRASE})

    assert run.rc == 0, run.stdout[-3000:]
    # The result holds the PKCS#12: hidden from the output although the task has no no_log.
    shown = run.result("with key")
    assert CENSORED in shown.get("censored", "") and "pkcs12" not in shown
    facts = run.result("what the registered result says")["ansible_facts"]["export_facts"]
    assert facts == {
        "changed": False,
        "format": "pkcs12",
        "includes_private_key": True,
        "certificates": site["chain"],
        "filename": facts["filename"],
        "fingerprint": site["sha256_fingerprint"],
        "has_content": False,
    }
    assert facts["filename"].endswith(".p12")
    blob = base64.b64decode((tmp_path / "site.p12.b64").read_text())
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(blob, b"not the passphrase")
    key, cert, extra = pkcs12.load_key_and_certificates(blob, PASSPHRASE.encode())
    assert fingerprint_of(cert) == site["sha256_fingerprint"]
    assert sorted(fingerprint_of(item) for item in extra) == sorted(site["chain"][1:])
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(serialization.Encoding.DER, public) == cert.public_key().public_bytes(
        serialization.Encoding.DER, public
    )
    key, cert, extra = pkcs12.load_key_and_certificates(
        base64.b64decode((tmp_path / "nokey.p12.b64").read_text()), PASSPHRASE.encode()
    )
    assert key is None
    assert sorted(fingerprint_of(item) for item in [*([cert] if cert else []), *extra]) == sorted(site["chain"])
    assert api_state(appliance) == before


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_every_refusal_fails_before_anything_is_exported(appliance, play, seeded):
    site, no_key = seeded["site"], seeded["no_key"]
    root = next(cert for cert in seeded["certificates"].values() if cert["role"] == "root")
    nowhere = {"appliance_url": f"https://127.0.0.1:{closed_port()}"}
    key_args = {"format": "pkcs12", "include_private_key": True, "passphrase": PASSPHRASE}
    tasks = [
        refused_task("key not on the appliance", certificate=NO_KEY, **key_args),
        refused_task("key with pem", certificate=SITE, include_private_key=True, **nowhere),
        refused_task("no passphrase", certificate=SITE, format="pkcs12", include_private_key=True, **nowhere),
        refused_task("short passphrase", certificate=SITE, format="pkcs12", passphrase="abc", **nowhere),
        refused_task("unknown certificate", certificate="support.example.org", format="pem"),
        refused_task(
            "names not covered",
            certificate=SITE,
            hostnames=["node1.example.com", "a.b.example.com", "support.example.org"],
            **key_args,
        ),
        refused_task("key of a CA", certificate=root["sha256_fingerprint"], **key_args),
    ]
    before = api_state(appliance)

    run = play({"appliance": appliance}, tasks)

    assert run.rc == 0, run.stdout[-3000:]
    results = {task["name"]: run.result(task["name"]) for task in tasks}
    for title, result in results.items():
        assert result["failed"], title
        assert "pkcs12" not in result and "content" not in result, title
        assert PASSPHRASE not in json.dumps(result), title
    message = {title: result["msg"] for title, result in results.items()}
    assert (
        f"The private key of certificate '{NO_KEY}' ({no_key['sha256_fingerprint']}) is not on the appliance"
        in (message["key not on the appliance"])
    )
    assert "Import the certificate with its key first" in message["key not on the appliance"]
    # Refused before the appliance is contacted: nothing listens at its URL.
    assert message["key with pem"].startswith("include_private_key needs format pkcs12")
    assert message["no passphrase"].startswith("A PKCS#12 export is always protected by a passphrase")
    assert message["short passphrase"].startswith("passphrase has 3 character(s)")
    assert "Cannot reach" not in message["key with pem"] + message["no passphrase"] + message["short passphrase"]
    assert message["unknown certificate"].startswith("No certificate 'support.example.org' on the appliance")
    assert f"'{SITE}' ({site['sha256_fingerprint'][:23]}…)" in message["unknown certificate"]
    assert f"'{NO_KEY}'" in message["unknown certificate"]
    assert (
        "does not cover a.b.example.com, support.example.org: its subject alternative names are "
        in message["names not covered"]
    )
    assert "node1.example.com," not in message["names not covered"]
    assert "root CA certificate" in message["key of a CA"]
    for text in message.values():
        assert text.endswith(("Nothing was exported.", "Name one of them in certificate."))
    assert api_state(appliance) == before


def test_check_mode_exports_as_outside_it_and_changes_nothing(appliance, play, seeded, tmp_path):
    before = api_state(appliance)
    tasks = [
        export_task("pem in check mode", certificate=SITE),
        export_task(
            "pkcs12 in check mode", certificate=SITE, format="pkcs12", include_private_key=True, passphrase=PASSPHRASE
        ),
        write_task("write the PKCS#12", "pkcs12", tmp_path / "check.p12.b64"),
    ]
    tasks[-1]["check_mode"] = False

    run = play({"appliance": appliance}, tasks, check=True)

    assert run.rc == 0, run.stdout[-3000:]
    assert run.result("pem in check mode")["changed"] is False
    assert run.result("pem in check mode")["certificates"] == seeded["site"]["chain"]
    assert run.status("pkcs12 in check mode") == "ok"
    assert run.result("pkcs12 in check mode")["changed"] is False
    key, cert, _extra = pkcs12.load_key_and_certificates(
        base64.b64decode((tmp_path / "check.p12.b64").read_text()), PASSPHRASE.encode()
    )
    assert key is not None and fingerprint_of(cert) == seeded["site"]["sha256_fingerprint"]
    assert api_state(appliance) == before


def test_no_passphrase_key_or_pkcs12_in_verbose_output_without_no_log(appliance, play, seeded, tmp_path):
    tasks = [
        export_task(
            "export with key",
            certificate=SITE,
            format="pkcs12",
            include_private_key=True,
            passphrase="{{ transfer_passphrase }}",
        ),
        write_task("write the PKCS#12", "pkcs12", tmp_path / "verbose.p12.b64"),
        refused_task(
            "refused with a passphrase",
            certificate=NO_KEY,
            format="pkcs12",
            include_private_key=True,
            passphrase="{{ transfer_passphrase }}",
        ),
        export_task("pem", certificate=SITE),
    ]

    run = play({"appliance": appliance}, tasks, verbosity=3, diff=True, extra_vars={"transfer_passphrase": PASSPHRASE})

    assert run.rc == 0, run.stdout[-3000:]
    assert "task path" in run.stdout.lower(), "the run was not verbose"
    assert CENSORED in run.result("export with key")["censored"]
    assert run.result("refused with a passphrase")["failed"]
    blob = base64.b64decode((tmp_path / "verbose.p12.b64").read_text())
    key, _cert, _extra = pkcs12.load_key_and_certificates(blob, PASSPHRASE.encode())
    key_der = base64.b64encode(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    ).decode()
    encoded = base64.b64encode(blob).decode()
    secrets = {
        "passphrase": PASSPHRASE,
        "PKCS#12 (base64)": encoded[100:160],
        "private key (PKCS#8, base64)": key_der[40:100],
        "PEM private key marker": "PRIVATE KEY-----",
        **{f"credential {number}": secret for number, secret in enumerate(secrets_of(appliance), 1)},
    }
    places = {"stdout": run.stdout, "stderr": run.stderr, "recorded results": json.dumps(run.results)}
    leaks = [
        f"{label} in {place}" for label, secret in secrets.items() for place, text in places.items() if secret in text
    ]
    assert not leaks, leaks
    assert not re.search(r"[A-Za-z0-9+/=]{200,}", run.stdout + json.dumps(run.results).replace("\\n", "\n"))
