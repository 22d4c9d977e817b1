# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The JSON bodies of the Appliance Certificate API as pydantic models (docs/appliance-api.md).

Request bodies are strict (no type coercion), refuse unknown fields and refuse text
that is not Unicode (a lone surrogate such as "\\ud800", which JSON can carry and no
store can hold), naming the field: every request body derives from ``RequestBody``. Values the
appliance's rules judge (key sizes, curves, names, addresses) are plain types here,
so the service can refuse them with the procedure's own error codes. Passphrases
are ``SecretStr``: they never appear in a repr, a log line or an error.

Response models describe what the service returns; the API serialises them with
``exclude_unset`` so optional fields the service leaves out stay out.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_core import PydanticCustomError


def _request(example: dict) -> ConfigDict:
    """A request body: strict types, no unknown fields, inputs never in error texts, one example."""
    return ConfigDict(extra="forbid", strict=True, hide_input_in_errors=True, json_schema_extra={"examples": [example]})


def _not_unicode(value) -> str | None:
    """Where ``value`` (text, or a list of texts) holds a lone surrogate: "" for the text itself, "item N"."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return ""
        return None
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str) and _not_unicode(item) is not None:
                return f"item {index}"
    return None


class RequestBody(BaseModel):
    """The base of every request body: text that is not Unicode is refused, naming the field (a 422)."""

    @field_validator("*", mode="before")
    @classmethod
    def _unicode_text(cls, value):
        where = _not_unicode(value)
        if where is not None:
            raise PydanticCustomError(
                "text_not_unicode",
                "is not valid Unicode text{where}: it holds a lone surrogate (an escape from \\ud800 to \\udfff "
                "without its pair). Send the text as UTF-8",
                {"where": f" ({where})" if where else ""},
            )
        return value


_SUBJECT_EXAMPLE = {
    "common_name": "support.example.com",
    "country_name": "US",
    "state_or_province_name": "California",
    "locality_name": "San Jose",
    "organization_name": "Example Corp",
    "organizational_unit_name": "IT",
}

Fingerprint = str


class ErrorBody(BaseModel):
    """Every refusal: a code, what is wrong and what to do, and facts about it."""

    error: str = Field(description="Machine-readable code, e.g. 'key_in_use'.")
    message: str = Field(description="What is wrong and what to do about it.")
    details: dict = Field(description="Facts about the refusal (ids, field names, limits); never secrets.")


# Status and network


class Health(BaseModel):
    status: Literal["ok"]


class StatusBasics(BaseModel):
    """Status > Basics."""

    hostname: str
    site_hostname: str
    role: Literal["primary", "traffic-node"]
    software_version: str
    trusted_root_fingerprints: list[Fingerprint]
    ip_addresses: list[str]
    site_port: int = Field(description="The port on which every address serves its certificate over TLS.")
    traffic_nodes: list[str]
    appliance_id: str
    api_version: str


class IpAddress(BaseModel):
    address: str
    certificate_id: str | None = Field(description="The certificate bound to this address, or the factory default's.")
    serving: Literal["factory_default", "certificate"]


class IpAddressCreate(RequestBody):
    model_config = _request({"address": "127.0.0.2"})

    address: str = Field(description="An IPv4 loopback address (127.0.0.0/8).", examples=["127.0.0.2"])


# Keys


class KeyUsage(BaseModel):
    requests: list[str]
    certificates: list[str]


class Key(BaseModel):
    """A key of the Key dropdown; never its material."""

    id: str
    name: str | None
    type: Literal["rsa", "ec"]
    size: int | None
    curve: str | None
    public_key_fingerprint: Fingerprint
    created_at: str
    used_by: KeyUsage


class KeyCreate(RequestBody):
    model_config = _request({"name": "support.example.com 2026", "type": "ec", "curve": "P-256"})

    name: str = Field(description="Unique name of the key on the appliance.")
    type: Literal["rsa", "ec"]
    size: int | None = Field(default=None, description="RSA bits: 2048, 3072 or 4096 (default 2048).")
    curve: str | None = Field(default=None, description="EC curve: P-256 (default) or P-384.")


# Subjects, requests, certificates


class Subject(BaseModel):
    """Subject fields of a certificate or request; absent fields are left out."""

    common_name: str | None = None
    country_name: str | None = None
    state_or_province_name: str | None = None
    locality_name: str | None = None
    organization_name: str | None = None
    organizational_unit_name: str | None = None


class SubjectInput(RequestBody, Subject):
    model_config = _request(_SUBJECT_EXAMPLE)


class RequestCreate(RequestBody):
    model_config = _request(
        {
            "friendly_name": "support.example.com 2026-11",
            "key_id": "key-0123456789ab",
            "subject": _SUBJECT_EXAMPLE,
            "subject_alt_name": ["DNS:support.example.com"],
        }
    )

    friendly_name: str
    key_id: str
    subject: SubjectInput
    subject_alt_name: list[str] = Field(description='"DNS:name" or "IP:address" entries.')


class SelfSignedCreate(RequestCreate):
    model_config = _request(
        {
            "friendly_name": "support.example.com self-signed",
            "key_id": "key-0123456789ab",
            "subject": {"common_name": "support.example.com"},
            "subject_alt_name": ["DNS:support.example.com"],
            "days": 365,
        }
    )

    days: int = Field(description="Validity in days.")


class CertificateRequest(BaseModel):
    id: str
    friendly_name: str
    key_id: str
    subject: Subject
    subject_alt_name: list[str]
    public_key_fingerprint: Fingerprint
    pem: str = Field(description="The request (PKCS#10) as PEM, for the CA's form.")
    warnings: list[str]
    status: Literal["pending", "completed"]
    certificate_id: str | None
    created_at: str


class PublicKey(BaseModel):
    type: str
    size: int | None = None
    curve: str | None = None


class Certificate(BaseModel):
    id: str
    friendly_name: str | None
    sha256_fingerprint: Fingerprint
    subject: Subject
    issuer: Subject
    subject_alt_name: list[str]
    serial_number: str
    not_before: str
    not_after: str
    public_key: PublicKey
    public_key_fingerprint: Fingerprint
    is_ca: bool
    role: Literal["server", "intermediate", "root"]
    self_signed: bool
    factory_default: bool
    private_key_available: bool
    key_id: str | None
    chain_status: Literal["complete", "incomplete", "self_signed"]
    chain: list[Fingerprint] = Field(description="Fingerprints, leaf first.")
    chain_warnings: list[str]
    missing_issuer: str | None
    ca_issuers_urls: list[str]
    ocsp_urls: list[str]
    ip_addresses: list[str]
    created_at: str


class ImportFile(RequestBody):
    model_config = _request({"content": "MIIB...base64...", "name": "support.example.com.cer"})

    content: str = Field(description="The file's bytes, base64-encoded.")
    name: str | None = Field(default=None, description="File name, used in messages only.")


class ImportRequest(RequestBody):
    model_config = _request(
        {"files": [{"content": "MIIB...base64...", "name": "support.example.com.p12"}], "passphrase": "secret"}
    )

    files: list[ImportFile] = Field(min_length=1)
    passphrase: SecretStr | None = Field(default=None, description="Opens encrypted PKCS#12 and key files.")
    friendly_name: str | None = None


class ImportedItem(BaseModel):
    source: str | None
    kind: str
    format: str
    description: str


class ImportResult(BaseModel):
    changed: bool
    imported: list[Certificate]
    unchanged: list[Certificate]
    keys_imported: list[Key]
    items: list[ImportedItem]


class ExportRequest(RequestBody):
    model_config = _request(
        {"format": "pkcs12", "include_chain": True, "include_private_key": True, "passphrase": "secret"}
    )

    format: Literal["pem", "pkcs12"] = "pem"
    include_chain: bool = True
    include_private_key: bool = False
    passphrase: SecretStr | None = Field(default=None, description="Protects a PKCS#12 export.")
    legacy: bool = Field(default=False, description="PKCS#12 with the older algorithms some servers still need.")


class ExportResult(BaseModel):
    format: Literal["pem", "pkcs12"]
    filename: str
    content: str | None = Field(default=None, description="PEM text (format pem).")
    content_base64: str | None = Field(default=None, description="PKCS#12 bytes, base64-encoded (format pkcs12).")
    includes_private_key: bool
    certificates: list[Fingerprint]


class Bindings(BaseModel):
    certificate_id: str
    ip_addresses: list[str]


class BindingsUpdate(RequestBody):
    model_config = _request({"ip_addresses": ["127.0.0.2", "127.0.0.3"]})

    ip_addresses: list[str]


class LockAcquire(RequestBody):
    model_config = _request({"holder": "alice@controller run 3f9c", "lease_seconds": 1800})

    holder: str = Field(description="Who takes the lock: the run, in words a person can trace.")
    lease_seconds: int = Field(default=1800, description="How long the lock lasts unless renewed (10 to 86400).")


class LockTakenOver(BaseModel):
    holder: str
    acquired_at: str
    expired_at: str


class Lock(BaseModel):
    name: str
    holder: str
    acquired_at: str
    renewed_at: str
    expires_at: str
    expired: bool = Field(description="The lease has ended: the next run takes the lock over.")
    renewed: bool | None = Field(default=None, description="On taking: the holder had it already.")
    taken_over_from: LockTakenOver | None = Field(
        default=None, description="On taking: the run whose lease had ended, whose lock this replaces."
    )


# ACME client

AcmeKeyType = Literal["ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"]


class AcmeWindow(BaseModel):
    """The CA's suggested renewal window (ARI, RFC 9773)."""

    start: str
    end: str


