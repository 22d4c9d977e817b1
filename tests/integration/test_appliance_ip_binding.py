# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bomgar.pki.appliance_ip_binding through ansible-playbook against reference appliances."""

from __future__ import annotations

import base64
import urllib.parse

import import_material as material
import serving_material
from harness import api_state

ADDRESSES = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
DAY = serving_material.DAY


def bind_task(title, **args):
    args.setdefault("site_port", "{{ bomgar_site_port }}")
    return {"name": title, "bomgar.pki.appliance_ip_binding": args, "ignore_errors": True}


def import_files(handle, paths) -> dict:
    """Import files through the API (test set-up); the import result."""
    files = [{"name": path.name, "content": base64.b64encode(path.read_bytes()).decode()} for path in paths]
    with handle.client() as client:
        response = client.post("certificates/import", json={"files": files})
        response.raise_for_status()
        return response.json()


def ca_signed_certificate(handle, tmp_path, name="support 2026"):
    """A certificate for an appliance request, signed by an openssl CA, imported with its chain."""
    ca = material.make_ca(tmp_path / "ca")
    leaf = ca.sign(material.appliance_request(handle, name, "support.example.com"), "leaf")
    import_files(handle, [leaf, ca.intermediate, ca.root])
    return ca, leaf


def factory_default(handle) -> dict:
    with handle.client() as client:
        return next(cert for cert in client.get("certificates").json() if cert["factory_default"])


def test_present_exact_absent_verified_and_idempotent(appliance_factory, play, tmp_path):
    appliance = appliance_factory(ip_addresses=ADDRESSES)
    hosts = {"appliance": appliance}
    ca, leaf = ca_signed_certificate(appliance, tmp_path)
    leaf_fp, intermediate_fp = material.fingerprint(leaf), material.fingerprint(ca.intermediate)
    default_fp = factory_default(appliance)["sha256_fingerprint"]

    before = api_state(appliance)
    check = play(
        hosts, [bind_task("bind", certificate="support 2026", ip_addresses=["127.0.0.2"])], check=True, diff=True
    )
    predicted = check.result("bind")
    assert api_state(appliance) == before, "check mode wrote to the appliance"
    assert predicted["changed"] is True and predicted["ip_addresses"] == ["127.0.0.2"]
    assert predicted["served"] == {}, "check mode does not connect"
    assert predicted["diff"]["after"]["127.0.0.2"]["sha256_fingerprint"] == leaf_fp

    run = play(
        hosts,
        [
            bind_task(
                "bind", certificate="support 2026", ip_addresses=["127.0.0.2"], hostnames=["support.example.com"]
            ),
            bind_task("bind again", certificate=leaf_fp.replace(":", "").upper(), ip_addresses=["127.0.0.2"]),
            bind_task("exact", certificate="support 2026", ip_addresses=["127.0.0.3", "127.0.0.4"], state="exact"),
            bind_task(
                "exact again", certificate="support 2026", ip_addresses=["127.0.0.4", "127.0.0.3"], state="exact"
            ),
            bind_task("absent", certificate="support 2026", ip_addresses=["127.0.0.3"], state="absent"),
            bind_task("absent again", certificate="support 2026", ip_addresses=["127.0.0.3"], state="absent"),
            bind_task(
                "uncovered allowed",
                certificate="support 2026",
                ip_addresses=["127.0.0.2"],
                hostnames=["remote.example.com"],
                allow_uncovered=True,
            ),
        ],
        diff=True,
    )
    bound = run.result("bind")
    assert not bound["failed"], bound.get("msg")
    assert bound["changed"] is True and bound["ip_addresses"] == ["127.0.0.2"]
    assert bound["served"] == {"127.0.0.2": [leaf_fp, intermediate_fp]}, "leaf and intermediate, root left out"
    assert bound["diff"]["before"]["127.0.0.2"]["sha256_fingerprint"] == default_fp
    assert bound["diff"]["after"]["127.0.0.2"] == bound["bindings"]["127.0.0.2"]["after"]
    assert bound["diff"]["after"] == predicted["diff"]["after"], "check mode predicted the binding"
    assert bound["certificate"]["ip_addresses"] == ["127.0.0.2"]

    again = run.result("bind again")
    assert again["changed"] is False and again["served"]["127.0.0.2"] == [leaf_fp, intermediate_fp]

    exact = run.result("exact")
    assert exact["changed"] is True and exact["ip_addresses"] == ["127.0.0.3", "127.0.0.4"]
    assert exact["bindings"]["127.0.0.2"]["after"]["sha256_fingerprint"] == default_fp
    assert exact["diff"]["before"]["127.0.0.2"]["sha256_fingerprint"] == leaf_fp
    assert run.result("exact again")["changed"] is False

    absent = run.result("absent")
    assert absent["changed"] is True and absent["ip_addresses"] == ["127.0.0.4"]
    assert absent["served"] == {"127.0.0.3": [default_fp]}
    assert run.result("absent again")["changed"] is False

    uncovered = run.result("uncovered allowed")
    assert uncovered["changed"] is True and not uncovered["failed"]
    assert any("remote.example.com" in warning for warning in uncovered["warnings"])
    assert appliance.served_fingerprints("127.0.0.2") == [leaf_fp, intermediate_fp]
    assert appliance.served_fingerprints("127.0.0.3") == [default_fp]
    assert appliance.served_fingerprints("127.0.0.4") == [leaf_fp, intermediate_fp]


