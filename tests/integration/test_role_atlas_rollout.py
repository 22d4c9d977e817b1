# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/atlas_rollout.yml against a fleet of reference appliances, run with ansible-playbook.

One certificate for the primary and every traffic node: pre-flight before any change (names covered,
appliances reachable), the transfer as a passphrase-protected PKCS#12, batches, the check of what each
node serves, rollback of a node whose check fails, and the summary.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import yaml
from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, keys, subject_fields
from ansible_collections.bomgar.pki.plugins.module_utils.pki.fingerprints import certificate_fingerprint
from cryptography.hazmat.primitives import serialization
from harness import ROOT, PlaybookRun, api_state, run_playbook

PLAYBOOK = ROOT / "playbooks" / "atlas_rollout.yml"
PASSPHRASE_MARKER = "Quartz-Zebra-4417-transfer-passphrase"
# A port where nothing listens: the check of what a node serves fails there.
CLOSED_PORT = 1
SUMMARY_TASK = "Collect the result of every traffic node"
PREFLIGHT_TASK = "Pre-flight | stop before any change unless every name is covered and every appliance answers"
SITE_RUN_TASK = "Stop before any change unless this run reaches every appliance of the site"
NODE_SITE_RUN_TASK = "Stop unless this run reaches every appliance of the site"
SITE_RUN_FIX = (
    "turn off job slicing for this job template (job slice count 1), and do not --limit a run to part of a site"
)


def spec(tmp_path: Path, **overrides) -> dict:
    """The certificate of the site (bomgar.pki.certificate variables) and rollout options."""
    values = {
        "certificate_name": "support.example.com",
        "certificate_subject": {"common_name": "Example Support", "organization_name": "Example Inc"},
        "certificate_subject_alt_name": ["DNS:support.example.com", "DNS:*.example.com"],
        "certificate_support_bundle_dir": str(tmp_path / "bundles"),
    }
    values.update(overrides)
    return values


def inventory(fleet, tmp_path: Path, name: str, **host_changes) -> Path:
    """The fleet's inventory with some host variables changed: ``node2_example_com={"var": value}``."""
    data = yaml.safe_load(fleet.inventory_path.read_text(encoding="utf-8"))
    hosts = {}
    for group in data["all"]["children"]["bomgar_site"]["children"].values():
        hosts.update(group["hosts"])
    for host, changes in host_changes.items():
        hosts[host.replace("_", ".")].update(changes)
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def rollout(
    tmp_path: Path, inventory_path: Path, extra_vars: dict, name: str, verbosity: int = 0, options: tuple = ()
) -> PlaybookRun:
    """Run the playbook as a user would; the extra variables go through a file, not the command line.

    ``options`` are more ansible-playbook options, for example ``("--limit", "node1.example.com", "--check")``.
    """
    workdir = tmp_path / name
    workdir.mkdir(parents=True)
    vars_file = workdir / "vars.json"
    vars_file.write_text(json.dumps(extra_vars), encoding="utf-8")
    arguments = ["-i", str(inventory_path), str(PLAYBOOK), "-e", f"@{vars_file}", *options]
    if verbosity:
        arguments.append("-" + "v" * verbosity)
    return run_playbook(workdir, arguments, timeout=300)


def task_result(run: PlaybookRun, suffix: str) -> dict:
    """The last result of the task whose name ends with ``suffix`` (role tasks carry the role's name first)."""
    found = [entry for entry in run.results if entry["task"].endswith(suffix)]
    assert found, f"no task ending with {suffix!r}:\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}"
    return found[-1]


def summary(run: PlaybookRun) -> dict:
    """The summary rows by node."""
    rows = task_result(run, SUMMARY_TASK)["result"]["ansible_facts"]["atlas_rollout_summary"]
    return {row["node"]: row for row in rows}


