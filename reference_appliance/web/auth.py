# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who may use the web interface: the admin's credentials, sessions with their CSRF values, and the login throttle.

A session is a random id in a cookie (HttpOnly, Secure, SameSite=Strict, Path=/appliance) that names an entry
held here, in memory only. The login page opens a session that is not yet logged in, so its form carries a CSRF
value too; logging in replaces it by a new one (a session id seen before login is never trusted after it). A
session ends after ``idle_timeout`` seconds without a request, at "Log Out", and when the appliance stops.

The throttle counts failed logins per client address: the first ``FREE_FAILURES`` are answered at once, the next
ones after a growing delay (``SLOW_DELAYS``), and the one after those locks the address out of logging in for
``lockout`` seconds (every attempt then, with the right password too, gets HTTP 429 naming the wait). A
successful login forgets the address's failures.
"""

from __future__ import annotations

import hmac
import math
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

COOKIE_NAME = "appliance_session"
COOKIE_PATH = "/appliance"
DEFAULT_IDLE_TIMEOUT = 15 * 60.0
DEFAULT_LOCKOUT = 5 * 60.0
FREE_FAILURES = 5
SLOW_DELAYS = (1.0, 2.0)
FAILURE_MEMORY_SECONDS = 15 * 60.0
MAX_SESSIONS = 512
MAX_OPEN_LOGIN_FORMS = 256
MAX_TRACKED_ADDRESSES = 4096


@dataclass
class Session:
    """One browser's session: whether it logged in, its CSRF value, and the notices to show on its next page."""

    ident: str = field(repr=False)
    csrf: str = field(repr=False)
    authenticated: bool
    last_seen: float
    notices: list[str] = field(default_factory=list)

    def csrf_matches(self, value: str | None) -> bool:
        """True when ``value`` is this session's CSRF value (compared in constant time)."""
        return isinstance(value, str) and hmac.compare_digest(value.encode("utf-8"), self.csrf.encode("utf-8"))


class Sessions:
    """The open sessions of one appliance, oldest first; thread-safe."""

    def __init__(self, idle_timeout: float = DEFAULT_IDLE_TIMEOUT, clock=time.monotonic, limit: int = MAX_SESSIONS):
        self.idle_timeout = idle_timeout
        self._clock = clock
        self._limit = limit
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._sessions)

    def _live(self, ident: str | None) -> Session | None:
        """The session ``ident`` unless it has been idle too long (then it is ended)."""
        if not ident:
            return None
        session = self._sessions.get(ident)
        if session is not None and self._clock() - session.last_seen > self.idle_timeout:
            del self._sessions[ident]
            return None
        return session

    def get(self, ident: str | None) -> Session | None:
        """The live session ``ident``, marked as used now; None when there is none (or it ended)."""
        with self._lock:
            session = self._live(ident)
            if session is not None:
                session.last_seen = self._clock()
                self._sessions.move_to_end(ident)
            return session

    def is_authenticated(self, ident: str | None) -> bool:
        """True when ``ident`` names a live, logged-in session (does not count as use)."""
        with self._lock:
            session = self._live(ident)
            return session is not None and session.authenticated

    def open(self, authenticated: bool) -> Session:
        """A new session. Too many login forms make the least recently used of them go (so opening login forms
        never ends a logged-in session); too many sessions make the least recently used session go."""
        with self._lock:
            if not authenticated:
                waiting = [ident for ident, session in self._sessions.items() if not session.authenticated]
                for ident in waiting[: max(0, len(waiting) - MAX_OPEN_LOGIN_FORMS + 1)]:
                    del self._sessions[ident]
            while len(self._sessions) >= self._limit:
                self._sessions.popitem(last=False)
            session = Session(
                ident=secrets.token_urlsafe(32),
                csrf=secrets.token_urlsafe(32),
                authenticated=authenticated,
                last_seen=self._clock(),
            )
            self._sessions[session.ident] = session
            return session

    def end(self, ident: str | None) -> None:
        """End the session ``ident`` (nothing to do when it is not open)."""
        with self._lock:
            if ident:
                self._sessions.pop(ident, None)

    def notify(self, session: Session, text: str) -> None:
        """Show ``text`` as a notice on the session's next page."""
        with self._lock:
            session.notices.append(text)

    def take_notices(self, session: Session) -> list[str]:
        """The notices waiting for the session's next page (and forget them)."""
        with self._lock:
            notices, session.notices = session.notices, []
            return notices


@dataclass
class _Failures:
    count: int = 0
    last_failure: float = 0.0
    locked_until: float = 0.0


class LoginThrottle:
    """Failed logins per client address: free, then slowed, then locked out for ``lockout`` seconds."""

    def __init__(self, lockout: float = DEFAULT_LOCKOUT, clock=time.monotonic):
        self.lockout = lockout
        self._clock = clock
        self._addresses: OrderedDict[str, _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def _forget_old(self, now: float) -> None:
        for address in [
            address
            for address, entry in self._addresses.items()
            if entry.locked_until <= now and now - entry.last_failure > FAILURE_MEMORY_SECONDS
        ]:
            del self._addresses[address]
        while len(self._addresses) > MAX_TRACKED_ADDRESSES:
            self._addresses.popitem(last=False)

    def locked_for(self, address: str) -> int | None:
        """Whole seconds the address must still wait before it may try to log in, or None."""
        with self._lock:
            now = self._clock()
            entry = self._addresses.get(address)
            if entry is None or entry.locked_until <= now:
                return None
            return max(1, math.ceil(entry.locked_until - now))

    def failed(self, address: str) -> tuple[float, int | None]:
        """Count a failed login: ``(seconds to delay the answer, seconds locked out or None)``."""
        with self._lock:
            now = self._clock()
            self._forget_old(now)
            entry = self._addresses.setdefault(address, _Failures())
            self._addresses.move_to_end(address)
            entry.count += 1
            entry.last_failure = now
            slow = entry.count - FREE_FAILURES
            if slow <= 0:
                return 0.0, None
            if slow <= len(SLOW_DELAYS):
                return SLOW_DELAYS[slow - 1], None
            # Locked out; after the lockout the address starts again at the slowed failures.
            entry.locked_until = now + self.lockout
            entry.count = FREE_FAILURES
            return 0.0, max(1, math.ceil(self.lockout))

    def succeeded(self, address: str) -> None:
        """A successful login: the address's failures are forgotten."""
        with self._lock:
            self._addresses.pop(address, None)


def credentials_match(username: str, password: str, expected_username: str, expected_password: str) -> bool:
    """True when both match; both are always compared, in constant time."""
    user_ok = hmac.compare_digest(username.encode("utf-8"), expected_username.encode("utf-8"))
    password_ok = hmac.compare_digest(password.encode("utf-8"), expected_password.encode("utf-8"))
    return user_ok and password_ok