def test_refusals_name_the_fix_and_change_nothing(appliance, play, tmp_path):
    ca, _leaf = ca_signed_certificate(appliance, tmp_path)
    _key, keyless = ca.issue("keyless", "support.example.com")
    import_files(appliance, [keyless])
    keyless_fp = material.fingerprint(keyless)
    before = api_state(appliance)
    run = play(
        {"appliance": appliance},
        [
            bind_task("no key", certificate=keyless_fp, ip_addresses=["127.0.0.2"]),
            bind_task(
                "uncovered", certificate="support 2026", ip_addresses=["127.0.0.2"], hostnames=["remote.example.org"]
            ),
            bind_task("unknown address", certificate="support 2026", ip_addresses=["127.0.0.2", "127.0.0.99"]),
            bind_task("not an address", certificate="support 2026", ip_addresses=["support.example.com"]),
            bind_task("a CA", certificate="Test Issuing CA", ip_addresses=["127.0.0.2"]),
            bind_task("no such certificate", certificate="support 2030", ip_addresses=["127.0.0.2"]),
        ],
    )
    assert api_state(appliance) == before, "a refused binding changed the appliance"
    expectations = {
        "no key": ["private key", "not available", "PKCS#12", "bomgar.pki.appliance_cert_import", "passphrase"],
        "uncovered": ["remote.example.org", "DNS:support.example.com", "allow_uncovered: true"],
        "unknown address": ["127.0.0.99", "Its addresses are 127.0.0.2"],
        "not an address": ["'support.example.com' is not an IP address"],
        "a CA": ["CA certificate", "server certificate"],
        "no such certificate": ["support 2030", "'support 2026'", "appliance_cert_import"],
    }
    for title, fragments in expectations.items():
        result = run.result(title)
        assert result["failed"] and result["changed"] is False, title
        for fragment in fragments:
            assert fragment in result["msg"], (title, fragment, result["msg"])


def test_a_different_served_chain_fails_naming_both(appliance_factory, play, tmp_path):
    # The API listens on the same address as the site: pointing site_port at it serves the API certificate.
    appliance = appliance_factory(ip_addresses=["127.0.0.2"], api_host="127.0.0.2")
    api_port = urllib.parse.urlsplit(appliance.api_url).port
    _ca, leaf = ca_signed_certificate(appliance, tmp_path)
    run = play(
        {"appliance": appliance},
        [bind_task("wrong port", certificate="support 2026", ip_addresses=["127.0.0.2"], site_port=api_port)],
    )
    result = run.result("wrong port")
    assert result["failed"] and result["changed"] is True, "the binding was written; the check after it failed"
    served = result["served"]["127.0.0.2"]
    assert served and served[0] != material.fingerprint(leaf)
    assert f"127.0.0.2:{api_port} serves [{served[0]}" in result["msg"]
    assert material.fingerprint(leaf) in result["msg"] and "site_port" in result["msg"]


def import_made(handle, made, friendly_name: str) -> dict:
    """Import a serving_material chain with the server certificate's key through the API (test set-up)."""
    files = [
        {"name": "leaf.pem", "content": base64.b64encode(made.pem("leaf")).decode()},
        {"name": "leaf.key", "content": base64.b64encode(made.key_pem()).decode()},
        {"name": "chain.pem", "content": base64.b64encode(made.pem("intermediate", "root")).decode()},
    ]
    with handle.client() as client:
        response = client.post("certificates/import", json={"files": files, "friendly_name": friendly_name})
        response.raise_for_status()
        return response.json()


def test_a_certificate_that_cannot_be_served_is_not_bound(appliance, play, tmp_path):
    cases = {
        "expired": (
            serving_material.chain(not_before=serving_material.NOW - 60 * DAY, not_after=serving_material.NOW - DAY),
            "it expired on",
        ),
        "sha1": (serving_material.chain(leaf_weak="sha1"), "is signed with SHA-1"),
        "rsa 1024 intermediate": (serving_material.chain(intermediate_bits=1024), "has a 1024-bit RSA key"),
        "no alternative name": (serving_material.chain(sans=()), "it has no subject alternative names"),
    }
    for title, (made, _words) in cases.items():
        import_made(appliance, made, title)
    before = api_state(appliance)
    run = play(
        {"appliance": appliance},
        [bind_task(title, certificate=title, ip_addresses=["127.0.0.2"]) for title in cases],
    )
    assert api_state(appliance) == before, "a certificate that cannot be served was bound"
    for title, (_made, words) in cases.items():
        result = run.result(title)
        assert result["failed"] and result["changed"] is False, title
        assert "cannot be served on an IP address" in result["msg"] and words in result["msg"], (title, result["msg"])
        assert "Nothing was bound" in result["msg"], title
    assert appliance.served_fingerprints("127.0.0.2") == [factory_default(appliance)["sha256_fingerprint"]]


def test_odd_names_are_said_when_binding(appliance, play, tmp_path):
    made = serving_material.chain(sans=("DNS:support.example.com", "DNS:*.com", "email:ops@example.com"))
    import_made(appliance, made, "odd names")
    run = play({"appliance": appliance}, [bind_task("bind", certificate="odd names", ip_addresses=["127.0.0.2"])])
    result = run.result("bind")
    assert not result["failed"], result.get("msg")
    warnings = " ".join(result["warnings"])
    assert "DNS:*.com cover no hostname" in warnings and "email:ops@example.com" in warnings
