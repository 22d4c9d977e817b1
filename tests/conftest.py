# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make the checkout importable as ``ansible_collections.bomgar.pki``.

``make venv`` links the checkout into ``build/ansible_collections/bomgar/pki``;
this does the same when pytest is run by hand on a checkout without it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
LINK = BUILD / "ansible_collections" / "bomgar" / "pki"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(ROOT, LINK.parent), LINK)
if str(BUILD) not in sys.path:
    sys.path.insert(0, str(BUILD))

# Reference appliance fixtures (appliance, shared_appliance, appliance_factory, fleet_factory) and the Pebble
# ACME test CA (pebble_factory).
pytest_plugins = ["appliance_fixtures", "pebble"]
