# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real reference appliances for tests: started as ``python -m reference_appliance``, stopped with SIGTERM.

A pytest plugin module (``pytest_plugins = ["appliance_fixtures"]``). Helpers:

- ``start_appliance(directory, **options) -> ApplianceHandle``: one appliance (``serve``).
- ``start_fleet(directory, count, **options) -> FleetHandle``: a primary and its traffic nodes (``fleet``).

Fixtures: ``appliance`` (fresh per test), ``shared_appliance`` (one per session;
tests must not assume its state is untouched), ``appliance_factory`` and
``fleet_factory`` (start several; all are stopped at teardown).

Each start picks a random free high site port and retries with another one when
the appliance reports that port in use (exit status 75). The served certificate
chain is read with the stdlib: ``SSLSocket.get_unverified_chain()`` on Python
3.13+, and on 3.10-3.12 the same call on the private ``SSLSocket._sslobj``
(``_ssl._SSLSocket.get_unverified_chain``), where ``getpeercert()`` only gives
the leaf. ``openssl_served_chain`` asks ``openssl s_client -showcerts`` instead,
as an independent check.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import random
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
API_PREFIX = "/appliance/api/v1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
EXIT_ADDRESS_IN_USE = 75
PORT_ATTEMPTS = 8
SITE_PORT_RANGE = (20000, 32000)  # below Linux's ephemeral range (32768-60999)
_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n.+?-----END CERTIFICATE-----", re.DOTALL)


class ApplianceStartError(AssertionError):
    """The appliance process did not become ready; the message carries its exit status and stderr."""

    def __init__(self, message: str, returncode: int | None):
        super().__init__(message)
        self.returncode = returncode


def sha256_fingerprint(der: bytes) -> str:
    """The contract's fingerprint form: lowercase hex pairs joined by ':'."""
    return ":".join(f"{byte:02x}" for byte in hashlib.sha256(der).digest())


