# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Certificate import: read the files, check the keys, and write it all in one transaction.

The rules (docs/appliance-api.md; docs/procedure.md, rules R3.1 and R3.2): files are read by
content; a certificate already present changes nothing unless it now gains its
private key; a private key must belong to a certificate of the import or of the
appliance; a certificate attaches to the key whose public key it carries; a new
server certificate takes the given friendly name, else the name of the pending
request made with its key (which it completes), else its common name or first
alternative name; a CA certificate takes its common name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from .core import chain, describe, fingerprints, formats, hostnames, keys
from .core import errors as pki_errors
from .errors import ApplianceError, from_pki_error
from .rules_catalog import role_of
from .rules_keys import key_row, unique_key_name

MAX_FILES = 64
# What reading a loaded certificate's fields can raise when they are malformed or of an unknown kind.
_CERTIFICATE_CONTENT_ERRORS = (
    ValueError,
    TypeError,
    UnsupportedAlgorithm,
    x509.DuplicateExtension,
    x509.UnsupportedGeneralNameType,
    pki_errors.PKIError,
)


@dataclass
class ImportOutcome:
    """Ids written by one import: certificates new or changed, certificates unchanged, keys new."""

    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    keys_imported: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the import wrote anything."""
        return bool(self.imported or self.keys_imported)


@dataclass
class LoadedFiles:
    """What the files hold: every item, certificates by fingerprint and keys by public key fingerprint."""

    items: list = field(default_factory=list)
    certificates: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)
    key_sources: dict = field(default_factory=dict)


def _pairs(files) -> list[tuple[str | None, object]]:
    """``files`` as (name, content) pairs; 422 for any other shape."""
    shape_error = ApplianceError(
        422,
        "invalid_spec",
        "The files to import must be a list of (name, content) pairs. Give each file's name and its bytes.",
        {},
    )
    if isinstance(files, (str, bytes)) or not isinstance(files, (list, tuple)):
        raise shape_error
    pairs = []
    for entry in files:
        if isinstance(entry, (str, bytes)) or not isinstance(entry, (list, tuple)) or len(entry) != 2:
            raise shape_error
        name, content = entry
        pairs.append((None if name is None else str(name)[:200], content))
    return pairs


def load_files(files, passphrase) -> LoadedFiles:
    """Read every file by content; the first unreadable one is refused with its name."""
    files = _pairs(files)
    if not files:
        raise ApplianceError(
            422,
            "invalid_spec",
            "No files were given to import. Give the signed certificate, its intermediate and root files, "
            "or a PKCS#12 file with its passphrase.",
            {},
        )
    if len(files) > MAX_FILES:
        raise ApplianceError(
            413,
            "input_too_large",
            f"{len(files)} files were given; one import takes at most {MAX_FILES}. Import the files in smaller groups.",
            {"files": len(files), "limit": MAX_FILES},
        )
    loaded = LoadedFiles()
    for position, (name, data) in enumerate(files, start=1):
        source = name or f"file {position}"
        try:
            items = formats.load_bytes(data, passphrase, source=source)
        except pki_errors.PKIError as exc:
            raise from_pki_error(exc, source) from None
        for item in items:
            loaded.items.append(item)
            if item.kind == formats.KIND_CERTIFICATE:
                if item.fingerprint not in loaded.certificates:
                    _check_certificate_usable(item)
                loaded.certificates.setdefault(item.fingerprint, item.obj)
            elif item.fingerprint not in loaded.keys:
                _check_key_type(item)
                loaded.keys[item.fingerprint] = item.obj
                loaded.key_sources[item.fingerprint] = source
    return loaded


def _check_certificate_usable(item) -> None:
    """Refuse a certificate whose fields cannot all be read (it would be stored but never shown or served)."""
    cert = item.obj
    try:
        describe.describe_certificate(cert)
        role_of(cert)
        chain.build_chain([], leaf=cert, validate=False)
    except _CERTIFICATE_CONTENT_ERRORS as exc:
        reason = formats.plain_reason(exc)
        where = (
            f"certificate {item.index + 1} of '{item.source}'" if item.index else f"the certificate in '{item.source}'"
        )
        raise ApplianceError(
            422,
            "unsupported_certificate",
            f"{where[0].upper()}{where[1:]} cannot be used: part of it is malformed or of a kind this appliance does "
            f"not read ({reason}). Obtain the certificate again from its issuer; it must be an X.509 certificate with "
            "an RSA or EC key and standard extensions.",
            {"source": item.source, "fingerprint": item.fingerprint, "reason": reason, **formats.parser_detail(exc)},
        ) from None


def _check_key_type(item) -> None:
    try:
        keys.key_spec_of(item.obj)
    except pki_errors.PKIError as exc:
        raise from_pki_error(exc, item.source) from None


def item_summary(item) -> dict:
    """One loaded item as the import result lists it (no key material)."""
    return {"source": item.source, "kind": item.kind, "format": item.format, "description": item.describe()}


def check_keys_have_certificates(tx, loaded: LoadedFiles) -> None:
    """Refuse a private key that belongs to no certificate of the import or of the appliance."""
    in_import = {fingerprints.public_key_fingerprint(cert.public_key()) for cert in loaded.certificates.values()}
    for fingerprint in loaded.keys:
        if fingerprint in in_import or tx.certificates_of_public_key(fingerprint) or tx.key_by_public_key(fingerprint):
            continue
        source = loaded.key_sources[fingerprint]
        raise ApplianceError(
            422,
            "key_without_certificate",
            f"The private key in '{source}' (public key fingerprint {fingerprint}) belongs to no certificate in "
            "this import or on the appliance. Import it together with its certificate (for example both in one "
            "PKCS#12 file, or the key and the certificate files in one import).",
            {"public_key_fingerprint": fingerprint, "source": source},
        )


def _store_keys(tx, loaded: LoadedFiles, now: str, outcome: ImportOutcome) -> dict:
    """Key ids by public key fingerprint: an appliance key with the same public key, else a new key."""
    ids = {}
    for fingerprint, private_key in loaded.keys.items():
        existing = tx.key_by_public_key(fingerprint)
        if existing is not None:
            ids[fingerprint] = existing["id"]
            continue
        row = key_row(private_key, None, now)
        row["name"] = unique_key_name(tx, f"imported-{row['id'][len('key-') :]}")
        tx.insert_key(row)
        ids[fingerprint] = row["id"]
        outcome.keys_imported.append(row["id"])
    return ids


def _default_name(cert, role: str) -> str:
    common_names = [attr.value for attr in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if common_names and str(common_names[0]).strip():
        return str(common_names[0])
    if role == "server":
        entries = hostnames.sans_from_certificate(cert)
        if entries:
            return entries[0].value
    return cert.subject.rfc4514_string() or fingerprints.certificate_fingerprint(cert)[:23]


def apply_import(tx, loaded: LoadedFiles, friendly_name: str | None, hostnames, now: str) -> ImportOutcome:
    """Write the import into the store (inside the caller's transaction) and report what changed."""
    outcome = ImportOutcome()
    check_keys_have_certificates(tx, loaded)
    key_ids = _store_keys(tx, loaded, now, outcome)
    for fingerprint, cert in loaded.certificates.items():
        public_fp = fingerprints.public_key_fingerprint(cert.public_key())
        existing = tx.certificate_by_fingerprint(fingerprint)
        if existing is not None:
            if existing["key_id"] is None and public_fp in key_ids:
                tx.attach_key(existing["id"], key_ids[public_fp])
                outcome.imported.append(existing["id"])
            else:
                outcome.unchanged.append(existing["id"])
            continue
        stored_key = tx.key_by_public_key(public_fp)
        role = role_of(cert, hostnames)
        ident = fingerprint.replace(":", "")[:16]
        request = tx.pending_request_for_public_key(public_fp) if role == "server" else None
        if role == "server" and friendly_name:
            name = friendly_name
        elif request is not None:
            name = request["friendly_name"]
        else:
            name = _default_name(cert, role)
        tx.insert_certificate(
            {
                "id": ident,
                "fingerprint": fingerprint,
                "der": cert.public_bytes(serialization.Encoding.DER),
                "public_key_fingerprint": public_fp,
                "key_id": stored_key["id"] if stored_key else None,
                "friendly_name": name,
                "factory_default": 0,
                "created_at": now,
            }
        )
        if request is not None:
            tx.complete_request(request["id"], ident)
        outcome.imported.append(ident)
    for public_fp, key_id in key_ids.items():
        for row in tx.certificates_of_public_key(public_fp):
            if row["key_id"] is None:
                tx.attach_key(row["id"], key_id)
                if row["id"] in outcome.unchanged:
                    outcome.unchanged.remove(row["id"])
                if row["id"] not in outcome.imported:
                    outcome.imported.append(row["id"])
    return outcome
