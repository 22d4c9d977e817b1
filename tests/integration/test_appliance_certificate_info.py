# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.appliance_certificate_info through ansible-playbook against reference appliances."""

from __future__ import annotations

from harness import api_state

RENEWAL_FIELDS = {"days_left", "renewal_due", "renewal_reason", "renew_at"}


def info_task(title, **args):
    return {"name": title, "bomgar.pki.appliance_certificate_info": args, "ignore_errors": True}


def csr_task(title, **args):
    return {"name": title, "bomgar.pki.appliance_csr": args}


def test_fresh_appliance_serves_its_binding(appliance, play):
    hosts = {"appliance": appliance}
    before = api_state(appliance)
    tasks = [info_task("info", served=True, site_port="{{ bomgar_site_port }}")]
    run = play(hosts, tasks, check=True)
    info = run.result("info")
    assert not info["failed"] and info["changed"] is False, info
    assert api_state(appliance) == before

    assert info["status"]["hostname"] == appliance.hostname
    assert info["status"]["ip_addresses"] == appliance.ip_addresses
    [default] = info["certificates"]
    assert default["factory_default"] is True and default["friendly_name"] == "Factory Default"
    assert set(default) >= RENEWAL_FIELDS and default["renewal_due"] is False and default["days_left"] > 3000
    assert "two thirds" in default["renewal_reason"]
    # The factory default certificate is self-signed, so its own root, which the factory software trusts.
    assert default["root_fingerprint"] == default["sha256_fingerprint"]
    assert default["software_update_required"] is False
    assert info["requests"] == []
    assert [key["name"] for key in info["keys"]] == ["factory-default"]
    assert info["bindings"] == [
        {
            "address": address,
            "certificate_id": default["id"],
            "friendly_name": "Factory Default",
            "sha256_fingerprint": default["sha256_fingerprint"],
            "serving": "factory_default",
        }
        for address in appliance.ip_addresses
    ]
    for entry in info["served"]:
        assert entry["matches_binding"] is True and entry["port"] == appliance.site_port
        assert entry["fingerprints"] == appliance.served_fingerprints(entry["address"])
        assert entry["fingerprints"][0] == default["sha256_fingerprint"]


def test_served_follows_a_binding_and_reports_a_mismatch(appliance_factory, play):
    appliance = appliance_factory(ip_addresses=["127.0.0.2", "127.0.0.3"])
    hosts = {"appliance": appliance}
    spec = {
        "friendly_name": "lab",
        "common_name": "lab.example.com",
        "subject_alt_name": ["DNS:lab.example.com"],
        "key_type": "ec",
        "self_signed": True,
    }
    created = play(hosts, [csr_task("self-signed", **spec)]).result("self-signed")["certificate"]
    with appliance.client() as client:
        # The binding is made behind the module's back, through the API (found there by its fingerprint).
        listed = client.get("certificates").json()
        api_id = next(cert["id"] for cert in listed if cert["sha256_fingerprint"] == created["sha256_fingerprint"])
        bound = client.put(f"certificates/{api_id}/ip-addresses", json={"ip_addresses": ["127.0.0.3"]})
        assert bound.status_code == 200, bound.text
    run = play(
        hosts,
        [
            info_task("served", served=True, site_port="{{ bomgar_site_port }}", gather=["bindings"]),
            info_task("wrong port", served=True, site_port=1, gather=[]),
        ],
    )
    served = run.result("served")
    by_address = {entry["address"]: entry for entry in served["served"]}
    assert by_address["127.0.0.3"]["fingerprints"] == [created["sha256_fingerprint"]]
    assert by_address["127.0.0.3"]["matches_binding"] is True
    assert by_address["127.0.0.2"]["matches_binding"] is True
    assert by_address["127.0.0.2"]["fingerprints"] != by_address["127.0.0.3"]["fingerprints"]
    assert {b["address"]: b["serving"] for b in served["bindings"]} == {
        "127.0.0.2": "factory_default",
        "127.0.0.3": "certificate",
    }
    assert set(served) >= {"status", "bindings", "served"} and "certificates" not in served and "keys" not in served

    wrong = run.result("wrong port")
    assert not wrong["failed"]
    assert all(not entry["matches_binding"] and entry["error"] for entry in wrong["served"])
    assert any("site_port" in warning for warning in wrong["warnings"])
    assert set(wrong) >= {"status", "served"} and "bindings" not in wrong


