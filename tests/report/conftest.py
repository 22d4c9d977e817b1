# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The certificate report, checked as a person would: against TLS servers nobody here wrote, and in a browser.

The set-up installs what the tests need from Debian when it is missing (``nginx``, ``chromium``), as root with
apt-get, and fails with what to do when it cannot.
"""

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
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from harness import run_playbook  # noqa: E402
from nginx_site import start_site  # noqa: E402

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


@pytest.fixture(scope="session")
def nginx_site(tmp_path_factory):
    """nginx on loopback serving the openssl-made chains of every case; stopped at the end of the session."""
    require_debian_package("nginx", "nginx")
    require_debian_package("openssl", "openssl")
    site = start_site(tmp_path_factory.mktemp("nginx"))
    yield site
    site.stop()


@pytest.fixture(scope="session")
def nginx_report(nginx_site, tmp_path_factory):
    """The report of the nginx servers, written once: ``(directory, run)``."""
    workdir = tmp_path_factory.mktemp("nginx-report")
    directory = workdir / "report"
    options = {
        "report_dir": str(directory),
        "report_ca_bundle": str(nginx_site.root),
        "report_as_of": nginx_site.as_of,
        "report_title": "Web servers",
    }
    run = report_playbook(workdir, nginx_site.inventory, "-e", json.dumps(options))
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    return directory, run
