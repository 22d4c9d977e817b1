# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The appliance API client against small local HTTP(S) servers that answer from a script.

The reference appliance never answers 502/503/504 or drops connections on
purpose, so retries, backoff and the handling of odd answers are shown here
with a real socket and a real HTTP server on 127.0.0.1 that counts requests.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.appliance import client as client_module
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.client import (
    ApplianceAPIError,
    ApplianceAuthError,
    ApplianceClient,
    ApplianceConnectionError,
    ApplianceError,
    ApplianceTLSError,
    api_base_url,
)
from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, keys, subject_fields
from cryptography.hazmat.primitives import serialization

TOKEN = "unit-test-token-0123456789"
PREFIX = "/appliance/api/v1"


class Script:
    """Answers given in order (the last one repeats) and every request received."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []
        self.lock = threading.Lock()

    def next_answer(self):
        with self.lock:
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def methods(self):
        return [request["method"] for request in self.requests]


class ScriptedHandler(BaseHTTPRequestHandler):
    """Records the request, then sends the next scripted ``(status, body)``; body None means no content."""

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        script = self.server.script
        with script.lock:
            script.requests.append(
                {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
            )
        status, payload = script.next_answer()
        data = b"" if payload is None else payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        """Quiet."""


@pytest.fixture
def scripted_server():
    """``start(answers, tls=None) -> (url, script)``; servers stop at teardown."""
    servers = []

    def start(answers, tls: ssl.SSLContext | None = None):
        server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedHandler)
        server.script = Script(answers)
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append(server)
        scheme = "https" if tls else "http"
        return f"{scheme}://127.0.0.1:{server.server_address[1]}", server.script

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sleeps(monkeypatch):
    """The backoff delays the client waited, without waiting."""
    waited = []
    monkeypatch.setattr(client_module.time, "sleep", waited.append)
    return waited


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_client(url, **options) -> ApplianceClient:
    return ApplianceClient(url, TOKEN, **options)


# --- retries ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("status", [502, 503, 504])
def test_idempotent_requests_are_retried_on_gateway_errors(scripted_server, sleeps, method, status):
    url, script = scripted_server([(status, {"error": "busy", "message": "try later"}), (200, {"ok": True})])
    client = make_client(url)
    call = {"GET": lambda: client.get("keys"), "PUT": lambda: client.put("x", {}), "DELETE": lambda: client.delete("x")}
    assert call[method]() == {"ok": True}
    assert script.methods() == [method, method]
    assert sleeps == [0.5]


def test_backoff_doubles_and_the_last_answer_is_raised(scripted_server, sleeps):
    body = {"error": "unavailable", "message": "The appliance is restarting; try again in a minute.", "details": {}}
    url, script = scripted_server([(503, body)])
    with pytest.raises(ApplianceAPIError) as raised:
        make_client(url, retries=3, backoff=0.5).get("status/basics")
    assert len(script.requests) == 4 and sleeps == [0.5, 1.0, 2.0]
    assert raised.value.status == 503 and raised.value.message == body["message"]


def test_post_is_sent_once_even_on_503(scripted_server, sleeps):
    url, script = scripted_server([(503, {"error": "busy", "message": "try later"}), (201, {"id": "k"})])
    with pytest.raises(ApplianceAPIError) as raised:
        make_client(url).post("keys", {"name": "a"})
    assert script.methods() == ["POST"] and sleeps == []
    assert raised.value.status == 503 and raised.value.message == "try later"


def test_connection_errors_retry_get_but_not_post(sleeps):
    url = f"https://127.0.0.1:{free_port()}"
    getter = make_client(url, validate_certs=False)
    with pytest.raises(ApplianceConnectionError) as raised:
        getter.get("keys")
    assert getter.requests_made == 4 and sleeps == [0.5, 1.0, 2.0]
    assert "Cannot reach the appliance at" in raised.value.message and "Check appliance_url" in raised.value.message
    poster = make_client(url, validate_certs=False)
    with pytest.raises(ApplianceConnectionError):
        poster.post("keys", {"name": "a"})
    assert poster.requests_made == 1


def test_an_appliance_that_never_answers_times_out_and_get_is_retried(sleeps):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        client = make_client(url, timeout=0.2)
        with pytest.raises(ApplianceConnectionError) as raised:
            client.get("keys")
        assert client.requests_made == 4 and sleeps == [0.5, 1.0, 2.0]
        assert "did not answer within 0.2 s" in raised.value.message and "raise timeout" in raised.value.message
        poster = make_client(url, timeout=0.2)
        with pytest.raises(ApplianceConnectionError):
            poster.post("keys", {})
        assert poster.requests_made == 1


def test_retries_zero_sends_once(scripted_server, sleeps):
    url, script = scripted_server([(502, None), (200, {})])
    with pytest.raises(ApplianceAPIError):
        make_client(url, retries=0).get("keys")
    assert len(script.requests) == 1 and sleeps == []


# --- what is sent and what comes back ---------------------------------------------------------------------------


def test_request_carries_token_json_and_query(scripted_server):
    url, script = scripted_server([(201, {"id": "k1"})])
    client = make_client(url + "/")
    assert client.post("/keys", {"name": "a b"}) == {"id": "k1"}
    client.get("certificates", query={"friendly_name": "support 2026", "unused": None})
    first, second = script.requests
    assert first["path"] == PREFIX + "/keys" and json.loads(first["body"]) == {"name": "a b"}
    assert first["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert first["headers"]["Content-Type"] == "application/json"
    assert second["path"] == PREFIX + "/certificates?friendly_name=support+2026"
    assert TOKEN not in repr(client)


def test_no_content_is_none(scripted_server):
    url, _script = scripted_server([(204, None)])
    assert make_client(url).delete("keys/k1") is None


def test_refusal_carries_error_message_and_details(scripted_server, sleeps):
    body = {
        "error": "key_in_use",
        "message": "Key 'a' is used by certificate c1. Delete the certificate first.",
        "details": {"certificates": ["c1"]},
    }
    url, _script = scripted_server([(409, body)])
    with pytest.raises(ApplianceAPIError) as raised:
        make_client(url).delete("keys/k1")
    assert raised.value.status == 409 and raised.value.error == "key_in_use"
    assert raised.value.message == body["message"] and raised.value.details == {"certificates": ["c1"]}
    assert sleeps == [], "a 4xx is not retried"


@pytest.mark.parametrize("payload", [b"<html>Bad Gateway</html>", b"[1, 2]", {"error": "x", "details": "not a dict"}])
def test_refusal_without_the_contract_body_still_names_the_request(scripted_server, payload):
    url, _script = scripted_server([(418, payload)])
    with pytest.raises(ApplianceAPIError) as raised:
        make_client(url).post("keys", {})
    assert raised.value.status == 418 and raised.value.details == {}
    if isinstance(payload, dict):
        assert raised.value.error == "x"
    else:
        assert "POST" in raised.value.message and "HTTP 418" in raised.value.message


def test_401_names_the_token_option_and_not_the_token(scripted_server, sleeps):
    url, script = scripted_server([(401, {"error": "unauthorized", "message": "bad token"})])
    with pytest.raises(ApplianceAuthError) as raised:
        make_client(url).get("keys")
    message = raised.value.message
    assert "refused the API token (HTTP 401)" in message and "api_token" in message
    assert "BOMGAR_API_TOKEN" in message and TOKEN not in message
    assert len(script.requests) == 1, "a refused token is not retried"


def test_an_answer_that_is_not_json(scripted_server):
    url, _script = scripted_server([(200, b"<html>hello</html>")])
    with pytest.raises(ApplianceError, match="something other than JSON"):
        make_client(url).get("keys")


# --- TLS ---------------------------------------------------------------------------------------------------------


def tls_material(tmp_path, sans, name="server"):
    """A self-signed certificate for ``sans``; returns (server SSLContext, path of the certificate)."""
    key = keys.generate_private_key(keys.KeySpec.create("ec"))
    cert = builder.self_signed_certificate(key, subject_fields.SubjectSpec(common_name="Unit API"), sans, days=2)
    cert_path = tmp_path / f"{name}.pem"
    key_path = tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context, cert_path


def test_tls_verified_with_ca_path(scripted_server, tmp_path):
    context, cert_path = tls_material(tmp_path, ["IP:127.0.0.1"])
    url, _script = scripted_server([(200, {"ok": True})], tls=context)
    assert make_client(url, ca_path=str(cert_path)).get("keys") == {"ok": True}


@pytest.mark.parametrize("which", ["system store", "another CA"])
def test_untrusted_certificate_names_ca_path(scripted_server, tmp_path, sleeps, which):
    context, _cert_path = tls_material(tmp_path, ["IP:127.0.0.1"])
    _other_context, other_path = tls_material(tmp_path, ["IP:127.0.0.1"], name="other")
    url, script = scripted_server([(200, {"ok": True})], tls=context)
    ca_path = None if which == "system store" else str(other_path)
    client = make_client(url, ca_path=ca_path)
    with pytest.raises(ApplianceTLSError) as raised:
        client.get("keys")
    message = raised.value.message
    assert "is not trusted" in message and "Set ca_path to the CA file" in message
    assert client.requests_made == 1 and sleeps == [], "a TLS verification failure is not retried"
    assert script.requests == []


def test_hostname_mismatch_is_a_tls_error(scripted_server, tmp_path):
    context, cert_path = tls_material(tmp_path, ["DNS:other.example.com"])
    url, _script = scripted_server([(200, {})], tls=context)
    with pytest.raises(ApplianceTLSError, match="not trusted") as raised:
        make_client(url, ca_path=str(cert_path)).get("keys")
    assert "127.0.0.1" in raised.value.message


def test_validate_certs_false_accepts_any_certificate(scripted_server, tmp_path):
    context, _cert_path = tls_material(tmp_path, ["DNS:other.example.com"])
    url, _script = scripted_server([(200, {"ok": 1})], tls=context)
    assert make_client(url, validate_certs=False).get("keys") == {"ok": 1}


def test_unreadable_ca_path_is_named(tmp_path):
    missing = tmp_path / "missing.pem"
    with pytest.raises(ApplianceTLSError) as raised:
        make_client("https://127.0.0.1:1", ca_path=str(missing))
    assert str(missing) in raised.value.message and "cannot be" in raised.value.message
    assert "Point ca_path at the PEM file of the CA" in raised.value.message


# --- the base URL ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://appliance.example.com", "https://appliance.example.com/appliance/api/v1"),
        ("https://appliance.example.com/", "https://appliance.example.com/appliance/api/v1"),
        ("  https://appliance.example.com:8443  ", "https://appliance.example.com:8443/appliance/api/v1"),
        ("https://appliance.example.com/appliance/api/v1", "https://appliance.example.com/appliance/api/v1"),
        ("https://appliance.example.com/appliance/api/v1/", "https://appliance.example.com/appliance/api/v1"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/appliance/api/v1"),
        ("https://example.com/proxy", "https://example.com/proxy/appliance/api/v1"),
    ],
)
def test_api_base_url(given, expected):
    assert api_base_url(given) == expected
    assert make_client(given, validate_certs=False).base_url == expected


@pytest.mark.parametrize("given", ["appliance.example.com", "ftp://appliance.example.com", "", "https://", None])
def test_api_base_url_refuses_what_is_not_an_http_url(given):
    with pytest.raises(ApplianceError) as raised:
        api_base_url(given)
    assert "is not an http(s) URL" in raised.value.message
    assert "Give the appliance's address, e.g. https://appliance.example.com" in raised.value.message


# --- one connection per client ----------------------------------------------------------------------------------


class KeepAliveHandler(ScriptedHandler):
    """HTTP/1.1: the connection stays open between requests; each request notes the client port it came from."""

    protocol_version = "HTTP/1.1"

    def _answer(self):
        with self.server.script.lock:
            self.server.ports.append(self.client_address[1])
        super()._answer()

    do_GET = do_POST = do_PUT = do_DELETE = _answer


@pytest.fixture
def keepalive_server():
    """``start(answers) -> (url, script, server)`` with an HTTP/1.1 server; ``server.ports`` per request."""
    servers = []

    def start(answers):
        server = ThreadingHTTPServer(("127.0.0.1", 0), KeepAliveHandler)
        server.script = Script(answers)
        server.ports = []
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", server.script, server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_requests_of_one_client_share_one_connection(keepalive_server, monkeypatch):
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    url, script, server = keepalive_server([(200, {"ok": True})])
    client = make_client(url)
    for path in ("status/basics", "certificates", "certificate-requests", "keys", "network/ip-addresses"):
        assert client.get(path) == {"ok": True}
    client.put("certificates/c1/ip-addresses", {"ip_addresses": []})
    assert client.requests_made == 6 and client.connections_made == 1
    assert script.methods() == ["GET"] * 5 + ["PUT"]
    assert len(set(server.ports)) == 1
    client.close()
    client.get("keys")
    assert client.connections_made == 2 and len(set(server.ports)) == 2


def test_a_post_goes_on_a_new_connection(keepalive_server, monkeypatch):
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    url, script, server = keepalive_server([(200, {"ok": True})])
    client = make_client(url)
    client.get("keys")
    client.post("keys", {"name": "a"})
    client.get("keys")
    assert script.methods() == ["GET", "POST", "GET"]
    first, post, after = server.ports
    assert post != first and after == post, "the POST opens its own connection, later requests keep it"


def test_a_connection_the_appliance_closed_is_opened_again_without_a_retry_delay(keepalive_server, sleeps, monkeypatch):
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    url, script, server = keepalive_server([(200, {"n": 1})])
    client = make_client(url)
    assert client.get("keys") == {"n": 1}
    first_port = server.ports[0]
    # The appliance drops the idle connection (a restart, an idle timeout): the next GET is sent again at once.
    client._connection.sock.shutdown(socket.SHUT_RDWR)  # pylint: disable=protected-access
    assert client.get("keys") == {"n": 1}
    assert client.connections_made == 2 and sleeps == []
    assert script.methods() == ["GET", "GET"] and server.ports[1] != first_port


def test_a_proxy_from_the_environment_is_used_for_the_appliance(scripted_server, monkeypatch):
    # The scripted server stands in for the proxy: a request through a proxy names the whole URL.
    proxy_url, script = scripted_server([(200, {"via": "proxy"})])
    monkeypatch.setenv("http_proxy", proxy_url)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    client = make_client("http://appliance.invalid:8080")
    assert client.get("keys") == {"via": "proxy"}
    assert script.requests[0]["path"] == "http://appliance.invalid:8080" + PREFIX + "/keys"
    assert client.connections_made == 0


def test_no_proxy_keeps_the_appliance_direct(keepalive_server, monkeypatch):
    url, script, server = keepalive_server([(200, {"direct": True})])
    assert server.ports == []
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    client = make_client(url)
    assert client.get("keys") == {"direct": True}
    assert client.connections_made == 1 and script.requests[0]["path"] == PREFIX + "/keys"


def test_tls_contexts_are_made_once_per_ca_file(scripted_server, tmp_path):
    ca_file = tmp_path / "ca.pem"
    spec = keys.KeySpec.create("ec")
    key = keys.generate_private_key(spec)
    root = builder.create_ca_certificate(key, subject_fields.SubjectSpec(common_name="Unit Root"))
    ca_file.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    first = make_client("https://127.0.0.1:1", ca_path=str(ca_file))
    second = make_client("https://127.0.0.1:2", ca_path=str(ca_file))
    assert first._context is second._context  # pylint: disable=protected-access
    unverified = make_client("https://127.0.0.1:1", validate_certs=False)
    assert unverified._context is not first._context  # pylint: disable=protected-access
    assert unverified._context.verify_mode == ssl.CERT_NONE  # pylint: disable=protected-access
