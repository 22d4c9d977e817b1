# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The page Security :: Certificates :: ACME, read and used as a browser without JavaScript does, against Pebble.

Its labels, buttons and status rows are checked exactly; what its forms change is read back from the API.
The EAB HMAC is never shown, not even after a refusal.
"""

from __future__ import annotations

import time

import pytest
from web_reader import WebUser

ACME = "Security :: Certificates :: ACME"
PATH = "/appliance/security/certificates/acme"
ADDRESS = "127.0.0.2"
SITE = "support.example.com"
HMAC = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"
LABELS = [
    "Directory URL",
    "Contact",
    "EAB Key ID",
    "EAB HMAC",
    "Hostnames",
    "Key Type",
    "CA Bundle",
    "Certificate Friendly Name",
    ADDRESS,
]
STATUS_ROWS = [
    "State",
    "Last Attempt",
    "Last Error",
    "Certificate",
    "Expires",
    "Next Renewal",
    "Renewal Basis",
    "ARI Window",
    "Last Success",
    "Account",
    "EAB HMAC",
    "Challenge Port",
]


@pytest.fixture
def site(pebble_factory, appliance_factory):
    pebble = pebble_factory(eab_keys={"kid-1": HMAC})
    pebble.add_a(SITE, ADDRESS)
    handle = appliance_factory(ip_addresses=[ADDRESS], acme_http_port=pebble.http_port)
    return pebble, handle


@pytest.fixture
def user(site):
    with WebUser(site[1]) as user:
        page = user.log_in()
        assert page.title == "Status :: Basics", page.alerts()
        yield user


def settled(api, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        configuration = api.get("/acme").json()
        if configuration["status"]["state"] != "pending":
            return configuration
        time.sleep(0.1)
    raise AssertionError(f"the ACME order did not end within {timeout:g} s")


def test_the_acme_page_is_linked_from_certificates_and_has_its_fields_buttons_and_status(user, site):
    certificates = user.get("/appliance/security/certificates")
    page = user.get(certificates.link("ACME"))
    assert page.status == 200
    assert page.title == ACME
    assert page.headings() == ["ACME Settings", "ACME Status"]
    assert page.labels() == LABELS
    assert page.field("EAB HMAC").attrs["type"] == "password"
    assert "value" not in page.field("EAB HMAC").attrs
    assert page.field("Hostnames").tag == "textarea"
    assert page.field("CA Bundle").tag == "textarea"
    assert page.options("Key Type") == ["EC P-256", "EC P-384", "RSA 2048 bits", "RSA 3072 bits", "RSA 4096 bits"]
    assert page.selected("Key Type") == "EC P-256"
    assert page.field("Certificate Friendly Name").attrs["value"] == "ACME"
    assert page.buttons(page.section("ACME Settings")) == ["Save ACME Settings", "Renew Now", "Turn Off ACME"]
    rows = page.details(page.section("ACME Status"))
    assert list(rows) == STATUS_ROWS
    assert rows["State"].label() == "Disabled"
    assert rows["EAB HMAC"].label() == "Not stored"
    assert rows["Challenge Port"].label() == str(site[1].info["acme_http_port"])
    assert "<script" not in page.html.lower()


def test_save_orders_a_certificate_and_the_status_shows_it(user, site):
    pebble, handle = site
    user.get(PATH)
    page = user.submit(
        "Save ACME Settings",
        fill={
            "Directory URL": pebble.directory_url,
            "Contact": "pki@example.com",
            "EAB Key ID": "kid-1",
            "EAB HMAC": HMAC,
            "Hostnames": f"{SITE}\n",
            "CA Bundle": pebble.ca_bundle_pem,
        },
        check={ADDRESS: True},
    )
    assert page.title == ACME, page.alerts()
    assert page.notices() == [f"ACME settings saved; ordering a certificate for {SITE}."]
    with handle.client() as api:
        configuration = settled(api)
        certificate = api.get(f"/certificates/{configuration['status']['certificate_id']}").json()
    assert configuration["contact"] == ["mailto:pki@example.com"]
    assert configuration["eab_hmac_configured"] is True
    assert configuration["ip_addresses"] == [ADDRESS]
    assert configuration["status"]["state"] == "valid", configuration["status"]
    page = user.get(PATH)
    assert HMAC not in page.html
    assert "value" not in page.field("EAB HMAC").attrs
    assert page.field("Directory URL").attrs["value"] == pebble.directory_url
    assert page.field("Contact").attrs["value"] == "pki@example.com"
    assert page.field("Hostnames").text().strip() == SITE
    assert "checked" in page.field(ADDRESS).attrs
    rows = page.details(page.section("ACME Status"))
    assert rows["State"].label() == "Valid"
    assert rows["Certificate"].label() == "ACME"
    assert rows["Expires"].label() == certificate["not_after"]
    assert rows["Renewal Basis"].label() in ("ARI", "Lifetime")
    assert rows["Next Renewal"].label() == configuration["status"]["next_renewal_at"]
    assert rows["Last Success"].label() == configuration["status"]["last_success_at"]
    assert rows["Account"].label() == configuration["status"]["account_url"]
    assert rows["EAB HMAC"].label() == "Stored"
    if "renewalInfo" not in pebble.directory_document():  # Debian's Pebble 2.4.0 has no ARI
        assert rows["ARI Window"].label() == ""
    # Saved again without typing the HMAC: it is kept, and nothing is ordered.
    page = user.submit("Save ACME Settings")
    assert page.notices() == ["ACME settings saved; the installed certificate still fits them, so nothing is ordered."]
    with handle.client() as api:
        assert api.get("/acme").json()["status"]["last_attempt_at"] == configuration["status"]["last_attempt_at"]


def test_a_refusal_shows_the_api_message_keeps_what_was_typed_but_never_the_hmac(user, site):
    pebble, handle = site
    user.get(PATH)
    page = user.submit(
        "Save ACME Settings",
        fill={
            "Directory URL": pebble.directory_url,
            "EAB Key ID": "kid-1",
            "EAB HMAC": HMAC,
            "Hostnames": "*.example.com",
        },
    )
    assert page.status == 422
    assert page.title == ACME
    assert len(page.alerts()) == 1 and "wildcard" in page.alerts()[0]
    assert page.field("Hostnames").text().strip() == "*.example.com"
    assert page.field("EAB Key ID").attrs["value"] == "kid-1"
    assert HMAC not in page.html
    with handle.client() as api:
        assert api.get("/acme").json()["enabled"] is False


def test_renew_now_and_turn_off(user, site):
    pebble, handle = site
    page = user.get(PATH)
    page = user.submit("Renew Now")
    assert page.status == 409
    assert "turned off" in page.alerts()[0]
    user.get(PATH)
    user.submit(
        "Save ACME Settings",
        fill={"Directory URL": pebble.directory_url, "Hostnames": SITE, "CA Bundle": pebble.ca_bundle_pem},
        check={ADDRESS: True},
    )
    with handle.client() as api:
        first = settled(api)["status"]
        page = user.get(PATH)
        page = user.submit("Renew Now")
        assert page.notices() == ["Renewal started: the appliance is ordering a new certificate."]
        deadline = time.monotonic() + 60
        while api.get("/acme").json()["status"]["last_attempt_at"] == first["last_attempt_at"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        second = settled(api)["status"]
        assert second["certificate_id"] != first["certificate_id"]
        page = user.submit("Turn Off ACME", page=user.get(PATH))
        assert page.notices() == ["ACME turned off. The certificate and its IP addresses stay as they are."]
        assert page.details(page.section("ACME Status"))["State"].label() == "Disabled"
        assert api.get("/acme").json()["enabled"] is False
