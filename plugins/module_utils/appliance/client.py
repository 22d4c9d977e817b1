# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The client of the Appliance Certificate API (docs/appliance-api.md).

Standard library only. The API is only spoken over HTTPS: TLS is verified by
default (``ca_path`` names the CA file), and the bearer token is sent on
every request and never appears in an error. The connection options are
checked before anything is sent (:func:`check_connection_options`): an
``https://`` URL with a valid port, a token that can travel in an HTTP header,
a timeout of more than 0 s. One client keeps one HTTP/1.1 connection to its
appliance open across requests (one TLS handshake for a whole task), with one
TLS context per CA file for the whole process; when a proxy from the
environment applies to the appliance, the connection is a tunnel through it
(``CONNECT``).

``timeout`` is a deadline: a request must have its complete answer within it,
all included (connecting, the TLS handshake, sending, every read, and the
retries with their backoff). Idempotent requests (GET, PUT, DELETE) are
retried with backoff on connection errors and on 502/503/504 while the
deadline allows; a POST is sent once, always on a new connection, so that it
is never sent twice. A POST whose answer is lost after it was sent may have
been applied: the error says so (every module reads the appliance's state
before it changes anything, so running the task again is safe). A refusal of
the appliance becomes an :class:`ApplianceAPIError` that carries its
``error`` code, its message (what is wrong and what to do) and its details.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import io
import json
import math
import ssl
import threading
import time
import urllib.parse
import urllib.request

API_PREFIX = "/appliance/api/v1"
IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "PUT", "DELETE"))
RETRY_STATUSES = frozenset((502, 503, 504))
# Bytes sent per write, each under what is left of the deadline.
SEND_CHUNK = 64 * 1024
RERUN_IS_SAFE = (
    "Running the task again is safe: it reads the appliance's state first and does only what is still missing."
)
WRONG_ADDRESS_HINT = (
    "appliance_url seems to name the appliance's site (the page it serves to its clients, as on the site port) "
    "rather than its API. Set appliance_url to the address and port of the appliance's API "
    "(bomgar_appliance_url in the inventory), e.g. https://appliance.example.com."
)


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


class ApplianceOutcomeUnknownError(ApplianceConnectionError):
    """A POST was sent but its answer was lost: the appliance may have applied it."""


def _shown_url(url: str) -> str:
    """``url`` as it may be shown: without user and password."""
    parsed = urllib.parse.urlsplit(url)
    if "@" not in parsed.netloc:
        return url
    return urllib.parse.urlunsplit(parsed._replace(netloc=parsed.netloc.rpartition("@")[2]))


def api_base_url(appliance_url: str) -> str:
    """``https://host:port`` (with or without the API prefix) -> ``https://host:port/appliance/api/v1``.

    Anything else is refused before a request is made: the token is only ever sent over HTTPS.
    """
    url = (appliance_url or "").strip().rstrip("/") if isinstance(appliance_url, str) else ""
    parsed = urllib.parse.urlsplit(url)
    shown = _shown_url(url)
    if parsed.scheme.lower() == "http" and parsed.netloc:
        secure = "https://" + shown.split("://", 1)[1]
        if secure.endswith(API_PREFIX):
            secure = secure[: -len(API_PREFIX)]
        raise ApplianceError(
            f"appliance_url '{shown}' uses http://, which would send the API token in clear text, so nothing was "
            "sent. The appliance's API is only served over HTTPS: write the URL with https:// and the API's port "
            f"(e.g. {secure}), with ca_path set to the CA that signed the API's certificate.",
            details={"hint": "Use https:// in appliance_url (bomgar_appliance_url in the inventory)."},
        )
    if parsed.scheme.lower() != "https" or not parsed.hostname:
        raise ApplianceError(
            f"appliance_url '{shown or appliance_url}' is not an https:// URL. "
            "Give the address of the appliance's API, e.g. https://appliance.example.com.",
            details={"hint": "Give the appliance's address, e.g. https://appliance.example.com"},
        )
    try:
        port = parsed.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        given = parsed.netloc.rpartition(":")[2]
        raise ApplianceError(
            f"appliance_url '{shown}' names port {given}, which is not a port: give the API's port, a number from 1 "
            "to 65535 (or none for 443), e.g. https://appliance.example.com:8443.",
            details={"hint": "Give a port from 1 to 65535 in appliance_url."},
        )
    if parsed.path.endswith(API_PREFIX):
        return url
    return url + API_PREFIX


