# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line of the reference appliance: ``serve`` one appliance, run a ``fleet``, write the ``openapi`` document.

Exit status: 0 after SIGTERM/SIGINT, 2 for bad options, 75 when a port is
already in use (choose another), 1 for any other failure to start. The API
token is never printed: the ready file and the output name the token file. A
token to use is given in a file (``--token-file``) or the environment
(``BOMGAR_APPLIANCE_TOKEN``), never on the command line, where every user of
the machine could read it. The same goes for the web interface's admin password: it is made when
the state directory is, kept in ``<state-dir>/admin-password`` (0600), and the ready file names that
file (``admin_password_file``).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import logging
import os
import signal
import sys
from pathlib import Path

from .acme.service import DEFAULT_CHECK_INTERVAL, DEFAULT_HTTP_PORT
from .core import errors as pki_errors
from .core import formats, hostnames
from .errors import ApplianceError
from .fleet import MAX_FLEET_SIZE, Fleet, fleet_configs, write_inventory
from .rules_network import canonical_ip_address
from .server import AddressInUse, ApplianceConfig, ApplianceServer
from .state import TOKEN_ENV, StateError, given_token, write_file_atomic
from .web import AlterationError, parse_alteration
from .web.auth import DEFAULT_IDLE_TIMEOUT, DEFAULT_LOCKOUT

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_ADDRESS_IN_USE = 75  # EX_TEMPFAIL: try again with another port
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
DEFAULT_IP = "127.0.0.2"


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m reference_appliance",
        description="The reference Bomgar appliance: the Appliance Certificate API and the /appliance web "
        "interface over HTTPS, and site TLS on each of its loopback addresses.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{serve,fleet,openapi}")

    serve = commands.add_parser(
        "serve",
        help="run one appliance",
        description="Run one appliance: the API under /appliance/api/v1 and the web interface under /appliance "
        "(user admin, password in <state-dir>/admin-password) on one HTTPS port, and site TLS on each IP address.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_ALTERATIONS_HELP,
    )
    serve.add_argument("--state-dir", required=True, type=Path, help="state directory (created 0700)")
    serve.add_argument("--api-host", default="127.0.0.1", help="loopback address of the API (default 127.0.0.1)")
    serve.add_argument("--api-port", type=int, default=0, help="API port; 0 picks a free one (default)")
    serve.add_argument("--site-port", type=int, default=9443, help="site TLS port on every IP (default 9443)")
    serve.add_argument(
        "--ip",
        dest="ip_addresses",
        action="append",
        metavar="ADDRESS",
        help=f"an IP address in 127.0.0.0/8 (repeatable; default {DEFAULT_IP})",
    )
    serve.add_argument("--hostname", default="appliance.example.com", help="the appliance's own hostname")
    serve.add_argument("--site-hostname", default="support.example.com", help="the site hostname")
    serve.add_argument("--role", choices=("primary", "traffic-node"), default="primary")
    serve.add_argument(
        "--traffic-node",
        dest="traffic_nodes",
        action="append",
        default=[],
        metavar="HOST",
        help="a traffic node of this primary (repeatable)",
    )
    serve.add_argument("--software-version", help="software version reported by status/basics")
    serve.add_argument(
        "--trusted-root",
        dest="trusted_roots",
        action="append",
        default=[],
        metavar="FILE",
        help="a root CA certificate the software build trusts (repeatable)",
    )
    serve.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help=f"file holding the API token (else ${TOKEN_ENV}, else the stored or a new random one)",
    )
    # Refused with a message that says what to use instead: a token on the command line is visible to every user.
    serve.add_argument("--token", help=argparse.SUPPRESS)
    _add_web(serve)
    _add_acme(serve)
    _add_common(serve)

    fleet = commands.add_parser(
        "fleet",
        help="run a primary and its traffic nodes in one process",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_ALTERATIONS_HELP,
    )
    fleet.add_argument("--count", type=int, required=True, help="number of appliances (1 to 254)")
    fleet.add_argument("--state-root", required=True, type=Path, help="state of the whole fleet (created 0700)")
    fleet.add_argument("--inventory", required=True, type=Path, help="Ansible YAML inventory to write (0600)")
    fleet.add_argument("--site-hostname", default="support.example.com", help="the site hostname")
    fleet.add_argument("--domain", default="example.com", help="domain of the appliance hostnames")
    fleet.add_argument("--site-port", type=int, default=9443, help="site TLS port on every IP (default 9443)")
    fleet.add_argument("--software-version", help="software version reported by status/basics")
    fleet.add_argument(
        "--trusted-root",
        dest="trusted_roots",
        action="append",
        default=[],
        metavar="FILE",
        help="a root CA certificate the software build trusts (repeatable)",
    )
    _add_web(fleet)
    _add_acme(fleet)
    _add_common(fleet)

    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", "-o", metavar="FILE", help="write here instead of to stdout")
    return parser


