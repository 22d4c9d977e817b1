# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The appliance's SQLite store: schema, durability settings, file modes, transactions and self-checks."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import threading

import pytest

from reference_appliance.store import DB_FILE_NAME, SCHEMA_VERSION, Store, StoreError

NOW = "2026-11-29T09:50:13Z"


def _fingerprint(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 64, 2))


def _key(tx, ident: str, public_key_fingerprint: str, name: str | None = None) -> None:
    tx.insert_key(
        {
            "id": ident,
            "name": name or ident,
            "type": "ec",
            "size": None,
            "curve": "P-256",
            "private_key_pem": "(test)",
            "public_key_fingerprint": public_key_fingerprint,
            "created_at": NOW,
        }
    )


def _certificate(tx, der: bytes, public_key_fingerprint: str, key_id=None, factory_default=0) -> str:
    fingerprint = _fingerprint(der)
    ident = fingerprint.replace(":", "")[:16]
    tx.insert_certificate(
        {
            "id": ident,
            "fingerprint": fingerprint,
            "der": der,
            "public_key_fingerprint": public_key_fingerprint,
            "key_id": key_id,
            "friendly_name": "test",
            "factory_default": factory_default,
            "created_at": NOW,
        }
    )
    return ident


@pytest.fixture
def store(tmp_path):
    opened = Store(tmp_path / "state")
    yield opened
    opened.close()


@pytest.fixture
def consistent(store):
    """A store holding a factory default with its key, bound nowhere, and one address."""
    with store.transaction() as tx:
        _key(tx, "key-default", "pk:default")
        ident = _certificate(tx, b"factory default", "pk:default", "key-default", factory_default=1)
        tx.set_meta("factory_default_id", ident)
        tx.insert_ip_address("127.0.0.2", NOW)
    return store


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_schema_has_every_table_and_records_its_version(store):
    connection = sqlite3.connect(store.path)
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    columns = {row[1] for row in connection.execute("PRAGMA table_info(certificates)")}
    ip_columns = {row[1] for row in connection.execute("PRAGMA table_info(ip_addresses)")}
    connection.close()
    assert {"schema_version", "meta", "keys", "requests", "certificates", "ip_addresses"} <= tables
    assert {"id", "fingerprint", "der", "key_id", "friendly_name", "factory_default", "created_at"} <= columns
    assert ip_columns == {"address", "certificate_id", "created_at"}
    assert store.schema_version() == SCHEMA_VERSION
    assert store.path.name == DB_FILE_NAME


def test_a_newer_schema_is_refused_with_what_to_do(tmp_path):
    Store(tmp_path).close()
    connection = sqlite3.connect(tmp_path / DB_FILE_NAME)
    connection.execute("UPDATE schema_version SET version = 99")
    connection.commit()
    connection.close()
    with pytest.raises(StoreError) as caught:
        Store(tmp_path)
    assert "schema version 99" in str(caught.value)
    assert "new state directory" in str(caught.value)


def test_reopening_keeps_the_schema_version_and_the_data(tmp_path):
    first = Store(tmp_path)
    with first.transaction() as tx:
        tx.set_meta("appliance_id", "abc")
    first.close()
    second = Store(tmp_path)
    with second.read() as tx:
        assert tx.get_meta("appliance_id") == "abc"
        assert tx.all("SELECT version FROM schema_version") == [{"version": SCHEMA_VERSION}]
    second.close()


def test_the_store_runs_in_wal_mode_with_full_sync_and_foreign_keys(store):
    assert store.settings() == {"journal_mode": "wal", "synchronous": "full", "foreign_keys": True}
    connection = sqlite3.connect(store.path)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    connection.close()


def test_files_are_private_to_the_owner_even_under_a_permissive_umask(tmp_path):
    previous = os.umask(0o000)
    try:
        state = tmp_path / "state"
        opened = Store(state)
        with opened.transaction() as tx:
            tx.set_meta("x", "y")
        files = {name: _mode(state / name) for name in os.listdir(state)}
        directory = _mode(state)
        opened.close()
    finally:
        os.umask(previous)
    assert directory == 0o700
    assert {DB_FILE_NAME, f"{DB_FILE_NAME}-wal", f"{DB_FILE_NAME}-shm"} <= set(files)
    assert all(mode == 0o600 for mode in files.values()), files


