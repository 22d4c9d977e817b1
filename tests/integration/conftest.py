# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration fixtures: real reference appliances and ansible-playbook runs against them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import run_tasks


@pytest.fixture
def play(tmp_path):
    """``play(appliances, tasks, **options)`` runs one play with ansible-playbook; returns a PlaybookRun."""
    counter = {"n": 0}

    def run(appliances, tasks, **options):
        counter["n"] += 1
        return run_tasks(tmp_path / f"run{counter['n']}", appliances, tasks, **options)

    return run