_ALTERATIONS_HELP = """\
web page alterations (--web-alteration SPEC, repeatable; for tests of a client of
the pages, off by default; applied to every page in the order given):
  rename:<old text>=<new text>
      every label, button caption, heading, link text, column or row heading and
      dropdown choice that reads <old text> reads <new text>; the form still works
  remove-button:<caption>
      no page shows a button with that caption
  require-field:<page title>=<label>
      the form of the page titled <page title> (e.g. "Security :: Certificates ::
      New Certificate") gets one more required text field labelled <label>; a POST
      without a value for it is refused with "<label> is required." and changes
      nothing
"""


def _add_web(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--web-idle-timeout",
        type=float,
        default=DEFAULT_IDLE_TIMEOUT,
        metavar="SECONDS",
        help=f"a web session ends after this long without a request (default {DEFAULT_IDLE_TIMEOUT:g})",
    )
    parser.add_argument(
        "--web-login-lockout",
        type=float,
        default=DEFAULT_LOCKOUT,
        metavar="SECONDS",
        help=f"how long a client address is refused after too many failed web logins (default {DEFAULT_LOCKOUT:g})",
    )
    parser.add_argument(
        "--web-alteration",
        dest="web_alterations",
        action="append",
        default=[],
        metavar="SPEC",
        help="alter the web pages as another software version might (repeatable; tests only; see below)",
    )


def _web_options(parser, args) -> dict:
    for option, value in (
        ("--web-idle-timeout", args.web_idle_timeout),
        ("--web-login-lockout", args.web_login_lockout),
    ):
        if not 1 <= value <= 86400:
            parser.error(f"{option} {value:g} is out of range: give a number of seconds from 1 to 86400.")
    for spec in args.web_alterations:
        try:
            parse_alteration(spec)
        except AlterationError as exc:
            parser.error(str(exc))
    return {
        "web_idle_timeout": args.web_idle_timeout,
        "web_login_lockout": args.web_login_lockout,
        "web_alterations": list(args.web_alterations),
    }


def _add_acme(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--acme-http-port",
        type=int,
        default=DEFAULT_HTTP_PORT,
        metavar="PORT",
        help="plain-HTTP port on every IP answering ACME HTTP-01 challenges while ACME is on "
        f"(default {DEFAULT_HTTP_PORT}, as on a real appliance)",
    )
    parser.add_argument(
        "--acme-check-interval",
        type=float,
        default=DEFAULT_CHECK_INTERVAL,
        metavar="SECONDS",
        help=f"how often the ACME client checks whether its certificate is due (default {DEFAULT_CHECK_INTERVAL:g})",
    )


def _acme_options(parser, args) -> dict:
    _check_port(parser, "--acme-http-port", args.acme_http_port, allow_zero=False)
    if not 1 <= args.acme_check_interval <= 86400:
        parser.error(
            f"--acme-check-interval {args.acme_check_interval:g} is out of range: give a number of seconds from 1 "
            "to 86400."
        )
    return {"acme_http_port": args.acme_http_port, "acme_check_interval": args.acme_check_interval}


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ready-file", type=Path, help="JSON file written once everything listens")
    parser.add_argument("--log-level", choices=LOG_LEVELS, default="warning", help="(default warning)")


def _check_port(parser, option: str, value: int, allow_zero: bool) -> None:
    low = 0 if allow_zero else 1
    if not low <= value <= 65535:
        parser.error(f"{option} {value} is not a port: give a number from {low} to 65535.")


def _check_hostname(parser, option: str, value: str) -> str:
    if "*" in value or not hostnames.is_dns_name(value):
        parser.error(
            f"{option} {value!r} is not a fully qualified hostname: give a DNS name such as appliance.example.com."
        )
    return hostnames.normalize_dns_name(value)


def _check_loopback(parser, option: str, value: str) -> str:
    try:
        return canonical_ip_address(value)
    except ApplianceError as exc:
        parser.error(f"{option} {value}: {exc.message}")
    return value


def _trusted_root_fingerprints(parser, paths: list[str]) -> list[str]:
    fingerprints = []
    for path in paths:
        try:
            items = formats.load_file(path)
        except pki_errors.PKIError as exc:
            parser.error(f"--trusted-root {path}: {exc}")
        if any(item.kind != "certificate" for item in items):
            parser.error(f"--trusted-root {path} holds a private key: give only the root CA certificate.")
        fingerprints.extend(item.fingerprint for item in items if item.fingerprint not in fingerprints)
    return fingerprints


