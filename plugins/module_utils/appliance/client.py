# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client of the Appliance Certificate API (docs/appliance-api.md).

Standard library only. TLS is verified by default (``ca_path`` names the CA
file); the bearer token is sent on every request and never appears in an
error. Idempotent requests (GET, PUT, DELETE) are retried with backoff on
connection errors and on 502/503/504; a POST is sent once. A refusal of the
appliance becomes an :class:`ApplianceAPIError` that carries its ``error``
code, its message (what is wrong and what to do) and its details.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.parse

from ansible.module_utils.urls import open_url

API_PREFIX = "/appliance/api/v1"
IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "PUT", "DELETE"))
RETRY_STATUSES = frozenset((502, 503, 504))


class ApplianceError(Exception):
    """Anything that stopped a request from getting an answer it could use."""

    def __init__(self, message: str, status: int | None = None, error: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.error = error
        self.details = dict(details or {})


class ApplianceConnectionError(ApplianceError):
    """The appliance could not be reached (refused, timed out, name not found)."""


class ApplianceTLSError(ApplianceError):
    """The appliance's API certificate is not trusted, or TLS failed."""


class ApplianceAuthError(ApplianceError):
    """The appliance refused the token."""


class ApplianceAPIError(ApplianceError):
    """The appliance refused the request, with ``{error, message, details}``."""


def api_base_url(appliance_url: str) -> str:
    """``https://host:port`` (with or without the API prefix) -> ``https://host:port/appliance/api/v1``."""
    url = (appliance_url or "").strip().rstrip("/")
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise ApplianceError(
            f"appliance_url '{appliance_url}' is not an http(s) URL. "
            "Give the appliance's address, e.g. https://appliance.example.com.",
            details={"hint": "Give the appliance's address, e.g. https://appliance.example.com"},
        )
    if parsed.path.endswith(API_PREFIX):
        return url
    return url + API_PREFIX


def _check_ca_path(validate_certs: bool, ca_path: str | None) -> None:
    """Refuse a CA file that cannot be used, before any request carries the token."""
    if not validate_certs or not ca_path:
        return
    try:
        ssl.create_default_context(cafile=ca_path)
    except (OSError, ssl.SSLError) as exc:
        raise ApplianceTLSError(
            f"The CA file ca_path='{ca_path}' cannot be used: {exc}. "
            "Point ca_path at the PEM file of the CA that signed the appliance's API certificate.",
        ) from None


class ApplianceClient:
    """One appliance's API: ``get``/``post``/``put``/``delete`` return the decoded JSON body (or None)."""

    def __init__(
        self,
        appliance_url: str,
        api_token: str,
        validate_certs: bool = True,
        ca_path: str | None = None,
        timeout: float = 30,
        retries: int = 3,
        backoff: float = 0.5,
    ):
        self.base_url = api_base_url(appliance_url)
        self._token = api_token
        self._timeout = float(timeout)
        self._retries = max(0, int(retries))
        self._backoff = float(backoff)
        _check_ca_path(validate_certs, ca_path)
        self._validate_certs = bool(validate_certs)
        self._ca_path = ca_path
        self.requests_made = 0

    def __repr__(self) -> str:
        return f"ApplianceClient({self.base_url!r})"

    def get(self, path: str, query: dict | None = None):
        """GET a resource."""
        return self.request("GET", path, query=query)

    def post(self, path: str, body: dict | None = None):
        """POST (not retried)."""
        return self.request("POST", path, body=body)

    def put(self, path: str, body: dict | None = None):
        """PUT (idempotent, retried)."""
        return self.request("PUT", path, body=body)

    def delete(self, path: str):
        """DELETE (idempotent, retried)."""
        return self.request("DELETE", path)

    def request(self, method: str, path: str, body: dict | None = None, query: dict | None = None):
        """Send one request, retrying idempotent ones on transient failures; return the JSON body or None."""
        url = self.base_url + "/" + path.lstrip("/")
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = json.dumps(body).encode("utf-8") if body is not None else None
        attempts = 1 + (self._retries if method in IDEMPOTENT_METHODS else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                return self._send(method, url, data)
            except _Transient as exc:
                if last:
                    raise exc.error from None
                time.sleep(self._backoff * (2**attempt))
        raise ApplianceError(f"{method} {url} was not sent.")  # not reached: the loop returns or raises

    def _send(self, method: str, url: str, data: bytes | None):
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        self.requests_made += 1
        try:
            with open_url(
                url,
                data=data,
                headers=headers,
                method=method,
                timeout=self._timeout,
                validate_certs=self._validate_certs,
                ca_path=self._ca_path if self._validate_certs else None,
                follow_redirects="none",
                use_netrc=False,
            ) as response:
                payload = response.read()
                return json.loads(payload) if payload else None
        except urllib.error.HTTPError as exc:
            raise self._http_error(method, url, exc) from None
        except urllib.error.URLError as exc:
            raise self._url_error(url, exc.reason) from None
        except TimeoutError as exc:
            raise _Transient(
                ApplianceConnectionError(
                    f"The appliance at {self.base_url} did not answer within {self._timeout:g} s ({exc}). "
                    "Check that the appliance is up, or raise timeout.",
                    details={"hint": "Check that the appliance is up, or raise timeout."},
                )
            ) from None
        except (ConnectionError, OSError) as exc:
            raise self._url_error(url, exc) from None
        except ValueError:
            raise ApplianceError(
                f"The appliance at {self.base_url} answered {method} {url} with something other than JSON."
            ) from None

    def _http_error(self, method: str, url: str, exc: urllib.error.HTTPError):
        try:
            body = json.loads(exc.read() or b"{}")
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        message = body.get("message") or f"{method} {url} failed with HTTP {exc.code} {exc.reason}."
        error = body.get("error")
        details = body.get("details") if isinstance(body.get("details"), dict) else {}
        if exc.code == 401:
            return ApplianceAuthError(
                f"The appliance at {self.base_url} refused the API token (HTTP 401). "
                "Check api_token (or the BOMGAR_API_TOKEN environment variable).",
                status=401,
                error=error or "unauthorized",
            )
        if exc.code in RETRY_STATUSES and method in IDEMPOTENT_METHODS:
            return _Transient(ApplianceAPIError(message, status=exc.code, error=error, details=details))
        return ApplianceAPIError(message, status=exc.code, error=error, details=details)

    def _url_error(self, url: str, reason):
        if isinstance(reason, ssl.SSLCertVerificationError):
            return ApplianceTLSError(
                f"The API certificate of the appliance at {self.base_url} is not trusted: {reason.verify_message}. "
                "Set ca_path to the CA file that signed it (validate_certs: false only in a lab).",
                details={"ca_path": self._ca_path},
            )
        if isinstance(reason, ssl.SSLError):
            return ApplianceTLSError(f"TLS with the appliance at {self.base_url} failed: {reason}.")
        return _Transient(
            ApplianceConnectionError(
                f"Cannot reach the appliance at {self.base_url}: {reason}. "
                "Check appliance_url and that the appliance is up and reachable from the controller.",
            )
        )


class _Transient(Exception):
    """A failure worth retrying for idempotent requests; ``error`` is what to raise when retries run out."""

    def __init__(self, error: ApplianceError):
        super().__init__(error.message)
        self.error = error
