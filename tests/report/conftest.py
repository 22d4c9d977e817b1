# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The certificate report, checked as a person would: against TLS servers nobody here wrote, and in a browser.

The set-up installs what the tests need from Debian when it is missing (``nginx``, ``chromium``), as root with
apt-get, and fails with what to do when it cannot.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nginx_site import start_site
from report_support import report_playbook, require_debian_package


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
