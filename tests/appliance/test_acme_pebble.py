# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The appliance's ACME client against a real CA: Pebble (strict mode) and a real appliance process.

Pebble resolves the hostnames through pebble-challtestsrv to an appliance address and validates HTTP-01 on
the port the appliance answers it on (--acme-http-port). What the appliance then serves is read with a TLS
handshake that trusts Pebble's root only.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import time

import httpx
import pytest
from appliance_fixtures import sha256_fingerprint
from cryptography import x509

ADDRESS = "127.0.0.2"
SITE = "support.example.com"
WWW = "www.example.com"
HMAC = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"


@pytest.fixture
def acme_site(pebble_factory, appliance_factory):
    """A Pebble whose DNS points the site's names at the appliance, and that appliance."""

    def start(check_interval: float = 1, log_level: str | None = None, **pebble_options):
        pebble = pebble_factory(**pebble_options)
        for name in (SITE, WWW):
            pebble.add_a(name, ADDRESS)
        handle = appliance_factory(
            ip_addresses=[ADDRESS],
            acme_http_port=pebble.http_port,
            acme_check_interval=check_interval,
            log_level=log_level,
        )
        return pebble, handle

    return start


def settings_for(pebble, **changes) -> dict:
    return {
        "directory_url": pebble.directory_url,
        "contact": ["mailto:pki@example.com"],
        "hostnames": [SITE, WWW],
        "ca_bundle": pebble.ca_bundle_pem,
        "ip_addresses": [ADDRESS],
        **changes,
    }