def _token_problem(token: str) -> str | None:
    """What makes ``token`` unfit for an ``Authorization`` header (never the token itself), or None."""
    bad = [index for index, char in enumerate(token) if not 33 <= ord(char) <= 126]
    if not bad:
        return None
    chars = {token[index] for index in bad}
    if chars & {"\n", "\r"}:
        what = "a line break"
    elif chars & {" ", "\t"}:
        what = "a space or a tab"
    elif any(ord(char) > 127 for char in chars):
        what = "a non-ASCII character"
    else:
        what = "a control character"
    # At its end (or start) when every such character is in an unbroken run that ends (or starts) the token.
    if bad == list(range(len(token) - len(bad), len(token))):
        where = "at its end"
    elif bad == list(range(len(bad))):
        where = "at its start"
    else:
        where = "inside it"
    return f"{what} {where}"


def check_api_token(token) -> None:
    """Refuse a token that cannot be sent in an HTTP header, saying how to fix it; the message never shows it."""
    if not isinstance(token, str) or not token:
        raise ApplianceError(
            "api_token is empty. Set api_token (or the BOMGAR_API_TOKEN environment variable) to the appliance's "
            "API token."
        )
    problem = _token_problem(token)
    if problem is None:
        return
    if problem.startswith("a line break"):
        fix = (
            "A token encrypted with `echo TOKEN | ansible-vault encrypt_string` keeps the newline echo adds: "
            "encrypt it again without one (`printf '%s' TOKEN | ansible-vault encrypt_string --stdin-name "
            "bomgar_api_token`, or `echo -n`), or strip it where it is used "
            '(api_token: "{{ bomgar_api_token | trim }}").'
        )
    else:
        fix = (
            "An API token is visible ASCII characters only (no spaces, line breaks, control or non-ASCII "
            "characters): give it exactly as the appliance issued it."
        )
    raise ApplianceError(
        f"api_token holds {problem}, which cannot be sent in an HTTP header, so nothing was sent. {fix} "
        "(The token is not shown.)",
        details={"hint": "Remove the line break or other invisible characters from api_token."},
    )


def check_seconds(value, option: str = "timeout") -> float:
    """``value`` as seconds when it is a finite number above 0; otherwise refused, naming ``option``."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        shown = f"{seconds:g}" if not math.isnan(seconds) else f"'{value}'"
        raise ApplianceError(
            f"{option} is {shown}: give the number of seconds to wait, more than 0 (e.g. 30).",
            details={"hint": f"Set {option} to a number of seconds above 0."},
        )
    return seconds


def check_connection_options(params: dict) -> None:
    """Refuse connection options no request can be made with, before anything is sent (the token never shown)."""
    api_base_url(params.get("appliance_url"))
    check_api_token(params.get("api_token"))
    if params.get("timeout") is not None:
        check_seconds(params["timeout"], "timeout")


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


def _proxy_for(base_url: str) -> tuple | None:
    """``(host, port, headers)`` of the proxy the environment names for ``base_url``, or None (direct)."""
    host = urllib.parse.urlsplit(base_url).hostname or ""
    proxies = urllib.request.getproxies()
    proxy = proxies.get("https") or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    parsed = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
    except ValueError:
        port = None
    if not parsed.hostname or port is None:
        raise ApplianceError(
            f"The proxy '{_shown_url(proxy)}' named by https_proxy is not host:port. "
            "Correct https_proxy, or add the appliance to no_proxy."
        )
    headers = {}
    if parsed.username is not None:
        credentials = f"{urllib.parse.unquote(parsed.username)}:{urllib.parse.unquote(parsed.password or '')}"
        headers["Proxy-Authorization"] = "Basic " + base64.b64encode(credentials.encode("utf-8")).decode("ascii")
    return parsed.hostname, port, headers


class _Deadline:
    """When a request (or a series of them) must be done; ``remaining()`` raises TimeoutError once it passed."""

    def __init__(self, seconds: float, scope: str = ""):
        self.seconds = seconds
        self.scope = scope
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline passed")
        return left

    def allows(self, delay: float) -> bool:
        return time.monotonic() + delay < self.at


class _DeadlineReader(io.RawIOBase):
    """Reads from a socket, each read under what is left of the deadline (a trickling answer cannot stretch it).

    It reads through the socket's own raw file, which keeps the socket open until the answer is read even when
    http.client closes the connection meanwhile (an answer that ends the connection).
    """

    def __init__(self, sock, deadline: _Deadline):
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self._sock.settimeout(self._deadline.remaining())
        return self._raw.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    """An HTTP response read under the request's deadline."""

    def __init__(self, sock, deadline: _Deadline, *args, **kwargs):
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # the file the base class opened on the socket; reads go through the deadline instead
        self.fp = io.BufferedReader(_DeadlineReader(sock, deadline))


