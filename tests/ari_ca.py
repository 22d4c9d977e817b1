# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""acme2certifier, an ACME CA that offers renewal information (ARI, RFC 9773), for tests: a real process on a free
loopback port.

Debian's Pebble (2.4) has no ``renewalInfo``; acme2certifier (PyPI) has. It runs from its own venv, because it is
not part of the test venv: ``requirements/ari-ca.txt``, created by ``python3 -m venv build/ari-ca-venv &&
build/ari-ca-venv/bin/pip install -r requirements/ari-ca.txt``. ``ARI_CA_PYTHON`` names another interpreter that
has it. Nothing here installs anything: without that venv ``start_ari_ca`` fails and names the step.

Use::

    ca = start_ari_ca(tmp_path / "ari-ca")          # or the fixture: ari_ca_factory()
    ca.add_a("support.example.com", "127.0.0.2")    # the name the CA validates -> an appliance address
    # the appliance answers HTTP-01 on ca.http_port (start it with --acme-http-port ca.http_port)
    settings = {"directory_url": ca.directory_url, "ca_bundle": ca.ca_bundle_pem, ...}
    ca.roots_pem()                                   # the CA that issues (one self-signed CA, no intermediate)
    ca.renewal_info(certificate)                     # (status, JSON, headers) of GET renewalInfo/<certID>
    ca.order_count(), ca.issued_count()              # the orders it has received, the certificates it issued
    ca.validated_challenges()                        # [(identifier, "dns-01"), ...] it found valid
    ca.restart(force=True)                           # the same CA (port, issuer, store) with other options
    ca.stop()

DNS-01 against pebble-challtestsrv (Debian's package pebble)::

    dns = start_challtestsrv(tmp_path / "dns")       # pebble-challtestsrv alone, on free ports
    ca = start_ari_ca(tmp_path / "ari-ca", dns_port=dns.dns_port)
    dns.set_txt("_acme-challenge.support.example.com", "...")   # or its management API at dns.management_url

``start_ari_ca(directory, http_port=None, validity_days=1, threshold_percent=85.0, force=False,
window_seconds=None, retry_after=3600, dns_port=None)``:

- acme2certifier's own WSGI application (``acme2certifier.share.acme2certifier_wsgi``) with its local
  ``openssl_ca_handler`` CA and its SQLite store, served by the standard library's WSGI server over HTTPS on
  127.0.0.1. Its HTTPS certificate comes from a CA this helper makes (``ca_bundle_pem``); the issuing CA is
  another one (``roots_pem()``), new on every start.
- It validates HTTP-01 for real (no validation switch, no "I know the risk" override). Two things are redirected,
  like Pebble's ``-dnsserver`` and ``httpPort``: names resolve only to the addresses given with ``add_a`` (no
  DNS query; a name nobody added does not resolve), and validation connects to ``http_port`` instead of 80. Both
  are module attributes of acme2certifier replaced by the small launcher this helper writes (``_LAUNCHER``).
- Its renewal information (``[Renewalinfo]``): the window starts when ``threshold_percent`` of the lifetime has
  passed and ends at notAfter (``window_seconds`` makes it that long); ``force`` answers a window that is already
  open (from a year ago to a day ahead); ``Retry-After`` is ``retry_after`` seconds.
- ``dns_port``: DNS-01 validation asks the DNS server on 127.0.0.1:``dns_port`` (pebble-challtestsrv) for the TXT
  records, like Pebble's ``-dnsserver``: acme2certifier's ``txt_get`` is given that server instead of the
  system's resolvers (the launcher wraps it). Without it, DNS-01 asks the system's resolvers.
- ``validity_days`` is the certificates' lifetime in whole days (the handler knows no shorter one).
- ``restart(**options)`` stops the process and starts it again on the same port, issuing CA and SQLite store
  with the options changed (acme2certifier reads its configuration once): e.g. ``force=True`` for a window that
  opens now for a certificate it issued before.
- The directory has no ``termsOfService`` and no ``externalAccountRequired``; nonces are checked; an account
  needs no contact (as with Pebble; acme2certifier requires one unless told otherwise).

