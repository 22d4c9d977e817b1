# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet and flow benchmarks of bomgar.pki, each side by side with its baseline in the same run: ``make bench``.

For each fleet size N (reference appliances on loopback, forks 10 by default)
and for each scenario, the collection's flow and its baseline run alternately,
``--repetitions`` times each; the results are medians and their ratio:

- ``noop_converge``: the ``certificate`` role on a fleet already in its desired
  state, against a play with one ``ansible.builtin.ping`` per host;
- ``noop_converge_web``: the same no-op converge with ``bomgar_transport: web``
  (every appliance read through its /appliance pages), against the same role
  over the API;
- ``fresh_issuance``: the ``certificate`` role (local CA, RSA 2048) on a fleet
  started fresh for each repetition, against the same crypto done with
  community.crypto on the controller, one set of files per host;
- ``atlas_rollout``: ``playbooks/atlas_rollout.yml`` (a renewed certificate on
  the primary, forced, rolled out to the N-1 traffic nodes), against the ping
  play;
- ``report``: ``playbooks/report.yml`` on the converged fleet (every address
  asked over TLS as each hostname, every appliance read through its API and
  planned, the four files written), against the ping play;

and the peak resident memory of ``ansible-playbook`` and of the fleet process.
Prints a table and writes ``benchmarks/results/latest.json``; exits 0 when
everything ran, whether or not the targets are met (they are reported).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import environment
import report
from fleets import FleetError, fresh_fleet, stop_leftover_fleets
from measure import CommandFailed, Run, run_measured

ROOT = Path(__file__).resolve().parents[1]
PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
SPEC_INVENTORY = ROOT / "inventories" / "demo"
ATLAS_PLAYBOOK = ROOT / "playbooks" / "atlas_rollout.yml"
REPORT_PLAYBOOK = ROOT / "playbooks" / "report.yml"
COLLECTION_LINK = ROOT / "build" / "ansible_collections" / "bomgar" / "pki"
DEFAULT_WORK = ROOT / "build" / "bench"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "latest.json"
SCENARIO_NAMES = tuple(report.SCENARIOS)


class Bench:
    """One benchmark run: where its files go, how ansible-playbook is called, what was measured."""

    def __init__(self, args: argparse.Namespace):
        self.work: Path = args.work.absolute()
        self.forks: int = args.forks
        self.repetitions: int = args.repetitions
        self.timeout: float = args.timeout
        self.test_venv: Path = args.test_venv.absolute()
        self.bench_venv: Path = args.bench_venv.absolute()
        self.ca_dir = self.work / "ca"
        self.env = {
            **os.environ,
            "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "build"),
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
        }

    def vars_file(self, size: int, **extra) -> Path:
        """The extra variables of a run, as JSON so that booleans stay booleans."""
        variables = {
            "bench_ca_dir": str(self.ca_dir),
            "certificate_local_ca_cert": str(self.ca_dir / "issuing-ca.pem"),
            "certificate_local_ca_key": str(self.ca_dir / "issuing-ca.key"),
            "certificate_local_ca_create": False,
            "certificate_support_bundle_dir": str(self.work / f"n{size}" / "bundles"),
            "bench_crypto_dir": str(self.work / f"n{size}" / "crypto"),
            **extra,
        }
        name = "vars" + "".join(f"-{key}" for key in sorted(extra)) + ".json"
        path = self.work / f"n{size}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(variables), encoding="utf-8")
        return path

    def playbook(self, venv: Path, playbook: Path, inventory: Path | None, log: str, vars_file: Path) -> Run:
        """Run one playbook against the fleet inventory and the demo spec; raise CommandFailed when it fails."""
        argv = [str(environment.ansible_playbook(venv)), "-f", str(self.forks)]
        if inventory is not None:
            argv += ["-i", str(inventory), "-i", str(SPEC_INVENTORY)]
        else:
            argv += ["-i", "localhost,"]
        argv += ["-e", f"@{vars_file}", str(playbook)]
        run = run_measured(argv, env=self.env, cwd=ROOT, log=self.work / "logs" / log, timeout=self.timeout)
        if run.returncode != 0:
            raise CommandFailed(f"{playbook.name} exited with status {run.returncode}; see {run.log}")
        return run

    def create_ca(self) -> None:
        """The local CA both sides of the fresh issuance sign with (not timed)."""
        shutil.rmtree(self.ca_dir, ignore_errors=True)
        self.playbook(self.test_venv, PLAYBOOKS / "local_ca.yml", None, "local-ca.log", self.vars_file(0))


