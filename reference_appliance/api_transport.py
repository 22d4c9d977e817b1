# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API's connections: how long a request may take to arrive, and how many callers may wait unknown.

A connection costs the server about 260 KiB from the moment it is accepted
(mostly TLS buffers), whoever opened it, so these limits hold from the accept
on, before any token is seen:

- ``HEAD_TIMEOUT`` (10 s, as the site listeners): from the accept, or from the
  end of the previous answer on a kept connection, to a complete request head,
  the TLS handshake included. A connection that sends nothing, or half a head,
  is closed after it.
- ``BODY_TIMEOUT_SECONDS`` (60 s, ``api_refusals``): from the head to the whole
  body (at most 12 MiB); a body that stops arriving gets a 408 in the API's
  shape and the connection is closed (``api_guard``).
- ``MAX_UNAUTHENTICATED`` (64): connections that have not yet sent a request
  with the appliance's token. When one more is accepted, the oldest of them
  that is not being answered is closed: idle or half-sent connections cannot
  make the server grow without bound, and cannot keep out a client with the
  token (its new connection always gets in).
- ``MAX_HEAD_BYTES`` (16 KiB): a longer request head is answered with 431 in
  the API's JSON shape, as any request that cannot be read as HTTP/1.1 is with
  400 (``ApiProtocol``), instead of uvicorn's plain text.

:class:`ConnectionGate` keeps the accepted connections of one API (by peer
address), :class:`GatedSocket` is the listening socket that reports each
accept to it, the API's ``Guard`` reports each request (and whether it carried
the token), and the server calls :meth:`ConnectionGate.sweep` once a second.
All of it runs on the event loop's thread.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from dataclasses import dataclass
from http import HTTPStatus

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .api_refusals import head_too_large_refusal, unreadable_request_refusal

HEAD_TIMEOUT = 10.0
MAX_UNAUTHENTICATED = 64
MAX_HEAD_BYTES = 16 * 1024


@dataclass
class _Connection:
    sock: socket.socket
    since: float
    authenticated: bool = False
    busy: bool = False


class ConnectionGate:
    """The accepted connections of one API: closes those too slow to send a request, and the oldest of too many
    that have not shown the token."""

    def __init__(
        self, head_timeout: float = HEAD_TIMEOUT, max_unauthenticated: int = MAX_UNAUTHENTICATED, clock=time.monotonic
    ):
        self.head_timeout = head_timeout
        self.max_unauthenticated = max_unauthenticated
        self._clock = clock
        self._connections: dict[tuple, _Connection] = {}
        self.closed_slow = 0
        self.closed_crowded = 0

    def __len__(self) -> int:
        return len(self._connections)

    def accepted(self, sock: socket.socket, peer) -> None:
        """A new connection: make room among those without the token, then wait for its request."""
        self._forget_closed()
        waiting = [key for key, entry in self._connections.items() if not entry.authenticated]
        idle = [key for key in waiting if not self._connections[key].busy]
        while len(waiting) >= self.max_unauthenticated and idle:
            oldest = idle.pop(0)
            waiting.remove(oldest)
            self._close(oldest)
            self.closed_crowded += 1
        self._connections[_key(peer)] = _Connection(sock, self._clock())

    def request_started(self, peer, authenticated: bool) -> None:
        """A complete request head arrived on the connection from ``peer`` (with the token or not)."""
        entry = self._connections.get(_key(peer))
        if entry is not None:
            entry.busy = True
            entry.authenticated = entry.authenticated or authenticated

    def request_finished(self, peer) -> None:
        """The answer was sent: the connection waits for its next request head from now on."""
        entry = self._connections.get(_key(peer))
        if entry is not None:
            entry.busy = False
            entry.since = self._clock()

    def sweep(self) -> None:
        """Close every connection that has waited longer than ``head_timeout`` for a request head."""
        self._forget_closed()
        now = self._clock()
        for key, entry in list(self._connections.items()):
            if not entry.busy and now - entry.since > self.head_timeout:
                self._close(key)
                self.closed_slow += 1

    def _close(self, key) -> None:
        # Shutting the socket down wakes its transport, which then closes as on any lost connection.
        entry = self._connections.pop(key)
        with contextlib.suppress(OSError):
            entry.sock.shutdown(socket.SHUT_RDWR)

    def _forget_closed(self) -> None:
        for key in [key for key, entry in self._connections.items() if entry.sock.fileno() == -1]:
            del self._connections[key]


def _key(peer) -> tuple:
    return tuple(peer[:2]) if peer else ()


class GatedSocket(socket.socket):
    """A listening socket that reports every connection it accepts to its gate."""

    gate: ConnectionGate | None = None

    def accept(self):
        """Accept as a socket does, and tell the gate."""
        sock, peer = super().accept()
        if self.gate is not None:
            self.gate.accepted(sock, peer)
        return sock, peer


class ApiProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, refusing a request head over MAX_HEAD_BYTES and a request it cannot read in the
    API's JSON shape (uvicorn answers those in plain text, and lets heads up to about twice the limit through when
    they arrive in one piece)."""

    def data_received(self, data: bytes) -> None:
        """Refuse a request head that is (or is becoming) longer than MAX_HEAD_BYTES; else go on as uvicorn does."""
        if self.conn.their_state is h11.IDLE and _head_size(self.conn.trailing_data[0] + data) > MAX_HEAD_BYTES:
            self._unset_keepalive_if_required()
            self._refuse(head_too_large_refusal(MAX_HEAD_BYTES))
            return
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        """What uvicorn calls for a request h11 cannot read: 431 when its head was too long, 400 otherwise."""
        too_large = len(self.conn.trailing_data[0]) > MAX_HEAD_BYTES
        self._refuse(head_too_large_refusal(MAX_HEAD_BYTES) if too_large else unreadable_request_refusal())

    def _refuse(self, refusal) -> None:
        """Answer with the refusal's JSON and close the connection."""
        body = json.dumps(refusal.as_dict()).encode("utf-8")
        reason = HTTPStatus(refusal.status).phrase
        head = (
            f"HTTP/1.1 {refusal.status} {reason}\r\n"
            "content-type: application/json\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: close\r\n\r\n"
        )
        if not self.transport.is_closing():
            self.transport.write(head.encode("ascii") + body)
        self.transport.close()


_HEAD_END = re.compile(rb"\r?\n\r?\n")


def _head_size(pending: bytes) -> int:
    """The size of the request head at the start of ``pending`` (all of it while the head is incomplete)."""
    end = _HEAD_END.search(pending)
    return end.end() if end else len(pending)