def _serve_config(parser, args):
    _check_port(parser, "--api-port", args.api_port, allow_zero=True)
    _check_port(parser, "--site-port", args.site_port, allow_zero=False)
    api_host = _check_loopback(parser, "--api-host", args.api_host)
    if not isinstance(ipaddress.ip_address(api_host), ipaddress.IPv4Address):
        parser.error(f"--api-host {api_host} must be an IPv4 loopback address such as 127.0.0.1.")
    addresses = list(dict.fromkeys(_check_loopback(parser, "--ip", ip) for ip in args.ip_addresses or [DEFAULT_IP]))
    if args.role == "traffic-node" and args.traffic_nodes:
        parser.error("--traffic-node is for a primary: a traffic node lists no traffic nodes. Drop --traffic-node.")
    if args.token is not None:
        parser.error(
            "--token puts the API token on the command line, where every user of this machine can read it. "
            f"Give it in a file readable only by you with --token-file FILE, or in the environment variable "
            f"{TOKEN_ENV}."
        )
    try:
        token = given_token(args.token_file)
    except StateError as exc:
        parser.error(str(exc))
    return ApplianceConfig(
        state_dir=args.state_dir.absolute(),
        hostname=_check_hostname(parser, "--hostname", args.hostname),
        site_hostname=_check_hostname(parser, "--site-hostname", args.site_hostname),
        role=args.role,
        traffic_nodes=[_check_hostname(parser, "--traffic-node", host) for host in args.traffic_nodes],
        software_version=args.software_version,
        trusted_root_fingerprints=_trusted_root_fingerprints(parser, args.trusted_roots),
        ip_addresses=addresses,
        api_host=api_host,
        api_port=args.api_port,
        site_port=args.site_port,
        token=token,
        log_level=args.log_level,
        **_web_options(parser, args),
        **_acme_options(parser, args),
    )


def _fleet_configs(parser, args):
    if not 1 <= args.count <= MAX_FLEET_SIZE:
        parser.error(f"--count {args.count}: a fleet has 1 to {MAX_FLEET_SIZE} appliances (one loopback /24 each).")
    _check_port(parser, "--site-port", args.site_port, allow_zero=False)
    domain = _check_hostname(parser, "--domain", args.domain)
    configs = fleet_configs(
        args.count,
        args.state_root.absolute(),
        domain=domain,
        site_hostname=_check_hostname(parser, "--site-hostname", args.site_hostname),
        site_port=args.site_port,
        software_version=args.software_version,
        trusted_root_fingerprints=_trusted_root_fingerprints(parser, args.trusted_roots),
        log_level=args.log_level,
    )
    web = _web_options(parser, args)
    acme = _acme_options(parser, args)
    for config in configs:
        config.web_idle_timeout = web["web_idle_timeout"]
        config.web_login_lockout = web["web_login_lockout"]
        config.web_alterations = list(web["web_alterations"])
        config.acme_http_port = acme["acme_http_port"]
        config.acme_check_interval = acme["acme_check_interval"]
    return configs


def _write_ready_file(path: Path | None, info: dict) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file_atomic(path, (json.dumps(info, indent=2) + "\n").encode("utf-8"), mode=0o644)


def _remove_ready_file(path: Path | None) -> None:
    if path is not None and path.exists():
        path.unlink()


async def _run_until_signal(start, stop, on_ready) -> None:
    """Start, report readiness, wait for SIGTERM or SIGINT, stop."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    try:
        result = await start()
        if not stopping.is_set():
            on_ready(result)
            await stopping.wait()
    finally:
        await stop()


def _serve(config, ready_file: Path | None) -> None:
    server = ApplianceServer(config)

    def on_ready(info: dict) -> None:
        _write_ready_file(ready_file, info)
        print(
            f"{info['hostname']} ({info['role']}) ready: API {info['api_url']}{info['api_prefix']}, "
            f"CA {info['ca_path']}, token in {info['token_file']}; "
            f"web {info['web_url']}, admin password in {info['admin_password_file']}; "
            f"site TLS on {', '.join(info['ip_addresses'])} port {info['site_port']}",
            flush=True,
        )

    asyncio.run(_run_until_signal(server.start, server.stop, on_ready))


def _fleet(configs, state_root: Path, inventory_path: Path, ready_file: Path | None) -> None:
    fleet = Fleet(configs, state_root, log=logging.getLogger("reference_appliance"))

    def on_ready(infos: list[dict]) -> None:
        write_inventory(inventory_path, fleet.members())
        _write_ready_file(
            ready_file,
            {
                "pid": os.getpid(),
                "count": len(infos),
                "state_root": str(state_root),
                "inventory": str(inventory_path),
                "ca_path": infos[0]["ca_path"],
                "site_port": infos[0]["site_port"],
                "appliances": infos,
            },
        )
        print(
            f"fleet of {len(infos)} ready: primary {infos[0]['hostname']} at {infos[0]['api_url']}, "
            f"inventory {inventory_path} (holds the API tokens and admin passwords, 0600), CA {infos[0]['ca_path']}",
            flush=True,
        )

    asyncio.run(_run_until_signal(fleet.start, fleet.stop, on_ready))


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "openapi":
        from .openapi import main as openapi_main

        return openapi_main(["--output", args.output] if args.output else [])

    configs = _serve_config(parser, args) if args.command == "serve" else _fleet_configs(parser, args)
    _configure_logging(args.log_level)
    _remove_ready_file(args.ready_file)
    try:
        if args.command == "serve":
            _serve(configs, args.ready_file)
        else:
            _fleet(configs, args.state_root.absolute(), args.inventory.absolute(), args.ready_file)
    except AddressInUse as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ADDRESS_IN_USE
    except (StateError, ApplianceError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        _remove_ready_file(args.ready_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
