# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The subject of a certificate or request: the six fields of the appliance's form, as X.509 names.

A subject is a ``SubjectSpec`` (common name, country, state or province,
locality, organization, organizational unit; None or blank means absent).
``checked_fields`` refuses what cannot be encoded well (wrong type, surrounding
whitespace, control characters, over the RFC 5280 length); the procedure's own
rules about these fields are in ``name_rules``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import SpecError

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


_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


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


def checked_fields(subject: SubjectSpec) -> dict:
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