def recap_changed(run: PlaybookRun) -> dict:
    """``changed=`` of every host in the PLAY RECAP."""
    return {host: int(count) for host, count in re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", run.stdout, re.M)}


def served_leaf(handle) -> str:
    """The SHA-256 fingerprint of the certificate an appliance serves on its first address, over TLS."""
    return handle.served_fingerprints()[0]


def states(fleet) -> list:
    return [api_state(handle) for handle in fleet.appliances]


def test_rollout_reaches_every_node_and_a_second_run_changes_nothing(fleet_factory, tmp_path):
    fleet = fleet_factory(3)
    before = {handle.hostname: served_leaf(handle) for handle in fleet.appliances}
    extra = spec(tmp_path, atlas_rollout_passphrase=PASSPHRASE_MARKER)

    first = rollout(tmp_path, fleet.inventory_path, extra, "first", verbosity=3)

    assert first.rc == 0, first.stdout[-4000:] + first.stderr[-2000:]
    new = served_leaf(fleet.primary)
    assert new != before[fleet.primary.hostname]
    rows = summary(first)
    assert set(rows) == {node.hostname for node in fleet.traffic_nodes}
    for node in fleet.traffic_nodes:
        assert served_leaf(node) == new
        assert rows[node.hostname]["result"] == "changed"
        assert rows[node.hostname]["before"] == before[node.hostname]
        assert rows[node.hostname]["after"] == new
        with node.client() as client:
            bound = [c for c in client.get("certificates").json() if c["sha256_fingerprint"] == new]
        assert bound and bound[0]["private_key_available"] and bound[0]["ip_addresses"] == node.ip_addresses
    assert new in task_result(first, "Show the summary")["result"]["msg"][-1]

    # Neither the passphrase nor the PKCS#12 (a long base64 run) shows, even at -vvv or to a callback.
    recorded = json.dumps(first.results)
    for text in (first.stdout, first.stderr, recorded):
        assert PASSPHRASE_MARKER not in text
        assert not re.search(r"[A-Za-z0-9+/=]{200,}", text)
    export = task_result(
        first, "Export the certificate with its chain and private key as a passphrase-protected PKCS#12"
    )
    assert export["result"].get("censored")

    settled = states(fleet)
    second = rollout(tmp_path, fleet.inventory_path, spec(tmp_path), "second")

    assert second.rc == 0, second.stdout[-4000:]
    assert recap_changed(second) == {handle.hostname: 0 for handle in fleet.appliances}
    assert states(fleet) == settled
    assert {row["result"] for row in summary(second).values()} == {"unchanged"}


def test_a_node_hostname_the_names_do_not_cover_fails_the_preflight_and_changes_nothing(fleet_factory, tmp_path):
    fleet = fleet_factory(3)
    # *.example.com covers one label: node2.eu.example.com is not covered.
    path = inventory(
        fleet, tmp_path, "uncovered", node2_example_com={"bomgar_appliance_hostname": "node2.eu.example.com"}
    )
    before = states(fleet)

    run = rollout(tmp_path, path, spec(tmp_path), "uncovered")

    assert run.rc != 0
    message = task_result(run, PREFLIGHT_TASK)["result"]["msg"]
    assert "nothing was changed" in message
    assert "node2.eu.example.com (node2.example.com)" in message
    assert "node1.example.com" not in message
    assert states(fleet) == before


def test_an_unreachable_node_fails_the_preflight_and_changes_nothing(fleet_factory, tmp_path):
    fleet = fleet_factory(3)
    path = inventory(
        fleet, tmp_path, "unreachable", node1_example_com={"bomgar_appliance_url": f"https://127.0.0.1:{CLOSED_PORT}"}
    )
    before = states(fleet)

    run = rollout(tmp_path, path, spec(tmp_path), "unreachable")

    assert run.rc != 0
    message = task_result(run, PREFLIGHT_TASK)["result"]["msg"]
    assert f"Not reachable: node1.example.com (https://127.0.0.1:{CLOSED_PORT})" in message
    assert "node2.example.com" not in message
    assert states(fleet) == before


def test_a_node_failing_its_check_is_rolled_back_while_the_others_complete(fleet_factory, tmp_path):
    fleet = fleet_factory(4)
    node1, node2, node3 = fleet.traffic_nodes
    assert rollout(tmp_path, fleet.inventory_path, spec(tmp_path), "first").rc == 0
    first = served_leaf(fleet.primary)

    # A new certificate; node2 checks a port where nothing serves. Batches: node1, then node2 and node3.
    path = inventory(fleet, tmp_path, "node2-fails", node2_example_com={"atlas_verify_site_port": CLOSED_PORT})
    run = rollout(tmp_path, path, spec(tmp_path, certificate_force=True, atlas_serial=[1, "100%"]), "second")

    assert run.rc != 0  # the summary fails the run, after it was shown
    second = served_leaf(fleet.primary)
    assert second != first
    assert served_leaf(node1) == second
    assert served_leaf(node3) == second
    assert served_leaf(node2) == first
    rows = summary(run)
    assert rows[node1.hostname]["result"] == "changed"
    assert rows[node3.hostname]["result"] == "changed"
    assert rows[node2.hostname]["result"] == "rolled back"
    assert rows[node2.hostname]["before"] == first
    assert rows[node2.hostname]["after"] == first
    assert f"{node2.ip_addresses[0]}:{CLOSED_PORT}" in rows[node2.hostname]["message"]
    assert (
        "node2.example.com (rolled back)"
        in task_result(run, "Fail when a traffic node was not brought to the certificate")["result"]["msg"]
    )

    # The canary fails: no other node is touched.
    path = inventory(fleet, tmp_path, "canary-fails", node1_example_com={"atlas_verify_site_port": CLOSED_PORT})
    untouched = [api_state(node2), api_state(node3)]
    run = rollout(tmp_path, path, spec(tmp_path, certificate_force=True), "third")

    assert run.rc != 0
    third = served_leaf(fleet.primary)
    assert third not in (first, second)
    assert served_leaf(node1) == second
    rows = summary(run)
    assert rows[node1.hostname]["result"] == "rolled back"
    assert rows[node2.hostname]["result"] == rows[node3.hostname]["result"] == "not attempted"
    assert [api_state(node2), api_state(node3)] == untouched


def test_the_role_defines_no_inventory_variable_a_play_defaults(tmp_path):
    # A play that imports the role and reads inventory variables with its own defaults: the role's defaults
    # must not stand in for what the inventory leaves out. No appliance is needed: the role's tasks are skipped.
    workdir = tmp_path / "defaults"
    workdir.mkdir()
    inventory = {"all": {"hosts": {"node9.example.com": {"ansible_connection": "local"}}}}
    playbook = [
        {
            "name": "A play of the user's that imports the role",
            "hosts": "all",
            "gather_facts": False,
            "vars": {"user_port": "{{ bomgar_site_port | default(8443) }}"},
            "tasks": [
                {
                    "name": "The role's node tasks, not run here",
                    "ansible.builtin.import_role": {"name": "bomgar.pki.atlas_rollout", "tasks_from": "node"},
                    "when": False,
                },
                {
                    "name": "The play's own defaults apply",
                    "ansible.builtin.assert": {
                        "that": [
                            "user_port | int == 8443",
                            "bomgar_site_port | default(8443) == 8443",
                            "bomgar_ip_addresses | default(['192.0.2.9']) == ['192.0.2.9']",
                            "bomgar_appliance_hostname | default('node9.example.org') == 'node9.example.org'",
                            "bomgar_site_hostname | default('support.example.org') == 'support.example.org'",
                            "atlas_verify_site_port | default(9443) == 9443",
                        ]
                    },
                },
                {
                    "name": "The role's own inputs still have their defaults",
                    "ansible.builtin.assert": {
                        "that": [
                            "atlas_rollout_ip_addresses == []",
                            "atlas_rollout_node_hostnames == ['node9.example.com']",
                            "atlas_rollout_verify_site_port is none",
                            "atlas_rollout_site_hostname == ''",
                        ]
                    },
                },
            ],
        }
    ]
    (workdir / "inventory.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    (workdir / "playbook.yml").write_text(yaml.safe_dump(playbook, sort_keys=False), encoding="utf-8")

    run = run_playbook(workdir, ["-i", str(workdir / "inventory.yml"), str(workdir / "playbook.yml")])

    assert run.rc == 0, run.stdout[-3000:]
    assert run.status("The play's own defaults apply") == "ok"
    assert run.status("The role's own inputs still have their defaults") == "ok"


def put_certificate_on(handle, friendly_name: str, with_key: bool) -> str:
    """A self-signed certificate for the site on an appliance, with its key there or without; its fingerprint."""
    key = keys.generate_private_key(keys.KeySpec.create("ec"))
    subject = subject_fields.SubjectSpec(common_name="Example Support")
    cert = builder.self_signed_certificate(key, subject, ["DNS:support.example.com", "DNS:*.example.com"])
    files = [cert.public_bytes(serialization.Encoding.PEM)]
    if with_key:
        files.append(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    body = {
        "friendly_name": friendly_name,
        "files": [
            {"name": f"file{index}.pem", "content": base64.b64encode(data).decode()} for index, data in enumerate(files)
        ],
    }
    with handle.client() as client:
        client.post("certificates/import", json=body).raise_for_status()
    return certificate_fingerprint(cert)


def test_without_issuing_the_certificate_on_the_primary_is_rolled_out_or_refused(fleet_factory, tmp_path):
    fleet = fleet_factory(3)
    # Named as the certificate role names its certificates: certificate_name finds it.
    rolled = put_certificate_on(fleet.primary, "support.example.com 20260101-000000", with_key=True)
    keyless = put_certificate_on(fleet.primary, "keyless", with_key=False)
    extra = spec(tmp_path, atlas_rollout_issue=False, atlas_rollout_passphrase=PASSPHRASE_MARKER)

    run = rollout(tmp_path, fleet.inventory_path, extra, "existing", verbosity=3)

    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    for node in fleet.traffic_nodes:
        assert served_leaf(node) == rolled
        assert summary(run)[node.hostname]["result"] == "changed"
    said = task_result(run, "Say what is rolled out")["result"]["msg"]
    assert f"'support.example.com 20260101-000000' ({rolled}" in said
    assert PASSPHRASE_MARKER not in run.stdout + run.stderr + json.dumps(run.results)

    # A certificate whose key is not on the primary: refused by the export, nothing reaches the nodes.
    before = [api_state(node) for node in fleet.traffic_nodes]
    refused = rollout(tmp_path, fleet.inventory_path, {**extra, "atlas_rollout_certificate": "keyless"}, "keyless")

    assert refused.rc != 0
    message = task_result(refused, "Stop when the certificate cannot be rolled out")["result"]["msg"]
    assert message.startswith(f"The certificate cannot be rolled out from the primary {fleet.primary.hostname}: ")
    assert f"The private key of certificate 'keyless' ({keyless}) is not on the appliance" in message
    assert message.endswith("Nothing was sent to the traffic nodes.")
    assert [api_state(node) for node in fleet.traffic_nodes] == before
    assert not [
        entry
        for entry in refused.results
        if entry["task"].endswith(
            "Import the certificate with its chain and key from the PKCS#12, serve it and check what is served"
        )
        and entry["status"] != "skipped"
    ]


def ran(run: PlaybookRun, suffix: str) -> list:
    """The results of the tasks whose name ends with ``suffix`` that were not skipped."""
    return [entry for entry in run.results if entry["task"].endswith(suffix) and entry["status"] != "skipped"]


def sliced_inventory(fleet, tmp_path: Path, keep: list) -> Path:
    """The fleet's inventory as one slice of a sliced job gets it: only the hosts of ``keep`` in every group,
    group variables whole, with bomgar_site_members listing the whole site."""
    data = yaml.safe_load(fleet.inventory_path.read_text(encoding="utf-8"))
    site = data["all"]["children"]["bomgar_site"]
    members = []
    for group in site["children"].values():
        members += list(group["hosts"])
        group["hosts"] = {host: values for host, values in group["hosts"].items() if host in keep}
    site.setdefault("vars", {})["bomgar_site_members"] = members
    path = tmp_path / "slice.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_a_run_that_reaches_only_part_of_the_site_stops_before_any_change(fleet_factory, tmp_path):
    fleet = fleet_factory(3)
    primary = fleet.primary.hostname
    node1, node2 = (node.hostname for node in fleet.traffic_nodes)
    before = states(fleet)

    # --limit to the primary and one node, with and without --check: stopped before the lock is taken.
    for options in (("--limit", f"{primary},{node1}"), ("--limit", f"{primary},{node1}", "--check", "--diff")):
        run = rollout(tmp_path, fleet.inventory_path, spec(tmp_path), f"limit{len(options)}", options=options)

        assert run.rc != 0, run.stdout[-3000:]
        message = task_result(run, SITE_RUN_TASK)["result"]["msg"]
        assert f"{node2} left out by the limit (--limit)" in message
        assert f"The run holds {primary}, {node1}." in message
        assert SITE_RUN_FIX in message
        assert message.endswith("Nothing was changed on any appliance.")
        for later in (
            "Take the site's lock on the primary",
            PREFLIGHT_TASK,
            "Issue or renew the certificate on the primary",
        ):
            assert not ran(run, later), f"{later} ran:\n{run.stdout[-3000:]}"
        assert not ran(
            run, "Import the certificate with its chain and key from the PKCS#12, serve it and check what is served"
        )
        assert states(fleet) == before

    # The traffic nodes without their primary: the node play says the same, and nothing is imported.
    run = rollout(tmp_path, fleet.inventory_path, spec(tmp_path), "nodes", options=("--limit", "bomgar_traffic_nodes"))

    assert run.rc != 0, run.stdout[-3000:]
    message = task_result(run, NODE_SITE_RUN_TASK)["result"]["msg"]
    assert f"{primary} left out by the limit (--limit)" in message
    assert SITE_RUN_FIX in message
    assert not ran(
        run, "Import the certificate with its chain and key from the PKCS#12, serve it and check what is served"
    )
    assert states(fleet) == before

    # One slice of a sliced job: its inventory holds the primary and node1 only; bomgar_site_members tells it more.
    path = sliced_inventory(fleet, tmp_path, [primary, node1])
    run = rollout(tmp_path, path, spec(tmp_path), "slice")

    assert run.rc != 0, run.stdout[-3000:]
    message = task_result(run, SITE_RUN_TASK)["result"]["msg"]
    assert f"{node2} not in this run's inventory (in another slice of a sliced job" in message
    assert SITE_RUN_FIX in message
    assert not ran(run, "Take the site's lock on the primary")
    assert states(fleet) == before

    # The whole site, named by its group: the run goes past the check (in check mode, changing nothing).
    run = rollout(tmp_path, fleet.inventory_path, spec(tmp_path), "site", options=("--limit", "bomgar_site", "--check"))

    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert task_result(run, SITE_RUN_TASK)["status"] == "skipped"
    assert ran(run, PREFLIGHT_TASK)
    assert states(fleet) == before
