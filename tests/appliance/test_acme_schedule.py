# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ACME client's renewal schedule as pure functions: when to renew, the ARI certificate id, the back-off,
and the renewal window read from a RenewalInfo object.

The examples of RFC 9773 (the certificate of its Appendix A and its id, the RenewalInfo object of section 4.2)
are among the cases.
"""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reference_appliance.acme import order, schedule

UTC = datetime.timezone.utc
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)

# RFC 9773, Appendix A: the example end-entity certificate, and its id from section 4.1.
RFC9773_CERTIFICATE = b"""-----BEGIN CERTIFICATE-----
MIIBQzCB66ADAgECAgUAh2VDITAKBggqhkjOPQQDAjAVMRMwEQYDVQQDEwpFeGFt
cGxlIENBMCIYDzAwMDEwMTAxMDAwMDAwWhgPMDAwMTAxMDEwMDAwMDBaMBYxFDAS
BgNVBAMTC2V4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeBZu
7cbpAYNXZLbbh8rNIzuOoqOOtmxA1v7cRm//AwyMwWxyHz4zfwmBhcSrf47NUAFf
qzLQ2PPQxdTXREYEnKMjMCEwHwYDVR0jBBgwFoAUaYhba4dGQEHhs3uEe6CuLN4B
yNQwCgYIKoZIzj0EAwIDRwAwRAIge09+S5TZAlw5tgtiVvuERV6cT4mfutXIlwTb
+FYN/8oCIClDsqBklhB9KAelFiYt9+6FDj3z4KGVelYM5MdsO3pK
-----END CERTIFICATE-----
"""
RFC9773_CERT_ID = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"
# RFC 9773, section 4.2: the example RenewalInfo object.
RFC9773_RENEWAL_INFO = {
    "suggestedWindow": {"start": "2025-01-02T04:00:00Z", "end": "2025-01-03T04:00:00Z"},
    "explanationURL": "https://acme.example.com/docs/ari",
}
RFC9773_WINDOW = schedule.Window(
    datetime.datetime(2025, 1, 2, 4, tzinfo=UTC), datetime.datetime(2025, 1, 3, 4, tzinfo=UTC)
)


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


# A 90-day certificate issued 2024-12-01 (as Let's Encrypt's), and a 24-second one (as a short Pebble one).
LONG = (at("2024-12-01T00:00:00Z"), at("2025-03-01T00:00:00Z"))
SHORT = (at("2026-12-06T05:00:00Z"), at("2026-12-06T05:00:24Z"))

DECISIONS = [
    # id, (not_before, not_after), now, window, fraction, installed_at, renew, renew_at, basis
    (
        "lifetime: two thirds not yet over",
        LONG,
        "2025-01-29T23:59:59Z",
        None,
        0.5,
        None,
        False,
        "2025-01-30T00:00:00Z",
        "lifetime",
    ),
    ("lifetime: a third left", LONG, "2025-01-30T00:00:00Z", None, 0.5, None, True, "2025-01-30T00:00:00Z", "lifetime"),
    ("lifetime: expired", LONG, "2025-03-02T00:00:00Z", None, 0.5, None, True, "2025-01-30T00:00:00Z", "lifetime"),
    (
        "short certificate: lifetime point",
        SHORT,
        "2026-12-06T05:00:15Z",
        None,
        0.5,
        SHORT[0],
        False,
        "2026-12-06T05:00:16Z",
        "lifetime",
    ),
    (
        "short certificate: due",
        SHORT,
        "2026-12-06T05:00:16Z",
        None,
        0.5,
        SHORT[0],
        True,
        "2026-12-06T05:00:16Z",
        "lifetime",
    ),
    (
        "RFC 9773 window: before the chosen point",
        LONG,
        "2025-01-02T15:59:59Z",
        RFC9773_WINDOW,
        0.5,
        None,
        False,
        "2025-01-02T16:00:00Z",
        "ari",
    ),
    (
        "RFC 9773 window: at the chosen point",
        LONG,
        "2025-01-02T16:00:00Z",
        RFC9773_WINDOW,
        0.5,
        None,
        True,
        "2025-01-02T16:00:00Z",
        "ari",
    ),
    (
        "RFC 9773 window: point at its start",
        LONG,
        "2025-01-02T04:00:00Z",
        RFC9773_WINDOW,
        0.0,
        None,
        True,
        "2025-01-02T04:00:00Z",
        "ari",
    ),
    (
        "RFC 9773 window: before the window",
        LONG,
        "2025-01-01T00:00:00Z",
        RFC9773_WINDOW,
        0.0,
        None,
        False,
        "2025-01-02T04:00:00Z",
        "ari",
    ),
    (
        "window wholly in the past: renew now (RFC 9773 4.2 step 3)",
        LONG,
        "2025-01-10T00:00:00Z",
        RFC9773_WINDOW,
        0.99,
        None,
        True,
        "2025-01-03T03:45:36Z",
        "ari",
    ),
    (
        "window end equal to start: no window, lifetime",
        LONG,
        "2025-01-02T05:00:00Z",
        schedule.Window(RFC9773_WINDOW.start, RFC9773_WINDOW.start),
        0.5,
        None,
        False,
        "2025-01-30T00:00:00Z",
        "lifetime",
    ),
    (
        "window end before start: no window, lifetime",
        LONG,
        "2025-01-02T05:00:00Z",
        schedule.Window(RFC9773_WINDOW.end, RFC9773_WINDOW.start),
        0.5,
        None,
        False,
        "2025-01-30T00:00:00Z",
        "lifetime",
    ),
    (
        "past window right after installing: held an hour",
        LONG,
        "2025-01-10T00:30:00Z",
        RFC9773_WINDOW,
        0.5,
        at("2025-01-10T00:00:00Z"),
        False,
        "2025-01-10T01:00:00Z",
        "ari",
    ),
    (
        "past window after the hold",
        LONG,
        "2025-01-10T01:00:00Z",
        RFC9773_WINDOW,
        0.5,
        at("2025-01-10T00:00:00Z"),
        True,
        "2025-01-10T01:00:00Z",
        "ari",
    ),
    (
        "short certificate installed after its point: held a quarter of its lifetime",
        SHORT,
        "2026-12-06T05:00:20Z",
        None,
        0.5,
        at("2026-12-06T05:00:19Z"),
        False,
        "2026-12-06T05:00:25Z",
        "lifetime",
    ),
]


@pytest.mark.parametrize(
    ("validity", "now", "window", "fraction", "installed_at", "renew", "renew_at", "basis"),
    [case[1:] for case in DECISIONS],
    ids=[case[0] for case in DECISIONS],
)
def test_renewal_decision(validity, now, window, fraction, installed_at, renew, renew_at, basis):
    decision = schedule.renewal_decision(
        *validity, at(now), window=window, fraction=fraction, installed_at=installed_at
    )
    assert decision == schedule.RenewalDecision(renew=renew, renew_at=at(renew_at), basis=basis)


def test_a_check_right_after_a_success_does_not_renew_again():
    """Whatever the certificate's dates and the CA's window, the check after installing orders nothing."""
    for not_before, not_after in (LONG, SHORT, (at("2025-01-01T00:00:00Z"), at("2025-01-01T00:00:03Z"))):
        for window in (None, RFC9773_WINDOW):
            installed = max(not_before, at("2025-01-10T00:00:00Z")) if window else not_before
            decision = schedule.renewal_decision(not_before, not_after, installed, window, 0.5, installed)
            assert not decision.renew, (not_before, not_after, window)
            assert decision.renew_at > installed


def test_the_rfc_9773_certificate_id():
    certificate = x509.load_pem_x509_certificate(RFC9773_CERTIFICATE)
    assert schedule.ari_cert_id(certificate) == RFC9773_CERT_ID


@pytest.mark.parametrize(
    ("serial", "content"),
    [
        (0x87654321, bytes.fromhex("0087654321")),  # RFC 9773: a leading zero keeps it positive
        (0x7F, bytes.fromhex("7f")),
        (0x80, bytes.fromhex("0080")),
        (0x0100, bytes.fromhex("0100")),
        (0, bytes.fromhex("00")),
    ],
)
def test_serial_der_content(serial, content):
    assert schedule.serial_der_content(serial) == content


def test_a_certificate_without_authority_key_identifier_has_no_ari_id():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x.example.com")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(LONG[0])
        .not_valid_after(LONG[1])
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(ValueError, match="Authority Key Identifier"):
        schedule.ari_cert_id(cert)


@pytest.mark.parametrize(
    ("renewal_info", "window"),
    [
        (RFC9773_RENEWAL_INFO, RFC9773_WINDOW),
        (
            {"suggestedWindow": {"start": "2025-01-02T04:00:00.5+02:00", "end": "2025-01-03T04:00:00Z"}},
            schedule.Window(at("2025-01-02T02:00:00.5Z"), RFC9773_WINDOW.end),
        ),
        ({"suggestedWindow": {"start": "2025-01-03T04:00:00Z", "end": "2025-01-03T04:00:00Z"}}, None),
        ({"suggestedWindow": {"start": "2025-01-03T04:00:00Z", "end": "2025-01-02T04:00:00Z"}}, None),
        ({"suggestedWindow": {"start": "2025-01-02T04:00:00", "end": "2025-01-03T04:00:00Z"}}, None),
        ({"suggestedWindow": {"start": "soon", "end": "2025-01-03T04:00:00Z"}}, None),
        ({"suggestedWindow": {"start": "2025-01-02T04:00:00Z"}}, None),
        ({}, None),
        ([], None),
    ],
)
def test_the_window_of_a_renewal_info_object(renewal_info, window):
    assert order.window_of(renewal_info) == window


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, datetime.timedelta(0)), (1, 5 * 60), (2, 10 * 60), (3, 20 * 60), (9, 1280 * 60), (10, DAY), (1000, DAY)],
)
def test_retry_delay_backs_off(failures, delay):
    expected = delay if isinstance(delay, datetime.timedelta) else datetime.timedelta(seconds=delay)
    assert schedule.retry_delay(failures) == expected


NOW = at("2025-01-02T00:00:00Z")


@pytest.mark.parametrize(
    ("retry_after", "failed", "delay"),
    [
        ("21600", False, 6 * HOUR),  # RFC 9773's example
        ("10", False, datetime.timedelta(minutes=1)),
        ("999999", False, DAY),
        ("Thu, 02 Jan 2025 02:00:00 GMT", False, 2 * HOUR),
        (None, False, 6 * HOUR),
        ("later", False, 6 * HOUR),
        ("21600", True, 6 * HOUR),
    ],
)
def test_ari_recheck_after(retry_after, failed, delay):
    assert schedule.ari_recheck_after(retry_after, NOW, failed=failed) == delay


def test_the_selection_fraction_is_fixed_per_certificate():
    first, second = schedule.selection_fraction(b"one"), schedule.selection_fraction(b"two")
    assert first == schedule.selection_fraction(b"one")
    assert first != second
    assert 0 <= first < 1 and 0 <= second < 1
