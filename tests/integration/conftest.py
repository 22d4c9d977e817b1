# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration fixtures: real reference appliances and ansible-playbook runs against them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import run_tasks

# The suites whose tests run over both transports: every module and role that speaks to an appliance. The others
# (connections, proxies, lost answers, AWX, examples) test the API client itself or what surrounds the modules.
BOTH_TRANSPORTS = frozenset(
    (
        "test_appliance_acme",
        "test_appliance_cert_import",
        "test_appliance_cert_import_bind",
        "test_appliance_cert_import_refusals",
        "test_appliance_certificate",
        "test_appliance_certificate_export",
        "test_appliance_certificate_info",
        "test_appliance_csr",
        "test_appliance_ip_binding",
        "test_appliance_key",
        "test_appliance_lock",
        "test_appliance_status_info",
        "test_appliance_support_bundle",
        "test_atlas_preflight",
        "test_certificate_plan",
        "test_local_ca_sign",
        "test_no_secrets_in_output",
        "test_role_atlas_rollout",
        "test_role_certificate",
        "test_role_support_bundle",
    )
)
# BOMGAR_TEST_TRANSPORTS=api (comma-separated) narrows that to the transports named: the Python 3.13 leg
# (make test313) runs the modules over the api transport only, since the web transport's page reading is plain
# Python that the unit tests cover on both interpreters.
TRANSPORTS = tuple(
    name for name in os.environ.get("BOMGAR_TEST_TRANSPORTS", "api,web").replace(" ", "").split(",") if name
)
if not TRANSPORTS or set(TRANSPORTS) - {"api", "web"}:
    raise pytest.UsageError(f"BOMGAR_TEST_TRANSPORTS names api, web or both, not {TRANSPORTS!r}")


def pytest_generate_tests(metafunc):
    """Each test of the suites in BOTH_TRANSPORTS that uses ``transport`` (``play`` does) runs once per transport."""
    if "transport" in metafunc.fixturenames and metafunc.module.__name__.rpartition(".")[2] in BOTH_TRANSPORTS:
        metafunc.parametrize("transport", TRANSPORTS, indirect=True)


@pytest.fixture
def transport(request) -> str:
    """``api`` or ``web``: how the modules reach the appliance in this test (``api`` where not parametrised)."""
    return getattr(request, "param", "api")


@pytest.fixture
def play(tmp_path, transport):
    """``play(appliances, tasks, **options)`` runs one play with ansible-playbook over the test's transport."""
    counter = {"n": 0}

    def run(appliances, tasks, **options):
        counter["n"] += 1
        options.setdefault("transport", transport)
        return run_tasks(tmp_path / f"run{counter['n']}", appliances, tasks, **options)

    return run
