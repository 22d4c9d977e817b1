# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only callback: writes every task result as one JSON line to $BOMGAR_TEST_RESULTS."""

from __future__ import annotations

DOCUMENTATION = r"""
name: record_results
type: aggregate
short_description: Record task results as JSON lines for the integration tests
description:
  - Writes one JSON object per task result (host, task name, status, result) to the file named by the
    environment variable E(BOMGAR_TEST_RESULTS).
options: {}
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Append each result to the file named by BOMGAR_TEST_RESULTS."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result, status):
        path = os.environ.get("BOMGAR_TEST_RESULTS")
        if not path:
            return
        entry = {
            "host": result._host.get_name(),  # pylint: disable=protected-access
            "task": result._task.get_name(),  # pylint: disable=protected-access
            "status": status,
            "result": self._clean(result._result),  # pylint: disable=protected-access
        }
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, default=str) + "\n")

    @staticmethod
    def _clean(value):
        return json.loads(json.dumps(value, default=str))

    def v2_runner_on_ok(self, result):
        """A task that ran."""
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        """A task that failed."""
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        """A skipped task."""
        self._record(result, "skipped")