class AcmeStatus(BaseModel):
    """What the ACME client did last and what it does next."""

    state: Literal["disabled", "pending", "valid", "failed"]
    last_attempt_at: str | None
    last_success_at: str | None
    last_error: str | None = Field(description="Which hostname, which challenge, what the CA said.")
    certificate_id: str | None = Field(description="The certificate the client installed last.")
    certificate_sha256: str | None = Field(description="Lower-case hex SHA-256 of that certificate (no colons).")
    not_after: str | None
    next_renewal_at: str | None = Field(description="When the certificate is renewed, or a failed order retried.")
    renewal_basis: Literal["ari", "lifetime"] | None
    ari_window: AcmeWindow | None
    account_url: str | None


class AcmeConfiguration(BaseModel):
    """The ACME client's settings, never the EAB HMAC, and its status."""

    enabled: bool
    directory_url: str | None
    contact: list[str]
    eab_key_id: str | None
    eab_hmac_configured: bool = Field(description="An EAB HMAC is stored; the HMAC itself is never returned.")
    hostnames: list[str]
    key_type: AcmeKeyType
    ca_bundle: str | None
    friendly_name: str
    ip_addresses: list[str]
    http_port: int = Field(description="The plain-HTTP port answering /.well-known/acme-challenge/ (read-only).")
    status: AcmeStatus


class AcmeSettings(RequestBody):
    model_config = _request(
        {
            "directory_url": "https://localhost:14000/dir",
            "contact": ["mailto:pki@example.com"],
            "hostnames": ["support.example.com"],
            "key_type": "ec-p256",
            "friendly_name": "ACME",
            "ip_addresses": ["127.0.0.2"],
        }
    )

    directory_url: str = Field(description="The CA's ACME directory (https).")
    contact: list[str] = Field(default_factory=list, description='"mailto:" URIs.')
    eab_key_id: str | None = Field(default=None, description="External account binding: the key id.")
    eab_hmac: SecretStr | None = Field(
        default=None,
        description="External account binding: the HMAC key, base64url. Stored, never returned; left out with an "
        "unchanged eab_key_id it keeps the stored one.",
    )
    hostnames: list[str] = Field(description="DNS names ordered for; the first is the common name; no wildcards.")
    key_type: str = Field(default="ec-p256", description="ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096.")
    ca_bundle: str | None = Field(default=None, description="PEM roots trusted for the directory's HTTPS.")
    friendly_name: str = "ACME"
    ip_addresses: list[str] = Field(default_factory=list, description="Addresses the certificate is bound to.")
