# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API's connections under abuse: slow or half-sent requests, crowds of callers without the token, heads too
long or unreadable.

Against a real appliance process (``python -m reference_appliance serve``) over
TLS, with raw sockets that do what no HTTP client would: connect and say
nothing, send half a request head, send a head of 20 KiB. The body's time limit
is shown on the API under uvicorn in this process, with the limit shortened.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import ssl
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from api_client import TOKEN, ApiHarness

from reference_appliance import API_PREFIX, api_refusals
from reference_appliance.api_transport import HEAD_TIMEOUT, MAX_HEAD_BYTES, MAX_UNAUTHENTICATED, ApiProtocol

HALF_HEAD = f"GET {API_PREFIX}/keys HTTP/1.1\r\nHost: appliance.example.com\r\n".encode()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def address(handle) -> tuple[str, int]:
    host, port = handle.api_url.split("//", 1)[1].rsplit(":", 1)
    return host, int(port)


def tls_connection(handle, timeout: float = 30) -> ssl.SSLSocket:
    host, port = address(handle)
    context = ssl.create_default_context(cafile=str(handle.ca_path))
    return context.wrap_socket(socket.create_connection((host, port), timeout=timeout), server_hostname=host)


def closed_by_server(sock, wait: float = 0.0) -> bool:
    """Whether the server has closed ``sock`` (it reads as the end of the stream or a reset)."""
    readable, _w, _x = select.select([sock], [], [], wait)
    if not readable:
        return False
    try:
        return sock.recv(4096) == b""
    except (ssl.SSLError, ConnectionError):
        return True


def answer(sock) -> tuple[int, dict, dict]:
    """Status, headers and JSON body of the one answer on ``sock``, read to the end of the stream."""
    data = b""
    with contextlib.suppress(ssl.SSLError, ConnectionError):
        while chunk := sock.recv(65536):
            data += chunk
    head, _sep, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _c, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


def test_silent_and_half_sent_connections_are_closed_after_the_head_timeout(appliance):
    host, port = address(appliance)
    silent = socket.create_connection((host, port), timeout=60)  # not even a TLS handshake
    half = tls_connection(appliance, timeout=60)
    half.sendall(HALF_HEAD)
    started = time.monotonic()
    try:
        assert half.recv(100) == b"", "a half-sent head gets no answer, only the end of the connection"
        assert closed_by_server(silent, wait=5)
        elapsed = time.monotonic() - started
    finally:
        silent.close()
        half.close()
    assert HEAD_TIMEOUT - 1 <= elapsed < HEAD_TIMEOUT + 10, elapsed
    with appliance.client() as client:
        assert client.get("/keys").status_code == 200


def test_many_idle_callers_without_the_token_neither_grow_the_server_nor_keep_out_a_client(appliance):
    with appliance.client() as client:
        assert client.get("/keys").status_code == 200
    before = rss_mib(appliance.pid)
    crowd = []
    try:
        for _attempt in range(5 * MAX_UNAUTHENTICATED):
            sock = tls_connection(appliance)
            sock.sendall(HALF_HEAD)
            crowd.append(sock)
        started = time.monotonic()
        with appliance.client(timeout=10) as client:
            assert client.get("/keys").status_code == 200
            assert client.get("/status/basics").status_code == 200
        assert time.monotonic() - started < 5
        time.sleep(0.5)
        still_open = sum(not closed_by_server(sock) for sock in crowd)
        grown = rss_mib(appliance.pid) - before
    finally:
        for sock in crowd:
            sock.close()
    # Only the newest callers without the token stay; each connection costs about 0.26 MiB, the crowd 80 MiB.
    assert still_open <= MAX_UNAUTHENTICATED, still_open
    assert grown < 40, f"the server grew by {grown:.1f} MiB"


def test_a_request_head_over_16_kib_is_refused_in_the_api_shape(appliance):
    over = MAX_HEAD_BYTES + 1024
    with appliance.client() as client:
        response = client.get("/keys", headers={"X-Padding": "a" * over})
    assert response.status_code == 431
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == "request_head_too_large" and body["details"] == {"limit": MAX_HEAD_BYTES}
    assert "16 KiB" in body["message"] and "Send shorter headers" in body["message"]
    # Sent slowly, in pieces, the same head is refused the same way.
    sock = tls_connection(appliance)
    sock.sendall(HALF_HEAD)
    for _piece in range(over // 4096 + 1):
        with contextlib.suppress(OSError):
            sock.sendall(b"X-Padding: " + b"a" * 4096 + b"\r\n")
    status, _headers, body = answer(sock)
    assert status == 431 and body["error"] == "request_head_too_large"


def test_an_unreadable_request_is_refused_in_the_api_shape(appliance):
    sock = tls_connection(appliance)
    sock.sendall(b"NOT AN HTTP REQUEST\r\n\r\n")
    status, headers, body = answer(sock)
    assert status == 400 and headers["content-type"] == "application/json"
    assert body["error"] == "invalid_request" and "could not be read as HTTP/1.1" in body["message"]


@pytest.fixture
def served_api(tmp_path, monkeypatch):
    """The API under uvicorn in this process, with the appliance's protocol and a body limit of 1 s."""
    monkeypatch.setattr(api_refusals, "BODY_TIMEOUT_SECONDS", 1.0)
    harness = ApiHarness(tmp_path / "state")
    config = uvicorn.Config(
        harness.app, host="127.0.0.1", port=0, log_config=None, lifespan="off", http=ApiProtocol, ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    yield server.servers[0].sockets[0].getsockname()[1], harness
    server.should_exit = True
    thread.join(15)
    harness.close()


def test_a_body_that_stops_arriving_is_refused_with_408_and_the_connection_closed(served_api):
    port, _harness = served_api
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        f"POST {API_PREFIX}/keys HTTP/1.1\r\nHost: appliance\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    sock.sendall(head.encode() + b'{"name": "half')
    started = time.monotonic()
    status, headers, body = answer(sock)
    elapsed = time.monotonic() - started
    sock.close()
    assert status == 408 and headers["connection"] == "close" and elapsed < 10, (status, elapsed)
    assert body["error"] == "request_timeout" and "did not arrive within 1 s" in body["message"]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}{API_PREFIX}") as client:
        keys = client.get("/keys", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert [key["name"] for key in keys] == ["factory-default"], "nothing was created"
