# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A site on loopback: one primary and its Atlas traffic nodes, in one process, and their Ansible inventory.

Appliance ``i`` (0-based) owns 127.0.{i+1}.2; appliance 0 is the primary
``appliance.<domain>``, the others are traffic nodes ``node<i>.<domain>``. All
of them share one API CA (``<state-root>/ca.pem``) and each keeps its state in
``<state-root>/<hostname>/``. The inventory gives each appliance's API URL and token and
its web interface's admin username and password (``bomgar_username``, ``bomgar_password``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml

from .server import ApplianceConfig, ApplianceServer
from .state import load_or_create_api_ca, write_file_atomic
from .web.auth import DEFAULT_IDLE_TIMEOUT

MAX_FLEET_SIZE = 254
PRIMARY_GROUP = "bomgar_primary"
TRAFFIC_NODE_GROUP = "bomgar_traffic_nodes"
SITE_GROUP = "bomgar_site"


def fleet_address(index: int) -> str:
    """The loopback address of appliance ``index`` (0-based)."""
    return f"127.0.{index + 1}.2"


def fleet_hostname(index: int, domain: str) -> str:
    """``appliance.<domain>`` for the primary (index 0), ``node<index>.<domain>`` for traffic nodes."""
    return f"appliance.{domain}" if index == 0 else f"node{index}.{domain}"


def fleet_configs(
    count: int,
    state_root: Path,
    domain: str = "example.com",
    site_hostname: str = "support.example.com",
    site_port: int = 9443,
    software_version: str | None = None,
    trusted_root_fingerprints: list[str] | None = None,
    log_level: str = "warning",
    web_idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    web_alterations: list[str] | None = None,
) -> list[ApplianceConfig]:
    """The configuration of every appliance of a fleet of ``count``: a primary listing its traffic nodes."""
    if not 1 <= count <= MAX_FLEET_SIZE:
        raise ValueError(f"A fleet has 1 to {MAX_FLEET_SIZE} appliances (one loopback /24 each), not {count}.")
    hostnames = [fleet_hostname(index, domain) for index in range(count)]
    return [
        ApplianceConfig(
            state_dir=Path(state_root) / hostname,
            hostname=hostname,
            site_hostname=site_hostname,
            role="primary" if index == 0 else "traffic-node",
            traffic_nodes=hostnames[1:] if index == 0 else [],
            software_version=software_version,
            trusted_root_fingerprints=list(trusted_root_fingerprints or []),
            ip_addresses=[fleet_address(index)],
            site_port=site_port,
            log_level=log_level,
            web_idle_timeout=web_idle_timeout,
            web_alterations=list(web_alterations or []),
        )
        for index, hostname in enumerate(hostnames)
    ]


def host_vars(info: dict, token: str, password: str) -> dict:
    """The inventory variables of one appliance: how to reach its API and its web interface, and who it is."""
    return {
        "bomgar_appliance_url": info["api_url"],
        "bomgar_api_token": token,
        "bomgar_username": info["admin_username"],
        "bomgar_password": password,
        "bomgar_ca_path": info["ca_path"],
        "bomgar_appliance_hostname": info["hostname"],
        "bomgar_site_hostname": info["site_hostname"],
        "bomgar_role": info["role"],
        "bomgar_ip_addresses": list(info["ip_addresses"]),
        "bomgar_site_port": info["site_port"],
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
    }


def inventory(members: list[tuple[dict, str, str]]) -> dict:
    """An Ansible inventory: group ``bomgar_site``, children ``bomgar_primary`` and ``bomgar_traffic_nodes``."""
    groups: dict[str, dict] = {PRIMARY_GROUP: {}, TRAFFIC_NODE_GROUP: {}}
    for info, token, password in members:
        group = PRIMARY_GROUP if info["role"] == "primary" else TRAFFIC_NODE_GROUP
        groups[group][info["hostname"]] = host_vars(info, token, password)
    children = {name: {"hosts": hosts} if hosts else {} for name, hosts in groups.items()}
    return {"all": {"children": {SITE_GROUP: {"children": children}}}}


def write_inventory(path: Path, members: list[tuple[dict, str, str]]) -> None:
    """Write the inventory atomically, readable by its owner only: it holds API tokens and admin passwords."""
    header = (
        "# Written by `python -m reference_appliance fleet`; it holds API tokens and admin passwords (mode 0600).\n"
    )
    text = yaml.safe_dump(inventory(members), sort_keys=False, default_flow_style=False)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_file_atomic(path, (header + text).encode("utf-8"), mode=0o600)


class Fleet:
    """Every appliance of a fleet, started together in the current event loop."""

    def __init__(self, configs: list[ApplianceConfig], state_root: Path, log=None):
        self.state_root = Path(state_root)
        self.configs = configs
        self._log = log
        self.servers: list[ApplianceServer] = []

    async def start(self) -> list[dict]:
        """Start all appliances concurrently; on any failure stop those that started and re-raise."""
        loop = asyncio.get_running_loop()
        api_ca = await loop.run_in_executor(None, load_or_create_api_ca, self.state_root)
        self.servers = [ApplianceServer(config, api_ca=api_ca, log=self._log) for config in self.configs]
        results = await asyncio.gather(*(server.start() for server in self.servers), return_exceptions=True)
        failures = [result for result in results if isinstance(result, BaseException)]
        if failures:
            await self.stop()
            raise failures[0]
        return results

    def members(self) -> list[tuple[dict, str, str]]:
        """``(ready info, token, admin password)`` of every appliance, primary first."""
        return [(server.ready_info(), server.state.token, server.state.admin_password) for server in self.servers]

    async def stop(self) -> None:
        """Stop every appliance."""
        await asyncio.gather(*(server.stop() for server in self.servers), return_exceptions=True)
