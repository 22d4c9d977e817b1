# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop Pebble, the ACME test CA, and pebble-challtestsrv, its DNS, in the background.

For the molecule scenario ``acme`` and ``make demo PROVIDER=acme``. The processes are started by the helper the
tests use (``tests/pebble.py``: Debian's ``pebble`` package, strict mode, free loopback ports).

``python scripts/pebble_lab.py start --dir DIR`` runs a keeper process detached from the caller (its own
session, output in ``DIR/lab.log``) that starts challtestsrv and Pebble, writes Pebble's root to
``DIR/roots.pem`` and the lab's addresses to ``DIR/lab.json``, then waits. It prints what ``lab.json`` holds:

- ``directory_url``: the ACME directory (HTTPS);
- ``ca_bundle``: the CA file to trust for ``directory_url`` (``certificate_acme_ca_path``);
- ``roots``: the root Pebble issues under, PEM (new on every start of Pebble);
- ``challtestsrv_url``: challtestsrv's management API (``challtestsrv_url`` of examples/acme/dns-challtestsrv.yml);
- ``dns_port``, ``http_port``, ``pid`` (the keeper) and ``pids`` (Pebble and challtestsrv).

A lab already running in ``DIR`` is reused. ``python scripts/pebble_lab.py stop --dir DIR`` sends SIGTERM to the
keeper named in ``DIR/lab.json`` (only when that process is this directory's keeper), which stops both processes;
SIGKILL after the timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleet import log_tail, process_command_line, terminate

ROOT = Path(__file__).resolve().parents[1]
PEBBLE_HELPER = ROOT / "tests" / "pebble.py"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0
KEEPER_POLL = 0.5


class LabError(Exception):
    """The lab could not be started or stopped; the message says why."""


def pebble_helper():
    """``tests/pebble.py``, loaded from its file (it is a pytest plugin module, not a package)."""
    name = "bomgar_pki_tests_pebble"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PEBBLE_HELPER)
    if spec is None or spec.loader is None:
        raise LabError(f"cannot load {PEBBLE_HELPER}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:
        del sys.modules[name]
        raise LabError(
            f"{PEBBLE_HELPER.relative_to(ROOT)} needs {exc.name}: run with the collection's venv (make venv)"
        ) from exc
    return module


def lab_paths(directory: Path) -> dict[str, Path]:
    """Where a lab in ``directory`` keeps its state file, Pebble's root, its log and Pebble's own files."""
    directory = Path(directory).absolute()
    return {
        "dir": directory,
        "state": directory / "lab.json",
        "roots": directory / "roots.pem",
        "log": directory / "lab.log",
        "pebble": directory / "pebble",
    }


def is_keeper_process(pid: int, directory: Path) -> bool:
    """Whether ``pid`` is a running keeper of the lab in ``directory``."""
    argv = process_command_line(pid)
    return any(part.endswith("pebble_lab.py") for part in argv) and "serve" in argv and str(directory) in argv


def running_lab(directory: Path) -> dict | None:
    """The state of the lab running in ``directory``, or None (a stale state file is removed)."""
    paths = lab_paths(directory)
    try:
        info = json.loads(paths["state"].read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if is_keeper_process(int(info.get("pid", 0)), paths["dir"]):
        return info
    with contextlib.suppress(FileNotFoundError):
        paths["state"].unlink()
    return None


def _write_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.chmod(mode)
    partial.replace(path)


def serve(directory: Path) -> int:
    """The keeper: start challtestsrv and Pebble, write the state file, and stop both on SIGTERM or SIGINT, or
    when one of them ends."""
    paths = lab_paths(directory)
    helper = pebble_helper()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    try:
        lab = helper.start_pebble(paths["pebble"])
    except (AssertionError, RuntimeError, OSError) as exc:
        print(f"error: Pebble did not start: {exc}", file=sys.stderr, flush=True)
        return 1
    try:
        _write_atomically(paths["roots"], lab.roots_pem())
        info = {
            "pid": os.getpid(),
            "pids": [process.pid for process in lab.processes],
            "directory_url": lab.directory_url,
            "ca_bundle": str(lab.ca_bundle_path),
            "roots": str(paths["roots"]),
            "challtestsrv_url": f"http://127.0.0.1:{lab.challtestsrv_port}",
            "dns_port": lab.dns_port,
            "http_port": lab.http_port,
            "log_dir": str(lab.directory),
        }
        _write_atomically(paths["state"], json.dumps(info, indent=2) + "\n")
        print(f"Pebble ready: {lab.directory_url}; challtestsrv {info['challtestsrv_url']}", flush=True)
        while not stop.wait(KEEPER_POLL):
            ended = [process for process in lab.processes if process.poll() is not None]
            if ended:
                print(
                    f"error: {ended[0].args[0]} ended with status {ended[0].returncode}; see {lab.directory}",
                    file=sys.stderr,
                    flush=True,
                )
                return 1
        return 0
    finally:
        with contextlib.suppress(FileNotFoundError):
            paths["state"].unlink()
        lab.stop()


def start_lab(directory: Path, timeout: float = START_TIMEOUT) -> tuple[dict, bool]:
    """Start a lab in ``directory``, or reuse the one running there; its state and whether it started."""
    paths = lab_paths(directory)
    info = running_lab(directory)
    if info is not None:
        return info, False
    helper = pebble_helper()
    if not helper.pebble_available():
        raise LabError(f"{helper.PEBBLE} and {helper.CHALLTESTSRV} are not on PATH: {helper._INSTALL_HINT}")
    paths["dir"].mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, str(Path(__file__).resolve()), "serve", "--dir", str(paths["dir"])]
    with open(paths["log"], "ab") as log:
        keeper = subprocess.Popen(  # runs on after this script ends; stopped with `stop`
            argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if keeper.poll() is not None:
            raise LabError(f"Pebble's keeper exited with status {keeper.returncode}:\n{log_tail(paths['log'])}")
        info = running_lab(directory)
        if info is not None and info["pid"] == keeper.pid:
            return info, True
        time.sleep(0.1)
    keeper.kill()
    keeper.wait(STOP_TIMEOUT)
    raise LabError(f"Pebble was not ready within {timeout:g} s:\n{log_tail(paths['log'])}")


def stop_lab(directory: Path, timeout: float = STOP_TIMEOUT) -> bool:
    """Stop the lab running in ``directory``: SIGTERM to its keeper, SIGKILL after ``timeout``; whether one ran."""
    paths = lab_paths(directory)
    info = running_lab(directory)
    if info is None:
        return False
    if terminate(int(info["pid"]), lambda pid: is_keeper_process(pid, paths["dir"]), timeout):
        # The keeper did not stop in time: its Pebble and challtestsrv go with it.
        for child in info.get("pids", []):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(child), signal.SIGKILL)
    with contextlib.suppress(FileNotFoundError):
        paths["state"].unlink()
    return True


def main(argv: list[str] | None = None) -> int:
    """Command line: ``start``, ``stop`` (and ``serve``, the keeper); prints one JSON object."""
    parser = argparse.ArgumentParser(
        prog="python scripts/pebble_lab.py", description=__doc__.split("\n\n", maxsplit=1)[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start Pebble and challtestsrv in the background (or reuse them)")
    start.add_argument("--dir", required=True, type=Path, help="directory of the lab's state, files and logs")
    start.add_argument("--timeout", type=float, default=START_TIMEOUT)
    stop = commands.add_parser("stop", help="stop the lab running in a directory")
    stop.add_argument("--dir", required=True, type=Path)
    stop.add_argument("--timeout", type=float, default=STOP_TIMEOUT)
    keeper = commands.add_parser("serve", help="run the lab in the foreground until SIGTERM (what start runs)")
    keeper.add_argument("--dir", required=True, type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args.dir.absolute())
        if args.command == "start":
            info, started = start_lab(args.dir, args.timeout)
            print(json.dumps({"started": started, **info}))
        else:
            print(json.dumps({"stopped": stop_lab(args.dir, args.timeout)}))
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
