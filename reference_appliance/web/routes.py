# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The routes of the web interface under ``/appliance`` (left out of the API's OpenAPI document).

Every page but the login page needs a logged-in session; without one the answer is a 303 to the login page.
A POST is read, then checked in this order: the session's CSRF value (else 403 and the page again with "Your
session changed; reload the page and try again."), the fields a page alteration requires (else 422), then the
page's own handling, whose refusals by the service show the form again with the service's message and status.
Pages are built in the thread pool, as the API's handlers run: key generation never blocks the event loop.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..errors import ApplianceError
from .auth import COOKIE_NAME, credentials_match
from .forms import Form, FormError, parse_form
from .html import CSRF_FIELD, button, form, text_field
from .interface import WebInterface, cleared_cookie, session_cookie
from .pages import (
    ACME_PATH,
    BASE,
    BASICS_PATH,
    CERTIFICATES_PATH,
    IMPORT_PATH,
    IP_PATH,
    LOGIN_PATH,
    NEW_CERTIFICATE_PATH,
    PAGES,
    REQUESTS_PATH,
    SECURITY_HEADERS,
    SESSION_CHANGED,
    Ctx,
    Page,
    public_values,
)

LOGIN_TITLE = "Log In"
INVALID_LOGIN = "Invalid username or password."

router = APIRouter(include_in_schema=False)


def _web(request: Request) -> WebInterface:
    return request.app.state.web


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


async def _read_form(request: Request) -> Form:
    return parse_form(request.headers.get("content-type"), await request.body())


def _shown(page: Page, ctx: Ctx, values=None, alerts=(), status: int = 200) -> Response:
    """The page, or, when it cannot be shown (its certificate or request is gone), its title and the refusal."""
    try:
        return page.get(ctx, values, alerts, status)
    except ApplianceError as exc:
        return ctx.respond("", alerts=[*alerts, exc.message], status=exc.status if status < 400 else status)


def _handled(page: Page, ctx: Ctx) -> Response:
    """The page's handling of its form; a refusal shows the form again with what was typed (no secrets)."""
    try:
        return page.post(ctx)
    except ApplianceError as exc:
        return _shown(page, ctx, public_values(ctx.form.values()), [exc.message], exc.status)


async def _page(request: Request, key: str) -> Response:
    web = _web(request)
    session = web.sessions.get(request.cookies.get(COOKIE_NAME))
    if session is None or not session.authenticated:
        return web.to_login()
    page = PAGES[key]
    ctx = Ctx(web, session, page, dict(request.path_params))
    if request.method != "POST":
        return await run_in_threadpool(_shown, page, ctx)
    try:
        posted = await _read_form(request)
    except FormError as exc:
        return await run_in_threadpool(_shown, page, ctx, None, [str(exc)], 400)
    if not session.csrf_matches(posted.first(CSRF_FIELD, None)):
        return await run_in_threadpool(_shown, page, ctx, None, [SESSION_CHANGED], 403)
    ctx.form = posted
    missing = web.alterations.missing(page.title, posted.values())
    if missing:
        return await run_in_threadpool(_shown, page, ctx, public_values(posted.values()), missing, 422)
    return await run_in_threadpool(_handled, page, ctx)


def _route(path: str, key: str, methods=("GET",)) -> None:
    async def endpoint(request: Request) -> Response:
        return await _page(request, key)

    endpoint.__name__ = f"web_{key}_{'_'.join(method.lower() for method in methods)}"
    router.add_api_route(path, endpoint, methods=list(methods), include_in_schema=False)


_route(BASICS_PATH, "basics")
_route(IP_PATH, "ip", ("GET", "POST"))
_route(CERTIFICATES_PATH, "certificates", ("GET", "POST"))
_route(NEW_CERTIFICATE_PATH, "new", ("GET", "POST"))
_route(IMPORT_PATH, "import", ("GET", "POST"))
_route(ACME_PATH, "acme", ("GET", "POST"))
_route(CERTIFICATES_PATH + "/{certificate_id}", "edit", ("GET", "POST"))
_route(CERTIFICATES_PATH + "/{certificate_id}/export", "export", ("GET", "POST"))
_route(REQUESTS_PATH + "/{request_id}", "request", ("GET", "POST"))


