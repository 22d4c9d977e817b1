# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ACME client's settings: checked as a PUT gives them, kept as one store row, shown without the EAB HMAC.

Every refusal is a 422 ``invalid_acme_settings`` (an address the appliance lacks: ``unknown_ip_address``, as
for bindings) whose message says what is wrong and what to give instead; ``details.field`` names the field.
No refusal repeats the EAB HMAC.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
import urllib.parse
from dataclasses import dataclass, field

from cryptography import x509

from ..core import hostnames, keys
from ..errors import ApplianceError
from ..rules_keys import checked_label
from ..rules_network import canonical_ip_address

INVALID = "invalid_acme_settings"
DEFAULT_KEY_TYPE = "ec-p256"
DEFAULT_FRIENDLY_NAME = "ACME"
# key_type -> (KeySpec kind, RSA size, EC curve)
KEY_TYPES = {
    "ec-p256": ("ec", None, "P-256"),
    "ec-p384": ("ec", None, "P-384"),
    "rsa-2048": ("rsa", 2048, None),
    "rsa-3072": ("rsa", 3072, None),
    "rsa-4096": ("rsa", 4096, None),
}
MAX_HOSTNAMES = 100  # what Let's Encrypt accepts in one order
MAX_CONTACTS = 10
MAX_URL_LENGTH = 2048
MAX_TEXT_LENGTH = 256
MAX_CA_BUNDLE_BYTES = 1024 * 1024
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_FIELDS = (
    "directory_url",
    "contact",
    "eab_key_id",
    "eab_hmac",
    "hostnames",
    "key_type",
    "ca_bundle",
    "friendly_name",
    "ip_addresses",
)


@dataclass(frozen=True)
class AcmeSettings:
    """What the ACME client orders and where it installs it. ``eab_hmac`` is never shown."""

    directory_url: str
    hostnames: tuple[str, ...]
    contact: tuple[str, ...] = ()
    eab_key_id: str | None = None
    eab_hmac: str | None = field(default=None, repr=False)
    key_type: str = DEFAULT_KEY_TYPE
    ca_bundle: str | None = None
    friendly_name: str = DEFAULT_FRIENDLY_NAME
    ip_addresses: tuple[str, ...] = ()

    def order_fields(self) -> tuple:
        """What decides the certificate: equal order fields and a valid certificate mean no new order."""
        return (self.directory_url, self.hostnames, self.key_type, self.ip_addresses, self.friendly_name)

    def view(self) -> dict:
        """The settings as GET /acme shows them (``eab_hmac_configured``, never the HMAC)."""
        return {
            "directory_url": self.directory_url,
            "contact": list(self.contact),
            "eab_key_id": self.eab_key_id,
            "eab_hmac_configured": bool(self.eab_hmac),
            "hostnames": list(self.hostnames),
            "key_type": self.key_type,
            "ca_bundle": self.ca_bundle,
            "friendly_name": self.friendly_name,
            "ip_addresses": list(self.ip_addresses),
        }


def _refused(field_name: str, message: str, **details) -> ApplianceError:
    return ApplianceError(422, INVALID, message, {"field": field_name, **details})


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def key_spec(key_type: str) -> keys.KeySpec:
    """The key specification of a ``key_type`` (``ec-p256`` ... ``rsa-4096``)."""
    kind, size, curve = KEY_TYPES[key_type]
    return keys.KeySpec.create(kind, size, curve)


def key_type_of(key_row: dict) -> str | None:
    """The ``key_type`` a stored key row has, or None for one the ACME client does not make."""
    for name, (kind, size, curve) in KEY_TYPES.items():
        if key_row["type"] == kind and key_row["size"] == size and key_row["curve"] == curve:
            return name
    return None


