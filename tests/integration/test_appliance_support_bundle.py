# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.appliance_support_bundle through ansible-playbook against reference appliances."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import socket
import stat
import threading
import time
import zipfile

from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, formats, keys, subject_fields
from ansible_collections.bomgar.pki.plugins.module_utils.pki.fingerprints import certificate_fingerprint
from cryptography.hazmat.primitives import serialization
from harness import api_state, secrets_of

MEMBERS = ["certificate.pem", "manifest.json", "status-basics.json", "status-basics.txt"]
AIA_URL = "http://pki.example.com/issuing-ca.cer"


def bundle_task(title, check_mode=None, **args):
    """A task of the module; without the screenshot of Status :: Basics unless ``screenshot`` is given."""
    args.setdefault("screenshot", False)
    task = {"name": title, "bomgar.pki.appliance_support_bundle": args, "ignore_errors": True}
    if check_mode is not None:
        task["check_mode"] = check_mode
    return task


def pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def import_files(handle, *blobs: bytes) -> dict:
    files = [{"content": base64.b64encode(blob).decode("ascii")} for blob in blobs]
    with handle.client() as client:
        answer = client.post("certificates/import", json={"files": files})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def self_signed_on(handle, friendly_name="support-selfsigned") -> dict:
    """A key and a self-signed certificate made on the appliance through its API."""
    with handle.client() as client:
        key = client.post("keys", json={"name": f"{friendly_name}-key", "type": "ec"}).json()
        body = {
            "friendly_name": friendly_name,
            "key_id": key["id"],
            "subject": {"common_name": "Support"},
            "subject_alt_name": ["DNS:support.example.com"],
            "days": 90,
        }
        answer = client.post("certificates/self-signed", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def local_ca():
    """A root and an issuing CA (certificates and keys) an operator's CA would hold."""
    root_key = keys.generate_private_key(keys.KeySpec.create("ec"))
    root = builder.create_ca_certificate(root_key, subject_fields.SubjectSpec(common_name="Example Root CA"))
    issuing_key = keys.generate_private_key(keys.KeySpec.create("ec"))
    issuing = builder.create_ca_certificate(
        issuing_key, subject_fields.SubjectSpec(common_name="Example Issuing CA"), issuer_cert=root, issuer_key=root_key
    )
    return root, issuing, issuing_key


def ca_signed_on(handle, issuing, issuing_key, friendly_name="support-ca") -> dict:
    """A request made on the appliance, signed by the issuing CA, imported without its chain."""
    with handle.client() as client:
        key = client.post("keys", json={"name": f"{friendly_name}-key", "type": "rsa", "size": 2048}).json()
        body = {
            "friendly_name": friendly_name,
            "key_id": key["id"],
            "subject": {"common_name": "Support", "country_name": "US", "organization_name": "Example"},
            "subject_alt_name": ["DNS:support.example.com"],
        }
        request = client.post("certificate-requests", json=body).json()
    leaf = builder.sign_csr(formats.load_csr(request["pem"]), issuing, issuing_key, ca_issuers_url=AIA_URL)
    imported = import_files(handle, pem(leaf))
    return imported["imported"][0]


def read_zip(path) -> dict:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        assert [info.filename for info in infos] == sorted(info.filename for info in infos)
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.compress_type == zipfile.ZIP_STORED and info.extra == b""
            assert info.external_attr >> 16 == 0o100644
        return {info.filename: archive.read(info) for info in infos}


def test_self_signed_bundle_check_mode_idempotency_and_contents(appliance, play, tmp_path):
    hosts = {"appliance": appliance}
    cert = self_signed_on(appliance)
    dest = tmp_path / "bundle.zip"
    before = api_state(appliance)

    check = play(hosts, [bundle_task("predict", certificate="support-selfsigned", dest=str(dest))], check=True)
    predicted = check.result("predict")
    assert not predicted["failed"], predicted
    assert predicted["changed"] is True
    assert not dest.exists(), "check mode wrote the bundle"
    assert not list(tmp_path.glob(".bundle.zip.*")), "check mode left a temporary file"
    assert api_state(appliance) == before

    tasks = [
        bundle_task("write", certificate="support-selfsigned", dest=str(dest), incident="01234567"),
        bundle_task("again", certificate=cert["sha256_fingerprint"].upper(), dest=str(dest), incident="01234567"),
        bundle_task("other incident", certificate="support-selfsigned", dest=str(dest), incident="7654321"),
    ]
    run = play(hosts, tasks, diff=True)
    written = run.result("write")
    assert not written["failed"], written
    assert written["changed"] is True and written["diff"]["before"] == {}
    assert written["dest"] == str(dest) and written["chain_status"] == "self_signed"
    assert written["root_fingerprint"] == cert["sha256_fingerprint"]
    assert written["software_update_required"] is True, "a new self-signed root is not trusted by the software"
    assert written["certificate"]["sha256_fingerprint"] == cert["sha256_fingerprint"]
    assert [m["name"] for m in written["members"]] == MEMBERS
    again = run.result("again")
    assert again["changed"] is False and again["sha256"] == written["sha256"]
    other = run.result("other incident")
    assert other["changed"] is True
    assert other["diff"]["before"]["sha256"] == written["sha256"] != other["sha256"]
    assert stat.S_IMODE(dest.stat().st_mode) == 0o644
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == other["sha256"]
    assert api_state(appliance) == before, "making a bundle changed the appliance"

    members = read_zip(dest)
    assert {name: hashlib.sha256(data).hexdigest() for name, data in members.items()} == {
        m["name"]: m["sha256"] for m in other["members"]
    }
    certs = formats.load_bytes(members["certificate.pem"])
    assert [certificate_fingerprint(item.obj) for item in certs] == [cert["sha256_fingerprint"]]
    basics = before["status/basics"]
    assert json.loads(members["status-basics.json"]) == basics
    text = members["status-basics.txt"].decode()
    assert basics["hostname"] in text and basics["appliance_id"] in text
    assert basics["trusted_root_fingerprints"][0] in text
    manifest = json.loads(members["manifest.json"])
    assert manifest["incident"] == "7654321"
    assert manifest["appliance"]["hostname"] == basics["hostname"]
    assert manifest["appliance"]["appliance_id"] == basics["appliance_id"]
    assert manifest["certificate"]["sha256_fingerprint"] == cert["sha256_fingerprint"]
    assert manifest["software_update_required"] is True and manifest["private_key_included"] is False
    listed = {m["name"]: m["sha256"] for m in manifest["members"]}
    assert listed == {name: hashlib.sha256(members[name]).hexdigest() for name in MEMBERS if name != "manifest.json"}
    assert all(m["why"] for m in manifest["members"])
    everything = b"".join(members.values())
    assert b"PRIVATE KEY" not in everything
    assert not [secret for secret in secrets_of(appliance) if secret.encode() in everything + run.stdout.encode()]

    recheck_task = bundle_task("predict", certificate="support-selfsigned", dest=str(dest), incident="7654321")
    recheck = play(hosts, [recheck_task], check=True)
    assert recheck.result("predict")["changed"] is False


def test_ca_signed_chain_incomplete_refused_then_complete(appliance_factory, play, tmp_path):
    root, issuing, issuing_key = local_ca()
    root_file = tmp_path / "root.pem"
    root_file.write_bytes(pem(root))
    appliance = appliance_factory(trusted_roots=[root_file])
    hosts = {"appliance": appliance}
    cert = ca_signed_on(appliance, issuing, issuing_key)
    assert cert["chain_status"] == "incomplete"
    dest = tmp_path / "ca.zip"
    before = api_state(appliance)

    run = play(
        hosts,
        [
            bundle_task("refused", certificate="support-ca", dest=str(dest)),
            bundle_task("refused in check mode", certificate="support-ca", dest=str(dest), check_mode=True),
        ],
    )
    for title in ("refused", "refused in check mode"):
        refused = run.result(title)
        assert refused["failed"], refused
        assert "incomplete" in refused["msg"] and "Example Issuing CA" in refused["msg"]
        assert AIA_URL in refused["msg"]
        assert "appliance_cert_import" in refused["msg"] and "allow_incomplete_chain" in refused["msg"]
    assert not dest.exists() and api_state(appliance) == before

    allowed_task = bundle_task("allowed", certificate="support-ca", dest=str(dest), allow_incomplete_chain=True)
    allowed = play(hosts, [allowed_task])
    result = allowed.result("allowed")
    assert not result["failed"] and result["changed"] is True
    assert result["chain_status"] == "incomplete" and result["root_fingerprint"] is None
    assert result["software_update_required"] is True
    assert any("incomplete" in warning for warning in result["warnings"])
    assert len(formats.load_bytes(read_zip(dest)["certificate.pem"])) == 1

    import_files(appliance, pem(issuing), pem(root))
    chain = [cert["sha256_fingerprint"], certificate_fingerprint(issuing), certificate_fingerprint(root)]
    tasks = [
        bundle_task("complete", certificate="support-ca", dest=str(dest)),
        bundle_task("leaf only", certificate="support-ca", dest=str(tmp_path / "leaf.zip"), include_chain=False),
    ]
    complete_run = play(hosts, tasks)
    complete = complete_run.result("complete")
    assert not complete["failed"] and complete["changed"] is True
    assert complete["chain_status"] == "complete" and complete["certificate"]["chain"] == chain
    assert complete["root_fingerprint"] == chain[-1]
    assert complete["software_update_required"] is False, "the appliance was started trusting this root"
    members = read_zip(dest)
    assert [certificate_fingerprint(item.obj) for item in formats.load_bytes(members["certificate.pem"])] == chain
    manifest = json.loads(members["manifest.json"])
    assert manifest["certificate"]["chain"] == chain and manifest["incident"] is None
    assert manifest["software_update_required"] is False

    leaf_only = complete_run.result("leaf only")
    assert not leaf_only["failed"] and leaf_only["software_update_required"] is False
    assert any("without its chain" in warning for warning in leaf_only["warnings"])
    leaf_members = read_zip(tmp_path / "leaf.zip")
    assert len(formats.load_bytes(leaf_members["certificate.pem"])) == 1


def test_bad_input_fails_before_anything_is_written(shared_appliance, play, tmp_path):
    hosts = {"appliance": shared_appliance}
    (tmp_path / "folder").mkdir()
    tasks = [
        bundle_task("unknown certificate", certificate="no-such-cert", dest=str(tmp_path / "a.zip")),
        bundle_task("missing directory", certificate="Factory Default", dest=str(tmp_path / "nowhere" / "b.zip")),
        bundle_task("directory", certificate="Factory Default", dest=str(tmp_path / "folder")),
        bundle_task("two-line incident", certificate="Factory Default", dest=str(tmp_path / "c.zip"), incident="1\n2"),
        bundle_task("unknown option", certificate="Factory Default", dest=str(tmp_path / "d.zip"), passphrase="x"),
    ]
    run = play(hosts, tasks)
    unknown = run.result("unknown certificate")
    assert unknown["failed"] and "No certificate 'no-such-cert'" in unknown["msg"]
    assert "Factory Default" in unknown["msg"], "the message lists the certificates there are"
    missing = run.result("missing directory")
    assert missing["failed"] and "does not exist" in missing["msg"] and "state: directory" in missing["msg"]
    folder = run.result("directory")
    assert folder["failed"] and "is a directory" in folder["msg"]
    incident = run.result("two-line incident")
    assert incident["failed"] and "incident" in incident["msg"]
    option = run.result("unknown option")
    assert option["failed"] and "passphrase" in option["msg"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".zip")) == []
    assert list((tmp_path / "folder").iterdir()) == []


