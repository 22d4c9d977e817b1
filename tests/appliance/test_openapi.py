# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The committed OpenAPI document is the one the server serves, and it covers the whole contract."""

from __future__ import annotations

import json

import pytest
from api_client import ApiHarness
from api_routes import DOCUMENT, REGENERATE, contract_routes

from reference_appliance import API_PREFIX, API_VERSION
from reference_appliance.openapi import main, render


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    harness = ApiHarness(tmp_path_factory.mktemp("openapi"))
    response = harness.api.get("/openapi.json")
    anonymous = harness.anonymous.get("/openapi.json")
    harness.close()
    assert response.status_code == 200
    assert anonymous.status_code == 401, "the document is served with the token, like every resource but health"
    return response.json()


def test_the_committed_document_is_the_served_one(served):
    committed = DOCUMENT.read_text(encoding="utf-8")
    assert render(served) == committed, f"{DOCUMENT.name} is out of date; regenerate with: {REGENERATE}"


def test_the_generator_writes_the_committed_form(tmp_path, capsys):
    output = tmp_path / "api.json"
    assert main(["--output", str(output)]) == 0
    assert main([]) == 0
    printed = capsys.readouterr().out
    assert output.read_text(encoding="utf-8") == printed
    assert printed.endswith("}\n")
    assert printed == json.dumps(json.loads(printed), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_the_document_names_the_api_and_its_token(served):
    assert served["info"]["title"] == "Appliance Certificate API"
    assert served["info"]["version"] == API_VERSION
    assert served["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The API token the appliance was started with.",
    }


@pytest.mark.parametrize(("method", "path"), contract_routes())
def test_every_route_of_the_contract_is_in_the_document(served, method, path):
    operation = served["paths"].get(API_PREFIX + path, {}).get(method.lower())
    assert operation is not None, f"{method} {path} of docs/appliance-api.md is missing from the document"
    security = operation.get("security")
    if path == "/health":
        assert security is None
    else:
        assert security == [{"bearerAuth": []}]
        assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorBody"
        }


def test_the_document_has_no_route_the_contract_lacks(served):
    documented = {(method.upper(), path) for path, ops in served["paths"].items() for method in ops}
    contract = {(method, API_PREFIX + path) for method, path in contract_routes()}
    assert documented == contract


def test_every_refusal_is_described_as_the_error_body(served):
    schemas = served["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorBody"]["required"]) == {"error", "message", "details"}
    for path, operations in served["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)


def test_request_bodies_refuse_unknown_fields_and_passphrases_are_write_only(served):
    schemas = served["components"]["schemas"]
    for name in ("KeyCreate", "RequestCreate", "SelfSignedCreate", "ImportRequest", "ImportFile", "ExportRequest"):
        assert schemas[name]["additionalProperties"] is False, name
    for name in ("ImportRequest", "ExportRequest"):
        passphrase = schemas[name]["properties"]["passphrase"]["anyOf"][0]
        assert passphrase == {"type": "string", "format": "password", "writeOnly": True}
