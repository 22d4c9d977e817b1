# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The routes the contract (docs/appliance-api.md) lists, read from its tables."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "docs" / "appliance-api.md"
DOCUMENT = ROOT / "docs" / "appliance-api.json"
REGENERATE = "python -m reference_appliance.openapi --output docs/appliance-api.json"

_ROW = re.compile(r"^\|\s*(GET|POST|PUT|DELETE|PATCH)\s*\|\s*`([^`]+)`\s*\|", re.MULTILINE)


def contract_routes() -> list[tuple[str, str]]:
    """``(method, path)`` of every route in the contract's tables, path relative to the API prefix."""
    routes = _ROW.findall(CONTRACT.read_text(encoding="utf-8"))
    assert len(routes) >= 20, f"expected the route tables of {CONTRACT}, found {len(routes)} rows"
    return routes


def concrete(path: str) -> str:
    """The path with each ``{parameter}`` filled with a plausible value."""
    return re.sub(r"\{address\}", "127.0.0.2", re.sub(r"\{(?!address)[a-z_]+\}", "some-id", path))
