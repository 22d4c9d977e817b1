# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m reference_appliance fleet``: a primary and its traffic nodes in one process, and their inventory."""

from __future__ import annotations

import json
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography import x509

HOST_VARS = {
    "bomgar_appliance_url",
    "bomgar_api_token",
    "bomgar_username",
    "bomgar_password",
    "bomgar_ca_path",
    "bomgar_appliance_hostname",
    "bomgar_site_hostname",
    "bomgar_role",
    "bomgar_ip_addresses",
    "bomgar_site_port",
    "ansible_connection",
    "ansible_python_interpreter",
}
HOSTNAMES = ["appliance.example.org", "node1.example.org", "node2.example.org"]


@pytest.fixture
def fleet(fleet_factory):
    return fleet_factory(3, domain="example.org", site_hostname="support.example.org")


def test_inventory_has_the_site_groups_and_every_host_var(fleet):
    assert stat.S_IMODE(fleet.inventory_path.stat().st_mode) == 0o600
    inventory = yaml.safe_load(fleet.inventory_path.read_text(encoding="utf-8"))
    site = inventory["all"]["children"]["bomgar_site"]["children"]
    assert list(site["bomgar_primary"]["hosts"]) == HOSTNAMES[:1]
    assert list(site["bomgar_traffic_nodes"]["hosts"]) == HOSTNAMES[1:]
    hosts = {**site["bomgar_primary"]["hosts"], **site["bomgar_traffic_nodes"]["hosts"]}
    for index, (hostname, variables) in enumerate(hosts.items()):
        member = fleet.appliances[index]
        assert set(variables) == HOST_VARS
        assert variables["bomgar_appliance_url"] == member.api_url
        assert variables["bomgar_api_token"] == member.token
        assert variables["bomgar_username"] == "admin"
        assert variables["bomgar_password"] == member.password
        assert variables["bomgar_ca_path"] == str(fleet.ca_path)
        assert variables["bomgar_appliance_hostname"] == hostname
        assert variables["bomgar_site_hostname"] == "support.example.org"
        assert variables["bomgar_role"] == ("primary" if index == 0 else "traffic-node")
        assert variables["bomgar_ip_addresses"] == [f"127.0.{index + 1}.2"]
        assert variables["bomgar_site_port"] == member.site_port
        assert variables["ansible_connection"] == "local"
        assert variables["ansible_python_interpreter"] == "{{ ansible_playbook_python }}"


def test_ansible_reads_the_inventory(fleet):
    ansible_inventory = Path(sys.executable).with_name("ansible-inventory")
    done = subprocess.run(
        [str(ansible_inventory), "-i", str(fleet.inventory_path), "--list"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert listed["bomgar_site"]["children"] == ["bomgar_primary", "bomgar_traffic_nodes"]
    assert listed["bomgar_traffic_nodes"]["hosts"] == HOSTNAMES[1:]


def test_each_api_answers_with_its_own_identity(fleet):
    api_urls = {member.api_url for member in fleet.appliances}
    assert len(api_urls) == 3
    for index, member in enumerate(fleet.appliances):
        assert member.ca_path == fleet.ca_path
        with member.client() as client:
            basics = client.get("/status/basics").json()
        assert basics["hostname"] == HOSTNAMES[index]
        assert basics["site_hostname"] == "support.example.org"
        assert basics["ip_addresses"] == [f"127.0.{index + 1}.2"]
        if index == 0:
            assert basics["role"] == "primary"
            assert basics["traffic_nodes"] == HOSTNAMES[1:]
        else:
            assert basics["role"] == "traffic-node"
            assert basics["traffic_nodes"] == []


def test_tokens_are_per_appliance(fleet):
    primary, node = fleet.appliances[0], fleet.appliances[1]
    assert primary.token != node.token
    with node.client(headers={"Authorization": f"Bearer {primary.token}"}) as client:
        assert client.get("/status/basics").status_code == 401


def test_each_node_serves_tls_on_its_own_address(fleet):
    for member in fleet.appliances:
        chain = member.served_chain()
        leaf = x509.load_der_x509_certificate(chain[0])
        sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert sans.get_values_for_type(x509.DNSName) == [member.hostname]


def test_sigterm_stops_every_appliance(fleet):
    addresses = [(member.ip_addresses[0], member.site_port) for member in fleet.appliances]
    assert fleet.stop(timeout=15) == 0
    for address in addresses:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(address, timeout=5).close()
