# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter bomgar.pki.atlas_site_run: whether this run reaches every appliance of an Atlas site.

The rule is the site rollout's (``module_utils/atlas.py``, ``site_run``). This file only works out which hosts
of the site a ``--limit`` leaves in the run, with Ansible's own host pattern matching on the inventory's
groups (as the ``ansible.builtin.inventory_hostnames`` lookup matches patterns). Documentation:
``atlas_site_run.yml`` beside this file.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleError, AnsibleFilterError
from ansible_collections.bomgar.pki.plugins.module_utils.atlas import plain, site_run


def _names(value, what: str) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, Mapping) or not hasattr(value, "__iter__"):
        raise AnsibleFilterError(
            f"atlas_site_run: {what} must be a list of inventory host names, got {type(value).__name__}."
        )
    return [str(host) for host in plain(list(value))]


def hosts_in_run(groups: Mapping, limit: str | None) -> list | None:
    """The inventory hosts a ``--limit`` keeps (None without a limit), matched as ansible-playbook matches it."""
    if limit is None or str(limit).strip() in ("", "all"):
        return None
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader

    manager = InventoryManager(DataLoader(), parse=False)
    for group, hosts in groups.items():
        manager.add_group(str(group))
        for host in _names(hosts, f"groups['{group}']"):
            manager.add_host(host, group=str(group))
    try:
        manager.subset(str(limit))
        return [host.name for host in manager.get_hosts(pattern="all")]
    except AnsibleError as exc:
        raise AnsibleFilterError(f"atlas_site_run: the limit {limit!r} cannot be matched: {exc}") from exc


def atlas_site_run(
    site_hosts,
    groups,
    limit=None,
    primaries=None,
    members=None,
    site_group="bomgar_site",
    primary_group="bomgar_primary",
) -> dict:
    """``complete``, ``members``, ``missing``, ``in_run``, ``undeclared`` and ``message`` of the site in this run."""
    if not isinstance(groups, Mapping):
        raise AnsibleFilterError(f"atlas_site_run: the second argument must be groups, got {type(groups).__name__}.")
    groups = plain(groups)
    return site_run(
        _names(site_hosts, "the site's hosts"),
        hosts_in_run(groups, limit),
        primaries=_names(primaries, "the primaries"),
        members=_names(members, "the site's members (bomgar_site_members)"),
        site_group=str(site_group),
        primary_group=str(primary_group),
    )


class FilterModule:
    """bomgar.pki filters of the Atlas rollout: the site in this run."""

    def filters(self) -> dict:
        """The filters of this file."""
        return {"atlas_site_run": atlas_site_run}
