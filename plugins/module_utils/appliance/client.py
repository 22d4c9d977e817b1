# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client of the Appliance Certificate API (docs/appliance-api.md).

Standard library only. TLS is verified by default (``ca_path`` names the CA
file); the bearer token is sent on every request and never appears in an
error. One client keeps one HTTP/1.1 connection to its appliance open across
requests (one TLS handshake for a whole task), with one TLS context per CA
file for the whole process; when a proxy from the environment applies to
the appliance, requests go through ``open_url`` instead, which honours it.
Idempotent requests (GET, PUT, DELETE) are retried with backoff on
connection errors and on 502/503/504; a POST is sent once, always on a new
connection, so that it is never sent twice. A refusal of the
appliance becomes an :class:`ApplianceAPIError` that carries its ``error``
code, its message (what is wrong and what to do) and its details.
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

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


_CONTEXTS: dict = {}
_CONTEXTS_LOCK = threading.Lock()
# A connection the appliance closed while it was idle fails like this on its next request.
_STALE_CONNECTION = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


def _tls_context(validate_certs: bool, ca_path: str | None) -> ssl.SSLContext:
    """The client TLS context for a CA file (or the system trust store), made once per process.

    A CA file that cannot be used is refused before any request carries the token.
    """
    key = (bool(validate_certs), ca_path if validate_certs else None)
    with _CONTEXTS_LOCK:
        context = _CONTEXTS.get(key)
        if context is not None:
            return context
        if not validate_certs:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            try:
                context = ssl.create_default_context(cafile=ca_path or None)
            except (OSError, ssl.SSLError) as exc:
                raise ApplianceTLSError(
                    f"The CA file ca_path='{ca_path}' cannot be used: {exc}. "
                    "Point ca_path at the PEM file of the CA that signed the appliance's API certificate.",
                ) from None
        _CONTEXTS[key] = context
        return context


def _proxied(url: str) -> bool:
    """True when the environment names a proxy for ``url`` that its host does not bypass."""
    parsed = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies()
    if not proxies.get(parsed.scheme) and not proxies.get("all"):
        return False
    return not urllib.request.proxy_bypass(parsed.hostname or "")


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
        self._validate_certs = bool(validate_certs)
        self._ca_path = ca_path
        parsed = urllib.parse.urlsplit(self.base_url)
        self._scheme = parsed.scheme
        self._netloc = (parsed.hostname, parsed.port)
        self._context = _tls_context(validate_certs, ca_path) if self._scheme == "https" else None
        self._via_urllib = _proxied(self.base_url)
        self._connection = None
        self.requests_made = 0
        self.connections_made = 0

    def close(self) -> None:
        """Close the connection kept open to the appliance (a later request opens a new one)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

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
        if self._via_urllib:
            return self._send_urllib(method, url, data, headers)
        return self._send_kept(method, url, data, headers)

    def _open(self):
        host, port = self._netloc
        if self._scheme == "https":
            connection = http.client.HTTPSConnection(host, port, timeout=self._timeout, context=self._context)
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self._timeout)
        self.connections_made += 1
        return connection

    def _send_kept(self, method: str, url: str, data: bytes | None, headers: dict):
        """One request on the kept connection; a connection the appliance closed meanwhile is opened again once.

        A POST always goes on a new connection, so that it is never sent twice.
        """
        parsed = urllib.parse.urlsplit(url)
        target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
        if method == "POST":
            self.close()
        for attempt in (1, 2):
            reused = self._connection is not None
            if not reused:
                self._connection = self._open()
            connection = self._connection
            try:
                connection.request(method, target, body=data, headers=headers)
                response = connection.getresponse()
                payload = response.read()
            except _STALE_CONNECTION as exc:
                self.close()
                if reused and attempt == 1:
                    continue
                raise self._url_error(url, exc) from None
            except TimeoutError as exc:
                self.close()
                raise self._timeout_error(exc) from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise self._url_error(url, exc) from None
            if response.will_close:
                self.close()
            if response.status >= 300:
                raise self._http_error(method, url, response.status, response.reason, payload) from None
            return self._decode(method, url, payload)
        raise ApplianceError(f"{method} {url} was not sent.")  # not reached: the loop returns or raises

    def _decode(self, method: str, url: str, payload: bytes):
        try:
            return json.loads(payload) if payload else None
        except ValueError:
            raise ApplianceError(
                f"The appliance at {self.base_url} answered {method} {url} with something other than JSON."
            ) from None

    def _timeout_error(self, exc):
        return _Transient(
            ApplianceConnectionError(
                f"The appliance at {self.base_url} did not answer within {self._timeout:g} s ({exc}). "
                "Check that the appliance is up, or raise timeout.",
                details={"hint": "Check that the appliance is up, or raise timeout."},
            )
        )

    def _send_urllib(self, method: str, url: str, data: bytes | None, headers: dict):
        """One request through ``open_url``, which goes through the proxy the environment names."""
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
        except urllib.error.HTTPError as exc:
            raise self._http_error(method, url, exc.code, exc.reason, exc.read()) from None
        except urllib.error.URLError as exc:
            raise self._url_error(url, exc.reason) from None
        except TimeoutError as exc:
            raise self._timeout_error(exc) from None
        except (ConnectionError, OSError) as exc:
            raise self._url_error(url, exc) from None
        return self._decode(method, url, payload)

    def _http_error(self, method: str, url: str, code: int, reason: str, payload: bytes):
        try:
            body = json.loads(payload or b"{}")
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        message = body.get("message") or f"{method} {url} failed with HTTP {code} {reason}."
        error = body.get("error")
        details = body.get("details") if isinstance(body.get("details"), dict) else {}
        if code == 401:
            return ApplianceAuthError(
                f"The appliance at {self.base_url} refused the API token (HTTP 401). "
                "Check api_token (or the BOMGAR_API_TOKEN environment variable).",
                status=401,
                error=error or "unauthorized",
            )
        if code in RETRY_STATUSES and method in IDEMPOTENT_METHODS:
            return _Transient(ApplianceAPIError(message, status=code, error=error, details=details))
        return ApplianceAPIError(message, status=code, error=error, details=details)

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
