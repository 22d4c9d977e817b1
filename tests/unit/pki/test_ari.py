# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ACME Renewal Information (RFC 9773): the certificate id, the window, and the one renewal rule.

The certificate id and the window are RFC 9773's examples (section 4.1: Authority Key Identifier
69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4 and serial 00:87:65:43:21; section 4.2: the
window from 2025-01-02T04:00:00Z to 2025-01-03T04:00:00Z). The certificate of the table lives 90 days and
ends a day after that window.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import ssl
import threading
import typing

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import ari
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

UTC = datetime.timezone.utc
RFC_KEY_IDENTIFIER = bytes.fromhex("69885B6B87464041E1B37B847BA0AE2CDE01C8D4")
RFC_SERIAL = 0x87654321
RFC_CERT_ID = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"
RFC_WINDOW = {"start": "2025-01-02T04:00:00Z", "end": "2025-01-03T04:00:00Z"}
RFC_ANSWER = {"suggestedWindow": RFC_WINDOW, "explanationURL": "https://acme.example.com/docs/ari"}
NOT_BEFORE = "2024-10-06T04:00:00Z"
NOT_AFTER = "2025-01-04T04:00:00Z"  # 90 days
SHOWN = "ARI window from 2025-01-02T04:00:00Z to 2025-01-03T04:00:00Z"


def certificate(key_identifier: bytes | None = RFC_KEY_IDENTIFIER, serial: int = RFC_SERIAL):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "example.com")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(datetime.datetime(2024, 10, 6, 4, tzinfo=UTC))
        .not_valid_after(datetime.datetime(2025, 1, 4, 4, tzinfo=UTC))
    )
    if key_identifier is not None:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier(key_identifier, None, None), critical=False)
    return builder.sign(key, hashes.SHA256())


# --- the certificate id ----------------------------------------------------------------------------------


def test_the_rfc_certificate_id():
    assert ari.id_of(RFC_KEY_IDENTIFIER, RFC_SERIAL) == RFC_CERT_ID
    assert ari.certificate_id(certificate()) == RFC_CERT_ID


@pytest.mark.parametrize(
    ("serial", "octets"),
    [(0x87654321, "0087654321"), (0x12, "12"), (0x80, "0080"), (0x7F, "7f"), (0x0100, "0100")],
)
def test_serial_octets_are_the_der_integer_content(serial, octets):
    assert ari.serial_octets(serial).hex() == octets


def test_a_certificate_without_authority_key_identifier_has_no_id():
    assert ari.certificate_id(certificate(key_identifier=None)) is None


# --- the window ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("window", "problem"),
    [
        (RFC_WINDOW, None),
        ({"start": "2025-01-02T04:00:00.123456789Z", "end": "2025-01-03T06:00:00+02:00"}, None),
        (None, "gave no renewal window"),
        ("soon", "not an object"),
        ({"start": "2025-01-02T04:00:00Z"}, "no valid start and end"),
        ({"start": "tomorrow", "end": "2025-01-03T04:00:00Z"}, "no valid start and end"),
        ({"start": "2025-01-03T04:00:00Z", "end": "2025-01-02T04:00:00Z"}, "ends (2025-01-02T04:00:00Z) before"),
        ({"start": "2025-01-02T04:00:00Z", "end": "2025-01-02T04:00:00Z"}, "before it starts"),
    ],
)
def test_parse_window(window, problem):
    start, end, found = ari.parse_window(window)
    if problem is None:
        assert found is None and start < end
    else:
        assert start is None and end is None and problem in found


