# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop a fleet of reference appliances in the background, for molecule and the demo.

``python scripts/fleet.py start --dir DIR --count N`` runs
``python -m reference_appliance fleet`` detached from the caller (its own
session, output in ``DIR/logs/``), waits for its ready file, and prints the
ready information as JSON. The fleet keeps its state in ``DIR/state`` and
writes its inventory to ``DIR/inventory.yml`` (0600: it holds the API tokens).
A fleet already running in ``DIR`` is reused. The site port is the one given
with ``--site-port`` when it is free, else a random free one.

``python scripts/fleet.py stop --dir DIR`` sends SIGTERM to the process named
in ``DIR/ready.json`` (only when that process is this directory's fleet) and
waits for it to end; SIGKILL after the timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXIT_ADDRESS_IN_USE = 75
PORT_ATTEMPTS = 8
SITE_PORT_RANGE = (10000, 19999)  # apart from the test fixtures' range and below the ephemeral ports
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


class FleetError(Exception):
    """The fleet could not be started or stopped; the message says why."""


def fleet_paths(directory: Path) -> dict[str, Path]:
    """Where a fleet in ``directory`` keeps its state, inventory, ready file and logs."""
    directory = Path(directory).absolute()
    return {
        "dir": directory,
        "state": directory / "state",
        "inventory": directory / "inventory.yml",
        "ready": directory / "ready.json",
        "logs": directory / "logs",
    }


def fleet_addresses(count: int) -> list[str]:
    """The loopback addresses of a fleet of ``count`` (appliance ``i`` owns 127.0.{i+1}.2)."""
    return [f"127.0.{index + 1}.2" for index in range(count)]


def port_is_free(addresses: list[str], port: int) -> bool:
    """Whether ``port`` can be bound on every one of ``addresses`` right now."""
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


def candidate_ports(addresses: list[str], preferred: int | None) -> list[int]:
    """The site ports to try, in order: ``preferred`` when it is free, then random free ones."""
    ports = [preferred] if preferred and port_is_free(addresses, preferred) else []
    while len(ports) < PORT_ATTEMPTS:
        port = random.randint(*SITE_PORT_RANGE)
        if port not in ports and port_is_free(addresses, port):
            ports.append(port)
    return ports


def process_command_line(pid: int) -> list[str]:
    """The command line of process ``pid``, or an empty list when no such process runs."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return []
    if state.rsplit(")", 1)[-1].split()[:1] == ["Z"]:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def is_fleet_process(pid: int, state_dir: Path) -> bool:
    """Whether ``pid`` is a running ``reference_appliance fleet`` with its state in ``state_dir``."""
    argv = process_command_line(pid)
    return "reference_appliance" in argv and "fleet" in argv and str(state_dir) in argv


def running_fleet(directory: Path) -> dict | None:
    """The ready information of the fleet running in ``directory``, or None (a stale ready file is removed)."""
    paths = fleet_paths(directory)
    try:
        info = json.loads(paths["ready"].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if is_fleet_process(int(info.get("pid", 0)), paths["state"]):
        return info
    with contextlib.suppress(FileNotFoundError):
        paths["ready"].unlink()
    return None


def log_tail(path: Path, size: int = 4000) -> str:
    """The end of a log file, or nothing when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-size:]
    except OSError:
        return ""


def _launch(paths: dict[str, Path], count: int, port: int, trusted_roots: list[Path]) -> subprocess.Popen:
    argv = [sys.executable, "-m", "reference_appliance", "fleet", "--count", str(count)]
    argv += ["--state-root", str(paths["state"]), "--inventory", str(paths["inventory"])]
    argv += ["--ready-file", str(paths["ready"]), "--site-port", str(port)]
    for root in trusted_roots:
        argv += ["--trusted-root", str(Path(root).absolute())]
    paths["logs"].mkdir(parents=True, exist_ok=True)
    with open(paths["logs"] / "fleet.out", "wb") as stdout, open(paths["logs"] / "fleet.err", "wb") as stderr:
        return subprocess.Popen(  # runs on after this script ends; stopped with `stop`
            argv,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )


