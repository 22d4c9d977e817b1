# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of bomgar.pki.appliance_acme: the module's logic, in-process on the controller."""

from __future__ import annotations

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.acme import MODULE_SPEC
from ansible_collections.bomgar.pki.plugins.plugin_utils.appliance_action import ApplianceActionBase


class ActionModule(ApplianceActionBase):
    """bomgar.pki.appliance_acme"""

    MODULE_SPEC = MODULE_SPEC