# --- the rule: a table ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "window", "due", "basis", "words"),
    [
        # Before the window: not due, and the plan says until when.
        ("2025-01-01T00:00:00Z", RFC_WINDOW, False, "ari", f"not due until the {SHOWN}"),
        ("2024-12-20T00:00:00Z", RFC_WINDOW, False, "ari", "the CA's renewal information"),
        # Its start belongs to it; inside it, due.
        ("2025-01-02T04:00:00Z", RFC_WINDOW, True, "ari", f"now is inside the {SHOWN}"),
        ("2025-01-02T16:00:00Z", RFC_WINDOW, True, "ari", f"now is inside the {SHOWN}"),
        # Past its end (a client that did not run in it): due at once.
        ("2025-01-03T05:00:00Z", RFC_WINDOW, True, "ari", f"the {SHOWN} has passed, so it is renewed now"),
        # Expired: due whatever the window says.
        ("2025-01-04T05:00:00Z", RFC_WINDOW, True, "ari", "expired on 2025-01-04T04:00:00Z"),
        # A window that is not usable: the lifetime rule (two thirds of 90 days = 2024-12-05T04:00:00Z) decides.
        ("2024-12-01T00:00:00Z", None, False, "lifetime", "after two thirds of the lifetime"),
        ("2024-12-06T00:00:00Z", None, True, "lifetime", "renewal due since 2024-12-05T04:00:00Z"),
        (
            "2024-12-06T00:00:00Z",
            {"start": RFC_WINDOW["end"], "end": RFC_WINDOW["start"]},
            True,
            "lifetime",
            "before it starts (2025-01-03T04:00:00Z), so the lifetime rule decides",
        ),
    ],
)
def test_the_renewal_rule(now, window, due, basis, words):
    decision = ari.acme_renewal_decision(NOT_BEFORE, NOT_AFTER, now=now, window=window)
    assert decision["renewal_due"] is due
    assert decision["basis"] == basis
    assert words in decision["reason"], decision["reason"]
    if basis == "ari":
        assert decision["ari_window"] == RFC_WINDOW
    else:
        assert decision["ari_window"] is None


def test_without_a_window_the_reason_says_why_and_the_lifetime_options_apply():
    why = "the CA offers no renewal information (ARI): its directory has no renewalInfo"
    decision = ari.acme_renewal_decision(
        NOT_BEFORE, NOT_AFTER, now="2024-12-20T00:00:00Z", no_window_reason=why, renew_before_days=10
    )
    assert decision["renewal_due"] is False and decision["basis"] == "lifetime"
    assert "10 days before expiry" in decision["reason"]
    assert decision["reason"].endswith(f"({why}, so the lifetime rule decides)")


def test_with_a_window_it_decides_and_the_lifetime_options_do_not():
    # 30 days before expiry would be due on 2024-12-05; the CA's window says 2025-01-02.
    decision = ari.acme_renewal_decision(
        NOT_BEFORE, NOT_AFTER, now="2024-12-20T00:00:00Z", window=RFC_WINDOW, renew_before_days=30
    )
    assert decision["renewal_due"] is False and decision["renew_at"] == RFC_WINDOW["start"]


# --- never twice -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "due"),
    [
        (datetime.timedelta(seconds=5), False),  # the run that issued it
        (datetime.timedelta(minutes=10), False),  # the next run
        (datetime.timedelta(hours=23), False),
        (datetime.timedelta(days=1), True),  # a day old: a window the CA opened for it is followed
    ],
)
def test_a_certificate_just_issued_is_renewed_by_no_window(age, due):
    now = datetime.datetime(2025, 1, 2, 16, tzinfo=UTC)
    issued = now - age
    # A CA that says "renew now" for every certificate, even one it has just issued.
    always_open = {"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"}
    decision = ari.acme_renewal_decision(issued, issued + datetime.timedelta(days=90), now=now, window=always_open)
    assert decision["renewal_due"] is due, decision["reason"]
    if not due:
        assert "not renewed again before" in decision["reason"]


