# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kill -9 at random moments: every operation is fully done or not at all, and nothing committed is lost.

A worker process (service_crash_worker.py) imports bundles (leaf + intermediate
+ key) and rebinds addresses in a loop, logging each operation before it starts
and after it returned. The test kills it with SIGKILL at seeded random moments,
then checks the store: SQLite's integrity and foreign keys, the appliance's own
invariants, every bundle whole or absent, every logged operation present, the
binding state equal to the logged operations (the interrupted one either applied
or not), and an appliance that reopens to the same state.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from service_crash_worker import IDENTITY
from service_fixtures import snapshot

from reference_appliance.appliance import Appliance
from reference_appliance.store import Store

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORKER = HERE / "service_crash_worker.py"
KILLS = 15
MAX_DELAY = 0.3
READY_TIMEOUT = 30.0


def _lines(log: Path) -> list[list[str]]:
    """The complete lines of a log (a line cut by the kill has no newline and is ignored)."""
    text = log.read_text() if log.exists() else ""
    return [line.split() for line in text.split("\n")[:-1]]


def _wait_ready(log: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if any(words[0] == "READY" for words in _lines(log)):
            return
        if process.poll() is not None:
            raise AssertionError(f"worker exited with {process.returncode}: {process.stderr.read().decode()[-2000:]}")
        time.sleep(0.01)
    raise AssertionError("worker did not start in time")


def _run_and_kill(state: Path, log: Path, run: int, delay: float, wait_ready: bool) -> None:
    """Start the worker and SIGKILL it ``delay`` seconds after it is ready (or after its start)."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, str(WORKER), str(state), str(log), str(run), str(run * 7919)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if wait_ready:
            _wait_ready(log, process)
        time.sleep(delay)
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()


def _apply(bindings: dict, operation: list[str], default_id: str) -> dict:
    """The bindings after one logged binding operation (None = factory default)."""
    result = dict(bindings)
    kind, cert_id, argument = operation
    if kind == "unbind":
        if result.get(argument) == cert_id:
            result[argument] = None
        return result
    chosen = [] if argument == "-" else argument.split(",")
    target = None if cert_id == default_id else cert_id
    for address, served in bindings.items():
        if address in chosen:
            result[address] = target
        elif target is not None and served == target:
            result[address] = None
    return result


def _bundle_state(tx, leaf_id: str, inter_id: str, public_key_fingerprint: str) -> str:
    """``present`` (leaf with its key attached, intermediate, key), ``absent`` (none of them), else ``partial``."""
    leaf = tx.certificate(leaf_id)
    inter = tx.certificate(inter_id)
    key = tx.key_by_public_key(public_key_fingerprint)
    if leaf is None and inter is None and key is None:
        return "absent"
    if leaf is not None and inter is not None and key is not None and leaf["key_id"] == key["id"]:
        return "present"
    return "partial"


def test_kill_9_at_any_moment_leaves_every_operation_whole(tmp_path):
    rng = random.Random(20261129)
    state = tmp_path / "state"
    committed_bundles: list[tuple[str, str, str]] = []
    bindings: dict | None = None
    interrupted = 0
    for run in range(KILLS):
        log = tmp_path / f"run{run}.log"
        # Every fifth restart is killed while it opens the store and the appliance, not while it works.
        starting = run % 5 == 4
        delay = rng.uniform(0.1, 0.35) if starting else rng.uniform(0, MAX_DELAY)
        _run_and_kill(state, log, run, delay, wait_ready=not starting)
        store = Store(state)
        try:
            assert store.integrity_report()["ok"], store.integrity_report()
            assert store.consistency_problems() == []
            with store.read() as tx:
                default_id = tx.get_meta("factory_default_id")
                actual = {row["address"]: row["certificate_id"] for row in tx.ip_addresses()}
                if bindings is None:
                    bindings = dict.fromkeys(actual)
                pending = None
                for words in _lines(log):
                    if words[0] == "TRY":
                        pending = words[1:]
                    elif words[0] == "DONE":
                        if pending[0] == "import":
                            committed_bundles.append(tuple(pending[1:]))
                        else:
                            bindings = _apply(bindings, pending, default_id)
                        pending = None
                for bundle in committed_bundles:
                    assert _bundle_state(tx, *bundle) == "present", bundle
                if pending is not None:
                    interrupted += 1
                    if pending[0] == "import":
                        assert _bundle_state(tx, *pending[1:]) in ("present", "absent"), pending
                    else:
                        applied = _apply(bindings, pending, default_id)
                        assert actual in (bindings, applied), (pending, actual, bindings)
                        bindings = actual
                assert actual == bindings
        finally:
            store.close()
    print(f"{len(committed_bundles)} bundles committed, {interrupted} of {KILLS} kills interrupted an operation")
    assert len(committed_bundles) >= KILLS
    assert interrupted >= KILLS // 3
    store = Store(state)
    first = snapshot(Appliance(store, IDENTITY))
    store.close()
    store = Store(state)
    reopened = Appliance(store, IDENTITY)
    second = snapshot(reopened)
    served = {ip["address"]: ip["certificate_id"] for ip in reopened.list_ip_addresses()}
    material = {address: reopened.tls_material(address) for address in served}
    store.close()
    assert first == second
    for leaf_id, _inter_id, _fingerprint in committed_bundles:
        assert f'"id": "{leaf_id}"' in first
    for address, (chain_pem, key_pem, certificate_id) in material.items():
        assert certificate_id == served[address]
        leaf = x509.load_pem_x509_certificates(chain_pem)[0]
        assert leaf.public_key() == serialization.load_pem_private_key(key_pem, None).public_key()
