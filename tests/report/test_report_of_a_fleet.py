# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/report.yml against a fleet of reference appliances, whose inventory has their API connections.

Beside what TLS shows, the report reads each appliance: what is bound to each address (and whether that is what
is served), whether its software trusts the root, and for a host with the certificate role's variables what the
role would do. An appliance whose API refuses the token is still asked over TLS.
"""

from __future__ import annotations

import json

import jsonschema
import yaml
from prometheus_client.parser import text_string_to_metric_families
from report_support import SCHEMA, load_report, report_playbook


def test_report_of_a_reference_fleet(fleet_factory, tmp_path):
    fleet = fleet_factory(3)
    primary, first_node, second_node = (handle.hostname for handle in fleet.appliances)
    extra = tmp_path / "spec.yml"
    extra.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "hosts": {
                        primary: {
                            "certificate_name": "support.example.com",
                            "certificate_subject_alt_name": ["DNS:support.example.com", "DNS:*.example.com"],
                        },
                        second_node: {"bomgar_api_token": "not-the-token"},
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    run = report_playbook(
        tmp_path, fleet.inventory_path, "-i", str(extra), "-e", json.dumps({"report_group": "bomgar_site"})
    )
    assert run.rc == 0, run.stdout[-4000:]
    document = load_report(tmp_path / "certificate-report")
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(document)
    hosts = {host["host"]: host for host in document["hosts"]}
    assert [site["name"] for site in document["sites"]] == ["support.example.com"]

    # Each appliance is asked on its address as its own hostname and as the site hostname.
    for handle in fleet.appliances:
        asked = {(endpoint["address"], endpoint["hostname"]) for endpoint in hosts[handle.hostname]["endpoints"]}
        assert asked == {(handle.ip_addresses[0], handle.hostname), (handle.ip_addresses[0], "support.example.com")}

    # Read through the API: the factory default is bound, served as bound, and its root is trusted.
    for name in (primary, first_node):
        api = hosts[name]["api"]
        assert api["error"] is None
        assert api["appliance"]["hostname"] == name
        for endpoint in hosts[name]["endpoints"]:
            assert endpoint["bound"]["matches"] is True
            assert endpoint["bound"]["friendly_name"] == endpoint["friendly_name"]
            assert endpoint["software_update_required"] is False
    # The host with the role's variables: the role would issue its certificate (a plan, as in check mode).
    plan = hosts[primary]["api"]["plan"]
    assert (plan["failed"], plan["action"]) == (False, "issue")
    assert [problem["kind"] for problem in hosts[primary]["problems"]] == ["role_would_change"]
    assert hosts[first_node]["api"]["plan"] is None
    # The appliance whose API refuses: its own problem, and what TLS shows all the same.
    assert hosts[second_node]["api"]["error"]
    assert [problem["kind"] for problem in hosts[second_node]["problems"]] == ["api_error"]
    assert all(endpoint["certificate"] for endpoint in hosts[second_node]["endpoints"])
    assert all(endpoint["bound"] is None for endpoint in hosts[second_node]["endpoints"])
    # Self-signed factory certificates are not in the system's trust store, and do not cover the site hostname.
    assert document["counts"]["invalid"] == 6

    families = {
        family.name: family
        for family in text_string_to_metric_families(
            (tmp_path / "certificate-report" / "report.prom").read_text(encoding="utf-8")
        )
    }
    bound = families["bomgar_certificate_served_matches_bound"].samples
    assert sorted({sample.labels["host"] for sample in bound}) == sorted([primary, first_node])
    assert all(sample.value == 1 for sample in bound)
    # The API token never reaches the output or the files.
    token = fleet.appliances[0].token
    assert token not in run.stdout
    for path in (tmp_path / "certificate-report").iterdir():
        assert token not in path.read_text(encoding="utf-8")
