# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks of appliance_acme, without an appliance."""

from __future__ import annotations

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.logic import acme
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import ModuleFailed

ROOT_A = "-----BEGIN CERTIFICATE-----\nMIIBAAAA\nQUJD\n-----END CERTIFICATE-----"
ROOT_B = "-----BEGIN CERTIFICATE-----\nMIIBBBBB\n-----END CERTIFICATE-----"
KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----"


def _params(**overrides):
    params = {
        "state": "present",
        "directory_url": "https://acme.example.test/dir",
        "contact": ["pki@example.com"],
        "eab_key_id": None,
        "eab_hmac": None,
        "eab_hmac_update": "on_create",
        "hostnames": ["Support.Example.com."],
        "key_type": "ec-p256",
        "ca_bundle_path": None,
        "ca_bundle_content": None,
        "friendly_name": "ACME",
        "ip_addresses": ["127.0.0.3", "127.0.0.2"],
        "renew_now": False,
        "wait": False,
        "wait_timeout": 300,
    }
    params.update(overrides)
    return params


@pytest.mark.parametrize(
    ("hostnames", "fragment"),
    [
        ([], "hostnames is empty"),
        (["*.example.com"], "cannot prove a wildcard"),
        (["a.example.com", "*.b.example.com"], "*.b.example.com cannot be ordered"),
    ],
)
def test_names_http01_cannot_prove_are_refused_with_the_way_out(hostnames, fragment):
    problem = acme.hostnames_problem(hostnames)
    assert fragment in problem
    if hostnames:
        assert "DNS-01" in problem and "certificate_acme_mode: controller" in problem


def test_plain_names_pass():
    assert acme.hostnames_problem(["support.example.com", "a.support.example.com"]) is None


def test_a_ca_bundle_of_certificates_is_kept_and_anything_else_refused():
    assert acme.check_ca_bundle(f"junk\n{ROOT_A}\n\n{ROOT_B}\n", "x") == f"{ROOT_A}\n{ROOT_B}\n"
    for bad in ("", "not pem", f"{ROOT_A}\n{KEY}"):
        with pytest.raises(ModuleFailed, match="holds no PEM certificates"):
            acme.check_ca_bundle(bad, "ca_bundle_content")


def _before(**overrides):
    configuration = {
        "enabled": True,
        "directory_url": "https://acme.example.test/dir",
        "contact": ["mailto:pki@example.com"],
        "eab_key_id": None,
        "eab_hmac_configured": False,
        "hostnames": ["support.example.com"],
        "key_type": "ec-p256",
        "ca_bundle": None,
        "friendly_name": "ACME",
        "ip_addresses": ["127.0.0.2", "127.0.0.3"],
        "http_port": 80,
        "status": {"state": "valid"},
    }
    configuration.update(overrides)
    return configuration


@pytest.mark.parametrize(
    ("before", "params", "resend", "changed"),
    [
        (_before(), _params(), False, []),
        (_before(enabled=False), _params(), False, ["enabled"]),
        (_before(ip_addresses=["127.0.0.3", "127.0.0.2"]), _params(), False, []),
        (_before(), _params(hostnames=["support.example.com", "b.example.com"]), False, ["hostnames"]),
        (_before(), _params(key_type="rsa-3072"), False, ["key_type"]),
        (_before(), _params(contact=[]), False, ["contact"]),
        # The HMAC is never read back: configured or not is all that is compared, unless it is to be sent again.
        (_before(eab_key_id="kid", eab_hmac_configured=True), _params(eab_key_id="kid", eab_hmac="aG1hYw"), False, []),
        (
            _before(eab_key_id="kid", eab_hmac_configured=True),
            _params(eab_key_id="kid", eab_hmac="aG1hYw"),
            True,
            ["eab_hmac_configured"],
        ),
        (_before(), _params(eab_key_id="kid", eab_hmac="aG1hYw"), False, ["eab_key_id", "eab_hmac_configured"]),
    ],
)
def test_settings_differ_names_what_the_appliance_must_change(before, params, resend, changed):
    wanted = acme.wanted_settings(params, None)
    assert acme.settings_differ(acme.settings_of(before), wanted, resend) == changed


def test_ca_bundles_are_compared_by_their_certificates_not_their_spacing():
    before = acme.settings_of(_before(ca_bundle=f"{ROOT_A}\n"))
    same = acme.wanted_settings(_params(), f"\n{ROOT_A}\n\n")
    other = acme.wanted_settings(_params(), f"{ROOT_B}\n")
    assert acme.settings_differ(before, same, False) == []
    assert acme.settings_differ(before, other, False) == ["ca_bundle"]


def test_the_diff_never_carries_the_hmac():
    wanted = acme.wanted_settings(_params(eab_key_id="kid", eab_hmac="c2VjcmV0LWhtYWM"), None)
    assert "c2VjcmV0LWhtYWM" not in repr(wanted)
    assert wanted["eab_hmac_configured"] is True


def test_waiting_ends_when_the_order_has_finished():
    answers = iter([{"status": {"state": "pending"}}, {"status": {"state": "pending"}}, {"status": {"state": "valid"}}])

    class Client:
        def get(self, path):
            assert path == "acme"
            return next(answers)

    slept = []
    now = iter(range(100))
    result = acme.wait_for_order(Client(), 30, sleep=slept.append, clock=lambda: next(now))
    assert result["status"]["state"] == "valid"
    assert slept == [acme.POLL_SECONDS, acme.POLL_SECONDS]


def test_waiting_is_bounded_and_says_what_the_appliance_was_doing():
    class Client:
        def get(self, path):
            return {"status": {"state": "pending", "last_error": "dns: NXDOMAIN for support.example.com"}}

    clock = iter([0.0, 5.0, 10.0, 20.0, 40.0])
    with pytest.raises(ModuleFailed) as failed:
        acme.wait_for_order(Client(), 10, sleep=lambda s: None, clock=lambda: next(clock))
    assert "did not finish within" in failed.value.msg
    assert "state pending" in failed.value.msg and "NXDOMAIN" in failed.value.msg


def test_a_failed_order_says_the_reason_and_what_is_still_served():
    kept = acme.failed_message(
        {
            "http_port": 80,
            "status": {
                "state": "failed",
                "last_error": "HTTP-01 for a.example.com: connection refused",
                "certificate_id": "c1",
                "certificate_sha256": "ab:cd",
                "not_after": "2027-01-01T00:00:00Z",
            },
        }
    )
    assert "connection refused" in kept and "ab:cd" in kept and "still served" in kept and "port 80" in kept
    fresh = acme.failed_message({"http_port": 5002, "status": {"state": "failed", "last_error": "x"}})
    assert "Nothing was bound" in fresh


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        (_params(directory_url=None), "directory_url is missing"),
        (_params(hostnames=[]), "hostnames is empty"),
        (_params(hostnames=["*.example.com"]), "wildcard"),
        (_params(wait_timeout=0), "wait_timeout is 0"),
    ],
)
def test_present_is_refused_before_anything_is_sent(params, fragment):
    with pytest.raises(ModuleFailed, match=fragment.replace("*", r"\*")):
        acme._check_present(params)
