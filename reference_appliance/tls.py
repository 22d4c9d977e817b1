# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Site TLS: one listener per appliance IP address, serving the certificate bound there.

Each connection takes the TLS context of its address from a cache that every
committed change to addresses or bindings invalidates, so a new binding is
served from the next connection on, without a restart. After the handshake the
listener answers one HTTP request with a small page naming the appliance.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import os
import ssl
import tempfile
import threading
from pathlib import Path

HANDSHAKE_TIMEOUT = 10.0
REQUEST_TIMEOUT = 10.0
CLOSE_TIMEOUT = 2.0
ON_CHANGE_TIMEOUT = 10.0
MAX_REQUEST_HEAD = 16 * 1024

# What a connection may fail with before or during the handshake; each closes it quietly.
_CONNECTION_ERRORS = (
    ssl.SSLError,
    ConnectionError,
    TimeoutError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    OSError,
)


def build_site_context(chain_pem: bytes, key_pem: bytes, scratch_dir: Path) -> ssl.SSLContext:
    """A server TLS context for a certificate chain (leaf first) and its key.

    ``ssl`` loads certificates only from files: the chain and key go to a 0600
    file in ``scratch_dir`` (the state directory) that is removed right after loading.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    fd, path = tempfile.mkstemp(prefix=".site-tls-", suffix=".pem", dir=scratch_dir)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(chain_pem.rstrip(b"\n") + b"\n" + key_pem)
        context.load_cert_chain(path)
    finally:
        os.unlink(path)
    return context


def site_page(identity: dict, address: str) -> bytes:
    """The HTML page a browser sees on the site port: which appliance, which site, which role."""
    hostname = html.escape(str(identity.get("hostname", "")))
    site = html.escape(str(identity.get("site_hostname", "")))
    role = html.escape(str(identity.get("role", "")))
    text = (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{site}</title></head>\n'
        f"<body><h1>{site}</h1>\n"
        f"<p>Bomgar reference appliance <strong>{hostname}</strong> ({role}), "
        f"site {site}, serving {html.escape(address)}.</p></body></html>\n"
    )
    return text.encode("utf-8")


def http_response(status: str, body: bytes, head_only: bool = False) -> bytes:
    """One complete HTTP/1.1 response that closes the connection."""
    headers = (
        f"HTTP/1.1 {status}\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n\r\n"
    )
    return headers.encode("ascii") + (b"" if head_only else body)


class SiteListeners:
    """TLS listeners on ``(ip, site_port)`` for every IP address of one appliance.

    ``on_change()`` may be called from any thread; when called from another
    thread it returns once the listeners match the appliance's addresses, so an
    address added through the API accepts connections when the API answers.
    """

    def __init__(self, appliance, site_port: int, log, scratch_dir: Path | None = None):
        self._appliance = appliance
        self.site_port = site_port
        self._log = log
        self._scratch_dir = Path(scratch_dir or tempfile.gettempdir())
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._servers: dict[str, asyncio.AbstractServer] = {}
        self._contexts: dict[str, tuple[int, ssl.SSLContext]] = {}
        self._connections: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()
        self._generation = 0
        self._applied_generation = -1
        self._generation_lock = threading.Lock()
        self._apply_lock: asyncio.Lock | None = None
        self._identity: dict = {}
        self._closed = False

    @property
    def addresses(self) -> list[str]:
        """The addresses that have a listener now."""
        return sorted(self._servers)

    async def start(self) -> None:
        """Listen on every current address of the appliance (raises OSError if one cannot be bound)."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._apply_lock = asyncio.Lock()
        self._identity = await self._loop.run_in_executor(None, self._appliance.status_basics)
        generation, addresses = await self._loop.run_in_executor(None, self._read_addresses)
        await self._apply(generation, addresses, strict=True)

    def on_change(self) -> None:
        """Addresses or bindings changed: drop cached contexts and start or stop listeners to match."""
        loop = self._loop
        if loop is None or self._closed:
            return
        generation, addresses = self._read_addresses()
        if threading.get_ident() == self._loop_thread:
            task = loop.create_task(self._apply(generation, addresses))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        try:
            future = asyncio.run_coroutine_threadsafe(self._apply(generation, addresses), loop)
            future.result(ON_CHANGE_TIMEOUT)
        except (RuntimeError, TimeoutError, OSError) as exc:
            self._log.warning("site listeners not updated after a change: %s", exc)

    def _read_addresses(self) -> tuple[int, list[str]]:
        """Bump the generation (invalidating cached contexts), then read the addresses."""
        with self._generation_lock:
            self._generation += 1
            generation = self._generation
        return generation, [entry["address"] for entry in self._appliance.list_ip_addresses()]

    async def _apply(self, generation: int, addresses: list[str], strict: bool = False) -> None:
        async with self._apply_lock:
            if generation <= self._applied_generation or self._closed:
                return
            self._applied_generation = generation
            wanted = set(addresses)
            for address in sorted(set(self._servers) - wanted):
                server = self._servers.pop(address)
                server.close()
                self._log.info("site listener on %s:%d closed", address, self.site_port)
            for address in sorted(wanted - set(self._servers)):
                try:
                    self._servers[address] = await asyncio.start_server(
                        functools.partial(self._accept, address),
                        host=address,
                        port=self.site_port,
                        limit=MAX_REQUEST_HEAD,
                    )
                except OSError as exc:
                    if strict:
                        reason = os.strerror(exc.errno) if exc.errno else str(exc)
                        raise OSError(exc.errno, f"cannot listen on {address}:{self.site_port}: {reason}") from None
                    self._log.error("cannot listen on %s:%d: %s", address, self.site_port, os.strerror(exc.errno or 0))
                    continue
                self._log.info("site listener on %s:%d", address, self.site_port)

    async def close(self) -> None:
        """Stop every listener and close open connections."""
        self._closed = True
        servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.close()
        for writer in list(self._connections):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        for server in servers:
            await server.wait_closed()

    async def _context_for(self, address: str) -> ssl.SSLContext:
        generation = self._generation
        cached = self._contexts.get(address)
        if cached is not None and cached[0] == generation:
            return cached[1]
        context = await self._loop.run_in_executor(None, self._build_context, address)
        if generation == self._generation:
            self._contexts[address] = (generation, context)
        return context

    def _build_context(self, address: str) -> ssl.SSLContext:
        chain_pem, key_pem, _certificate_id = self._appliance.tls_material(address)
        return build_site_context(chain_pem, key_pem, self._scratch_dir)

    def _accept(self, address: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Called as the connection is made: stop reading until the handshake takes over the socket.

        Bytes of the ClientHello read into the plain stream before ``start_tls`` would be
        lost to the handshake; reading resumes under TLS.
        """
        writer.transport.pause_reading()
        task = self._loop.create_task(self._serve(address, reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, address: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        try:
            context = await self._context_for(address)
            await writer.start_tls(context, ssl_handshake_timeout=HANDSHAKE_TIMEOUT)
            await self._answer(address, reader, writer)
        except _CONNECTION_ERRORS as exc:
            self._log.debug("site connection on %s:%d closed: %s", address, self.site_port, type(exc).__name__)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # A failure to serve one connection (e.g. its address was removed meanwhile) ends only that connection.
            self._log.warning("site connection on %s:%d failed: %s", address, self.site_port, type(exc).__name__)
        finally:
            self._connections.discard(writer)
            writer.close()
            with contextlib.suppress(*_CONNECTION_ERRORS):
                await asyncio.wait_for(writer.wait_closed(), CLOSE_TIMEOUT)

    async def _answer(self, address: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
        except asyncio.LimitOverrunError:
            writer.write(http_response("431 Request Header Fields Too Large", b""))
            await writer.drain()
            return
        method = head.split(b" ", 1)[0].upper()
        if method in (b"GET", b"HEAD"):
            response = http_response("200 OK", site_page(self._identity, address), head_only=method == b"HEAD")
        else:
            response = http_response("405 Method Not Allowed", b"")
        writer.write(response)
        await writer.drain()
