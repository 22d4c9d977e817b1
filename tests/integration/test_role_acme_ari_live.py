# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The certificate role's acme provider, controller mode, against a CA that offers renewal information (ARI,
RFC 9773): acme2certifier (tests/ari_ca.py, its own venv from requirements/ari-ca.txt).

The controller orders with community.crypto over DNS-01; the DNS task file is the one the collection ships for
pebble-challtestsrv (examples/acme/dns-challtestsrv.yml), and acme2certifier's DNS-01 validation asks that
challtestsrv for the TXT records (its ``dns_port`` option); everything else it validates for real. Each later run's
plan reads the CA's renewalInfo for the certificate the appliance serves, and follows its window.
"""

from __future__ import annotations

import datetime
import re

import pytest
from acme_helpers import account_key_pem, crypto_env, dns_calls, recording_dns_tasks, verified_handshake
from ari_ca import start_ari_ca, start_challtestsrv
from cryptography import x509
from harness import api_state
from test_role_certificate_acme import ADDRESSES, NAME, PLAN_TASK, changed_count, outcome, run_role

# The CA's certificates live a day; the plan renews by a window none younger than a tenth of that.
HOLD = datetime.timedelta(hours=2.4)
# acme2certifier computes a forced window from the time of each request: two reads differ by the time between them.
SLACK = datetime.timedelta(seconds=30)
_TIME = r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"


@pytest.fixture
def dns_and_ca(tmp_path):
    """``dns_and_ca() -> (challtestsrv, acme2certifier)``: acme2certifier's DNS-01 validation asks that challtestsrv;
    its window is the last 15% of the day its certificates live. Started in the test, so that a missing venv or
    package fails the test, saying what to install; both stop at teardown."""
    started = []

    def start():
        dns = start_challtestsrv(tmp_path / "challtestsrv")
        started.append(dns)
        ca = start_ari_ca(tmp_path / "ari-ca", dns_port=dns.dns_port)
        started.append(ca)
        return dns, ca

    yield start
    for server in reversed(started):
        server.stop()


def _time(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ca_window(ca, leaf: x509.Certificate) -> tuple[datetime.datetime, datetime.datetime]:
    """The suggestedWindow of the CA's renewalInfo for ``leaf``."""
    code, document, _headers = ca.renewal_info(leaf)
    assert code == 200, (code, document, ca.log()[-3000:])
    window = document["suggestedWindow"]
    return _time(window["start"]), _time(window["end"])


