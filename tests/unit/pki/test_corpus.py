# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every file of the cryptography corpus either loads or is refused with one of our errors.

The files were written by other people and other tools (NIST PKITS, OpenSSL, Java, Windows),
including deliberately broken ones. A raw library exception escaping ``load_file`` fails the
test with the file's name. The counts go to ``tests/output/corpus-summary.json`` and stdout.
"""

from __future__ import annotations

import collections
import json
import os
import warnings
from pathlib import Path

import cryptography_vectors
import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import formats
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import PassphraseError, PKIError, WrongPassphrase

VECTORS = Path(cryptography_vectors.__file__).parent
CORPUS_COUNTS = pytest.StashKey[dict]()
SUMMARY = Path(__file__).resolve().parents[2] / "output" / "corpus-summary.json"
# Passwords the corpus uses: "cryptography" (its PKCS#12 files), "password" (PKITS PKCS#12,
# several PKCS#8), "foobar" and "123456" (PKCS#8 and legacy PEM keys).
PASSWORDS = [b"cryptography", b"password", b"foobar", b"123456"]

# group -> (folders, floors: minimum files loaded, certificates and private keys found)
GROUPS = {
    "x509": (["x509"], {"files_loaded": 900, "certificates": 900, "private_keys": 400}),
    "pkcs7": (["pkcs7"], {"files_loaded": 6, "certificates": 8, "private_keys": 0}),
    "pkcs12": (["pkcs12"], {"files_loaded": 33, "certificates": 70, "private_keys": 20}),
    "asymmetric": (
        [
            "asymmetric/PEM_Serialization",
            "asymmetric/DER_Serialization",
            "asymmetric/PKCS8",
            "asymmetric/Traditional_OpenSSL_Serialization",
        ],
        {"files_loaded": 40, "certificates": 0, "private_keys": 40},
    ),
}


def _files(folders: list[str]) -> list[Path]:
    found = []
    for folder in folders:
        for root, _dirs, names in os.walk(VECTORS / folder):
            found.extend(Path(root) / name for name in names)
    return sorted(found)


def _load_with_known_passwords(path: Path, passwords: list[bytes]) -> list:
    """``load_file`` without a passphrase, then with each known password (the one that worked moves first)."""
    try:
        return formats.load_file(str(path))
    except PassphraseError as first:
        failure: PKIError = first
    for password in list(passwords):
        try:
            items = formats.load_file(str(path), password)
        except WrongPassphrase as exc:
            failure = exc
            continue
        passwords.remove(password)
        passwords.insert(0, password)
        return items
    raise failure


def _write_summary(group: str, summary: dict) -> None:
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    try:
        everything = json.loads(SUMMARY.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        everything = {}
    everything[group] = summary
    SUMMARY.write_text(json.dumps(everything, indent=2, sort_keys=True) + "\n", encoding="utf-8")


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_corpus_loads_or_refuses_with_our_errors(group, request):
    folders, floors = GROUPS[group]
    files = _files(folders)
    passwords = list(PASSWORDS)
    refused = collections.Counter()
    crashes = []
    counts = {"files_loaded": 0, "certificates": 0, "private_keys": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            name = path.relative_to(VECTORS).as_posix()
            try:
                items = _load_with_known_passwords(path, passwords)
                descriptions = [item.describe() for item in items]
            except PKIError as exc:
                refused[type(exc).__name__] += 1
                continue
            except Exception as exc:
                crashes.append(f"{name}: {type(exc).__module__}.{type(exc).__name__}: {exc}")
                continue
            if not items or len(descriptions) != len(items):
                crashes.append(f"{name}: load_file returned no items")
                continue
            counts["files_loaded"] += 1
            counts["certificates"] += sum(item.kind == formats.KIND_CERTIFICATE for item in items)
            counts["private_keys"] += sum(item.kind == formats.KIND_PRIVATE_KEY for item in items)
    summary = {"total": len(files), **counts, "refused": dict(sorted(refused.items()))}
    _write_summary(group, summary)
    request.config.stash.setdefault(CORPUS_COUNTS, {})[group] = summary
    print(f"\ncorpus {group}: {json.dumps(summary, sort_keys=True)}")
    assert not crashes, "raw exceptions escaped load_file:\n" + "\n".join(crashes)
    assert counts["files_loaded"] + sum(refused.values()) == len(files)
    for what, floor in floors.items():
        assert counts[what] >= floor, f"corpus {group}: only {counts[what]} {what} (expected at least {floor})"
