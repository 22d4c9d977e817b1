# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Measure fleet start-up and memory: ``python tests/appliance/server_measure.py [--counts 1 25 100]``.

Not a test. For each fleet size it starts ``python -m reference_appliance fleet``
twice, on a new state root (cold: keys and certificates are made) and again on
the same one (warm: state reused), and reports for each start:

- ``ready_s``: process start to ready file (every appliance listening);
- ``all_answer_s``: ready file to every API answering ``GET /health`` and every
  site address completing a TLS handshake;
- ``rss_mib`` / ``hwm_mib``: VmRSS and VmHWM of the process (from /proc) after that;
- ``stop_s``: SIGTERM to exit, and the exit status.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance_fixtures import API_PREFIX, ApplianceProcess, free_site_port, served_chain


def memory_mib(pid: int) -> dict:
    """VmRSS and VmHWM of ``pid`` in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        name, _sep, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = round(int(rest.split()[0]) / 1024, 1)
    return {"rss_mib": values["VmRSS"], "hwm_mib": values["VmHWM"]}


def check_every_appliance(info: dict) -> None:
    """Every API answers /health with the fleet CA, and every address completes a TLS handshake."""
    verify = ssl.create_default_context(cafile=info["ca_path"])
    with httpx.Client(verify=verify, timeout=30) as client:
        for member in info["appliances"]:
            response = client.get(member["api_url"] + API_PREFIX + "/health")
            if response.status_code != 200:
                raise RuntimeError(f"{member['hostname']}: health answered {response.status_code}")
            for address in member["ip_addresses"]:
                served_chain(address, member["site_port"])


def measure_start(count: int, state_root: Path, site_port: int) -> dict:
    """Start a fleet of ``count`` on ``state_root``, measure, stop it."""
    ready_file = state_root.parent / f"ready-{count}.json"
    argv = ["fleet", "--count", str(count), "--state-root", str(state_root)]
    argv += ["--inventory", str(state_root.parent / f"inventory-{count}.yml")]
    argv += ["--site-port", str(site_port), "--ready-file", str(ready_file)]
    process = ApplianceProcess(argv, ready_file, state_root.parent / f"logs-{count}")
    began = time.monotonic()
    info = process.start(timeout=600)
    ready = time.monotonic()
    check_every_appliance(info)
    answered = time.monotonic()
    result = {"count": count, "ready_s": round(ready - began, 2), "all_answer_s": round(answered - ready, 2)}
    result.update(memory_mib(process.pid))
    stopping = time.monotonic()
    result["exit_status"] = process.stop(timeout=60)
    result["stop_s"] = round(time.monotonic() - stopping, 2)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 25, 100])
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="fleet-measure-") as workdir:
        for count in args.counts:
            state_root = Path(workdir) / f"fleet-{count}" / "state"
            site_port = free_site_port([f"127.0.{index + 1}.2" for index in range(count)])
            for start in ("cold", "warm"):
                row = {"start": start, **measure_start(count, state_root, site_port)}
                rows.append(row)
                print(json.dumps(row), flush=True)
    print()
    print(f"{'count':>5} {'start':>5} {'ready s':>8} {'answer s':>9} {'RSS MiB':>8} {'HWM MiB':>8} {'stop s':>7} exit")
    for row in rows:
        print(
            f"{row['count']:>5} {row['start']:>5} {row['ready_s']:>8} {row['all_answer_s']:>9} "
            f"{row['rss_mib']:>8} {row['hwm_mib']:>8} {row['stop_s']:>7} {row['exit_status']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
