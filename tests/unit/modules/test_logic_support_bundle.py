# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The named checks and builders of appliance_support_bundle, without a server."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import stat
import zipfile

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic import support_bundle as sb
from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, keys, subject_fields
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import PrivateKeyFound
from ansible_collections.bomgar.pki.plugins.module_utils.pki.fingerprints import certificate_fingerprint
from cryptography.hazmat.primitives import serialization

BASICS = {
    "hostname": "appliance.example.com",
    "site_hostname": "support.example.com",
    "role": "primary",
    "software_version": "23.1.2",
    "trusted_root_fingerprints": ["aa:" * 31 + "aa"],
    "ip_addresses": ["127.0.0.2", "127.0.0.3"],
    "traffic_nodes": [],
    "appliance_id": "78de4422-5d26-43a1-adcc-1bbb0ac83e40",
    "api_version": "1.0.0",
}
FP_LEAF, FP_ISSUING, FP_ROOT = ("11:" * 31 + "11", "22:" * 31 + "22", "33:" * 31 + "33")


def pem(*certs) -> str:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs).decode("ascii")


@pytest.fixture(scope="module")
def hierarchy():
    """root -> issuing -> leaf, and a self-signed certificate, with the leaf's key."""
    root_key = keys.generate_private_key(keys.KeySpec.create("ec"))
    root = builder.create_ca_certificate(root_key, subject_fields.SubjectSpec(common_name="Unit Root CA"))
    issuing_key = keys.generate_private_key(keys.KeySpec.create("ec"))
    issuing = builder.create_ca_certificate(
        issuing_key, subject_fields.SubjectSpec(common_name="Unit Issuing CA"), issuer_cert=root, issuer_key=root_key
    )
    leaf_key = keys.generate_private_key(keys.KeySpec.create("ec"))
    csr = builder.build_csr(leaf_key, subject_fields.SubjectSpec(common_name="Support"), ["DNS:support.example.com"])
    leaf = builder.sign_csr(csr, issuing, issuing_key)
    lone = builder.self_signed_certificate(
        leaf_key, subject_fields.SubjectSpec(common_name="Support"), ["DNS:x.example.com"]
    )
    return {"root": root, "issuing": issuing, "leaf": leaf, "self_signed": lone, "key": leaf_key}


def api_certificate(leaf, chain, status) -> dict:
    return {
        "id": "c1",
        "friendly_name": "support",
        "sha256_fingerprint": certificate_fingerprint(leaf),
        "chain_status": status,
        "chain": [certificate_fingerprint(cert) for cert in chain],
        "role": "server",
    }


# --- chain ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["complete", "self_signed"])
def test_complete_and_self_signed_chains_pass(status):
    assert sb.check_chain_complete({"chain_status": status}, allow_incomplete_chain=False) is None


def test_incomplete_chain_is_refused_with_the_missing_issuer_and_the_fix():
    certificate = {
        "friendly_name": "support-ca",
        "chain_status": "incomplete",
        "missing_issuer": "CN=Example Issuing CA",
        "ca_issuers_urls": ["http://pki.example.com/issuing.cer"],
    }
    with pytest.raises(sb.BundleRefused) as refused:
        sb.check_chain_complete(certificate, allow_incomplete_chain=False)
    message = refused.value.msg
    assert "'support-ca'" in message and "incomplete" in message
    assert "CN=Example Issuing CA" in message and "http://pki.example.com/issuing.cer" in message
    assert "appliance_cert_import" in message and "allow_incomplete_chain: true" in message
    assert refused.value.extra["certificate"]["friendly_name"] == "support-ca"
    warning = sb.check_chain_complete(certificate, allow_incomplete_chain=True)
    assert "incomplete" in warning and "CN=Example Issuing CA" in warning


# --- the export ------------------------------------------------------------------------------------------------


