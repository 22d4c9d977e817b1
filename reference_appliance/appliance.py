# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The appliance's rules: every operation of docs/appliance-api.md, over the store.

INTERFACE (fixed; the API layer and the TLS listeners call exactly this).
Every method returns plain JSON-friendly dicts/lists as the contract describes,
and raises ``ApplianceError`` (reference_appliance.errors) for every refusal.
Methods are synchronous and thread-safe (the API runs them in a thread pool).
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import json
import logging
import secrets
import threading
import uuid
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization

from . import API_VERSION, rules_locks
from .acme.service import DEFAULT_HTTP_PORT, AcmeService
from .core import builder, describe, fingerprints, hostnames, keys, name_rules, serving, subject_fields
from .core import errors as pki_errors
from .errors import ApplianceError, from_pki_error, not_found
from .rules_catalog import CertificateCatalog
from .rules_export import check_request, export
from .rules_import import apply_import, item_summary, load_files
from .rules_keys import checked_label, checked_passphrase, key_row, load_private_key, unique_key_name
from .rules_network import canonical_ip_address
from .rules_views import certificate_view, ip_view, key_view, request_view, served_certificate_id

LOG = logging.getLogger(__name__)

FACTORY_DEFAULT_NAME = "Factory Default"
FACTORY_DEFAULT_DAYS = 3650
_META_IDENTITY = "identity"
_META_APPLIANCE_ID = "appliance_id"
_META_FACTORY_DEFAULT = "factory_default_id"
_PRIVATE_KEY_REMEDY = (
    "Export the certificate WITH its private key, protected by a passphrase (PKCS#12, .p12/.pfx), from the server "
    "that holds the key, and import that PKCS#12 file here with the passphrase; then assign the IP addresses."
)


@dataclass
class Identity:
    """Who the appliance is: set at start, reported by status/basics."""

    hostname: str
    site_hostname: str
    role: str = "primary"  # "primary" | "traffic-node"
    software_version: str = "23.1.2"
    traffic_nodes: list[str] = field(default_factory=list)
    trusted_root_fingerprints: list[str] = field(default_factory=list)
    site_port: int = 443  # where every address serves its certificate over TLS
    acme_http_port: int = DEFAULT_HTTP_PORT  # where every address answers ACME HTTP-01 challenges (plain HTTP)


def _now() -> str:
    return describe.iso_time(datetime.datetime.now(datetime.timezone.utc))


def _address_sort_key(address: str):
    return ipaddress.ip_address(address)


