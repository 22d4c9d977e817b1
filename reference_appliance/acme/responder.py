# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTTP-01 responder: plain HTTP on every appliance address at one port (TCP 80 on a real appliance).

``GET /.well-known/acme-challenge/<token>`` answers ``200 text/plain`` with the key authorization of a token
the running order published, and 404 for anything else. The listeners run while ACME is on (each order makes
sure they do, so an address added since is covered) and follow the appliance's addresses as they change. Each
listener is a small threaded HTTP server of its own: the order that publishes tokens runs in a thread too.
"""

from __future__ import annotations

import errno
import http.server
import logging
import os
import re
import threading

LOG = logging.getLogger(__name__)
CHALLENGE_PREFIX = "/.well-known/acme-challenge/"
REQUEST_TIMEOUT = 10.0
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ResponderError(Exception):
    """A listener could not be started; the message names the address, the port and what to do."""


class _ChallengeServer(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address: str, port: int, responder: ChallengeResponder):
        self.responder = responder
        super().__init__((address, port), _ChallengeHandler)


class _ChallengeHandler(http.server.BaseHTTPRequestHandler):
    timeout = REQUEST_TIMEOUT
    server_version = "BomgarAppliance"
    sys_version = ""

    def _answer(self, head_only: bool) -> None:
        path = self.path.split("?", 1)[0]
        token = path[len(CHALLENGE_PREFIX) :] if path.startswith(CHALLENGE_PREFIX) else ""
        answer = self.server.responder.key_authorization(token) if _TOKEN.match(token) else None
        if answer is None:
            status, body = 404, b"Not found\n"
        else:
            status, body = 200, answer.encode("ascii")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if not head_only:
            self.wfile.write(body)
        LOG.debug("HTTP-01 %s %s -> %d", self.command, path[:120], status)

    def do_GET(self) -> None:
        self._answer(head_only=False)

    def do_HEAD(self) -> None:
        self._answer(head_only=True)

    def log_message(self, format, *args) -> None:  # pylint: disable=redefined-builtin
        """Request lines go to the debug log only (see _answer)."""


class ChallengeResponder:
    """Key authorizations by token, served on ``(address, port)`` for every address ``addresses()`` lists."""

    def __init__(self, addresses, port: int):
        """``addresses()`` returns the appliance's current addresses."""
        self.port = port
        self._addresses = addresses
        self._tokens: dict[str, str] = {}
        self._servers: dict[str, tuple[_ChallengeServer, threading.Thread]] = {}
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._wanted = False

    # --- tokens -------------------------------------------------------------------------------

    def publish(self, token: str, key_authorization: str) -> None:
        """Answer ``token`` with ``key_authorization`` from now on."""
        with self._lock:
            self._tokens[token] = key_authorization

    def withdraw(self, token: str) -> None:
        """Stop answering ``token``."""
        with self._lock:
            self._tokens.pop(token, None)

    def key_authorization(self, token: str) -> str | None:
        """The key authorization published for ``token``, or None."""
        with self._lock:
            return self._tokens.get(token)

    # --- listeners ----------------------------------------------------------------------------

    @property
    def listening(self) -> list[str]:
        """The addresses that have a listener now."""
        with self._lock:
            return sorted(self._servers)

    def listen(self) -> None:
        """Listen on every current address (and stop on removed ones); ResponderError when one cannot be bound."""
        with self._lock:
            self._wanted = True
        self._sync(strict=True)

    def on_change(self) -> None:
        """The appliance's addresses changed: follow them while listening is wanted."""
        with self._lock:
            wanted = self._wanted
        if wanted:
            try:
                self._sync(strict=False)
            except ResponderError as exc:  # not raised when not strict; kept for safety
                LOG.warning("%s", exc)

    def close(self) -> None:
        """Stop every listener."""
        with self._sync_lock:
            with self._lock:
                self._wanted = False
                servers, self._servers = list(self._servers.values()), {}
            for server, thread in servers:
                _stop(server, thread)

    def _sync(self, strict: bool) -> None:
        with self._sync_lock:
            self._sync_listeners(strict)

    def _sync_listeners(self, strict: bool) -> None:
        wanted = set(self._addresses())
        with self._lock:
            stale = [self._servers.pop(address) for address in sorted(set(self._servers) - wanted)]
            missing = sorted(wanted - set(self._servers))
        for server, thread in stale:
            _stop(server, thread)
        for address in missing:
            try:
                server = _ChallengeServer(address, self.port, self)
            except OSError as exc:
                reason = os.strerror(exc.errno) if exc.errno else str(exc)
                hint = (
                    "Another program uses the port: stop it, or start the appliance with another --acme-http-port."
                    if exc.errno == errno.EADDRINUSE
                    else "Start the appliance with an --acme-http-port it may use (ports under 1024 need root)."
                )
                message = f"Cannot listen on {address}:{self.port} for HTTP-01 challenges: {reason}. {hint}"
                if strict:
                    raise ResponderError(message) from None
                LOG.error("%s", message)
                continue
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.2}, name=f"http-01 {address}", daemon=True
            )
            thread.start()
            with self._lock:
                self._servers[address] = (server, thread)
            LOG.info("HTTP-01 responder on %s:%d", address, self.port)


def _stop(server: _ChallengeServer, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    thread.join(5)