def record(run: Run, label: str) -> dict:
    """What the JSON keeps of one run; a progress line on the terminal."""
    changed = run.changed()
    print(
        f"    {label}: {run.seconds:7.2f} s, peak RSS {run.peak_rss_kib / 1024:.0f} MiB, changed {changed}", flush=True
    )
    return {"seconds": round(run.seconds, 4), "peak_rss_kib": run.peak_rss_kib, "changed": changed, "log": str(run.log)}


def expect(run: Run, what: str, ok: Callable[[int], bool]) -> Run:
    """Fail when a run did not do what the scenario measures (e.g. a no-op converge that changed something)."""
    if not ok(run.changed()):
        raise CommandFailed(f"{what}: changed={run.changed()} is not what this scenario measures; see {run.log}")
    return run


def side_by_side(repetitions: int, subject: Callable[[int], dict], baseline: Callable[[int], dict]) -> dict:
    """Both sides ``repetitions`` times, alternating which goes first."""
    measured: dict[str, list] = {"subject": [], "baseline": []}
    for repetition in range(repetitions):
        order = [("subject", subject), ("baseline", baseline)]
        if repetition % 2:
            order.reverse()
        for side, measure in order:
            measured[side].append(measure(repetition))
    return measured


def converged_scenarios(bench: Bench, size: int, scenarios: list[str], result: dict) -> None:
    """No-op converge, the report and Atlas rollout, on one fleet brought to its desired state first (not timed)."""
    tag = f"n{size}"
    roots = [bench.ca_dir / "root.pem"]
    with fresh_fleet(bench.work / tag / "converged", size, trusted_roots=roots) as fleet:
        print(f"  fleet of {size} ready in {fleet.start_seconds:.1f} s (pid {fleet.pid})", flush=True)
        plain = bench.vars_file(size)
        prepare = bench.playbook(
            bench.test_venv, PLAYBOOKS / "certificate.yml", fleet.inventory, f"{tag}-prepare.log", plain
        )
        print(f"  converged the fleet (not timed): {prepare.seconds:.2f} s", flush=True)

        def playbook(path: Path, log: str, vars_file: Path = plain) -> Run:
            return bench.playbook(bench.test_venv, path, fleet.inventory, f"{tag}-{log}.log", vars_file)

        def ping_for(scenario: str) -> Callable[[int], dict]:
            def ping(repetition: int) -> dict:
                run = playbook(PLAYBOOKS / "ping.yml", f"{scenario}-ping-{repetition + 1}")
                return record(run, f"ping             rep {repetition + 1}")

            return ping

        if "noop_converge" in scenarios:
            print("  noop_converge", flush=True)

            def converge(repetition: int) -> dict:
                run = playbook(PLAYBOOKS / "certificate.yml", f"noop-{repetition + 1}")
                expect(run, "no-op converge", lambda changed: changed == 0)
                return record(run, f"certificate role rep {repetition + 1}")

            measured = side_by_side(bench.repetitions, converge, ping_for("noop"))
            result["scenarios"]["noop_converge"] = report.summarise(measured)
        if "noop_converge_web" in scenarios:
            print("  noop_converge_web", flush=True)
            over = {transport: bench.vars_file(size, bomgar_transport=transport) for transport in ("api", "web")}

            def converge_over(transport: str) -> Callable[[int], dict]:
                def converge(repetition: int) -> dict:
                    run = playbook(PLAYBOOKS / "certificate.yml", f"noop-{transport}-{repetition + 1}", over[transport])
                    expect(run, f"no-op converge over {transport}", lambda changed: changed == 0)
                    return record(run, f"role over {transport:4} rep {repetition + 1}")

                return converge

            measured = side_by_side(bench.repetitions, converge_over("web"), converge_over("api"))
            result["scenarios"]["noop_converge_web"] = report.summarise(measured)
        if "report" in scenarios:
            print("  report", flush=True)
            report_vars = bench.vars_file(
                size,
                report_group="bomgar_site",
                report_dir=str(bench.work / tag / "report"),
                report_ca_bundle=str(bench.ca_dir / "root.pem"),
            )

            def report_run(repetition: int) -> dict:
                run = playbook(REPORT_PLAYBOOK, f"report-{repetition + 1}", report_vars)
                return record(run, f"report playbook  rep {repetition + 1}")

            measured = side_by_side(bench.repetitions, report_run, ping_for("report"))
            result["scenarios"]["report"] = report.summarise(measured)
        if "atlas_rollout" in scenarios:
            if size < 2:
                result["scenarios"]["atlas_rollout"] = {
                    "subject": [],
                    "baseline": [],
                    "skipped": "no traffic nodes at N = 1",
                }
            else:
                print("  atlas_rollout", flush=True)
                forced = bench.vars_file(size, certificate_force=True)

                def rollout(repetition: int) -> dict:
                    run = playbook(ATLAS_PLAYBOOK, f"atlas-{repetition + 1}", forced)
                    expect(run, "Atlas rollout", lambda changed: changed >= size)
                    return record(run, f"atlas rollout    rep {repetition + 1}")

                measured = side_by_side(bench.repetitions, rollout, ping_for("atlas"))
                result["scenarios"]["atlas_rollout"] = report.summarise(measured)
        result["fleet_peaks_kib"].append(fleet.peak_rss_kib())


