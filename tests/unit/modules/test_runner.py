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
    key_material_values,
    run_logic,
)
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import SpecError
from ansible_collections.bomgar.pki.plugins.modules import local_ca_sign
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from module_args import run_module

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


# --- key material given by mistake is masked -------------------------------------------------------------------


def _key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def test_key_material_values_finds_keys_in_any_option_but_no_log_ones():
    key_pem = _key_pem()
    spec = {"csr": {"type": "str"}, "names": {"type": "list"}, "secret": {"type": "str", "no_log": True}}
    found = key_material_values({"csr": key_pem, "names": ["x", {"deep": key_pem}], "secret": key_pem}, spec)
    assert key_pem in found
    assert all(line in found for line in key_pem.splitlines() if line)
    assert key_material_values({"csr": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"}, spec) == set()


def test_the_plain_module_masks_a_key_given_as_csr(tmp_path):
    key_pem = _key_pem()
    args = {
        "ca_cert": str(tmp_path / "ca" / "issuing.pem"),
        "ca_key": str(tmp_path / "ca" / "issuing.key"),
        "create": True,
        "csr": key_pem,
    }
    done = run_module(local_ca_sign.main, args)
    assert done.exit_code == 1 and "certificate request" in done.result["msg"]
    assert done.result["invocation"]["module_args"]["csr"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert not any(line in done.stdout for line in key_pem.splitlines() if not line.startswith("-----"))