def test_a_run_that_renews_is_followed_by_runs_that_do_not():
    """Run 1 renews inside the window; the certificate it issues, with its own (later) window, is not due in run 1's
    second look nor in the next run an hour later."""
    now = datetime.datetime(2025, 1, 2, 16, tzinfo=UTC)
    assert ari.acme_renewal_decision(NOT_BEFORE, NOT_AFTER, now=now, window=RFC_WINDOW)["renewal_due"] is True
    issued, ends = now, now + datetime.timedelta(days=90)
    next_window = {"start": "2025-03-02T16:00:00Z", "end": "2025-03-04T16:00:00Z"}
    for later in (now, now + datetime.timedelta(hours=1)):
        for window in (next_window, RFC_WINDOW, None):  # its own window, a stale one, none
            decision = ari.acme_renewal_decision(issued, ends, now=later, window=window)
            assert decision["renewal_due"] is False, (window, decision["reason"])


def test_minimum_age_is_a_tenth_of_the_lifetime_at_most_a_day():
    start = datetime.datetime(2025, 1, 1, tzinfo=UTC)
    assert ari.minimum_age(start, start + datetime.timedelta(days=90)) == datetime.timedelta(days=1)
    assert ari.minimum_age(start, start + datetime.timedelta(days=6)) == datetime.timedelta(hours=14.4)


# --- reading the CA's renewal information ------------------------------------------------------------------


class _Answers(http.server.BaseHTTPRequestHandler):
    answers: typing.ClassVar[dict] = {}

    def do_GET(self):
        status, body = self.answers.get(self.path, (404, {"type": "urn:ietf:params:acme:error:malformed"}))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def _https_identity(directory):
    """A CA and a certificate for 127.0.0.1 signed by it: (ca file, certificate file, key file)."""
    from cryptography.hazmat.primitives import serialization

    now = datetime.datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test ACME directory CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=12))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


@pytest.fixture
def acme_server(tmp_path):
    """An HTTPS server on 127.0.0.1 answering fixed JSON by path, and the CA file to trust it with."""
    ca_file, cert_file, key_file = _https_identity(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"https://127.0.0.1:{server.server_address[1]}"
    yield base, str(ca_file), _Answers.answers
    server.shutdown()
    server.server_close()
    _Answers.answers = {}


def test_read_directory_and_window(acme_server):
    base, ca_path, answers = acme_server
    answers["/dir"] = (200, {"newOrder": f"{base}/new-order", "renewalInfo": f"{base}/renewal-info"})
    answers[f"/renewal-info/{RFC_CERT_ID}"] = (200, RFC_ANSWER)
    directory = ari.read_directory(f"{base}/dir", ca_path)
    assert ari.renewal_info_url(directory) == f"{base}/renewal-info"
    assert ari.read_window(directory, certificate(), ca_path) == (RFC_WINDOW, None)


@pytest.mark.parametrize(
    ("directory_has", "answer", "cert_kwargs", "words"),
    [
        (False, None, {}, "its directory has no renewalInfo"),
        (True, (404, {}), {}, "could not be read (GET"),
        (
            True,
            (200, {"suggestedWindow": {"start": "2025-01-03T04:00:00Z", "end": "2025-01-02T00:00:00Z"}}),
            {},
            "ends",
        ),
        (True, (200, RFC_ANSWER), {"key_identifier": None}, "no Authority Key Identifier"),
    ],
)
def test_no_usable_window_says_why(acme_server, directory_has, answer, cert_kwargs, words):
    base, ca_path, answers = acme_server
    directory = {"renewalInfo": f"{base}/renewal-info"} if directory_has else {"newOrder": f"{base}/new-order"}
    if answer:
        answers[f"/renewal-info/{RFC_CERT_ID}"] = answer
    window, why = ari.read_window(directory, certificate(**cert_kwargs), ca_path)
    assert window is None and words in why


def test_the_directory_is_trusted_only_with_its_ca(acme_server):
    base, _ca_path, answers = acme_server
    answers["/dir"] = (200, {})
    with pytest.raises(ari.RenewalInfoError, match="failed"):
        ari.read_directory(f"{base}/dir")
    with pytest.raises(ari.RenewalInfoError, match="not an https:// URL"):
        ari.read_directory(base.replace("https", "http") + "/dir")
