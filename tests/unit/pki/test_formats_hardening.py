# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Input that cryptography accepts at first and fails on later, refused at load time."""

from __future__ import annotations

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import describe, formats
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import PassphraseError, UnrecognizedFormat
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography_vectors import open_vector_file


@pytest.mark.parametrize("passphrase", ["a\x00b", b"\x00", "pass\x00word"])
def test_passphrase_with_nul_is_refused_before_the_library_sees_it(ec_key, passphrase):
    blob = pkcs12.serialize_key_and_certificates(
        None, ec_key, None, None, serialization.BestAvailableEncryption(b"abcd")
    )
    with pytest.raises(PassphraseError, match="NUL character") as info:
        formats.load_bytes(blob, passphrase, source="x.p12")
    assert info.value.hint


@pytest.mark.parametrize(
    ("path", "mode"),
    [
        ("x509/custom/two_basic_constraints.pem", "rb"),
        ("x509/badssl-sct-none-hash.der", "rb"),
        ("x509/e-trust.ru.der", "rb"),
    ],
)
def test_certificates_with_unreadable_fields_are_refused_at_load(path, mode):
    with open_vector_file(path, mode) as handle:
        data = handle.read()
    with pytest.raises(UnrecognizedFormat, match="cannot be used") as info:
        formats.load_bytes(data, source=path)
    assert "ask the CA" in info.value.hint


def test_every_loaded_certificate_can_be_described(local_ca):
    pem = local_ca["issuing"].public_bytes(serialization.Encoding.PEM)
    for item in formats.load_bytes(pem):
        assert describe.describe_certificate(item.obj)["subject"]["common_name"] == "Example Issuing CA"
