# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m reference_appliance``: start-up files, restarts, shutdown, secrets, and refused options."""

from __future__ import annotations

import json
import ssl
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from appliance_fixtures import REPO_ROOT, ApplianceStartError, free_site_port, start_appliance
from cryptography.hazmat.primitives import serialization
from server_material import make_ca_set

from reference_appliance import API_PREFIX
from reference_appliance.core import fingerprints

GIVEN_TOKEN = "given-token-7c1e5b9a3d2f4e6a"


def run_cli(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reference_appliance", *argv],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_serve_writes_ready_file_private_token_and_the_ca_clients_trust(appliance):
    ready = json.loads(appliance.process.ready_file.read_text(encoding="utf-8"))
    assert set(ready) >= {"api_url", "ca_path", "token_file", "site_port", "ip_addresses", "hostname", "pid"}
    assert ready["pid"] == appliance.process.pid
    assert ready["ip_addresses"] == ["127.0.0.2"]
    assert ready["api_url"].startswith("https://127.0.0.1:")
    assert mode(appliance.state_dir) == 0o700
    assert mode(appliance.token_file) == 0o600
    assert mode(appliance.state_dir / "api.key") == 0o600
    assert appliance.ca_path == appliance.state_dir / "ca.pem"
    assert appliance.token not in json.dumps(ready)

    trusting_the_ca = ssl.create_default_context(cafile=str(appliance.ca_path))
    health = httpx.get(appliance.api_url + API_PREFIX + "/health", verify=trusting_the_ca)
    assert health.json() == {"status": "ok"}
    with appliance.client() as client:
        basics = client.get("/status/basics").json()
    assert basics["hostname"] == "appliance.example.com"
    assert basics["ip_addresses"] == ["127.0.0.2"]
    with appliance.client(headers={"Authorization": "Bearer wrong-token-000000"}) as client:
        assert client.get("/status/basics").status_code == 401


def test_restart_keeps_keys_token_and_api_certificate(appliance_factory):
    handle = appliance_factory()
    token_before = handle.token
    api_cert_before = (handle.state_dir / "api.pem").read_bytes()
    with handle.client() as client:
        created = client.post("/keys", json={"name": "kept-across-restart", "type": "ec", "curve": "P-256"})
        assert created.status_code == 201, created.text
        client.post("/network/ip-addresses", json={"address": "127.0.0.6"})

    handle.restart()

    assert handle.token == token_before
    assert (handle.state_dir / "api.pem").read_bytes() == api_cert_before
    with handle.client() as client:
        names = [key["name"] for key in client.get("/keys").json()]
        addresses = [entry["address"] for entry in client.get("/network/ip-addresses").json()]
    assert "kept-across-restart" in names
    assert addresses == ["127.0.0.2", "127.0.0.6"]
    assert handle.ip_addresses == ["127.0.0.2", "127.0.0.6"]
    assert len(handle.served_chain("127.0.0.6")) == 1


def test_sigterm_stops_cleanly_with_status_zero(appliance_factory):
    handle = appliance_factory()
    with handle.client() as client:
        assert client.get("/keys").status_code == 200
    assert handle.stop(timeout=10) == 0
    assert not handle.process.ready_file.exists()
    with pytest.raises(httpx.ConnectError):
        httpx.get(handle.api_url + API_PREFIX + "/health", verify=False, timeout=5)


def test_the_token_never_appears_in_the_output(appliance_factory):
    handle = appliance_factory(token=GIVEN_TOKEN, log_level="debug")
    assert handle.token == GIVEN_TOKEN
    with handle.client() as client:
        assert client.get("/status/basics").status_code == 200
        client.post("/keys", json={"name": "logged-key", "type": "ec"})
    with handle.client(headers={"Authorization": "Bearer not-the-token-1234"}) as client:
        assert client.get("/keys").status_code == 401
    handle.stop()
    output = handle.process.all_output()
    assert str(handle.token_file) in output
    assert GIVEN_TOKEN not in output
    assert "not-the-token-1234" not in output


def test_a_token_from_the_environment_is_written_to_the_token_file(appliance_factory):
    handle = appliance_factory(env={"BOMGAR_APPLIANCE_TOKEN": GIVEN_TOKEN})
    assert handle.token_file.read_text(encoding="ascii").strip() == GIVEN_TOKEN
    with handle.client() as client:
        assert client.get("/keys").status_code == 200
    assert GIVEN_TOKEN not in handle.process.all_output()


def test_a_taken_site_port_is_refused_with_its_own_status(appliance, tmp_path):
    with pytest.raises(ApplianceStartError) as refused:
        start_appliance(tmp_path / "second", site_port=appliance.site_port)
    assert refused.value.returncode == 75
    assert f"cannot listen on 127.0.0.2:{appliance.site_port}: Address already in use" in str(refused.value)
    assert "Choose another --site-port" in str(refused.value)
    assert "Traceback" not in str(refused.value)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--ip", "10.0.0.1"], "127.0.0.0/8"),
        (["--ip", "not-an-address"], "is not an IP address"),
        (["--api-host", "0.0.0.0"], "127.0.0.0/8"),
        (["--hostname", "appliance"], "not a fully qualified hostname"),
        (["--site-port", "0"], "--site-port 0 is not a port"),
        (["--token", "a-token-on-the-command-line"], "--token-file FILE, or in the environment variable"),
        (["--token-file", "/nonexistent/token"], "--token-file '/nonexistent/token' does not exist"),
        (["--role", "traffic-node", "--traffic-node", "node1.example.com"], "a traffic node lists no traffic nodes"),
        (["--trusted-root", "/nonexistent/root.pem"], "Cannot read '/nonexistent/root.pem'"),
        (["--acme-http-port", "0"], "--acme-http-port 0 is not a port"),
        (["--acme-check-interval", "0"], "--acme-check-interval 0 is out of range"),
    ],
)
def test_bad_options_are_refused_with_the_rule(tmp_path, options, expected):
    done = run_cli("serve", "--state-dir", str(tmp_path / "state"), *options)
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert "a-token-on-the-command-line" not in done.stderr
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"short\n", "shorter than 8 characters"),
        (b"", "is empty"),
        (b"two words-123\n", "only hold visible ASCII characters"),
        (b"\xff\xfe-not-ascii", "it is not ASCII text"),
    ],
)
def test_a_bad_token_file_is_refused_without_showing_it(tmp_path, content, expected):
    token_file = tmp_path / "token"
    token_file.write_bytes(content)
    done = run_cli("serve", "--state-dir", str(tmp_path / "state"), "--token-file", str(token_file))
    assert done.returncode == 2 and expected in done.stderr and "Traceback" not in done.stderr
    assert "words-123" not in done.stderr
    assert not (tmp_path / "state").exists()


