# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The appliance's ACME client against a CA that offers renewal information (ARI, RFC 9773): acme2certifier
(tests/ari_ca.py, its own venv from requirements/ari-ca.txt) and a real appliance process.

The CA validates HTTP-01 on the appliance address and port; the appliance then fetches the certificate's
renewal information from the directory's ``renewalInfo`` and schedules the renewal inside the suggested window.
"""

from __future__ import annotations

import datetime
import time

import pytest
from ari_ca import start_ari_ca
from cryptography import x509

from reference_appliance.acme import schedule

ADDRESS = "127.0.0.2"
SITE = "support.example.com"


@pytest.fixture
def ari_site(tmp_path, appliance_factory):
    """An acme2certifier that resolves the site's name to the appliance, and that appliance."""
    started = []

    def start(check_interval: float = 1, **ca_options):
        ca = start_ari_ca(tmp_path / f"ari-ca-{len(started)}", **ca_options)
        started.append(ca)
        ca.add_a(SITE, ADDRESS)
        handle = appliance_factory(
            ip_addresses=[ADDRESS], acme_http_port=ca.http_port, acme_check_interval=check_interval
        )
        return ca, handle

    yield start
    for ca in started:
        ca.stop()


def settings_for(ca) -> dict:
    return {
        "directory_url": ca.directory_url,
        "contact": ["mailto:pki@example.com"],
        "hostnames": [SITE],
        "ca_bundle": ca.ca_bundle_pem,
        "ip_addresses": [ADDRESS],
    }


def installed(ca, appliance) -> dict:
    """PUT the settings and wait for the order to end; the status once it is valid."""
    with appliance.client() as client:
        response = client.put("/acme", json=settings_for(ca))
        assert response.status_code == 200, response.text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = client.get("/acme").json()["status"]
            if status["state"] != "pending":
                break
            time.sleep(0.1)
    assert status["state"] == "valid", f"{status}\n{ca.log()[-3000:]}"
    return status


def _time(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_the_renewal_is_scheduled_inside_the_window_the_ca_suggests(ari_site):
    ca, appliance = ari_site()
    assert "renewalInfo" in ca.directory_document()
    status = installed(ca, appliance)
    leaf = x509.load_der_x509_certificate(appliance.served_chain(ADDRESS)[0])
    assert leaf.issuer == x509.load_pem_x509_certificate(ca.roots_pem().encode("ascii")).subject
    code, document, headers = ca.renewal_info(leaf)
    assert code == 200, document
    assert headers["Retry-After"] == "3600"
    start, end = _time(document["suggestedWindow"]["start"]), _time(document["suggestedWindow"]["end"])
    assert status["renewal_basis"] == "ari"
    assert {key: _time(value) for key, value in status["ari_window"].items()} == {"start": start, "end": end}
    next_renewal = _time(status["next_renewal_at"])
    assert start <= next_renewal <= end
    # The CA's window (the last 15% of the lifetime) lies after the client's own point (a third left): the
    # schedule rests on the CA's answer, not on the lifetime.
    lifetime_point = leaf.not_valid_after_utc - (leaf.not_valid_after_utc - leaf.not_valid_before_utc) / 3
    assert next_renewal > lifetime_point


def test_a_window_already_open_renews_only_after_the_hold(ari_site):
    ca, appliance = ari_site(check_interval=1, force=True)
    status = installed(ca, appliance)
    der = appliance.served_chain(ADDRESS)[0]
    leaf = x509.load_der_x509_certificate(der)
    window = schedule.Window(*(_time(status["ari_window"][key]) for key in ("start", "end")))
    assert window.start < _time(status["last_success_at"]), "the CA suggests renewing now"
    expected = schedule.renewal_decision(
        leaf.not_valid_before_utc,
        leaf.not_valid_after_utc,
        _time(status["last_success_at"]),
        window=window,
        fraction=schedule.selection_fraction(der),
        installed_at=_time(status["last_success_at"]),
    )
    assert status["renewal_basis"] == "ari"
    assert abs(_time(status["next_renewal_at"]) - expected.renew_at) <= datetime.timedelta(seconds=1)
    assert _time(status["next_renewal_at"]) >= _time(status["last_success_at"]) + datetime.timedelta(hours=1) - (
        datetime.timedelta(seconds=1)
    )
    time.sleep(3.5)  # three renewal checks: the open window orders nothing within the hold
    with appliance.client() as client:
        later = client.get("/acme").json()["status"]
    assert later["last_attempt_at"] == status["last_attempt_at"]
    assert later["certificate_id"] == status["certificate_id"]
