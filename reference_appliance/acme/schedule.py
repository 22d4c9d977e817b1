# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""When the installed ACME certificate is renewed: pure functions of the certificate, the CA's advice and now.

- With a renewal window from the CA (ARI, RFC 9773): at a point inside the window. The point is chosen once per
  certificate (a fraction derived from the certificate's own bytes), so every check reaches the same answer
  instead of drawing a new random time and drifting early. A window whose end is not after its start is no
  window (RFC 9773 section 4.2).
- Without one: once a third of the certificate's lifetime is left.
- Never within a hold after the certificate was installed (a quarter of its lifetime, at most an hour), however
  early the CA's window or the certificate's dates say: one certificate never leads to two orders in a row.
- After a failed order the next attempt waits: 5 minutes, doubling up to a day.
"""

from __future__ import annotations

import base64
import datetime
import email.utils
import hashlib
from dataclasses import dataclass

from cryptography import x509

BASIS_ARI = "ari"
BASIS_LIFETIME = "lifetime"
LIFETIME_LEFT = 1 / 3
MAX_HOLD = datetime.timedelta(hours=1)
FIRST_RETRY = datetime.timedelta(minutes=5)
MAX_RETRY = datetime.timedelta(days=1)
ARI_MIN_RECHECK = datetime.timedelta(minutes=1)
ARI_MAX_RECHECK = datetime.timedelta(days=1)
ARI_ERROR_RECHECK = datetime.timedelta(hours=6)


@dataclass(frozen=True)
class Window:
    """A suggested renewal window (RFC 9773 ``suggestedWindow``)."""

    start: datetime.datetime
    end: datetime.datetime

    @property
    def valid(self) -> bool:
        """RFC 9773: a window whose end equals or precedes its start is treated as no answer."""
        return self.end > self.start


@dataclass(frozen=True)
class RenewalDecision:
    """Whether to order now, when the renewal is (or was) due, and what that time rests on."""

    renew: bool
    renew_at: datetime.datetime
    basis: str  # BASIS_ARI | BASIS_LIFETIME


def renewal_point(
    not_before: datetime.datetime,
    not_after: datetime.datetime,
    window: Window | None = None,
    fraction: float = 0.5,
) -> tuple[datetime.datetime, str]:
    """The time the certificate is due for renewal and its basis, before any hold."""
    if window is not None and window.valid:
        return window.start + (window.end - window.start) * min(max(fraction, 0.0), 1.0), BASIS_ARI
    return not_after - (not_after - not_before) * LIFETIME_LEFT, BASIS_LIFETIME


def hold(not_before: datetime.datetime, not_after: datetime.datetime) -> datetime.timedelta:
    """How long a newly installed certificate is kept before any renewal: a quarter of its lifetime, at most
    an hour."""
    return min((not_after - not_before) / 4, MAX_HOLD)


def renewal_decision(
    not_before: datetime.datetime,
    not_after: datetime.datetime,
    now: datetime.datetime,
    window: Window | None = None,
    fraction: float = 0.5,
    installed_at: datetime.datetime | None = None,
) -> RenewalDecision:
    """Renew now or not, and when: the point of :func:`renewal_point`, not before ``installed_at`` plus the hold."""
    point, basis = renewal_point(not_before, not_after, window, fraction)
    if installed_at is not None:
        point = max(point, installed_at + hold(not_before, not_after))
    return RenewalDecision(renew=now >= point, renew_at=point, basis=basis)


def selection_fraction(certificate_der: bytes) -> float:
    """A number in [0, 1) fixed for one certificate: where in the CA's window it is renewed."""
    return int.from_bytes(hashlib.sha256(certificate_der).digest()[:8], "big") / 2**64


def retry_delay(failures: int) -> datetime.timedelta:
    """How long to wait after ``failures`` failed orders in a row: 5 minutes, doubling, at most a day."""
    if failures <= 0:
        return datetime.timedelta(0)
    return min(FIRST_RETRY * 2 ** min(failures - 1, 32), MAX_RETRY)


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def serial_der_content(serial: int) -> bytes:
    """The content octets of the DER INTEGER of a (non-negative) serial number: a leading zero keeps it
    positive when its top bit is set."""
    return serial.to_bytes(serial.bit_length() // 8 + 1, "big")


def ari_cert_id(certificate: x509.Certificate) -> str:
    """RFC 9773 section 4.1: base64url(AKI keyIdentifier) "." base64url(serial DER content), without padding.

    ValueError when the certificate has no Authority Key Identifier with a keyIdentifier.
    """
    try:
        aki = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        aki = None
    if aki is None or aki.key_identifier is None:
        raise ValueError("the certificate has no Authority Key Identifier keyIdentifier, so ARI cannot name it")
    return f"{_base64url(aki.key_identifier)}.{_base64url(serial_der_content(certificate.serial_number))}"


def parse_time(text) -> datetime.datetime | None:
    """An RFC 3339 timestamp (``Z`` or an offset, fractions allowed) as an aware datetime, or None."""
    if not isinstance(text, str):
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(datetime.timezone.utc)


def ari_recheck_after(retry_after: str | None, now: datetime.datetime, failed: bool = False) -> datetime.timedelta:
    """How long until the renewal information is fetched again (RFC 9773 section 4.3): the server's Retry-After
    held between a minute and a day; six hours after an error or without a usable Retry-After."""
    if failed or not retry_after:
        return ARI_ERROR_RECHECK
    text = retry_after.strip()
    if text.isdigit():
        delay = datetime.timedelta(seconds=int(text))
    else:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return ARI_ERROR_RECHECK
        if when is None or when.tzinfo is None:
            return ARI_ERROR_RECHECK
        delay = when - now
    return min(max(delay, ARI_MIN_RECHECK), ARI_MAX_RECHECK)
