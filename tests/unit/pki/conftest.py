# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keys and certificates made once per test session for the core's own tests."""

from __future__ import annotations

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import builder, keys, subject_fields


@pytest.fixture(scope="session")
def signing_key():
    """A P-256 key to sign test certificates with."""
    return keys.generate_private_key(keys.KeySpec.create("ec", curve="P-256"))


@pytest.fixture(scope="session")
def rsa_key():
    return keys.generate_private_key(keys.KeySpec.create("rsa", 2048))


@pytest.fixture(scope="session")
def ec_key():
    return keys.generate_private_key(keys.KeySpec.create("ec", curve="P-256"))


@pytest.fixture(scope="session")
def self_signed():
    def make(key, cn="support.example.com", sans=("DNS:support.example.com",), days=30, **kwargs):
        return builder.self_signed_certificate(
            key, subject_fields.SubjectSpec(common_name=cn), list(sans), days=days, **kwargs
        )

    return make


@pytest.fixture(scope="session")
def local_ca():
    """A root and an issuing intermediate, as a small internal PKI has them."""
    root_key = keys.generate_private_key(keys.KeySpec.create("ec", curve="P-384"))
    root = builder.create_ca_certificate(
        root_key, subject_fields.SubjectSpec(common_name="Example Root CA", organization_name="Example")
    )
    issuing_key = keys.generate_private_key(keys.KeySpec.create("ec", curve="P-256"))
    issuing = builder.create_ca_certificate(
        issuing_key,
        subject_fields.SubjectSpec(common_name="Example Issuing CA", organization_name="Example"),
        days=1825,
        issuer_cert=root,
        issuer_key=root_key,
        path_length=0,
    )
    return {"root": root, "root_key": root_key, "issuing": issuing, "issuing_key": issuing_key}


def pytest_terminal_summary(terminalreporter, config):
    """Show the corpus test's counts in every run's summary."""
    from test_corpus import CORPUS_COUNTS

    counts = config.stash.get(CORPUS_COUNTS, None)
    if not counts:
        return
    terminalreporter.section("cryptography-vectors corpus")
    for group, summary in sorted(counts.items()):
        refused = ", ".join(f"{name} {count}" for name, count in summary["refused"].items()) or "none"
        terminalreporter.write_line(
            f"{group:10} files {summary['total']:5}  loaded {summary['files_loaded']:5} "
            f"({summary['certificates']} certificates, {summary['private_keys']} keys)  refused: {refused}"
        )
