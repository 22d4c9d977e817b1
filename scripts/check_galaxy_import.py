# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Judge a galaxy-importer run: ``python scripts/check_galaxy_import.py importer.log importer_result.json``.

Passes only when the importer finished, logged no error and no warning (ansible-lint findings are logged as
warnings too), and its result has the documentation of every module and filter and the README of every role.
Prints its verdict; exits 1 naming each problem otherwise.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

FINISHED = "Importer processing completed successfully"
BAD_LINE = re.compile(r"^(WARNING|ERROR|CRITICAL):|^Traceback \(most recent call last\)")
DOCUMENTED_TYPES = ("module", "filter")


def log_problems(log: str) -> list[str]:
    """The importer's warning and error lines, and whether it finished."""
    problems = [line.strip() for line in log.splitlines() if BAD_LINE.match(line.strip())]
    if FINISHED not in log:
        problems.append(f"the importer did not finish: its log has no line {FINISHED!r}")
    return problems


def result_problems(result: dict) -> list[str]:
    """What the importer's result lacks: content, documentation of each plugin and role, a changelog it read."""
    if not isinstance(result, dict):
        return ["the result is not a JSON object"]
    problems = []
    contents = result.get("contents") or []
    if not contents:
        problems.append("the result lists no content")
    docs = (result.get("docs_blob") or {}).get("contents") or []
    for entry in docs:
        if entry.get("content_type") in DOCUMENTED_TYPES and not entry.get("doc_strings"):
            problems.append(f"{entry['content_type']} {entry.get('content_name')}: the importer found no documentation")
        if entry.get("content_type") == "role" and not entry.get("readme_html"):
            problems.append(f"role {entry.get('content_name')}: the importer found no README.md")
    if not (result.get("docs_blob") or {}).get("collection_readme"):
        problems.append("the importer found no README")
    return problems


def counts(result: dict) -> str:
    """``N module, N role, ...`` of the imported content."""
    found: dict = {}
    for entry in result.get("contents") or []:
        found[entry.get("content_type")] = found.get(entry.get("content_type"), 0) + 1
    return ", ".join(f"{number} {kind}" for kind, number in sorted(found.items()))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: check_galaxy_import.py IMPORTER_LOG IMPORTER_RESULT_JSON", file=sys.stderr)
        return 2
    log_path, result_path = map(Path, argv)
    problems = log_problems(log_path.read_text(encoding="utf-8")) if log_path.is_file() else [f"no log at {log_path}"]
    result: dict = {}
    if result_path.is_file():
        try:
            result = json.loads(result_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            problems.append(f"{result_path} is not JSON: {exc}")
        else:
            problems += result_problems(result)
    else:
        problems.append(f"no result at {result_path}: the import failed (see {log_path})")
    if problems:
        print(f"galaxy-importer: {len(problems)} problem(s):")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print(f"galaxy-importer: finished, no error, no warning (log {log_path})")
    print(f"galaxy-importer: imported {counts(result)}; requires_ansible {result.get('requires_ansible')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
