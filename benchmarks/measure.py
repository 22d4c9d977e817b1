# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run one command and measure it: wall-clock seconds and peak resident memory, without psutil.

The peak resident memory of a command is ``ru_maxrss`` of the ``rusage`` that
``os.wait4`` returns for it: on Linux the largest resident set of that process
or of any descendant it waited for (for ``ansible-playbook``: the controller
or its biggest worker). The peak of a long-running process (the fleet) is
``VmHWM`` in ``/proc/<pid>/status``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import signal
import subprocess
import time
from pathlib import Path

RECAP_LINE = re.compile(
    r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)"
)


@dataclasses.dataclass
class Run:
    """One measured command: what ran, how long it took, its peak memory and its exit status."""

    argv: list[str]
    seconds: float
    peak_rss_kib: int
    returncode: int
    log: Path

    def recap(self) -> dict[str, dict[str, int]]:
        """The PLAY RECAP of an ``ansible-playbook`` run: per host, its ok/changed/unreachable/failed counts."""
        counts: dict[str, dict[str, int]] = {}
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            match = RECAP_LINE.match(line)
            if match:
                host = match.group("host")
                counts[host] = {key: int(value) for key, value in match.groupdict().items() if key != "host"}
        return counts

    def changed(self) -> int:
        """How many tasks reported ``changed`` over all hosts (the last recap per host)."""
        return sum(host["changed"] for host in self.recap().values())


class CommandFailed(Exception):
    """A measured command ended with a non-zero status; the message names its log."""


def run_measured(argv: list[str], *, env: dict[str, str], cwd: Path, log: Path, timeout: float) -> Run:
    """Run ``argv`` with its output in ``log``; its wall-clock time and the peak RSS of its process tree."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a timeout ends the workers too
        )
        status, usage = _wait(process, timeout)
        seconds = time.perf_counter() - started
    returncode = os.waitstatus_to_exitcode(status)
    process.returncode = returncode  # reaped here, not by Popen
    return Run(argv=list(argv), seconds=seconds, peak_rss_kib=usage.ru_maxrss, returncode=returncode, log=log)


def _wait(process: subprocess.Popen, timeout: float):
    """``os.wait4`` on ``process``; after ``timeout`` seconds, or on Ctrl-C, its process group is killed."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                return status, usage
            time.sleep(0.01)
    except BaseException:
        _kill_group(process)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(process.pid, 0)
        raise
    _kill_group(process)
    return os.wait4(process.pid, 0)[1:]


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL to the process group of ``process`` (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def peak_rss_of_process_kib(pid: int) -> int | None:
    """``VmHWM`` of a running process in KiB (its peak resident set so far), or None when it cannot be read."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+)\s+kB", status, re.MULTILINE)
    return int(match.group(1)) if match else None
