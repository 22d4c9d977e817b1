# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the time of a playbook goes, per task: ``ansible-playbook`` in-process, its workers profiled.

ansible.builtin has no task profiler and ansible.posix is not installed. This
runs ``ansible-playbook`` in this interpreter (use the venv's python) with
each worker process (one per host and task) timed and, with ``--cprofile DIR``,
profiled by cProfile into ``DIR/worker-<pid>.prof`` (and ``DIR/main.prof`` for
the controller). It prints per task: hosts, total and mean CPU seconds of the
workers, and the top cumulative entries of the workers' merged profile.

    .venv/bin/python benchmarks/profile_tasks.py [--cprofile DIR] -- -i INVENTORY PLAYBOOK ...
"""

from __future__ import annotations

import argparse
import cProfile
import glob
import json
import os
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path


def _patch_workers(records: Path, profiles: Path | None) -> None:
    """Time (and profile) ``WorkerProcess._run``; each worker appends one JSON line to ``records``."""
    from ansible.executor.process import worker

    original = worker.WorkerProcess._run

    def timed_run(self):
        profiler = cProfile.Profile() if profiles else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        try:
            return original(self)
        finally:
            if profiler:
                profiler.disable()
                profiler.dump_stats(str(profiles / f"worker-{os.getpid()}.prof"))
            line = {
                "task": self._task.get_name(),
                "host": self._host.name,
                "cpu_s": time.process_time() - cpu,
                "wall_s": time.perf_counter() - wall,
            }
            with open(records, "a", encoding="utf-8") as output:
                output.write(json.dumps(line) + "\n")

    worker.WorkerProcess._run = timed_run


def summary(records: Path) -> list[tuple[str, int, float, float]]:
    """Per task in order of first appearance: hosts, total worker CPU seconds, mean wall seconds."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for line in records.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        total = totals[entry["task"]]
        total[0] += 1
        total[1] += entry["cpu_s"]
        total[2] += entry["wall_s"]
    return [(task, int(hosts), cpu, wall / hosts) for task, (hosts, cpu, wall) in totals.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--cprofile", type=Path, help="write cProfile files of the workers and the controller here")
    parser.add_argument("--top", type=int, default=25, help="entries of the merged worker profile to print")
    parser.add_argument("playbook_args", nargs=argparse.REMAINDER, help="-- then the ansible-playbook arguments")
    args = parser.parse_args(argv)
    playbook_args = [arg for arg in args.playbook_args if arg != "--"]
    if args.cprofile:
        args.cprofile.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        records = Path(scratch) / "tasks.jsonl"
        records.touch()
        _patch_workers(records, args.cprofile)
        from ansible.cli.playbook import PlaybookCLI

        controller = cProfile.Profile() if args.cprofile else None
        started = time.perf_counter()
        if controller:
            controller.enable()
        try:
            status = PlaybookCLI(["ansible-playbook", *playbook_args]).run()
        finally:
            if controller:
                controller.disable()
                controller.dump_stats(str(args.cprofile / "main.prof"))
        elapsed = time.perf_counter() - started
        rows = summary(records)
    workers, cpu_total = sum(row[1] for row in rows), sum(row[2] for row in rows)
    print(f"\nwall {elapsed:.2f} s; worker CPU {cpu_total:.2f} s in {workers} workers")
    print(f"{'hosts':>5} {'CPU s':>7} {'CPU/host':>8} {'wall/host':>9}  task")
    for task, hosts, cpu, wall in sorted(rows, key=lambda row: -row[2]):
        print(f"{hosts:>5} {cpu:7.2f} {cpu / hosts:8.3f} {wall:9.3f}  {task}")
    if args.cprofile:
        files = sorted(glob.glob(str(args.cprofile / "worker-*.prof")))
        if files:
            print(f"\nmerged profile of {len(files)} workers, top {args.top} by cumulative time:")
            stats = pstats.Stats(files[0], stream=sys.stdout)
            for name in files[1:]:
                stats.add(name)
            stats.files = []  # not one header line per worker
            stats.strip_dirs().sort_stats("cumulative").print_stats(args.top)
    return status


if __name__ == "__main__":
    sys.exit(main())
