# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Medians, ratios and targets of a benchmark run: the table on the terminal and the JSON document.

Every figure of a scenario is a ratio of medians measured in the same run: the
collection's flow against its baseline, repetitions alternating. A target names
the scenario, the fleet size it applies to and the largest ratio allowed; the
fleet's memory target is a plain limit in bytes.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from pathlib import Path

GIB = 1024**3


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A flow of the collection and the baseline it is measured against."""

    name: str
    subject: str
    baseline: str


SCENARIOS = {
    scenario.name: scenario
    for scenario in (
        Scenario("noop_converge", "certificate role, fleet already converged", "ansible.builtin.ping, one per host"),
        Scenario(
            "fresh_issuance",
            "certificate role, local CA, RSA 2048, fresh fleet",
            "community.crypto openssl_privatekey + openssl_csr + x509_certificate (ownca), per host",
        ),
        Scenario("atlas_rollout", "atlas_rollout playbook, one certificate to N-1 nodes", "ansible.builtin.ping"),
        Scenario(
            "noop_converge_web",
            "certificate role, fleet already converged, transport: web",
            "the same role and fleet, transport: api",
        ),
        Scenario(
            "report",
            "report playbook: TLS to every address and hostname, API reads and plans, four files",
            "ansible.builtin.ping, one per host",
        ),
    )
}


@dataclasses.dataclass(frozen=True)
class Target:
    """The largest ratio (or, for memory, bytes) a scenario may reach at one fleet size."""

    name: str
    size: int
    limit: float
    unit: str  # "ratio" or "bytes"

    def describe(self) -> str:
        if self.unit == "bytes":
            return f"fleet peak memory <= {self.limit / GIB:g} GiB at N = {self.size}"
        return f"{self.name} <= {self.limit:g} x baseline at N = {self.size}"


TARGETS = (
    Target("noop_converge", 100, 0.5, "ratio"),
    Target("fresh_issuance", 25, 0.5, "ratio"),
    Target("atlas_rollout", 100, 1.0, "ratio"),
    Target("report", 100, 0.3, "ratio"),
    Target("noop_converge_web", 100, 2.0, "ratio"),
    Target("fleet_memory", 100, 2 * GIB, "bytes"),
)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(measured: dict) -> dict:
    """Add the medians and the ratio to one scenario's measured runs (``subject`` and ``baseline`` lists)."""
    subject = [run["seconds"] for run in measured["subject"]]
    baseline = [run["seconds"] for run in measured["baseline"]]
    subject_median, baseline_median = median(subject), median(baseline)
    ratio = subject_median / baseline_median if subject_median is not None and baseline_median else None
    return {
        **measured,
        "repetitions": min(len(subject), len(baseline)),
        "subject_median_s": subject_median,
        "baseline_median_s": baseline_median,
        "ratio": ratio,
        "subject_peak_rss_kib": max((run["peak_rss_kib"] for run in measured["subject"]), default=None),
        "baseline_peak_rss_kib": max((run["peak_rss_kib"] for run in measured["baseline"]), default=None),
    }


def fleet_peak_kib(at_size: dict) -> int | None:
    """The largest ``VmHWM`` of the fleets of one size (also of a size that was interrupted)."""
    return max((peak for peak in at_size.get("fleet_peaks_kib", []) if peak is not None), default=None)


def evaluate(sizes: dict[int, dict]) -> list[dict]:
    """Each target with the measured value, pass or miss, and by how much (value / limit); "not run" without data."""
    verdicts = []
    for target in TARGETS:
        at_size = sizes.get(target.size, {})
        if target.unit == "bytes":
            kib = fleet_peak_kib(at_size)
            value = kib * 1024 if kib is not None else None
        else:
            value = at_size.get("scenarios", {}).get(target.name, {}).get("ratio")
        verdict = {"target": target.describe(), **dataclasses.asdict(target), "value": value}
        if value is None:
            verdict.update(status="not run", of_limit=None)
        else:
            verdict.update(status="pass" if value <= target.limit else "miss", of_limit=value / target.limit)
        verdicts.append(verdict)
    return verdicts


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.0f}"


def table(sizes: dict[int, dict], verdicts: list[dict]) -> str:
    """The results as plain text: one line per fleet size and scenario, then the targets."""
    header = (
        f"{'N':>4}  {'scenario':16} {'reps':>4} {'subject s':>10} {'baseline s':>10} {'ratio':>6}"
        f"  {'RSS MiB subj/base':>17}  {'fleet MiB':>9}"
    )
    lines = [header, "-" * len(header)]
    for size in sorted(sizes):
        fleet = _mib(fleet_peak_kib(sizes[size]))
        measured = sizes[size].get("scenarios", {})
        for name, result in sorted(measured.items(), key=lambda item: list(SCENARIOS).index(item[0])):
            ratio = "-" if result.get("ratio") is None else f"{result['ratio']:.2f}"
            rss = f"{_mib(result.get('subject_peak_rss_kib'))}/{_mib(result.get('baseline_peak_rss_kib'))}"
            note = f"  ({result['skipped']})" if result.get("skipped") else ""
            lines.append(
                f"{size:>4}  {name:16} {result.get('repetitions', 0):>4} {_seconds(result.get('subject_median_s')):>10}"
                f" {_seconds(result.get('baseline_median_s')):>10} {ratio:>6}  {rss:>17}  {fleet:>9}{note}"
            )
    lines.append("")
    lines.append("Targets (ratios of medians, same run, alternating repetitions):")
    for verdict in verdicts:
        if verdict["value"] is None:
            shown = "not run"
        elif verdict["unit"] == "bytes":
            shown = f"{verdict['value'] / GIB:.3f} GiB -> {verdict['status']}"
        else:
            shown = f"{verdict['value']:.2f} -> {verdict['status']}"
        if verdict["status"] == "miss":
            shown += f" ({verdict['of_limit']:.1f} x the limit)"
        lines.append(f"  {verdict['target']:48} {shown}")
    return "\n".join(lines)


def write_json(path: Path, document: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")
