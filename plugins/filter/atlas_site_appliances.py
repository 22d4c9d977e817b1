# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter bomgar.pki.atlas_site_appliances: the appliances of a site as bomgar.pki.atlas_preflight takes them.

The rule is the site rollout's (``module_utils/atlas.py``, ``site_appliances``); only the
inventory variables it names are read of each host. Documentation: ``atlas_site_appliances.yml``
beside this file.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.bomgar.pki.plugins.module_utils.atlas import SITE_VARIABLES, pick, plain, site_appliances


def _hosts(value, what: str) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping) or not hasattr(value, "__iter__"):
        raise AnsibleFilterError(
            f"atlas_site_appliances: {what} must be a list of inventory host names, got {type(value).__name__}. "
            "Pass a group, for example groups['bomgar_site']."
        )
    return [str(host) for host in plain(list(value))]


def atlas_site_appliances(hosts, hostvars, primaries=None) -> list:
    """One entry per host of ``hosts``: connection, hostname, addresses, and whether it is in ``primaries``."""
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError(
            f"atlas_site_appliances: the second argument must be hostvars, got {type(hostvars).__name__}."
        )
    names = tuple(SITE_VARIABLES.values())

    def variables_of(host: str) -> dict:
        try:
            variables = hostvars[host]
        except KeyError:
            variables = None
        if not isinstance(variables, Mapping):
            raise AnsibleFilterError(f"atlas_site_appliances: {host} is not a host of the inventory.")
        return pick(variables, names)

    return site_appliances(_hosts(hosts, "the hosts"), variables_of, _hosts(primaries, "the primaries"))


class FilterModule:
    """bomgar.pki filters of the Atlas rollout: the site's appliances."""

    def filters(self) -> dict:
        """The filters of this file."""
        return {"atlas_site_appliances": atlas_site_appliances}
