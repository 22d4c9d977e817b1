# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter bomgar.pki.atlas_rollout_report: the summary of an Atlas rollout, from what each traffic node recorded.

The rules are the site rollout's (``module_utils/atlas.py``, ``summary``); of each node only the
variables the role records for it are read, and Ansible's lazy containers become plain data first.
Documentation: ``atlas_rollout_report.yml`` beside this file.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.bomgar.pki.plugins.module_utils.atlas import NODE_FACTS, pick, plain, summary


def atlas_rollout_report(nodes, hostvars, rolled_out=None, check_mode=False, primary=None) -> dict:
    """``{rows, lines, failure}`` of the rollout to ``nodes`` (traffic nodes, in order)."""
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError(
            f"atlas_rollout_report: the second argument must be hostvars, got {type(hostvars).__name__}."
        )
    if isinstance(nodes, (str, Mapping)) or not hasattr(nodes or [], "__iter__"):
        raise AnsibleFilterError(
            "atlas_rollout_report: the input must be a list of traffic nodes, e.g. groups['bomgar_traffic_nodes']."
        )

    def facts_of(node: str) -> dict:
        try:
            variables = hostvars[node]
        except KeyError:
            return {}
        return pick(variables, NODE_FACTS) if isinstance(variables, Mapping) else {}

    return summary(
        [str(node) for node in plain(list(nodes or []))],
        facts_of,
        plain(rolled_out) if isinstance(rolled_out, Mapping) else {},
        check_mode=bool(check_mode),
        primary=plain(primary) if isinstance(primary, Mapping) else None,
    )


class FilterModule:
    """bomgar.pki filters of the Atlas rollout: its summary."""

    def filters(self) -> dict:
        """The filters of this file."""
        return {"atlas_rollout_report": atlas_rollout_report}
