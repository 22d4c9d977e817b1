# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of bomgar.pki.certificate_plan: the module's logic, in-process on the controller.

The plan also says whether the controller has the collections an optional step needs (community.crypto for the
acme provider's controller mode), as Ansible's plugin loader finds them: the same paths a task would be run from.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

from ansible.plugins.loader import module_loader
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.certificate_plan import MODULE_SPEC, run
from ansible_collections.bomgar.pki.plugins.plugin_utils.appliance_action import ApplianceActionBase

# A module each optional collection has; the collection is found where Ansible finds that module.
PROBE_MODULES = {"community.crypto": "acme_certificate"}


def installed_collection(name: str) -> dict | None:
    """``{version, path}`` of the collection ``name`` as Ansible would use it, or None when it is not installed."""
    probe = f"{name}.{PROBE_MODULES.get(name, '')}"
    try:
        found = module_loader.find_plugin_with_context(probe)
    except Exception:  # pylint: disable=broad-exception-caught  # any failure to resolve counts as not installed
        return None
    if not found.resolved or not found.plugin_resolved_path:
        return None
    # <root>/plugins/modules/<module>.py
    root = Path(found.plugin_resolved_path).resolve().parents[2]
    version = None
    try:
        version = json.loads((root / "MANIFEST.json").read_text(encoding="utf-8"))["collection_info"]["version"]
    except (OSError, ValueError, KeyError, TypeError):
        try:
            import yaml

            version = (yaml.safe_load((root / "galaxy.yml").read_text(encoding="utf-8")) or {}).get("version")
        except Exception:  # pylint: disable=broad-exception-caught  # a version that cannot be read is unknown
            version = None
    return {"version": str(version) if version else None, "path": str(root)}


class ActionModule(ApplianceActionBase):
    """bomgar.pki.certificate_plan"""

    MODULE_SPEC = dataclasses.replace(MODULE_SPEC, run=functools.partial(run, find_collection=installed_collection))
