# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures of the appliance tests: real appliances started from the command line.

``appliance``, ``shared_appliance``, ``appliance_factory`` and ``fleet_factory``
come from ``tests/appliance_fixtures.py``, registered for the whole test tree by
``pytest_plugins`` in ``tests/conftest.py``; they are not imported again here, so
the session-wide ``shared_appliance`` exists once.
"""

from __future__ import annotations
