# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real appliance on a temporary store, its API in-process, and clients that speak to it.

``ApiHarness(directory)`` builds the ``Appliance`` over ``Store(directory)`` and
the FastAPI application of ``create_app``; ``api`` sends the token, ``anonymous``
does not. Both talk to the application in-process through Starlette's TestClient
(a real ASGI round trip, no mocks).
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from reference_appliance import API_PREFIX
from reference_appliance.api import create_app
from reference_appliance.appliance import Appliance, Identity
from reference_appliance.store import Store

TOKEN = "api-test-token-4f1d9c2b7e"
HOSTNAME = "appliance-01.example.com"
SITE_HOSTNAME = "support.example.com"
BASE_URL = f"http://testserver{API_PREFIX}"


def identity() -> Identity:
    return Identity(hostname=HOSTNAME, site_hostname=SITE_HOSTNAME)


class ApiHarness:
    """One appliance and two clients of its API."""

    def __init__(self, directory, token: str = TOKEN):
        self.store = Store(directory)
        self.appliance = Appliance(self.store, identity())
        self.app = create_app(self.appliance, token)
        self.api = TestClient(self.app, base_url=BASE_URL, headers={"Authorization": f"Bearer {token}"})
        self.anonymous = TestClient(self.app, base_url=BASE_URL)

    def close(self) -> None:
        self.api.close()
        self.anonymous.close()
        self.store.close()

    def ok(self, method: str, path: str, status: int = 200, **kwargs):
        """Send a request that must succeed with ``status``; its JSON body (None for 204)."""
        response = self.api.request(method, path, **kwargs)
        assert response.status_code == status, (response.status_code, response.text)
        return response.json() if response.content else None

    def snapshot(self) -> dict:
        """Everything the API shows, to compare before and after a refusal."""
        certificates = self.ok("GET", "/certificates")
        return {
            "basics": self.ok("GET", "/status/basics"),
            "ip_addresses": self.ok("GET", "/network/ip-addresses"),
            "keys": self.ok("GET", "/keys"),
            "requests": self.ok("GET", "/certificate-requests"),
            "certificates": certificates,
            "bindings": [self.ok("GET", f"/certificates/{cert['id']}/ip-addresses") for cert in certificates],
        }

    def create_key(self, name: str, **spec) -> dict:
        return self.ok("POST", "/keys", 201, json={"name": name, "type": "ec", **spec})

    def create_request(self, friendly_name: str, key_id: str, hostname: str = SITE_HOSTNAME) -> dict:
        body = {
            "friendly_name": friendly_name,
            "key_id": key_id,
            "subject": {"common_name": hostname, "country_name": "US", "organization_name": "Example"},
            "subject_alt_name": [f"DNS:{hostname}"],
        }
        return self.ok("POST", "/certificate-requests", 201, json=body)

    def create_self_signed(self, friendly_name: str, key_id: str, hostname: str = SITE_HOSTNAME) -> dict:
        body = {
            "friendly_name": friendly_name,
            "key_id": key_id,
            "subject": {"common_name": hostname},
            "subject_alt_name": [f"DNS:{hostname}"],
            "days": 30,
        }
        return self.ok("POST", "/certificates/self-signed", 201, json=body)

    def factory_default(self) -> dict:
        return next(cert for cert in self.ok("GET", "/certificates") if cert["factory_default"])
