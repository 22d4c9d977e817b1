# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A TLS proxy in front of a reference appliance that loses the answers of chosen requests.

It presents the appliance's own API certificate (the modules trust it through
the same ``ca_path``), forwards every request to the appliance and its answer
back, except for a request that matches a drop rule: that one is forwarded
and answered by the appliance (so the change is made), and then the
connection to the module is cut before the answer reaches it, as a network
failure after a POST would. Each rule drops one request.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import threading


def _read_until(sock, marker: bytes, buffered: bytes) -> tuple[bytes, bytes]:
    """Bytes up to and including ``marker``, and what was read past it."""
    while marker not in buffered:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffered += chunk
    end = buffered.index(marker) + len(marker)
    return buffered[:end], buffered[end:]


def _read_exactly(sock, size: int, buffered: bytes) -> tuple[bytes, bytes]:
    while len(buffered) < size:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffered += chunk
    return buffered[:size], buffered[size:]


def _content_length(head: bytes) -> int:
    found = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    return int(found.group(1)) if found else 0


def _read_message(sock, buffered: bytes) -> tuple[bytes, bytes, bytes]:
    """One HTTP/1.1 message (head, body) as sent with Content-Length, and what was read past it."""
    head, buffered = _read_until(sock, b"\r\n\r\n", buffered)
    body, buffered = _read_exactly(sock, _content_length(head), buffered)
    return head, body, buffered


class DroppingProxy:
    """``DroppingProxy(handle)``; ``drop(method, path_pattern)`` adds a rule; ``url`` is what modules talk to."""

    def __init__(self, handle):
        self._handle = handle
        self._server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server_context.load_cert_chain(handle.state_dir / "api.pem", handle.state_dir / "api.key")
        self._client_context = ssl.create_default_context(cafile=str(handle.ca_path))
        host, port = handle.api_url.split("//", 1)[1].rsplit(":", 1)
        self._upstream = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self._listener.getsockname()[1]}"
        self._rules: list[tuple[str, re.Pattern]] = []
        self._lock = threading.Lock()
        self.dropped: list[tuple[str, str, int]] = []
        self.forwarded: list[tuple[str, str]] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def drop(self, method: str, path_pattern: str) -> None:
        """Lose the answer of the next request with this method whose path matches ``path_pattern``."""
        with self._lock:
            self._rules.append((method, re.compile(path_pattern)))

    def close(self) -> None:
        self._listener.close()

    def _take_rule(self, method: str, path: str) -> bool:
        with self._lock:
            for index, (wanted, pattern) in enumerate(self._rules):
                if wanted == method and pattern.search(path):
                    del self._rules[index]
                    return True
        return False

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                raw, _peer = self._listener.accept()
                threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw) -> None:
        with contextlib.suppress(OSError, ConnectionError, ssl.SSLError), raw:
            client = self._server_context.wrap_socket(raw, server_side=True)
            upstream = self._client_context.wrap_socket(
                socket.create_connection(self._upstream, timeout=60), server_hostname=self._upstream[0]
            )
            with client, upstream:
                from_client = from_upstream = b""
                while True:
                    head, body, from_client = _read_message(client, from_client)
                    method, path = head.split(b" ", 2)[:2]
                    method, path = method.decode(), path.decode()
                    upstream.sendall(head + body)
                    answer_head, answer_body, from_upstream = _read_message(upstream, from_upstream)
                    if self._take_rule(method, path):
                        status = int(answer_head.split(b" ", 2)[1])
                        with self._lock:
                            self.dropped.append((method, path, status))
                        client.shutdown(socket.SHUT_RDWR)
                        return
                    with self._lock:
                        self.forwarded.append((method, path))
                    client.sendall(answer_head + answer_body)
