# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One running appliance: store, service layer, HTTPS API and web interface (uvicorn) and site TLS listeners, in
one event loop.

Several appliances can share a loop (a fleet): each has its own API port and its
own addresses, and none of them installs signal handlers; the process that runs
them owns SIGTERM/SIGINT and stops them all.

The API's connections are limited as ``api_transport`` describes: 10 s for a
request head (TLS handshake included), 60 s for its body, 64 connections that
have not shown the token (the oldest goes when one more comes), 16 KiB of
request head, and uvicorn's 5 s for an idle kept connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from . import API_PREFIX
from .acme.responder import ChallengeResponder
from .acme.service import DEFAULT_CHECK_INTERVAL, DEFAULT_HTTP_PORT
from .api import create_app
from .api_transport import MAX_HEAD_BYTES, ApiProtocol, ConnectionGate, GatedSocket
from .appliance import Appliance, Identity
from .state import ADMIN_USERNAME, ApiCA, load_or_create_api_ca, provision_appliance
from .store import Store
from .tls import SiteListeners
from .web import WebInterface, WebSettings
from .web.auth import DEFAULT_IDLE_TIMEOUT, DEFAULT_LOCKOUT

LOG = logging.getLogger("reference_appliance")
GRACEFUL_SHUTDOWN_SECONDS = 5
HEADER_REFRESH_SECONDS = 1.0
KEEP_ALIVE_SECONDS = 5


class AddressInUse(Exception):
    """A port the appliance needs is taken; the message names the address and what to do."""


@dataclass
class ApplianceConfig:
    """Everything one appliance needs to start."""

    state_dir: Path
    hostname: str = "appliance.example.com"
    site_hostname: str = "support.example.com"
    role: str = "primary"
    traffic_nodes: list[str] = field(default_factory=list)
    software_version: str | None = None
    trusted_root_fingerprints: list[str] = field(default_factory=list)
    ip_addresses: list[str] = field(default_factory=lambda: ["127.0.0.2"])
    api_host: str = "127.0.0.1"
    api_port: int = 0
    site_port: int = 9443
    token: str | None = field(default=None, repr=False)
    log_level: str = "warning"
    web_idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    web_login_lockout: float = DEFAULT_LOCKOUT
    web_alterations: list[str] = field(default_factory=list)
    acme_http_port: int = DEFAULT_HTTP_PORT
    acme_check_interval: float = DEFAULT_CHECK_INTERVAL


class SharedLoopUvicornServer(uvicorn.Server):
    """A uvicorn server that shares its event loop with others.

    uvicorn's ``serve()`` replaces the process's SIGINT/SIGTERM handlers for its
    lifetime (``capture_signals``) and re-raises captured signals when it ends;
    with several servers in one loop they would undo each other. This server
    leaves signals to its owner, which calls :meth:`request_exit`. Its main
    loop also waits on an event instead of polling every 0.1 s.
    """

    def __init__(self, config: uvicorn.Config, gate: ConnectionGate | None = None):
        super().__init__(config)
        self.ready = asyncio.Event()
        self._exit_requested = asyncio.Event()
        self._gate = gate

    @contextlib.contextmanager
    def capture_signals(self):
        """Install no signal handlers: the process that runs the loop owns them."""
        yield

    async def startup(self, sockets=None) -> None:
        """Start as uvicorn does, then mark the server ready."""
        await super().startup(sockets=sockets)
        self.ready.set()

    async def main_loop(self) -> None:
        """Once a second until asked to exit: refresh the Date header, close connections too slow to send a request."""
        while not await self.on_tick(0):
            if self._gate is not None:
                self._gate.sweep()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit_requested.wait(), HEADER_REFRESH_SECONDS)

    def request_exit(self) -> None:
        """Finish open requests and stop."""
        self.should_exit = True
        self._exit_requested.set()


def bind_listening_socket(
    host: str, port: int, what: str, hint: str, gate: ConnectionGate | None = None
) -> socket.socket:
    """A TCP socket bound to ``(host, port)`` (port 0 picks a free one); AddressInUse when it is taken.

    With a ``gate``, every connection it accepts is reported to it.
    """
    # IPPROTO_TCP, not 0: asyncio disables Nagle (TCP_NODELAY) only on sockets that say they are TCP.
    sock = GatedSocket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.gate = gate
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise AddressInUse(
                f"Cannot listen on {host}:{port} for the {what}: address already in use. {hint}"
            ) from None
        raise
    return sock


