# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""appliance_acme: the appliance's own ACME client (HTTP-01), configured, checked and waited for.

The appliance orders, proves its names over plain HTTP, installs the
certificate with its chain, binds it and renews it itself. This module sets
what it orders (directory, contact, external account binding, names, key type,
the addresses to bind), asks for an order now when told to, and waits, for a
bounded time, until the appliance's order has finished. The EAB HMAC goes to
the appliance and is never read back: the appliance only says whether one is
configured, so a configured HMAC is sent again only when asked to
(``eab_hmac_update: always``).
"""

from __future__ import annotations

import time

from ...acme_rules import contact_uris, http01_wildcards, identifier_names, pem_certificates
from ..client import ApplianceAPIError
from ..runner import ModuleFailed, ModuleSpec

KEY_TYPES = ["ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"]
DEFAULT_FRIENDLY_NAME = "ACME"
DEFAULT_WAIT_TIMEOUT = 300
POLL_SECONDS = 1.0

ARGUMENT_SPEC = {
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "directory_url": {"type": "str"},
    "contact": {"type": "list", "elements": "str", "default": []},
    "eab_key_id": {"type": "str"},
    "eab_hmac": {"type": "str", "no_log": True},
    "eab_hmac_update": {"type": "str", "choices": ["always", "on_create"], "default": "on_create"},
    "hostnames": {"type": "list", "elements": "str"},
    "key_type": {"type": "str", "choices": KEY_TYPES, "default": "ec-p256"},
    "ca_bundle_path": {"type": "path"},
    "ca_bundle_content": {"type": "str"},
    "friendly_name": {"type": "str", "default": DEFAULT_FRIENDLY_NAME},
    "ip_addresses": {"type": "list", "elements": "str", "default": []},
    "renew_now": {"type": "bool", "default": False},
    "wait": {"type": "bool", "default": False},
    "wait_timeout": {"type": "int", "default": DEFAULT_WAIT_TIMEOUT},
}

# The settings a diff shows and a change is decided on; never the HMAC, only whether one is configured.
SETTING_FIELDS = (
    "enabled",
    "directory_url",
    "contact",
    "eab_key_id",
    "eab_hmac_configured",
    "hostnames",
    "key_type",
    "ca_bundle",
    "friendly_name",
    "ip_addresses",
)
# What the appliance orders for: a change of any of these makes it order again.
ORDER_FIELDS = ("directory_url", "hostnames", "key_type", "friendly_name", "ip_addresses")


# --- checks without a server --------------------------------------------------


def hostnames_problem(hostnames) -> str | None:
    """Why these names cannot be ordered over HTTP-01, or None."""
    if not hostnames:
        return (
            "hostnames is empty: give the DNS names the certificate is for, the appliance's hostname first, "
            "e.g. [support.example.com]."
        )
    wildcards = http01_wildcards(hostnames)
    if wildcards:
        return (
            f"{', '.join(wildcards)} cannot be ordered by the appliance: its ACME client proves names over HTTP-01, "
            "which cannot prove a wildcard. Order a wildcard from the controller over DNS-01 (the certificate "
            "role's provider acme with certificate_acme_mode: controller), or list the names one by one."
        )
    return None


def check_ca_bundle(pem: str, source: str) -> str:
    """The bundle when it holds PEM certificates and nothing else; ModuleFailed naming ``source`` otherwise."""
    blocks = pem_certificates(pem)
    if not blocks or any(not block.startswith("-----BEGIN CERTIFICATE-----") for block in blocks):
        raise ModuleFailed(
            f"{source} holds no PEM certificates (or holds something else, such as a key): give the CA "
            "certificates that sign the ACME directory's HTTPS certificate, as PEM."
        )
    return "\n".join(blocks) + "\n"


def settings_of(configuration: dict) -> dict:
    """The settings part of the appliance's ACME configuration, as a diff shows it."""
    settings = {name: configuration.get(name) for name in SETTING_FIELDS}
    settings["enabled"] = bool(settings["enabled"])
    settings["contact"] = list(settings["contact"] or [])
    settings["hostnames"] = list(settings["hostnames"] or [])
    settings["ip_addresses"] = sorted(settings["ip_addresses"] or [])
    settings["eab_hmac_configured"] = bool(settings["eab_hmac_configured"])
    return settings