def _wait_ready(process: subprocess.Popen, ready: Path, timeout: float) -> dict | None:
    """The ready information once the file appears; None when the process ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready.exists():
            with contextlib.suppress(ValueError):
                return json.loads(ready.read_text(encoding="utf-8"))
        if process.poll() is not None:
            return None
        time.sleep(0.05)
    process.kill()
    process.wait(STOP_TIMEOUT)
    raise FleetError(f"the fleet was not ready within {timeout:g} s; see {ready.parent / 'logs'}")


def start_fleet(
    directory: Path,
    count: int,
    site_port: int | None = None,
    trusted_roots: list[Path] | None = None,
    timeout: float = START_TIMEOUT,
) -> tuple[dict, bool]:
    """Start a fleet in ``directory``, or reuse the one running there; its ready information and whether it started."""
    paths = fleet_paths(directory)
    info = running_fleet(directory)
    if info is not None:
        return info, False
    paths["dir"].mkdir(parents=True, exist_ok=True)
    addresses = fleet_addresses(count)
    for port in candidate_ports(addresses, site_port):
        process = _launch(paths, count, port, list(trusted_roots or []))
        info = _wait_ready(process, paths["ready"], timeout)
        if info is not None:
            return info, True
        if process.returncode != EXIT_ADDRESS_IN_USE:
            raise FleetError(
                f"the fleet exited with status {process.returncode} before it was ready:\n"
                f"{log_tail(paths['logs'] / 'fleet.err')}"
            )
    raise FleetError(f"no free site port for {', '.join(addresses)} after {PORT_ATTEMPTS} attempts")


def stop_fleet(directory: Path, timeout: float = STOP_TIMEOUT) -> bool:
    """Stop the fleet running in ``directory``: SIGTERM, then SIGKILL after ``timeout``; whether one was running."""
    paths = fleet_paths(directory)
    info = running_fleet(directory)
    if info is None:
        return False
    terminate(int(info["pid"]), lambda pid: is_fleet_process(pid, paths["state"]), timeout)
    with contextlib.suppress(FileNotFoundError):
        paths["ready"].unlink()
    return True


def terminate(pid: int, still_running, timeout: float) -> bool:
    """SIGTERM ``pid``, then SIGKILL once ``timeout`` has passed while ``still_running(pid)``; whether it was killed."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while still_running(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            return True
        time.sleep(0.05)
    return False


def public_info(info: dict) -> dict:
    """What the ready file says about a fleet, for printing (it holds no token; token files are only named)."""
    return {
        "pid": info["pid"],
        "inventory": info["inventory"],
        "ca_path": info["ca_path"],
        "site_port": info["site_port"],
        "appliances": [
            {key: member[key] for key in ("hostname", "role", "ip_addresses", "api_url")}
            for member in info["appliances"]
        ],
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: ``start`` or ``stop``; prints one JSON object."""
    parser = argparse.ArgumentParser(prog="python scripts/fleet.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start a fleet in the background (or reuse the running one)")
    start.add_argument("--dir", required=True, type=Path, help="directory of the fleet's state, inventory, logs")
    start.add_argument("--count", type=int, default=3, help="appliances: a primary and count-1 traffic nodes")
    start.add_argument("--site-port", type=int, help="preferred site TLS port (default: a random free one)")
    start.add_argument("--trusted-root", dest="trusted_roots", action="append", default=[], type=Path)
    start.add_argument("--timeout", type=float, default=START_TIMEOUT)
    stop = commands.add_parser("stop", help="stop the fleet running in a directory")
    stop.add_argument("--dir", required=True, type=Path)
    stop.add_argument("--timeout", type=float, default=STOP_TIMEOUT)
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            info, started = start_fleet(args.dir, args.count, args.site_port, args.trusted_roots, args.timeout)
            print(json.dumps({"started": started, **public_info(info)}))
        else:
            print(json.dumps({"stopped": stop_fleet(args.dir, args.timeout)}))
    except FleetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