class Appliance:
    """One appliance: identity + store + the procedure's rules."""

    def __init__(self, store, identity: Identity, on_change=None):
        """``store`` is a reference_appliance.store.Store; ``on_change()`` is called after every committed
        change to IP addresses or bindings (the TLS listeners reload from it)."""
        self._store = store
        self._identity = identity
        self._on_change = on_change
        self._lock = threading.RLock()
        hostnames = [identity.site_hostname, identity.hostname, *identity.traffic_nodes]
        self._hostnames = tuple(name for name in hostnames if name)
        self._catalog = CertificateCatalog(self._hostnames)
        with self._lock, self._store.transaction() as tx:
            tx.set_meta(_META_IDENTITY, json.dumps(dataclasses.asdict(identity), sort_keys=True))
            if tx.get_meta(_META_APPLIANCE_ID) is None:
                tx.set_meta(_META_APPLIANCE_ID, str(uuid.uuid4()))
            if tx.get_meta(_META_FACTORY_DEFAULT) is None:
                self._create_factory_default(tx)
            self._factory_default_id = tx.get_meta(_META_FACTORY_DEFAULT)
        self.acme = AcmeService(self, store, identity.acme_http_port)

    # --- internals ---------------------------------------------------------------------------

    def _create_factory_default(self, tx) -> None:
        """An EC P-256 key and a self-signed certificate for the appliance hostname."""
        private_key = keys.generate_private_key(keys.KeySpec.create("ec", curve="P-256"))
        cert = _factory_default_certificate(private_key, self._identity.hostname)
        now = _now()
        row = key_row(private_key, unique_key_name(tx, "factory-default"), now)
        tx.insert_key(row)
        fingerprint = fingerprints.certificate_fingerprint(cert)
        ident = fingerprint.replace(":", "")[:16]
        tx.insert_certificate(
            {
                "id": ident,
                "fingerprint": fingerprint,
                "der": cert.public_bytes(serialization.Encoding.DER),
                "public_key_fingerprint": row["public_key_fingerprint"],
                "key_id": row["id"],
                "friendly_name": FACTORY_DEFAULT_NAME,
                "factory_default": 1,
                "created_at": now,
            }
        )
        tx.set_meta(_META_FACTORY_DEFAULT, ident)

    def _notify(self) -> None:
        """Tell the listener that addresses, bindings or chains changed; its failure changes nothing here."""
        if self._on_change is None:
            return
        try:
            self._on_change()
        except Exception as exc:  # pylint: disable=broad-exception-caught
            LOG.warning("on_change callback failed after a committed change: %s", type(exc).__name__)

    def _bound_addresses(self, tx) -> dict[str, list[str]]:
        """Addresses by the certificate id served there (the factory default serves the unbound ones)."""
        served: dict[str, list[str]] = {}
        for row in tx.ip_addresses():
            served.setdefault(served_certificate_id(row, self._factory_default_id), []).append(row["address"])
        return {ident: sorted(addresses, key=_address_sort_key) for ident, addresses in served.items()}

    def _certificate_row(self, tx, certificate_id) -> dict:
        row = tx.certificate(certificate_id) if isinstance(certificate_id, str) else None
        if row is None:
            raise not_found("certificate", str(certificate_id))
        return row

    def _certificate_views(self, tx, rows) -> list[dict]:
        self._catalog.sync(tx)
        served = self._bound_addresses(tx)
        return [certificate_view(row, self._catalog, served.get(row["id"], [])) for row in rows]

    def _key_views(self, tx, rows) -> list[dict]:
        users: dict[str, tuple[list, list]] = {row["id"]: ([], []) for row in rows}
        for item in tx.all("SELECT id, key_id FROM requests ORDER BY rowid"):
            if item["key_id"] in users:
                users[item["key_id"]][0].append(item["id"])
        for item in tx.all("SELECT id, key_id FROM certificates WHERE key_id IS NOT NULL ORDER BY rowid"):
            if item["key_id"] in users:
                users[item["key_id"]][1].append(item["id"])
        return [key_view(row, *users[row["id"]]) for row in rows]

    def _key_row(self, tx, key_id) -> dict:
        row = tx.key(key_id) if isinstance(key_id, str) else None
        if row is None:
            raise not_found("key", str(key_id))
        return row

    # --- status / network --------------------------------------------------------------------

    def status_basics(self) -> dict:
        """Status > Basics: identity, addresses, trusted roots, appliance id and API version."""
        identity = self._identity
        with self._lock, self._store.read() as tx:
            addresses = sorted((row["address"] for row in tx.ip_addresses()), key=_address_sort_key)
            appliance_id = tx.get_meta(_META_APPLIANCE_ID)
            default = tx.certificate(self._factory_default_id)
        trusted = list(identity.trusted_root_fingerprints) or [default["fingerprint"]]
        return {
            "hostname": identity.hostname,
            "site_hostname": identity.site_hostname,
            "role": identity.role,
            "software_version": identity.software_version,
            "trusted_root_fingerprints": trusted,
            "ip_addresses": addresses,
            "site_port": identity.site_port,
            "traffic_nodes": list(identity.traffic_nodes),
            "appliance_id": appliance_id,
            "api_version": API_VERSION,
        }

    def list_ip_addresses(self) -> list[dict]:
        """Every address with the certificate it serves."""
        with self._lock, self._store.read() as tx:
            rows = tx.ip_addresses()
        rows.sort(key=lambda row: _address_sort_key(row["address"]))
        return [ip_view(row, self._factory_default_id) for row in rows]

    def add_ip_address(self, address: str) -> tuple[dict, bool]:
        """Add an address (serving the factory default); an existing one is returned unchanged."""
        canonical = canonical_ip_address(address)
        with self._lock:
            with self._store.transaction() as tx:
                row = tx.ip_address(canonical)
                created = row is None
                if created:
                    tx.insert_ip_address(canonical, _now())
                    row = tx.ip_address(canonical)
            view = ip_view(row, self._factory_default_id)
        if created:
            self._notify()
        return view, created

    def remove_ip_address(self, address: str) -> None:
        """Remove an address and its binding."""
        canonical = canonical_ip_address(address)
        with self._lock, self._store.transaction() as tx:
            if tx.ip_address(canonical) is None:
                raise not_found("IP address", canonical)
            tx.delete_ip_address(canonical)
        self._notify()

    # --- keys --------------------------------------------------------------------------------

    def list_keys(self) -> list[dict]:
        """Every key (no key material)."""
        with self._lock, self._store.read() as tx:
            return self._key_views(tx, tx.all_keys())

    def get_key(self, key_id: str) -> dict:
        """One key (no key material)."""
        with self._lock, self._store.read() as tx:
            return self._key_views(tx, [self._key_row(tx, key_id)])[0]

    def _refuse_existing_key_name(self, tx, name: str) -> None:
        existing = tx.key_by_name(name)
        if existing is not None:
            view = self._key_views(tx, [existing])[0]
            raise ApplianceError(
                409,
                "key_exists",
                f"A key named '{name}' already exists ({existing['id']}). Use that key (key_id "
                f"'{existing['id']}'), or choose another name.",
                {"key": view},
            )

    def create_key(self, name: str, type: str, size: int | None = None, curve: str | None = None) -> dict:
        """Generate a key on the appliance (RSA 2048/3072/4096 or EC P-256/P-384)."""
        name = checked_label(name, "key name", "support.example.com 2026")
        try:
            spec = keys.KeySpec.create(type, size, curve)
        except pki_errors.PKIError as exc:
            raise from_pki_error(exc) from None
        with self._lock, self._store.read() as tx:
            self._refuse_existing_key_name(tx, name)
        private_key = keys.generate_private_key(spec)
        row = key_row(private_key, name, _now())
        with self._lock:
            with self._store.transaction() as tx:
                self._refuse_existing_key_name(tx, name)
                tx.insert_key(row)
            return self.get_key(row["id"])

    def delete_key(self, key_id: str) -> None:
        """Delete a key no request or certificate uses."""
        with self._lock, self._store.transaction() as tx:
            row = self._key_row(tx, key_id)
            view = self._key_views(tx, [row])[0]
            used = view["used_by"]
            if used["requests"] or used["certificates"]:
                users = [f"request {ident}" for ident in used["requests"]]
                users += [f"certificate {ident}" for ident in used["certificates"]]
                raise ApplianceError(
                    409,
                    "key_in_use",
                    f"Key '{row['name']}' ({row['id']}) is used by {', '.join(users)}. Delete those first "
                    "(unbind a certificate's IP addresses before deleting it), then delete the key.",
                    {"key_id": row["id"], "requests": used["requests"], "certificates": used["certificates"]},
                )
            tx.delete_key(row["id"])

    # --- certificate requests ----------------------------------------------------------------

    def list_requests(self) -> list[dict]:
        """Every certificate request."""
        with self._lock, self._store.read() as tx:
            return [request_view(row) for row in tx.requests()]

    def get_request(self, request_id: str) -> dict:
        """One certificate request, with its PEM."""
        with self._lock, self._store.read() as tx:
            row = tx.request(request_id) if isinstance(request_id, str) else None
            if row is None:
                raise not_found("certificate request", str(request_id))
            return request_view(row)

    def _subject_and_sans(self, subject, subject_alt_name):
        if subject_alt_name is not None and (
            isinstance(subject_alt_name, (str, bytes)) or not isinstance(subject_alt_name, (list, tuple))
        ):
            raise ApplianceError(
                422,
                "invalid_spec",
                "subject_alt_name must be a list of names, each prefixed with DNS: or IP:, "
                'e.g. ["DNS:support.example.com"].',
                {"field": "subject_alt_name"},
            )
        try:
            spec = subject_fields.SubjectSpec.from_dict(subject)
            entries = hostnames.parse_sans(subject_alt_name)
            warnings = name_rules.validate_request(spec, entries)
        except pki_errors.PKIError as exc:
            raise from_pki_error(exc) from None
        return spec, entries, warnings

    def create_request(self, friendly_name: str, key_id: str, subject: dict, subject_alt_name: list[str]) -> dict:
        """Create a certificate request (CSR) with an appliance key."""
        friendly_name = checked_label(friendly_name, "friendly name", "support.example.com 2026-11")
        spec, entries, warnings = self._subject_and_sans(subject, subject_alt_name)
        with self._lock:
            with self._store.transaction() as tx:
                key = self._key_row(tx, key_id)
                existing = tx.pending_request_named(friendly_name)
                if existing is not None:
                    raise ApplianceError(
                        409,
                        "request_exists",
                        f"A pending certificate request named '{friendly_name}' already exists ({existing['id']}). "
                        "Use that request, delete it first, or choose another friendly name.",
                        {"request_id": existing["id"], "friendly_name": friendly_name},
                    )
                try:
                    csr = builder.build_csr(load_private_key(key), spec, entries)
                except pki_errors.PKIError as exc:
                    raise from_pki_error(exc) from None
                ident = "req-" + secrets.token_hex(6)
                tx.insert_request(
                    {
                        "id": ident,
                        "friendly_name": friendly_name,
                        "key_id": key["id"],
                        "subject": json.dumps(spec.as_dict()),
                        "subject_alt_name": json.dumps([str(entry) for entry in entries]),
                        "public_key_fingerprint": key["public_key_fingerprint"],
                        "pem": csr.public_bytes(serialization.Encoding.PEM).decode("ascii"),
                        "warnings": json.dumps(warnings),
                        "status": "pending",
                        "certificate_id": None,
                        "created_at": _now(),
                    }
                )
            return self.get_request(ident)

    def delete_request(self, request_id: str) -> None:
        """Delete a certificate request (its key stays)."""
        with self._lock, self._store.transaction() as tx:
            if not isinstance(request_id, str) or tx.request(request_id) is None:
                raise not_found("certificate request", str(request_id))
            tx.delete_request(request_id)

    # --- certificates ------------------------------------------------------------------------

    def list_certificates(self, friendly_name: str | None = None) -> list[dict]:
        """Every certificate, or those with this friendly name."""
        with self._lock, self._store.read() as tx:
            rows = tx.certificates()
            if friendly_name is not None:
                rows = [row for row in rows if row["friendly_name"] == friendly_name]
            return self._certificate_views(tx, rows)

    def get_certificate(self, certificate_id: str) -> dict:
        """One certificate."""
        with self._lock, self._store.read() as tx:
            return self._certificate_views(tx, [self._certificate_row(tx, certificate_id)])[0]

    def create_self_signed(
        self, friendly_name: str, key_id: str, subject: dict, subject_alt_name: list[str], days: int
    ) -> dict:
        """Create a self-signed server certificate with an appliance key; its key is attached."""
        friendly_name = checked_label(friendly_name, "friendly name", "support.example.com self-signed")
        spec, entries, _warnings = self._subject_and_sans(subject, subject_alt_name)
        with self._lock:
            with self._store.transaction() as tx:
                key = self._key_row(tx, key_id)
                try:
                    cert = builder.self_signed_certificate(load_private_key(key), spec, entries, days=days)
                except pki_errors.PKIError as exc:
                    raise from_pki_error(exc) from None
                fingerprint = fingerprints.certificate_fingerprint(cert)
                ident = fingerprint.replace(":", "")[:16]
                tx.insert_certificate(
                    {
                        "id": ident,
                        "fingerprint": fingerprint,
                        "der": cert.public_bytes(serialization.Encoding.DER),
                        "public_key_fingerprint": key["public_key_fingerprint"],
                        "key_id": key["id"],
                        "friendly_name": friendly_name,
                        "factory_default": 0,
                        "created_at": _now(),
                    }
                )
            return self.get_certificate(ident)

    def import_files(
        self, files: list[tuple[str | None, bytes]], passphrase: str | None = None, friendly_name: str | None = None
    ) -> dict:
        """Import certificates and keys from files of any supported format, in one transaction."""
        if friendly_name:
            friendly_name = checked_label(friendly_name, "friendly name", "support.example.com 2026-11")
        secret = checked_passphrase(passphrase, "for the import")
        loaded = load_files([] if files is None else files, secret)
        with self._lock:
            with self._store.transaction() as tx:
                outcome = apply_import(tx, loaded, friendly_name or None, self._hostnames, _now())
            with self._store.read() as tx:
                by_id = {row["id"]: row for row in tx.certificates()}
                imported = self._certificate_views(tx, [by_id[ident] for ident in outcome.imported])
                unchanged = self._certificate_views(tx, [by_id[ident] for ident in outcome.unchanged])
                new_keys = self._key_views(tx, [tx.key(ident) for ident in outcome.keys_imported])
        if outcome.changed:
            # A new intermediate or root completes the chain a bound certificate is served with.
            self._notify()
        return {
            "changed": outcome.changed,
            "imported": imported,
            "unchanged": unchanged,
            "keys_imported": new_keys,
            "items": [item_summary(item) for item in loaded.items],
        }

    def _chain_above(self, certificate_id: str) -> list:
        """The certificates above the given one in its chain (leaf excluded), root last."""
        return list(self._catalog.chain(certificate_id).chain[1:])

    def export_certificate(
        self,
        certificate_id: str,
        format: str = "pem",
        include_chain: bool = True,
        include_private_key: bool = False,
        passphrase: str | None = None,
        legacy: bool = False,
    ) -> dict:
        """Export a certificate (PEM or PKCS#12); the key only inside a passphrase-protected PKCS#12."""
        passphrase = checked_passphrase(passphrase, "for the export")
        with self._lock, self._store.read() as tx:
            row = self._certificate_row(tx, certificate_id)
            export_format = check_request(format, include_private_key, passphrase)
            private_key = None
            if include_private_key:
                if row["key_id"] is None:
                    raise ApplianceError(
                        409,
                        "private_key_unavailable",
                        f"The private key of certificate '{row['friendly_name']}' ({row['id']}) is not on this "
                        "appliance, so it cannot be exported. Export the certificate without its private key "
                        "(include_private_key false), or export it with the key from the server that holds it.",
                        {"certificate_id": row["id"]},
                    )
                private_key = load_private_key(tx.key(row["key_id"]))
            self._catalog.sync(tx)
            cert = self._catalog.certificate(row["id"])
            above = self._chain_above(row["id"]) if include_chain else []
        return export(
            cert, above, private_key, row=row, export_format=export_format, passphrase=passphrase, legacy=legacy
        )

    def delete_certificate(self, certificate_id: str) -> None:
        """Delete a certificate that serves no IP address and is not the factory default."""
        with self._lock, self._store.transaction() as tx:
            row = self._certificate_row(tx, certificate_id)
            if row["factory_default"]:
                raise ApplianceError(
                    409,
                    "factory_default",
                    "The factory default certificate cannot be deleted: it serves every IP address that has no "
                    "certificate assigned. Assign your own certificate to the IP addresses instead.",
                    {"certificate_id": row["id"]},
                )
            bound = sorted(
                (ip["address"] for ip in tx.ip_addresses() if ip["certificate_id"] == row["id"]),
                key=_address_sort_key,
            )
            if bound:
                raise ApplianceError(
                    409,
                    "certificate_bound",
                    f"Certificate '{row['friendly_name']}' ({row['id']}) is assigned to IP address(es) "
                    f"{', '.join(bound)}. Assign another certificate to them, or unbind them, then delete it.",
                    {"certificate_id": row["id"], "addresses": bound},
                )
            tx.delete_certificate(row["id"])

    # --- bindings ----------------------------------------------------------------------------

    def get_bindings(self, certificate_id: str) -> dict:
        """``{certificate_id, ip_addresses}``: the addresses this certificate serves."""
        with self._lock, self._store.read() as tx:
            row = self._certificate_row(tx, certificate_id)
            return {"certificate_id": row["id"], "ip_addresses": self._bound_addresses(tx).get(row["id"], [])}

    def _refuse_unbindable(self, tx, row: dict) -> None:
        self._catalog.sync(tx)
        if self._catalog.role(row["id"]) != "server":
            raise ApplianceError(
                422,
                "not_a_server_certificate",
                f"Certificate '{row['friendly_name']}' ({row['id']}) is a CA certificate "
                f"({self._catalog.role(row['id'])}); only a server certificate can be assigned to IP addresses. "
                "Assign the server certificate this CA issued.",
                {"certificate_id": row["id"], "role": self._catalog.role(row["id"])},
            )
        if row["key_id"] is None:
            raise ApplianceError(
                409,
                "private_key_unavailable",
                f"The private key of certificate '{row['friendly_name']}' ({row['id']}) is not available on this "
                f"appliance, so it cannot be assigned to IP addresses. {_PRIVATE_KEY_REMEDY}",
                {"certificate_id": row["id"]},
            )
        # What the site TLS listener cannot load (a certificate it sends signed with SHA-1 or MD5, an RSA key
        # under 2048 bits) would reset every connection to the address: refused, as the collection's rule says.
        check = serving.check_servable(list(self._catalog.chain(row["id"]).chain))
        if check.listener_refusals:
            raise ApplianceError(
                422,
                "certificate_not_servable",
                f"{check.refusal_text(check.listener_refusals)} The site TLS listener cannot load it, so it is not "
                "assigned to IP addresses.",
                {"certificate_id": row["id"], "reasons": check.reasons(check.listener_refusals)},
            )

    def _known_addresses(self, tx, ip_addresses) -> list[str]:
        if isinstance(ip_addresses, str) or not isinstance(ip_addresses, (list, tuple)):
            raise ApplianceError(
                422,
                "invalid_ip_address",
                'ip_addresses must be a list of IPv4 addresses in 127.0.0.0/8, e.g. ["127.0.0.2"].',
                {},
            )
        wanted = list(dict.fromkeys(canonical_ip_address(address) for address in ip_addresses))
        known = {row["address"] for row in tx.ip_addresses()}
        unknown = [address for address in wanted if address not in known]
        if unknown:
            raise ApplianceError(
                422,
                "unknown_ip_address",
                f"The appliance has no IP address {', '.join(unknown)}. Add it under network/ip-addresses first "
                f"(POST /network/ip-addresses), or choose among {', '.join(sorted(known, key=_address_sort_key))}.",
                {"addresses": unknown, "known": sorted(known, key=_address_sort_key)},
            )
        return wanted

    def set_bindings(self, certificate_id: str, ip_addresses: list[str]) -> dict:
        """Bind exactly these addresses to the certificate; addresses it served before and not listed go back to
        the factory default. Binding the factory default certificate unbinds."""
        changed = False
        with self._lock:
            with self._store.transaction() as tx:
                row = self._certificate_row(tx, certificate_id)
                if not row["factory_default"]:
                    self._refuse_unbindable(tx, row)
                wanted = self._known_addresses(tx, ip_addresses)
                target = None if row["factory_default"] else row["id"]
                for ip in tx.ip_addresses():
                    if ip["address"] in wanted and ip["certificate_id"] != target:
                        tx.bind(ip["address"], target)
                        changed = True
                    elif target and ip["address"] not in wanted and ip["certificate_id"] == target:
                        tx.bind(ip["address"], None)
                        changed = True
            result = self.get_bindings(row["id"])
        if changed:
            self._notify()
        return result

    def unbind(self, certificate_id: str, address: str) -> None:
        """Return one address of this certificate to the factory default (nothing to do if it is not bound here)."""
        changed = False
        with self._lock, self._store.transaction() as tx:
            row = self._certificate_row(tx, certificate_id)
            canonical = canonical_ip_address(address)
            self._known_addresses(tx, [canonical])
            ip = tx.ip_address(canonical)
            if not row["factory_default"] and ip["certificate_id"] == row["id"]:
                tx.bind(canonical, None)
                changed = True
        if changed:
            self._notify()

    # --- ACME client ---------------------------------------------------------------------------

    def acme_configuration(self) -> dict:
        """The ACME client's settings (never the EAB HMAC), its HTTP-01 port and its status."""
        return self.acme.configuration()

    def configure_acme(self, settings: dict) -> dict:
        """Store the ACME settings and turn the client on; an order starts in the background unless the installed
        certificate already fits them."""
        return self.acme.configure(settings)

    def disable_acme(self) -> None:
        """Turn the ACME client off (the EAB HMAC is forgotten; the certificate and its bindings stay)."""
        self.acme.disable()

    def order_acme_certificate(self) -> dict:
        """Start an ACME order now (409 when ACME is off or an order runs)."""
        return self.acme.order_now()

    # --- for the TLS listeners ---------------------------------------------------------------

    # --- run locks ------------------------------------------------------------------------------

    def list_locks(self) -> list[dict]:
        """Every run lock, with whether its lease has ended."""
        now = datetime.datetime.now(datetime.timezone.utc)
        with self._store.read() as tx:
            return [rules_locks.view(row, now) for row in tx.locks()]

    def acquire_lock(self, name: str, holder: str, lease_seconds: int) -> dict:
        """Take or renew a run lock; 409 ``lock_held`` while another holder's lease runs."""
        name = rules_locks.check_name(name)
        holder = rules_locks.check_holder(holder)
        lease_seconds = rules_locks.check_lease(lease_seconds)
        with self._lock, self._store.transaction() as tx:
            return rules_locks.acquire(tx, name, holder, lease_seconds, datetime.datetime.now(datetime.timezone.utc))

    def release_lock(self, name: str, holder: str | None, force: bool = False) -> None:
        """Give a run lock back (its holder, or anyone with ``force``); no lock is nothing to do."""
        name = rules_locks.check_name(name)
        holder = rules_locks.check_holder(holder) if holder is not None else None
        with self._lock, self._store.transaction() as tx:
            rules_locks.release(tx, name, holder, force, datetime.datetime.now(datetime.timezone.utc))

    def tls_material(self, address: str) -> tuple[bytes, bytes, str]:
        """(certificate chain PEM leaf first, private key PEM unencrypted, certificate id) served on ``address``:
        the bound certificate, or the factory default. Never logged, never returned by the API."""
        canonical = canonical_ip_address(address)
        with self._lock, self._store.read() as tx:
            ip = tx.ip_address(canonical)
            if ip is None:
                raise not_found("IP address", canonical)
            row = tx.certificate(served_certificate_id(ip, self._factory_default_id))
            key_pem = tx.key(row["key_id"])["private_key_pem"].encode("ascii")
            self._catalog.sync(tx)
            report = self._catalog.chain(row["id"])
        served = list(report.chain)
        if len(served) > 1 and report.status == "complete":
            served = served[:-1]
        chain_pem = b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in served)
        return chain_pem, key_pem, row["id"]


def _factory_default_certificate(private_key, hostname: str):
    """A self-signed certificate for ``hostname``; a plain label when the hostname is not a DNS name."""
    attempts = [
        (subject_fields.SubjectSpec(common_name=hostname, organization_name=FACTORY_DEFAULT_NAME), [f"DNS:{hostname}"]),
        (subject_fields.SubjectSpec(common_name=FACTORY_DEFAULT_NAME), []),
    ]
    for subject, sans in attempts[:-1]:
        try:
            return builder.self_signed_certificate(private_key, subject, sans, days=FACTORY_DEFAULT_DAYS)
        except pki_errors.PKIError:
            continue
    subject, sans = attempts[-1]
    return builder.self_signed_certificate(private_key, subject, sans, days=FACTORY_DEFAULT_DAYS)