def test_export_with_the_complete_chain_is_accepted(hierarchy):
    chain = [hierarchy["leaf"], hierarchy["issuing"], hierarchy["root"]]
    certificate = api_certificate(hierarchy["leaf"], chain, "complete")
    export = {"format": "pem", "content": pem(*chain), "includes_private_key": False}
    assert sb.check_export(export, certificate, include_chain=True) == pem(*chain).encode()
    leaf_only = {"format": "pem", "content": pem(hierarchy["leaf"]), "includes_private_key": False}
    assert sb.check_export(leaf_only, certificate, include_chain=False) == pem(hierarchy["leaf"]).encode()


def test_export_holding_a_private_key_is_refused_by_the_key_guard(hierarchy):
    key_pem = (
        hierarchy["key"]
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    certificate = api_certificate(hierarchy["self_signed"], [hierarchy["self_signed"]], "self_signed")
    export = {"format": "pem", "content": pem(hierarchy["self_signed"]) + key_pem, "includes_private_key": False}
    with pytest.raises(PrivateKeyFound) as found:
        sb.check_export(export, certificate, include_chain=True)
    assert "certificate.pem" in str(found.value) and "private key" in str(found.value)


def test_export_that_says_it_holds_the_key_is_refused(hierarchy):
    certificate = api_certificate(hierarchy["self_signed"], [hierarchy["self_signed"]], "self_signed")
    export = {"format": "pkcs12", "content_base64": "MII=", "includes_private_key": True}
    with pytest.raises(sb.BundleRefused, match="without a private key"):
        sb.check_export(export, certificate, include_chain=True)


def test_export_of_another_chain_is_refused(hierarchy):
    chain = [hierarchy["leaf"], hierarchy["issuing"], hierarchy["root"]]
    certificate = api_certificate(hierarchy["leaf"], chain, "complete")
    short = {"format": "pem", "content": pem(hierarchy["leaf"], hierarchy["issuing"]), "includes_private_key": False}
    with pytest.raises(sb.BundleRefused, match="but its chain is"):
        sb.check_export(short, certificate, include_chain=True)
    other = {"format": "pem", "content": pem(hierarchy["self_signed"]), "includes_private_key": False}
    with pytest.raises(sb.BundleRefused, match="nothing was written"):
        sb.check_export(other, certificate, include_chain=False)


def test_export_whose_last_certificate_is_no_root_is_refused(hierarchy):
    chain = [hierarchy["leaf"], hierarchy["issuing"]]
    certificate = api_certificate(hierarchy["leaf"], chain, "complete")
    export = {"format": "pem", "content": pem(*chain), "includes_private_key": False}
    with pytest.raises(sb.BundleRefused, match="not a self-signed root"):
        sb.check_export(export, certificate, include_chain=True)


# --- members and the key guard -------------------------------------------------------------------------------


def test_a_key_hidden_in_a_json_member_is_refused(hierarchy):
    der = hierarchy["key"].private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    members = {
        "certificate.pem": pem(hierarchy["self_signed"]).encode(),
        "status-basics.json": sb.stable_json({**BASICS, "note": base64.b64encode(der).decode()}),
    }
    with pytest.raises(PrivateKeyFound) as found:
        sb.check_members_clean(members)
    assert "status-basics.json" in str(found.value)


def test_the_api_token_in_a_member_is_refused(hierarchy):
    members = {"status-basics.txt": b"token: s3cr3t-token-value\n"}
    with pytest.raises(sb.BundleRefused, match="API token") as refused:
        sb.check_members_clean(members, secrets=("s3cr3t-token-value",))
    assert "s3cr3t" not in refused.value.msg
    sb.check_members_clean({"certificate.pem": pem(hierarchy["self_signed"]).encode()}, secrets=("other", None))


def test_status_text_shows_every_field_of_status_basics():
    text = sb.status_basics_text({**BASICS, "future_field": {"b": 1}}).decode()
    for value in ("appliance.example.com", "support.example.com", "primary", "23.1.2", BASICS["appliance_id"]):
        assert value in text
    assert "127.0.0.2, 127.0.0.3" in text and "Traffic nodes:" in text and "(none)" in text
    assert BASICS["trusted_root_fingerprints"][0] in text
    assert 'future_field: {"b": 1}' in text


def test_stable_json_does_not_depend_on_key_order():
    shuffled = dict(reversed(list(BASICS.items())))
    assert sb.stable_json(BASICS) == sb.stable_json(shuffled)
    assert json.loads(sb.stable_json(BASICS)) == BASICS


def test_manifest_lists_each_member_with_its_hash_and_why():
    members = {"status-basics.txt": b"text\n", "certificate.pem": b"pem\n", "status-basics.json": b"{}\n"}
    certificate = {"friendly_name": "support", "sha256_fingerprint": FP_LEAF, "chain": [FP_LEAF, FP_ROOT]}
    manifest = json.loads(sb.build_manifest(members, BASICS, certificate, "0123", True, FP_ROOT, include_chain=True))
    assert [m["name"] for m in manifest["members"]] == sorted(members)
    assert {m["name"]: m["sha256"] for m in manifest["members"]} == {
        name: hashlib.sha256(data).hexdigest() for name, data in members.items()
    }
    assert all(m["what"] and m["why"] for m in manifest["members"])
    assert manifest["incident"] == "0123" and manifest["software_update_required"] is True
    assert manifest["appliance"]["appliance_id"] == BASICS["appliance_id"]
    assert manifest["certificate"]["root_sha256_fingerprint"] == FP_ROOT
    assert manifest["private_key_included"] is False and "Build new appliance software" in manifest["request"]
    unchanged = json.loads(sb.build_manifest(members, BASICS, certificate, None, False, FP_ROOT, include_chain=False))
    assert unchanged["incident"] is None and unchanged["certificate"]["chain"] == [FP_LEAF]
    assert "No new software build" in unchanged["request"]


# --- the zip ---------------------------------------------------------------------------------------------------

MEMBERS = {"manifest.json": b'{"a": 1}\n', "certificate.pem": b"-----BEGIN CERTIFICATE-----\n", "z.txt": b"z\n"}
# The bytes of deterministic_zip(MEMBERS), the same on every Python and platform.
GOLDEN_ZIP_SHA256 = "31bfcf65805ac1ef60595b9d0dedcc4a1e5279891ef99d8c48858c99d0169126"


def test_zip_is_deterministic_and_sorted():
    first = sb.deterministic_zip(MEMBERS)
    assert sb.deterministic_zip(dict(reversed(list(MEMBERS.items())))) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
        assert [info.filename for info in infos] == sorted(MEMBERS)
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.compress_type == zipfile.ZIP_STORED and info.extra == b""
            assert stat.S_IMODE(info.external_attr >> 16) == 0o644 and info.create_system == 3
            assert archive.read(info) == MEMBERS[info.filename]


def test_zip_bytes_match_the_golden_digest():
    assert hashlib.sha256(sb.deterministic_zip(MEMBERS)).hexdigest() == GOLDEN_ZIP_SHA256


# --- destination -----------------------------------------------------------------------------------------------


def test_dest_checks(tmp_path):
    assert sb.check_dest(str(tmp_path / "b.zip")) == str(tmp_path / "b.zip")
    with pytest.raises(sb.BundleRefused, match="is a directory"):
        sb.check_dest(str(tmp_path))
    with pytest.raises(sb.BundleRefused, match=r"does not exist.*state: directory"):
        sb.check_dest(str(tmp_path / "missing" / "b.zip"))


@pytest.mark.parametrize(("incident", "expected"), [(None, None), (" 0123 ", "0123"), ("INC-42", "INC-42")])
def test_incident_is_trimmed(incident, expected):
    assert sb.check_incident(incident) == expected


@pytest.mark.parametrize("incident", ["", "   ", "12\n34", "12\t34"])
def test_incident_that_is_not_one_line_is_refused(incident):
    with pytest.raises(sb.BundleRefused, match="not an incident number"):
        sb.check_incident(incident)


def test_write_is_atomic_with_mode_0644_whatever_the_umask(tmp_path):
    dest = str(tmp_path / "bundle.zip")
    data = sb.deterministic_zip(MEMBERS)
    assert sb.check_bundle_up_to_date(dest, data) == (False, False)
    old_umask = os.umask(0o077)
    try:
        sb.write_atomically(dest, data)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o644
    assert sorted(os.listdir(tmp_path)) == ["bundle.zip"], "a temporary file was left behind"
    assert sb.check_bundle_up_to_date(dest, data) == (True, True)
    assert sb.check_bundle_up_to_date(dest, data + b"x") == (False, True)
    assert sb.check_bundle_up_to_date(dest, data[:-1]) == (False, True)
    os.chmod(dest, 0o600)
    assert sb.check_bundle_up_to_date(dest, data) == (True, False)


def test_dest_that_is_not_a_regular_file_is_refused_without_reading_it(tmp_path):
    fifo = tmp_path / "pipe.zip"
    os.mkfifo(fifo)
    with pytest.raises(sb.BundleRefused, match=r"is a named pipe \(FIFO\), not a regular file"):
        sb.check_dest(str(fifo))
    with pytest.raises(sb.BundleRefused, match="is a character device, not a regular file"):
        sb.check_dest("/dev/null")
    link = tmp_path / "link.zip"
    link.symlink_to(fifo)
    with pytest.raises(sb.BundleRefused, match="named pipe"):
        sb.check_dest(str(link))


@pytest.mark.skipif(not os.path.isdir("/proc/1"), reason="needs Linux /proc")
def test_a_dest_in_a_folder_nothing_can_be_made_in_is_refused_in_words():
    assert sb.check_dest("/proc/1/x.zip") == "/proc/1/x.zip"
    with pytest.raises(sb.BundleRefused, match=r"cannot be written to dest '/proc/1/x.zip': No such file"):
        sb.write_atomically("/proc/1/x.zip", b"data")


def test_a_dest_that_cannot_be_written_is_refused_in_words(tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.access(locked, os.W_OK):
        # root writes anywhere: the folder's mode stops nobody, so the refusal comes from the system call itself.
        def refuse(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(sb.tempfile, "mkstemp", refuse)
    try:
        with pytest.raises(sb.BundleRefused, match=r"cannot be written to dest .*Permission denied"):
            sb.write_atomically(str(locked / "b.zip"), b"data")
    finally:
        locked.chmod(0o700)
    assert os.listdir(locked) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    dest = tmp_path / "bundle.zip"
    dest.write_bytes(b"old")

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sb.os, "replace", refuse)
    with pytest.raises(sb.BundleRefused, match=r"cannot be written to dest .*: No space left on device\. Choose"):
        sb.write_atomically(str(dest), b"new")
    assert dest.read_bytes() == b"old" and sorted(os.listdir(tmp_path)) == ["bundle.zip"]


def test_existing_bundle_state_for_the_diff(tmp_path):
    dest = tmp_path / "bundle.zip"
    assert sb.existing_bundle_state(str(dest)) == {}
    dest.write_bytes(b"not a zip")
    state = sb.existing_bundle_state(str(dest))
    assert state["sha256"] == hashlib.sha256(b"not a zip").hexdigest() and "members" not in state
    dest.write_bytes(sb.deterministic_zip(MEMBERS))
    state = sb.existing_bundle_state(str(dest))
    assert [m["name"] for m in state["members"]] == sorted(MEMBERS)
    assert state["members"][0]["sha256"] == hashlib.sha256(MEMBERS["certificate.pem"]).hexdigest()


def test_certificate_summary_has_no_key_material():
    certificate = {
        "id": "c1",
        "friendly_name": "support",
        "sha256_fingerprint": FP_LEAF,
        "chain": [FP_LEAF],
        "public_key": {"type": "ec"},
        "key_id": "key-1",
        "private_key_available": True,
    }
    summary = sb.certificate_summary(certificate)
    assert summary["friendly_name"] == "support" and summary["chain"] == [FP_LEAF] and summary["id"] == "c1"
    assert "key_id" not in summary and "public_key" not in summary
    assert sb.certificate_summary(None) == {}
