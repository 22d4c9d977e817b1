# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared runner: one place where every foreseen failure becomes a module result.

The plain-module path of every module against a real appliance is in tests/integration/test_plain_modules.py.
"""

from __future__ import annotations

import pytest
from ansible.module_utils.common.parameters import PASS_VARS
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


# --- what Ansible's argument validation lets through, refused before the logic runs ------------------------------

GOOD_CONNECTION = {"appliance_url": "https://a.example.com", "api_token": "unit-token-0123", "timeout": 30.0}
CHECKED_SPEC = {
    "common_name": {"type": "str"},
    "dest": {"type": "path"},
    "passphrase": {"type": "str", "no_log": True},
    "names": {"type": "list", "elements": "str"},
    "bind": {
        "type": "dict",
        "options": {"site_port": {"type": "int"}, "verify_timeout": {"type": "float", "default": 10}},
    },
    "appliances": {
        "type": "list",
        "elements": "dict",
        "options": {
            "host": {"type": "str"},
            "api_token": {"type": "str", "no_log": True},
            "timeout": {"type": "float"},
        },
    },
}


def run_checked(given: dict, params: dict | None = None) -> tuple[dict, list]:
    """run_logic of a module with CHECKED_SPEC on a task's arguments; (result, whether the logic ran)."""
    ran = []
    spec = ModuleSpec(argument_spec=CHECKED_SPEC, run=lambda ctx: ran.append(True) or {"changed": True})
    validated = {**GOOD_CONNECTION, **(params if params is not None else given)}
    return run_logic(spec, Context(validated, given={**GOOD_CONNECTION, **given})), ran


@pytest.mark.parametrize(
    ("given", "named", "kind"),
    [
        ({"common_name": ["a"]}, "common_name", "a list"),
        ({"common_name": {"cn": "a"}}, "common_name", "a dictionary"),
        ({"dest": ["/tmp/a", "/tmp/b"]}, "dest", "a list"),
        ({"passphrase": ["secret-in-a-list"]}, "passphrase", "a list"),
        ({"names": ["a", ["b"]]}, "names[1]", "a list"),
        ({"appliances": [{"host": "a"}, {"host": ["b"]}]}, "appliances[1].host", "a list"),
        ({"api_token": ["tok-0123456789"]}, "api_token", "a list"),
    ],
)
def test_a_list_or_dict_where_text_is_expected_is_refused_naming_the_option(given, named, kind):
    result, ran = run_checked(given, params={})
    assert result["failed"] and not ran
    assert result["msg"].startswith(f"{named} takes text, but {kind} was given")
    assert "secret-in-a-list" not in result["msg"] and "tok-0123456789" not in result["msg"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"timeout": 0.0}, "timeout is 0: give the number of seconds to wait, more than 0 (e.g. 30)."),
        ({"timeout": -1.0}, "timeout is -1: give the number of seconds to wait, more than 0 (e.g. 30)."),
        ({"bind": {"verify_timeout": -1.0, "site_port": None}}, "bind.verify_timeout is -1: give the number"),
        ({"appliances": [{"host": "a", "timeout": 0.0}]}, "appliances[0].timeout is 0: give the number"),
        ({"bind": {"verify_timeout": 10.0, "site_port": 70000}}, "bind.site_port is 70000, which is not a port"),
        ({"bind": {"verify_timeout": 10.0, "site_port": 0}}, "bind.site_port is 0, which is not a port"),
    ],
)
def test_seconds_not_above_zero_and_ports_out_of_range_are_refused(params, message):
    result, ran = run_checked({}, params=params)
    assert result["failed"] and not ran
    assert result["msg"].startswith(message), result["msg"]


def test_connection_options_are_checked_before_the_logic_runs():
    result, ran = run_checked({}, params={"api_token": "unit-token-0123\n"})
    assert result["failed"] and not ran
    assert result["msg"].startswith("api_token holds a line break at its end")
    result, ran = run_checked({}, params={"appliance_url": "http://a.example.com"})
    assert result["failed"] and not ran and "uses http://" in result["msg"]


def test_good_arguments_reach_the_logic():
    given = {"common_name": "a", "names": ["a", "b"], "bind": {"verify_timeout": 2.5, "site_port": 443}}
    result, ran = run_checked(given)
    assert ran and result == {"changed": True}


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
    if "inject_invocation" in PASS_VARS:
        # Newer ansible-core adds the invocation only when the controller asks for it (-vvv).
        args["_ansible_inject_invocation"] = True
    done = run_module(local_ca_sign.main, args)
    assert done.exit_code == 1 and "certificate request" in done.result["msg"]
    assert done.result["invocation"]["module_args"]["csr"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert not any(line in done.stdout for line in key_pem.splitlines() if not line.startswith("-----"))
