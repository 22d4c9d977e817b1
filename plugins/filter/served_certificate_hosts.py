# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter bomgar.pki.served_certificate_hosts: inventory hosts as bomgar.pki.served_certificate_info takes them.

The rule is ``module_utils/report/inventory.py``; only the inventory variables it names are read of each host.
Documentation: ``served_certificate_hosts.yml`` beside this file.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic.served_certificate_info import (
    CERTIFICATE_OPTIONS,
)
from ansible_collections.bomgar.pki.plugins.module_utils.report.inventory import host_entries


def served_certificate_hosts(hosts, hostvars) -> list:
    """One entry per host of ``hosts``: where to connect, the site, the API connection, the certificate variables."""
    if hosts is None:
        hosts = []
    if isinstance(hosts, str):
        hosts = [hosts]
    if isinstance(hosts, Mapping) or not hasattr(hosts, "__iter__"):
        raise AnsibleFilterError(
            f"served_certificate_hosts: the hosts must be a list of inventory host names, got {type(hosts).__name__}. "
            "Pass a group, for example groups['all']."
        )
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError(
            f"served_certificate_hosts: the second argument must be hostvars, got {type(hostvars).__name__}."
        )

    def variables_of(host: str):
        try:
            variables = hostvars[host]
        except KeyError:
            variables = None
        if not isinstance(variables, Mapping):
            raise AnsibleFilterError(f"served_certificate_hosts: {host} is not a host of the inventory.")
        return variables

    return host_entries([str(host) for host in hosts], variables_of, tuple(CERTIFICATE_OPTIONS))


class FilterModule:
    """bomgar.pki filters of the certificate report: the hosts to report on."""

    def filters(self) -> dict:
        """The filters of this file."""
        return {"served_certificate_hosts": served_certificate_hosts}