def fresh_issuance(bench: Bench, size: int, result: dict) -> None:
    """The role on a fleet started fresh for each repetition, against community.crypto; both from the bench venv."""
    tag = f"n{size}"
    plain = bench.vars_file(size)
    crypto_dir = bench.work / tag / "crypto"
    measured: dict[str, list] = {"subject": [], "baseline": []}
    print("  fresh_issuance", flush=True)
    for repetition in range(bench.repetitions):
        roots = [bench.ca_dir / "root.pem"]
        with fresh_fleet(bench.work / tag / "fresh", size, trusted_roots=roots) as fleet:

            def role(rep: int = repetition, inventory: Path = fleet.inventory) -> dict:
                run = bench.playbook(
                    bench.bench_venv, PLAYBOOKS / "certificate.yml", inventory, f"{tag}-fresh-{rep + 1}.log", plain
                )
                expect(run, "fresh issuance", lambda changed: changed >= size)
                return record(run, f"certificate role rep {rep + 1}")

            def crypto(rep: int = repetition, inventory: Path = fleet.inventory) -> dict:
                shutil.rmtree(crypto_dir, ignore_errors=True)
                run = bench.playbook(
                    bench.bench_venv, PLAYBOOKS / "crypto_baseline.yml", inventory, f"{tag}-crypto-{rep + 1}.log", plain
                )
                expect(run, "community.crypto baseline", lambda changed: changed >= 3 * size)
                return record(run, f"community.crypto rep {rep + 1}")

            order = [("subject", role), ("baseline", crypto)]
            if repetition % 2:
                order.reverse()
            for side, measure in order:
                measured[side].append(measure())
            result["fleet_peaks_kib"].append(fleet.peak_rss_kib())
    result["scenarios"]["fresh_issuance"] = report.summarise(measured)


def run_size(bench: Bench, size: int, chosen: list[str], skipped: set[tuple[int, str]], result: dict) -> None:
    """Every chosen scenario at one fleet size, into ``result``; a scenario that fails is recorded with its error."""
    result.update(scenarios={}, fleet_peaks_kib=[])
    print(f"\n== N = {size}", flush=True)
    scenarios = [name for name in chosen if (size, name) not in skipped]
    for name in chosen:
        if name not in scenarios:
            result["scenarios"][name] = {"subject": [], "baseline": [], "skipped": "left out with --skip"}
    steps = []
    if {"noop_converge", "noop_converge_web", "atlas_rollout", "report"} & set(scenarios):
        steps.append(("converged fleet", lambda: converged_scenarios(bench, size, scenarios, result)))
    if "fresh_issuance" in scenarios:
        steps.append(("fresh_issuance", lambda: fresh_issuance(bench, size, result)))
    for name, step in steps:
        try:
            step()
        except (CommandFailed, FleetError) as exc:
            print(f"  {name} FAILED: {exc}", flush=True)
            result.setdefault("errors", []).append(f"{name}: {exc}")
    result["fleet_peak_rss_kib"] = report.fleet_peak_kib(result)