def test_the_token_is_taken_from_a_file_and_never_from_the_command_line(appliance_factory, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(GIVEN_TOKEN + "\n", encoding="ascii")
    handle = appliance_factory(token_file=token_file)
    assert handle.token == GIVEN_TOKEN
    with handle.client() as client:
        assert client.get("/keys").status_code == 200
    command_line = Path(f"/proc/{handle.pid}/cmdline").read_bytes().decode()
    assert "--token-file" in command_line and GIVEN_TOKEN not in command_line


def test_fleet_count_out_of_range_is_refused(tmp_path):
    done = run_cli("fleet", "--count", "0", "--state-root", str(tmp_path), "--inventory", str(tmp_path / "i.yml"))
    assert done.returncode == 2
    assert "1 to 254 appliances" in done.stderr


def test_openapi_writes_the_document(tmp_path):
    target = tmp_path / "openapi.json"
    done = run_cli("openapi", "--output", str(target))
    assert done.returncode == 0, done.stderr
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.")
    assert f"{API_PREFIX}/status/basics" in document["paths"]


def test_a_shared_directory_is_not_taken_as_state(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "notes.txt").write_text("someone else's file\n", encoding="utf-8")
    shared.chmod(0o755)
    done = run_cli("serve", "--state-dir", str(shared), "--site-port", str(free_site_port()), timeout=30)
    assert done.returncode == 1
    assert "open to other users and holds files that are not appliance state" in done.stderr
    assert mode(shared) == 0o755
    assert sorted(path.name for path in shared.iterdir()) == ["notes.txt"]


def test_identity_options_reach_status_basics(appliance_factory, tmp_path):
    root = make_ca_set("Trusted Build").root
    root_file = tmp_path / "root.pem"
    root_file.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    handle = appliance_factory(
        hostname="Primary.Example.NET",
        site_hostname="remote.example.net",
        traffic_nodes=["node1.example.net", "node2.example.net"],
        software_version="24.3.1",
        trusted_roots=[str(root_file)],
        ip_addresses=["127.0.0.7", "127.0.0.8"],
    )
    with handle.client() as client:
        basics = client.get("/status/basics").json()
    assert basics["hostname"] == "primary.example.net"
    assert basics["site_hostname"] == "remote.example.net"
    assert basics["traffic_nodes"] == ["node1.example.net", "node2.example.net"]
    assert basics["software_version"] == "24.3.1"
    assert basics["trusted_root_fingerprints"] == [fingerprints.certificate_fingerprint(root)]
    assert basics["ip_addresses"] == ["127.0.0.7", "127.0.0.8"]
