# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The appliance API client against small local HTTPS servers that answer from a script.

The reference appliance never answers 502/503/504, trickles its answers or
drops connections on purpose, so retries, backoff, deadlines and the handling
of odd answers are shown here with a real socket and a real HTTPS server on
127.0.0.1 that counts requests.
"""

from __future__ import annotations

import base64
import contextlib
import json
import select
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.appliance import client as client_module
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.client import (
    ApplianceAPIError,
    ApplianceAuthError,
    ApplianceClient,
    ApplianceConnectionError,
    ApplianceError,
    ApplianceOutcomeUnknownError,
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
    """Records the request, then sends the next scripted ``(status, body[, content type])``; body None: no content."""

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        script = self.server.script
        with script.lock:
            script.requests.append(
                {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
            )
        status, payload, *content_type = script.next_answer()
        data = b"" if payload is None else payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        if data or content_type:
            self.send_header("Content-Type", content_type[0] if content_type else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args):
        """Quiet."""


SERVER_CA: dict = {}


@pytest.fixture(scope="module", autouse=True)
def server_tls(tmp_path_factory):
    """The TLS context of the test servers (a certificate for 127.0.0.1); make_client trusts it by default."""
    context, cert_path = tls_material(tmp_path_factory.mktemp("server-tls"), ["IP:127.0.0.1"])
    SERVER_CA["context"], SERVER_CA["path"] = context, str(cert_path)
    yield context
    SERVER_CA.clear()


@pytest.fixture
def scripted_server():
    """``start(answers, tls=None, plain=False) -> (url, script)``: HTTPS (plain HTTP if asked); stop at teardown."""
    servers = []

    def start(answers, tls: ssl.SSLContext | None = None, plain: bool = False):
        server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedHandler)
        server.script = Script(answers)
        if not plain:
            server.socket = (tls or SERVER_CA["context"]).wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append(server)
        scheme = "http" if plain else "https"
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


def make_client(url, token=TOKEN, **options) -> ApplianceClient:
    """A client that trusts the test servers' certificate unless told otherwise."""
    if options.get("validate_certs", True):
        options.setdefault("ca_path", SERVER_CA["path"])
    return ApplianceClient(url, token, **options)


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


