# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared set-up of the service-layer tests: an appliance on a temporary store, and a populated one."""

from __future__ import annotations

import json
from dataclasses import dataclass

import service_material as material

from reference_appliance.appliance import Appliance, Identity
from reference_appliance.errors import ApplianceError
from reference_appliance.store import Store

IDENTITY = Identity(hostname=material.HOSTNAME, site_hostname=material.SITE)
SUBJECT = {"common_name": "Support Site", "country_name": "US", "organization_name": "Example Corp"}
SANS = [f"DNS:{material.SITE}"]


class Recorder:
    """Calls an Appliance and keeps every value it returned and every refusal it raised (as JSON text)."""

    def __init__(self, appliance: Appliance):
        self.appliance = appliance
        self.outputs: list[str] = []

    def __getattr__(self, name):
        method = getattr(self.appliance, name)

        def call(*args, **kwargs):
            try:
                result = method(*args, **kwargs)
            except ApplianceError as exc:
                self.outputs.append(json.dumps(exc.as_dict()))
                raise
            if name != "tls_material":
                self.outputs.append(json.dumps(result))
            return result

        return call


def open_appliance(state_dir, changes: list | None = None, identity: Identity = IDENTITY) -> tuple[Store, Appliance]:
    """A store in ``state_dir`` and an appliance on it whose on_change appends to ``changes``."""
    store = Store(state_dir)
    callback = None if changes is None else (lambda: changes.append("change"))
    return store, Appliance(store, identity, on_change=callback)


def snapshot(appliance) -> str:
    """Everything the appliance reports, as one comparable text."""
    return json.dumps(
        {
            "ip_addresses": appliance.list_ip_addresses(),
            "keys": appliance.list_keys(),
            "requests": appliance.list_requests(),
            "certificates": appliance.list_certificates(),
            "status": appliance.status_basics(),
        },
        sort_keys=True,
    )


@dataclass
class Populated:
    """The ids of a populated appliance (see :func:`populate`)."""

    root: material.Issued
    inter: material.Issued
    bound: material.Issued
    keyless: material.Issued
    key_id: str
    request_id: str
    factory_default_id: str


def populate(appliance, hierarchy) -> Populated:
    """Three addresses; an appliance key with a pending request; a CA-signed certificate with its key bound to
    127.0.0.2; a certificate without its key; the CA's intermediate and root."""
    root, inter = hierarchy
    for address in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        appliance.add_ip_address(address)
    key = appliance.create_key("site-key", "ec")
    request = appliance.create_request("Pending 2026", key["id"], SUBJECT, SANS)
    bound = material.make_leaf(inter, "bound.example.com")
    appliance.import_files(
        [("bound.p12", material.pkcs12_modern(bound.key, bound.cert, [inter.cert, root.cert]))],
        passphrase=material.PASSPHRASE,
    )
    appliance.set_bindings(bound.id, ["127.0.0.2"])
    keyless = material.make_leaf(inter, "keyless.example.com")
    appliance.import_files([("keyless.pem", material.cert_pem(keyless.cert))])
    default = next(cert for cert in appliance.list_certificates() if cert["factory_default"])
    return Populated(root, inter, bound, keyless, key["id"], request["id"], default["id"])
