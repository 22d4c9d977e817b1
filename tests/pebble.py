# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pebble, Let's Encrypt's test ACME CA, and its DNS for tests: real processes on free loopback ports.

Debian's ``pebble`` package, which brings both ``pebble`` and ``pebble-challtestsrv`` (``apt-get install pebble``;
``make test`` installs them). A pytest plugin module (``pytest_plugins`` in ``tests/conftest.py``).

Use::

    ca = start_pebble(tmp_path / "pebble")          # or the fixture: pebble_factory()
    ca.add_a("support.example.com", "127.0.0.2")    # the name the CA validates -> an appliance address
    # the appliance answers HTTP-01 on ca.http_port (start it with --acme-http-port ca.http_port)
    settings = {"directory_url": ca.directory_url, "ca_bundle": ca.ca_bundle_pem, ...}
    ca.roots_pem()                                   # what Pebble's certificates chain to
    ca.stop()

``start_pebble(directory, http_port=None, validity_seconds=None, eab_keys=None, eab_required=False)``:

- Pebble runs in strict mode (``-strict``) with ``PEBBLE_VA_NOSLEEP=1``; its random nonce rejection and
  authorization reuse stay at their defaults, so a client must cope with ``badNonce``.
- Its HTTPS certificate comes from a CA this helper makes (``ca_bundle_pem``, ``ca_bundle_path``): trust that
  for ``directory_url``. The roots Pebble issues under come from its management interface (``roots_pem()``,
  ``intermediates_pem()``); they are new on every start.
- Its DNS is pebble-challtestsrv, answering only the names given with ``add_a`` (no default address), so a
  name nobody added does not resolve.