@contextlib.contextmanager
def silent_listener():
    """A port that accepts connections (the kernel does) and never answers, not even the TLS handshake."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        yield f"https://127.0.0.1:{silent.getsockname()[1]}"


def test_an_appliance_that_never_answers_fails_at_the_deadline_with_retries_inside_it(sleeps):
    with silent_listener() as url:
        client = make_client(url, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(ApplianceConnectionError) as raised:
            client.get("keys")
        elapsed = time.monotonic() - started
        # The whole request, retries included, ends at the deadline: no retry once it has passed.
        assert elapsed < 3, elapsed
        assert client.requests_made == 1 and sleeps == []
        message = raised.value.message
        assert "gave no complete answer to GET /appliance/api/v1/keys within 0.5 s (timeout)" in message
        assert "raise timeout" in message
        poster = make_client(url, timeout=0.5)
        with pytest.raises(ApplianceConnectionError) as raised:
            poster.post("keys", {})
        assert poster.requests_made == 1
        assert "may have applied" not in raised.value.message, "a POST that was never sent cannot have been applied"


def drip_server(tls: ssl.SSLContext, lines: int = 30, interval: float = 1.0):
    """An HTTPS server that answers with a status line, then one header line every ``interval`` seconds."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def serve():
        with contextlib.suppress(OSError):
            raw, _address = listener.accept()
            with tls.wrap_socket(raw, server_side=True) as conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                for index in range(lines):
                    if stop.wait(interval):
                        return
                    conn.sendall(f"X-Drip-{index}: {index}\r\n".encode())
                conn.sendall(b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"https://127.0.0.1:{listener.getsockname()[1]}", stop, listener


def test_an_answer_that_trickles_in_is_cut_at_the_deadline(sleeps):
    url, stop, listener = drip_server(SERVER_CA["context"])
    try:
        client = make_client(url, timeout=2, retries=0)
        started = time.monotonic()
        with pytest.raises(ApplianceConnectionError) as raised:
            client.get("status/basics")
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        listener.close()
    # A header line every second kept each read under the timeout; the deadline counts for the whole answer.
    assert elapsed < 8, elapsed
    assert "gave no complete answer to GET /appliance/api/v1/status/basics within 2 s" in raised.value.message


def test_a_series_of_reads_under_a_time_limit_ends_at_its_deadline(scripted_server, sleeps):
    url, script = scripted_server([(200, {"ok": True})])
    client = make_client(url, timeout=30)
    original = client._send_kept  # pylint: disable=protected-access

    def slow(*args):
        threading.Event().wait(0.4)  # a slow answer (time.sleep is the fixture's, which does not wait)
        return original(*args)

    client._send_kept = slow  # pylint: disable=protected-access
    started = time.monotonic()
    with pytest.raises(ApplianceConnectionError) as raised, client.time_limit(1):
        for _read in range(10):
            client.get("keys")
    assert time.monotonic() - started < 3
    assert len(script.requests) <= 3
    assert "within 1 s (timeout, for the whole read of this appliance)" in raised.value.message


class DropAfterRequest(BaseHTTPRequestHandler):
    """Reads the whole request, then closes the connection without an answer (the appliance may have done it)."""

    def _drop(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server.received.append(self.command)
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_POST = _drop

    def log_message(self, *args):
        """Quiet."""


def test_a_post_whose_answer_is_lost_says_it_may_have_been_applied(sleeps):
    server = ThreadingHTTPServer(("127.0.0.1", 0), DropAfterRequest)
    server.received = []
    server.socket = SERVER_CA["context"].wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}"
        with pytest.raises(ApplianceOutcomeUnknownError) as raised:
            make_client(url).post("keys", {"name": "a"})
        message = raised.value.message
        assert "was lost after POST /appliance/api/v1/keys was sent" in message
        assert "the appliance may have applied it" in message and "Running the task again is safe" in message
        assert "Cannot reach" not in message and "check that the appliance is up" not in message.lower()
        assert server.received == ["POST"], "a POST is never sent twice"
        # A GET whose answer is lost is sent again.
        with pytest.raises(ApplianceConnectionError) as raised:
            make_client(url).get("keys")
        assert server.received == ["POST"] + ["GET"] * 4
        assert "was lost before its answer to GET" in raised.value.message
    finally:
        server.shutdown()
        server.server_close()


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
    assert raised.value.status == 418
    if isinstance(payload, dict):
        assert raised.value.error == "x" and raised.value.details == {}
    else:
        assert "POST" in raised.value.message and "HTTP 418" in raised.value.message
    if payload == b"[1, 2]":
        assert raised.value.details == {}
    if payload == b"<html>Bad Gateway</html>":
        assert "seems to name the appliance's site" in raised.value.message


def test_a_gateway_error_page_is_not_taken_for_the_site(scripted_server, sleeps):
    url, _script = scripted_server([(502, b"<html>Bad Gateway</html>", "text/html")])
    with pytest.raises(ApplianceAPIError) as raised:
        make_client(url, retries=0).get("keys")
    assert "HTTP 502" in raised.value.message and "site" not in raised.value.message


def test_401_names_the_token_option_and_not_the_token(scripted_server, sleeps):
    url, script = scripted_server([(401, {"error": "unauthorized", "message": "bad token"})])
    with pytest.raises(ApplianceAuthError) as raised:
        make_client(url).get("keys")
    message = raised.value.message
    assert "refused the API token (HTTP 401)" in message and "api_token" in message
    assert "BOMGAR_API_TOKEN" in message and TOKEN not in message
    assert len(script.requests) == 1, "a refused token is not retried"


def test_an_answer_that_is_not_json(scripted_server):
    url, _script = scripted_server([(200, b"hello", "text/plain")])
    with pytest.raises(ApplianceError, match="something other than JSON") as raised:
        make_client(url).get("keys")
    assert "Content-Type 'text/plain'" in raised.value.message
    assert "appliance_url names the address and port of the appliance's API" in raised.value.message


@pytest.mark.parametrize(
    ("method", "answer"),
    [
        ("GET", (200, b"<!DOCTYPE html>\n<html><body>support.example.com</body></html>", "text/html; charset=utf-8")),
        ("POST", (405, None, "text/html; charset=utf-8")),
    ],
)
def test_an_html_page_names_the_site_as_the_likely_cause(scripted_server, method, answer):
    url, _script = scripted_server([answer])
    client = make_client(url)
    with pytest.raises(ApplianceError) as raised:
        client.get("keys") if method == "GET" else client.post("keys", {"name": "a"})
    message = raised.value.message
    assert "HTML" in message and "not the API's JSON" in message
    assert "seems to name the appliance's site" in message and "bomgar_appliance_url" in message


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
        ("HTTPS://appliance.example.com:443", "HTTPS://appliance.example.com:443/appliance/api/v1"),
        ("https://example.com/proxy", "https://example.com/proxy/appliance/api/v1"),
    ],
)
def test_api_base_url(given, expected):
    assert api_base_url(given) == expected
    assert make_client(given, validate_certs=False).base_url == expected