def check_directory_url(value) -> str:
    """An https URL with a host."""
    example = "e.g. https://acme-v02.api.letsencrypt.org/directory"
    if not isinstance(value, str) or not value.strip():
        raise _refused("directory_url", f"The directory URL is missing. Give the CA's ACME directory URL, {example}.")
    text = value.strip()
    if len(text) > MAX_URL_LENGTH or _CONTROL.search(text):
        raise _refused(
            "directory_url",
            f"The directory URL is longer than {MAX_URL_LENGTH} characters or holds spaces or control characters. "
            f"Give the CA's ACME directory URL, {example}.",
        )
    try:
        parsed = urllib.parse.urlsplit(text)
    except ValueError:
        parsed = urllib.parse.urlsplit("")
    if parsed.scheme.lower() != "https" and not text.lower().startswith("https://"):
        raise _refused(
            "directory_url",
            f"The directory URL {_shown(text)} is not an https URL: ACME requires HTTPS for the directory and "
            f"every request. Give the https URL of the CA's ACME directory, {example}.",
        )
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError:
        host, port = None, None
    if not host or parsed.username or parsed.password or (port is not None and not 1 <= port <= 65535):
        raise _refused(
            "directory_url",
            f"The directory URL {_shown(text)} has no valid host (or carries a user name or password). "
            f"Give the https URL of the CA's ACME directory, {example}.",
        )
    return text


