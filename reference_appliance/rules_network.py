# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The appliance's IP addresses: which ones it may own, in their canonical spelling."""

from __future__ import annotations

import ipaddress

from .errors import ApplianceError

LOOPBACK_NETWORK = ipaddress.IPv4Network("127.0.0.0/8")
_RULE = "the reference appliance runs on loopback, so its addresses are IPv4 addresses in 127.0.0.0/8"
_EXAMPLE = "e.g. 127.0.0.2"


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def canonical_ip_address(value) -> str:
    """The canonical text of an address the appliance may own; 422 ``invalid_ip_address`` otherwise."""
    if not isinstance(value, str):
        raise ApplianceError(
            422,
            "invalid_ip_address",
            f"The IP address must be text, got {type(value).__name__} {_shown(value)}. "
            f"Give an IPv4 address in 127.0.0.0/8, {_EXAMPLE}.",
            {"address": _shown(value), "rule": _RULE},
        )
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        raise ApplianceError(
            422,
            "invalid_ip_address",
            f"{_shown(value)} is not an IP address. Give an IPv4 address in 127.0.0.0/8, {_EXAMPLE}.",
            {"address": _shown(value), "rule": _RULE},
        ) from None
    if not isinstance(address, ipaddress.IPv4Address) or address not in LOOPBACK_NETWORK:
        raise ApplianceError(
            422,
            "invalid_ip_address",
            f"IP address {address} cannot be used: {_RULE}. Choose an address in 127.0.0.0/8, {_EXAMPLE}.",
            {"address": str(address), "rule": _RULE},
        )
    return str(address)
