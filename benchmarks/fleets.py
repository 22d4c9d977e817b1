# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reference appliance fleets for the benchmarks: started fresh, always stopped, their peak memory read first.

A thin layer over ``scripts/fleet.py`` (the same start and stop as molecule
and the demo use): ``fresh_fleet`` removes what an earlier run left in the
directory, starts ``count`` appliances, and stops them when the ``with`` block
ends, also on errors and on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 300.0  # a fleet of 100 makes 100 factory certificates before it is ready
sys.path.insert(0, str(ROOT / "scripts"))

from fleet import FleetError, fleet_paths, running_fleet, start_fleet, stop_fleet  # noqa: E402
from measure import peak_rss_of_process_kib  # noqa: E402

__all__ = ["BenchFleet", "FleetError", "fresh_fleet", "stop_leftover_fleets"]


@dataclasses.dataclass
class BenchFleet:
    """A running fleet: its size, process id, inventory, and how long it took to be ready."""

    count: int
    pid: int
    inventory: Path
    start_seconds: float

    def peak_rss_kib(self) -> int | None:
        """The fleet process's peak resident memory so far (``VmHWM``)."""
        return peak_rss_of_process_kib(self.pid)


@contextlib.contextmanager
def fresh_fleet(directory: Path, count: int, trusted_roots: list[Path] | None = None) -> Iterator[BenchFleet]:
    """Start a fleet of ``count`` appliances with empty state in ``directory``; stop it on the way out.

    ``trusted_roots``: root CA certificates the appliances' software trusts (so a new certificate from
    that CA needs no support bundle for the vendor).
    """
    stop_fleet(directory)  # one left behind by an interrupted run
    shutil.rmtree(directory, ignore_errors=True)
    started = time.perf_counter()
    info = start_fleet(directory, count, trusted_roots=trusted_roots, timeout=START_TIMEOUT)[0]
    try:
        yield BenchFleet(
            count=count,
            pid=int(info["pid"]),
            inventory=fleet_paths(directory)["inventory"],
            start_seconds=time.perf_counter() - started,
        )
    finally:
        stop_fleet(directory)


def stop_leftover_fleets(work: Path) -> None:
    """Stop any fleet an interrupted benchmark left running under ``work`` (only those, by their ready files)."""
    for ready in sorted(work.glob("**/ready.json")):
        if running_fleet(ready.parent) is not None:
            stop_fleet(ready.parent)