Every instance takes its own free ports, so pytest-xdist workers never share one.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import os
import sqlite3
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
from cryptography.x509.oid import NameOID
from pebble import _INSTALL_HINT as _PEBBLE_INSTALL_HINT
from pebble import (
    CHALLTESTSRV,
    ServerProcesses,
    _doh_off,
    _https_identity,
    _key_usage,
    _spawn,
    _wait_until,
    free_port,
    pebble_available,
    servers_started_by,
)
from pebble import _StartFailed as _ChalltestsrvStartFailed

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PYTHON = ROOT / "build" / "ari-ca-venv" / "bin" / "python"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
START_ATTEMPTS = 5
_INSTALL_HINT = (
    "create its venv: python3 -m venv build/ari-ca-venv && build/ari-ca-venv/bin/pip install -r "
    "requirements/ari-ca.txt (or set ARI_CA_PYTHON to a Python that has acme2certifier)"
)

# Runs in the CA's venv: acme2certifier's WSGI application over HTTPS, with name resolution from a JSON file,
# HTTP-01 on a given port and, when dns_port is not 0, DNS-01's TXT lookups sent to 127.0.0.1:dns_port.
# argv: port cert key hosts.json http_port dns_port; the config is ACME_SRV_CONFIGFILE.
_LAUNCHER = """\
import json
import ssl
import sys
from wsgiref.simple_server import make_server

from acme2certifier.acme_srv import helper
from acme2certifier.acme_srv.helpers import network

PORT, CERT, KEY, HOSTS = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
HTTP_PORT, DNS_PORT = int(sys.argv[5]), int(sys.argv[6])


def fqdn_resolve(logger, host, dnssrv=None, catch_all=False):
    with open(HOSTS, encoding="utf-8") as hosts:
        addresses = json.load(hosts).get(host.lower().rstrip("."), [])
    if not addresses:
        return ([] if catch_all else None), True, f"{host}: no such name in the test CA's hosts"
    return (list(addresses) if catch_all else addresses[0]), False, None


_url_host = network._http_url_host
helper.fqdn_resolve = network.fqdn_resolve = fqdn_resolve
network._http_url_host = lambda host: f"{_url_host(host)}:{HTTP_PORT}"

if DNS_PORT:
    import dns.nameserver

    _txt_get = network.txt_get

    def txt_get(logger, fqdn, dns_srv=None):
        # The validator's own lookup (dnspython's resolver, TXT over UDP then TCP), only with this one server.
        return _txt_get(logger, fqdn, [dns.nameserver.Do53Nameserver("127.0.0.1", DNS_PORT)])

    helper.txt_get = network.txt_get = txt_get

from acme2certifier.share import acme2certifier_wsgi as a2c  # noqa: E402  (loads the configuration)


def application(environ, start_response):
    environ["wsgi.url_scheme"] = "https"
    return a2c.application(environ, start_response)


server = make_server("127.0.0.1", PORT, application, handler_class=a2c.get_handler_cls())
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(CERT, KEY)
server.socket = context.wrap_socket(server.socket, server_side=True)
print("serving", flush=True)
server.serve_forever()
"""


def ari_ca_python() -> Path:
    """The interpreter that runs acme2certifier: ``ARI_CA_PYTHON`` or build/ari-ca-venv."""
    return Path(os.environ.get("ARI_CA_PYTHON") or DEFAULT_PYTHON)


def ari_ca_available() -> bool:
    """True when that interpreter exists and imports acme2certifier."""
    python = ari_ca_python()
    if not python.exists():
        return False
    done = subprocess.run([str(python), "-c", "import acme2certifier"], capture_output=True, timeout=60, check=False)
    return done.returncode == 0


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def cert_id(certificate: x509.Certificate) -> str:
    """RFC 9773 section 4.1: base64url(AKI keyIdentifier) "." base64url(serial DER content)."""
    aki = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    serial = certificate.serial_number
    return f"{_base64url(aki.key_identifier)}.{_base64url(serial.to_bytes(serial.bit_length() // 8 + 1, 'big'))}"


