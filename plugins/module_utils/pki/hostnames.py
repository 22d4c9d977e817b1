# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostnames and subject alternative names, and the one rule of whether a certificate's names cover a hostname.

DNS names are kept in lower-case A-label form without a trailing dot, IP
addresses in canonical text; a subject alternative name is a ``SanEntry``
("DNS" or "IP" and its value). ``hostname_covered`` is the collection's only
answer to "would a TLS client accept these names for this hostname": only the
subject alternative names count, never the common name (RFC 9525; RFC 6125
already ignored the common name whenever alternative names exist, and the
CA/Browser Forum Baseline Requirements put every name a client checks there).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import SpecError, UnrecognizedFormat

try:
    from cryptography import x509
except ImportError:  # see deps.require_cryptography()
    x509 = None

MAX_DNS_NAME_LENGTH = 253
MAX_DNS_LABEL_LENGTH = 63

# General name types a certificate can carry but the appliance's form cannot.
_UNSUPPORTED_SAN_TYPES = {
    "URI",
    "EMAIL",
    "RFC822",
    "RFC822NAME",
    "RID",
    "REGISTEREDID",
    "DIRNAME",
    "DIRECTORYNAME",
    "OTHERNAME",
    "X400NAME",
    "EDIPARTYNAME",
    "UPN",
}

_LDH_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_LDH_CHARACTERS = re.compile(r"^[a-z0-9-]+$")
# Full stops that IDNA treats as label separators besides ".".
_IDNA_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})

_WILDCARD_HINT = "Write a wildcard as '*.' followed by a name of two or more labels, e.g. '*.example.com'."
_SAN_PREFIX_HINT = "Prefix each alternative name with DNS: or IP:, e.g. 'DNS:support.example.com' or 'IP:192.0.2.10'."


@dataclass(frozen=True)
class SanEntry:
    """One subject alternative name: type "DNS" or "IP" and its normalised value."""

    type: str
    value: str

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


# --- DNS names ---------------------------------------------------------------


def validate_wildcard(name: str) -> None:
    """Raise SpecError unless the wildcard in ``name`` is the whole leftmost label with two or more labels after it.

    A name without "*" passes.
    """
    if "*" not in name:
        return
    text = name[:-1] if name.endswith(".") else name
    labels = text.split(".")
    if labels[0] != "*" and "*" in labels[0]:
        problem = "a wildcard must be the whole leftmost label, not part of it"
    elif labels[0] != "*":
        problem = "a wildcard is allowed only as the leftmost label"
    elif any("*" in label for label in labels[1:]):
        problem = "only the leftmost label may be a wildcard"
    elif len(labels) < 3:
        problem = "a wildcard needs at least two labels after '*', it cannot stand for a whole domain"
    else:
        return
    raise SpecError(
        f"Wildcard DNS name {name!r} is not allowed: {problem}.", hint=_WILDCARD_HINT, details={"name": name}
    )


def _label_to_ascii(label: str, name: str) -> str:
    """One label in lower-case A-label form, checked against the LDH rules."""
    if not label:
        raise SpecError(
            f"DNS name {name!r} has an empty label (a leading dot or two dots in a row).",
            hint="Remove the extra dot.",
            details={"name": name},
        )
    if label == "*":
        return label
    if not label.isascii():
        try:
            label = label.encode("idna").decode("ascii")
        except UnicodeError:
            raise SpecError(
                f"DNS name {name!r} has a label {label!r} that cannot be converted to an A-label (IDNA).",
                hint="Check the spelling of the internationalised label; each label is at most 63 characters once"
                " converted.",
                details={"name": name},
            ) from None
    label = label.lower()
    if len(label) > MAX_DNS_LABEL_LENGTH:
        raise SpecError(
            f"DNS name {name!r} has a label of {len(label)} characters; a label has at most {MAX_DNS_LABEL_LENGTH}.",
            hint="Shorten the label.",
            details={"name": name, "label": label},
        )
    if not _LDH_CHARACTERS.match(label):
        raise SpecError(
            f"DNS name {name!r} has a label {label!r} with characters other than letters, digits and hyphens.",
            hint="Use only a-z, 0-9 and '-' in a host name; underscores and spaces are not allowed.",
            details={"name": name, "label": label},
        )
    if not _LDH_LABEL.match(label):
        raise SpecError(
            f"DNS name {name!r} has a label {label!r} that begins or ends with a hyphen.",
            hint="Labels start and end with a letter or digit.",
            details={"name": name, "label": label},
        )
    if label.startswith("xn--"):
        try:
            label.encode("ascii").decode("idna")
        except UnicodeError:
            raise SpecError(
                f"DNS name {name!r} has a label {label!r} that is not a valid A-label (punycode).",
                hint="Write the internationalised label in its Unicode form and let it be converted.",
                details={"name": name, "label": label},
            ) from None
    return label