def check_contact(value) -> tuple[str, ...]:
    """``mailto:`` URIs, each with one address."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _refused("contact", 'contact must be a list of mailto: URIs, e.g. ["mailto:pki@example.com"].')
    if len(value) > MAX_CONTACTS:
        raise _refused("contact", f"contact lists {len(value)} URIs; at most {MAX_CONTACTS} are allowed. Give fewer.")
    result = []
    for item in value:
        if not isinstance(item, str):
            raise _refused("contact", f"contact entry {_shown(item)} is not text. Give mailto: URIs as text.")
        text = item.strip()
        address = text[len("mailto:") :] if text.lower().startswith("mailto:") else None
        local, _at, domain = (address or "").rpartition("@")
        if (
            address is None
            or len(text) > MAX_TEXT_LENGTH
            or not local
            or not hostnames.is_dns_name(domain)
            or "*" in domain
            or _CONTROL.search(text)
            or "," in text
            or "?" in text
        ):
            raise _refused(
                "contact",
                f"contact entry {_shown(item)} is not a mailto: URI with one e-mail address. "
                'Write it as "mailto:pki@example.com" (one address per entry, no parameters).',
                entry=_shown(item),
            )
        result.append("mailto:" + address)
    return tuple(dict.fromkeys(result))


def check_hostnames(value) -> tuple[str, ...]:
    """DNS names (lower-case A-labels, duplicates removed, order kept); no wildcards, no IP addresses."""
    example = 'e.g. ["support.example.com"]'
    if value is None or isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _refused("hostnames", f"hostnames must be a list of DNS names, {example}.")
    if not value:
        raise _refused(
            "hostnames",
            "hostnames is empty: an order needs at least one DNS name. Give the names the certificate is for, "
            f"the first one its common name, {example}.",
        )
    if len(value) > MAX_HOSTNAMES:
        raise _refused(
            "hostnames", f"hostnames lists {len(value)} names; one order takes at most {MAX_HOSTNAMES}. Give fewer."
        )
    result = []
    for item in value:
        if isinstance(item, str) and "*" in item:
            raise _refused(
                "hostnames",
                f"Hostname {_shown(item)} is a wildcard. HTTP-01, the only challenge the appliance answers, cannot "
                "prove control of a wildcard name. List each hostname the site uses instead "
                "(e.g. support.example.com).",
                hostname=_shown(item),
            )
        ip = hostnames.ip_address_or_none(item) if isinstance(item, str) else None
        if ip is not None or not hostnames.is_dns_name(item):
            reason = "an IP address" if ip is not None else "not a valid fully qualified DNS name"
            raise _refused(
                "hostnames",
                f"Hostname {_shown(item)} is {reason}. Give DNS names of two or more labels that resolve to the "
                "appliance, e.g. support.example.com.",
                hostname=_shown(item),
            )
        result.append(hostnames.normalize_dns_name(item))
    return tuple(dict.fromkeys(result))


def check_key_type(value) -> str:
    """One of KEY_TYPES."""
    if value is None:
        return DEFAULT_KEY_TYPE
    if not isinstance(value, str) or value not in KEY_TYPES:
        raise _refused(
            "key_type",
            f"key_type {_shown(value)} is not one the appliance makes. Choose one of {', '.join(KEY_TYPES)} "
            f"(default {DEFAULT_KEY_TYPE}).",
            allowed=list(KEY_TYPES),
        )
    return value


def check_eab(key_id, hmac, stored: AcmeSettings | None) -> tuple[str | None, str | None]:
    """The EAB key id and HMAC: both or neither. A key id without an HMAC keeps the stored HMAC of that key id."""
    if key_id is not None and (not isinstance(key_id, str) or not key_id.strip() or _CONTROL.search(key_id)):
        raise _refused(
            "eab_key_id",
            "eab_key_id is empty or holds spaces or control characters. Give the key identifier the CA issued "
            "for external account binding, or leave it out.",
        )
    if key_id is not None and len(key_id) > MAX_TEXT_LENGTH:
        raise _refused("eab_key_id", f"eab_key_id is longer than {MAX_TEXT_LENGTH} characters. Check the key id.")
    if hmac is not None:
        if key_id is None:
            raise _refused(
                "eab_hmac",
                "eab_hmac is given without eab_key_id. External account binding needs both: give the key id the "
                "CA issued together with its HMAC key, or leave both out.",
            )
        if not isinstance(hmac, str) or not _BASE64URL.match(hmac) or not _decodes(hmac):
            raise _refused(
                "eab_hmac",
                "eab_hmac is not base64url text (letters, digits, '-' and '_'). Give the HMAC key exactly as the "
                "CA shows it.",
            )
        return key_id, hmac.rstrip("=")
    if key_id is None:
        return None, None
    if stored is not None and stored.eab_key_id == key_id and stored.eab_hmac:
        return key_id, stored.eab_hmac
    raise _refused(
        "eab_key_id",
        "eab_key_id is given without eab_hmac, and no HMAC is stored for that key id. External account binding "
        "needs both: give the HMAC key the CA issued with it, or leave both out.",
    )


def _decodes(text: str) -> bool:
    stripped = text.rstrip("=")
    try:
        return bool(base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4)))
    except (binascii.Error, ValueError):
        return False


def _pem_blocks(text: str) -> list[str]:
    """The PEM blocks of ``text``, each line stripped (text outside the blocks is dropped)."""
    blocks, current = [], None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("-----BEGIN "):
            current = [line]
        elif current is not None:
            current.append(line)
            if line.startswith("-----END "):
                blocks.append("\n".join(current))
                current = None
    return blocks


def check_ca_bundle(value) -> str | None:
    """PEM text of one or more certificates (roots trusted for the directory's HTTPS), or None.

    Kept as its certificate blocks, each line stripped, joined by line breaks, with a final line break.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    fix = "Give the PEM text of the CA's root certificate(s) (-----BEGIN CERTIFICATE----- blocks), or leave it out."
    if not isinstance(value, str) or len(value.encode("utf-8", "replace")) > MAX_CA_BUNDLE_BYTES:
        raise _refused("ca_bundle", f"ca_bundle must be PEM text of at most {MAX_CA_BUNDLE_BYTES} bytes. {fix}")
    kinds = set(_PEM_BLOCK.findall(value))
    if kinds - {"CERTIFICATE"}:
        raise _refused(
            "ca_bundle",
            f"ca_bundle holds PEM blocks other than certificates ({', '.join(sorted(kinds - {'CERTIFICATE'}))}). {fix}",
        )
    blocks = _pem_blocks(value)
    for block in blocks:
        try:
            x509.load_pem_x509_certificate(block.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise _refused(
                "ca_bundle", f"ca_bundle holds a PEM block that is not a readable certificate. {fix}"
            ) from None
    if not blocks:
        raise _refused("ca_bundle", f"ca_bundle holds no readable PEM certificate. {fix}")
    return "\n".join(blocks) + "\n"


def check_ip_addresses(value, known: list[str]) -> tuple[str, ...]:
    """Addresses the appliance has (canonical text, duplicates removed)."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _refused("ip_addresses", 'ip_addresses must be a list of the appliance\'s addresses, e.g. ["127.0.0.2"].')
    wanted = list(dict.fromkeys(canonical_ip_address(address) for address in value))
    ordered = sorted(known, key=ipaddress.ip_address)
    unknown = [address for address in wanted if address not in known]
    if unknown:
        raise ApplianceError(
            422,
            "unknown_ip_address",
            f"The appliance has no IP address {', '.join(unknown)}, so the ACME certificate cannot be assigned "
            f"there. Add it under network/ip-addresses first (POST /network/ip-addresses), or choose among "
            f"{', '.join(ordered)}.",
            {"field": "ip_addresses", "addresses": unknown, "known": ordered},
        )
    return tuple(wanted)


def check_settings(body: dict, known_addresses: list[str], stored: AcmeSettings | None) -> AcmeSettings:
    """The settings of a PUT, checked field by field in the contract's order; 422 for the first problem."""
    unknown = sorted(set(body) - set(_FIELDS))
    if unknown:
        raise _refused(unknown[0], f"Unknown setting(s) {', '.join(unknown)}. The settings are {', '.join(_FIELDS)}.")
    directory_url = check_directory_url(body.get("directory_url"))
    hostname_list = check_hostnames(body.get("hostnames"))
    contact = check_contact(body.get("contact"))
    key_id, hmac = check_eab(body.get("eab_key_id"), body.get("eab_hmac"), stored)
    key_type = check_key_type(body.get("key_type"))
    ca_bundle = check_ca_bundle(body.get("ca_bundle"))
    friendly_name = body.get("friendly_name")
    friendly_name = checked_label(
        DEFAULT_FRIENDLY_NAME if friendly_name is None else friendly_name, "friendly name", "ACME"
    )
    ip_addresses = check_ip_addresses(body.get("ip_addresses"), known_addresses)
    return AcmeSettings(
        directory_url=directory_url,
        hostnames=hostname_list,
        contact=contact,
        eab_key_id=key_id,
        eab_hmac=hmac,
        key_type=key_type,
        ca_bundle=ca_bundle,
        friendly_name=friendly_name,
        ip_addresses=ip_addresses,
    )


def settings_row(settings: AcmeSettings, enabled: bool, now: str) -> dict:
    """The store row of the settings."""
    return {
        "enabled": 1 if enabled else 0,
        "directory_url": settings.directory_url,
        "contact": json.dumps(list(settings.contact)),
        "eab_key_id": settings.eab_key_id,
        "eab_hmac": settings.eab_hmac,
        "hostnames": json.dumps(list(settings.hostnames)),
        "key_type": settings.key_type,
        "ca_bundle": settings.ca_bundle,
        "friendly_name": settings.friendly_name,
        "ip_addresses": json.dumps(list(settings.ip_addresses)),
        "updated_at": now,
    }


def settings_from_row(row: dict | None) -> AcmeSettings | None:
    """The settings of a store row, or None when there is none."""
    if row is None:
        return None
    return AcmeSettings(
        directory_url=row["directory_url"],
        hostnames=tuple(json.loads(row["hostnames"])),
        contact=tuple(json.loads(row["contact"])),
        eab_key_id=row["eab_key_id"],
        eab_hmac=row["eab_hmac"],
        key_type=row["key_type"],
        ca_bundle=row["ca_bundle"],
        friendly_name=row["friendly_name"],
        ip_addresses=tuple(json.loads(row["ip_addresses"])),
    )


def csr_names(settings: AcmeSettings) -> tuple[str | None, list[str]]:
    """The common name (the first hostname, when it fits the 64 characters a common name may have) and the
    ``DNS:`` entries of the certificate request."""
    first = settings.hostnames[0]
    return (first if len(first) <= 64 else None), [f"DNS:{name}" for name in settings.hostnames]