@pytest.mark.parametrize("given", ["appliance.example.com", "ftp://appliance.example.com", "", "https://", None])
def test_api_base_url_refuses_what_is_not_an_https_url(given):
    with pytest.raises(ApplianceError) as raised:
        api_base_url(given)
    assert "is not an https:// URL" in raised.value.message
    assert "e.g. https://appliance.example.com" in raised.value.message


def test_http_is_refused_before_the_token_is_sent(scripted_server):
    url, script = scripted_server([(200, {"ok": True})], plain=True)
    with pytest.raises(ApplianceError) as raised:
        make_client(url).get("keys")
    message = raised.value.message
    assert f"appliance_url '{url}' uses http://" in message and "clear text" in message
    assert f"https://127.0.0.1:{url.rsplit(':', 1)[1]}" in message and "only served over HTTPS" in message
    assert script.requests == [], "nothing may be sent"
    with pytest.raises(ApplianceError, match="uses http://") as raised:
        api_base_url("http://admin:secret-pw@appliance.example.com/appliance/api/v1")
    assert "secret-pw" not in raised.value.message


@pytest.mark.parametrize("port", ["99999", "0", "65536", "abc"])
def test_a_port_out_of_range_is_refused_naming_it(port):
    with pytest.raises(ApplianceError) as raised:
        make_client(f"https://127.0.0.1:{port}")
    message = raised.value.message
    assert f"names port {port}, which is not a port" in message and "from 1 to 65535" in message


@pytest.mark.parametrize(("timeout", "shown"), [(-1, "-1"), (0, "0"), (float("nan"), "'nan'"), (float("inf"), "inf")])
def test_a_timeout_that_is_not_above_zero_is_refused_naming_it(timeout, shown):
    with pytest.raises(ApplianceError) as raised:
        make_client("https://127.0.0.1:8443", timeout=timeout)
    assert raised.value.message == (f"timeout is {shown}: give the number of seconds to wait, more than 0 (e.g. 30).")


@pytest.mark.parametrize(
    ("token", "what"),
    [
        (TOKEN + "\n", "a line break at its end"),
        (TOKEN + "\r\n", "a line break at its end"),
        ("\n" + TOKEN, "a line break at its start"),
        (TOKEN[:8] + " " + TOKEN[8:], "a space or a tab inside it"),
        (TOKEN + "\t", "a space or a tab at its end"),
        (TOKEN[:8] + "\x00" + TOKEN[8:], "a control character inside it"),
        (TOKEN[:8] + "\u00e9" + TOKEN[8:], "a non-ASCII character inside it"),
    ],
)
def test_a_token_that_cannot_go_in_a_header_is_refused_before_anything_is_sent(scripted_server, token, what):
    url, script = scripted_server([(200, {"ok": True})])
    with pytest.raises(ApplianceError) as raised:
        make_client(url, token=token).get("keys")
    message = raised.value.message
    assert message.startswith(f"api_token holds {what}, which cannot be sent in an HTTP header, so nothing was sent.")
    assert TOKEN not in message and TOKEN[:8] not in message and TOKEN[8:] not in message
    assert TOKEN not in repr(raised.value) and TOKEN not in str(raised.value.details)
    if "line break" in what:
        assert "ansible-vault encrypt_string" in message and "printf" in message and "| trim" in message
    assert script.requests == []


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
    """``start(answers) -> (url, script, server)`` with an HTTPS/1.1 server; ``server.ports`` per request."""
    servers = []

    def start(answers):
        server = ThreadingHTTPServer(("127.0.0.1", 0), KeepAliveHandler)
        server.script = Script(answers)
        server.ports = []
        server.daemon_threads = True
        server.socket = SERVER_CA["context"].wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append(server)
        return f"https://127.0.0.1:{server.server_address[1]}", server.script, server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_requests_of_one_client_share_one_connection(keepalive_server, monkeypatch):
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
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
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    url, script, server = keepalive_server([(200, {"ok": True})])
    client = make_client(url)
    client.get("keys")
    client.post("keys", {"name": "a"})
    client.get("keys")
    assert script.methods() == ["GET", "POST", "GET"]
    first, post, after = server.ports
    assert post != first and after == post, "the POST opens its own connection, later requests keep it"


