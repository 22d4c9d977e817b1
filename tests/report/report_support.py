# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the report's tests: the Debian packages they drive, the playbook run, the files it writes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from harness import run_playbook  # noqa: E402

PLAYBOOK = ROOT / "playbooks" / "report.yml"
SCHEMA = ROOT / "docs" / "report.schema.json"
SCREENSHOTS = ROOT / "build" / "report-screenshots"


def require_debian_package(binary: str, package: str) -> str:
    """The path of ``binary``; installs ``package`` with apt-get first when it is missing."""
    found = shutil.which(binary) or (f"/usr/sbin/{binary}" if os.access(f"/usr/sbin/{binary}", os.X_OK) else None)
    if found:
        return found
    if os.geteuid() != 0:
        pytest.fail(f"{binary} is missing: install the Debian package {package} (apt-get install {package}).")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
        done = subprocess.run(argv, capture_output=True, text=True, env=environment, check=False, timeout=900)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(argv)} failed: {done.stderr[-2000:]}")
    found = shutil.which(binary) or (f"/usr/sbin/{binary}" if os.access(f"/usr/sbin/{binary}", os.X_OK) else None)
    if not found:
        pytest.fail(f"apt-get installed {package}, but {binary} is still not found.")
    return found


def report_playbook(workdir: Path, inventory: Path, *extra: str, check: bool = False):
    """``ansible-playbook playbooks/report.yml -i inventory`` started in ``workdir``; a PlaybookRun."""
    arguments = ["-i", str(inventory), str(PLAYBOOK), *extra]
    if check:
        arguments += ["--check", "--diff"]
    return run_playbook(workdir, arguments)


def load_report(directory: Path) -> dict:
    return json.loads((directory / "report.json").read_text(encoding="utf-8"))
