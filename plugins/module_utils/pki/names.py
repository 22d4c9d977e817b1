# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Subject and subject alternative names, checked by the rules of the appliance's procedure.

A request's subject is a ``SubjectSpec`` (the six fields of the appliance's
form); its alternative names are ``SanEntry`` values, DNS names in lower-case
A-label form or IP addresses in canonical text. ``validate_request`` applies
the procedure's rules (docs/procedure.md, rules R1.6 to R1.10); ``hostname_covered`` answers
whether a certificate's names cover a hostname the way a TLS client decides it
(RFC 6125 / RFC 9525).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from . import countries
from .errors import SpecError, UnrecognizedFormat

try:
    from cryptography import x509
except ImportError:  # see deps.require_cryptography()
    x509 = None

# Subject fields in the order their RDNs appear in a built name: C, ST, L, O, OU, CN,
# with their attribute type OIDs (RFC 4519).
SUBJECT_FIELD_DOTTED_OIDS = (
    ("country_name", "2.5.4.6"),
    ("state_or_province_name", "2.5.4.8"),
    ("locality_name", "2.5.4.7"),
    ("organization_name", "2.5.4.10"),
    ("organizational_unit_name", "2.5.4.11"),
    ("common_name", "2.5.4.3"),
)


def subject_field_oids() -> tuple:
    """``(field, ObjectIdentifier)`` pairs in RDN order."""
    return tuple((field, x509.ObjectIdentifier(dotted)) for field, dotted in SUBJECT_FIELD_DOTTED_OIDS)


# Upper bounds of RFC 5280 appendix A.1 (ub-common-name and friends), in characters.
SUBJECT_FIELD_MAX_LENGTHS = {
    "common_name": 64,
    "organization_name": 64,
    "organizational_unit_name": 64,
    "locality_name": 128,
    "state_or_province_name": 128,
}

MAX_DNS_NAME_LENGTH = 253
MAX_DNS_LABEL_LENGTH = 63

# Other ways people name the subject fields (OpenSSL short names, camelCase, plain words).
_FIELD_ALIASES = {
    "cn": "common_name",
    "commonname": "common_name",
    "c": "country_name",
    "country": "country_name",
    "countrycode": "country_name",
    "st": "state_or_province_name",
    "s": "state_or_province_name",
    "state": "state_or_province_name",
    "province": "state_or_province_name",
    "stateorprovince": "state_or_province_name",
    "l": "locality_name",
    "city": "locality_name",
    "locality": "locality_name",
    "o": "organization_name",
    "org": "organization_name",
    "organization": "organization_name",
    "organisation": "organization_name",
    "organisationname": "organization_name",
    "ou": "organizational_unit_name",
    "unit": "organizational_unit_name",
    "department": "organizational_unit_name",
    "organizationalunit": "organizational_unit_name",
    "organisationalunit": "organizational_unit_name",
    "organisationalunitname": "organizational_unit_name",
}

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
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
_ABBREVIATION = re.compile(r"^(?:[A-Za-z]{2,3}|[A-Z]{1,3})$")

_WILDCARD_HINT = "Write a wildcard as '*.' followed by a name of two or more labels, e.g. '*.example.com'."
_SAN_PREFIX_HINT = "Prefix each alternative name with DNS: or IP:, e.g. 'DNS:support.example.com' or 'IP:192.0.2.10'."


