# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/report.yml against nginx servers that have only addresses and hostnames, serving openssl-made chains.

Each case (a correct chain, leaf only, wrong order, an expired leaf, root included, self-signed, wildcard, a
hostname not covered, an EC P-384 key, renewal due, two names by SNI on one address, nothing listening) must be
found for what it is, and the report must agree with ``openssl s_client -verify_return_error -verify_hostname``
on which chains verify. The four files are checked as their consumers read them: the JSON against its schema,
the metrics with prometheus_client's parser.
"""

from __future__ import annotations

import datetime
import json
import os
import stat

import jsonschema
import pytest
from nginx_site import openssl_verifies
from prometheus_client.parser import text_string_to_metric_families
from report_support import SCHEMA, load_report, report_playbook

FILES = ("report.html", "report.json", "report.prom", "report.md")
WRITE_TASK = "bomgar.pki.report : Write the report (report.html, report.json, report.prom, report.md)"
SUMMARY_TASK = "bomgar.pki.report : Summary by status"


def endpoints_of(document: dict) -> dict:
    """``{(host, hostname): endpoint}``."""
    return {
        (host["host"], endpoint["hostname"]): endpoint for host in document["hosts"] for endpoint in host["endpoints"]
    }


def test_every_case_is_found_for_what_it_is(nginx_site, nginx_report):
    directory, _run = nginx_report
    document = load_report(directory)
    hosts = {host["host"]: host for host in document["hosts"]}
    for name, case in nginx_site.cases.items():
        host = hosts[name]
        assert host["api"] is None, name
        for endpoint in host["endpoints"]:
            kinds = [problem["kind"] for problem in endpoint["problems"]]
            assert (endpoint["status"], kinds) == (case.status, case.problems), (name, endpoint["hostname"])
    closed = hosts["closed"]["endpoints"][0]
    assert closed["status"] == "unreachable"
    assert "Connection refused" in closed["error"]
    assert document["counts"] == {
        "expired": 1,
        "unreachable": 1,
        "invalid": 3,
        "renewal_due": 1,
        "warning": 1,
        "ok": 6,
    }


def test_the_facts_of_each_chain(nginx_report):
    directory, _run = nginx_report
    endpoints = endpoints_of(load_report(directory))
    leaf_only = endpoints[("leafonly", "leafonly.example.net")]
    assert leaf_only["chain"]["status"] == "incomplete"
    assert "Report Test Issuing CA" in leaf_only["chain"]["missing_issuer"]
    assert leaf_only["chain"]["missing_aia_urls"] == ["http://pki.example.net/issuing.cer"]
    order = endpoints[("order", "order.example.net")]["chain"]
    assert (order["status"], order["in_order"], order["length"]) == ("complete", False, 3)
    assert [entry["role"] for entry in order["served"]] == ["server", "intermediate", "intermediate"]
    rooted = endpoints[("rooted", "rooted.example.net")]["chain"]
    assert (rooted["root_included"], rooted["in_order"], rooted["served"][-1]["role"]) == (True, True, "root")
    correct = endpoints[("correct", "correct.example.net")]
    assert (correct["chain"]["root_included"], correct["chain"]["anchored"]) == (False, True)
    assert correct["certificate"]["ocsp_urls"] == ["http://ocsp.example.net"]
    assert correct["certificate"]["public_key"] == {"type": "rsa", "size": 2048}
    assert correct["tls"]["version"].startswith("TLSv1.")
    assert correct["tls"]["cipher"]
    assert endpoints[("p384", "p384.example.net")]["certificate"]["public_key"] == {
        "type": "ec",
        "curve": "P-384",
        "size": 384,
    }
    wildcard = endpoints[("wildcard", "www.wild.example.net")]
    assert wildcard["certificate"]["subject_alt_name"] == ["DNS:*.wild.example.net"]
    assert wildcard["hostnames_covered"] == {"www.wild.example.net": True}
    uncovered = endpoints[("uncovered", "uncovered.example.net")]
    assert uncovered["hostname_covered"] is False
    assert uncovered["verification"]["chain_trusted"] is True
    assert "does not cover uncovered.example.net" in uncovered["verification"]["reason"]
    expired = endpoints[("expired", "expired.example.net")]["certificate"]
    assert expired["expired"] is True
    assert -4 < expired["days_left"] < -3
    first, second = endpoints[("sni", "first.example.net")], endpoints[("sni", "second.example.net")]
    assert first["address"] == second["address"] == "127.0.70.11"
    assert first["certificate"]["subject_alt_name"] == ["DNS:first.example.net"]
    assert second["certificate"]["subject_alt_name"] == ["DNS:second.example.net"]
    due = endpoints[("due", "due.example.net")]
    assert due["renewal"]["due"] is True
    assert due["verification"]["verified"] is True


def test_the_report_agrees_with_openssl_on_which_chains_verify(nginx_site, nginx_report):
    directory, _run = nginx_report
    compared = []
    for host in load_report(directory)["hosts"]:
        for endpoint in host["endpoints"]:
            if endpoint["error"]:
                continue
            verified, verdict = openssl_verifies(
                endpoint["address"], endpoint["port"], endpoint["hostname"], nginx_site.root
            )
            compared.append((host["host"], endpoint["hostname"], endpoint["verification"]["verified"], verified))
            assert endpoint["verification"]["verified"] == verified, (host["host"], verdict, endpoint["verification"])
    refused = sorted(host for host, _name, ours, _theirs in compared if not ours)
    assert refused == ["expired", "leafonly", "selfsigned", "uncovered"]
    assert len(compared) == 12


def test_report_json_validates_against_its_schema(nginx_report):
    directory, _run = nginx_report
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(load_report(directory))


def test_report_prom_parses_as_prometheus_text(nginx_report):
    directory, _run = nginx_report
    families = {
        family.name: family
        for family in text_string_to_metric_families((directory / "report.prom").read_text(encoding="utf-8"))
    }
    for name in (
        "bomgar_certificate_not_after_timestamp_seconds",
        "bomgar_certificate_days_left",
        "bomgar_certificate_chain_valid",
        "bomgar_certificate_hostname_covered",
        "bomgar_certificate_served_matches_bound",
    ):
        assert families[name].type == "gauge"
        assert families[name].documentation
    samples = {
        (sample.name, sample.labels["host"], sample.labels.get("hostname")): sample
        for family in families.values()
        for sample in family.samples
        if "host" in sample.labels
    }
    expired = samples[("bomgar_certificate_days_left", "expired", "expired.example.net")]
    assert expired.value < 0
    assert set(expired.labels) == {"host", "address", "hostname", "fingerprint"}
    assert len(expired.labels["fingerprint"]) == 95
    assert samples[("bomgar_certificate_chain_valid", "selfsigned", "selfsigned.example.net")].value == 0
    assert samples[("bomgar_certificate_chain_valid", "correct", "correct.example.net")].value == 1
    assert samples[("bomgar_certificate_hostname_covered", "uncovered", "uncovered.example.net")].value == 0
    assert samples[("bomgar_certificate_probe_success", "closed", "closed.example.net")].value == 0
    assert ("bomgar_certificate_days_left", "closed", "closed.example.net") not in samples
    # No appliance here has an API, so nothing is bound: the series is announced but has no sample.
    assert families["bomgar_certificate_served_matches_bound"].samples == []


def test_report_md_lists_the_problems_and_every_endpoint(nginx_report):
    directory, _run = nginx_report
    text = (directory / "report.md").read_text(encoding="utf-8")
    assert text.startswith("# Web servers\n")
    problems = text.split("## Problems (7)", 1)[1].split("## Endpoints", 1)[0]
    assert problems.index("| Expired | expired |") < problems.index("| Invalid | leafonly |")
    endpoints = text.split("## Endpoints", 1)[1]
    rows = [line for line in endpoints.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 13
    assert rows[0].startswith("| Expired | expired |")


def test_the_run_ends_with_counts_by_status(nginx_report):
    directory, run = nginx_report
    lines = run.result(SUMMARY_TASK)["msg"]
    assert lines[1].strip() == "expired 1 · unreachable 1 · invalid 3 · renewal due 1 · warning 1 · ok 6"
    assert lines[-1].startswith(f"  Report: {directory / 'report.html'}")
    for name in FILES:
        assert stat.S_IMODE(os.stat(directory / name).st_mode) == 0o644


def test_same_data_leaves_the_files_unchanged_and_check_mode_writes_nothing(nginx_site, tmp_path):
    inventory = nginx_site.inventory
    options = ["-e", f"report_ca_bundle={nginx_site.root}", "-e", f"report_as_of={nginx_site.as_of}"]
    check = report_playbook(tmp_path, inventory, *options, check=True)
    assert check.rc == 0, check.stdout[-3000:]
    assert check.result(WRITE_TASK)["changed"] is True
    assert check.result(WRITE_TASK)["msg"].startswith("would write the report to")
    assert not (tmp_path / "certificate-report").exists()
    # The default report_dir is relative to where ansible-playbook starts (the test runs it in tmp_path).
    first = report_playbook(tmp_path, inventory, *options)
    assert first.rc == 0, first.stdout[-3000:]
    assert first.result(WRITE_TASK)["changed"] is True
    directory = tmp_path / "certificate-report"
    before = {name: (directory / name).read_bytes() for name in FILES}
    mtimes = {name: os.stat(directory / name).st_mtime_ns for name in FILES}
    second = report_playbook(tmp_path, inventory, *options)
    assert second.rc == 0, second.stdout[-3000:]
    assert second.result(WRITE_TASK)["changed"] is False
    assert {name: os.stat(directory / name).st_mtime_ns for name in FILES} == mtimes
    # An hour later nothing a reader acts on has changed: the files stay, with the time they were taken at.
    later = _shift(nginx_site.as_of, hours=1)
    third = report_playbook(
        tmp_path, inventory, "-e", f"report_ca_bundle={nginx_site.root}", "-e", f"report_as_of={later}"
    )
    assert third.result(WRITE_TASK)["changed"] is False
    assert third.result(WRITE_TASK)["as_of"] == nginx_site.as_of
    assert {name: (directory / name).read_bytes() for name in FILES} == before


def test_a_day_later_the_report_is_written_again(nginx_site, tmp_path):
    options = ["-e", f"report_ca_bundle={nginx_site.root}", "-e", f"report_dir={tmp_path / 'out'}"]
    first = report_playbook(tmp_path, nginx_site.inventory, *options, "-e", f"report_as_of={nginx_site.as_of}")
    assert first.result(WRITE_TASK)["changed"] is True
    tomorrow = _shift(nginx_site.as_of, days=1)
    second = report_playbook(tmp_path, nginx_site.inventory, *options, "-e", f"report_as_of={tomorrow}")
    assert second.result(WRITE_TASK)["changed"] is True
    assert load_report(tmp_path / "out")["as_of"] == tomorrow


def _shift(text: str, days: int = 0, hours: int = 0) -> str:
    moment = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ") + datetime.timedelta(days=days, hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("fail_on", [["expired"], ["invalid", "warning"]])
def test_report_fail_on_fails_the_run_after_writing(nginx_site, tmp_path, fail_on):
    run = report_playbook(
        tmp_path,
        nginx_site.inventory,
        "-e",
        json.dumps({"report_fail_on": fail_on, "report_ca_bundle": str(nginx_site.root)}),
    )
    assert run.rc != 0
    assert run.status("bomgar.pki.report : Fail on the statuses of report_fail_on") == "failed"
    assert (tmp_path / "certificate-report" / "report.html").exists()