def _port_is_free(addresses, port: int) -> bool:
    for address in addresses:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((address, port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    return False
                raise
    return True


def free_site_port(addresses=("127.0.0.2",)) -> int:
    """A random high port that is free on every one of ``addresses`` right now."""
    for _attempt in range(200):
        port = random.randint(*SITE_PORT_RANGE)
        if _port_is_free(addresses, port):
            return port
    raise RuntimeError(f"no free port in {SITE_PORT_RANGE} on {addresses}")


def served_chain(address: str, port: int, server_hostname: str | None = None, timeout: float = 10.0) -> list[bytes]:
    """The certificate chain (DER, leaf first) served on ``(address, port)``, read without validating it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((address, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        public = getattr(tls, "get_unverified_chain", None)
        if public is not None:  # Python 3.13+: DER bytes
            return [bytes(cert) for cert in public()]
        # Python 3.10-3.12: the private SSL object has the same call; its items are _ssl.Certificate objects.
        chain = tls._sslobj.get_unverified_chain()  # pylint: disable=protected-access
        return [cert.public_bytes(ssl._ssl.ENCODING_DER) for cert in chain]  # pylint: disable=protected-access


def openssl_served_chain(address: str, port: int, timeout: float = 20.0) -> list[bytes]:
    """The chain (DER, leaf first) that ``openssl s_client -showcerts`` sees on ``(address, port)``."""
    done = subprocess.run(
        ["openssl", "s_client", "-connect", f"{address}:{port}", "-showcerts"],
        input=b"",
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    blocks = _PEM_CERTIFICATE.findall(done.stdout)
    if not blocks:
        raise AssertionError(f"openssl s_client showed no certificate: {done.stderr.decode(errors='replace')[-2000:]}")
    return [ssl.PEM_cert_to_DER_cert(block.decode("ascii")) for block in blocks]


class ApplianceProcess:
    """One ``python -m reference_appliance`` process: started, waited for, stopped."""

    def __init__(self, argv: list[str], ready_file: Path, log_dir: Path, env: dict | None = None):
        self.argv = argv
        self.ready_file = ready_file
        self.log_dir = log_dir
        self.env = env
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def pid(self) -> int | None:
        """The process id while it runs."""
        return self.process.pid if self.process else None

    @property
    def returncode(self) -> int | None:
        """The exit status once it ended."""
        return self.process.poll() if self.process else None

    def _log_paths(self) -> tuple[Path, Path]:
        return self.log_dir / f"stdout.{self.starts}.log", self.log_dir / f"stderr.{self.starts}.log"

    def start(self, timeout: float = START_TIMEOUT) -> dict:
        """Start the process and wait for its ready file; the ready information, or ApplianceStartError."""
        self.starts += 1
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.ready_file.unlink()
        stdout_path, stderr_path = self._log_paths()
        environment = dict(os.environ)
        environment.update(self.env or {})
        with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with  # runs until stop()
                [sys.executable, "-m", "reference_appliance", *self.argv],
                cwd=REPO_ROOT,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready_file.exists():
                return json.loads(self.ready_file.read_text(encoding="utf-8"))
            if self.process.poll() is not None:
                raise ApplianceStartError(
                    f"the appliance exited with status {self.process.returncode} before it was ready:\n"
                    f"{self.stderr()[-4000:]}",
                    self.process.returncode,
                )
            time.sleep(0.02)
        self.kill()
        raise ApplianceStartError(f"the appliance was not ready within {timeout:g} s:\n{self.stderr()[-4000:]}", None)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then SIGKILL if it has not ended within ``timeout``; its exit status."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        return self.process.returncode

    def kill(self) -> int:
        """SIGKILL (a crash, as kill -9 does); its exit status."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)
        return self.process.returncode if self.process else 0

    def stdout(self) -> str:
        """Everything the current run printed on stdout."""
        return self._log_paths()[0].read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        """Everything the current run printed on stderr."""
        return self._log_paths()[1].read_text(encoding="utf-8", errors="replace")

    def all_output(self) -> str:
        """stdout and stderr of every run so far."""
        return "".join(
            path.read_text(encoding="utf-8", errors="replace") for path in sorted(self.log_dir.glob("*.log"))
        )


@dataclass
class ApplianceHandle:
    """A running appliance as a client sees it. ``api_url`` is the base URL; the API lives below API_PREFIX."""

    process: ApplianceProcess
    info: dict
    fleet: FleetHandle | None = None

    @property
    def api_url(self) -> str:
        return self.info["api_url"]

    @property
    def ca_path(self) -> Path:
        return Path(self.info["ca_path"])

    @property
    def token_file(self) -> Path:
        return Path(self.info["token_file"])

    @property
    def token(self) -> str:
        return self.token_file.read_text(encoding="ascii").strip()

    @property
    def username(self) -> str:
        """The web interface's admin username (the ready file names it)."""
        return self.info.get("admin_username", "admin")

    @property
    def password(self) -> str:
        """The web interface's admin password, from the file the ready file names (in the state directory)."""
        path = Path(self.info.get("admin_password_file") or self.state_dir / "admin-password")
        return path.read_text(encoding="ascii").strip()

    @property
    def state_dir(self) -> Path:
        return Path(self.info["state_dir"])

    @property
    def site_port(self) -> int:
        return self.info["site_port"]

    @property
    def ip_addresses(self) -> list[str]:
        return list(self.info["ip_addresses"])

    @property
    def hostname(self) -> str:
        return self.info["hostname"]

    @property
    def site_hostname(self) -> str:
        return self.info["site_hostname"]

    @property
    def role(self) -> str:
        return self.info["role"]

    @property
    def pid(self) -> int:
        return self.info["pid"]

    def client(self, timeout: float = 30.0, **kwargs) -> httpx.Client:
        """An httpx client for the API: base URL with the API prefix, the appliance's CA, the bearer token."""
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        verify = ssl.create_default_context(cafile=str(self.ca_path))
        return httpx.Client(
            base_url=self.api_url + API_PREFIX, verify=verify, headers=headers, timeout=timeout, **kwargs
        )

    def served_chain(self, address: str | None = None) -> list[bytes]:
        """The chain (DER, leaf first) served on ``address`` (default: the first IP) at the site port."""
        return served_chain(address or self.ip_addresses[0], self.site_port)

    def served_fingerprints(self, address: str | None = None) -> list[str]:
        """SHA-256 fingerprints of :meth:`served_chain`, leaf first."""
        return [sha256_fingerprint(der) for der in self.served_chain(address)]

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM (SIGKILL after ``timeout``); the exit status."""
        return self.process.stop(timeout)

    def kill(self) -> int:
        """SIGKILL; the exit status."""
        return self.process.kill()

    def restart(self) -> ApplianceHandle:
        """Stop and start again on the same state and options (a fleet member restarts its fleet)."""
        if self.fleet is not None:
            self.fleet.restart()
            return self
        self.process.stop()
        self.info = self.process.start()
        return self


def _option_argv(options: dict) -> list[str]:
    """CLI flags of keyword options: ``site_hostname="x"`` -> ``--site-hostname x``; lists repeat the flag."""
    singular = {"ip_addresses": "ip", "traffic_nodes": "traffic-node", "trusted_roots": "trusted-root"}
    argv: list[str] = []
    for name, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + singular.get(name, name).replace("_", "-")
        if value is True:
            argv.append(flag)
        elif isinstance(value, (list, tuple)):
            for item in value:
                argv += [flag, str(item)]
        else:
            argv += [flag, str(value)]
    return argv


def _start_with_free_port(make_process, addresses, site_port: int | None, timeout: float):
    """Start ``make_process(port)``; with no fixed port, retry on another random port while one is in use."""
    attempts = 1 if site_port else PORT_ATTEMPTS
    for attempt in range(attempts):
        port = site_port or free_site_port(addresses)
        process = make_process(port)
        try:
            return process, process.start(timeout)
        except ApplianceStartError as exc:
            if exc.returncode != EXIT_ADDRESS_IN_USE or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def start_appliance(
    directory: Path, timeout: float = START_TIMEOUT, env: dict | None = None, **options
) -> ApplianceHandle:
    """Start ``python -m reference_appliance serve`` with its state in ``directory/state``.

    ``options`` are the CLI options in Python spelling (``hostname``, ``site_hostname``, ``role``,
    ``ip_addresses``, ``traffic_nodes``, ``software_version``, ``trusted_roots``, ``token_file``,
    ``api_port``, ``site_port``, ``log_level``); ``site_port`` defaults to a random free one.
    ``token`` is written to a 0600 file given with ``--token-file`` (never on the command line).
    """
    directory = Path(directory)
    site_port = options.pop("site_port", None)
    token = options.pop("token", None)
    if token is not None:
        directory.mkdir(parents=True, exist_ok=True)
        token_file = directory / "given-token"
        token_file.touch(mode=0o600)
        token_file.write_text(token + "\n", encoding="ascii")
        options["token_file"] = token_file
    addresses = options.get("ip_addresses") or ["127.0.0.2"]
    options.setdefault("state_dir", directory / "state")
    ready_file = directory / "ready.json"

    def make_process(port: int) -> ApplianceProcess:
        argv = ["serve", *_option_argv(options), "--site-port", str(port), "--ready-file", str(ready_file)]
        return ApplianceProcess(argv, ready_file, directory / "logs", env)

    process, info = _start_with_free_port(make_process, addresses, site_port, timeout)
    return ApplianceHandle(process, info)


@dataclass
class FleetHandle:
    """A running fleet: its process, its inventory, and one handle per appliance (primary first)."""

    process: ApplianceProcess
    info: dict
    appliances: list[ApplianceHandle]

    @property
    def primary(self) -> ApplianceHandle:
        return self.appliances[0]

    @property
    def traffic_nodes(self) -> list[ApplianceHandle]:
        return self.appliances[1:]

    @property
    def inventory_path(self) -> Path:
        return Path(self.info["inventory"])

    @property
    def ca_path(self) -> Path:
        return Path(self.info["ca_path"])

    @property
    def pid(self) -> int:
        return self.info["pid"]

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM to the fleet process (all appliances); the exit status."""
        return self.process.stop(timeout)

    def kill(self) -> int:
        """SIGKILL to the fleet process."""
        return self.process.kill()

    def restart(self) -> FleetHandle:
        """Stop and start the whole fleet again on the same state; every member handle follows."""
        self.process.stop()
        self.info = self.process.start()
        for handle, info in zip(self.appliances, self.info["appliances"], strict=True):
            handle.info = info
        return self


def start_fleet(directory: Path, count: int, timeout: float = START_TIMEOUT, env: dict | None = None, **options):
    """Start ``python -m reference_appliance fleet --count count`` with state and inventory in ``directory``.

    ``options``: ``site_hostname``, ``domain``, ``site_port`` (default: a random free one),
    ``software_version``, ``trusted_roots``, ``log_level``.
    """
    directory = Path(directory)
    site_port = options.pop("site_port", None)
    addresses = [f"127.0.{index + 1}.2" for index in range(count)]
    options.setdefault("state_root", directory / "state")
    options.setdefault("inventory", directory / "inventory.yml")
    ready_file = directory / "ready.json"

    def make_process(port: int) -> ApplianceProcess:
        argv = ["fleet", "--count", str(count), *_option_argv(options)]
        argv += ["--site-port", str(port), "--ready-file", str(ready_file)]
        return ApplianceProcess(argv, ready_file, directory / "logs", env)

    process, info = _start_with_free_port(make_process, addresses, site_port, timeout)
    fleet = FleetHandle(process, info, [])
    fleet.appliances = [ApplianceHandle(process, member, fleet) for member in info["appliances"]]
    return fleet


class _Started:
    """Everything a factory fixture started, stopped at teardown."""

    def __init__(self):
        self.processes: list[ApplianceProcess] = []

    def stop_all(self) -> None:
        for process in self.processes:
            process.stop()


@pytest.fixture
def appliance(tmp_path) -> ApplianceHandle:
    """A fresh appliance for one test (defaults: 127.0.0.2, appliance.example.com, primary)."""
    handle = start_appliance(tmp_path / "appliance")
    yield handle
    handle.stop()


@pytest.fixture(scope="session")
def shared_appliance(tmp_path_factory) -> ApplianceHandle:
    """One appliance for the whole session; tests share its state, so none may rely on it being untouched."""
    handle = start_appliance(tmp_path_factory.mktemp("shared-appliance"))
    yield handle
    handle.stop()


@pytest.fixture
def appliance_factory(tmp_path):
    """``appliance_factory(name="appliance", **options)``: start appliances; all stop at teardown."""
    started = _Started()

    def start(name: str = "appliance", **options) -> ApplianceHandle:
        handle = start_appliance(tmp_path / name, **options)
        started.processes.append(handle.process)
        return handle

    yield start
    started.stop_all()


@pytest.fixture
def fleet_factory(tmp_path):
    """``fleet_factory(count, name="fleet", **options)``: start fleets; all stop at teardown."""
    started = _Started()

    def start(count: int, name: str = "fleet", **options) -> FleetHandle:
        fleet = start_fleet(tmp_path / name, count, **options)
        started.processes.append(fleet.process)
        return fleet

    yield start
    started.stop_all()