@router.get(BASE, include_in_schema=False)
@router.get(BASE + "/", include_in_schema=False)
async def web_home(request: Request) -> Response:
    """The interface's front door: Status :: Basics (or the login page without a session)."""
    return RedirectResponse(BASICS_PATH, status_code=303, headers=dict(SECURITY_HEADERS))


# Log in, log out


def _login_page(
    web: WebInterface, *, username: str = "", alerts=(), notices=(), status: int = 200, values=None
) -> Response:
    """The login form under a new session that is not logged in (its CSRF value is the form's)."""
    session = web.sessions.open(authenticated=False)
    body = text_field("login-username", "username", "Username", username, autocomplete="username") + text_field(
        "login-password", "password", "Password", kind="password", autocomplete="current-password"
    )
    buttons = f'<div class="buttons">{button(LOGIN_TITLE, "action", "login")}</div>'
    content = (
        f'<div class="card">{form(session.csrf, LOGIN_PATH, body, buttons)}</div>'
        f'<p class="foot">Administration of {web.hostname}. The API token does not log in here.</p>'
    )
    response = web.plain_page(LOGIN_TITLE, content, alerts=alerts, notices=notices, values=values, status=status)
    response.headers["Set-Cookie"] = session_cookie(session)
    return response


@router.get(LOGIN_PATH, include_in_schema=False)
async def web_login_form(request: Request) -> Response:
    """The login form; a cookie of a session that has ended says so."""
    web = _web(request)
    previous = request.cookies.get(COOKIE_NAME)
    notices = []
    if previous:
        if web.sessions.get(previous) is None:
            notices.append("Your session has ended. Log in again.")
        web.sessions.end(previous)
    return _login_page(web, notices=notices)


@router.post(LOGIN_PATH, include_in_schema=False)
async def web_login(request: Request) -> Response:
    """Check the form's CSRF value, the throttle, then the credentials."""
    web = _web(request)
    previous = request.cookies.get(COOKIE_NAME)
    session = web.sessions.get(previous)
    try:
        posted = await _read_form(request)
    except FormError as exc:
        return _login_page(web, alerts=[str(exc)], status=400)
    web.sessions.end(previous)
    if session is None or not session.csrf_matches(posted.first(CSRF_FIELD, None)):
        return _login_page(web, alerts=[SESSION_CHANGED], status=403)
    username = posted.first("username")
    values = public_values(posted.values())
    missing = web.alterations.missing(LOGIN_TITLE, posted.values())
    if missing:
        return _login_page(web, username=username, alerts=missing, status=422, values=values)
    address = _client(request)
    wait = web.throttle.locked_for(address)
    if wait is not None:
        return _locked_out(web, wait, username)
    settings = web.settings
    if credentials_match(username, posted.first("password"), settings.username, settings.password):
        web.throttle.succeeded(address)
        fresh = web.sessions.open(authenticated=True)
        web.sessions.notify(fresh, f"Logged in as {settings.username}.")
        response = RedirectResponse(BASICS_PATH, status_code=303, headers=dict(SECURITY_HEADERS))
        response.headers["Set-Cookie"] = session_cookie(fresh)
        return response
    delay, locked = web.throttle.failed(address)
    if locked is not None:
        return _locked_out(web, locked, username)
    if delay:
        await asyncio.sleep(delay)
    return _login_page(web, username=username, alerts=[INVALID_LOGIN], status=401, values=values)


def _locked_out(web: WebInterface, wait: int, username: str) -> Response:
    response = _login_page(web, username=username, alerts=[f"Too many failed logins; wait {wait} seconds."], status=429)
    response.headers["Retry-After"] = str(wait)
    return response


@router.get(BASE + "/logout", include_in_schema=False)
async def web_logout(request: Request) -> Response:
    """End the session and show the login form."""
    web = _web(request)
    previous = request.cookies.get(COOKIE_NAME)
    had_session = web.sessions.is_authenticated(previous)
    web.sessions.end(previous)
    if not had_session:
        response = web.to_login()
        response.headers["Set-Cookie"] = cleared_cookie()
        return response
    return _login_page(web, notices=["You have logged out."])
