# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The process test_crash.py kills: imports and rebindings in a loop, each one logged.

Usage: ``python service_crash_worker.py STATE_DIR LOG_FILE RUN SEED``. Before each
operation it logs ``TRY ...``, after the operation returned (committed) ``DONE``,
each line with one ``write`` on a file opened for appending, so a line in the log
was written before the kill. Operations:

- ``TRY import <leaf id> <intermediate id> <key public key fingerprint>``: a bundle of
  leaf + intermediate + key, distinct for every run and iteration;
- ``TRY set <certificate id> <address,...|->``: set_bindings;
- ``TRY unbind <certificate id> <address>``: unbind.
"""

from __future__ import annotations

import os
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

import service_material as material  # noqa: E402

from reference_appliance.appliance import Appliance, Identity  # noqa: E402
from reference_appliance.core import builder, subject_fields  # noqa: E402
from reference_appliance.store import Store  # noqa: E402

ADDRESSES = [f"127.0.0.{number}" for number in range(2, 7)]
IDENTITY = Identity(hostname="crash.example.com", site_hostname="site.example.com")


class Log:
    """Append-only log lines, each written with a single system call."""

    def __init__(self, path: str):
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def line(self, *words) -> None:
        os.write(self._fd, (" ".join(str(word) for word in words) + "\n").encode())


def _bundle(root: material.Issued, run: int, number: int):
    inter_key = material.ec_key()
    inter_cert = builder.create_ca_certificate(
        inter_key,
        subject_fields.SubjectSpec(common_name=f"Crash Run {run} Bundle {number} CA"),
        days=365,
        issuer_cert=root.cert,
        issuer_key=root.key,
    )
    inter = material.Issued(inter_cert, inter_key)
    leaf = material.make_leaf(inter, f"r{run}-b{number}.example.com")
    files = [
        ("leaf.pem", material.cert_pem(leaf.cert)),
        ("intermediate.der", material.cert_der(inter.cert)),
        ("leaf.key", material.pkcs8_pem(leaf.key)),
    ]
    return leaf, inter, files


def main(state_dir: str, log_path: str, run: int, seed: int) -> None:
    log = Log(log_path)
    rng = random.Random(seed)
    appliance = Appliance(Store(state_dir), IDENTITY)
    for address in ADDRESSES:
        appliance.add_ip_address(address)
    servers = [
        cert["id"]
        for cert in appliance.list_certificates()
        if cert["role"] == "server" and cert["private_key_available"] and not cert["factory_default"]
    ]
    default_id = next(cert["id"] for cert in appliance.list_certificates() if cert["factory_default"])
    root_key = material.ec_key()
    root = material.Issued(
        builder.create_ca_certificate(root_key, subject_fields.SubjectSpec(common_name=f"Crash Run {run} Root CA")),
        root_key,
    )
    log.line("READY", run)
    number = 0
    while True:
        leaf, inter, files = _bundle(root, run, number)
        log.line("TRY", "import", leaf.id, inter.id, leaf.public_key_fingerprint)
        appliance.import_files(files)
        log.line("DONE")
        servers.append(leaf.id)
        number += 1
        for _step in range(rng.randint(1, 3)):
            choice = rng.random()
            if choice < 0.15:
                address = rng.choice(ADDRESSES)
                cert_id = rng.choice(servers)
                log.line("TRY", "unbind", cert_id, address)
                appliance.unbind(cert_id, address)
            else:
                cert_id = default_id if choice < 0.3 else rng.choice(servers)
                chosen = sorted(rng.sample(ADDRESSES, rng.randint(0, 3)))
                log.line("TRY", "set", cert_id, ",".join(chosen) or "-")
                appliance.set_bindings(cert_id, chosen)
            log.line("DONE")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
