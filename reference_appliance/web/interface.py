# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One appliance's web interface: its admin credentials, sessions, login throttle, page alterations, and the
answers every page shares (the page frame, redirects to the login page, error pages).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.requests import cookie_parser

from .. import API_PREFIX
from ..api_refusals import MAX_BODY_BYTES
from .alterations import Alterations
from .auth import COOKIE_NAME, COOKIE_PATH, DEFAULT_IDLE_TIMEOUT, DEFAULT_LOCKOUT, LoginThrottle, Session, Sessions
from .html import console, link, plain
from .pages import BASE, BASICS_PATH, LOGIN_PATH, SECURITY_HEADERS

_API_AREA = API_PREFIX.rsplit("/", 1)[0]  # /appliance/api: the API's, whatever version


@dataclass
class WebSettings:
    """How the web interface of one appliance behaves."""

    username: str
    password: str = field(repr=False)
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    lockout: float = DEFAULT_LOCKOUT
    alterations: list[str] = field(default_factory=list)


def owns(path: str) -> bool:
    """True for the web interface's paths: ``/appliance`` and below, except the API's ``/appliance/api``."""
    if path != BASE and not path.startswith(BASE + "/"):
        return False
    return path != _API_AREA and not path.startswith(_API_AREA + "/")


def session_cookie(session: Session) -> str:
    """The Set-Cookie value that hands the browser its session."""
    return f"{COOKIE_NAME}={session.ident}; Path={COOKIE_PATH}; HttpOnly; Secure; SameSite=Strict"


def cleared_cookie() -> str:
    """The Set-Cookie value that makes the browser forget its session."""
    return f"{COOKIE_NAME}=; Max-Age=0; Path={COOKIE_PATH}; HttpOnly; Secure; SameSite=Strict"


class WebInterface:
    """The web interface of one appliance (``appliance`` is its ``Appliance`` service layer)."""

    def __init__(self, appliance, hostname: str, role: str, settings: WebSettings):
        self.appliance = appliance
        self.hostname = hostname
        self.role = role
        self.settings = settings
        self.sessions = Sessions(settings.idle_timeout)
        self.throttle = LoginThrottle(settings.lockout)
        self.alterations = Alterations(settings.alterations)

    owns = staticmethod(owns)

    def session_id(self, scope) -> str | None:
        """The session id the request's cookie carries, or None."""
        header = next((value for name, value in scope.get("headers", []) if name == b"cookie"), None)
        if header is None:
            return None
        return cookie_parser(header.decode("latin-1")).get(COOKIE_NAME) or None

    def authenticated(self, scope) -> bool:
        """True when the request carries the cookie of a logged-in session (the connection gate asks)."""
        return self.sessions.is_authenticated(self.session_id(scope))

    # --- answers -------------------------------------------------------------------------------------------

    def finish(self, html: str, title: str, values=None, status: int = 200) -> HTMLResponse:
        """An HTML answer: the alterations applied, the security headers set."""
        return HTMLResponse(
            self.alterations.apply(html, title, values), status_code=status, headers=dict(SECURITY_HEADERS)
        )

    def console_page(
        self, session: Session, title: str, menu_path: str, content: str, *, values, alerts, status, lead=""
    ) -> HTMLResponse:
        """A page after login, with the notices waiting for the session."""
        notices = self.sessions.take_notices(session)
        html = console(title, self.hostname, self.role, menu_path, content, alerts, notices, lead)
        return self.finish(html, title, values, status)

    def plain_page(self, title: str, content: str, *, alerts=(), notices=(), values=None, status=200) -> HTMLResponse:
        """A page without the menu (login, errors before login)."""
        return self.finish(plain(title, self.hostname, content, alerts, notices), title, values, status)

    def to_login(self) -> RedirectResponse:
        """303 to the login page (no session, or it ended)."""
        return RedirectResponse(LOGIN_PATH, status_code=303, headers=dict(SECURITY_HEADERS))

    def error_page(self, scope, status: int, message: str, headers: dict | None = None) -> HTMLResponse:
        """An error page: in the console after login, else without the menu."""
        session_id = self.session_id(scope)
        title = {404: "Page Not Found", 405: "Not Allowed"}.get(status, "Request Refused")
        back = f"<p>{link('Go to Status :: Basics', BASICS_PATH)}</p>"
        session = self.sessions.get(session_id) if session_id else None
        if session is not None and session.authenticated:
            response = self.console_page(
                session, title, BASICS_PATH, back, values=None, alerts=[message], status=status
            )
        else:
            response = self.plain_page(title, f'<div class="card">{back}</div>', alerts=[message], status=status)
        response.headers.update(headers or {})
        return response

    def http_error(self, scope, status: int, method: str) -> HTMLResponse:
        """The framework's refusals (no such page, wrong method, body too large or too slow) as pages."""
        path = scope.get("path", "")
        if status == 404:
            return self.error_page(scope, 404, f"There is no page at '{path}'. Choose a page in the menu.")
        if status == 405:
            return self.error_page(scope, 405, f"The page '{path}' does not take {method} requests.")
        if status == 413:
            return self.error_page(
                scope,
                413,
                f"The form is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB, so it was not read and nothing "
                "changed. Send fewer or smaller files (each file may be up to 1 MiB).",
            )
        if status == 408:
            return self.error_page(
                scope,
                408,
                "The form did not arrive in time, so nothing changed. Send it again.",
                {"Connection": "close"},
            )
        if status == 500:
            return self.error_page(
                scope,
                500,
                "The appliance failed unexpectedly while handling this page. Look at the page again before "
                "retrying; if it happens again, report it with the time.",
            )
        return self.error_page(scope, status, f"The request was refused with status {status}.")
