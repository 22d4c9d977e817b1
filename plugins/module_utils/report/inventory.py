# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hosts of an inventory as served_certificate_info takes them: where to connect, and how to read the API.

Only the inventory variables named here are read of each host, so a host with
nothing but an address or a hostname is as welcome as a managed appliance:

- where: ``bomgar_ip_addresses`` (else ``ansible_host`` when it is an IP
  address), ``bomgar_appliance_hostname``, ``bomgar_site_hostname`` and
  ``bomgar_hostnames`` (more names clients use), ``bomgar_site_port``;
- the site the host belongs to: ``bomgar_site_hostname``;
- the API, used only when the URL and the token are both there:
  ``bomgar_appliance_url``, ``bomgar_api_token``, ``bomgar_ca_path``;
- the certificate role's variables (``certificate_*``), only for a host that
  has ``certificate_name``: its plan is then part of the report.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from ..inventory_variables import CONNECTION_VARIABLES as INVENTORY_VARIABLES

WHERE_VARIABLES = (
    "bomgar_ip_addresses",
    "ansible_host",
    "bomgar_appliance_hostname",
    "bomgar_site_hostname",
    "bomgar_hostnames",
    "bomgar_site_port",
)
API_VARIABLES = INVENTORY_VARIABLES
CERTIFICATE_PREFIX = "certificate_"


def _plain(value):
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _get(variables: Mapping, name: str):
    try:
        return _plain(variables[name])
    except KeyError:
        return None


def _names(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value if item not in (None, "")]


def _is_ip(text) -> bool:
    try:
        ipaddress.ip_address(str(text))
    except ValueError:
        return False
    return True


def host_entry(host: str, variables: Mapping, certificate_options) -> dict:
    """One entry of ``served_certificate_info``'s ``hosts`` from one host's variables."""
    addresses = _names(_get(variables, "bomgar_ip_addresses"))
    if not addresses and _is_ip(_get(variables, "ansible_host")):
        addresses = [str(_get(variables, "ansible_host"))]
    hostnames = _names(_get(variables, "bomgar_appliance_hostname"))
    hostnames += _names(_get(variables, "bomgar_site_hostname"))
    hostnames += _names(_get(variables, "bomgar_hostnames"))
    entry = {
        "host": host,
        "site": _get(variables, "bomgar_site_hostname"),
        "addresses": list(dict.fromkeys(addresses)),
        "hostnames": list(dict.fromkeys(hostnames)),
        "port": _get(variables, "bomgar_site_port") or None,
    }
    for option, variable in API_VARIABLES.items():
        entry[option] = _get(variables, variable)
    if _get(variables, CERTIFICATE_PREFIX + "name") is not None:
        certificate = {}
        for option in certificate_options:
            value = _get(variables, CERTIFICATE_PREFIX + option)
            if value is not None:
                certificate[option] = value
        entry["certificate"] = certificate
    return entry


def host_entries(hosts, variables_of, certificate_options) -> list:
    """One entry per host of ``hosts`` (in order, once each); ``variables_of(host)`` gives its variables."""
    return [host_entry(host, variables_of(host), certificate_options) for host in dict.fromkeys(hosts or [])]