def normalize_dns_name(name: str) -> str:
    """``name`` in lower-case A-label form without a trailing dot; SpecError when it is not a valid DNS name.

    Internationalised labels ("bücher.example") become A-labels ("xn--bcher-kva.example").
    """
    if not isinstance(name, str):
        raise SpecError(f"A DNS name must be text, got {type(name).__name__} {name!r}.", hint="Give the name as text.")
    text = name.translate(_IDNA_DOTS)
    if any(ch.isspace() for ch in text):
        raise SpecError(
            f"DNS name {name!r} contains whitespace.",
            hint="Remove the spaces; a DNS name is labels joined by dots.",
            details={"name": name},
        )
    if text.endswith("."):
        text = text[:-1]
    if not text:
        raise SpecError("A DNS name is empty.", hint="Give a fully qualified name, e.g. 'support.example.com'.")
    validate_wildcard(text)
    result = ".".join(_label_to_ascii(label, name) for label in text.split("."))
    if len(result) > MAX_DNS_NAME_LENGTH:
        raise SpecError(
            f"DNS name {name!r} is {len(result)} characters long; a DNS name has at most {MAX_DNS_NAME_LENGTH}.",
            hint="Use a shorter name.",
            details={"name": name},
        )
    return result


def is_dns_name(text: object) -> bool:
    """True when ``text`` is a (possibly wildcard) fully qualified DNS name: two or more LDH labels, not an IP."""
    if not isinstance(text, str):
        return False
    try:
        labels = normalize_dns_name(text).split(".")
    except SpecError:
        return False
    return len(labels) >= 2 and not labels[-1].isdigit()


# --- IP addresses ------------------------------------------------------------


def ip_address_or_none(text: str):
    """The address ``text`` spells (brackets around IPv6 allowed), or None."""
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if "%" in text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _normalize_ip(value: str, original: str) -> str:
    if "%" in value:
        raise SpecError(
            f"Subject alternative name {original!r} carries an IPv6 zone index.",
            hint="Remove the '%...' part; a certificate holds the bare address.",
            details={"san": original},
        )
    if "/" in value:
        raise SpecError(
            f"Subject alternative name {original!r} is a network, not an address.",
            hint="List each IP address on its own, e.g. 'IP:192.0.2.10'.",
            details={"san": original},
        )
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise SpecError(
            f"Subject alternative name {original!r}: {value!r} is not a valid IPv4 or IPv6 address.",
            hint="Write an address such as 'IP:192.0.2.10' or 'IP:2001:db8::10'.",
            details={"san": original},
        ) from None


# --- Subject alternative names -----------------------------------------------


def _fully_qualified(value: str, original: str) -> str:
    address = ip_address_or_none(value)
    if address is not None:
        raise SpecError(
            f"Subject alternative name {original!r} is an IP address written as a DNS name.",
            hint=f"Write it as 'IP:{address}'.",
            details={"san": original},
        )
    name = normalize_dns_name(value)
    labels = name.split(".")
    if len(labels) < 2:
        raise SpecError(
            f"Subject alternative name {original!r} is not a fully qualified DNS name.",
            hint="Give the full name including its domain, e.g. 'DNS:support.example.com'.",
            details={"san": original},
        )
    if labels[-1].isdigit():
        raise SpecError(
            f"Subject alternative name {original!r} ends in an all-numeric label, which no DNS name does.",
            hint="Give a fully qualified DNS name, or an IP address as 'IP:...'.",
            details={"san": original},
        )
    return name


