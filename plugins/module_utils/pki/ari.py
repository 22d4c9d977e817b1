# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ACME Renewal Information (ARI, RFC 9773): when the CA suggests renewing a certificate it issued.

An ACME CA that offers ARI names a ``renewalInfo`` URL in its directory. A GET
of ``<renewalInfo>/<certificate id>`` (no account, no signature) answers with a
``suggestedWindow`` (``start``, ``end``) and, optionally, an ``explanationURL``.
The certificate id is the base64url of the certificate's Authority Key
Identifier, a dot, and the base64url of its serial number's DER content octets
(RFC 9773 section 4.1).

:func:`acme_renewal_decision` is the one rule: inside the CA's window (or past
it) renewal is due; before it, it is not; without a usable window the lifetime
rule of :mod:`renewal` decides, and the reason says why. A certificate younger
than :func:`minimum_age` is never renewed by a window, so a CA that answers
"renew now" for every certificate cannot make one run, or the next, issue again.
"""

from __future__ import annotations

import base64
import datetime
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request

from .errors import SpecError
from .renewal import parse_time, renewal_decision

try:
    from cryptography import x509
    from cryptography.x509.oid import ExtensionOID
except ImportError:  # reported by deps.require_cryptography()
    x509 = ExtensionOID = None

BASIS_ARI = "ari"
BASIS_LIFETIME = "lifetime"
DEFAULT_TIMEOUT = 10.0
MAX_ANSWER_BYTES = 64 * 1024
# A certificate is not renewed by an ARI window before this share of its lifetime (at most a day) has passed.
MINIMUM_AGE = datetime.timedelta(days=1)
MINIMUM_AGE_FRACTION = 0.1
_UTC = datetime.timezone.utc


# --- the certificate id ------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def serial_octets(serial: int) -> bytes:
    """The content octets of the DER INTEGER of a (non-negative) serial number: a leading zero when its top bit is
    set, as DER needs."""
    return int(serial).to_bytes(int(serial).bit_length() // 8 + 1, "big")


def id_of(key_identifier: bytes, serial: int) -> str:
    """The ARI certificate id from the Authority Key Identifier's keyIdentifier and the serial number."""
    return f"{_b64url(bytes(key_identifier))}.{_b64url(serial_octets(serial))}"


def certificate_id(cert) -> str | None:
    """The ARI certificate id of a ``cryptography`` certificate; None when it has no Authority Key Identifier with
    a keyIdentifier (ARI cannot name such a certificate)."""
    try:
        extension = cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    except (x509.ExtensionNotFound, ValueError):
        return None
    if not extension.value.key_identifier:
        return None
    return id_of(extension.value.key_identifier, cert.serial_number)


# --- the window --------------------------------------------------------------------------------


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=_UTC)