def short_self_signed(handle, friendly_name: str, days: int) -> dict:
    """A key and a self-signed certificate valid for ``days`` made through the API (test set-up: the web interface
    gives every self-signed certificate the appliance's own validity)."""
    with handle.client() as client:
        key = client.post("keys", json={"name": friendly_name, "type": "ec", "curve": "P-256"})
        assert key.status_code == 201, key.text
        body = {
            "friendly_name": friendly_name,
            "key_id": key.json()["id"],
            "subject": {"common_name": f"{friendly_name}.example.com"},
            "subject_alt_name": [f"DNS:{friendly_name}.example.com"],
            "days": days,
        }
        made = client.post("certificates/self-signed", json=body)
    assert made.status_code == 201, made.text
    return made.json()


def test_renewal_decision_of_a_short_self_signed_certificate(appliance, play):
    hosts = {"appliance": appliance}
    short = short_self_signed(appliance, "short", days=1)
    run = play(
        hosts,
        [
            info_task("default", certificates=["short"]),
            info_task("one day", certificates=["short"], renew_before_days=1),
            info_task("two days", certificates=["short"], renew_before_days=2),
            info_task("percent", certificates=["short"], renew_before_percent=99.9),
            info_task("half", certificates=["short"], renew_before_percent=50),
        ],
    )

    def decision(task):
        [cert] = run.result(task)["certificates"]
        assert cert["sha256_fingerprint"] == short["sha256_fingerprint"], task
        return cert

    assert decision("default")["renewal_due"] is False
    assert 0.9 < decision("default")["days_left"] <= 1.01
    one_day = decision("one day")
    assert one_day["renewal_due"] is True and "1 days before expiry" in one_day["renewal_reason"]
    assert one_day["renew_at"] <= one_day["not_after"]
    two_days = decision("two days")
    assert two_days["renewal_due"] is False
    assert "not shorter than the lifetime" in two_days["renewal_reason"] and "two thirds" in two_days["renewal_reason"]
    assert decision("percent")["renewal_due"] is True
    assert decision("half")["renewal_due"] is False and "50.0% of the lifetime" in decision("half")["renewal_reason"]


def test_selection_and_bad_input(appliance, play):
    hosts = {"appliance": appliance}
    run = play(
        hosts,
        [
            csr_task(
                "request",
                friendly_name="pending one",
                common_name="Support",
                subject_alt_name=["DNS:support.example.com"],
            ),
            info_task("all"),
        ],
    )
    everything = run.result("all")
    default = next(cert for cert in everything["certificates"] if cert["factory_default"])
    fingerprint = default["sha256_fingerprint"].replace(":", "").upper()
    before = api_state(appliance)
    tasks = [
        info_task("by name", certificates=["Factory Default"]),
        info_task("by fingerprint", certificates=[fingerprint], gather=["certificates", "requests"]),
        info_task("request by name", certificates=["pending one"]),
        info_task("keys only", gather=["keys"]),
        info_task("unknown", certificates=["Factory Default", "support 2025"]),
        info_task("both rules", renew_before_days=10, renew_before_percent=20),
        info_task("bad percent", renew_before_percent=150),
        info_task("bad gather", gather=["everything"]),
    ]
    run = play(hosts, tasks)
    assert api_state(appliance) == before
    by_name = run.result("by name")
    assert [cert["id"] for cert in by_name["certificates"]] == [default["id"]] and by_name["requests"] == []
    by_fingerprint = run.result("by fingerprint")
    assert [cert["id"] for cert in by_fingerprint["certificates"]] == [default["id"]]
    assert by_fingerprint["requests"] == []
    request = run.result("request by name")
    assert request["certificates"] == [] and [r["friendly_name"] for r in request["requests"]] == ["pending one"]
    keys_only = run.result("keys only")
    assert len(keys_only["keys"]) == 2 and "certificates" not in keys_only and "requests" not in keys_only
    assert "bindings" not in keys_only and "served" not in keys_only and keys_only["status"]

    unknown = run.result("unknown")
    assert unknown["failed"]
    assert "'support 2025'" in unknown["msg"] and "'Factory Default'" in unknown["msg"]
    assert "'pending one' (pending)" in unknown["msg"]
    both = run.result("both rules")
    assert both["failed"] and "renew_before_days" in both["msg"] and "renew_before_percent" in both["msg"]
    percent = run.result("bad percent")
    assert percent["failed"] and "150" in percent["msg"] and "between 0 and 100" in percent["msg"]
    assert run.result("bad gather")["failed"]