def parse_san(text: str | SanEntry) -> SanEntry:
    """Parse "DNS:name", "IP:address" (prefix in any case; OpenSSL's "IP Address:" too) into a normalised SanEntry."""
    if isinstance(text, SanEntry):
        text = str(text)
    if not isinstance(text, str):
        raise SpecError(
            f"A subject alternative name must be text, got {type(text).__name__} {text!r}.", hint=_SAN_PREFIX_HINT
        )
    if not text.strip():
        raise SpecError("A subject alternative name is empty.", hint="Remove the empty entry or fill it in.")
    if text != text.strip():
        raise SpecError(
            f"Subject alternative name {text!r} has leading or trailing whitespace.",
            hint=f"Write it as {text.strip()!r}.",
            details={"san": text},
        )
    address = ip_address_or_none(text)
    if address is not None:
        raise SpecError(
            f"Subject alternative name {text!r} has no type prefix.",
            hint=f"Write it as 'IP:{address}'.",
            details={"san": text},
        )
    kind, colon, value = text.partition(":")
    kind_key = " ".join(kind.split()).upper()
    if not colon or (
        kind_key not in ("DNS", "IP", "IP ADDRESS") and kind_key.replace(" ", "") not in _UNSUPPORTED_SAN_TYPES
    ):
        example = f"'DNS:{text}'" if is_dns_name(text) else "'DNS:support.example.com'"
        raise SpecError(
            f"Subject alternative name {text!r} does not start with DNS: or IP:.",
            hint=f"Prefix it with DNS: or IP:, e.g. {example}.",
            details={"san": text},
        )
    if kind_key == "DNS":
        return SanEntry("DNS", _fully_qualified(value, text))
    if kind_key in ("IP", "IP ADDRESS"):
        return SanEntry("IP", _normalize_ip(value, text))
    raise SpecError(
        f"Subject alternative name {text!r} is of type {kind!r}, which the appliance does not take.",
        hint="Use only DNS names ('DNS:...') and IP addresses ('IP:...').",
        details={"san": text},
    )


def parse_sans(items: Iterable[str | SanEntry] | None) -> list[SanEntry]:
    """Parse each item with ``parse_san``; order is kept and exact duplicates (after normalising) dropped."""
    if items is None:
        return []
    if isinstance(items, (str, SanEntry)):
        items = [items]
    return list(dict.fromkeys(parse_san(item) for item in items))


def san_general_name(entry: SanEntry) -> x509.GeneralName:
    """The ``cryptography`` general name of a SanEntry: DNSName or IPAddress."""
    if entry.type == "DNS":
        return x509.DNSName(entry.value)
    if entry.type == "IP":
        return x509.IPAddress(ipaddress.ip_address(entry.value))
    raise SpecError(f"Subject alternative name type {entry.type!r} is not supported.", hint=_SAN_PREFIX_HINT)


def sans_from_certificate(cert_or_csr) -> list[SanEntry]:
    """The DNS and IP entries of a certificate's or request's SubjectAlternativeName extension ([] without one).

    Other general name types are left out. A DNS entry that does not normalise is kept lower-cased as it stands.
    """
    try:
        extension = cert_or_csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    except (ValueError, x509.DuplicateExtension) as exc:
        raise UnrecognizedFormat(
            f"The extensions of the certificate or request cannot be read: {exc}.",
            hint="The object is malformed; obtain it again from its issuer.",
        ) from None
    entries = []
    for general_name in extension.value:
        if isinstance(general_name, x509.DNSName):
            try:
                value = normalize_dns_name(general_name.value)
            except SpecError:
                value = general_name.value.lower()
            entries.append(SanEntry("DNS", value))
        elif isinstance(general_name, x509.IPAddress):
            entries.append(SanEntry("IP", str(general_name.value)))
    return entries