def test_a_dest_that_is_no_regular_file_or_cannot_be_written_fails_at_once_in_words(shared_appliance, play, tmp_path):
    fifo = tmp_path / "pipe.zip"
    os.mkfifo(fifo)
    # A socket stands for the devices: a test must never risk writing over a real device such as /dev/null.
    sock_path = tmp_path / "socket.zip"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock_path))
    done = threading.Event()

    def unblock():
        """Without the refusal the task waits for a writer each time it opens the pipe: after a minute, be that
        writer again and again, so that this test ends (and fails) instead of waiting for the harness's timeout."""
        if done.wait(60):
            return
        while not done.wait(0.2):
            with contextlib.suppress(OSError), open(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK), "wb"):
                pass

    threading.Thread(target=unblock, daemon=True).start()
    tasks = [
        bundle_task("fifo", certificate="Factory Default", dest=str(fifo)),
        bundle_task("socket", certificate="Factory Default", dest=str(sock_path)),
        bundle_task("proc", certificate="Factory Default", dest="/proc/1/support-bundle.zip"),
    ]
    started = time.monotonic()
    try:
        run = play({"appliance": shared_appliance}, tasks)
    finally:
        done.set()
        listener.close()
    assert time.monotonic() - started < 55, "the task waited on the named pipe"
    fifo_result = run.result("fifo")
    assert fifo_result["failed"] and "is a named pipe (FIFO), not a regular file" in fifo_result["msg"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode), "the pipe is left as it was"
    sock = run.result("socket")
    assert sock["failed"] and "is a socket, not a regular file" in sock["msg"]
    assert stat.S_ISSOCK(os.stat(sock_path).st_mode), "the socket is left as it was"
    proc = run.result("proc")
    assert proc["failed"] and "cannot be written to dest '/proc/1/support-bundle.zip'" in proc["msg"], proc["msg"]
    assert "Unexpected failure" not in proc["msg"] and "Traceback" not in run.stdout


