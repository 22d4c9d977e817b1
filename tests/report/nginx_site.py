# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS servers nobody here wrote: nginx on loopback, serving chains made by openssl, one case per server block.

nginx runs as a normal process with its own configuration and prefix in a
temporary folder (``nginx -p PREFIX -c CONF -g 'daemon off;'``), listening on
127.0.70.x at one port; one address serves two names by SNI. The inventory it
writes has only what any host has: addresses and hostnames, no API.
"""

from __future__ import annotations

import datetime
import random
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from openssl_pki import OpensslCA

NGINX = "/usr/sbin/nginx"
# Apart from the appliance fixtures' and the fleet scripts' ports, and below the ephemeral range.
PORT_RANGE = (32100, 32700)


@dataclass
class Case:
    """One server block: where it listens, the names it answers to, what it serves, what the report must find."""

    host: str
    address: str
    hostnames: list
    status: str
    problems: list
    verified: bool
    chain_file: Path | None = None
    key_file: Path | None = None
    blocks: list = field(default_factory=list)  # (server_name, chain, key) for an address with SNI blocks


@dataclass
class NginxSite:
    """The running nginx, its cases, the root to trust and the inventory of its hosts."""

    process: subprocess.Popen
    port: int
    root: Path
    cases: dict
    inventory: Path
    directory: Path
    as_of: str

    def stop(self) -> None:
        """SIGQUIT (graceful), then SIGKILL if it has not ended."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)


def _free_port(addresses: list) -> int:
    for _attempt in range(200):
        port = random.randint(*PORT_RANGE)
        try:
            for address in addresses:
                with socket.socket() as probe:
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    probe.bind((address, port))
        except OSError:
            continue
        return port
    raise RuntimeError(f"no free port in {PORT_RANGE}")


def make_cases(ca: OpensslCA) -> tuple[Path, dict]:
    """The PKI and one case per kind of chain the report must tell apart."""
    root = ca.issue("root", "Report Test Root CA", kind="root", days_before=400, days_after=3650)
    issuing = ca.issue("issuing", "Report Test Issuing CA", issuer=root, kind="intermediate", days_after=1800)
    upper = ca.issue("upper", "Report Test Policy CA", issuer=root, kind="intermediate", days_after=1800)
    lower = ca.issue("lower", "Report Test Lower CA", issuer=upper, kind="intermediate", days_after=1800)

    def leaf(name: str, sans: tuple, issuer=issuing, **options):
        return ca.issue(name, sans[0].split(":", 1)[1], issuer=issuer, sans=sans, **options)

    cases = {}

    def add(host, address, hostnames, status, problems, verified, parts=None, key=None, blocks=()):
        chain = ca.bundle(host, parts) if parts else None
        cases[host] = Case(host, address, list(hostnames), status, list(problems), verified, chain, key, list(blocks))

    correct = leaf("correct", ("DNS:correct.example.net",))
    add("correct", "127.0.70.1", ["correct.example.net"], "ok", [], True, [correct, issuing], correct.key)
    only = leaf("leafonly", ("DNS:leafonly.example.net",))
    add("leafonly", "127.0.70.2", ["leafonly.example.net"], "invalid", ["chain_incomplete"], False, [only], only.key)
    order = leaf("order", ("DNS:order.example.net",), issuer=lower)
    add(
        "order", "127.0.70.3", ["order.example.net"], "warning", ["chain_order"], True, [order, upper, lower], order.key
    )
    expired = leaf("expired", ("DNS:expired.example.net",), days_before=120, days_after=-3)
    add(
        "expired", "127.0.70.4", ["expired.example.net"], "expired", ["expired"], False, [expired, issuing], expired.key
    )
    rooted = leaf("rooted", ("DNS:rooted.example.net",))
    add("rooted", "127.0.70.5", ["rooted.example.net"], "ok", [], True, [rooted, issuing, root], rooted.key)
    selfsigned = ca.issue("selfsigned", "selfsigned.example.net", kind="self", sans=("DNS:selfsigned.example.net",))
    add("selfsigned", "127.0.70.6", ["selfsigned.example.net"], "invalid", ["untrusted"], False, [selfsigned],
        selfsigned.key)  # fmt: skip
    wildcard = leaf("wildcard", ("DNS:*.wild.example.net",))
    add("wildcard", "127.0.70.7", ["www.wild.example.net"], "ok", [], True, [wildcard, issuing], wildcard.key)
    other = leaf("uncovered", ("DNS:other.example.net",))
    add("uncovered", "127.0.70.8", ["uncovered.example.net"], "invalid", ["hostname_not_covered"], False,
        [other, issuing], other.key)  # fmt: skip
    p384 = leaf("p384", ("DNS:p384.example.net",), key="ec-p384")
    add("p384", "127.0.70.9", ["p384.example.net"], "ok", [], True, [p384, issuing], p384.key)
    due = leaf("due", ("DNS:due.example.net",), days_before=80, days_after=10)
    add("due", "127.0.70.10", ["due.example.net"], "renewal_due", ["renewal_due"], True, [due, issuing], due.key)
    first = leaf("sni-first", ("DNS:first.example.net",))
    second = leaf("sni-second", ("DNS:second.example.net",), key="ec-p384")
    add("sni", "127.0.70.11", ["first.example.net", "second.example.net"], "ok", [], True, blocks=[
        ("first.example.net", ca.bundle("sni-first", [first, issuing]), first.key),
        ("second.example.net", ca.bundle("sni-second", [second, issuing]), second.key),
    ])  # fmt: skip
    return root.cert, cases


