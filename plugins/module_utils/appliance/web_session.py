# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A browser's session with the appliance's /appliance web interface (docs/web-interface.md, "Session").

Standard library only. The same HTTPS as the API client (client.py): its TLS
context per CA file, the environment's proxy, a deadline per request (and
``time_limit`` for a series), one kept connection; a form that changes
something is posted once, on a new connection. On top of that, what a browser
does: cookies, redirects (same origin only), logging in with the admin username
and password, logging in again once when a page sends it back to the login page
(the session expired), posting every hidden field a form carries (its CSRF
value), ``multipart/form-data`` for a file upload, and downloads
(``Content-Disposition: attachment``).

The password, the session cookie and the CSRF value are never put into an
error, a log or a snapshot.
"""

from __future__ import annotations

import contextlib
import datetime
import email.message
import email.utils
import http.client
import http.cookies
import secrets
import ssl
import time
import urllib.parse

from .client import (
    RERUN_IS_SAFE,
    STALE_CONNECTION,
    ApplianceAPIError,
    ApplianceAuthError,
    ApplianceConnectionError,
    ApplianceError,
    ApplianceOutcomeUnknownError,
    ApplianceTLSError,
    Deadline,
    DeadlineConnection,
    api_base_url,
    check_seconds,
    proxy_for,
    shown_url,
    tls_context,
)
from .web_page import Page, Submission, collapse

WEB_ROOT = "/appliance"
LOGIN_PATH = WEB_ROOT + "/login"
LOGIN_TITLE = "Log In"
INVALID_LOGIN = "Invalid username or password."
SESSION_CHANGED = "Your session changed; reload the page and try again."
MAX_REDIRECTS = 10
RETRY_STATUSES = frozenset((502, 503, 504))
CREDENTIAL_VARIABLES = {"username": "BOMGAR_USERNAME", "password": "BOMGAR_PASSWORD"}
WRONG_ADDRESS_HINT = (
    "appliance_url must name the appliance's own HTTPS address and port (the one its API uses, "
    "bomgar_appliance_url in the inventory), whose /appliance pages are the web interface; not the site port."
)


def check_credentials(username, password) -> None:
    """Refuse a username or password no login form takes, before anything is sent (never showing them)."""
    for name, value in (("username", username), ("password", password)):
        variable = CREDENTIAL_VARIABLES[name]
        if not isinstance(value, str) or not value:
            raise ApplianceError(
                f"The web transport needs the admin {name} of the appliance's /appliance web interface, and {name} "
                f"is empty. Set {name} (bomgar_{name} in the inventory, or the {variable} environment variable).",
                details={"hint": f"Set {name} (or {variable})."},
            )
        if any(char in value for char in "\r\n\x00"):
            raise ApplianceError(
                f"{name} holds a line break or a NUL character, which no login form takes, so nothing was sent. "
                f"Give the {name} exactly as the appliance has it ({name}, bomgar_{name} in the inventory, or the "
                f"{variable} environment variable; a value vaulted with `echo` keeps echo's newline: vault it with "
                "`printf '%s'`). (The value is not shown.)",
                details={"hint": f"Remove the line break from {name} (or {variable})."},
            )


class Download:
    """A file the appliance sent as an attachment."""

    def __init__(self, filename: str, content_type: str, content: bytes, url: str):
        self.filename = filename
        self.content_type = content_type
        self.content = content
        self.url = url

    def __repr__(self) -> str:
        return f"Download({self.filename!r}, {len(self.content)} bytes)"


class StepAgain(Exception):
    """The session was renewed while a form was being sent (the form was not applied): load it again, then send."""


class _Answer:
    """One HTTP answer: status, headers, body, and the address it answers."""

    def __init__(self, status: int, reason: str, headers, body: bytes, url: str):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.url = url

    def header(self, name: str) -> str:
        return self.headers.get(name) or ""


def _attachment_filename(disposition: str) -> str | None:
    """The file name of ``Content-Disposition: attachment; filename="…"`` (None when it is not an attachment)."""
    if not disposition or disposition.split(";", 1)[0].strip().lower() != "attachment":
        return None
    message = email.message.Message()
    message["Content-Disposition"] = disposition
    return message.get_filename() or "download"


def _charset(content_type: str) -> str:
    message = email.message.Message()
    message["Content-Type"] = content_type or "text/html"
    return message.get_content_charset() or "utf-8"


def _multipart(entries: list) -> tuple[bytes, str]:
    """``(body, content type)`` of ``entries`` as ``multipart/form-data``."""
    boundary = "----bomgar-pki-" + secrets.token_hex(16)
    parts = []
    for name, value in entries:
        quoted = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        if isinstance(value, list):
            files = value or [("", b"")]
            for filename, content in files:
                shown = (filename or "").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
                head = (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{quoted}"; filename="{shown}"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n"
                )
                parts.append(head.encode("utf-8") + bytes(content) + b"\r\n")
        else:
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{quoted}"\r\n\r\n'
            parts.append(head.encode("utf-8") + str(value).encode("utf-8") + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode("ascii"))
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class WebSession:
    """A logged-in browser session with one appliance's web interface."""

    def __init__(
        self,
        appliance_url: str,
        username: str,
        password: str,
        validate_certs: bool = True,
        ca_path: str | None = None,
        timeout: float = 30,
        snapshot_dir: str | None = None,
        retries: int = 3,
        backoff: float = 0.5,
    ):
        check_credentials(username, password)
        url = appliance_url.strip() if isinstance(appliance_url, str) else ""
        if url.lower().startswith("http://"):
            secure = "https://" + shown_url(url).split("://", 1)[1].split("/", 1)[0]
            raise ApplianceError(
                f"appliance_url '{shown_url(url)}' uses http://, which would send the admin password in clear text, "
                "so nothing was sent. The appliance's /appliance web interface is only used over HTTPS: write the "
                f"URL with https:// (e.g. {secure}), with ca_path set to the CA that signed its certificate.",
                details={"hint": "Use https:// in appliance_url (bomgar_appliance_url in the inventory)."},
            )
        api_url = api_base_url(appliance_url)
        self._timeout = check_seconds(timeout, "timeout")
        parsed = urllib.parse.urlsplit(api_url)
        self.origin = f"https://{parsed.netloc.rpartition('@')[2]}"
        self.base_url = self.origin + WEB_ROOT
        self._netloc = (parsed.hostname, parsed.port or 443)
        self._username = username
        self._password = password
        self._ca_path = ca_path
        self._context = tls_context(validate_certs, ca_path)
        self._proxy = proxy_for(api_url)
        self._retries = max(0, int(retries))
        self._backoff = float(backoff)
        self.snapshot_dir = snapshot_dir
        self._connection = None
        self._limit: Deadline | None = None
        self._cookies: dict[str, str] = {}
        self.logged_in = False
        self.landing: Page | None = None
        self.logout_url: str | None = None
        self._clock = None
        self.requests_made = 0
        self.connections_made = 0

    # --- the appliance's clock -----------------------------------------------------------------

    def appliance_now(self) -> datetime.datetime:
        """The appliance's time now, from the ``Date`` of its last answer (the controller's clock before any)."""
        if self._clock is None:
            return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        stamp, seen = self._clock
        return stamp + datetime.timedelta(seconds=int(time.monotonic() - seen))

    def _note_date(self, answer: _Answer) -> None:
        try:
            stamp = email.utils.parsedate_to_datetime(answer.header("Date"))
        except (TypeError, ValueError, IndexError):
            return
        if stamp is not None and stamp.tzinfo is not None:
            self._clock = (stamp.astimezone(datetime.timezone.utc), time.monotonic())

    # --- connection ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the kept connection (the session stays valid on the appliance until it ends or is logged out)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @contextlib.contextmanager
    def time_limit(self, seconds: float | None = None):
        """Inside the block, all requests together get their answers within ``seconds`` (default: the timeout)."""
        saved = self._limit
        seconds = self._timeout if seconds is None else check_seconds(seconds)
        self._limit = Deadline(seconds, "for the whole read of this appliance")
        try:
            yield self
        finally:
            self._limit = saved

    def _deadline(self) -> Deadline:
        deadline = Deadline(self._timeout)
        if self._limit is not None and self._limit.at < deadline.at:
            return self._limit
        return deadline

    def _open(self, deadline: Deadline) -> DeadlineConnection:
        host, port = self._netloc
        if self._proxy is None:
            connection = DeadlineConnection(host, port, context=self._context)
        else:
            proxy_host, proxy_port, proxy_headers = self._proxy
            connection = DeadlineConnection(proxy_host, proxy_port, context=self._context)
            connection.set_tunnel(host, port, headers=proxy_headers)
        connection.deadline = deadline
        self.connections_made += 1
        return connection

    def _headers(self, body_type: str | None) -> dict:
        headers = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "User-Agent": "bomgar.pki web transport"}
        if self._cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self._cookies.items())
        if body_type:
            headers["Content-Type"] = body_type
        return headers

    def _keep_cookies(self, headers) -> None:
        for line in headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            try:
                jar.load(line)
            except http.cookies.CookieError:
                continue
            for name, morsel in jar.items():
                expires = morsel["expires"]
                gone = morsel["max-age"] in ("0",) or morsel["max-age"].startswith("-")
                if expires and not gone:
                    with contextlib.suppress(TypeError, ValueError):
                        when = email.utils.parsedate_to_datetime(expires)
                        gone = when is not None and when <= datetime.datetime.now(datetime.timezone.utc)
                if gone:
                    self._cookies.pop(name, None)
                else:
                    self._cookies[name] = morsel.value

    def _exchange(self, method: str, url: str, body: bytes | None, body_type: str | None, changes: bool) -> _Answer:
        """One request and its answer; idempotent ones retried on transient failures while the deadline allows."""
        deadline = self._deadline()
        attempts = 1 if changes else 1 + self._retries
        for attempt in range(attempts):
            delay = self._backoff * (2**attempt)
            try:
                answer = self._send(method, url, body, body_type, changes, deadline)
            except _Transient as exc:
                if attempt == attempts - 1 or not deadline.allows(delay):
                    raise exc.error from None
                time.sleep(delay)
                continue
            if answer.status in RETRY_STATUSES and not changes and attempt < attempts - 1 and deadline.allows(delay):
                time.sleep(delay)
                continue
            return answer
        raise ApplianceError(f"{method} {url} was not sent.")  # not reached

    def _send(self, method, url, body, body_type, changes, deadline) -> _Answer:
        parsed = urllib.parse.urlsplit(url)
        target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
        if changes:
            self.close()
        for attempt in (1, 2):
            reused = self._connection is not None
            if not reused:
                self._connection = self._open(deadline)
            connection = self._connection
            connection.deadline = deadline
            sent = False
            self.requests_made += 1
            try:
                connection.request(method, target, body=body, headers=self._headers(body_type))
                sent = True
                response = connection.getresponse()
                payload = response.read()
            except STALE_CONNECTION as exc:
                self.close()
                if reused and attempt == 1 and not changes:
                    continue
                raise self._lost(method, parsed.path, sent, changes, exc) from None
            except TimeoutError:
                self.close()
                raise self._timed_out(method, parsed.path, sent, changes, deadline) from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise self._lost(method, parsed.path, sent, changes, exc) from None
            if response.will_close:
                self.close()
            answer = _Answer(response.status, response.reason, response.headers, payload, url)
            self._keep_cookies(response.headers)
            self._note_date(answer)
            return answer
        raise ApplianceError(f"{method} {url} was not sent.")  # not reached

    def _timed_out(self, method, path, sent, changes, deadline):
        limit = f"{deadline.seconds:g} s (timeout{', ' + deadline.scope if deadline.scope else ''})"
        if sent and changes:
            return ApplianceOutcomeUnknownError(
                f"The appliance at {self.origin} gave no complete answer to the form sent to {path} within {limit}: "
                f"it may have applied it. {RERUN_IS_SAFE} Raise timeout if the appliance is slow.",
                details={"hint": RERUN_IS_SAFE},
            )
        return _Transient(
            ApplianceConnectionError(
                f"The appliance at {self.origin} gave no complete answer to {method} {path} within {limit}. Check that "
                "the appliance is up and that appliance_url names it, or raise timeout.",
                details={"hint": "Check that the appliance is up, or raise timeout."},
            )
        )

    def _lost(self, method, path, sent, changes, reason):
        shown = reason or type(reason).__name__
        if sent and changes:
            return ApplianceOutcomeUnknownError(
                f"The connection to the appliance at {self.origin} was lost after the form was sent to {path}, before "
                f"its answer ({shown}): the appliance may have applied it. {RERUN_IS_SAFE}",
                details={"hint": RERUN_IS_SAFE},
            )
        if isinstance(reason, ssl.SSLCertVerificationError):
            return ApplianceTLSError(
                f"The HTTPS certificate of the appliance at {self.origin} (its /appliance web interface) is not "
                f"trusted: {reason.verify_message}. Set ca_path to the CA file that signed it (validate_certs: false "
                "only in a lab).",
                details={"ca_path": self._ca_path},
            )
        if isinstance(reason, ssl.SSLError):
            return ApplianceTLSError(
                f"TLS with the appliance at {self.origin} failed: {reason}. Check that appliance_url names the "
                "appliance's HTTPS address and port."
            )
        what = f"lost before its answer to {method} {path}" if sent else "could not be made"
        return _Transient(
            ApplianceConnectionError(
                f"Cannot reach the appliance at {self.origin}: the connection {what} ({shown}). Check appliance_url "
                "and that the appliance is up and reachable from the controller."
            )
        )

    # --- pages ---------------------------------------------------------------------------------

    def _same_origin(self, url: str) -> bool:
        parsed = urllib.parse.urlsplit(url)
        return f"{parsed.scheme}://{parsed.netloc}".lower() == self.origin.lower()

    def absolute(self, url: str) -> str:
        """``url`` resolved against the web interface (a path, or an address the pages gave)."""
        return urllib.parse.urljoin(self.base_url + "/", url)

    def _fetch(self, method: str, url: str, body=None, body_type=None, changes=False):
        """One request and the redirects that follow it; the final page or download."""
        for _hop in range(MAX_REDIRECTS + 1):
            if not self._same_origin(url):
                raise ApplianceError(
                    f"The appliance at {self.origin} sent the web transport to another address "
                    f"({urllib.parse.urlsplit(url).netloc}), which it does not follow. {WRONG_ADDRESS_HINT}"
                )
            answer = self._exchange(method, url, body, body_type, changes)
            if answer.status in (301, 302, 303, 307, 308) and answer.header("Location"):
                url = urllib.parse.urljoin(url, answer.header("Location"))
                if answer.status in (301, 302, 303):
                    method, body, body_type = "GET", None, None
                changes = changes and method != "GET"
                continue
            return self._result(method, answer)
        raise ApplianceError(
            f"The appliance at {self.origin} redirected more than {MAX_REDIRECTS} times from {method} "
            f"{urllib.parse.urlsplit(url).path}. {WRONG_ADDRESS_HINT}"
        )

    def _result(self, method: str, answer: _Answer):
        path = urllib.parse.urlsplit(answer.url).path
        content_type = answer.header("Content-Type")
        filename = _attachment_filename(answer.header("Content-Disposition"))
        if filename is not None and answer.status < 300:
            return Download(filename, content_type, answer.body, answer.url)
        if answer.status >= 500:
            raise ApplianceAPIError(
                f"The appliance at {self.origin} failed to answer {method} {path} (HTTP {answer.status} "
                f"{answer.reason}). Check the appliance; {RERUN_IS_SAFE}",
                status=answer.status,
                error="internal_error",
            )
        if "html" not in content_type.lower():
            raise ApplianceError(
                f"The appliance at {self.origin} answered {method} {path} with something other than a page "
                f"(HTTP {answer.status}, Content-Type '{content_type}'). {WRONG_ADDRESS_HINT}",
                status=answer.status,
            )
        text = answer.body.decode(_charset(content_type), errors="replace")
        page = Page(text, answer.url, answer.status, self.snapshot_dir)
        logout = page.find_links("Log Out")
        if logout:
            self.logout_url = logout[0].url
        return page

    def _is_login(self, page) -> bool:
        if not isinstance(page, Page) or page.title != LOGIN_TITLE:
            return False
        return any(form.find_field("Password") for form in page.forms)

    def _refused(self, page, what: str):
        """A page that says the session changed (403: load the form again), or that there is no such page (404)."""
        if page.status == 403 and SESSION_CHANGED in page.text():
            raise StepAgain()
        if page.status == 404:
            said = " ".join(alert for alert in page.alerts if alert)
            raise ApplianceAPIError(
                said
                or f"The appliance has no page at {urllib.parse.urlsplit(page.url).path} (HTTP 404): {what} is not "
                "there (any more).",
                status=404,
                error="not_found",
            )

    def get(self, url: str):
        """The page (or download) at ``url``; logs in first, and again once when the session has expired."""
        url = self.absolute(url)
        if not self.logged_in:
            self.login()
        page = self._fetch("GET", url)
        if self._is_login(page):
            self.logged_in = False
            self.login()
            page = self._fetch("GET", url)
            if self._is_login(page):
                raise ApplianceAuthError(
                    f"The appliance at {self.origin} sent the web transport back to its login page right after it "
                    "logged in. Check that the admin account may use the /appliance web interface.",
                    status=401,
                    error="unauthorized",
                )
        if isinstance(page, Page) and page.status >= 400:
            self._refused(page, urllib.parse.urlsplit(url).path)
        return page

    def submit(self, submission: Submission, changes: bool = True):
        """Send a filled form; the page (or download) it leads to.

        When the session expired (the appliance shows the login page) or the form's CSRF value is no longer the
        session's (403), the form was not applied: the session is renewed and :class:`StepAgain` asks the caller
        to load the form again and send it again.
        """
        if submission.method == "GET":
            parsed = urllib.parse.urlsplit(submission.url)
            query = urllib.parse.urlencode(submission.entries)
            page = self._fetch("GET", urllib.parse.urlunsplit(parsed._replace(query=query)))
        elif submission.multipart:
            body, body_type = _multipart(submission.entries)
            page = self._fetch("POST", submission.url, body, body_type, changes)
        else:
            body = urllib.parse.urlencode(submission.entries).encode("utf-8")
            page = self._fetch("POST", submission.url, body, "application/x-www-form-urlencoded", changes)
        if self._is_login(page):
            self.logged_in = False
            self.login()
            raise StepAgain()
        if isinstance(page, Page) and page.status in (403, 404):
            self._refused(page, f"what the form on page '{submission.page_title}' names")
        return page

    # --- logging in and out --------------------------------------------------------------------

    def login(self) -> Page:
        """Log in with the username and password; the page the appliance shows then (Status :: Basics)."""
        self._cookies.clear()
        page = self._fetch("GET", self.origin + LOGIN_PATH)
        if not isinstance(page, Page) or page.status == 404:
            raise ApplianceError(
                f"The appliance at {self.origin} has no login page at {LOGIN_PATH} (HTTP "
                f"{getattr(page, 'status', '?')}). {WRONG_ADDRESS_HINT}",
                details={"hint": WRONG_ADDRESS_HINT},
            )
        page.expect(LOGIN_TITLE)
        form = page.form_with_button("Log In")
        submission = form.fill().set("Username", self._username).set("Password", self._password).press("Log In")
        body = urllib.parse.urlencode(submission.entries).encode("utf-8")
        answer = self._fetch("POST", submission.url, body, "application/x-www-form-urlencoded", changes=False)
        if isinstance(answer, Page) and answer.status == 429:
            wait = next((alert for alert in answer.alerts if alert), "") or answer.text()[:200]
            raise ApplianceAuthError(
                f"The appliance at {self.origin} refuses logins to its /appliance web interface for now: {wait} "
                "Failed logins caused this: check username and password (bomgar_username and bomgar_password in the "
                "inventory, or BOMGAR_USERNAME and BOMGAR_PASSWORD) before running again after that wait.",
                status=429,
                error="login_throttled",
            )
        if self._is_login(answer):
            said = next((alert for alert in answer.alerts if alert), INVALID_LOGIN)
            raise ApplianceAuthError(
                f"The appliance at {self.origin} refused the username and password of its /appliance web interface "
                f"('{said}'). Check username and password (bomgar_username and bomgar_password in the inventory, or "
                "the BOMGAR_USERNAME and BOMGAR_PASSWORD environment variables): the admin account of the web "
                "interface, not an API token.",
                status=401,
                error="unauthorized",
            )
        if not isinstance(answer, Page) or answer.status >= 400:
            raise ApplianceAuthError(
                f"Logging in to the /appliance web interface of the appliance at {self.origin} failed (HTTP "
                f"{getattr(answer, 'status', '?')}). Check username and password and that appliance_url names "
                "the appliance.",
                status=getattr(answer, "status", None),
                error="unauthorized",
            )
        self.logged_in = True
        self.landing = answer
        return answer

    def logout(self) -> None:
        """Follow the "Log Out" link (ends the session on the appliance); failures are ignored."""
        if not self.logged_in or not self.logout_url:
            return
        self.logged_in = False
        saved = self._limit
        self._limit = Deadline(min(self._timeout, 5.0))
        try:
            self._fetch("GET", self.logout_url)
        except ApplianceError:
            pass
        finally:
            self._limit = saved
            self._cookies.clear()


def visible_text(page: Page) -> str:
    """A page's visible text (for messages), whitespace collapsed."""
    return collapse(page.text())


class _Transient(Exception):
    """A failure worth retrying for requests that change nothing; ``error`` is what to raise in the end."""

    def __init__(self, error: ApplianceError):
        super().__init__(error.message)
        self.error = error
