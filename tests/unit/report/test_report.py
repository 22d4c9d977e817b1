# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report without a server: statuses and problems, the document and its digest, the files and their writing."""

from __future__ import annotations

import copy
import json
import os

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic import certificate_report
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import Context, ModuleFailed
from ansible_collections.bomgar.pki.plugins.module_utils.report import document as report_document
from ansible_collections.bomgar.pki.plugins.module_utils.report import inventory, status, text
from prometheus_client.parser import text_string_to_metric_families

FINGERPRINT = ":".join(["ab"] * 32)
OTHER = ":".join(["cd"] * 32)


def endpoint(**changes) -> dict:
    """A healthy endpoint as served_certificate_info gives it; ``changes`` go into its parts."""
    found = {
        "address": "192.0.2.10",
        "hostname": "support.example.com",
        "port": 443,
        "connect": "192.0.2.10",
        "error": None,
        "tls": {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384", "bits": 256},
        "certificate": {
            "subject_alt_name": ["DNS:support.example.com"],
            "sha256_fingerprint": FINGERPRINT,
            "not_before": "2026-11-01T00:00:00Z",
            "not_after": "2027-05-01T00:00:00Z",
            "days_left": 100.4,
            "fraction_left": 0.55,
            "expired": False,
            "not_yet_valid": False,
            "public_maximum_days": 200,
            "over_public_maximum": False,
        },
        "chain": {"status": "complete", "in_order": True, "served": [], "missing_aia_urls": []},
        "verification": {"verified": True, "chain_trusted": True, "reason": None, "chain_reason": None},
        "hostname_covered": True,
        "hostnames_covered": {"support.example.com": True},
        "renewal": {"due": False, "renew_at": "2027-03-01T00:00:00Z", "reason": "not due; 100.4 days left"},
        "bound": None,
        "software_update_required": None,
        "root_fingerprint": None,
    }
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(found.get(key), dict):
            found[key] = {**found[key], **value}
        else:
            found[key] = value
    return found


def kinds(item: dict, plan=None) -> list:
    return [problem["kind"] for problem in status.endpoint_problems(item, plan)]


# --- statuses and problems ----------------------------------------------------------------------------------


def test_a_healthy_endpoint_is_ok():
    assert kinds(endpoint()) == []
    assert status.endpoint_status([]) == "ok"


def test_served_not_bound_and_software_rebuild_are_warnings():
    item = endpoint(
        bound={"friendly_name": "site 2026", "sha256_fingerprint": OTHER, "matches": False},
        software_update_required=True,
        root_fingerprint=OTHER,
    )
    problems = status.endpoint_problems(item)
    assert [problem["kind"] for problem in problems] == ["served_not_bound", "software_rebuild"]
    assert status.endpoint_status(problems) == "warning"
    assert "'site 2026'" in problems[0]["message"]


def test_expiry_wins_over_everything_and_says_how_long_ago():
    item = endpoint(certificate={"expired": True, "days_left": -3.2}, verification={"verified": False})
    problems = status.endpoint_problems(item)
    assert [problem["kind"] for problem in problems] == ["expired"]
    assert problems[0]["message"].startswith("Expired 3 days ago")
    assert status.endpoint_status(problems) == "expired"


def test_renewal_due_names_what_the_role_would_do():
    item = endpoint(renewal={"due": True})
    plain = status.endpoint_problems(item)[0]
    planned = status.endpoint_problems(item, {"failed": False, "action": "renew"})[0]
    assert plain["kind"] == planned["kind"] == "renewal_due"
    assert "renews it on its next run" in planned["action"]
    assert "renews it" not in plain["action"]


def test_a_refusal_no_fact_explains_is_still_reported():
    item = endpoint(verification={"verified": False, "reason": "leaf certificate has no matching subjectAltName"})
    problems = status.endpoint_problems(item)
    assert [problem["kind"] for problem in problems] == ["untrusted"]
    assert problems[0]["message"] == "Leaf certificate has no matching subjectAltName."


def test_host_problems_come_from_the_api_and_the_plan():
    assert status.host_problems({"api": None}) == []
    assert [p["kind"] for p in status.host_problems({"api": {"error": "401 unauthorized"}})] == ["api_error"]
    failed = {"api": {"error": None, "plan": {"failed": True, "msg": "certificate_ip_addresses is empty"}}}
    assert [p["kind"] for p in status.host_problems(failed)] == ["plan_failed"]
    issue = {"api": {"error": None, "plan": {"failed": False, "action": "issue", "reasons": ["none there"]}}}
    assert status.host_problems(issue)[0]["message"] == "The certificate role would issue: none there."
    rebind = {"api": {"error": None, "plan": {"failed": False, "action": "none", "rebind": "bound not on 192.0.2.11"}}}
    assert "bind the addresses again: bound not on 192.0.2.11" in status.host_problems(rebind)[0]["message"]
    nothing = {"api": {"error": None, "plan": {"failed": False, "action": "none", "rebind": None}}}
    assert status.host_problems(nothing) == []


# --- the document -------------------------------------------------------------------------------------------


def info(*endpoints, as_of="2026-12-05T12:00:00Z", site="support.example.com") -> dict:
    for item in endpoints:
        item.setdefault("problems", status.endpoint_problems(item))
        item.setdefault("status", status.endpoint_status(item["problems"]))
    return {
        "as_of": as_of,
        "ca_bundle": {"path": "/etc/ssl/certs/ca-certificates.crt", "source": "system", "certificates": 140},
        "hosts": {
            "one": {
                "host": "one",
                "site": site,
                "status": status.worst(item["status"] for item in endpoints),
                "addresses": ["192.0.2.10"],
                "hostnames": ["support.example.com"],
                "port": 443,
                "problems": [],
                "api": None,
                "endpoints": list(endpoints),
            }
        },
    }


def test_the_digest_ignores_the_clock_but_not_a_whole_day():
    first = report_document.build_document(info(endpoint()), "Report")
    an_hour_later = endpoint(certificate={"days_left": 100.36}, renewal={"reason": "not due; 100.36 days left"})
    later = report_document.build_document(info(an_hour_later, as_of="2026-12-05T13:00:00Z"), "Report")
    assert later["digest"] == first["digest"]
    next_day = report_document.build_document(info(endpoint(certificate={"days_left": 99.4})), "Report")
    assert next_day["digest"] != first["digest"]
    due = report_document.build_document(info(endpoint(renewal={"due": True})), "Report")
    assert due["digest"] != first["digest"]


def test_problems_come_worst_kind_first_and_sites_without_a_name_last():
    document = report_document.build_document(
        info(endpoint(renewal={"due": True}), endpoint(hostname="b.example.com", certificate={"expired": True})),
        "Report",
    )
    assert [problem["kind"] for problem in document["problems"]] == ["expired", "renewal_due"]
    assert document["hosts"][0]["endpoints"][0]["status"] == "expired"
    assert document["counts"]["expired"] == 1 and document["counts"]["renewal_due"] == 1
    with_and_without = {
        "as_of": "2026-12-05T12:00:00Z",
        "hosts": {
            "lone": {"host": "lone", "site": None, "endpoints": []},
            "member": {"host": "member", "site": "support.example.com", "endpoints": []},
        },
    }
    sites = report_document.build_document(with_and_without, "Report")["sites"]
    assert [site["name"] for site in sites] == ["support.example.com", None]


# --- the files ----------------------------------------------------------------------------------------------


def test_label_values_are_escaped_as_the_text_format_wants():
    item = endpoint(hostname='we"ird\\name\nhere')
    data = info(item)
    data["hosts"]["one"]["host"] = 'host "one"'
    prom = text.render_prometheus(report_document.build_document(data, "Report"))
    samples = [
        sample
        for family in text_string_to_metric_families(prom)
        for sample in family.samples
        if sample.name == "bomgar_certificate_days_left"
    ]
    assert samples[0].labels == {
        "host": 'host "one"',
        "address": "192.0.2.10",
        "hostname": 'we"ird\\name\nhere',
        "fingerprint": FINGERPRINT,
    }
    assert samples[0].value == 100.4


def test_markdown_cells_cannot_break_the_table():
    item = endpoint(certificate={"expired": True, "days_left": -1.5, "subject_alt_name": ["DNS:a|b.example.com"]})
    markdown = text.render_markdown(report_document.build_document(info(item), "Report"))
    endpoints = markdown.split("## Endpoints", 1)[1]
    row = next(line for line in endpoints.splitlines() if line.startswith("| Expired | one |"))
    assert row.count(" | ") == 7
    assert "a\\|b.example.com" in row


def run_report(directory, data, check_mode=False, **params):
    ctx = Context(
        {
            "info": data,
            "dest": str(directory),
            "title": "Report",
            "formats": list(certificate_report.FORMATS),
            **params,
        },
        check_mode=check_mode,
    )
    return certificate_report.run(ctx)


def test_check_mode_writes_nothing_and_a_second_run_changes_nothing(tmp_path):
    directory = tmp_path / "report"
    checked = run_report(directory, info(endpoint()), check_mode=True)
    assert checked["changed"] is True and not directory.exists()
    first = run_report(directory, info(endpoint()))
    assert first["changed"] is True
    assert sorted(os.listdir(directory)) == ["report.html", "report.json", "report.md", "report.prom"]
    later = run_report(directory, info(endpoint(certificate={"days_left": 100.3}), as_of="2026-12-05T14:00:00Z"))
    assert later["changed"] is False
    assert later["as_of"] == "2026-12-05T12:00:00Z"
    assert later["diff"]["before"]["digest"] == later["diff"]["after"]["digest"]


def test_a_file_changed_by_hand_or_by_another_renderer_is_written_again(tmp_path):
    directory = tmp_path / "report"
    run_report(directory, info(endpoint()))
    html = directory / "report.html"
    html.write_text(html.read_text(encoding="utf-8").replace("Problems", "Trouble"), encoding="utf-8")
    assert run_report(directory, info(endpoint()))["changed"] is True
    assert "Trouble" not in html.read_text(encoding="utf-8")
    os.chmod(directory / "report.prom", 0o600)
    assert run_report(directory, info(endpoint()))["changed"] is True
    assert os.stat(directory / "report.prom").st_mode & 0o777 == 0o644


def test_a_report_dir_that_is_a_file_or_info_that_is_not_a_result_is_refused(tmp_path):
    (tmp_path / "file").write_text("x", encoding="ascii")
    with pytest.raises(ModuleFailed, match="is a file"):
        run_report(tmp_path / "file", info(endpoint()))
    with pytest.raises(ModuleFailed, match="served_certificate_info"):
        run_report(tmp_path / "report", {"hosts": {}})


def test_the_json_is_the_document(tmp_path):
    data = info(endpoint())
    run_report(tmp_path, copy.deepcopy(data))
    written = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert written == report_document.build_document(data, "Report")


# --- the inventory ------------------------------------------------------------------------------------------


def test_a_host_with_only_an_address_or_a_name_is_a_normal_entry():
    options = ("name", "subject_alt_name", "provider")
    bare = inventory.host_entry("web", {"ansible_host": "192.0.2.7"}, options)
    assert bare == {
        "host": "web",
        "site": None,
        "addresses": ["192.0.2.7"],
        "hostnames": [],
        "port": None,
        "appliance_url": None,
        "transport": None,
        "api_token": None,
        "username": None,
        "password": None,
        "ca_path": None,
    }
    named = inventory.host_entry(
        "www", {"ansible_host": "www.example.com", "bomgar_hostnames": "www.example.com"}, options
    )
    assert (named["addresses"], named["hostnames"]) == ([], ["www.example.com"])
    managed = inventory.host_entry(
        "appliance",
        {
            "bomgar_ip_addresses": ["192.0.2.10"],
            "bomgar_appliance_hostname": "appliance.example.com",
            "bomgar_site_hostname": "support.example.com",
            "bomgar_site_port": 9443,
            "certificate_name": "support.example.com",
            "certificate_subject_alt_name": ["DNS:support.example.com"],
            "certificate_unrelated": True,
        },
        options,
    )
    assert managed["hostnames"] == ["appliance.example.com", "support.example.com"]
    assert (managed["site"], managed["port"]) == ("support.example.com", 9443)
    assert managed["certificate"] == {"name": "support.example.com", "subject_alt_name": ["DNS:support.example.com"]}
