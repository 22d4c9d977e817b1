# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One run at a time per site: two rollouts started together never split a site between two certificates.

Two ansible-playbook processes of playbooks/atlas_rollout.yml start together on one site of ten reference
appliances, each forced to issue a new certificate. The second run either waits for the first
(atlas_rollout_lock_wait) and then rolls out its own certificate, or stops at once naming the run that holds
the site's lock. Either way every appliance ends serving one and the same certificate, and no lock is left.
The pairs alternate between the two ways; BOMGAR_LOCK_PAIRS sets how many pairs run (4 by default).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness import ANSIBLE_PLAYBOOK, CALLBACKS, COLLECTIONS_ROOT, ROOT

PAIRS = int(os.environ.get("BOMGAR_LOCK_PAIRS", "4"))
PLAYBOOK = ROOT / "playbooks" / "atlas_rollout.yml"
SPEC = {
    "certificate_name": "support.example.com",
    "certificate_subject": {"common_name": "Example Support"},
    "certificate_subject_alt_name": ["DNS:support.example.com", "DNS:*.example.com"],
    "certificate_force": True,
    "atlas_serial": [1, "50%"],
}


def start(workdir: Path, inventory: Path, extra: dict) -> subprocess.Popen:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "vars.json").write_text(json.dumps(extra), encoding="utf-8")
    environment = {
        **os.environ,
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT),
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCAL_TEMP": str(workdir / "tmp"),
    }
    return subprocess.Popen(
        [ANSIBLE_PLAYBOOK, "-i", str(inventory), str(PLAYBOOK), "-e", f"@{workdir / 'vars.json'}"],
        cwd=workdir,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def served(fleet) -> set:
    """The leaf every address of every appliance serves."""
    return {handle.served_fingerprints(address)[0] for handle in fleet.appliances for address in handle.ip_addresses}


def locks(handle) -> list:
    with handle.client() as client:
        return client.get("locks").json()


@pytest.mark.skipif(sys.platform != "linux", reason="the fleet's loopback addresses need Linux")
def test_two_rollouts_started_together_never_split_the_site(fleet_factory, tmp_path):
    fleet = fleet_factory(10)
    outcomes = []
    for pair in range(PAIRS):
        waits = pair % 2 == 0
        extra = {**SPEC, "certificate_support_bundle_dir": str(tmp_path / "bundles")}
        if waits:
            extra["atlas_rollout_lock_wait"] = 300
        runs = [start(tmp_path / f"pair{pair}-{side}", fleet.inventory_path, extra) for side in ("a", "b")]
        outputs = [run.communicate(timeout=600)[0] for run in runs]
        codes = [run.returncode for run in runs]

        leaves = served(fleet)
        assert len(leaves) == 1, f"pair {pair}: the site serves {len(leaves)} certificates\n{outputs[0][-3000:]}"
        assert locks(fleet.primary) == [], f"pair {pair}: a lock was left behind"
        if waits:
            assert codes == [0, 0], f"pair {pair}: {codes}\n{outputs[0][-3000:]}\n{outputs[1][-3000:]}"
            assert any("Waited" in output and "site rollout" in output for output in outputs), (
                f"pair {pair}: neither run says it waited for the other"
            )
        else:
            assert 0 in codes, f"pair {pair}: {codes}\n{outputs[0][-3000:]}"
            refused = [output for code, output in zip(codes, outputs, strict=True) if code != 0]
            for output in refused:
                assert "The appliance is locked by another run" in output and "site rollout" in output
                assert " since " in output and "lease until" in output
            # Both may succeed only when one finished before the other asked for the lock.
        outcomes.append((waits, codes))
        time.sleep(1)  # new friendly names are stamped to the second
    print("pairs (waits, return codes):", outcomes)
    assert len(outcomes) == PAIRS