def put(client, body: dict) -> dict:
    response = client.put("/acme", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def settled(client, timeout: float = 60.0, not_attempt: str | None = None) -> dict:
    """GET /acme once no order runs (and, with ``not_attempt``, once an attempt after that one ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        configuration = client.get("/acme").json()
        status = configuration["status"]
        if status["state"] != "pending" and status["last_attempt_at"] != not_attempt:
            return configuration
        time.sleep(0.1)
    raise AssertionError(f"the ACME order did not end within {timeout:g} s: {configuration}")


def trusted_handshake(pebble, tmp_path, hostname: str = SITE, port: int | None = None, handle=None) -> bytes:
    """The leaf (DER) served on the appliance address, from a handshake that trusts only Pebble's root."""
    roots = tmp_path / "pebble-roots.pem"
    roots.write_text(pebble.roots_pem(), encoding="ascii")
    context = ssl.create_default_context(cafile=str(roots))
    with (
        socket.create_connection((ADDRESS, port or handle.site_port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=hostname) as tls,
    ):
        return tls.getpeercert(binary_form=True)


def test_http01_issuance_installs_and_serves_a_pebble_chain(acme_site, tmp_path):
    pebble, appliance = acme_site()
    with appliance.client() as client:
        configuration = put(client, settings_for(pebble))
        assert configuration["enabled"] is True
        assert configuration["http_port"] == pebble.http_port
        assert configuration["status"]["state"] == "pending"
        status = settled(client)["status"]
        assert status["state"] == "valid", status
        assert status["last_error"] is None
        certificate = client.get(f"/certificates/{status['certificate_id']}").json()
    assert certificate["friendly_name"] == "ACME"
    assert certificate["private_key_available"] is True
    assert certificate["ip_addresses"] == [ADDRESS]
    assert set(certificate["subject_alt_name"]) == {f"DNS:{SITE}", f"DNS:{WWW}"}
    assert certificate["subject"]["common_name"] == SITE
    assert status["certificate_sha256"] == certificate["sha256_fingerprint"].replace(":", "")
    assert status["not_after"] == certificate["not_after"]
    assert status["account_url"].startswith(f"https://127.0.0.1:{pebble.port}/")
    for hostname in (SITE, WWW):
        leaf = trusted_handshake(pebble, tmp_path, hostname, handle=appliance)
        assert sha256_fingerprint(leaf) == certificate["sha256_fingerprint"]
    served = appliance.served_chain(ADDRESS)
    intermediate = x509.load_pem_x509_certificate(pebble.intermediates_pem().encode("ascii"))
    assert x509.load_der_x509_certificate(served[1]).subject == intermediate.subject


def test_the_renewal_schedule_rests_on_what_the_directory_offers(acme_site):
    pebble, appliance = acme_site()
    offers_ari = "renewalInfo" in pebble.directory_document()
    with appliance.client() as client:
        put(client, settings_for(pebble))
        status = settled(client)["status"]
        certificate = client.get(f"/certificates/{status['certificate_id']}").json()
    assert status["state"] == "valid"
    if offers_ari:
        assert status["renewal_basis"] == "ari"
        assert status["ari_window"] is not None
        return
    assert status["renewal_basis"] == "lifetime"
    assert status["ari_window"] is None
    not_before = datetime.datetime.fromisoformat(certificate["not_before"].replace("Z", "+00:00"))
    not_after = datetime.datetime.fromisoformat(certificate["not_after"].replace("Z", "+00:00"))
    expected = not_after - (not_after - not_before) / 3
    next_renewal = datetime.datetime.fromisoformat(status["next_renewal_at"].replace("Z", "+00:00"))
    assert abs(next_renewal - expected) <= datetime.timedelta(seconds=1)


def test_an_unchanged_put_and_the_checks_after_a_success_order_nothing(acme_site):
    pebble, appliance = acme_site(check_interval=1)
    with appliance.client() as client:
        put(client, settings_for(pebble))
        first = settled(client)["status"]
        assert first["state"] == "valid"
        again = put(client, settings_for(pebble, contact=["mailto:other@example.com"]))
        assert again["status"]["state"] == "valid"
        time.sleep(3.5)  # three renewal checks
        later = client.get("/acme").json()["status"]
        certificates = client.get("/certificates").json()
    assert later["certificate_id"] == first["certificate_id"]
    assert later["last_attempt_at"] == first["last_attempt_at"]
    assert later["last_success_at"] == first["last_success_at"]
    assert len([cert for cert in certificates if cert["friendly_name"] == "ACME"]) == 1


def test_a_failed_challenge_names_the_hostname_binds_nothing_and_keeps_serving(acme_site, tmp_path):
    pebble, appliance = acme_site(check_interval=1)
    broken = "broken.example.com"
    pebble.add_a(broken, "127.0.0.9")  # an address nothing listens on
    with appliance.client() as client:
        put(client, settings_for(pebble))
        good = settled(client)["status"]
        assert good["state"] == "valid"
        before = client.get("/certificates").json()
        put(client, settings_for(pebble, hostnames=[SITE, broken]))
        failed = settled(client, not_attempt=good["last_attempt_at"])["status"]
        assert failed["state"] == "failed", failed
        assert broken in failed["last_error"]
        assert "http-01" in failed["last_error"]
        assert "the CA said" in failed["last_error"]
        assert "connection" in failed["last_error"].lower()
        assert failed["certificate_id"] == good["certificate_id"]
        assert client.get("/certificates").json() == before, "a failed order imports and binds nothing"
        time.sleep(3.5)  # renewal checks during the back-off order nothing
        assert client.get("/acme").json()["status"]["last_attempt_at"] == failed["last_attempt_at"]
    leaf = trusted_handshake(pebble, tmp_path, SITE, handle=appliance)
    assert sha256_fingerprint(leaf).replace(":", "") == good["certificate_sha256"]


def test_delete_turns_acme_off_and_the_certificate_keeps_serving(acme_site, tmp_path):
    pebble, appliance = acme_site()
    with appliance.client() as client:
        put(client, settings_for(pebble))
        status = settled(client)["status"]
        challenge_url = f"http://{ADDRESS}:{pebble.http_port}/.well-known/acme-challenge/"
        assert httpx.get(challenge_url + "unknown-token", timeout=5).status_code == 404
        assert httpx.get(f"http://{ADDRESS}:{pebble.http_port}/", timeout=5).status_code == 404
        assert client.delete("/acme").status_code == 204
        configuration = client.get("/acme").json()
        assert configuration["enabled"] is False
        assert configuration["status"]["state"] == "disabled"
        assert configuration["status"]["certificate_id"] == status["certificate_id"]
        assert client.delete("/acme").status_code == 204
        bindings = client.get(f"/certificates/{status['certificate_id']}/ip-addresses").json()
        refusal = client.post("/acme/orders")
    assert bindings["ip_addresses"] == [ADDRESS]
    assert refusal.status_code == 409 and refusal.json()["error"] == "acme_disabled"
    leaf = trusted_handshake(pebble, tmp_path, SITE, handle=appliance)
    assert sha256_fingerprint(leaf).replace(":", "") == status["certificate_sha256"]
    with pytest.raises(OSError):
        socket.create_connection((ADDRESS, pebble.http_port), timeout=5).close()


def test_renew_now_replaces_the_certificate_and_removes_the_old_one(acme_site):
    pebble, appliance = acme_site()
    with appliance.client() as client:
        put(client, settings_for(pebble))
        first = settled(client)["status"]
        response = client.post("/acme/orders")
        assert response.status_code == 202, response.text
        assert response.json()["status"]["state"] == "pending"
        second = settled(client, not_attempt=first["last_attempt_at"])["status"]
        assert second["state"] == "valid", second
        assert second["certificate_id"] != first["certificate_id"]
        ids = {cert["id"] for cert in client.get("/certificates").json()}
        keys = client.get("/keys").json()
    assert first["certificate_id"] not in ids, "the previous ACME certificate is removed once nothing serves it"
    assert appliance.served_fingerprints(ADDRESS)[0].replace(":", "") == second["certificate_sha256"]
    acme_keys = [key for key in keys if key["used_by"]["certificates"] == [second["certificate_id"]]]
    assert len(acme_keys) == 1 and acme_keys[0]["name"] == "ACME key", "renewal reuses the key"


def test_a_new_key_type_orders_a_new_key(acme_site):
    pebble, appliance = acme_site()
    with appliance.client() as client:
        put(client, settings_for(pebble))
        first = settled(client)["status"]
        put(client, settings_for(pebble, key_type="rsa-2048"))
        second = settled(client, not_attempt=first["last_attempt_at"])["status"]
        assert second["state"] == "valid", second
        certificate = client.get(f"/certificates/{second['certificate_id']}").json()
        keys = client.get("/keys").json()
    assert certificate["public_key"] == {"type": "rsa", "size": 2048}
    assert [key for key in keys if key["name"].startswith("ACME key")] == [
        key for key in keys if key["id"] == certificate["key_id"]
    ], "the previous key went with the previous certificate"


def test_short_certificates_are_renewed_once_a_third_of_their_lifetime_is_left(acme_site):
    pebble, appliance = acme_site(check_interval=1, validity_seconds=24)
    with appliance.client() as client:
        put(client, settings_for(pebble))
        first = settled(client)["status"]
        assert first["state"] == "valid"
        assert first["renewal_basis"] == "lifetime"
        renewed = settled(client, timeout=40, not_attempt=first["last_attempt_at"])["status"]
        assert renewed["state"] == "valid", renewed
        assert renewed["certificate_id"] != first["certificate_id"]
        assert renewed["last_attempt_at"] >= first["next_renewal_at"]
        time.sleep(3)  # the checks right after the renewal order nothing more
        after = client.get("/acme").json()["status"]
        ids = {cert["id"] for cert in client.get("/certificates").json()}
    assert after["last_attempt_at"] == renewed["last_attempt_at"]
    assert first["certificate_id"] not in ids


def test_external_account_binding_and_no_secret_in_any_answer_or_log(acme_site):
    pebble, appliance = acme_site(log_level="debug", eab_keys={"kid-1": HMAC}, eab_required=True)
    with appliance.client() as client:
        put(client, settings_for(pebble, eab_key_id="kid-1", eab_hmac=HMAC))
        configuration = settled(client)
        texts = [client.get("/acme").text, client.get("/certificates").text, client.get("/keys").text]
    assert configuration["status"]["state"] == "valid", configuration["status"]
    assert configuration["eab_hmac_configured"] is True
    output = appliance.process.all_output()
    for text in [*texts, output]:
        assert HMAC not in text
        assert "PRIVATE KEY" not in text


def test_an_account_without_the_required_binding_is_refused_in_plain_words(acme_site):
    pebble, appliance = acme_site(eab_keys={"kid-1": HMAC}, eab_required=True)
    with appliance.client() as client:
        put(client, settings_for(pebble))
        status = settled(client)["status"]
    assert status["state"] == "failed"
    assert "external account" in status["last_error"].lower()
