# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The procedure's rules about a certificate's names, in one place.

Country: an ISO 3166 code. State or province: written out in full (a warning
for what looks abbreviated). Common name: preferably a label; when it is a DNS
name or an IP address it must be the first subject alternative name, spelled
the same. Alternative names: one per name the site needs; IP addresses are
possible but not recommended. See docs/procedure.md, rules R1.6 to R1.10.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from . import countries
from .errors import SpecError
from .hostnames import SanEntry, ip_address_or_none, is_dns_name, normalize_dns_name, parse_sans
from .subject_fields import SubjectSpec, checked_fields

_ABBREVIATION = re.compile(r"^(?:[A-Za-z]{2,3}|[A-Z]{1,3})$")


def _state_warning(state: str, country: str | None) -> str | None:
    """A warning when the state or province looks abbreviated ("CA", "NY", "Bav."), else None."""
    if not (_ABBREVIATION.match(state) or state.endswith(".")):
        return None
    full = countries.subdivision_name(country, state) if country else None
    suggestion = f" ({full!r})" if full else ""
    return (
        f"state_or_province_name {state!r} looks like an abbreviation; some CAs reject abbreviations:"
        f" use the full name{suggestion}."
    )


def _kind(entry: SanEntry) -> str:
    return "an IP address" if entry.type == "IP" else "a DNS name"


def _check_common_name(common_name: str, entries: list[SanEntry]) -> None:
    """If the common name is a DNS name or IP address, it must be the first alternative name, spelled the same."""
    address = ip_address_or_none(common_name)
    if address is not None:
        wanted = SanEntry("IP", str(address))
    elif "*" in common_name or is_dns_name(common_name):
        try:
            wanted = SanEntry("DNS", normalize_dns_name(common_name))
        except SpecError as exc:
            raise SpecError(f"common_name {common_name!r}: {exc.message}", hint=exc.hint, details=exc.details) from None
    else:
        return
    details = {"field": "common_name", "value": common_name}
    if not entries:
        raise SpecError(
            f"common_name {common_name!r} is {_kind(wanted)} but the request has no subject alternative names.",
            hint=f"Add '{wanted}' as the first subject alternative name, or use a human-readable common_name.",
            details=details,
        )
    first = entries[0]
    if first != wanted:
        if wanted in entries:
            raise SpecError(
                f"common_name {common_name!r} is subject alternative name number {entries.index(wanted) + 1};"
                " it must be the first.",
                hint=f"Move '{wanted}' to the top of the subject alternative names.",
                details=details,
            )
        raise SpecError(
            f"common_name {common_name!r} is {_kind(wanted)} but not the first subject alternative name ('{first}').",
            hint=f"Add '{wanted}' as the first subject alternative name, or use a human-readable common_name.",
            details=details,
        )
    if common_name != first.value:
        raise SpecError(
            f"common_name {common_name!r} must be spelled exactly as the first subject alternative name"
            f" {first.value!r}.",
            hint=f"Set common_name to {first.value!r}.",
            details=details,
        )


def validate_request(subject: SubjectSpec, sans: Iterable[SanEntry | str]) -> list[str]:
    """Check a subject and its alternative names by the procedure's rules.

    Raises SpecError on the first hard error; returns the warnings (possibly none).
    """
    entries = parse_sans(sans)
    fields = checked_fields(subject)
    warnings = []
    country = fields.get("country_name")
    if country is not None and not countries.is_country_code(country):
        raise countries.country_code_error(country, "country_name")
    state = fields.get("state_or_province_name")
    if state is not None:
        warning = _state_warning(state, country)
        if warning:
            warnings.append(warning)
    common_name = fields.get("common_name")
    if common_name is None and not entries:
        raise SpecError(
            "The request has neither a common_name nor a subject alternative name.",
            hint="Add the DNS names the site needs as subject alternative names, e.g. 'DNS:support.example.com'.",
        )
    if common_name is not None:
        _check_common_name(common_name, entries)
    if not entries:
        warnings.append(
            "The request has no subject alternative names; browsers ignore the common name, so the certificate"
            " will not be accepted for any hostname. Add each DNS name the site needs as 'DNS:...'."
        )
    addresses = [entry.value for entry in entries if entry.type == "IP"]
    if addresses:
        warnings.append(f"IP address SANs are possible but not recommended ({', '.join(addresses)}); prefer DNS names.")
    return warnings
