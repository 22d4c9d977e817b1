# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/atlas_rollout.yml with the certificate role's acme provider (controller mode): a wildcard over DNS-01.

One site (a primary and two traffic nodes of the reference appliance, hostnames under ``support.example.com``),
Pebble as the CA and pebble-challtestsrv as its DNS (tests/pebble.py), started once for the module. The primary
makes the key and the request, the controller orders ``support.example.com`` and ``*.support.example.com`` over
DNS-01 with community.crypto (from build/optional-collections, ``make optional-collections``), the primary imports
and serves the certificate, and the rollout carries it with its key to every traffic node as a passphrase-protected
PKCS#12. Every address of every appliance must then serve the same leaf, chaining to Pebble's root; the private key
must appear in no output and no file of the controller; a second run changes nothing and orders nothing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from acme_helpers import crypto_env, dns_calls, import_root, recording_dns_tasks, verified_handshake
from appliance_fixtures import FleetHandle, sha256_fingerprint, start_fleet
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.verification import PolicyBuilder, Store
from harness import ROOT, PlaybookRun, api_state, run_playbook
from pebble import Pebble, start_pebble

PLAYBOOK = ROOT / "playbooks" / "atlas_rollout.yml"
OPTIONAL_COLLECTIONS = ROOT / "build" / "optional-collections"
COMMUNITY_CRYPTO = OPTIONAL_COLLECTIONS / "ansible_collections" / "community" / "crypto"
CHALLTESTSRV_TASKS = ROOT / "examples" / "acme" / "dns-challtestsrv.yml"
SITE = "support.example.com"
WILDCARD = f"*.{SITE}"
SANS = [f"DNS:{SITE}", f"DNS:{WILDCARD}"]
ROLE = "bomgar.pki.atlas_rollout : "
SUMMARY_TASK = ROLE + "Collect the result of every traffic node"
PLAN_TASK = "bomgar.pki.certificate : Plan"
PREFLIGHT_TASK = ROLE + "Pre-flight | stop before any change unless every name is covered and every appliance answers"
PRIMARY_FAILURE_TASK = ROLE + "Stop, with what went wrong on the primary"
LOCK_TASKS = {
    ROLE + "Take the site's lock on the primary",
    ROLE + "Give the site's lock back, the rollout having stopped on the primary",
}


# --- the site, once for the module -----------------------------------------------------------------------------


@dataclass
class AcmeSite:
    """Pebble, the fleet (primary first), the ACME account key file and the folder of the DNS task file's log."""

    folder: Path
    ca: Pebble
    fleet: FleetHandle
    account_key: Path
    dns_folder: Path
    # Each run's TMPDIR, by run name: a short path under the system's temporary folder, since Ansible puts the
    # sockets of its local servers there and a socket's path is limited to about 100 characters.
    controller_tmp: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("atlas-acme")
    ca = start_pebble(folder / "pebble")
    try:
        # appliance.support.example.com, node1.support.example.com, node2.support.example.com; site support.example.com
        fleet = start_fleet(folder / "fleet", 3, domain=SITE, site_hostname=SITE)
        try:
            import_root(fleet.primary, ca)
            # The account key is a file outside every run's folder: a private key found there would be the site's.
            account_key = folder / "account" / "acme-account.key"
            account_key.parent.mkdir()
            key = ec.generate_private_key(ec.SECP256R1())
            account_key.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
            acme_site = AcmeSite(folder, ca, fleet, account_key, folder / "dns")
            try:
                yield acme_site
            finally:
                for path in acme_site.controller_tmp.values():
                    shutil.rmtree(path, ignore_errors=True)
        finally:
            fleet.stop()
    finally:
        ca.stop()


def acme_spec(site: AcmeSite, **changes) -> dict:
    """The site's certificate: the acme provider in controller mode, the site name and its wildcard."""
    values = {
        "certificate_name": SITE,
        "certificate_subject_alt_name": SANS,
        "certificate_key_type": "ec",
        "certificate_provider": "acme",
        "certificate_acme_directory": site.ca.directory_url,
        "certificate_acme_ca_path": str(site.ca.ca_bundle_path),
        "certificate_acme_account_key_src": str(site.account_key),
        "certificate_acme_contact": ["pki-team@example.com"],
        # Relative, as in an inventory repository: taken from the folder ansible-playbook runs in (a run's folder).
        "certificate_acme_dns_tasks": str(
            Path("..") / recording_dns_tasks(site.dns_folder, with_values=False).relative_to(site.folder)
        ),
        "challtestsrv_url": f"http://127.0.0.1:{site.ca.challtestsrv_port}",
        "certificate_support_bundle_dir": str(site.folder / "bundles"),
    }
    values.update(changes)
    return values