def test_controller_mode_follows_the_ari_window_of_a_real_ca(dns_and_ca, appliance_factory, play, tmp_path):
    dns, ca = dns_and_ca()
    appliance = appliance_factory(ip_addresses=ADDRESSES)
    env = crypto_env()
    dns_folder = tmp_path / "dns"
    variables = {
        "certificate_name": NAME,
        "certificate_subject_alt_name": [f"DNS:{NAME}", "DNS:*.example.com"],
        "certificate_key_type": "ec",
        "certificate_provider": "acme",
        "certificate_acme_directory": ca.directory_url,
        "certificate_acme_ca_path": str(ca.ca_bundle_path),
        "certificate_acme_account_key_content": account_key_pem(),
        "certificate_acme_contact": ["pki-team@example.com"],
        "certificate_acme_dns_tasks": str(recording_dns_tasks(dns_folder)),
        "challtestsrv_url": dns.management_url,
    }

    # 1. No certificate yet: ordered from acme2certifier over DNS-01, imported with the chain it sends (its
    #    self-signed issuing CA: the appliance needs no root imported beforehand), bound and served.
    first = run_role(play, appliance, tmp_path, variables, env=env)
    assert first.rc == 0, first.stdout[-6000:] + ca.log()[-3000:]
    lines = first.result(PLAN_TASK)["msg"]
    assert lines[0].startswith(f"Issue: {NAME} ")
    assert any(
        line.startswith(
            f"Certificate: request on the appliance (its key stays there), ordered by the controller from the ACME "
            f"CA {ca.directory_url} for {NAME}, *.example.com over DNS-01"
        )
        for line in lines
    ), lines
    result = outcome(first)
    assert result["action"] == "issue", result
    for address in ADDRESSES:
        der = verified_handshake(address, appliance.site_port, ca.roots_pem(), NAME)
        assert appliance.served_fingerprints(address)[0] == result["sha256_fingerprint"]
    leaf = x509.load_der_x509_certificate(der)
    assert leaf.issuer == x509.load_pem_x509_certificate(ca.roots_pem().encode("ascii")).subject
    # The CA validated both names over DNS-01, against the records the DNS task file set on challtestsrv.
    assert ca.order_count() == 1 and ca.issued_count() == 1
    assert sorted(ca.validated_challenges()) == [("*.example.com", "dns-01"), (NAME, "dns-01")]
    calls = dns_calls(dns_folder)
    assert sorted(line.split()[0] for line in calls) == ["absent", "absent", "present", "present"], calls

    # 2. The next run, before the CA's window (the last 15% of the lifetime): nothing to do, and the reason is the
    #    window exactly as the CA's renewalInfo gives it.
    start, end = ca_window(ca, leaf)
    assert datetime.datetime.now(datetime.timezone.utc) < start < end
    state = api_state(appliance)
    second = run_role(play, appliance, tmp_path, variables, env=env)
    assert second.rc == 0, second.stdout[-4000:]
    again = outcome(second)
    assert again["action"] == "none" and again["sha256_fingerprint"] == result["sha256_fingerprint"], again
    assert again["reasons"][0].startswith("nothing to do:"), again
    assert (
        f"not due until the ARI window from {_iso(start)} to {_iso(end)} (the CA's renewal information)"
        in again["reasons"][0]
    ), again
    assert f"Why: {again['reasons'][0]}." in second.result(PLAN_TASK)["msg"]
    assert changed_count(second) == 0
    assert api_state(appliance) == state
    assert ca.order_count() == 1 and len(dns_calls(dns_folder)) == 4

    # 3. The same CA (store, issuing CA) now suggesting renewal at once (a window from a year ago to a day ahead):
    #    the certificate was issued moments ago, so it is not ordered again, and the reason says until when.
    ca.restart(force=True)
    third = run_role(play, appliance, tmp_path, variables, env=env)
    assert third.rc == 0, third.stdout[-4000:]
    held = outcome(third)
    assert held["action"] == "none" and held["sha256_fingerprint"] == result["sha256_fingerprint"], held
    reason = held["reasons"][0]
    found = re.search(
        rf"the CA's ARI window from {_TIME} to {_TIME} is open, but the certificate was issued at {_TIME}, less "
        rf"than 2\.4 hours ago, so it is not renewed again before {_TIME}; ",
        reason,
    )
    assert found, reason
    open_start, open_end = ca_window(ca, leaf)
    assert open_start < datetime.datetime.now(datetime.timezone.utc) < open_end
    assert abs(_time(found[1]) - open_start) <= SLACK and abs(_time(found[2]) - open_end) <= SLACK, (reason, open_start)
    assert _time(found[3]) == leaf.not_valid_before_utc
    assert _time(found[4]) == leaf.not_valid_before_utc + HOLD
    assert changed_count(third) == 0
    assert api_state(appliance) == state
    assert ca.order_count() == 1 and ca.issued_count() == 1 and len(dns_calls(dns_folder)) == 4, "no new order"

    # 4. The plan of a run once the hold is over (check mode, certificate_now): the open window renews it.
    later = leaf.not_valid_before_utc + HOLD + datetime.timedelta(minutes=5)
    planned = run_role(play, appliance, tmp_path, {**variables, "certificate_now": _iso(later)}, env=env, check=True)
    assert planned.rc == 0, planned.stdout[-4000:]
    lines = planned.result(PLAN_TASK)["msg"]
    assert lines[0].startswith(f"Renew: {NAME} "), lines
    why = next(line for line in lines if line.startswith("Why: "))
    assert re.search(rf"is due for renewal: now is inside the ARI window from {_TIME} to {_TIME} \(the CA's", why), why
    assert api_state(appliance) == state
    assert ca.order_count() == 1 and len(dns_calls(dns_folder)) == 4

    # 5. DNS-01 stays real: a name more whose record the DNS task file does not set fails at the CA, and nothing
    #    is bound.
    silent = tmp_path / "silent-dns"
    wider = {
        **variables,
        "certificate_subject_alt_name": [*variables["certificate_subject_alt_name"], "DNS:remote.example.org"],
        "certificate_acme_dns_tasks": str(recording_dns_tasks(silent, set_records=False)),
    }
    failed = run_role(play, appliance, tmp_path, wider, env=env)
    assert failed.rc != 0
    message = failed.result("bomgar.pki.certificate : Say why the ACME order failed")["msg"]
    assert "Challenge dns-01" in message and "Nothing was imported or bound" in message, message
    assert ("remote.example.org", "dns-01") not in ca.validated_challenges()
    for address in ADDRESSES:
        assert appliance.served_fingerprints(address)[0] == result["sha256_fingerprint"]
