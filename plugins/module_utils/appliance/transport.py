# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How a module reaches its appliance: the connection options, and the client of the chosen transport.

Two transports give the same answers to the module logic:

- ``api`` (the default): the Appliance Certificate API, with a bearer token (``client.ApplianceClient``);
- ``web``: the appliance's /appliance web interface, driven as a person does, with the admin username and
  password (``web_client.WebClient``). A real appliance offers only this one.

The logic never asks which transport it has: both clients take the API's paths and return the API's shapes.
"""

from __future__ import annotations

from .client import ApplianceClient, ApplianceError, api_base_url, check_api_token, check_seconds

TRANSPORTS = ("api", "web")
DEFAULT_TIMEOUT = 30

# The connection options of every module that speaks to one appliance (its own arguments), and of each entry of a
# fleet module's ``appliances``. Environment fallbacks are written ("env", [...]) and wired by the runner.
CONNECTION_ARGUMENT_SPEC = {
    "appliance_url": {"type": "str", "required": True, "fallback": ("env", ["BOMGAR_APPLIANCE_URL"])},
    "transport": {"type": "str", "choices": list(TRANSPORTS), "fallback": ("env", ["BOMGAR_TRANSPORT"])},
    "api_token": {"type": "str", "no_log": True, "fallback": ("env", ["BOMGAR_API_TOKEN"])},
    "username": {"type": "str", "fallback": ("env", ["BOMGAR_USERNAME"])},
    "password": {"type": "str", "no_log": True, "fallback": ("env", ["BOMGAR_PASSWORD"])},
    "web_snapshot_dir": {"type": "path"},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path", "fallback": ("env", ["BOMGAR_CA_PATH"])},
    "timeout": {"type": "float", "default": DEFAULT_TIMEOUT},
}

# What each transport needs besides appliance_url.
CREDENTIALS = {"api": ("api_token",), "web": ("username", "password")}


def transport_of(params: dict) -> str:
    """``api`` or ``web``: the option, else ``api``."""
    return params.get("transport") or "api"


def missing_credentials(params: dict) -> list:
    """The options the chosen transport needs and ``params`` does not give (``appliance_url`` included)."""
    needed = (
        ("appliance_url", "api_token") if transport_of(params) == "api" else ("appliance_url", "username", "password")
    )
    return [name for name in needed if params.get(name) in (None, "")]


def _check_web_credentials(params: dict) -> None:
    for name, variable in (("username", "BOMGAR_USERNAME"), ("password", "BOMGAR_PASSWORD")):
        value = params.get(name)
        if not isinstance(value, str) or not value:
            raise ApplianceError(
                f"transport is web, and {name} is empty. Set {name} (bomgar_{name} in the inventory, or the "
                f"{variable} environment variable) to the admin {name} of the appliance's /appliance web "
                "interface, or use transport: api with api_token.",
                details={"hint": f"Set {name} for transport: web."},
            )
        if any(char in value for char in "\r\n\x00"):
            raise ApplianceError(
                f"{name} holds a line break or a NUL character, which no login form takes, so nothing was sent. "
                f"Give the {name} exactly as the appliance has it (a value vaulted with `echo` keeps echo's "
                "newline: vault it with `printf '%s'`). (The value is not shown.)",
                details={"hint": f"Remove the line break from {name}."},
            )


def check_connection_options(params: dict) -> None:
    """Refuse connection options no request can be made with, before anything is sent (secrets never shown)."""
    transport = transport_of(params)
    if transport not in TRANSPORTS:
        raise ApplianceError(f"transport is '{transport}': give api (the default) or web.")
    api_base_url(params.get("appliance_url"))
    if transport == "api":
        check_api_token(params.get("api_token"))
    else:
        _check_web_credentials(params)
    if params.get("timeout") is not None:
        check_seconds(params["timeout"], "timeout")


def connect(params: dict):
    """The client of the transport ``params`` choose, made from its connection options."""
    timeout = DEFAULT_TIMEOUT if params.get("timeout") is None else params["timeout"]
    if transport_of(params) == "web":
        from .web_client import WebClient  # only a task over the web interface loads its client

        return WebClient(
            params["appliance_url"],
            params.get("username"),
            params.get("password"),
            validate_certs=params.get("validate_certs", True),
            ca_path=params.get("ca_path"),
            timeout=timeout,
            snapshot_dir=params.get("web_snapshot_dir"),
        )
    return ApplianceClient(
        params["appliance_url"],
        params.get("api_token"),
        validate_certs=params.get("validate_certs", True),
        ca_path=params.get("ca_path"),
        timeout=timeout,
    )