def _server(address: str, port: int, name: str, chain: Path, key: Path, default: bool) -> str:
    return (
        f"  server {{\n    listen {address}:{port} ssl{' default_server' if default else ''};\n"
        f"    server_name {name};\n    ssl_certificate {chain};\n    ssl_certificate_key {key};\n"
        "    location / { return 200 'ok'; }\n  }\n"
    )


def write_config(directory: Path, port: int, cases: dict) -> Path:
    servers = []
    for case in cases.values():
        if case.blocks:
            for position, (name, chain, key) in enumerate(case.blocks):
                servers.append(_server(case.address, port, name, chain, key, position == 0))
        else:
            servers.append(_server(case.address, port, case.hostnames[0], case.chain_file, case.key_file, True))
    config = directory / "nginx.conf"
    config.write_text(
        f"worker_processes 1;\npid {directory}/nginx.pid;\nerror_log {directory}/error.log warn;\n"
        "events { worker_connections 128; }\n"
        "http {\n  access_log off;\n"
        f"  client_body_temp_path {directory}/tmp/body;\n  proxy_temp_path {directory}/tmp/proxy;\n"
        f"  fastcgi_temp_path {directory}/tmp/fastcgi;\n  uwsgi_temp_path {directory}/tmp/uwsgi;\n"
        f"  scgi_temp_path {directory}/tmp/scgi;\n" + "".join(servers) + "}\n",
        encoding="ascii",
    )
    (directory / "tmp").mkdir(exist_ok=True)
    return config


def write_inventory(path: Path, port: int, cases: dict, closed_port: int) -> None:
    """Hosts with addresses and hostnames only; one more that answers nothing."""
    hosts = {
        case.host: {
            "ansible_connection": "local",
            "bomgar_ip_addresses": [case.address],
            "bomgar_appliance_hostname": case.hostnames[0],
            "bomgar_hostnames": case.hostnames[1:],
            "bomgar_site_port": port,
        }
        for case in cases.values()
    }
    hosts["closed"] = {
        "ansible_connection": "local",
        "bomgar_ip_addresses": ["127.0.70.12"],
        "bomgar_appliance_hostname": "closed.example.net",
        "bomgar_site_port": closed_port,
    }
    path.write_text(yaml.safe_dump({"all": {"children": {"web": {"hosts": hosts}}}}), encoding="utf-8")


def _wait_listening(addresses: list, port: int, process: subprocess.Popen, log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    pending = list(addresses)
    while pending:
        if process.poll() is not None:
            raise AssertionError(f"nginx exited with {process.returncode}: {log.read_text(errors='replace')[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"nginx does not listen on {pending}: {log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection((pending[0], port), timeout=1):
                pending.pop(0)
        except OSError:
            time.sleep(0.05)


def start_site(directory: Path) -> NginxSite:
    """Make the chains with openssl, start nginx on them, write the inventory; stop() ends nginx."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    root, cases = make_cases(OpensslCA(directory / "pki", now))
    addresses = sorted({case.address for case in cases.values()})
    port = _free_port(addresses)
    closed_port = _free_port(["127.0.70.12"])
    config = write_config(directory, port, cases)
    log = directory / "error.log"
    process = subprocess.Popen(  # pylint: disable=consider-using-with  # stopped by NginxSite.stop()
        [shutil.which("nginx") or NGINX, "-p", str(directory), "-c", str(config), "-e", str(log), "-g", "daemon off;"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # The report is taken two hours after the certificates were made: no whole day left ends within the hour.
    as_of = (now + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    site = NginxSite(process, port, root, cases, directory / "inventory.yml", directory, as_of)
    try:
        _wait_listening(addresses, port, process, log)
    except BaseException:
        site.stop()
        raise
    write_inventory(site.inventory, port, cases, closed_port)
    return site


def openssl_verifies(address: str, port: int, hostname: str, root: Path) -> tuple[bool, str]:
    """What ``openssl s_client -verify_return_error -verify_hostname`` says of the chain served for ``hostname``."""
    done = subprocess.run(
        ["openssl", "s_client", "-connect", f"{address}:{port}", "-servername", hostname,
         "-verify_return_error", "-verify_hostname", hostname, "-CAfile", str(root)],
        input="", capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    verified = done.returncode == 0 and "Verify return code: 0 (ok)" in done.stdout
    lines = done.stdout.splitlines() if verified else done.stderr.splitlines()
    verdict = next((line.strip() for line in lines if "Verify return code" in line or "verify error" in line), "")
    return verified, verdict or done.stderr[-300:]