def rollout(site: AcmeSite, extra_vars: dict, name: str, verbosity: int = 0, options: tuple = ()) -> PlaybookRun:
    """The playbook as a user runs it, with community.crypto on the collections path; everything the controller
    writes (Ansible's and the modules' temporary files) stays under the run's own TMPDIR (site.controller_tmp)."""
    workdir = site.folder / name
    workdir.mkdir(parents=True)
    site.controller_tmp[name] = Path(tempfile.mkdtemp(prefix="atlas-acme-"))
    vars_file = workdir / "vars.json"
    vars_file.write_text(json.dumps(extra_vars), encoding="utf-8")
    arguments = ["-i", str(site.fleet.inventory_path), str(PLAYBOOK), "-e", f"@{vars_file}", *options]
    if verbosity:
        arguments.append("-" + "v" * verbosity)
    env = {**crypto_env(), "TMPDIR": str(site.controller_tmp[name])}
    return run_playbook(workdir, arguments, env=env, timeout=300)


def recap_changed(run: PlaybookRun) -> dict:
    """``changed=`` of every host in the PLAY RECAP."""
    return {host: int(count) for host, count in re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", run.stdout, re.M)}


def summary(run: PlaybookRun) -> dict:
    """The summary rows by node."""
    entry = run.result(SUMMARY_TASK)
    return {row["node"]: row for row in entry["ansible_facts"]["atlas_rollout_summary"]}


def certificate_result(run: PlaybookRun) -> dict:
    """The certificate role's result on the primary."""
    task = "bomgar.pki.certificate : Record the result (certificate_result)"
    for entry in reversed(run.results):
        if entry["task"] == task and entry["status"] != "skipped":
            for item in entry["result"].get("results") or [entry["result"]]:
                if "ansible_facts" in item:
                    return item["ansible_facts"]["certificate_result"]
    raise AssertionError(f"no {task!r}\n{run.stdout[-4000:]}")


def openssl_verifies(address: str, port: int, roots_file: Path, hostname: str) -> str:
    """``openssl s_client`` on ``address:port``: the chain served must verify against Pebble's root for ``hostname``;
    the output, for the message of a failed assertion."""
    done = subprocess.run(
        [
            "openssl",
            "s_client",
            "-connect",
            f"{address}:{port}",
            "-servername",
            hostname,
            "-CAfile",
            str(roots_file),
            "-verify_hostname",
            hostname,
            "-verify_return_error",
            "-showcerts",
        ],
        input=b"",
        capture_output=True,
        timeout=20,
        check=False,
    )
    output = done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")
    assert done.returncode == 0 and "Verify return code: 0 (ok)" in output, output[-3000:]
    return output


def served(handle, address: str) -> list:
    """The chain ``address`` of an appliance serves, leaf first (cryptography objects)."""
    return [x509.load_der_x509_certificate(der) for der in handle.served_chain(address)]


def pebble_issued(ca) -> list:
    """The serial numbers (hex) of the certificates Pebble issued, from its log, and the number of orders placed."""
    log = ca.log()
    serials = re.findall(r"Issued certificate serial ([0-9a-f]+) for order", log)
    # Pebble writes the serial with its leading zeros: as a number it compares with the certificate's.
    return [f"{int(serial, 16):x}" for serial in serials], log.count("Added order ")


def every_address(fleet):
    for handle in fleet.appliances:
        for address in handle.ip_addresses:
            yield handle, address


def files_holding(folders: list, marker: bytes) -> list:
    """The files under ``folders`` that hold ``marker``, the members of zip files (support bundles) included."""
    found = []
    for path in (path for folder in folders for path in Path(folder).rglob("*") if path.is_file()):
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                found += [f"{path}:{name}" for name in archive.namelist() if marker in archive.read(name)]
        elif marker in path.read_bytes():
            found.append(str(path))
    return sorted(found)


# --- the rollout --------------------------------------------------------------------------------------------


def test_a_wildcard_ordered_over_dns01_is_served_by_every_appliance_and_a_rerun_changes_nothing(site):
    fleet, ca = site.fleet, site.ca
    primary, nodes = fleet.primary, fleet.traffic_nodes
    assert [handle.hostname for handle in fleet.appliances] == [
        f"appliance.{SITE}",
        f"node1.{SITE}",
        f"node2.{SITE}",
    ]
    factory = {handle.hostname: handle.served_fingerprints()[0] for handle in fleet.appliances}
    roots_file = site.folder / "pebble-roots.pem"
    roots_file.write_text(ca.roots_pem(), encoding="ascii")

    # Check mode: the plan says the controller orders over DNS-01; no order, nothing changes, no node is touched.
    before = [api_state(handle) for handle in fleet.appliances]
    planned = rollout(site, acme_spec(site), "check", options=("--check",))
    assert planned.rc == 0, planned.stdout[-6000:] + planned.stderr[-2000:]
    plan = planned.result(PLAN_TASK, host=primary.hostname)["msg"]
    assert plan[0].startswith(f"Issue: {SITE} "), plan
    assert any(
        "ordered by the controller" in line and f"for {SITE}, {WILDCARD} over DNS-01" in line for line in plan
    ), plan
    assert {row["result"] for row in summary(planned).values()} == {"not attempted"}
    assert [api_state(handle) for handle in fleet.appliances] == before
    assert dns_calls(site.dns_folder) == []
    assert pebble_issued(ca) == ([], 0)

    first = rollout(site, acme_spec(site), "first", verbosity=3)

    assert first.rc == 0, first.stdout[-6000:] + first.stderr[-2000:]
    result = certificate_result(first)
    assert result["action"] == "issue"
    leaf_fingerprint = result["sha256_fingerprint"]
    # The key and the request were made on the primary: the certificate's public key is that of a key it holds.
    with primary.client() as client:
        issued = next(c for c in client.get("certificates").json() if c["sha256_fingerprint"] == leaf_fingerprint)
        key_fingerprints = {key["public_key_fingerprint"] for key in client.get("keys").json()}
        requested = {r["public_key_fingerprint"] for r in client.get("certificate-requests").json()}
    assert issued["public_key_fingerprint"] in key_fingerprints & requested

    # The primary holds it with its key, made there; the traffic nodes got it with its key from the PKCS#12.
    for handle in fleet.appliances:
        with handle.client() as client:
            held = [c for c in client.get("certificates").json() if c["sha256_fingerprint"] == leaf_fingerprint]
        assert held, handle.hostname
        assert set(held[0]["subject_alt_name"]) == set(SANS)
        assert held[0]["private_key_available"], handle.hostname
        assert sorted(held[0]["ip_addresses"]) == sorted(handle.ip_addresses), handle.hostname

    # Every address of every appliance serves the same Pebble-issued leaf with its chain; a client that trusts only
    # Pebble's root accepts it for the site name and for the appliance's own name (covered by the wildcard).
    intermediate = x509.load_pem_x509_certificate(ca.intermediates_pem().encode("ascii"))
    roots = x509.load_pem_x509_certificates(ca.roots_pem().encode("ascii"))
    for handle, address in every_address(fleet):
        chain = served(handle, address)
        leaf = chain[0]
        assert sha256_fingerprint(leaf.public_bytes(serialization.Encoding.DER)) == leaf_fingerprint, address
        assert leaf_fingerprint != factory[handle.hostname]
        sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert sorted(sans.get_values_for_type(x509.DNSName)) == sorted([SITE, WILDCARD])
        assert leaf.issuer == intermediate.subject, leaf.issuer
        assert intermediate in chain[1:], f"{address} does not send Pebble's intermediate"
        for hostname in (SITE, handle.hostname):
            verifier = PolicyBuilder().store(Store(roots)).build_server_verifier(x509.DNSName(hostname))
            verifier.verify(leaf, chain[1:])
            der = verified_handshake(address, handle.site_port, ca.roots_pem(), hostname)
            assert sha256_fingerprint(der) == leaf_fingerprint
            openssl_verifies(address, handle.site_port, roots_file, hostname)

    rows = summary(first)
    assert set(rows) == {node.hostname for node in nodes}
    for node in nodes:
        assert rows[node.hostname]["result"] == "changed"
        assert rows[node.hostname]["before"] == factory[node.hostname]
        assert rows[node.hostname]["after"] == leaf_fingerprint

    # One order, one certificate: the leaf every address serves. Both values of the order (the site name and its
    # wildcard share one record) were set, then the record was removed.
    leaf = served(primary, primary.ip_addresses[0])[0]
    assert pebble_issued(ca) == ([f"{leaf.serial_number:x}"], 1)
    calls = dns_calls(site.dns_folder)
    assert calls == [f"present _acme-challenge.{SITE}", f"absent _acme-challenge.{SITE}"], calls

    # The key of the certificate travelled only inside the PKCS#12, in memory: no private key, and no PKCS#12 (a
    # long base64 run), in any output at -vvv, in any recorded result, or in any file the run left on the controller.
    recorded = json.dumps(first.results)
    for place, text in {"stdout": first.stdout, "stderr": first.stderr, "results": recorded}.items():
        assert "PRIVATE KEY" not in text, place
        assert not re.search(r"[A-Za-z0-9+/=]{200,}", text), place
    answer = Path(first.result("bomgar.pki.certificate : Folder for the CA's answer")["path"])
    assert answer.parent == site.controller_tmp["first"] and not answer.exists()
    folders = [site.folder / "first", site.controller_tmp["first"], site.folder / "dns", site.folder / "bundles"]
    assert files_holding(folders, b"PRIVATE KEY") == []

    # The next run: nothing to do on the primary, no order (no DNS change, the same leaf), nothing changed anywhere.
    settled = [api_state(handle) for handle in fleet.appliances]
    second = rollout(site, acme_spec(site), "second")

    assert second.rc == 0, second.stdout[-6000:] + second.stderr[-2000:]
    again = certificate_result(second)
    assert again["action"] == "none" and again["sha256_fingerprint"] == leaf_fingerprint
    assert again["reasons"][0].startswith("nothing to do:"), again["reasons"]
    assert recap_changed(second) == {handle.hostname: 0 for handle in fleet.appliances}
    assert {row["result"] for row in summary(second).values()} == {"unchanged"}
    assert pebble_issued(ca) == ([f"{leaf.serial_number:x}"], 1), "no new order"
    assert dns_calls(site.dns_folder) == calls
    assert [api_state(handle) for handle in fleet.appliances] == settled
    for handle, address in every_address(fleet):
        assert handle.served_fingerprints(address)[0] == leaf_fingerprint


# --- refused before anything is changed -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "changes", "task", "message"),
    [
        pytest.param(
            "appliance-mode",
            # The primary's own ACME client would renew between runs without the nodes (and HTTP-01 cannot prove
            # the wildcard either): the site's pre-flight refuses it before the certificate role plans.
            {"certificate_acme_mode": "appliance"},
            PREFLIGHT_TASK,
            "The site's certificate would come from the primary's own ACME client (certificate_provider acme with "
            "certificate_acme_mode appliance), which renews it by itself between runs while the traffic nodes keep "
            "the previous one. Use certificate_acme_mode controller for an Atlas site",
            id="appliance_mode",
        ),
        pytest.param(
            "one-label",
            # A wildcard covers exactly one label: *.example.com covers none of the appliances' hostnames.
            {"certificate_subject_alt_name": [f"DNS:{SITE}", "DNS:*.example.com"]},
            PREFLIGHT_TASK,
            f"Not covered by the subject alternative names [DNS:{SITE}, DNS:*.example.com]: appliance.{SITE} "
            f"(appliance.{SITE}), node1.{SITE} (node1.{SITE}), node2.{SITE} (node2.{SITE}). Add them to the subject "
            "alternative names (a wildcard such as *.example.com covers exactly one label)",
            id="wildcard_one_label_short",
        ),
    ],
)
def test_a_wildcard_that_cannot_be_ordered_or_rolled_out_is_refused_before_any_order(
    site, name, changes, task, message
):
    fleet = site.fleet
    before = [api_state(handle) for handle in fleet.appliances]
    served_before = [handle.served_fingerprints(address) for handle, address in every_address(fleet)]
    calls, issued = dns_calls(site.dns_folder), pebble_issued(site.ca)

    run = rollout(site, acme_spec(site, **changes), f"refused-{name}")

    assert run.rc != 0
    assert run.status(task) == "failed"
    assert message in run.result(task)["msg"], run.result(task)["msg"]
    # The primary's play stops with the same message, after giving the site's lock back; no node is reached.
    assert message in run.result(PRIMARY_FAILURE_TASK)["msg"]
    changed = {entry["task"] for entry in run.results if entry["result"].get("changed")}
    assert changed <= LOCK_TASKS, changed
    assert not [entry for entry in run.results if entry["host"] != fleet.primary.hostname and entry["status"] == "ok"]
    assert [api_state(handle) for handle in fleet.appliances] == before
    assert [handle.served_fingerprints(address) for handle, address in every_address(fleet)] == served_before
    # No order: the DNS task file was never called, the CA saw no new order.
    assert dns_calls(site.dns_folder) == calls
    assert pebble_issued(site.ca) == issued
