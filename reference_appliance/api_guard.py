# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ASGI middleware in front of the API's routes: the token, the body size limit, and a 500 that leaks nothing.

The token is checked before anything reads the body, so an unauthenticated
caller learns nothing about the request it sent. A body over the limit is
refused from its Content-Length, or while it streams in. An unexpected
exception becomes a generic 500; its log line names the exception type and the
code path only, never its message, which could hold input.
"""

from __future__ import annotations

import hmac
import logging
import traceback

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from .api_refusals import INTERNAL_ERROR, MAX_BODY_BYTES, error_response, http_refusal, token_refusal

LOG = logging.getLogger(__name__)


class BodyTooLarge(HTTPException):
    """Raised while a body sent without Content-Length passes the limit; the API answers 413."""

    def __init__(self):
        super().__init__(status_code=413)


def _limited(receive):
    """``receive`` that raises ``BodyTooLarge`` once the body passes ``MAX_BODY_BYTES``."""
    received = 0

    async def limited_receive():
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:
                raise BodyTooLarge()
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

    def __init__(self, app, token: str, open_paths: frozenset[str]):
        self.app = app
        self._token = token.encode("utf-8")
        self._open_paths = open_paths

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = None if scope["path"] in self._open_paths else self._token_refusal(scope)
        if refusal is None and _declared_length(scope) > MAX_BODY_BYTES:
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
            await JSONResponse(INTERNAL_ERROR, status_code=500)(scope, receive, send)

    def _token_refusal(self, scope):
        authorization = _header(scope, b"authorization")
        if authorization is None:
            return token_refusal(present=False)
        scheme, _space, credentials = authorization.strip().partition(b" ")
        if scheme.lower() != b"bearer" or not hmac.compare_digest(credentials.strip(), self._token):
            return token_refusal(present=True)
        return None
