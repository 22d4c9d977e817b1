# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared runner: one place where every foreseen failure becomes a module result.

The plain-module path of every module against a real appliance is in tests/integration/test_plain_modules.py.
"""

from __future__ import annotations

from ansible_collections.bomgar.pki.plugins.module_utils.appliance.client import (
    ApplianceAPIError,
    ApplianceClient,
    ApplianceConnectionError,
)
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.runner import (
    CONNECTION_ARGUMENT_SPEC,
    Context,
    ModuleSpec,
    run_logic,
)
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import SpecError

# --- run_logic: failures become results in one place ----------------------------------------------------------


def spec_running(run) -> ModuleSpec:
    return ModuleSpec(argument_spec={}, run=run)


def test_result_gets_changed_and_warnings():
    def run(ctx):
        ctx.warn("first")
        ctx.warn("first")
        return {"value": 1}

    ctx = Context({})
    assert run_logic(spec_running(run), ctx) == {"value": 1, "changed": False, "warnings": ["first"]}


def test_ctx_fail_carries_extra_keys():
    def run(ctx):
        ctx.fail("Key 'a' cannot be removed. Delete its certificate first.", key={"name": "a"})

    result = run_logic(spec_running(run), Context({}))
    assert result == {
        "failed": True,
        "changed": False,
        "msg": "Key 'a' cannot be removed. Delete its certificate first.",
        "key": {"name": "a"},
    }


def test_appliance_refusal_keeps_error_and_details():
    def run(ctx):
        raise ApplianceAPIError("Certificate c1 is bound; unbind it first.", 409, "certificate_bound", {"ip": ["a"]})

    result = run_logic(spec_running(run), Context({}))
    assert result["failed"] and result["msg"] == "Certificate c1 is bound; unbind it first."
    assert result["error"] == "certificate_bound" and result["details"] == {"ip": ["a"]}


def test_connection_error_without_details():
    def run(ctx):
        raise ApplianceConnectionError("Cannot reach the appliance. Check appliance_url.")

    result = run_logic(spec_running(run), Context({}))
    assert result == {"failed": True, "changed": False, "msg": "Cannot reach the appliance. Check appliance_url."}


def test_pki_error_message_includes_the_hint():
    def run(ctx):
        raise SpecError("Country 'UK' is not an ISO 3166 code.", hint="Use 'GB'.", details={"field": "country_name"})

    result = run_logic(spec_running(run), Context({}))
    assert result["msg"] == "Country 'UK' is not an ISO 3166 code. Use 'GB'."
    assert result["error"] == "invalid_spec" and result["details"] == {"field": "country_name"}


def test_context_makes_one_client_from_the_connection_options():
    ctx = Context({"appliance_url": "https://a.example.com/", "api_token": "t", "validate_certs": False})
    client = ctx.client()
    assert isinstance(client, ApplianceClient) and ctx.client() is client
    assert client.base_url == "https://a.example.com/appliance/api/v1"


def test_resolve_path_is_identity_for_a_plain_module():
    assert Context({}).resolve_path("files/x.pem") == "files/x.pem"
    assert Context({}, resolve_path=lambda p: "/found/" + p).resolve_path("x.pem") == "/found/x.pem"


def test_connection_options_have_env_fallbacks_and_the_token_is_secret():
    spec = ModuleSpec(argument_spec={"name": {"type": "str"}}, run=None).full_argument_spec()
    assert spec["api_token"]["no_log"] is True
    for option, variable in (
        ("appliance_url", "BOMGAR_APPLIANCE_URL"),
        ("api_token", "BOMGAR_API_TOKEN"),
        ("ca_path", "BOMGAR_CA_PATH"),
    ):
        assert spec[option]["fallback"][1] == [variable]
        assert callable(spec[option]["fallback"][0])
    assert CONNECTION_ARGUMENT_SPEC["appliance_url"]["fallback"] == ("env", ["BOMGAR_APPLIANCE_URL"])