def other_alternative_names(cert_or_csr) -> list[str]:
    """The alternative names that are neither DNS names nor IP addresses (``email:…``, ``URI:…``, ...), as text.

    TLS clients ignore them and the appliance's form cannot make them; [] without the extension.
    """
    try:
        extension = cert_or_csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    except (ValueError, x509.DuplicateExtension) as exc:
        raise UnrecognizedFormat(
            f"The extensions of the certificate or request cannot be read: {exc}.",
            hint="The object is malformed; obtain it again from its issuer.",
        ) from None
    names = []
    for general_name in extension.value:
        if isinstance(general_name, (x509.DNSName, x509.IPAddress)):
            continue
        if isinstance(general_name, x509.RFC822Name):
            names.append(f"email:{general_name.value}")
        elif isinstance(general_name, x509.UniformResourceIdentifier):
            names.append(f"URI:{general_name.value}")
        elif isinstance(general_name, x509.DirectoryName):
            names.append(f"dirName:{general_name.value.rfc4514_string()}")
        elif isinstance(general_name, x509.RegisteredID):
            names.append(f"RID:{general_name.value.dotted_string}")
        elif isinstance(general_name, x509.OtherName):
            names.append(f"otherName:{general_name.type_id.dotted_string}")
        else:
            names.append(type(general_name).__name__)
    return names


def usable_entry(entry: SanEntry) -> bool:
    """True when an entry read from a certificate can cover a hostname: an IP address, a well-formed DNS name, or a
    wildcard a TLS client honours. ``*.com``, ``*.*.example.com`` or ``foo.*.example.com`` cover nothing."""
    if entry.type == "IP":
        return True
    if entry.type != "DNS":
        return False
    if "*" in entry.value:
        return _is_wildcard(entry.value)
    return is_dns_name(entry.value)


# --- Hostname coverage: the one rule ----------------------------------------


def _is_wildcard(value: str) -> bool:
    """True when a DNS entry is a wildcard a TLS client honours: '*' as the whole leftmost label of three or more."""
    if not value.startswith("*."):
        return False
    try:
        validate_wildcard(value)
    except SpecError:
        return False
    return True


def _covered(hostname: str, entries: list[SanEntry]) -> bool:
    address = ip_address_or_none(hostname)
    if address is not None:
        return any(entry.type == "IP" and ip_address_or_none(entry.value) == address for entry in entries)
    name = normalize_dns_name(hostname)
    _first, dot, parent = name.partition(".")
    for entry in entries:
        if entry.type != "DNS":
            continue
        value = entry.value.rstrip(".").lower()
        if value == name:
            return True
        if dot and "*" not in name and _is_wildcard(value) and value[2:] == parent:
            return True
    return False


def _entries(sans: Iterable[SanEntry | str] | None) -> list[SanEntry]:
    if sans is None:
        return []
    if isinstance(sans, (str, SanEntry)):
        sans = [sans]
    return [entry if isinstance(entry, SanEntry) else parse_san(entry) for entry in sans]


def hostname_covered(hostname: str, sans: Iterable[SanEntry | str]) -> bool:
    """True when a TLS client would accept a certificate with alternative names ``sans`` for ``hostname``.

    The collection's one coverage rule, used wherever a hostname is checked against a certificate or a spec:
    only the alternative names count, never the common name, so a certificate without them covers nothing.
    A DNS name matches ignoring case, a trailing dot and IDN form; a wildcard ("*.example.com") covers exactly
    one label in its place (not example.com, not a.b.example.com), and only when it is well formed ("*.com" or
    "a.*.example.com" in a certificate cover nothing); a wildcard hostname matches only the identical wildcard;
    an IP hostname matches only an equal IP entry. ``sans`` given as text are parsed strictly (a malformed entry
    raises SpecError); SanEntry values, as ``certificate_sans`` and ``sans_from_certificate`` read them, are
    taken as they are. A hostname that is neither a DNS name nor an IP address raises SpecError.
    """
    return _covered(hostname, _entries(sans))


def uncovered_hostnames(hostnames: Iterable[str], sans: Iterable[SanEntry | str]) -> list[str]:
    """The hostnames (as given, in order) that ``sans`` do not cover, by :func:`hostname_covered`."""
    if isinstance(hostnames, str):
        hostnames = [hostnames]
    entries = _entries(sans)
    return [hostname for hostname in hostnames if not _covered(hostname, entries)]


def certificate_sans(items: Iterable[str] | None) -> list[SanEntry]:
    """The alternative names a certificate carries, from their text (``DNS:…``, ``IP:…``), read leniently.

    For names read from a certificate or an appliance, not typed by a user: an entry that does not parse is
    left out (it covers nothing), and it never hides the entries that do parse.
    """
    entries = []
    for item in items or []:
        try:
            entries.append(item if isinstance(item, SanEntry) else parse_san(item))
        except SpecError:
            continue
    return entries