- ``http_port`` is the port Pebble's validation connects to for HTTP-01 (a free one unless given).
- ``validity_seconds`` makes short certificates (Pebble's ``certificateValidityPeriod``).
- ``eab_keys`` (``{key id: base64url HMAC}``) and ``eab_required`` configure external account binding.

Every instance takes its own free ports, so pytest-xdist workers never share one.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import functools
import ipaddress
import json
import os
import random
import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PEBBLE = "pebble"
CHALLTESTSRV = "pebble-challtestsrv"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
PORT_RANGE = (33000, 60000)
START_ATTEMPTS = 5
_INSTALL_HINT = "install Debian's package pebble (it brings pebble-challtestsrv too): apt-get install -y pebble"


def pebble_available() -> bool:
    """True when both binaries are on PATH."""
    return shutil.which(PEBBLE) is not None and shutil.which(CHALLTESTSRV) is not None


def free_port(address: str = "127.0.0.1", udp_too: bool = False) -> int:
    """A random port in PORT_RANGE that is free on ``address`` (TCP, and UDP with ``udp_too``) right now."""
    for _attempt in range(500):
        port = random.randint(*PORT_RANGE)
        kinds = [socket.SOCK_STREAM, socket.SOCK_DGRAM] if udp_too else [socket.SOCK_STREAM]
        try:
            for kind in kinds:
                with socket.socket(socket.AF_INET, kind) as probe:
                    probe.bind((address, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                continue
            raise
        return port
    raise RuntimeError(f"no free port in {PORT_RANGE} on {address}")


def _key_usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _https_identity(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a certificate for 127.0.0.1 and localhost signed by it: (ca.pem, cert.pem, key.pem)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Pebble test HTTPS CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Pebble test HTTPS")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "https-ca.pem", directory / "https-cert.pem", directory / "https-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


class ServerProcesses:
    """Test servers started as child processes: ``directory`` holds their ``*.log`` files, ``processes`` the
    Popen objects. Pebble, acme2certifier and a lone challtestsrv share it."""

    directory: Path
    processes: list

    def log(self) -> str:
        """What the processes printed so far."""
        return "".join(
            path.read_text(encoding="utf-8", errors="replace") for path in sorted(self.directory.glob("*.log"))
        )

    def stop(self) -> None:
        """SIGTERM every process (SIGKILL after STOP_TIMEOUT)."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(STOP_TIMEOUT)
        self.processes = []

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Pebble(ServerProcesses):
    """A running Pebble and its challtestsrv."""

    directory: Path
    port: int
    management_port: int
    http_port: int
    dns_port: int
    challtestsrv_port: int
    ca_bundle_path: Path
    processes: list = field(default_factory=list, repr=False)

    @property
    def directory_url(self) -> str:
        """The ACME directory."""
        return f"https://127.0.0.1:{self.port}/dir"

    @property
    def ca_bundle_pem(self) -> str:
        """The root of Pebble's HTTPS certificate (the ACME client's ``ca_bundle``)."""
        return self.ca_bundle_path.read_text(encoding="ascii")

    def _verify(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_bundle_path))

    def directory_document(self) -> dict:
        """Pebble's ACME directory object."""
        response = httpx.get(self.directory_url, verify=self._verify(), timeout=10)
        response.raise_for_status()
        return response.json()

    def _management(self, path: str) -> str:
        response = httpx.get(f"https://127.0.0.1:{self.management_port}{path}", verify=self._verify(), timeout=10)
        response.raise_for_status()
        return response.text

    def roots_pem(self) -> str:
        """The root Pebble issues under (``/roots/0``), PEM."""
        return self._management("/roots/0")

    def intermediates_pem(self) -> str:
        """The intermediate Pebble issues with (``/intermediates/0``), PEM."""
        return self._management("/intermediates/0")

    def _challtestsrv(self, path: str, body: dict) -> None:
        response = httpx.post(f"http://127.0.0.1:{self.challtestsrv_port}{path}", json=body, timeout=10)
        response.raise_for_status()

    def add_a(self, host: str, *addresses: str) -> None:
        """Make ``host`` resolve to ``addresses`` (IPv4) in Pebble's DNS."""
        self._challtestsrv("/add-a", {"host": host, "addresses": list(addresses)})

    def clear_a(self, host: str) -> None:
        """Forget the A records of ``host``."""
        self._challtestsrv("/clear-a", {"host": host})

    def set_txt(self, host: str, value: str) -> None:
        """Answer TXT queries for ``host`` (e.g. ``_acme-challenge.example.com.``) with ``value``."""
        self._challtestsrv("/set-txt", {"host": host, "value": value})

    def clear_txt(self, host: str) -> None:
        """Forget the TXT records of ``host``."""
        self._challtestsrv("/clear-txt", {"host": host})


def _spawn(argv: list[str], log_path: Path, env: dict | None = None) -> subprocess.Popen:
    environment = dict(os.environ)
    environment.update(env or {})
    with open(log_path, "ab") as log:
        return subprocess.Popen(  # pylint: disable=consider-using-with  # runs until Pebble.stop()
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=environment
        )


class _StartFailed(Exception):
    """A process ended during start-up (most likely a port taken meanwhile): try other ports."""


def _wait_until(ready, processes, what: str, log_dir: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise _StartFailed(f"{what} exited with status {process.returncode}")
        with contextlib.suppress(httpx.HTTPError, OSError):
            if ready():
                return
        time.sleep(0.05)
    logs = "".join(p.read_text(errors="replace") for p in sorted(log_dir.glob("*.log")))[-3000:]
    raise AssertionError(f"{what} was not ready within {timeout:g} s:\n{logs}")


def _start_once(directory: Path, http_port: int, validity_seconds, eab_keys, eab_required, env) -> Pebble:
    ca_path, cert_path, key_path = _https_identity(directory)
    port, management_port = free_port(), free_port()
    dns_port, challtestsrv_port = free_port(udp_too=True), free_port()
    config = {
        "pebble": {
            "listenAddress": f"127.0.0.1:{port}",
            "managementListenAddress": f"127.0.0.1:{management_port}",
            "certificate": str(cert_path),
            "privateKey": str(key_path),
            "httpPort": http_port,
            "tlsPort": free_port(),
            "ocspResponderURL": "",
            "externalAccountBindingRequired": bool(eab_required),
            "externalAccountMACKeys": dict(eab_keys or {}),
        }
    }
    if validity_seconds:
        config["pebble"]["certificateValidityPeriod"] = int(validity_seconds)
    config_path = directory / "pebble-config.json"
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    pebble = Pebble(directory, port, management_port, http_port, dns_port, challtestsrv_port, ca_path)
    dns = _spawn(
        [
            CHALLTESTSRV,
            "-management",
            f"127.0.0.1:{challtestsrv_port}",
            "-dns01",
            f"127.0.0.1:{dns_port}",
            "-http01",
            "",
            "-https01",
            "",
            "-tlsalpn01",
            "",
            "-defaultIPv4",
            "",
            "-defaultIPv6",
            "",
            *_doh_off(),
        ],
        directory / "challtestsrv.log",
    )
    pebble.processes.append(dns)
    try:
        _wait_until(
            lambda: (
                httpx.post(f"http://127.0.0.1:{challtestsrv_port}/clear-a", json={"host": "x."}, timeout=2).status_code
                < 500
            ),
            [dns],
            "pebble-challtestsrv",
            directory,
            START_TIMEOUT,
        )
        ca = _spawn(
            [PEBBLE, "-config", str(config_path), "-strict", "-dnsserver", f"127.0.0.1:{dns_port}"],
            directory / "pebble.log",
            {"PEBBLE_VA_NOSLEEP": "1", **(env or {})},
        )
        pebble.processes.append(ca)
        _wait_until(
            lambda: (
                httpx.get(pebble.directory_url, verify=pebble._verify(), timeout=2).status_code == 200
                and httpx.get(
                    f"https://127.0.0.1:{management_port}/roots/0", verify=pebble._verify(), timeout=2
                ).status_code
                == 200
            ),
            [dns, ca],
            "pebble",
            directory,
            START_TIMEOUT,
        )
    except BaseException:
        pebble.stop()
        raise
    return pebble


@functools.lru_cache(maxsize=1)
def _doh_off() -> tuple[str, ...]:
    """``-doh ""`` when this challtestsrv has a DNS-over-HTTPS listener (newer releases), so it binds no fixed port."""
    done = subprocess.run([CHALLTESTSRV, "-h"], capture_output=True, text=True, timeout=10, check=False)
    return ("-doh", "") if "-doh" in (done.stdout + done.stderr) else ()


def start_pebble(
    directory: Path,
    http_port: int | None = None,
    validity_seconds: int | None = None,
    eab_keys: dict | None = None,
    eab_required: bool = False,
    env: dict | None = None,
) -> Pebble:
    """Start challtestsrv and Pebble with their state and logs in ``directory``; see the module's text."""
    if not pebble_available():
        raise AssertionError(f"{PEBBLE} and {CHALLTESTSRV} are not installed: {_INSTALL_HINT}")
    directory = Path(directory)
    for attempt in range(START_ATTEMPTS):
        run = directory / f"run{attempt}"
        run.mkdir(parents=True, exist_ok=True)
        try:
            return _start_once(run, http_port or free_port("127.0.0.2"), validity_seconds, eab_keys, eab_required, env)
        except _StartFailed:
            if attempt == START_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def servers_started_by(start, folder: Path, prefix: str):
    """A fixture's body: yields ``start_one(**options)``, which starts a server in its own folder below ``folder``
    with ``start(folder, **options)``; every server started stops at teardown."""
    started: list[ServerProcesses] = []

    def start_one(**options):
        server = start(folder / f"{prefix}-{len(started)}", **options)
        started.append(server)
        return server

    yield start_one
    for server in started:
        server.stop()


@pytest.fixture
def pebble_factory(tmp_path):
    """``pebble_factory(**options) -> Pebble`` (options of ``start_pebble``); every instance stops at teardown."""
    yield from servers_started_by(start_pebble, tmp_path, "pebble")