def test_an_existing_open_directory_and_file_are_closed_down(tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    os.chmod(state, 0o755)
    (state / DB_FILE_NAME).touch()
    os.chmod(state / DB_FILE_NAME, 0o644)
    opened = Store(state / DB_FILE_NAME)
    opened.close()
    assert _mode(state) == 0o700
    assert _mode(state / DB_FILE_NAME) == 0o600


def test_an_exception_rolls_the_whole_transaction_back(store):
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.set_meta("first", "1")
        tx.insert_ip_address("127.0.0.2", NOW)
        raise RuntimeError("stop")
    with store.read() as tx:
        assert tx.get_meta("first") is None
        assert tx.ip_addresses() == []
    other = sqlite3.connect(store.path)
    assert other.execute("SELECT count(*) FROM ip_addresses").fetchone()[0] == 0
    other.close()


def test_a_nested_transaction_joins_the_outer_one(store):
    with pytest.raises(ValueError), store.transaction() as outer:
        outer.set_meta("outer", "1")
        with store.transaction() as inner:
            inner.set_meta("inner", "1")
        raise ValueError("undo both")
    with store.read() as tx:
        assert (tx.get_meta("outer"), tx.get_meta("inner")) == (None, None)


def test_a_committed_change_is_visible_to_another_connection_at_once(store):
    with store.transaction() as tx:
        tx.insert_ip_address("127.0.0.7", NOW)
    other = sqlite3.connect(store.path)
    assert other.execute("SELECT address FROM ip_addresses").fetchall() == [("127.0.0.7",)]
    other.close()


def test_foreign_keys_are_enforced_and_a_violation_rolls_back(store):
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as tx:
        tx.insert_ip_address("127.0.0.2", NOW)
        _certificate(tx, b"cert", "pk:x", key_id="key-missing")
    with store.read() as tx:
        assert tx.ip_addresses() == []
        assert tx.certificates() == []


def test_transactions_from_many_threads_all_commit(store):
    def write(number: int) -> None:
        for item in range(20):
            with store.transaction() as tx:
                tx.set_meta(f"t{number}-{item}", str(item))

    threads = [threading.Thread(target=write, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with store.read() as tx:
        assert tx.one("SELECT count(*) AS n FROM meta WHERE key LIKE 't%'")["n"] == 160


def test_a_sound_store_passes_both_checks(consistent):
    report = consistent.integrity_report()
    assert report == {"ok": True, "integrity_check": ["ok"], "foreign_key_check": []}
    assert consistent.consistency_problems() == []


def _raw(store):
    """A second connection without foreign key enforcement, to damage the file on purpose."""
    connection = sqlite3.connect(store.path, isolation_level=None)
    connection.execute("PRAGMA foreign_keys=OFF")
    return connection


def test_a_dangling_reference_is_reported_by_both_checks(consistent):
    raw = _raw(consistent)
    raw.execute("UPDATE ip_addresses SET certificate_id = 'ffffffffffffffff'")
    raw.close()
    report = consistent.integrity_report()
    assert report["ok"] is False
    assert report["foreign_key_check"][0]["table"] == "ip_addresses"
    assert consistent.consistency_problems() == [
        "IP address 127.0.0.2 is bound to missing certificate ffffffffffffffff"
    ]


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("bound-without-key", "is bound to certificate {plain} without a key"),
        ("wrong-key", "is attached to key key-default, which is not its key"),
        ("tampered-content", "has a fingerprint that does not match its content"),
        ("second-default", "factory default certificate(s)"),
        ("pending-with-certificate", "pending request req-1 names certificate"),
    ],
)
def test_consistency_check_finds_each_broken_rule(consistent, damage, expected):
    with consistent.transaction() as tx:
        plain = _certificate(tx, b"plain certificate", "pk:plain")
        _key(tx, "key-req", "pk:req")
        tx.insert_request(
            {
                "id": "req-1",
                "friendly_name": "r",
                "key_id": "key-req",
                "subject": "{}",
                "subject_alt_name": "[]",
                "public_key_fingerprint": "pk:req",
                "pem": "",
                "warnings": "[]",
                "status": "pending",
                "certificate_id": None,
                "created_at": NOW,
            }
        )
    assert consistent.consistency_problems() == []
    statements = {
        "bound-without-key": ("UPDATE ip_addresses SET certificate_id = ?", (plain,)),
        "wrong-key": ("UPDATE certificates SET key_id = 'key-default' WHERE id = ?", (plain,)),
        "tampered-content": ("UPDATE certificates SET der = x'00' WHERE id = ?", (plain,)),
        "second-default": ("UPDATE certificates SET factory_default = 1 WHERE id = ?", (plain,)),
        "pending-with-certificate": ("UPDATE requests SET certificate_id = ?", (plain,)),
    }
    sql, params = statements[damage]
    raw = _raw(consistent)
    raw.execute(sql, params)
    raw.close()
    problems = consistent.consistency_problems()
    assert len(problems) == 1, problems
    assert expected.format(plain=plain) in problems[0]