class _Connection(http.client.HTTPSConnection):
    """An HTTPS connection on which connecting, the handshake, every write and every read keep to ``deadline``."""

    deadline: _Deadline

    def response_class(self, sock, *args, **kwargs):  # http.client calls self.response_class(sock, method=...)
        """The response of the current request (or of the proxy's CONNECT), read under the deadline."""
        return _DeadlineResponse(sock, self.deadline, *args, **kwargs)

    def connect(self) -> None:
        """TCP (and the proxy's CONNECT when tunnelling), then the TLS handshake, all within the deadline."""
        self.timeout = self.deadline.remaining()
        http.client.HTTPConnection.connect(self)
        self.sock.settimeout(self.deadline.remaining())
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._tunnel_host or self.host)

    def send(self, data) -> None:
        """Send bytes in chunks, each under what is left of the deadline."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            super().send(data)
            return
        if self.sock is None:
            self.connect()
        view = memoryview(data)
        for start in range(0, len(view), SEND_CHUNK):
            self.sock.settimeout(self.deadline.remaining())
            self.sock.sendall(view[start : start + SEND_CHUNK])


def _looks_like_html(content_type: str, payload: bytes) -> bool:
    return "html" in (content_type or "").lower() or (payload or b"").lstrip()[:1] == b"<"


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
        check_connection_options({"appliance_url": appliance_url, "api_token": api_token, "timeout": timeout})
        self.base_url = api_base_url(appliance_url)
        self._token = api_token
        self._timeout = float(timeout)
        self._retries = max(0, int(retries))
        self._backoff = float(backoff)
        self._validate_certs = bool(validate_certs)
        self._ca_path = ca_path
        parsed = urllib.parse.urlsplit(self.base_url)
        self._netloc = (parsed.hostname, parsed.port or 443)
        self._context = _tls_context(validate_certs, ca_path)
        self._proxy = _proxy_for(self.base_url)
        self._connection = None
        self._limit: _Deadline | None = None
        self.requests_made = 0
        self.connections_made = 0

    def close(self) -> None:
        """Close the connection kept open to the appliance (a later request opens a new one)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __repr__(self) -> str:
        return f"ApplianceClient({self.base_url!r})"

    @contextlib.contextmanager
    def time_limit(self, seconds: float | None = None):
        """Inside the block, all requests together get their answers within ``seconds`` (default: the timeout).

        Retries included: a series of reads of one appliance ends at this deadline, and the message of a
        request it cuts short names it.
        """
        saved = self._limit
        seconds = self._timeout if seconds is None else check_seconds(seconds)
        self._limit = _Deadline(seconds, "for the whole read of this appliance")
        try:
            yield self
        finally:
            self._limit = saved

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
        """Send one request, retrying idempotent ones on transient failures while the deadline allows.

        Returns the JSON body or None.
        """
        deadline = _Deadline(self._timeout)
        if self._limit is not None and self._limit.at < deadline.at:
            deadline = self._limit
        url = self.base_url + "/" + path.lstrip("/")
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = json.dumps(body).encode("utf-8") if body is not None else None
        attempts = 1 + (self._retries if method in IDEMPOTENT_METHODS else 0)
        for attempt in range(attempts):
            delay = self._backoff * (2**attempt)
            try:
                return self._send(method, url, data, deadline)
            except _Transient as exc:
                if attempt == attempts - 1 or not deadline.allows(delay):
                    raise exc.error from None
                time.sleep(delay)
        raise ApplianceError(f"{method} {url} was not sent.")  # not reached: the loop returns or raises

    def _send(self, method: str, url: str, data: bytes | None, deadline: _Deadline):
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        self.requests_made += 1
        return self._send_kept(method, url, data, headers, deadline)

    def _open(self, deadline: _Deadline) -> _Connection:
        host, port = self._netloc
        if self._proxy is None:
            connection = _Connection(host, port, context=self._context)
        else:
            proxy_host, proxy_port, proxy_headers = self._proxy
            connection = _Connection(proxy_host, proxy_port, context=self._context)
            connection.set_tunnel(host, port, headers=proxy_headers)
        connection.deadline = deadline
        self.connections_made += 1
        return connection

    def _send_kept(self, method: str, url: str, data: bytes | None, headers: dict, deadline: _Deadline):
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
                self._connection = self._open(deadline)
            connection = self._connection
            connection.deadline = deadline
            sent = False
            try:
                connection.request(method, target, body=data, headers=headers)
                sent = True
                response = connection.getresponse()
                payload = response.read()
            except _STALE_CONNECTION as exc:
                self.close()
                if reused and attempt == 1:  # never a POST: it always goes on a new connection
                    continue
                raise self._lost(method, parsed.path, sent, exc) from None
            except TimeoutError:
                self.close()
                raise self._timeout_error(method, parsed.path, sent, deadline) from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise self._lost(method, parsed.path, sent, exc) from None
            if response.will_close:
                self.close()
            content_type = response.getheader("Content-Type") or ""
            if response.status >= 300:
                raise self._http_error(method, url, response.status, response.reason, payload, content_type) from None
            return self._decode(method, url, payload, content_type, response.status)
        raise ApplianceError(f"{method} {url} was not sent.")  # not reached: the loop returns or raises

    def _decode(self, method: str, url: str, payload: bytes, content_type: str, status: int):
        try:
            return json.loads(payload) if payload else None
        except ValueError:
            path = urllib.parse.urlsplit(url).path
            if _looks_like_html(content_type, payload):
                raise ApplianceError(
                    f"The server at {self.base_url} answered {method} {path} with an HTML page (HTTP {status}), "
                    f"not the API's JSON: {WRONG_ADDRESS_HINT}",
                    details={"hint": WRONG_ADDRESS_HINT},
                ) from None
            raise ApplianceError(
                f"The appliance at {self.base_url} answered {method} {path} with something other than JSON "
                f"(Content-Type '{content_type}'). Check that appliance_url names the address and port of the "
                "appliance's API (bomgar_appliance_url in the inventory).",
            ) from None

    def _timeout_error(self, method: str, path: str, sent: bool, deadline: _Deadline):
        limit = f"{deadline.seconds:g} s (timeout{', ' + deadline.scope if deadline.scope else ''})"
        if sent and method not in IDEMPOTENT_METHODS:
            return ApplianceOutcomeUnknownError(
                f"The appliance at {self.base_url} gave no complete answer to {method} {path} within {limit}, "
                f"after the request was sent: the appliance may have applied it. {RERUN_IS_SAFE} "
                "Raise timeout if the appliance is slow.",
                details={"hint": RERUN_IS_SAFE},
            )
        return _Transient(
            ApplianceConnectionError(
                f"The appliance at {self.base_url} gave no complete answer to {method} {path} within {limit}. "
                "Check that the appliance is up and that appliance_url names its API, or raise timeout.",
                details={"hint": "Check that the appliance is up, or raise timeout."},
            )
        )

    def _lost(self, method: str, path: str, sent: bool, reason):
        """The error of a request whose connection failed: lost after a POST was sent, TLS, or unreachable."""
        shown = reason or type(reason).__name__
        if sent and method not in IDEMPOTENT_METHODS:
            return ApplianceOutcomeUnknownError(
                f"The connection to the appliance at {self.base_url} was lost after {method} {path} was sent, "
                f"before its answer ({shown}): the appliance may have applied it. {RERUN_IS_SAFE}",
                details={"hint": RERUN_IS_SAFE},
            )
        if sent:
            return _Transient(
                ApplianceConnectionError(
                    f"The connection to the appliance at {self.base_url} was lost before its answer to {method} "
                    f"{path} ({shown}). Check that the appliance is up and reachable from the controller.",
                )
            )
        return self._url_error(reason)

    def _http_error(self, method: str, url: str, code: int, reason: str, payload: bytes, content_type: str = ""):
        try:
            body = json.loads(payload or b"{}")
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        path = urllib.parse.urlsplit(url).path
        # An HTML refusal: a web site, not the API (a gateway's error page, 5xx, is not taken for one).
        if not body and code < 500 and code != 401 and _looks_like_html(content_type, payload):
            return ApplianceAPIError(
                f"The server at {self.base_url} refused {method} {path} with HTTP {code} {reason} and an HTML "
                f"answer, not the API's JSON: {WRONG_ADDRESS_HINT}",
                status=code,
                details={"hint": WRONG_ADDRESS_HINT},
            )
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

    def _url_error(self, reason):
        if isinstance(reason, ssl.SSLCertVerificationError):
            return ApplianceTLSError(
                f"The API certificate of the appliance at {self.base_url} is not trusted: {reason.verify_message}. "
                "Set ca_path to the CA file that signed it (validate_certs: false only in a lab). If appliance_url "
                "names the appliance's site (its site port) rather than its API, use the API's address and port "
                "(bomgar_appliance_url in the inventory).",
                details={"ca_path": self._ca_path},
            )
        if isinstance(reason, ssl.SSLError):
            return ApplianceTLSError(
                f"TLS with the appliance at {self.base_url} failed: {reason}. "
                "Check that appliance_url names the HTTPS address and port of the appliance's API "
                "(bomgar_appliance_url in the inventory)."
            )
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


# Shared with the web transport (web_session.py), which reaches the same appliance over the same HTTPS listener:
# one TLS context per CA file, the environment's proxy, the deadline of a request, a connection that keeps to it.
tls_context = _tls_context
proxy_for = _proxy_for
shown_url = _shown_url
Deadline = _Deadline
DeadlineConnection = _Connection
STALE_CONNECTION = _STALE_CONNECTION