def test_a_connection_the_appliance_closed_is_opened_again_without_a_retry_delay(keepalive_server, sleeps, monkeypatch):
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    url, script, server = keepalive_server([(200, {"n": 1})])
    client = make_client(url)
    assert client.get("keys") == {"n": 1}
    first_port = server.ports[0]
    # The appliance drops the idle connection (a restart, an idle timeout): the next GET is sent again at once.
    client._connection.sock.shutdown(socket.SHUT_RDWR)  # pylint: disable=protected-access
    assert client.get("keys") == {"n": 1}
    assert client.connections_made == 2 and sleeps == []
    assert script.methods() == ["GET", "GET"] and server.ports[1] != first_port


class ConnectProxy(BaseHTTPRequestHandler):
    """A proxy that tunnels every CONNECT to ``server.target``, noting what was asked and the credentials."""

    def do_CONNECT(self):
        self.server.asked.append((self.path, self.headers.get("Proxy-Authorization")))
        upstream = socket.create_connection(self.server.target)
        self.send_response(200, "Connection established")
        self.end_headers()
        sockets = [self.connection, upstream]
        with contextlib.suppress(OSError), upstream:
            while True:
                readable, _w, _x = select.select(sockets, [], [], 5)
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)

    def log_message(self, *args):
        """Quiet."""


@pytest.fixture
def connect_proxy():
    """``start(target_url) -> (proxy address, asked)``: a CONNECT proxy that tunnels to the target's port."""
    proxies = []

    def start(target_url):
        proxy = ThreadingHTTPServer(("127.0.0.1", 0), ConnectProxy)
        proxy.daemon_threads = True
        proxy.target = ("127.0.0.1", int(target_url.rsplit(":", 1)[1]))
        proxy.asked = []
        threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        proxies.append(proxy)
        return f"127.0.0.1:{proxy.server_address[1]}", proxy.asked

    yield start
    for proxy in proxies:
        proxy.shutdown()
        proxy.server_close()


def test_a_proxy_from_the_environment_is_used_for_the_appliance(keepalive_server, connect_proxy, monkeypatch):
    url, script, _server = keepalive_server([(200, {"via": "proxy"})])
    proxy, asked = connect_proxy(url)
    monkeypatch.setenv("https_proxy", f"http://user:pa%20ss@{proxy}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    # The proxy reaches the appliance by its name; the test's certificate is for 127.0.0.1 only.
    client = make_client("https://appliance.invalid:8443", validate_certs=False)
    assert client.get("keys") == {"via": "proxy"}
    assert client.get("certificates") == {"via": "proxy"}
    expected_auth = "Basic " + base64.b64encode(b"user:pa ss").decode()
    assert asked == [("appliance.invalid:8443", expected_auth)], "one tunnel for both requests"
    assert script.requests[0]["path"] == PREFIX + "/keys"
    assert client.connections_made == 1


def test_the_deadline_holds_through_a_proxy(connect_proxy, monkeypatch):
    url, stop, listener = drip_server(SERVER_CA["context"])
    proxy, _asked = connect_proxy(url)
    monkeypatch.setenv("https_proxy", f"http://{proxy}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    try:
        started = time.monotonic()
        with pytest.raises(ApplianceConnectionError, match="within 2 s"):
            make_client("https://127.0.0.1:1", timeout=2, retries=0, validate_certs=False).get("keys")
        assert time.monotonic() - started < 8
    finally:
        stop.set()
        listener.close()


def test_no_proxy_keeps_the_appliance_direct(keepalive_server, monkeypatch):
    url, script, server = keepalive_server([(200, {"direct": True})])
    assert server.ports == []
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
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