def _time(value) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        return _aware(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    # RFC 3339 allows fractions of a second finer than Python 3.10's fromisoformat takes.
    if "." in text:
        head, _dot, tail = text.partition(".")
        digits = "".join(ch for ch in tail if ch.isdigit())
        zone = tail[len(digits) :]
        text = f"{head}.{(digits + '000000')[:6]}{zone}"
    try:
        return _aware(datetime.datetime.fromisoformat(text))
    except ValueError:
        return None


def parse_window(window) -> tuple:
    """``(start, end, problem)``: the window as aware datetimes, or ``(None, None, why it cannot be used)``.

    Takes the ``suggestedWindow`` of a renewalInfo answer, or ``{start, end}``. RFC 9773 section 4.2: the end must be
    after the start; a window that is not so is not used.
    """
    if window is None:
        return None, None, "the CA gave no renewal window"
    if not isinstance(window, dict):
        return None, None, f"the CA's renewal window is not an object ({type(window).__name__})"
    start, end = _time(window.get("start")), _time(window.get("end"))
    if start is None or end is None:
        return None, None, "the CA's renewal window has no valid start and end times"
    if end <= start:
        return None, None, f"the CA's renewal window ends ({_iso(end)}) before it starts ({_iso(start)})"
    return start, end, None


def minimum_age(not_before: datetime.datetime, not_after: datetime.datetime) -> datetime.timedelta:
    """How old a certificate must be before an ARI window may renew it: a tenth of its lifetime, at most a day."""
    lifetime = _aware(not_after) - _aware(not_before)
    return max(datetime.timedelta(0), min(MINIMUM_AGE, lifetime * MINIMUM_AGE_FRACTION))


def acme_renewal_decision(
    not_before,
    not_after,
    now=None,
    window=None,
    no_window_reason: str | None = None,
    renew_before_days=None,
    renew_before_percent=None,
) -> dict:
    """Whether an ACME certificate is due for renewal: by the CA's ARI window when there is a usable one, else by the
    lifetime rule (with ``renew_before_days`` or ``renew_before_percent`` as given).

    ``window`` is the ``suggestedWindow`` for this certificate (``{start, end}``) or None; ``no_window_reason`` says
    why there is none (for the reason's text). Returns ``{renewal_due, reason, basis, ari_window, renew_at,
    not_after, days_left}``; ``basis`` is ``ari`` or ``lifetime``.

    - Expired: due, whatever the window says.
    - A usable window: due once now is at or after its start (inside it, or past its end: then at once, as RFC 9773
      section 4.2 says), unless the certificate is younger than :func:`minimum_age`; not due before the start.
    - No usable window: the lifetime rule decides.
    """
    start_of_life, end_of_life = parse_time(not_before), parse_time(not_after)
    current = parse_time(now) if now is not None else datetime.datetime.now(_UTC)
    days_left = round((end_of_life - current).total_seconds() / 86400, 2)
    start, end, problem = parse_window(window)
    if problem:
        lifetime = renewal_decision(
            start_of_life,
            end_of_life,
            now=current,
            renew_before_days=renew_before_days,
            renew_before_percent=renew_before_percent,
        ).as_dict()
        why = no_window_reason or problem
        lifetime.update(
            basis=BASIS_LIFETIME,
            ari_window=None,
            reason=f"{lifetime['reason']} ({why}, so the lifetime rule decides)",
        )
        return lifetime
    shown = f"ARI window from {_iso(start)} to {_iso(end)}"
    result = {
        "basis": BASIS_ARI,
        "ari_window": {"start": _iso(start), "end": _iso(end)},
        "renew_at": _iso(start),
        "not_after": _iso(end_of_life),
        "days_left": days_left,
    }
    if current >= end_of_life:
        return {**result, "renewal_due": True, "reason": f"expired on {_iso(end_of_life)}"}
    if current < start:
        reason = f"not due until the {shown} (the CA's renewal information); {days_left:.1f} days left"
        return {**result, "renewal_due": False, "reason": reason}
    youngest = minimum_age(start_of_life, end_of_life)
    if current - start_of_life < youngest:
        wait_until = start_of_life + youngest
        reason = (
            f"the CA's {shown} is open, but the certificate was issued at {_iso(start_of_life)}, less than "
            f"{_duration(youngest)} ago, so it is not renewed again before {_iso(wait_until)}; "
            f"{days_left:.1f} days left"
        )
        return {**result, "renew_at": _iso(wait_until), "renewal_due": False, "reason": reason}
    if current >= end:
        reason = (
            f"the {shown} has passed, so it is renewed now (the CA's renewal information); {days_left:.1f} days left"
        )
    else:
        reason = f"now is inside the {shown} (the CA's renewal information); {days_left:.1f} days left"
    return {**result, "renewal_due": True, "reason": reason}


def _duration(delta: datetime.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours >= 24 and hours % 24 == 0:
        days = int(hours // 24)
        return f"{days} day" + ("s" if days != 1 else "")
    return f"{hours:g} hours"


# --- reading the CA's renewal information --------------------------------------------------------


class RenewalInfoError(Exception):
    """The CA's directory or renewal information could not be read; the message says what and why."""


def _context(ca_path: str | None) -> ssl.SSLContext:
    """The system's trust, plus the CAs of ``ca_path`` (the directory's HTTPS may be signed by a private CA)."""
    context = ssl.create_default_context()
    if ca_path:
        context.load_verify_locations(cafile=ca_path)
    return context


def _get_json(url: str, context: ssl.SSLContext, timeout: float) -> dict:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() != "https":
        raise RenewalInfoError(f"{url} is not an https:// URL")
    request = urllib.request.Request(url, headers={"Accept": "application/json"}, method="GET")
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
        with opener.open(request, timeout=timeout) as answer:
            body = answer.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise RenewalInfoError(f"GET {url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RenewalInfoError(f"GET {url} failed: {reason}") from None
    if len(body) > MAX_ANSWER_BYTES:
        raise RenewalInfoError(f"GET {url} answered more than {MAX_ANSWER_BYTES} bytes")
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise RenewalInfoError(f"GET {url} answered something that is not JSON") from None
    if not isinstance(value, dict):
        raise RenewalInfoError(f"GET {url} answered JSON that is not an object")
    return value


def renewal_info_url(directory: dict) -> str | None:
    """The ``renewalInfo`` URL of an ACME directory, or None when the CA offers no ARI."""
    url = (directory or {}).get("renewalInfo")
    return url if isinstance(url, str) and url else None


def read_directory(directory_url: str, ca_path: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> dict:
    """The ACME directory object; RenewalInfoError when it cannot be read."""
    return _get_json(directory_url, _context(ca_path), timeout)


def read_window(
    directory: dict, cert, ca_path: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> tuple[dict | None, str | None]:
    """``(window, why_none)`` for a ``cryptography`` certificate: the CA's ``suggestedWindow``, or None with the
    reason (no renewalInfo in the directory, no Authority Key Identifier, an answer that cannot be read)."""
    base = renewal_info_url(directory)
    if base is None:
        return None, "the CA offers no renewal information (ARI): its directory has no renewalInfo"
    ident = certificate_id(cert)
    if ident is None:
        return None, "the certificate has no Authority Key Identifier, which ARI needs to name it"
    try:
        answer = _get_json(f"{base.rstrip('/')}/{ident}", _context(ca_path), timeout)
    except RenewalInfoError as exc:
        return None, f"the CA's renewal information could not be read ({exc})"
    window = answer.get("suggestedWindow")
    _start, _end, problem = parse_window(window)
    if problem:
        return None, problem
    return {"start": window["start"], "end": window["end"]}, None


def check_window_option(window) -> None:
    """Refuse an ``ari_window`` spec value that is not None or ``{start, end}``."""
    if window is not None and not isinstance(window, dict):
        raise SpecError(
            f"ari_window must be null or a mapping with start and end, got {type(window).__name__}.",
            hint="Give the suggestedWindow of the CA's renewal information for the current certificate.",
        )