@dataclass(frozen=True)
class SubjectSpec:
    """The subject fields of a certificate or request; None (or blank) means absent."""

    common_name: str | None = None
    country_name: str | None = None
    state_or_province_name: str | None = None
    locality_name: str | None = None
    organization_name: str | None = None
    organizational_unit_name: str | None = None

    def as_dict(self) -> dict:
        """The fields that are set, keyed by field name."""
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if _is_present(getattr(self, field.name))
        }

    @classmethod
    def from_dict(cls, data: Mapping | None) -> SubjectSpec:
        """Build from a mapping of field name to text; None and blank values count as absent."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise SpecError(
                f"The subject must be a mapping of field names to text, got {type(data).__name__} {data!r}.",
                hint=f"Give the subject as a dictionary with keys among {', '.join(_field_names())}.",
            )
        known = set(_field_names())
        values = {}
        for key, value in data.items():
            if key not in known:
                raise _unknown_field_error(key)
            if value is None:
                continue
            if not isinstance(value, str):
                raise _not_text_error(key, value)
            if value.strip():
                values[key] = value
        return cls(**values)


@dataclass(frozen=True)
class SanEntry:
    """One subject alternative name: type "DNS" or "IP" and its normalised value."""

    type: str
    value: str

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


def _field_names() -> list[str]:
    return [field.name for field in dataclasses.fields(SubjectSpec)]


def _is_present(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _unknown_field_error(key) -> SpecError:
    compact = re.sub(r"[\s_-]", "", key).lower() if isinstance(key, str) else ""
    names = _field_names()
    meant = _FIELD_ALIASES.get(compact) or next((name for name in names if name.replace("_", "") == compact), None)
    hint = f"Use {meant!r} instead of {key!r}." if meant else f"Use only these subject fields: {', '.join(names)}."
    return SpecError(f"Unknown subject field {key!r}.", hint=hint, details={"field": key})


def _not_text_error(field: str, value) -> SpecError:
    hint = f"Give {field} as text."
    if isinstance(value, bool) and field == "country_name":
        # YAML 1.1 reads an unquoted NO (Norway) as false.
        hint = "Quote the country code in YAML: an unquoted NO (Norway) is read as false."
    elif isinstance(value, (bool, int, float)):
        hint = f"Quote the value of {field} so that YAML reads it as text."
    return SpecError(
        f"Subject field {field} must be text, got {type(value).__name__} {value!r}.",
        hint=hint,
        details={"field": field, "value": repr(value)},
    )


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


def _ip_or_none(text: str):
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
    address = _ip_or_none(value)
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
    address = _ip_or_none(text)
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


# --- Hostname coverage (RFC 6125 / RFC 9525) ---------------------------------


def _covered_by(hostname: str, entries: list[SanEntry]) -> bool:
    address = _ip_or_none(hostname)
    if address is not None:
        return any(entry.type == "IP" and ipaddress.ip_address(entry.value) == address for entry in entries)
    name = normalize_dns_name(hostname)
    dns_values = {entry.value for entry in entries if entry.type == "DNS"}
    if name in dns_values:
        return True
    if "*" in name:
        return False
    _first, dot, parent = name.partition(".")
    return bool(dot) and f"*.{parent}" in dns_values


def hostname_covered(hostname: str, sans: Iterable[SanEntry | str]) -> bool:
    """True when a TLS client would accept ``sans`` for ``hostname``.

    Exact match ignoring case, trailing dot and IDN form; "*.example.com" covers exactly one label in its
    place; an IP hostname matches only an equal IP entry; a wildcard hostname only the identical wildcard.
    """
    return _covered_by(hostname, parse_sans(sans))


def uncovered_hostnames(hostnames: Iterable[str], sans: Iterable[SanEntry | str]) -> list[str]:
    """The hostnames (as given, in order) that ``sans`` do not cover."""
    if isinstance(hostnames, str):
        hostnames = [hostnames]
    entries = parse_sans(sans)
    return [hostname for hostname in hostnames if not _covered_by(hostname, entries)]


# --- Names --------------------------------------------------------------------


def build_name(subject: SubjectSpec) -> x509.Name:
    """The X.509 name of ``subject``, RDNs in the order C, ST, L, O, OU, CN; absent fields left out."""
    attributes = []
    for field, oid in subject_field_oids():
        value = getattr(subject, field)
        if not _is_present(value):
            continue
        try:
            attributes.append(x509.NameAttribute(oid, value))
        except (TypeError, ValueError) as exc:
            raise SpecError(
                f"Subject field {field} {value!r} cannot be encoded: {exc}.",
                hint="Correct the field; validate_request names the rule it breaks.",
                details={"field": field, "value": value},
            ) from None
    return x509.Name(attributes)


def subject_from_name(name: x509.Name) -> SubjectSpec:
    """The subject fields of an X.509 name; of a repeated attribute the first is taken, other attributes ignored."""
    values = {}
    for field, oid in subject_field_oids():
        attributes = name.get_attributes_for_oid(oid)
        if attributes:
            value = attributes[0].value
            values[field] = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return SubjectSpec(**values)


def unrepresented_attributes(name: x509.Name) -> list[str]:
    """The attributes of ``name`` that ``subject_from_name`` drops (other types, repeats), in RFC 4514 form."""
    known = {oid for _field, oid in subject_field_oids()}
    seen = set()
    dropped = []
    for attribute in name:
        if attribute.oid not in known or attribute.oid in seen:
            dropped.append(attribute.rfc4514_string())
        seen.add(attribute.oid)
    return dropped


def name_to_text(name: x509.Name) -> str:
    """The RFC 4514 text form of an X.509 name."""
    return name.rfc4514_string()


# --- The procedure's rules ----------------------------------------------------


def _present_fields(subject: SubjectSpec) -> dict:
    """The set fields of ``subject``, each checked for type, surrounding whitespace, control characters and length."""
    if not isinstance(subject, SubjectSpec):
        raise SpecError(
            f"The subject must be a SubjectSpec, got {type(subject).__name__}.",
            hint="Build it with SubjectSpec.from_dict().",
        )
    fields = {}
    for field in _field_names():
        value = getattr(subject, field)
        if value is None:
            continue
        if not isinstance(value, str):
            raise _not_text_error(field, value)
        if not value.strip():
            continue
        details = {"field": field, "value": value}
        if value != value.strip():
            raise SpecError(
                f"Subject field {field} {value!r} has leading or trailing whitespace.",
                hint=f"Write it as {value.strip()!r}.",
                details=details,
            )
        if _CONTROL_CHARACTER.search(value):
            raise SpecError(
                f"Subject field {field} {value!r} contains a control character (such as a line break or tab).",
                hint="Write the field on one line with plain spaces.",
                details=details,
            )
        limit = SUBJECT_FIELD_MAX_LENGTHS.get(field)
        if limit is not None and len(value) > limit:
            raise SpecError(
                f"Subject field {field} {value!r} is {len(value)} characters long; RFC 5280 allows at most {limit}.",
                hint=f"Shorten {field} to {limit} characters or fewer.",
                details=details,
            )
        fields[field] = value
    return fields


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


def _check_common_name(common_name: str, entries: list[SanEntry]) -> None:
    """If the common name is a DNS name or IP address, it must be the first alternative name, spelled the same."""
    address = _ip_or_none(common_name)
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
            f"common_name {common_name!r} is a {wanted.type} name but the request has no subject alternative names.",
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
            f"common_name {common_name!r} is a {wanted.type} name but not the first subject alternative name"
            f" ('{first}').",
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
    fields = _present_fields(subject)
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