def _issuing_ca(directory: Path) -> tuple[Path, Path]:
    """The CA acme2certifier issues with: (cert.pem, key.pem), valid for 30 days."""
    now = datetime.datetime.now(datetime.timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ARI test CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    paths = directory / "issuing-ca.pem", directory / "issuing-ca-key.pem"
    paths[0].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


@dataclass
class AriCA(ServerProcesses):
    """A running acme2certifier."""

    directory: Path
    port: int
    http_port: int
    ca_bundle_path: Path
    issuer_path: Path
    hosts_path: Path
    processes: list = field(default_factory=list, repr=False)
    options: dict = field(default_factory=dict, repr=False)
    identity: tuple = field(default=(), repr=False)  # (cert.pem, key.pem) of its HTTPS
    issuer_key_path: Path | None = field(default=None, repr=False)

    @property
    def directory_url(self) -> str:
        """The ACME directory."""
        return f"https://127.0.0.1:{self.port}/directory"

    @property
    def dns_port(self) -> int | None:
        """The port on 127.0.0.1 that DNS-01 validation asks, or None (the system's resolvers)."""
        return self.options.get("dns_port")

    @property
    def ca_bundle_pem(self) -> str:
        """The root of the CA's HTTPS certificate (the ACME client's ``ca_bundle``)."""
        return self.ca_bundle_path.read_text(encoding="ascii")

    def _verify(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_bundle_path))

    def directory_document(self) -> dict:
        """The ACME directory object."""
        response = httpx.get(self.directory_url, verify=self._verify(), timeout=10)
        response.raise_for_status()
        return response.json()

    def roots_pem(self) -> str:
        """The CA that signs the certificates (self-signed; the chain has no intermediate)."""
        return self.issuer_path.read_text(encoding="ascii")

    def renewal_info(self, certificate: x509.Certificate) -> tuple[int, dict | None, httpx.Headers]:
        """GET ``renewalInfo/<certID>``: the status, the JSON body (None when not JSON) and the headers."""
        base = str(self.directory_document()["renewalInfo"]).rstrip("/")
        response = httpx.get(f"{base}/{cert_id(certificate)}", verify=self._verify(), timeout=10)
        try:
            body = response.json()
        except ValueError:
            body = None
        return response.status_code, body, response.headers

    def _query(self, query: str) -> list:
        database = self.directory / "acme_srv.db"
        if not database.exists():
            return []
        with contextlib.closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=10)) as store:
            return store.execute(query).fetchall()

    def order_count(self) -> int:
        """How many orders the CA has received (its store's ``orders`` table)."""
        return sum(count for (count,) in self._query('SELECT COUNT(*) FROM "orders"'))

    def issued_count(self) -> int:
        """How many certificates the CA has issued (rows of its ``certificate`` table that hold one)."""
        query = "SELECT COUNT(*) FROM \"certificate\" WHERE cert_raw IS NOT NULL AND cert_raw != ''"
        return sum(count for (count,) in self._query(query))

    def validated_challenges(self) -> list[tuple[str, str]]:
        """``(identifier, challenge type)`` of each challenge the CA found valid (a wildcard as ``*.name``)."""
        return [
            (str(value), str(kind))
            for value, kind in self._query(
                'SELECT a.value, c.type FROM "challenge" c JOIN "authorization" a ON a.id = c.authorization_id '
                "JOIN \"status\" s ON s.id = c.status_id WHERE s.name = 'valid'"
            )
        ]

    def _hosts(self) -> dict:
        return json.loads(self.hosts_path.read_text(encoding="utf-8"))

    def _write_hosts(self, hosts: dict) -> None:
        temporary = self.hosts_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(hosts), encoding="utf-8")
        temporary.replace(self.hosts_path)

    def add_a(self, host: str, *addresses: str) -> None:
        """Make ``host`` resolve to ``addresses`` for the CA's validation."""
        hosts = self._hosts()
        hosts[host.lower().rstrip(".")] = list(addresses)
        self._write_hosts(hosts)

    def clear_a(self, host: str) -> None:
        """Forget the addresses of ``host``."""
        hosts = self._hosts()
        hosts.pop(host.lower().rstrip("."), None)
        self._write_hosts(hosts)

    def _launch(self) -> None:
        """Write the configuration, start the process and wait until the directory answers with renewalInfo."""
        config_path = self.directory / "acme_srv.cfg"
        config_path.write_text(
            _config(self.directory, (self.issuer_path, self.issuer_key_path), self.options), encoding="utf-8"
        )
        launcher = self.directory / "serve_ari_ca.py"
        launcher.write_text(_LAUNCHER, encoding="utf-8")
        environment = {**os.environ, "ACME_SRV_CONFIGFILE": str(config_path)}
        environment.pop("ACME2CERTIFIER_I_KNOW_THE_RISK", None)
        argv = [str(ari_ca_python()), str(launcher), str(self.port), *(str(path) for path in self.identity)]
        argv += [str(self.hosts_path), str(self.http_port), str(self.options.get("dns_port") or 0)]
        with open(self.directory / "acme2certifier.log", "ab") as log:
            process = subprocess.Popen(  # pylint: disable=consider-using-with  # runs until AriCA.stop()
                argv,
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
            )
        self.processes.append(process)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    if "Address already in use" in self.log():
                        raise _StartFailed(f"acme2certifier exited with status {process.returncode}")
                    raise AssertionError(
                        f"acme2certifier exited with status {process.returncode}:\n{self.log()[-3000:]}"
                    )
                try:
                    if "renewalInfo" in self.directory_document():
                        return
                except (httpx.HTTPError, OSError, ValueError):
                    pass
                time.sleep(0.1)
            raise AssertionError(f"acme2certifier was not ready within {START_TIMEOUT:g} s:\n{self.log()[-3000:]}")
        except BaseException:
            self.stop()
            raise

    def restart(self, **changes) -> AriCA:
        """Stop it and start it again on the same port, issuing CA and store, with ``changes`` to the options of
        ``start_ari_ca`` (not ``http_port``)."""
        unknown = sorted(set(changes) - set(self.options))
        if unknown:
            raise TypeError(f"restart() takes the options of start_ari_ca, not {', '.join(unknown)}")
        self.stop()
        self.options = {**self.options, **changes}
        try:
            self._launch()
        except _StartFailed:
            raise AssertionError(
                f"acme2certifier could not listen on port {self.port} again:\n{self.log()[-3000:]}"
            ) from None
        return self


