# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.appliance_acme through ansible-playbook: the appliance's own ACME client against Pebble.

Pebble (Debian's ``pebble``) is a real RFC 8555 CA; it validates HTTP-01 by connecting to the appliance's
challenge port on the address its DNS (pebble-challtestsrv) gives for each name.
"""

from __future__ import annotations

import base64

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.web_client import WebClient
from appliance_fixtures import sha256_fingerprint
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.verification import PolicyBuilder, Store
from harness import run_tasks

HOSTNAME = "support.example.com"
ADDRESS = "127.0.0.2"
EAB_KEY_ID = "kid-support"
EAB_HMAC = base64.urlsafe_b64encode(b"a very secret hmac of thirty-two!").rstrip(b"=").decode()


@pytest.fixture
def acme_site(pebble_factory, appliance_factory):
    """A Pebble CA whose DNS points the support name at the appliance, and the appliance answering HTTP-01."""
    ca = pebble_factory(eab_keys={EAB_KEY_ID: EAB_HMAC})
    ca.add_a(HOSTNAME, ADDRESS)
    appliance = appliance_factory(acme_http_port=ca.http_port, acme_check_interval=3600)
    return ca, appliance


def acme_task(title, ca, **args):
    options = {
        "directory_url": ca.directory_url,
        "ca_bundle_content": ca.ca_bundle_pem,
        "contact": ["pki@example.com"],
        "hostnames": [HOSTNAME],
        "ip_addresses": [ADDRESS],
        **args,
    }
    return {"name": title, "bomgar.pki.appliance_acme": options, "ignore_errors": True}


def verified_by_pebble(appliance, ca, address: str = ADDRESS) -> x509.Certificate:
    """What ``address`` serves, checked as a TLS client would: a chain to Pebble's root for the support name."""
    served = [x509.load_der_x509_certificate(der) for der in appliance.served_chain(address)]
    roots = x509.load_pem_x509_certificates(ca.roots_pem().encode())
    verifier = PolicyBuilder().store(Store(roots)).build_server_verifier(x509.DNSName(HOSTNAME))
    verifier.verify(served[0], served[1:])
    return served[0]


def test_the_appliance_orders_installs_binds_and_a_rerun_changes_nothing(acme_site, play):
    ca, appliance = acme_site
    factory_default = appliance.served_fingerprints()[0]
    run = play(
        {"appliance": appliance},
        [
            acme_task("predict", ca, wait=True) | {"check_mode": True, "diff": True},
            acme_task("order", ca, wait=True, wait_timeout=120) | {"diff": True},
            acme_task("again", ca, wait=True),
            {
                "name": "info",
                "bomgar.pki.appliance_certificate_info": {"gather": ["acme"]},
                "register": "info",
                "ignore_errors": True,
            },
        ],
    )
    predicted = run.result("predict")
    assert predicted["failed"] is False and predicted["changed"] is True
    assert predicted["diff"]["before"]["enabled"] is False and predicted["diff"]["after"]["hostnames"] == [HOSTNAME]
    assert "certificate" not in predicted, "check mode orders nothing"

    ordered = run.result("order")
    assert ordered["failed"] is False, ordered.get("msg")
    assert ordered["changed"] is True and "hostnames" in ordered["changed_settings"]
    status = ordered["acme"]["status"]
    assert status["state"] == "valid" and status["renewal_basis"] == "lifetime"
    certificate = ordered["certificate"]
    assert certificate["ip_addresses"] == [ADDRESS] and certificate["friendly_name"] == "ACME"
    assert certificate["private_key_available"] is True
    assert certificate["sha256_fingerprint"].replace(":", "") == status["certificate_sha256"]

    again = run.result("again")
    assert again["failed"] is False and again["changed"] is False and again["changed_settings"] == []
    assert again["acme"]["status"]["last_attempt_at"] == status["last_attempt_at"], "nothing was ordered again"

    info = run.result("info")
    assert info["acme"]["enabled"] is True and info["acme"]["status"]["state"] == "valid"

    leaf = verified_by_pebble(appliance, ca)
    assert sha256_fingerprint(leaf.public_bytes(Encoding.DER)) == certificate["sha256_fingerprint"]
    assert appliance.served_fingerprints()[0] != factory_default


def test_a_failed_challenge_binds_nothing_and_the_previous_certificate_stays(acme_site, play):
    ca, appliance = acme_site
    before = appliance.served_fingerprints()
    # The CA's DNS knows this name, but points it at an address where no appliance answers.
    ca.add_a("nowhere.example.com", "127.0.0.250")
    run = play(
        {"appliance": appliance},
        [acme_task("order", ca, hostnames=["nowhere.example.com"], wait=True, wait_timeout=120)],
    )
    failed = run.result("order")
    assert failed["failed"] is True
    assert "The appliance's ACME order failed" in failed["msg"] and "nowhere.example.com" in failed["msg"]
    assert "Nothing was bound" in failed["msg"]
    assert failed["acme"]["status"]["state"] == "failed"
    assert appliance.served_fingerprints() == before
    with appliance.client() as client:
        listed = client.get("certificates").json()
    assert [c["friendly_name"] for c in listed if c["friendly_name"] == "ACME"] == []


def test_renew_now_gives_a_new_certificate_and_absent_turns_the_client_off(acme_site, play):
    ca, appliance = acme_site
    run = play(
        {"appliance": appliance},
        [
            acme_task("order", ca, wait=True, wait_timeout=120),
            acme_task("renew", ca, renew_now=True, wait=True, wait_timeout=120),
            {"name": "off", "bomgar.pki.appliance_acme": {"state": "absent"}, "ignore_errors": True, "diff": True},
            {"name": "off again", "bomgar.pki.appliance_acme": {"state": "absent"}, "ignore_errors": True},
        ],
    )
    first, renewed = run.result("order"), run.result("renew")
    assert first["failed"] is False and renewed["failed"] is False, (first.get("msg"), renewed.get("msg"))
    assert renewed["changed"] is True
    assert renewed["certificate"]["sha256_fingerprint"] != first["certificate"]["sha256_fingerprint"]
    assert renewed["certificate"]["key_id"] == first["certificate"]["key_id"], "a renewal keeps the key"
    off = run.result("off")
    assert off["changed"] is True and off["acme"]["enabled"] is False
    assert off["diff"]["before"]["enabled"] is True and off["diff"]["after"]["enabled"] is False
    assert run.result("off again")["changed"] is False
    # The certificate stays served after the client is off.
    assert appliance.served_fingerprints()[0] == renewed["certificate"]["sha256_fingerprint"]


def test_the_eab_hmac_is_sent_once_and_never_shown(acme_site, play):
    ca, appliance = acme_site
    eab = {"eab_key_id": EAB_KEY_ID, "eab_hmac": EAB_HMAC}
    run = play(
        {"appliance": appliance},
        [
            acme_task("order", ca, wait=True, wait_timeout=120, **eab) | {"diff": True},
            acme_task("again", ca, **eab),
            acme_task("resend", ca, eab_hmac_update="always", **eab),
        ],
        verbosity=3,
    )
    ordered = run.result("order")
    assert ordered["failed"] is False, ordered.get("msg")
    assert ordered["acme"]["eab_hmac_configured"] is True
    assert run.result("again")["changed"] is False
    assert run.result("resend")["changed"] is True
    assert EAB_HMAC not in run.stdout + run.stderr
    assert EAB_HMAC not in repr(run.results)


def test_names_http01_cannot_prove_are_refused_before_anything_is_sent(acme_site, play):
    ca, appliance = acme_site
    run = play({"appliance": appliance}, [acme_task("wildcard", ca, hostnames=["*.example.com"])])
    refused = run.result("wildcard")
    assert refused["failed"] is True and "cannot prove a wildcard" in refused["msg"]
    with appliance.client() as client:
        assert client.get("acme").json()["enabled"] is False


def test_the_web_interface_gives_what_the_api_gives(acme_site, tmp_path):
    """The ACME page read by the web transport equals GET /acme, field by field, before and after an order (once:
    the web client reads the page here, the order goes over the api transport)."""
    ca, appliance = acme_site
    web = WebClient(appliance.api_url, appliance.username, appliance.password, ca_path=str(appliance.ca_path))
    try:
        with appliance.client() as api:
            assert web.get("acme") == api.get("acme").json()
            run = run_tasks(
                tmp_path / "order",
                {"appliance": appliance},
                [acme_task("order", ca, wait=True, wait_timeout=120, eab_key_id=EAB_KEY_ID, eab_hmac=EAB_HMAC)],
            )
            assert run.result("order")["failed"] is False, run.result("order").get("msg")
            expected = api.get("acme").json()
            assert expected["status"]["certificate_sha256"] and expected["eab_hmac_configured"] is True
            got = web.get("acme")
            # Over the web a certificate's id is the address of its link (docs/transports.md).
            assert (
                got["status"]["certificate_id"]
                == f"/appliance/security/certificates/{expected['status']['certificate_id']}"
            )
            got["status"]["certificate_id"] = expected["status"]["certificate_id"]
            assert got == expected
    finally:
        web.close()
