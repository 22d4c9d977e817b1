# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The two Python environments of a benchmark run, and what the results record about the machine.

The collection's flows run from the test venv (``.venv``). The community.crypto
baseline needs the ``ansible`` package, which is kept out of the test venv: it
lives in a separate bench venv (``build/bench-venv``, pinned by
``benchmarks/requirements.txt`` to the same ansible-core as the test venv). The
fresh-issuance scenario runs both of its sides from the bench venv, so they
share one interpreter and one ansible-core.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_VENV = ROOT / ".venv"
BENCH_VENV = ROOT / "build" / "bench-venv"
REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"

_PROBE = """
import importlib.metadata as metadata, json, platform, pathlib
def version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
crypto = None
try:
    import ansible_collections.community.crypto as package
    manifest = pathlib.Path(list(package.__path__)[0]) / "MANIFEST.json"
    crypto = json.loads(manifest.read_text())["collection_info"]["version"]
except Exception:
    pass
print(json.dumps({"python": platform.python_version(), "ansible-core": version("ansible-core"),
                  "ansible": version("ansible"), "cryptography": version("cryptography"),
                  "community.crypto": crypto}))
"""


class EnvironmentMissing(Exception):
    """A venv the benchmark needs is not there; the message says how to make it."""


def ansible_playbook(venv: Path) -> Path:
    return venv / "bin" / "ansible-playbook"


def check_venvs(test_venv: Path, bench_venv: Path, need_bench: bool) -> None:
    """Fail with what to run when a needed venv is missing."""
    if not ansible_playbook(test_venv).exists():
        raise EnvironmentMissing(f"{test_venv} has no ansible-playbook: run `make venv` first.")
    if need_bench and not ansible_playbook(bench_venv).exists():
        raise EnvironmentMissing(
            f"{bench_venv} has no ansible-playbook (the community.crypto baseline needs it): run `make bench`, or\n"
            f"  python3 -m venv {bench_venv} && {bench_venv}/bin/pip install -r {REQUIREMENTS}"
        )


def venv_versions(venv: Path) -> dict:
    """Python, ansible-core, ansible, cryptography and community.crypto versions of a venv (None: not there)."""
    python = venv / "bin" / "python"
    if not python.exists():
        return {}
    done = subprocess.run([str(python), "-c", _PROBE], capture_output=True, text=True, check=False, timeout=60)
    return json.loads(done.stdout) if done.returncode == 0 else {"error": done.stderr.strip()[-500:]}


def machine() -> dict:
    """What the results record about the machine: cores, load at the start, platform."""
    return {
        "cpu_count": os.cpu_count(),
        "load_average_at_start": list(os.getloadavg()),
        "platform": platform.platform(),
        "machine": platform.machine(),
    }