def wanted_settings(params: dict, ca_bundle: str | None) -> dict:
    """What the task asks the appliance to hold (no HMAC: whether one is configured)."""
    return {
        "enabled": True,
        "directory_url": params["directory_url"],
        "contact": contact_uris(params.get("contact")),
        "eab_key_id": params.get("eab_key_id"),
        "eab_hmac_configured": bool(params.get("eab_hmac")),
        "hostnames": identifier_names(params["hostnames"]),
        "key_type": params["key_type"],
        "ca_bundle": ca_bundle,
        "friendly_name": params["friendly_name"],
        "ip_addresses": sorted(params.get("ip_addresses") or []),
    }


def settings_differ(before: dict, wanted: dict, resend_hmac: bool) -> list[str]:
    """The names of the settings the appliance must change, in the order of SETTING_FIELDS."""
    changed = []
    for name in SETTING_FIELDS:
        if name == "ca_bundle":
            differs = pem_certificates(before.get(name)) != pem_certificates(wanted.get(name))
        elif name == "eab_hmac_configured":
            differs = before.get(name) != wanted.get(name) or (resend_hmac and wanted.get(name))
        else:
            differs = before.get(name) != wanted.get(name)
        if differs:
            changed.append(name)
    return changed


def order_finished(configuration: dict) -> bool:
    """True once the appliance is not ordering any more (its order succeeded or failed)."""
    return (configuration.get("status") or {}).get("state") != "pending"


def failed_message(configuration: dict) -> str:
    """Why the appliance holds no certificate from its ACME CA, with what still serves and what to check."""
    status = configuration.get("status") or {}
    error = status.get("last_error") or "the appliance gave no reason"
    kept = (
        f" The certificate it installed before ({status.get('certificate_sha256')}, until {status.get('not_after')}) "
        "is still served."
        if status.get("certificate_id")
        else " Nothing was bound."
    )
    return (
        f"The appliance's ACME order failed: {error}.{kept} Check that the CA reaches the appliance over plain HTTP "
        f"on each name (port {configuration.get('http_port')} of the address the name resolves to, which stands in "
        "for TCP 80) and that the names resolve to the appliance; then run again, or use renew_now."
    )


def timeout_message(configuration: dict, waited: float) -> str:
    status = configuration.get("status") or {}
    return (
        f"The appliance's ACME order did not finish within {waited:g} s (state {status.get('state')}; last error: "
        f"{status.get('last_error') or 'none'}). The appliance goes on ordering by itself: run again later, or give "
        "a longer wait_timeout."
    )


# --- the run -------------------------------------------------------------------


def _ca_bundle(ctx) -> str | None:
    params = ctx.params
    if params.get("ca_bundle_content"):
        return check_ca_bundle(params["ca_bundle_content"], "ca_bundle_content")
    if params.get("ca_bundle_path"):
        path = ctx.resolve_path(params["ca_bundle_path"])
        try:
            with open(path, encoding="utf-8") as handle:
                content = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise ModuleFailed(
                f"ca_bundle_path {path} cannot be read ({exc}); give a PEM file of CA certificates."
            ) from None
        return check_ca_bundle(content, f"ca_bundle_path {path}")
    return None


def _check_present(params: dict) -> None:
    if not params.get("directory_url"):
        raise ModuleFailed(
            "directory_url is missing: give the ACME directory of the CA, e.g. "
            "https://acme-v02.api.letsencrypt.org/directory."
        )
    problem = hostnames_problem(identifier_names(params.get("hostnames")))
    if problem:
        raise ModuleFailed(problem)
    if int(params["wait_timeout"]) < 1:
        raise ModuleFailed(f"wait_timeout is {params['wait_timeout']}; give the seconds to wait, 1 or more.")


