# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API's refusals that do not come from the appliance's rules, in its ``{error, message, details}`` shape.

Bad JSON, wrong types, unknown fields, unknown routes and methods, oversized
bodies, request heads that are too long or cannot be read, bodies that stop
arriving and a missing or wrong token each become a 4xx a person can act on. No
refusal repeats an input value: passphrases and key content travel in the
same bodies.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse

from . import API_PREFIX
from .errors import ApplianceError

MAX_BODY_BYTES = 12 * 1024 * 1024
# From a request's head to the end of its body (12 MiB at most); see api_transport for the head's own limit.
BODY_TIMEOUT_SECONDS = 60.0
INTERNAL_ERROR = {
    "error": "internal_error",
    "message": "The appliance failed unexpectedly while handling this request. Look at the resource with a GET "
    "before retrying; if it happens again, report it with the time of the request.",
    "details": {},
}
_TOKEN_HINT = "Send the header 'Authorization: Bearer <token>' with the token the appliance was started with."


def error_response(error: ApplianceError, headers: dict | None = None) -> JSONResponse:
    """The HTTP response of a refusal; a 401 names the Bearer scheme."""
    if error.status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    if error.status == 408:  # the rest of the body may still trickle in: end the connection with the answer
        headers = {**(headers or {}), "Connection": "close"}
    return JSONResponse(error.as_dict(), status_code=error.status, headers=headers)


def token_refusal(present: bool) -> ApplianceError:
    """401: the token is missing, or it is not the appliance's."""
    if not present:
        return ApplianceError(401, "unauthorized", f"This request needs the appliance's API token. {_TOKEN_HINT}", {})
    return ApplianceError(401, "unauthorized", f"The API token given is not accepted. {_TOKEN_HINT}", {})


def validation_refusal(errors: list[dict]) -> ApplianceError:
    """422 ``invalid_request`` naming each bad field and what it needs (pydantic's errors, without their input)."""
    problems = [_problem(error) for error in errors]
    invalid_json = [error for error in errors if error.get("type") == "json_invalid"]
    if invalid_json:
        reason = invalid_json[0].get("ctx", {}).get("error", "")
        return ApplianceError(
            422,
            "invalid_request",
            f"The request body is not valid JSON ({reason}). "
            "Send one JSON object with the header 'Content-Type: application/json'.",
            {"errors": problems},
        )
    listed = "; ".join(f"{problem['field']} {problem['problem']}" for problem in problems)
    return ApplianceError(
        422,
        "invalid_request",
        f"The request is not valid: {listed}. Correct it as described in docs/appliance-api.md and send it again.",
        {"errors": problems},
    )


def _problem(error: dict) -> dict:
    location, *path = error.get("loc") or ("body",)
    kind = error.get("type", "")
    if kind == "json_invalid":
        return {"location": str(location), "field": "the request body", "problem": "is not valid JSON"}
    return {"location": str(location), "field": _field_name(location, path), "problem": _expectation(kind, error)}


def _field_name(location, path: list) -> str:
    if location == "body" and not path:
        return "the request body"
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    if location == "body":
        return f"'{name}'"
    return f"{location} parameter '{name}'"


def _expectation(kind: str, error: dict) -> str:
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a field of this request: remove it"
    text = str(error.get("msg", "is not valid"))
    if text.startswith("Input "):
        return text[len("Input ") :]
    if text[:1].isupper():
        return "must satisfy: " + text[0].lower() + text[1:]
    return text


def unknown_query_refusal(unknown: list[str], known: list[str]) -> ApplianceError:
    """422 for query parameters the route does not take (a misspelt filter would otherwise match everything)."""
    names = [name[:40] for name in unknown]
    listed = ", ".join(f"'{name}'" for name in names)
    accepted = ", ".join(known) or "none"
    return ApplianceError(
        422,
        "invalid_request",
        f"The query parameter(s) {listed} are not known here (accepted: {accepted}). Remove them.",
        {"errors": [{"location": "query", "field": name, "problem": "is not known"} for name in names]},
    )


def base64_refusal(index: int, name: str | None) -> ApplianceError:
    """422 ``invalid_base64`` naming the import file whose ``content`` does not decode."""
    label = f"File {index}" + (f" ('{name}')" if name else "")
    return ApplianceError(
        422,
        "invalid_base64",
        f"{label} in 'files' is not valid base64. "
        "Put the file's bytes, base64-encoded (standard alphabet, with padding), in its 'content'.",
        {"index": index, "name": name, "field": f"files[{index}].content"},
    )


def http_refusal(status: int, method: str, path: str, allowed: list[str]) -> ApplianceError:
    """The framework's own refusals (no route, wrong method, body too large or unreadable) in the API's shape."""
    if status == 404:
        return ApplianceError(
            404,
            "not_found",
            f"There is no resource at '{path}'. The routes are listed in docs/appliance-api.md "
            f"and at {API_PREFIX}/openapi.json.",
            {"path": path},
        )
    if status == 405:
        return ApplianceError(
            405,
            "method_not_allowed",
            f"{method} is not allowed on '{path}'. Use one of: {', '.join(allowed)}.",
            {"method": method, "allowed": allowed},
        )
    if status == 413:
        return ApplianceError(
            413,
            "request_too_large",
            f"The request body is larger than {MAX_BODY_BYTES} bytes (12 MiB). "
            "Send fewer or smaller files per request (each file may be up to 1 MiB).",
            {"limit": MAX_BODY_BYTES},
        )
    if status == 408:
        return ApplianceError(
            408,
            "request_timeout",
            f"The request body did not arrive within {BODY_TIMEOUT_SECONDS:g} s of its head, so the request was "
            "dropped and nothing was changed. Send the request again, with its whole body at once.",
            {"limit_seconds": BODY_TIMEOUT_SECONDS},
        )
    if status == 400:
        return ApplianceError(
            422,
            "invalid_request",
            "The request body could not be read. Send one JSON object, encoded as UTF-8, "
            "with the header 'Content-Type: application/json'.",
            {},
        )
    return ApplianceError(status, f"http_{status}", f"The request was refused with status {status}.", {})


def head_too_large_refusal(limit: int) -> ApplianceError:
    """431 for a request head (request line and headers) longer than ``limit`` bytes."""
    return ApplianceError(
        431,
        "request_head_too_large",
        f"The request line and headers are larger than {limit} bytes ({limit // 1024} KiB), so the request was not "
        "read. Send shorter headers (the API needs only Authorization, Content-Type and Accept) and a shorter URL.",
        {"limit": limit},
    )


def unreadable_request_refusal() -> ApplianceError:
    """400 for bytes that are not an HTTP/1.1 request."""
    return ApplianceError(
        400,
        "invalid_request",
        "The request could not be read as HTTP/1.1 (its request line or a header is malformed), so it was not "
        "handled. Send a well-formed HTTPS request as described in docs/appliance-api.md.",
        {},
    )