def write_results(output: Path, document: dict, sizes: dict[int, dict], started: float) -> list[dict]:
    """Write the JSON document with what is measured so far; the verdicts on the targets."""
    verdicts = report.evaluate(sizes)
    document["sizes"] = {str(size): result for size, result in sizes.items()}
    document["targets"] = verdicts
    document["duration_s"] = round(time.monotonic() - started, 1)
    report.write_json(output, document)
    return verdicts


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python benchmarks/run.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default="1,25,100", help="fleet sizes, comma-separated (default %(default)s)")
    parser.add_argument("--repetitions", type=int, default=3, help="runs of each side (default %(default)s)")
    parser.add_argument("--forks", type=int, default=10, help="ansible-playbook --forks (default %(default)s)")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIO_NAMES),
        help="comma-separated subset of %(default)s",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="N:SCENARIO",
        help="leave out one scenario at one size, e.g. 100:fresh_issuance (repeatable); reported as skipped",
    )
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="fleets, logs, files (default %(default)s)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the JSON results (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed for one playbook run")
    parser.add_argument("--test-venv", type=Path, default=environment.TEST_VENV)
    parser.add_argument("--bench-venv", type=Path, default=environment.BENCH_VENV)
    args = parser.parse_args(argv)
    args.size_list = sorted({int(size) for size in args.sizes.split(",") if size.strip()})
    args.scenario_list = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(args.scenario_list) - set(SCENARIO_NAMES)
    if unknown or not args.scenario_list:
        parser.error(f"unknown scenarios {sorted(unknown)}; choose from {', '.join(SCENARIO_NAMES)}")
    args.skipped = set()
    for entry in args.skip:
        size, _sep, name = entry.partition(":")
        if not size.strip().isdigit() or name not in SCENARIO_NAMES:
            parser.error(f"--skip {entry}: give N:SCENARIO, SCENARIO one of {', '.join(SCENARIO_NAMES)}")
        args.skipped.add((int(size), name))
    if args.repetitions < 1 or not args.size_list or min(args.size_list) < 1:
        parser.error("--repetitions and every size must be at least 1")
    return args


def stop_on_sigterm(signum: int, frame) -> None:
    """SIGTERM ends the run like Ctrl-C: the running playbook is killed and every fleet is stopped."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    bench = Bench(args)
    try:
        environment.check_venvs(bench.test_venv, bench.bench_venv, "fresh_issuance" in args.scenario_list)
    except environment.EnvironmentMissing as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    if not COLLECTION_LINK.exists():
        COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(ROOT, COLLECTION_LINK.parent), COLLECTION_LINK)
    bench.work.mkdir(parents=True, exist_ok=True)
    stop_leftover_fleets(bench.work)
    started = time.monotonic()
    document = {
        "started_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": environment.machine(),
        "versions": {
            "test_venv": environment.venv_versions(bench.test_venv),
            "bench_venv": environment.venv_versions(bench.bench_venv),
        },
        "settings": {
            "sizes": args.size_list,
            "repetitions": args.repetitions,
            "forks": args.forks,
            "scenarios": args.scenario_list,
            "skipped": sorted(f"{size}:{name}" for size, name in args.skipped),
        },
        "scenarios": {name: vars(scenario) for name, scenario in report.SCENARIOS.items()},
        "sizes": {},
    }
    sizes: dict[int, dict] = {}
    try:
        bench.create_ca()
        for size in args.size_list:
            sizes[size] = {}  # filled scenario by scenario: an interrupted size keeps what finished
            run_size(bench, size, args.scenario_list, args.skipped, sizes[size])
            write_results(args.output, document, sizes, started)  # what is measured so far survives a kill
    except (CommandFailed, KeyboardInterrupt) as exc:
        document["interrupted"] = str(exc) or type(exc).__name__
        print(f"\nbench stopped early: {document['interrupted']}", file=sys.stderr)
    finally:
        stop_leftover_fleets(bench.work)
    verdicts = write_results(args.output, document, sizes, started)
    print("\n" + report.table(sizes, verdicts))
    print(f"\nresults: {args.output}")
    return 1 if "interrupted" in document or any(result.get("errors") for result in sizes.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
