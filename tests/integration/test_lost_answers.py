# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A POST whose answer is lost: the module says the appliance may have applied it, and running it again is safe.

Every module that POSTs runs through a proxy that forwards the request to the
appliance (which applies it) and then cuts the connection before the answer
comes back. The first run fails with a message that says so; the appliance
does hold the change; a second run of the same tasks converges (``changed:
false``) or completes the job (exports, the support bundle).
"""

from __future__ import annotations

import zipfile

import pytest
from dropping_proxy import DroppingProxy
from import_material import appliance_request, make_ca, pkcs12

PASSPHRASE = "Lost-Answer-Passphrase-77"
# (task name, method, path of the POST whose answer is lost)
DROPS = [
    ("key", "POST", r"/keys$"),
    ("request", "POST", r"/certificate-requests$"),
    ("self-signed", "POST", r"/certificates/self-signed$"),
    ("import signed by the local CA", "POST", r"/certificates/import$"),
    ("import PKCS#12", "POST", r"/certificates/import$"),
    ("export", "POST", r"/certificates/[^/]+/export$"),
    ("bundle", "POST", r"/certificates/[^/]+/export$"),
]


@pytest.fixture
def proxy(appliance):
    proxy = DroppingProxy(appliance)
    yield proxy
    proxy.close()


def tasks(proxy, tmp_path, signed, chain, p12) -> list:
    connection = {"appliance_url": proxy.url, "api_token": "{{ bomgar_api_token }}", "ca_path": "{{ bomgar_ca_path }}"}
    calls = [
        ("key", "appliance_key", {"name": "lost-key", "type": "ec"}),
        (
            "request",
            "appliance_csr",
            {
                "friendly_name": "lost-request",
                "key": "lost-key",
                "common_name": "support.example.com",
                "subject_alt_name": ["DNS:support.example.com"],
            },
        ),
        (
            "self-signed",
            "appliance_csr",
            {
                "friendly_name": "lost-self-signed",
                "key": "lost-key",
                "common_name": "support.example.com",
                "subject_alt_name": ["DNS:support.example.com"],
                "self_signed": True,
            },
        ),
        ("import signed by the local CA", "appliance_cert_import", {"src": [str(signed), *map(str, chain)]}),
        ("import PKCS#12", "appliance_cert_import", {"src": [str(p12)], "passphrase": PASSPHRASE}),
        ("export", "appliance_certificate_export", {"certificate": "lost-self-signed"}),
        (
            "bundle",
            "appliance_support_bundle",
            {"certificate": "lost-self-signed", "dest": str(tmp_path / "bundle.zip")},
        ),
    ]
    return [
        {"name": name, f"bomgar.pki.{module}": {**connection, **args}, "ignore_errors": True}
        for name, module, args in calls
    ]


def test_a_lost_answer_says_the_change_may_be_applied_and_a_second_run_converges(appliance, proxy, play, tmp_path):
    ca = make_ca(tmp_path / "local-ca")
    signed = ca.sign(appliance_request(appliance, "pending-key"), "pending")
    # A PKCS#12 with its whole chain: nothing is looked up on the appliance, so its import is its only POST.
    other_ca = make_ca(tmp_path / "other-ca")
    other_key, other_cert = other_ca.issue("other", "other.example.com")
    chain = [other_ca.intermediate, other_ca.root]
    p12 = pkcs12(other_cert, other_key, chain, tmp_path / "other.p12", PASSPHRASE)
    steps = tasks(proxy, tmp_path, signed, [ca.intermediate, ca.root], p12)
    for _name, method, path in DROPS:
        proxy.drop(method, path)

    first = play({"appliance": appliance}, steps, connection_defaults=False)

    assert [(method, status) for method, _path, status in proxy.dropped] == [
        ("POST", 201),
        ("POST", 201),
        ("POST", 201),
        ("POST", 201),
        ("POST", 201),
        ("POST", 200),
        ("POST", 200),
    ], "each POST reached the appliance, which answered it"
    for name, _method, _path in DROPS:
        result = first.result(name)
        assert result["failed"], (name, result)
        message = result["msg"]
        assert "was sent, before its answer" in message and "the appliance may have applied it" in message, message
        assert "Running the task again is safe" in message, message
        assert "Cannot reach" not in message, message
    assert not (tmp_path / "bundle.zip").exists()
    with appliance.client() as client:
        names = {key["name"] for key in client.get("keys").json()}
        requests = {request["friendly_name"] for request in client.get("certificate-requests").json()}
        certificates = {cert["friendly_name"] for cert in client.get("certificates").json()}
    assert "lost-key" in names and "lost-request" in requests and "lost-self-signed" in certificates

    second = play({"appliance": appliance}, steps, connection_defaults=False)

    assert len(proxy.dropped) == len(DROPS), "the second run lost no answer"
    for name in ("key", "request", "self-signed", "import signed by the local CA", "import PKCS#12"):
        result = second.result(name)
        assert not result["failed"] and result["changed"] is False, (name, result)
    exported = second.result("export")
    assert not exported["failed"] and "BEGIN CERTIFICATE" in str(exported), exported
    bundle = second.result("bundle")
    assert not bundle["failed"], bundle
    with zipfile.ZipFile(tmp_path / "bundle.zip") as archive:
        assert archive.namelist()
