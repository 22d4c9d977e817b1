# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import base64
import random

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import formats
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import (
    InputTooLarge,
    PassphraseRequired,
    PKIError,
    UnrecognizedFormat,
    WrongPassphrase,
)
from ansible_collections.bomgar.pki.plugins.module_utils.pki.fingerprints import (
    certificate_fingerprint,
    public_key_fingerprint,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa
from formats_material import (
    DER,
    PASSPHRASE,
    PEM,
    PKCS8,
    TRADITIONAL,
    Material,
    legacy_pkcs12,
    pem_block,
)

C = formats.KIND_CERTIFICATE
K = formats.KIND_PRIVATE_KEY
# X509_CERT_AUX trust settings (serverAuth) as OpenSSL appends them to a TRUSTED CERTIFICATE.
TRUST_SETTINGS = bytes.fromhex("300c300a06082b06010505070301")


@pytest.fixture(scope="module")
def m() -> Material:
    return Material.create()


def _fingerprint(obj) -> str:
    if hasattr(obj, "private_bytes"):
        return public_key_fingerprint(obj)
    return certificate_fingerprint(obj)


def _bare_base64(der: bytes) -> bytes:
    text = base64.b64encode(der)
    return b"\n".join(text[i : i + 64] for i in range(0, len(text), 64)) + b"\n"


# id, builder(m) -> (data, expected objects in order), passphrase, expected (kind, format) per item
FORMAT_CASES = [
    ("der_x509", lambda m: (m.cert_der, [m.server_cert]), None, [(C, "der_x509")]),
    ("pem_x509", lambda m: (m.cert_pem, [m.server_cert]), None, [(C, "pem_x509")]),
    (
        "pem_x509_certificate_label",
        lambda m: (pem_block("X509 CERTIFICATE", m.cert_der).encode(), [m.server_cert]),
        None,
        [(C, "pem_x509")],
    ),
    (
        "pem_trusted_certificate",
        lambda m: (pem_block("TRUSTED CERTIFICATE", m.cert_der + TRUST_SETTINGS).encode(), [m.server_cert]),
        None,
        [(C, "pem_x509")],
    ),
    ("base64_without_pem_lines", lambda m: (_bare_base64(m.cert_der), [m.server_cert]), None, [(C, "pem_x509")]),
    ("pkcs7_der", lambda m: (m.p7_der, [m.server_cert, m.ca_cert]), None, [(C, "pkcs7_der")] * 2),
    ("pkcs7_pem", lambda m: (m.p7_pem, [m.server_cert, m.ca_cert]), None, [(C, "pkcs7_pem")] * 2),
    (
        "pkcs7_cms_label",
        lambda m: (pem_block("CMS", m.p7_der).encode(), [m.server_cert, m.ca_cert]),
        None,
        [(C, "pkcs7_pem")] * 2,
    ),
    (
        "pkcs7_under_certificate_label",
        lambda m: (pem_block("CERTIFICATE", m.p7_der).encode(), [m.server_cert, m.ca_cert]),
        None,
        [(C, "pkcs7_pem")] * 2,
    ),
    (
        "pkcs8_der",
        lambda m: (m.key_bytes(m.server_key, DER, PKCS8), [m.server_key]),
        None,
        [(K, "pkcs8_der")],
    ),
    (
        "pkcs8_pem",
        lambda m: (m.key_bytes(m.server_key, PEM, PKCS8), [m.server_key]),
        None,
        [(K, "pkcs8_pem")],
    ),
    (
        "pkcs8_der_encrypted",
        lambda m: (m.key_bytes(m.server_key, DER, PKCS8, PASSPHRASE), [m.server_key]),
        PASSPHRASE,
        [(K, "pkcs8_der_encrypted")],
    ),
    (
        "pkcs8_pem_encrypted",
        lambda m: (m.key_bytes(m.server_key, PEM, PKCS8, PASSPHRASE), [m.server_key]),
        PASSPHRASE,
        [(K, "pkcs8_pem_encrypted")],
    ),
    ("pkcs8_pem_ec", lambda m: (m.key_bytes(m.ec_key, PEM, PKCS8), [m.ec_key]), None, [(K, "pkcs8_pem")]),
    ("pkcs8_der_ed25519", lambda m: (m.key_bytes(m.ed_key, DER, PKCS8), [m.ed_key]), None, [(K, "pkcs8_der")]),
    (
        "legacy_der_rsa",
        lambda m: (m.key_bytes(m.server_key, DER, TRADITIONAL), [m.server_key]),
        None,
        [(K, "legacy_der")],
    ),
    ("legacy_der_ec", lambda m: (m.key_bytes(m.ec_key, DER, TRADITIONAL), [m.ec_key]), None, [(K, "legacy_der")]),
    (
        "legacy_pem_rsa",
        lambda m: (m.key_bytes(m.server_key, PEM, TRADITIONAL), [m.server_key]),
        None,
        [(K, "legacy_pem")],
    ),
    ("legacy_pem_ec", lambda m: (m.key_bytes(m.ec_key, PEM, TRADITIONAL), [m.ec_key]), None, [(K, "legacy_pem")]),
    (
        "legacy_pem_encrypted_rsa",
        lambda m: (m.key_bytes(m.server_key, PEM, TRADITIONAL, PASSPHRASE), [m.server_key]),
        PASSPHRASE,
        [(K, "legacy_pem_encrypted")],
    ),
    (
        "legacy_pem_encrypted_ec",
        lambda m: (m.key_bytes(m.ec_key, PEM, TRADITIONAL, PASSPHRASE), [m.ec_key]),
        PASSPHRASE,
        [(K, "legacy_pem_encrypted")],
    ),
    (
        "pkcs12_modern_aes",
        lambda m: (m.p12_modern(), [m.server_cert, m.ca_cert, m.server_key]),
        PASSPHRASE,
        [(C, "pkcs12"), (C, "pkcs12"), (K, "pkcs12")],
    ),
    (
        "pkcs12_legacy_3des",
        lambda m: (m.p12_legacy(), [m.server_cert, m.ca_cert, m.server_key]),
        PASSPHRASE,
        [(C, "pkcs12"), (C, "pkcs12"), (K, "pkcs12")],
    ),
    (
        "pkcs12_without_password",
        lambda m: (m.p12_unencrypted(), [m.server_cert, m.ca_cert, m.server_key]),
        None,
        [(C, "pkcs12"), (C, "pkcs12"), (K, "pkcs12")],
    ),
    (
        "pkcs12_certificates_only",
        lambda m: (m.p12_certs_only(PASSPHRASE), [m.server_cert, m.ca_cert]),
        PASSPHRASE,
        [(C, "pkcs12"), (C, "pkcs12")],
    ),
    (
        "pkcs12_key_only",
        lambda m: (legacy_pkcs12(m.ec_key, None, None), [m.ec_key]),
        PASSPHRASE,
        [(K, "pkcs12")],
    ),
]


@pytest.mark.parametrize(
    ("builder", "passphrase", "expected"), [c[1:] for c in FORMAT_CASES], ids=[c[0] for c in FORMAT_CASES]
)
def test_every_format_loads_with_kind_format_and_object(m, builder, passphrase, expected):
    data, objects = builder(m)
    items = formats.load_bytes(data, passphrase, source="upload.bin")
    assert [(item.kind, item.format) for item in items] == expected
    assert [_fingerprint(item.obj) for item in items] == [_fingerprint(obj) for obj in objects]
    assert [item.index for item in items] == list(range(len(items)))
    assert all(item.source == "upload.bin" for item in items)


def test_file_name_plays_no_part(m, tmp_path):
    misleading = tmp_path / "certificate.pem"
    misleading.write_bytes(m.key_bytes(m.ec_key, DER, PKCS8))
    items = formats.load_file(str(misleading))
    assert [(item.kind, item.format, item.source) for item in items] == [(K, "pkcs8_der", str(misleading))]


@pytest.mark.parametrize(("key_name", "expected"), [("server_key", "rsa"), ("ec_key", "ec"), ("ed_key", "ed25519")])
def test_key_type_is_marked(m, key_name, expected):
    (item,) = formats.load_bytes(m.key_bytes(getattr(m, key_name), PEM, PKCS8))
    assert item.key_type == expected


@pytest.mark.parametrize(
    ("encoding", "expected_format"), [(DER, "legacy_der"), (PEM, "legacy_pem")], ids=["der", "pem"]
)
def test_dsa_key_loads_and_is_marked(encoding, expected_format):
    key = dsa.generate_private_key(key_size=1024)
    (item,) = formats.load_bytes(key.private_bytes(encoding, TRADITIONAL, serialization.NoEncryption()))
    assert (item.kind, item.format, item.key_type) == (K, expected_format, "dsa")
    assert item.describe() == f"private key ({formats.FORMAT_LABELS[expected_format]}) DSA 1024"


def test_pkcs12_friendly_name_is_kept(m):
    items = formats.load_bytes(m.p12_modern(), PASSPHRASE)
    assert items[0].friendly_name == "server"
    assert "friendly name 'server'" in items[0].describe()


def test_text_passphrase_and_text_input(m):
    pem = m.key_bytes(m.server_key, PEM, PKCS8, PASSPHRASE).decode("ascii")
    (item,) = formats.load_bytes(pem, PASSPHRASE.decode("utf-8"))
    assert item.format == "pkcs8_pem_encrypted"


def test_pkcs12_without_password_ignores_a_given_passphrase_and_says_so(m):
    result = formats.load_bytes_with_notes(m.p12_unencrypted(), passphrase=b"not needed")
    assert [item.kind for item in result.items] == [C, C, K]
    assert any("not password-protected" in note for note in result.notes)


def _mixed_pem(m) -> bytes:
    key_pem = m.key_bytes(m.server_key, PEM, TRADITIONAL, PASSPHRASE)
    text = (
        b"  \n"
        b"Bag Attributes\n    localKeyID: 01 00 00 00\n    friendlyName: support-2026\n"
        b"subject=CN = support.example.com\nissuer=CN = Formats Test Root CA\n"
        + m.cert_pem
        + b"Certificate:\n    Data:\n        Version: 3 (0x2)\n        Issuer: CN = Formats Test Root CA\n"
        + m.ca_cert.public_bytes(PEM)
        + pem_block("X509 CRL", b"\x30\x00").encode()
        + b"Key follows:\n"
        + key_pem
        + b"trailing words\n"
    )
    return b"\xef\xbb\xbf" + text.replace(b"\n", b"\r\n")


def test_multi_block_pem_with_text_bom_and_crlf(m):
    result = formats.load_bytes_with_notes(_mixed_pem(m), PASSPHRASE, source="bundle.pem")
    assert [(item.kind, item.format) for item in result.items] == [
        (C, "pem_x509"),
        (C, "pem_x509"),
        (K, "legacy_pem_encrypted"),
    ]
    assert [item.index for item in result.items] == [0, 1, 2]
    assert result.items[0].friendly_name == "support-2026"
    assert result.items[1].friendly_name is None
    assert formats.private_keys(result.items)[0].private_numbers() == m.server_key.private_numbers()
    (note,) = result.notes
    assert "'X509 CRL'" in note
    assert "block 3" in note
    assert "skipped" in note


def test_openssh_key_block_is_skipped_with_a_note(m):
    openssh = m.key_bytes(m.ed_key, PEM, serialization.PrivateFormat.OpenSSH)
    result = formats.load_bytes_with_notes(m.cert_pem + openssh)
    assert [item.kind for item in result.items] == [C]
    line = m.cert_pem.count(b"\n") + 1
    assert result.notes == (
        f"PEM block 'OPENSSH PRIVATE KEY' (block 2, line {line}) skipped: "
        "a private key in a format that is not imported.",
    )


def test_multi_block_pem_asks_for_the_passphrase_of_its_key(m):
    with pytest.raises(PassphraseRequired, match="RSA PRIVATE KEY"):
        formats.load_bytes(_mixed_pem(m))


def test_utf16_text_with_bom_is_read(m):
    items = formats.load_bytes(m.cert_pem.decode("ascii").encode("utf-16"))
    assert [(item.kind, item.format) for item in items] == [(C, "pem_x509")]


ENCRYPTED_CASES = [
    ("pkcs8_der_encrypted", lambda m: m.key_bytes(m.server_key, DER, PKCS8, PASSPHRASE), "encrypted PKCS#8"),
    ("pkcs8_pem_encrypted", lambda m: m.key_bytes(m.server_key, PEM, PKCS8, PASSPHRASE), "ENCRYPTED PRIVATE KEY"),
    ("legacy_pem_encrypted", lambda m: m.key_bytes(m.ec_key, PEM, TRADITIONAL, PASSPHRASE), "EC PRIVATE KEY"),
    ("pkcs12_modern", lambda m: m.p12_modern(), "PKCS#12"),
    ("pkcs12_legacy", lambda m: m.p12_legacy(), "PKCS#12"),
]


@pytest.mark.parametrize(("builder", "names"), [c[1:] for c in ENCRYPTED_CASES], ids=[c[0] for c in ENCRYPTED_CASES])
def test_missing_passphrase_is_reported(m, builder, names):
    with pytest.raises(PassphraseRequired) as caught:
        formats.load_bytes(builder(m), source="export.bin")
    assert names in caught.value.message
    assert "'export.bin'" in caught.value.message
    assert "no passphrase" in caught.value.message


@pytest.mark.parametrize(("builder", "names"), [c[1:] for c in ENCRYPTED_CASES], ids=[c[0] for c in ENCRYPTED_CASES])
@pytest.mark.parametrize("wrong", [b"wrong passphrase", "wrong passphrase", b""])
def test_wrong_passphrase_is_reported(m, builder, names, wrong):
    with pytest.raises(WrongPassphrase) as caught:
        formats.load_bytes(builder(m), passphrase=wrong, source="export.bin")
    assert names in caught.value.message
    assert "'export.bin'" in caught.value.message
    assert caught.value.message.startswith("Wrong passphrase")
    assert "check the passphrase the exporter used" in str(caught.value).lower()


def test_too_large_input_is_refused_with_size_and_cap():
    data = b"A" * (formats.MAX_INPUT_BYTES + 1)
    with pytest.raises(InputTooLarge) as caught:
        formats.load_bytes(data, source="huge.pem")
    assert str(formats.MAX_INPUT_BYTES + 1) in caught.value.message
    assert str(formats.MAX_INPUT_BYTES) in caught.value.message
    assert "'huge.pem'" in caught.value.message


def test_too_large_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "huge.p12"
    with open(path, "wb") as handle:
        handle.truncate(5 * formats.MAX_INPUT_BYTES)

    def refuse_to_open(*args, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(formats, "open", refuse_to_open, raising=False)
    with pytest.raises(InputTooLarge, match=str(5 * formats.MAX_INPUT_BYTES)):
        formats.load_file(str(path))


def test_missing_file_is_a_pki_error(tmp_path):
    with pytest.raises(PKIError, match="Cannot read"):
        formats.load_file(str(tmp_path / "absent.pem"))


@pytest.mark.parametrize(
    "garbage",
    [b"\x00\x01\x02 not a certificate", b"hello world\n", b"0\x82\xff\xff truncated", b"\x30\x03\x02\x01\x05"],
)
def test_garbage_lists_every_format_tried(garbage):
    with pytest.raises(UnrecognizedFormat) as caught:
        formats.load_bytes(garbage, source="mystery.bin")
    for tried in formats.FORMATS_TRIED:
        assert tried in caught.value.message
    assert "'mystery.bin'" in caught.value.message


@pytest.mark.parametrize("empty", [b"", b"   \r\n\t", "", b"\xef\xbb\xbf\n"])
def test_empty_input_is_unrecognized(empty):
    with pytest.raises(UnrecognizedFormat, match="empty"):
        formats.load_bytes(empty)


def test_non_bytes_input_is_unrecognized():
    with pytest.raises(UnrecognizedFormat, match="int"):
        formats.load_bytes(12345)


def test_corrupt_certificate_block_names_type_and_position(m):
    broken = m.cert_pem.replace(b"-----BEGIN CERTIFICATE-----\n", b"-----BEGIN CERTIFICATE-----\nAAAA")
    data = m.ca_cert.public_bytes(PEM) + b"\nnotes\n" + broken
    with pytest.raises(UnrecognizedFormat) as caught:
        formats.load_bytes(data)
    assert "'CERTIFICATE'" in caught.value.message
    assert "block 2" in caught.value.message
    begin_line = data[: data.index(b"-----BEGIN", 1)].count(b"\n") + 1
    assert f"line {begin_line})" in caught.value.message


def test_bad_base64_in_block_names_type(m):
    data = m.cert_pem.replace(b"\n", b"\n!", 1)
    with pytest.raises(UnrecognizedFormat, match=r"'CERTIFICATE' \(block 1, line 1\).*base64"):
        formats.load_bytes(data)


def test_certificate_block_without_end_line_is_refused(m):
    data = m.cert_pem.split(b"-----END")[0]
    with pytest.raises(UnrecognizedFormat, match="no '-----END CERTIFICATE-----' line"):
        formats.load_bytes(data)


def test_only_unknown_blocks_is_unrecognized_and_names_them(m):
    data = m.server_key.public_key().public_bytes(PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(UnrecognizedFormat, match="'PUBLIC KEY'"):
        formats.load_bytes(data)


@pytest.mark.parametrize("encoding", [DER, PEM], ids=["der", "pem"])
def test_certificate_request_is_pointed_to_load_csr(m, encoding):
    with pytest.raises(UnrecognizedFormat, match=r"(?i)certificate request"):
        formats.load_bytes(m.csr().public_bytes(encoding))


def _fuzz_samples(m) -> list[bytes]:
    return [
        m.cert_der,
        m.cert_pem,
        m.p7_der,
        m.key_bytes(m.ec_key, DER, PKCS8),
        m.key_bytes(m.ec_key, DER, TRADITIONAL),
        m.key_bytes(m.ec_key, DER, PKCS8, PASSPHRASE),
        m.key_bytes(m.ec_key, PEM, TRADITIONAL, PASSPHRASE),
        legacy_pkcs12(m.ec_key, m.ec_cert, None),
    ]


def test_damaged_input_only_ever_raises_our_errors(m):
    """Truncated and bit-flipped inputs: items or a PKIError, never a raw library exception."""
    rng = random.Random(20260101)
    outcomes = {"loaded": 0, "refused": 0}
    for sample in _fuzz_samples(m):
        variants = [sample[:cut] for cut in sorted(rng.sample(range(1, len(sample)), 12))]
        for _attempt in range(20):
            damaged = bytearray(sample)
            damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
            variants.append(bytes(damaged))
        for variant in variants:
            for passphrase in (None, PASSPHRASE):
                try:
                    items = formats.load_bytes(variant, passphrase)
                except PKIError:
                    outcomes["refused"] += 1
                else:
                    assert items
                    outcomes["loaded"] += 1
    assert outcomes["refused"] > 100


# ---- certificate requests ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape",
    ["pem", "der", "pem_with_text_and_crlf", "new_certificate_request_label", "text"],
)
def test_load_csr_reads_every_shape(m, shape):
    csr = m.csr()
    data = {
        "pem": csr.public_bytes(PEM),
        "der": csr.public_bytes(DER),
        "pem_with_text_and_crlf": (b"Request for the CA:\n" + csr.public_bytes(PEM) + b"end\n").replace(b"\n", b"\r\n"),
        "new_certificate_request_label": pem_block("NEW CERTIFICATE REQUEST", csr.public_bytes(DER)).encode(),
        "text": csr.public_bytes(PEM).decode("ascii"),
    }[shape]
    loaded = formats.load_csr(data, source="req.pem")
    assert loaded.public_bytes(DER) == csr.public_bytes(DER)


def test_load_csr_refuses_a_certificate(m):
    with pytest.raises(UnrecognizedFormat, match=r"holds 0 certificate requests.*'CERTIFICATE'"):
        formats.load_csr(m.cert_pem)


def test_load_csr_refuses_two_requests(m):
    with pytest.raises(UnrecognizedFormat, match="holds 2 certificate requests"):
        formats.load_csr(m.csr().public_bytes(PEM) * 2)


@pytest.mark.parametrize("bad", [b"\x30\x03\x02\x01\x00", b"garbage"])
def test_load_csr_refuses_garbage(bad):
    with pytest.raises(UnrecognizedFormat, match="not a readable certificate request"):
        formats.load_csr(bad, source="req.der")


def test_load_csr_refuses_empty_and_large():
    with pytest.raises(UnrecognizedFormat, match="empty"):
        formats.load_csr(b"")
    with pytest.raises(InputTooLarge):
        formats.load_csr(b"-" * (formats.MAX_INPUT_BYTES + 1))


# ---- convenience filters and descriptions --------------------------------------------------------


def test_filters_keep_order_and_drop_duplicates(m):
    items = (
        formats.load_bytes(m.chain_pem + m.cert_pem + m.key_bytes(m.server_key, PEM, TRADITIONAL))
        + formats.load_bytes(m.p12_unencrypted())
        + formats.load_bytes(m.key_bytes(m.ec_key, DER, PKCS8))
    )
    assert len(items) == 8
    assert [certificate_fingerprint(c) for c in formats.certificates(items)] == [
        certificate_fingerprint(m.server_cert),
        certificate_fingerprint(m.ca_cert),
    ]
    assert [public_key_fingerprint(k) for k in formats.private_keys(items)] == [
        public_key_fingerprint(m.server_key),
        public_key_fingerprint(m.ec_key),
    ]


def test_describe_names_format_subject_and_fingerprint(m):
    (item,) = formats.load_bytes(m.cert_der, source="server.cer")
    text = item.describe()
    assert text.startswith("certificate (DER X.509) CN=support.example.com, sha256 ")
    assert certificate_fingerprint(m.server_cert) in text
    assert "server.cer" in text


@pytest.mark.parametrize(
    ("key_name", "private_format", "expected"),
    [
        ("server_key", PKCS8, "private key (PKCS#8 DER, encrypted) RSA 2048"),
        ("ec_key", PKCS8, "private key (PKCS#8 DER, encrypted) EC P-256"),
    ],
)
def test_describe_key_without_key_material(m, key_name, private_format, expected):
    key = getattr(m, key_name)
    (item,) = formats.load_bytes(m.key_bytes(key, DER, private_format, PASSPHRASE), PASSPHRASE)
    text = item.describe()
    assert text == expected
    unencrypted = key.private_bytes(PEM, PKCS8, serialization.NoEncryption()).decode()
    body = "".join(unencrypted.splitlines()[1:-1])
    assert body[:40] not in text
