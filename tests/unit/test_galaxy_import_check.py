# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scripts/check_galaxy_import.py, which makes `make galaxy` fail on any importer error or warning."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_galaxy_import.py"

CLEAN_LOG = """Importing with galaxy-importer 0.4.44
Getting doc strings via ansible-doc
Finding content inside collection
Loading role certificate
Linting collection via ansible-lint 26.10.1...
...ansible-lint run complete
Collection loading complete
Importer processing completed successfully
"""


def result(**overrides) -> dict:
    data = {
        "metadata": {"namespace": "bomgar", "name": "pki", "version": "0.1.0"},
        "contents": [
            {"name": "appliance_key", "content_type": "module", "description": "keys"},
            {"name": "certificate", "content_type": "role", "description": "the role"},
        ],
        "docs_blob": {
            "collection_readme": {"name": "README.md", "html": "<h1>bomgar.pki</h1>"},
            "contents": [
                {"content_name": "appliance_key", "content_type": "module", "doc_strings": {"doc": {}}},
                {"content_name": "certificate", "content_type": "role", "doc_strings": {}, "readme_html": "<h1>x</h1>"},
                {"content_name": "issue.yml", "content_type": "playbook", "doc_strings": {}},
                {"content_name": "client", "content_type": "module_utils", "doc_strings": None},
            ],
        },
        "requires_ansible": ">=2.19.0",
    }
    data.update(overrides)
    return data


def check(tmp_path: Path, log: str | None, data) -> subprocess.CompletedProcess:
    log_path, result_path = tmp_path / "importer.log", tmp_path / "importer_result.json"
    if log is not None:
        log_path.write_text(log)
    if data is not None:
        result_path.write_text(data if isinstance(data, str) else json.dumps(data))
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(log_path), str(result_path)], capture_output=True, text=True, check=False
    )


def test_a_clean_import_passes_and_says_what_was_imported(tmp_path):
    run = check(tmp_path, CLEAN_LOG, result())
    assert run.returncode == 0, run.stdout
    assert "galaxy-importer: finished, no error, no warning" in run.stdout
    assert "imported 1 module, 1 role; requires_ansible >=2.19.0" in run.stdout


@pytest.mark.parametrize(
    "line",
    [
        "WARNING: roles/report/tasks/main.yml:3: name[casing]: All names should start with an uppercase letter.",
        "WARNING: CHANGELOG.rst file not found at top level of collection.",
        "ERROR: The import failed for the following reason: No role readme found.",
    ],
)
def test_any_warning_or_error_line_fails_naming_it(tmp_path, line):
    log = CLEAN_LOG.replace("Collection loading complete\n", f"{line}\nCollection loading complete\n")
    run = check(tmp_path, log, result())
    assert run.returncode == 1
    assert "1 problem(s)" in run.stdout and line in run.stdout


def test_an_import_that_did_not_finish_fails(tmp_path):
    log = CLEAN_LOG.replace("Importer processing completed successfully\n", "")
    run = check(tmp_path, log, None)
    assert run.returncode == 1
    assert "the importer did not finish" in run.stdout
    assert "no result at" in run.stdout


def test_content_without_documentation_fails_naming_it(tmp_path):
    data = result()
    data["docs_blob"]["contents"][0]["doc_strings"] = None
    run = check(tmp_path, CLEAN_LOG, data)
    assert run.returncode == 1
    assert "module appliance_key: the importer found no documentation" in run.stdout
    assert "module_utils" not in run.stdout, "module_utils carry no documentation of their own"


def test_a_result_that_is_not_json_fails(tmp_path):
    run = check(tmp_path, CLEAN_LOG, "{not json")
    assert run.returncode == 1
    assert "is not JSON" in run.stdout


def test_a_role_without_readme_fails_naming_it(tmp_path):
    data = result()
    data["docs_blob"]["contents"][1]["readme_html"] = ""
    run = check(tmp_path, CLEAN_LOG, data)
    assert run.returncode == 1
    assert "role certificate: the importer found no README.md" in run.stdout