def _settings_body(params: dict, wanted: dict, send_hmac: bool) -> dict:
    body = {name: wanted[name] for name in ("directory_url", "contact", "eab_key_id", "hostnames", "key_type")}
    body.update(
        ca_bundle=wanted["ca_bundle"],
        friendly_name=wanted["friendly_name"],
        ip_addresses=list(params.get("ip_addresses") or []),
    )
    if send_hmac:
        body["eab_hmac"] = params["eab_hmac"]
    return body


def wait_for_order(client, wait_timeout: float, sleep=time.sleep, clock=time.monotonic) -> dict:
    """Poll the appliance until its order has finished; its configuration then. ModuleFailed on a timeout."""
    started = clock()
    while True:
        configuration = client.get("acme") or {}
        if order_finished(configuration):
            return configuration
        waited = clock() - started
        if waited + POLL_SECONDS > wait_timeout:
            raise ModuleFailed(timeout_message(configuration, round(waited, 1)), acme=configuration)
        sleep(POLL_SECONDS)


def _installed_certificate(client, configuration: dict) -> dict | None:
    ident = (configuration.get("status") or {}).get("certificate_id")
    if not ident:
        return None
    try:
        return client.get(f"certificates/{ident}")
    except ApplianceAPIError as exc:
        if exc.status == 404:
            return None
        raise


def run(ctx) -> dict:
    """Set the appliance's ACME client as asked, start an order when told to, and wait for it when told to."""
    params = ctx.params
    client = ctx.client()
    before = client.get("acme") or {}
    before_settings = settings_of(before)
    if params["state"] == "absent":
        changed = before_settings["enabled"]
        after = before
        if changed and not ctx.check_mode:
            client.delete("acme")
            after = client.get("acme") or {}
        after_settings = settings_of(after) if not ctx.check_mode else {**before_settings, "enabled": False}
        result = {"changed": changed, "acme": after}
        if ctx.diff_mode:
            result["diff"] = {"before": before_settings, "after": after_settings}
        return result

    _check_present(params)
    wanted = wanted_settings(params, _ca_bundle(ctx))
    resend_hmac = params["eab_hmac_update"] == "always"
    changed_fields = settings_differ(before_settings, wanted, resend_hmac)
    if params.get("eab_hmac") and not before_settings["eab_hmac_configured"]:
        resend_hmac = True
    result = {"changed": bool(changed_fields), "changed_settings": changed_fields, "acme": before}
    if ctx.diff_mode:
        result["diff"] = {"before": before_settings, "after": wanted if changed_fields else before_settings}
    ordering_anyway = bool(set(changed_fields) & set(ORDER_FIELDS)) or not before_settings["enabled"]
    if params["renew_now"]:
        result["changed"] = True
    if ctx.check_mode:
        return result

    after = before
    if changed_fields:
        after = client.put("acme", _settings_body(params, wanted, resend_hmac)) or {}
    if params["renew_now"] and not (ordering_anyway and not order_finished(after)):
        try:
            after = client.post("acme/orders") or after
        except ApplianceAPIError as exc:
            if exc.status != 409 or order_finished(client.get("acme") or {}):
                raise
    result["acme"] = after
    if params["wait"]:
        after = wait_for_order(client, float(params["wait_timeout"]))
        result["acme"] = after
        if (after.get("status") or {}).get("state") != "valid":
            raise ModuleFailed(failed_message(after), **result)
        result["certificate"] = _installed_certificate(client, after)
    return result


MODULE_SPEC = ModuleSpec(
    argument_spec=ARGUMENT_SPEC,
    run=run,
    mutually_exclusive=[["ca_bundle_path", "ca_bundle_content"]],
    required_together=[["eab_key_id", "eab_hmac"]],
)
