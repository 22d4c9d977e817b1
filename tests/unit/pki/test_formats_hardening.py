# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Input that cryptography accepts at first and fails on later, refused at load time."""

from __future__ import annotations

import base64
import shutil
import subprocess
import warnings

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import describe, formats
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import PassphraseError, UnrecognizedFormat
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
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


def _cut_pem(cert) -> bytes:
    """A PEM block whose certificate lost its end (the base64 of its first 300 bytes)."""
    der = cert.public_bytes(serialization.Encoding.DER)[:300]
    body = base64.encodebytes(der).decode("ascii")
    return f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n".encode("ascii")


def test_parser_errors_are_said_in_words_with_the_detail_kept_apart(local_ca):
    with pytest.raises(UnrecognizedFormat) as info:
        formats.load_bytes(_cut_pem(local_ca["issuing"]), source="cut.pem")
    message = str(info.value)
    assert "the data ends too early; the file is cut short" in message
    assert "ParseError" not in message and "ShortData" not in message
    assert "ShortData" in info.value.details["parser_detail"]


def test_a_cut_der_file_says_it_is_cut_short(local_ca):
    der = local_ca["issuing"].public_bytes(serialization.Encoding.DER)[:300]
    with pytest.raises(UnrecognizedFormat) as info:
        formats.load_bytes(der, source="cut.der")
    assert "the data ends too early: the file is cut short" in str(info.value)
    assert "ParseError" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("error parsing asn1 value: ParseError { kind: ShortData { needed: 85 } }", "cut short"),
        ('ParseError { kind: UnexpectedTag { actual: Tag { value: 4 } }, location: ["Certificate"] }', "structured"),
        ("ParseError { kind: ExtraData }", "bytes after the end"),
        ("ParseError { kind: SomethingNew }", "cannot be parsed"),
        ("Unable to parse PKCS7 data", "Unable to parse PKCS7 data"),
    ],
)
def test_plain_reason(text, words):
    assert words in formats.plain_reason(ValueError(text))
    assert "ParseError" not in formats.plain_reason(ValueError(text))


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl CLI is not on PATH")
def test_an_openssl_pkcs7_bundle_loads_without_a_word_on_stderr(local_ca, tmp_path):
    """openssl writes the certificates of a bundle unsorted; cryptography then warns on stderr (as BER)."""
    for name in ("root", "issuing"):
        (tmp_path / f"{name}.pem").write_bytes(local_ca[name].public_bytes(serialization.Encoding.PEM))
    bundles = []
    for order in (("root", "issuing"), ("issuing", "root")):
        out = tmp_path / f"{order[0]}-first.p7b"
        files = [arg for name in order for arg in ("-certfile", str(tmp_path / f"{name}.pem"))]
        subprocess.run(["openssl", "crl2pkcs7", "-nocrl", *files, "-outform", "DER", "-out", str(out)], check=True)
        bundles.append(out.read_bytes())
    with warnings.catch_warnings(record=True) as raw:
        warnings.simplefilter("always")
        for data in bundles:
            pkcs7.load_der_pkcs7_certificates(data)
    assert any("parsed as DER" in str(warning.message) for warning in raw), "one order is not DER: the library warns"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for data in bundles:
            assert len(formats.load_bytes(data, source="bundle.p7b")) == 2
            pem = b"-----BEGIN PKCS7-----\n" + base64.encodebytes(data) + b"-----END PKCS7-----\n"
            assert len(formats.load_bytes(pem, source="bundle.p7b")) == 2