class _StartFailed(Exception):
    """The process ended during start-up (most likely its port was taken meanwhile): try another port."""


def _config(directory: Path, issuer: tuple[Path, Path], options: dict) -> str:
    renewal = [
        f"renewalthreshold_pctg: {float(options['threshold_percent'])}",
        f"renewal_force: {bool(options['force'])}",
        f"retry_after_timeout: {int(options['retry_after'])}",
    ]
    if options["window_seconds"]:
        renewal.append(f"renewal_window_duration: {int(options['window_seconds'])}")
    (directory / "certs").mkdir(exist_ok=True)
    return "\n".join(
        [
            "[DEFAULT]",
            "debug: False",
            "[Account]",
            "contact_check_disable: True",
            "[Nonce]",
            "nonce_check_disable: False",
            "[Directory]",
            "suppress_product_information: True",
            "[CAhandler]",
            "handler_module: acme2certifier.cahandlers.openssl_ca_handler",
            f"issuing_ca_cert: {issuer[0]}",
            f"issuing_ca_key: {issuer[1]}",
            f"issuing_ca_crl: {directory / 'crl.pem'}",
            f"cert_save_path: {directory / 'certs'}",
            f"cert_validity_days: {int(options['validity_days'])}",
            "[DBhandler]",
            "handler_module: acme2certifier.dbhandlers.wsgi_handler",
            f"dbfile: {directory / 'acme_srv.db'}",
            "[Challenge]",
            "challenge_validation_disable: False",
            "http_01_support: True",
            "[Renewalinfo]",
            *renewal,
            "[Order]",
            "tnauthlist_support: False",
            "",
        ]
    )


def _start_once(directory: Path, http_port: int, options: dict) -> AriCA:
    ca_path, cert_path, key_path = _https_identity(directory)
    issuer = _issuing_ca(directory)
    hosts_path = directory / "hosts.json"
    hosts_path.write_text("{}", encoding="utf-8")
    ca = AriCA(
        directory,
        free_port(),
        http_port,
        ca_path,
        issuer[0],
        hosts_path,
        options=dict(options),
        identity=(cert_path, key_path),
        issuer_key_path=issuer[1],
    )
    ca._launch()
    return ca