class ApplianceServer:
    """One appliance. ``await start()`` returns its ready information; ``await stop()`` ends it cleanly."""

    def __init__(self, config: ApplianceConfig, api_ca: ApiCA | None = None, log: logging.Logger | None = None):
        self.config = config
        self._api_ca = api_ca
        self._log = log or LOG
        self.state = None
        self.store = None
        self.appliance = None
        self.listeners: SiteListeners | None = None
        self.challenges: ChallengeResponder | None = None
        self._uvicorn: SharedLoopUvicornServer | None = None
        self._serve_task: asyncio.Task | None = None
        self._api_port: int | None = None
        self._sockets: list[socket.socket] = []
        self._uvicorn_config: uvicorn.Config | None = None
        self.gate = ConnectionGate()

    def _on_change(self) -> None:
        if self.listeners is not None:
            self.listeners.on_change()
        if self.challenges is not None:
            self.challenges.on_change()

    def _prepare(self) -> None:
        """The blocking part of start-up: state files, store, service layer, API app, API socket."""
        config = self.config
        api_ca = self._api_ca or load_or_create_api_ca(config.state_dir)
        self.state = provision_appliance(config.state_dir, config.hostname, api_ca, config.api_host, config.token)
        identity = Identity(
            hostname=config.hostname,
            site_hostname=config.site_hostname,
            role=config.role,
            traffic_nodes=list(config.traffic_nodes),
            trusted_root_fingerprints=list(config.trusted_root_fingerprints),
            site_port=config.site_port,
            acme_http_port=config.acme_http_port,
        )
        if config.software_version:
            identity.software_version = config.software_version
        self.store = Store(self.state.store_path)
        self.appliance = Appliance(self.store, identity, on_change=self._on_change)
        for address in config.ip_addresses:
            self.appliance.add_ip_address(address)
        self.listeners = SiteListeners(self.appliance, config.site_port, self._log, scratch_dir=self.state.state_dir)
        appliance = self.appliance
        self.challenges = ChallengeResponder(
            lambda: [entry["address"] for entry in appliance.list_ip_addresses()], config.acme_http_port
        )
        web = WebInterface(
            self.appliance,
            config.hostname,
            config.role,
            WebSettings(
                username=ADMIN_USERNAME,
                password=self.state.admin_password,
                idle_timeout=config.web_idle_timeout,
                lockout=config.web_login_lockout,
                alterations=list(config.web_alterations),
            ),
        )
        sock = bind_listening_socket(
            config.api_host, config.api_port, "API", "Choose another --api-port, or 0 for a free one.", self.gate
        )
        self._api_port = sock.getsockname()[1]
        uvicorn_config = uvicorn.Config(
            create_app(self.appliance, self.state.token, gate=self.gate, web=web),
            host=config.api_host,
            port=self._api_port,
            ssl_certfile=str(self.state.cert_path),
            ssl_keyfile=str(self.state.key_path),
            log_config=None,
            log_level=config.log_level,
            access_log=config.log_level in ("debug", "trace"),
            lifespan="on",
            ws="none",
            http=ApiProtocol,
            h11_max_incomplete_event_size=MAX_HEAD_BYTES,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        uvicorn_config.load()
        self._sockets = [sock]
        self._uvicorn_config = uvicorn_config

    async def start(self) -> dict:
        """Start the API and the site listeners; return :meth:`ready_info` once both accept connections."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self._prepare)
            try:
                await self.listeners.start()
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise AddressInUse(
                        f"Site TLS of {self.config.hostname}: {exc.strerror}. "
                        "Choose another --site-port or other --ip addresses."
                    ) from None
                raise
            self._uvicorn = SharedLoopUvicornServer(self._uvicorn_config, self.gate)
            self._serve_task = loop.create_task(self._uvicorn.serve(sockets=self._sockets))
            ready = loop.create_task(self._uvicorn.ready.wait())
            await asyncio.wait({ready, self._serve_task}, return_when=asyncio.FIRST_COMPLETED)
            if not ready.done():
                ready.cancel()
                raise RuntimeError(f"The API of {self.config.hostname} did not start: {self._serve_failure()}")
            await loop.run_in_executor(
                None, self.appliance.acme.start, self.challenges, self.config.acme_check_interval
            )
        except BaseException:
            await self.stop()
            raise
        return self.ready_info()

    def _serve_failure(self) -> str:
        if self._serve_task.cancelled():
            return "cancelled"
        exc = self._serve_task.exception()
        return f"{type(exc).__name__}: {exc}" if exc else "it stopped at start-up"

    @property
    def api_url(self) -> str:
        """The API's base URL (the contract's paths start with API_PREFIX below it)."""
        return f"https://{self.config.api_host}:{self._api_port}"

    def ready_info(self) -> dict:
        """What a client needs: URLs, CA file, token and admin password files, addresses and identity (never the
        token or the password itself)."""
        return {
            "hostname": self.config.hostname,
            "site_hostname": self.config.site_hostname,
            "role": self.config.role,
            "api_url": self.api_url,
            "api_prefix": API_PREFIX,
            "ca_path": str(self.state.ca_path),
            "token_file": str(self.state.token_file),
            "web_url": f"{self.api_url}/appliance",
            "admin_username": ADMIN_USERNAME,
            "admin_password_file": str(self.state.admin_password_file),
            "state_dir": str(self.state.state_dir),
            "site_port": self.config.site_port,
            "acme_http_port": self.config.acme_http_port,
            "ip_addresses": [entry["address"] for entry in self.appliance.list_ip_addresses()],
            "pid": os.getpid(),
        }

    async def stop(self) -> None:
        """Stop the API (finishing open requests), close the site listeners, close the store."""
        if self._uvicorn is not None:
            self._uvicorn.request_exit()
        if self._serve_task is not None:
            with contextlib.suppress(asyncio.CancelledError, SystemExit, Exception):
                await self._serve_task
            self._serve_task = None
        else:
            for sock in self._sockets:
                sock.close()
        if self.listeners is not None:
            await self.listeners.close()
        if self.appliance is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.appliance.acme.stop)
        elif self.challenges is not None:
            self.challenges.close()
        if self.store is not None:
            self.store.close()
            self.store = None