# --- the screenshot of Status :: Basics ----------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_the_bundle_holds_a_screenshot_of_status_basics_kept_while_the_page_stays(appliance, play, tmp_path, transport):
    """Over web with the task's own session, over api with the web credentials given to the task."""
    hosts = {"appliance": appliance}
    self_signed_on(appliance)
    dest = tmp_path / "bundle.zip"
    web_login = {} if transport == "web" else {"username": appliance.username, "password": appliance.password}
    task = bundle_task("write", certificate="support-selfsigned", dest=str(dest), screenshot=True, **web_login)
    run = play(hosts, [task, {**task, "name": "again"}], diff=True, verbosity=3)
    written, again = run.result("write"), run.result("again")
    assert not written["failed"], written
    assert not written.get("warnings"), written.get("warnings")
    assert [m["name"] for m in written["members"]] == sorted([*MEMBERS, "status-basics.png"])
    assert again["changed"] is False and again["sha256"] == written["sha256"], "the same page gave another bundle"
    members = read_zip(dest)
    width, height = png_size(members["status-basics.png"])
    assert (width, height) == (1280, 960)
    assert len(members["status-basics.png"]) > 20_000, "the screenshot is (nearly) blank"
    manifest = json.loads(members["manifest.json"])
    assert {m["name"] for m in manifest["members"]} >= {"status-basics.png"}
    assert len(manifest["status_basics_page_sha256"]) == 64
    everything = b"".join(members.values()) + run.stdout.encode()
    for secret in secrets_of(appliance):
        assert secret.encode() not in everything
    (tmp_path / "status-basics.png").write_bytes(members["status-basics.png"])


def test_without_chromium_or_web_credentials_the_bundle_says_why_and_has_no_screenshot(
    shared_appliance, play, tmp_path, transport
):
    hosts = {"appliance": shared_appliance}
    no_chromium = bundle_task(
        "no chromium",
        certificate="Factory Default",
        dest=str(tmp_path / "a.zip"),
        screenshot=True,
        chromium_path=str(tmp_path / "no-such-chromium"),
    )
    tasks = [no_chromium]
    if transport == "api":
        tasks.append(
            bundle_task("no login", certificate="Factory Default", dest=str(tmp_path / "b.zip"), screenshot=True)
        )
    run = play(hosts, tasks)
    result = run.result("no chromium")
    assert not result["failed"], result
    assert "status-basics.png" not in [m["name"] for m in result["members"]]
    assert any("chromium_path" in warning and "not an executable file" in warning for warning in result["warnings"])
    assert (tmp_path / "a.zip").exists()
    if transport == "api":
        result = run.result("no login")
        assert not result["failed"], result
        assert "status-basics.png" not in [m["name"] for m in result["members"]]
        assert any("username and password" in warning for warning in result["warnings"]), result["warnings"]
