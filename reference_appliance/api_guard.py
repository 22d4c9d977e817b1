# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ASGI middleware in front of the API's routes: the token, the body's size and time limits, and a 500 that
leaks nothing.

The token is checked before anything reads the body, so an unauthenticated
caller learns nothing about the request it sent. A body over the limit is
refused from its Content-Length, or while it streams in; a body that does not
arrive within ``BODY_TIMEOUT_SECONDS`` of the head is refused with 408 and the
connection closed. Each request is reported to the connection gate
(``api_transport``), with whether it carried the token. An unexpected
exception becomes a generic 500; its log line names the exception type and the
code path only, never its message, which could hold input.

The web interface's pages (``web``, everything under /appliance but the API) need no token: they have their
own login. For them the gate is told whether the request carries the cookie of a logged-in session (a browser
that logged in is not a caller without credentials), and the refusals are pages, not the API's JSON.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import traceback

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from . import api_refusals
from .api_refusals import INTERNAL_ERROR, MAX_BODY_BYTES, error_response, http_refusal, token_refusal

LOG = logging.getLogger(__name__)


class BodyTooLarge(HTTPException):
    """Raised while a body sent without Content-Length passes the limit; the API answers 413."""

    def __init__(self):
        super().__init__(status_code=413)


class BodyTimeout(HTTPException):
    """Raised when the body has not fully arrived within BODY_TIMEOUT_SECONDS of the head; the API answers 408."""

    def __init__(self):
        super().__init__(status_code=408)


def _limited(receive, timeout: float | None = None):
    """``receive`` that raises ``BodyTooLarge`` once the body passes ``MAX_BODY_BYTES``, and ``BodyTimeout`` when
    the body is not complete ``timeout`` seconds (default ``BODY_TIMEOUT_SECONDS``) from now."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (api_refusals.BODY_TIMEOUT_SECONDS if timeout is None else timeout)
    received = 0
    complete = False

    async def limited_receive():
        nonlocal received, complete
        if complete:
            return await receive()
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise BodyTimeout()
        try:
            message = await asyncio.wait_for(receive(), remaining)
        except TimeoutError:
            raise BodyTimeout() from None
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:
                raise BodyTooLarge()
            complete = not message.get("more_body", False)
        else:
            complete = True
        return message

    return limited_receive


def _header(scope, wanted: bytes) -> bytes | None:
    return next((value for name, value in scope.get("headers", []) if name == wanted), None)


def _declared_length(scope) -> int:
    value = _header(scope, b"content-length")
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


class Guard:
    """Refuses requests without the token (except on ``open_paths``) or over the size limit; hides crashes."""

    def __init__(self, app, token: str, open_paths: frozenset[str], gate=None, web=None):
        self.app = app
        self._token = token.encode("utf-8")
        self._open_paths = open_paths
        self._gate = gate
        self._web = web

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = self._web is not None and self._web.owns(scope["path"])
        if page:
            refusal, authenticated = None, self._gate is not None and self._web.authenticated(scope)
        else:
            open_path = scope["path"] in self._open_paths
            refusal = None if open_path else self._token_refusal(scope)
            authenticated = not open_path and refusal is None
        if self._gate is None:
            await self._handle(scope, receive, send, refusal, page)
            return
        peer = scope.get("client")
        self._gate.request_started(peer, authenticated=authenticated)
        try:
            await self._handle(scope, receive, send, refusal, page)
        finally:
            self._gate.request_finished(peer)

    async def _handle(self, scope, receive, send, refusal, page=False):
        if refusal is None and _declared_length(scope) > MAX_BODY_BYTES:
            if page:
                await self._web.http_error(scope, 413, scope["method"])(scope, receive, send)
                return
            refusal = http_refusal(413, scope["method"], scope["path"], [])
        if refusal is not None:
            await error_response(refusal)(scope, receive, send)
            return
        started = False

        async def tracked_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, _limited(receive), tracked_send)
        except Exception as exc:
            if started:
                raise
            LOG.error(
                "Unexpected %s while handling %s %s; traceback (no values):\n%s",
                type(exc).__name__,
                scope.get("method"),
                scope.get("path"),
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            if page:
                await self._web.http_error(scope, 500, scope["method"])(scope, receive, send)
                return
            await JSONResponse(INTERNAL_ERROR, status_code=500)(scope, receive, send)

    def _token_refusal(self, scope):
        authorization = _header(scope, b"authorization")
        if authorization is None:
            return token_refusal(present=False)
        scheme, _space, credentials = authorization.strip().partition(b" ")
        if scheme.lower() != b"bearer" or not hmac.compare_digest(credentials.strip(), self._token):
            return token_refusal(present=True)
        return None
