# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The appliance's durable state: one SQLite file, one transaction per change.

The file ``appliance.db`` lives in the state directory (mode 0700) and is
readable by its owner only (0600, and so are its ``-wal`` and ``-shm`` files).
It runs in WAL mode with ``synchronous=FULL``: a change is on disk when its
``COMMIT`` returns, and a process killed at any instant leaves every change
either complete or absent. Every change goes through :meth:`Store.transaction`
(``BEGIN IMMEDIATE`` ... ``COMMIT``), so a multi-step operation is atomic.

Private keys are kept as unencrypted PKCS#8 PEM; the file mode is their protection.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import threading
from pathlib import Path

DB_FILE_NAME = "appliance.db"
SCHEMA_VERSION = 1
FILE_MODE = 0o600
DIRECTORY_MODE = 0o700
_SYNCHRONOUS_NAMES = {0: "off", 1: "normal", 2: "full", 3: "extra"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    size INTEGER,
    curve TEXT,
    private_key_pem TEXT NOT NULL,
    public_key_fingerprint TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS certificates (
    id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    der BLOB NOT NULL,
    public_key_fingerprint TEXT NOT NULL,
    key_id TEXT REFERENCES keys(id),
    friendly_name TEXT NOT NULL,
    factory_default INTEGER NOT NULL DEFAULT 0 CHECK (factory_default IN (0, 1)),
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS certificates_public_key ON certificates(public_key_fingerprint);
CREATE INDEX IF NOT EXISTS certificates_key ON certificates(key_id);
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY,
    friendly_name TEXT NOT NULL,
    key_id TEXT NOT NULL REFERENCES keys(id),
    subject TEXT NOT NULL,
    subject_alt_name TEXT NOT NULL,
    public_key_fingerprint TEXT NOT NULL,
    pem TEXT NOT NULL,
    warnings TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'completed')),
    certificate_id TEXT REFERENCES certificates(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_key ON requests(key_id);
CREATE TABLE IF NOT EXISTS ip_addresses (
    address TEXT PRIMARY KEY,
    certificate_id TEXT REFERENCES certificates(id),
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ip_addresses_certificate ON ip_addresses(certificate_id);
CREATE TABLE IF NOT EXISTS locks (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    renewed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS acme_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    directory_url TEXT,
    contact TEXT NOT NULL,
    eab_key_id TEXT,
    eab_hmac TEXT,
    hostnames TEXT NOT NULL,
    key_type TEXT NOT NULL,
    ca_bundle TEXT,
    friendly_name TEXT NOT NULL,
    ip_addresses TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS acme_status (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    state TEXT NOT NULL CHECK (state IN ('disabled', 'pending', 'valid', 'failed')),
    last_attempt_at TEXT,
    last_success_at TEXT,
    last_error TEXT,
    certificate_id TEXT REFERENCES certificates(id) ON DELETE SET NULL,
    key_id TEXT REFERENCES keys(id) ON DELETE SET NULL,
    next_renewal_at TEXT,
    renewal_basis TEXT,
    ari_start TEXT,
    ari_end TEXT,
    ari_next_check_at TEXT,
    account_url TEXT,
    failures INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS acme_account (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    private_key_pem TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""


class StoreError(Exception):
    """The state file cannot be used (a newer schema, or not an appliance store)."""


def _row_dict(cursor: sqlite3.Cursor, row: tuple) -> dict:
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


def _create_private_file(path: Path) -> None:
    """Create ``path`` with mode 0600 unless it exists, so that no other user can ever open it."""
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)


class Transaction:
    """The statements of one transaction; rows come back as dicts."""

    def __init__(self, connection: sqlite3.Connection):
        self._connection = connection

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        """Run one statement."""
        return self._connection.execute(sql, params)

    def all(self, sql: str, params=()) -> list[dict]:
        """Every row of a query."""
        return self.execute(sql, params).fetchall()

    def one(self, sql: str, params=()) -> dict | None:
        """The first row of a query, or None."""
        return self.execute(sql, params).fetchone()

    # --- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """One meta value, or None."""
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Set one meta value."""
        self.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # --- run locks --------------------------------------------------------------------------

    def lock(self, name: str) -> dict | None:
        """One run lock, or None."""
        return self.one("SELECT * FROM locks WHERE name = ?", (name,))

    def locks(self) -> list[dict]:
        """Every run lock, by name."""
        return self.all("SELECT * FROM locks ORDER BY name")

    def save_lock(self, row: dict) -> None:
        """Insert or replace a run lock."""
        self.execute(
            "INSERT INTO locks (name, holder, acquired_at, renewed_at, expires_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, "
            "renewed_at = excluded.renewed_at, expires_at = excluded.expires_at",
            (row["name"], row["holder"], row["acquired_at"], row["renewed_at"], row["expires_at"]),
        )

    def delete_lock(self, name: str) -> None:
        """Remove a run lock."""
        self.execute("DELETE FROM locks WHERE name = ?", (name,))

    # --- ACME client ------------------------------------------------------------------------

    def acme_settings(self) -> dict | None:
        """The ACME client's settings row (the EAB HMAC among them: never shown), or None before the first PUT."""
        return self.one("SELECT * FROM acme_settings WHERE id = 1")

    def save_acme_settings(self, row: dict) -> None:
        """Insert or replace the ACME client's settings row."""
        self.execute(
            "INSERT OR REPLACE INTO acme_settings (id, enabled, directory_url, contact, eab_key_id, eab_hmac, "
            "hostnames, key_type, ca_bundle, friendly_name, ip_addresses, updated_at) VALUES (1, :enabled, "
            ":directory_url, :contact, :eab_key_id, :eab_hmac, :hostnames, :key_type, :ca_bundle, :friendly_name, "
            ":ip_addresses, :updated_at)",
            row,
        )

    def acme_status(self) -> dict | None:
        """The ACME client's status row, or None before the first PUT."""
        return self.one("SELECT * FROM acme_status WHERE id = 1")

    def save_acme_status(self, row: dict) -> None:
        """Insert or replace the ACME client's status row."""
        self.execute(
            "INSERT OR REPLACE INTO acme_status (id, state, last_attempt_at, last_success_at, last_error, "
            "certificate_id, key_id, next_renewal_at, renewal_basis, ari_start, ari_end, ari_next_check_at, "
            "account_url, failures) VALUES (1, :state, :last_attempt_at, :last_success_at, :last_error, "
            ":certificate_id, :key_id, :next_renewal_at, :renewal_basis, :ari_start, :ari_end, :ari_next_check_at, "
            ":account_url, :failures)",
            row,
        )

    def acme_account_key(self) -> str | None:
        """The PEM of the appliance's ACME account key (never shown), or None before the first order."""
        row = self.one("SELECT private_key_pem FROM acme_account WHERE id = 1")
        return row["private_key_pem"] if row else None

    def save_acme_account_key(self, private_key_pem: str, created_at: str) -> None:
        """Store the appliance's ACME account key."""
        self.execute(
            "INSERT INTO acme_account (id, private_key_pem, created_at) VALUES (1, ?, ?)",
            (private_key_pem, created_at),
        )

    # --- keys -------------------------------------------------------------------------------

    def insert_key(self, row: dict) -> None:
        """Store a key row (id, name, type, size, curve, private_key_pem, public_key_fingerprint, created_at)."""
        self.execute(
            "INSERT INTO keys (id, name, type, size, curve, private_key_pem, public_key_fingerprint, created_at) "
            "VALUES (:id, :name, :type, :size, :curve, :private_key_pem, :public_key_fingerprint, :created_at)",
            row,
        )

    def key(self, key_id: str) -> dict | None:
        """A key row by id."""
        return self.one("SELECT * FROM keys WHERE id = ?", (key_id,))

    def key_by_name(self, name: str) -> dict | None:
        """A key row by name."""
        return self.one("SELECT * FROM keys WHERE name = ?", (name,))

    def key_by_public_key(self, fingerprint: str) -> dict | None:
        """A key row by public key fingerprint."""
        return self.one("SELECT * FROM keys WHERE public_key_fingerprint = ?", (fingerprint,))

    def all_keys(self) -> list[dict]:
        """Every key row, oldest first."""
        return self.all("SELECT * FROM keys ORDER BY rowid")

    def delete_key(self, key_id: str) -> None:
        """Remove a key row."""
        self.execute("DELETE FROM keys WHERE id = ?", (key_id,))

    # --- requests ---------------------------------------------------------------------------

    def insert_request(self, row: dict) -> None:
        """Store a request row."""
        self.execute(
            "INSERT INTO requests (id, friendly_name, key_id, subject, subject_alt_name, public_key_fingerprint, "
            "pem, warnings, status, certificate_id, created_at) VALUES (:id, :friendly_name, :key_id, :subject, "
            ":subject_alt_name, :public_key_fingerprint, :pem, :warnings, :status, :certificate_id, :created_at)",
            row,
        )

    def request(self, request_id: str) -> dict | None:
        """A request row by id."""
        return self.one("SELECT * FROM requests WHERE id = ?", (request_id,))

    def requests(self) -> list[dict]:
        """Every request row, oldest first."""
        return self.all("SELECT * FROM requests ORDER BY rowid")

    def pending_request_for_public_key(self, fingerprint: str) -> dict | None:
        """The newest pending request made with the key of this public key fingerprint, or None."""
        return self.one(
            "SELECT * FROM requests WHERE status = 'pending' AND public_key_fingerprint = ? ORDER BY rowid DESC",
            (fingerprint,),
        )

    def pending_request_named(self, friendly_name: str) -> dict | None:
        """The pending request with this friendly name, or None."""
        return self.one("SELECT * FROM requests WHERE status = 'pending' AND friendly_name = ?", (friendly_name,))

    def complete_request(self, request_id: str, certificate_id: str) -> None:
        """Mark a request completed by a certificate."""
        self.execute(
            "UPDATE requests SET status = 'completed', certificate_id = ? WHERE id = ?", (certificate_id, request_id)
        )

    def delete_request(self, request_id: str) -> None:
        """Remove a request row."""
        self.execute("DELETE FROM requests WHERE id = ?", (request_id,))

    # --- certificates -----------------------------------------------------------------------

    def insert_certificate(self, row: dict) -> None:
        """Store a certificate row."""
        self.execute(
            "INSERT INTO certificates (id, fingerprint, der, public_key_fingerprint, key_id, friendly_name, "
            "factory_default, created_at) VALUES (:id, :fingerprint, :der, :public_key_fingerprint, :key_id, "
            ":friendly_name, :factory_default, :created_at)",
            row,
        )

    def certificate(self, certificate_id: str) -> dict | None:
        """A certificate row by id."""
        return self.one("SELECT * FROM certificates WHERE id = ?", (certificate_id,))

    def certificate_by_fingerprint(self, fingerprint: str) -> dict | None:
        """A certificate row by SHA-256 fingerprint."""
        return self.one("SELECT * FROM certificates WHERE fingerprint = ?", (fingerprint,))

    def certificates(self) -> list[dict]:
        """Every certificate row, oldest first."""
        return self.all("SELECT * FROM certificates ORDER BY rowid")

    def certificate_ids(self) -> list[str]:
        """The ids of every certificate, oldest first."""
        return [row["id"] for row in self.all("SELECT id FROM certificates ORDER BY rowid")]

    def certificates_of_public_key(self, fingerprint: str) -> list[dict]:
        """Certificate rows that carry the public key of this fingerprint."""
        return self.all("SELECT * FROM certificates WHERE public_key_fingerprint = ? ORDER BY rowid", (fingerprint,))

    def attach_key(self, certificate_id: str, key_id: str) -> None:
        """Record that the certificate's private key is the stored key ``key_id``."""
        self.execute("UPDATE certificates SET key_id = ? WHERE id = ?", (key_id, certificate_id))

    def delete_certificate(self, certificate_id: str) -> None:
        """Remove a certificate row."""
        self.execute("DELETE FROM certificates WHERE id = ?", (certificate_id,))

    # --- IP addresses -----------------------------------------------------------------------

    def ip_addresses(self) -> list[dict]:
        """Every IP address row (address, certificate_id, created_at)."""
        return self.all("SELECT * FROM ip_addresses ORDER BY rowid")

    def ip_address(self, address: str) -> dict | None:
        """One IP address row."""
        return self.one("SELECT * FROM ip_addresses WHERE address = ?", (address,))

    def insert_ip_address(self, address: str, created_at: str) -> None:
        """Add an IP address serving the factory default."""
        self.execute(
            "INSERT INTO ip_addresses (address, certificate_id, created_at) VALUES (?, NULL, ?)", (address, created_at)
        )

    def delete_ip_address(self, address: str) -> None:
        """Remove an IP address and its binding."""
        self.execute("DELETE FROM ip_addresses WHERE address = ?", (address,))

    def bind(self, address: str, certificate_id: str | None) -> None:
        """Bind ``address`` to a certificate; None returns it to the factory default."""
        self.execute("UPDATE ip_addresses SET certificate_id = ? WHERE address = ?", (certificate_id, address))


class Store:
    """The SQLite state of one appliance. ``path`` is the state directory (or the ``.db`` file itself)."""

    def __init__(self, path):
        path = Path(path)
        if path.suffix == ".db":
            self.directory, self.path = path.parent, path
        else:
            self.directory, self.path = path, path / DB_FILE_NAME
        self.directory.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        if self.directory.stat().st_mode & 0o077:
            os.chmod(self.directory, DIRECTORY_MODE)
        _create_private_file(self.path)
        os.chmod(self.path, FILE_MODE)
        self._lock = threading.RLock()
        self._depth = 0
        self._connection = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=30.0)
        self._connection.row_factory = _row_dict
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=FULL")
        self._connection.execute("PRAGMA foreign_keys=ON")
        self._initialise_schema()
        self._protect_side_files()

    def _initialise_schema(self) -> None:
        with self.transaction() as tx:
            tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = tx.one("SELECT version FROM schema_version")
            if row is not None and row["version"] > SCHEMA_VERSION:
                raise StoreError(
                    f"The state file {self.path} has schema version {row['version']}; this appliance knows up to "
                    f"{SCHEMA_VERSION}. Run the appliance release that wrote it, or start with a new state directory."
                )
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    tx.execute(statement)
            if row is None:
                tx.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))

    def _protect_side_files(self) -> None:
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            with contextlib.suppress(FileNotFoundError):
                os.chmod(side, FILE_MODE)

    @contextlib.contextmanager
    def transaction(self):
        """``with store.transaction() as tx:`` one atomic change; an exception rolls all of it back.

        A transaction opened inside another one on the same thread joins it.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield Transaction(self._connection)
                finally:
                    self._depth -= 1
                return
            self._connection.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield Transaction(self._connection)
            except BaseException:
                self._depth = 0
                self._connection.execute("ROLLBACK")
                raise
            self._depth = 0
            try:
                self._connection.execute("COMMIT")
            except BaseException:
                if self._connection.in_transaction:
                    self._connection.execute("ROLLBACK")
                raise

    def read(self):
        """``with store.read() as tx:`` a consistent view for queries (a transaction that writes nothing)."""
        return self.transaction()

    def schema_version(self) -> int:
        """The schema version recorded in the file."""
        with self.read() as tx:
            return tx.one("SELECT version FROM schema_version")["version"]

    def settings(self) -> dict:
        """The connection's durability settings: ``{journal_mode, synchronous, foreign_keys}``."""
        with self._lock:
            return {
                "journal_mode": self._connection.execute("PRAGMA journal_mode").fetchone()["journal_mode"],
                "synchronous": _SYNCHRONOUS_NAMES.get(
                    self._connection.execute("PRAGMA synchronous").fetchone()["synchronous"], "unknown"
                ),
                "foreign_keys": bool(self._connection.execute("PRAGMA foreign_keys").fetchone()["foreign_keys"]),
            }

    def integrity_report(self) -> dict:
        """SQLite's own checks: ``{ok, integrity_check: [...], foreign_key_check: [...]}``."""
        with self._lock:
            integrity = [row["integrity_check"] for row in self._connection.execute("PRAGMA integrity_check")]
            foreign = [dict(row) for row in self._connection.execute("PRAGMA foreign_key_check")]
        return {"ok": integrity == ["ok"] and not foreign, "integrity_check": integrity, "foreign_key_check": foreign}

    def consistency_problems(self) -> list[str]:
        """The appliance's own invariants, checked over the whole file; an empty list means consistent."""
        with self.read() as tx:
            return _consistency_problems(tx)

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite)."""
        with self._lock:
            self._connection.close()


def _consistency_problems(tx: Transaction) -> list[str]:
    problems = []
    for row in tx.all(
        "SELECT ip.address, ip.certificate_id, c.id AS cert, c.key_id, k.id AS key FROM ip_addresses ip "
        "LEFT JOIN certificates c ON c.id = ip.certificate_id LEFT JOIN keys k ON k.id = c.key_id "
        "WHERE ip.certificate_id IS NOT NULL"
    ):
        if row["cert"] is None:
            problems.append(f"IP address {row['address']} is bound to missing certificate {row['certificate_id']}")
        elif row["key"] is None:
            problems.append(f"IP address {row['address']} is bound to certificate {row['cert']} without a key")
    for row in tx.all(
        "SELECT c.id, c.key_id, c.public_key_fingerprint AS cert_pk, k.public_key_fingerprint AS key_pk "
        "FROM certificates c LEFT JOIN keys k ON k.id = c.key_id WHERE c.key_id IS NOT NULL"
    ):
        if row["key_pk"] is None:
            problems.append(f"certificate {row['id']} refers to missing key {row['key_id']}")
        elif row["key_pk"] != row["cert_pk"]:
            problems.append(f"certificate {row['id']} is attached to key {row['key_id']}, which is not its key")
    for row in tx.all("SELECT id, fingerprint, der FROM certificates"):
        digest = hashlib.sha256(row["der"]).hexdigest()
        if ":".join(digest[i : i + 2] for i in range(0, 64, 2)) != row["fingerprint"]:
            problems.append(f"certificate {row['id']} has a fingerprint that does not match its content")
        if row["id"] != row["fingerprint"].replace(":", "")[:16]:
            problems.append(f"certificate {row['id']} has an id that is not the start of its fingerprint")
    defaults = tx.all("SELECT id, key_id FROM certificates WHERE factory_default = 1")
    recorded = tx.get_meta("factory_default_id")
    if recorded is not None or defaults:
        if [row["id"] for row in defaults] != [recorded]:
            problems.append(f"factory default certificate(s) {[row['id'] for row in defaults]} != meta {recorded}")
        elif defaults[0]["key_id"] is None:
            problems.append("the factory default certificate has no key")
    for row in tx.all(
        "SELECT r.id, r.key_id, r.status, r.certificate_id, k.id AS key FROM requests r "
        "LEFT JOIN keys k ON k.id = r.key_id"
    ):
        if row["key"] is None:
            problems.append(f"request {row['id']} refers to missing key {row['key_id']}")
        if row["status"] == "pending" and row["certificate_id"] is not None:
            problems.append(f"pending request {row['id']} names certificate {row['certificate_id']}")
    for row in tx.all(
        "SELECT r.id, r.certificate_id FROM requests r LEFT JOIN certificates c ON c.id = r.certificate_id "
        "WHERE r.certificate_id IS NOT NULL AND c.id IS NULL"
    ):
        problems.append(f"request {row['id']} refers to missing certificate {row['certificate_id']}")
    return problems