def start_ari_ca(
    directory: Path,
    http_port: int | None = None,
    validity_days: int = 1,
    threshold_percent: float = 85.0,
    force: bool = False,
    window_seconds: int | None = None,
    retry_after: int = 3600,
    dns_port: int | None = None,
) -> AriCA:
    """Start acme2certifier with its state and log in ``directory``; see the module's text."""
    python = ari_ca_python()
    if not python.exists():
        raise AssertionError(f"acme2certifier's Python {python} does not exist: {_INSTALL_HINT}")
    options = {
        "validity_days": validity_days,
        "threshold_percent": threshold_percent,
        "force": force,
        "window_seconds": window_seconds,
        "retry_after": retry_after,
        "dns_port": dns_port,
    }
    directory = Path(directory)
    for attempt in range(START_ATTEMPTS):
        run = directory / f"run{attempt}"
        run.mkdir(parents=True, exist_ok=True)
        try:
            ca = _start_once(run, http_port or free_port("127.0.0.2"), options)
        except _StartFailed:
            if attempt == START_ATTEMPTS - 1:
                raise
            continue
        except AssertionError as exc:
            if "No module named" in str(exc):
                raise AssertionError(f"{python} cannot import acme2certifier: {_INSTALL_HINT}\n{exc}") from None
            raise
        return ca
    raise AssertionError("unreachable")


@pytest.fixture
def ari_ca_factory(tmp_path):
    """``ari_ca_factory(**options) -> AriCA`` (options of ``start_ari_ca``); every instance stops at teardown."""
    yield from servers_started_by(start_ari_ca, tmp_path, "ari-ca")


# --- pebble-challtestsrv alone: the DNS that DNS-01 validation asks -------------------------------------------


@dataclass
class ChallTestSrv(ServerProcesses):
    """A running pebble-challtestsrv: DNS on 127.0.0.1:``dns_port`` (UDP and TCP), its management API on
    ``management_url``; it answers only the records set through that API (no default A or AAAA address)."""

    directory: Path
    dns_port: int
    management_port: int
    processes: list = field(default_factory=list, repr=False)

    @property
    def management_url(self) -> str:
        """Its management API (``challtestsrv_url`` of examples/acme/dns-challtestsrv.yml)."""
        return f"http://127.0.0.1:{self.management_port}"

    def _post(self, path: str, body: dict) -> None:
        response = httpx.post(f"{self.management_url}{path}", json=body, timeout=10)
        response.raise_for_status()

    def set_txt(self, host: str, value: str) -> None:
        """Answer TXT queries for ``host`` with ``value`` too."""
        self._post("/set-txt", {"host": host.rstrip(".") + ".", "value": value})

    def clear_txt(self, host: str) -> None:
        """Forget the TXT records of ``host``."""
        self._post("/clear-txt", {"host": host.rstrip(".") + "."})


def start_challtestsrv(directory: Path) -> ChallTestSrv:
    """Start pebble-challtestsrv with only its DNS and management API, on free ports, its log in ``directory``."""
    if not pebble_available():
        raise AssertionError(f"{CHALLTESTSRV} is not installed: {_PEBBLE_INSTALL_HINT}")
    directory = Path(directory)
    for attempt in range(START_ATTEMPTS):
        run = directory / f"run{attempt}"
        run.mkdir(parents=True, exist_ok=True)
        dns_port, management_port = free_port(udp_too=True), free_port()
        argv = [CHALLTESTSRV, "-management", f"127.0.0.1:{management_port}", "-dns01", f"127.0.0.1:{dns_port}"]
        for option in ("-http01", "-https01", "-tlsalpn01", "-defaultIPv4", "-defaultIPv6"):
            argv += [option, ""]
        server = ChallTestSrv(run, dns_port, management_port, [_spawn([*argv, *_doh_off()], run / "challtestsrv.log")])
        try:
            _wait_until(
                lambda server=server: (
                    httpx.post(f"{server.management_url}/clear-txt", json={"host": "x."}, timeout=2).status_code < 500
                ),
                server.processes,
                CHALLTESTSRV,
                run,
                START_TIMEOUT,
            )
        except _ChalltestsrvStartFailed:
            server.stop()
            if attempt == START_ATTEMPTS - 1:
                raise
            continue
        except BaseException:
            server.stop()
            raise
        return server
    raise AssertionError("unreachable")
