# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property-based requests to every operation, generated from the API's own OpenAPI document.

Schemathesis sends valid and invalid requests (derandomized, bounded per
operation) to the application in-process, over a real appliance. Every response
must be no server error, carry a documented status code, content type and
headers, and match the documented schema; invalid requests must be refused with
a 4xx, and no operation but health may answer without the token.

Random ids only ever meet 404s, so a second run sends valid requests to the
operations with path parameters on resources that exist.
"""

from __future__ import annotations

import pytest
import schemathesis
from api_client import TOKEN, ApiHarness
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from reference_appliance.api import OPENAPI_PATH, create_app

MAX_EXAMPLES = 25
AUTHORIZATION = {"Authorization": f"Bearer {TOKEN}"}
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]
BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)


def _config(mode: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}},
            "generation": {"mode": mode, "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        }
    )


# Building the application and serving its document need no appliance; the `harness` fixture gives it one.
APP = create_app(None, TOKEN)
schema = schemathesis.openapi.from_asgi(OPENAPI_PATH, APP, config=_config("all"), headers=AUTHORIZATION)
# Deleting the address or the request would leave the other operations nothing to work on.
on_existing = (
    schemathesis.openapi.from_asgi(OPENAPI_PATH, APP, config=_config("positive"), headers=AUTHORIZATION)
    .include(path_regex=r"\{")
    .exclude(method="DELETE", path_regex=r"/(network/ip-addresses|certificate-requests)/\{")
)


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    """A real appliance with an address, a key, a request and a certificate bound to the address."""
    harness = ApiHarness(tmp_path_factory.mktemp("schemathesis"))
    harness.ok("POST", "/network/ip-addresses", 201, json={"address": "127.0.0.2"})
    key = harness.create_key("schemathesis")
    request = harness.create_request("schemathesis request", key["id"])
    cert = harness.create_self_signed("schemathesis self-signed", key["id"])
    harness.ok("PUT", f"/certificates/{cert['id']}/ip-addresses", json={"ip_addresses": ["127.0.0.2"]})
    harness.existing = {
        "key_id": key["id"],
        "request_id": request["id"],
        "certificate_id": cert["id"],
        "address": "127.0.0.2",
        "name": "certificates",
    }
    APP.state.appliance = harness.appliance
    yield harness
    APP.state.appliance = None
    harness.close()


@schema.parametrize()
@BOUNDED
@pytest.mark.usefixtures("harness")
def test_every_operation_answers_as_documented(case):
    case.call_and_validate(checks=[*CONFORMANCE, negative_data_rejection])


@on_existing.parametrize()
@BOUNDED
def test_operations_on_existing_resources_answer_as_documented(case, harness):
    for name in case.path_parameters:
        case.path_parameters[name] = harness.existing[name]
    case.call_and_validate(checks=CONFORMANCE)
