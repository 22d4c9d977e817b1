# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``web`` transport: the API's calls done on the appliance's /appliance web pages, as a person does.

:class:`WebClient` has the interface of ``client.ApplianceClient`` (``get``,
``post``, ``put``, ``delete``, ``request`` on the API's paths, ``time_limit``,
``close``, ``base_url``, ``requests_made``) and returns the API's JSON shapes
(docs/appliance-api.md), so the modules' logic gives the same results over
both transports. Everything is found by the visible texts docs/web-interface.md
names; a page that lacks one fails with ``WebPageDifferenceError`` (and a
redacted snapshot) before anything is sent.

How the API's paths map onto the pages:

- ``status/basics``: the label / value table of Status :: Basics.
- ``network/ip-addresses``: the table of Networking :: IP Configuration; adding
  is its "Add IP Address" form, removing a row's "Remove".
- ``certificates``: the certificates table of Security :: Certificates (one
  read serves every certificate and request until something changes). What the
  list does not show is read from one export per certificate (PEM with its
  chain, no key), read with the collection's PKI core: fingerprint, subject,
  issuer, names, validity, public key, CA, self-signed, AIA, the chain and its
  status; the role by the same rules as the appliance, with its hostnames from
  Status :: Basics; ``key_id`` from the "Key" row of Edit Certificate
  Configuration. Exports are kept until the set of certificates changes.
- ``certificates/{id}/export``: tick the row, "Action" "Export", "Apply", then
  the Export form. A PKCS#12 without the key, or in the legacy algorithms, is
  made here from what the page exported, with the PKI core.
- ``certificates/{id}`` DELETE: tick the row, "Action" "Delete", "Apply".
- ``certificates/{id}/ip-addresses``: the address checkboxes of Edit
  Certificate Configuration and "Save Configuration".
- ``certificates/self-signed`` and ``certificate-requests`` POST: the New
  Certificate form (each alternative name with "Add"), then "Create Self-Signed
  Certificate" or "Create Certificate Request".
- ``certificates/import``: the Import Certificate form ("Upload"); what was
  imported is read from the list before and after.
- ``certificate-requests``: the requests table, and each request's View Request
  page (its PEM in "Request Data", read with the PKI core); DELETE is "Delete
  Request", which also deletes the request's key when nothing else uses it.
- ``keys``: the Key dropdown of the New Certificate form; who uses a key from
  the requests table and the Edit Certificate Configuration pages; its type,
  size, curve and public key fingerprint from a request or certificate that uses
  it. No page makes a key alone: ``POST keys`` is kept and made by the next
  request or self-signed certificate of the same name ("New Key (…)").
- ``locks``: a marker certificate request named ``bomgar.pki lock <name>
  <holder> until <UTC time>``, with the API's rules (``lock_held`` with
  ``details.lock``, renewal by the same holder, takeover after the lease,
  ``force``); times are the appliance's clock (the ``Date`` of its answers).

Ids over the web are the addresses of the links the pages give (Edit
Certificate Configuration, View Request); a key's id is its name.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import ipaddress
import re
import urllib.parse

from .client import ApplianceAPIError, ApplianceError
from .web_acme import AcmePages
from .web_page import Page, WebPageDifferenceError, address_sort_key, link_id, safe_html
from .web_session import Download, StepAgain, WebSession

try:
    from ..pki import chain as pki_chain
    from ..pki import chain_facts, describe, formats, hostnames, name_rules, subject_fields
    from ..pki import keys as pki_keys
    from ..pki.deps import require_cryptography
    from ..pki.errors import InputTooLarge, PKIError
    from ..pki.fingerprints import certificate_fingerprint
except ImportError:  # the PKI core needs cryptography; reported by require_cryptography() when used
    pki_chain = chain_facts = describe = formats = hostnames = name_rules = subject_fields = pki_keys = None
    InputTooLarge = PKIError = ()
    certificate_fingerprint = None

    def require_cryptography() -> None:
        """The PKI core could not be imported: say how to install cryptography."""
        raise ApplianceError(
            "The web transport reads certificates with the Python library 'cryptography', which is not installed "
            "on the Ansible controller: pip install 'cryptography>=42.0'."
        )


__all__ = ["WebClient", "WebPageDifferenceError"]

BASICS = "Status :: Basics"
IP_CONFIGURATION = "Networking :: IP Configuration"
CERTIFICATES = "Security :: Certificates"
INSTALLATION = "Security :: Certificate Installation"
REQUESTS = "Security :: Certificate Requests"
NEW_CERTIFICATE = "Security :: Certificates :: New Certificate"
IMPORT = "Security :: Import Certificate"
EDIT = "Security :: Certificates :: Edit Certificate Configuration"
VIEW_REQUEST = "Security :: Certificates :: View Request"
EXPORT = "Security :: Certificates :: Export"
CERTIFICATE_COLUMNS = (
    "Certificate Friendly Name",
    "Issued To",
    "Issued By",
    "Expiration Date",
    "Private Key",
    "Alternative Names",
    "IP Addresses",
)
REQUEST_COLUMNS = ("Certificate Friendly Name", "Issued To", "Key", "Created")
SUBJECT_LABELS = (
    ("country_name", "Country"),
    ("state_or_province_name", "State/Province"),
    ("locality_name", "City (Locality)"),
    ("organization_name", "Organization"),
    ("organizational_unit_name", "Organizational Unit"),
    ("common_name", "Name (Common Name)"),
)
NEW_KEY_OPTIONS = {
    ("rsa", 2048): "New Key (RSA 2048 bits)",
    ("rsa", 3072): "New Key (RSA 3072 bits)",
    ("rsa", 4096): "New Key (RSA 4096 bits)",
    ("ec", "P-256"): "New Key (EC P-256)",
    ("ec", "P-384"): "New Key (EC P-384)",
}
NEW_KEY_PREFIX = "New Key ("
FACTORY_DEFAULT_NAME = "Factory Default"
NOT_AVAILABLE = "Not Available"
SELF_SIGNED_DAYS = 365
MAX_LABEL_LENGTH = 128
MAX_FILES = 64
LOCK_PREFIX = "bomgar.pki lock "
LOCK_MARKER = re.compile(
    r"^bomgar\.pki lock (?P<name>\S+) (?P<holder>.+) until (?P<until>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$"
)
LOCK_SINCE = re.compile(r"since (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")
LOCK_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
LOCK_KEY_OPTION = "New Key (EC P-256)"
MAX_HOLDER_LENGTH = 200
# Page texts that are notices, not refusals.
NOT_REFUSALS = ("The certificate chain is incomplete.", "The private key of this certificate is not available")
NOT_OVER_WEB = "not_possible_over_web"
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
_PRIVATE_KEY_REMEDY = (
    "Export the certificate WITH its private key, protected by a passphrase (PKCS#12, .p12/.pfx), from the server "
    "that holds the key, and import that PKCS#12 file here with the passphrase; then assign the IP addresses."
)
# A refusal shown by a page, by what its message says: (pattern, HTTP status the API gives, the API's error code).
_REFUSALS = (
    (r"pending certificate request named .* already exists", 409, "request_exists"),
    (r"^A key named .* already exists", 409, "key_exists"),
    (r"^Key .* is used by", 409, "key_in_use"),
    (r"is assigned to IP address", 409, "certificate_bound"),
    (r"factory default certificate cannot be deleted", 409, "factory_default"),
    (r"private key of (?:this )?certificate .*(?:not available|not on this appliance)", 409, "private_key_unavailable"),
    (r"is held by .* since", 409, "lock_held"),
    (r"is a CA certificate", 422, "not_a_server_certificate"),
    (r"listener cannot load it", 422, "certificate_not_servable"),
    (r"has no IP address", 422, "unknown_ip_address"),
    (r"is not an IP address|IP address .* cannot be used", 422, "invalid_ip_address"),
    (r"belongs to no certificate", 422, "key_without_certificate"),
    (r"wrong passphrase|passphrase .* (?:is wrong|does not open|did not open)", 422, "wrong_passphrase"),
    (
        r"(?:needs|requires) a passphrase|is encrypted and no passphrase|passphrase is required",
        422,
        "passphrase_required",
    ),
    (r"formats tried|not a certificate or key|recogni[sz]ed? (?:as|format)", 422, "unrecognized_format"),
    (r"over 1 MiB|too large|at most 64", 413, "input_too_large"),
    (r"cannot be used: part of it is malformed", 422, "unsupported_certificate"),
    (r"^No [a-zA-Z ]+ with id .* exists on this appliance", 404, "not_found"),
)


# --- small helpers ---------------------------------------------------------------------------------


def _addresses(lines) -> list[str]:
    """The IP addresses among the lines of a cell (its placeholders left out), sorted as the API sorts them."""
    found = []
    for line in lines:
        for word in line.replace(",", " ").split():
            try:
                found.append(str(ipaddress.ip_address(word)))
            except ValueError:
                continue
    return sorted(dict.fromkeys(found), key=address_sort_key)


def _lines(cell) -> list[str]:
    return [line for line in (cell.lines if cell is not None else []) if line not in ("-", "\u2014", "None")]


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(text: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


def _api_error(status: int, error: str, message: str, details: dict | None = None) -> ApplianceAPIError:
    return ApplianceAPIError(message, status=status, error=error, details=details or {})


def _from_pki(exc, source: str | None = None) -> ApplianceAPIError:
    """A PKI core error as the appliance answers it (422, 413 for input that is too large)."""
    details = dict(exc.details)
    if source:
        details.setdefault("source", source)
    return _api_error(413 if isinstance(exc, InputTooLarge) else 422, exc.code, str(exc), details)


def _not_found(what: str, ident: str) -> ApplianceAPIError:
    return _api_error(404, "not_found", f"No {what} with id '{ident}' exists on this appliance.", {"id": ident})


def _not_over_web(message: str, **details) -> ApplianceAPIError:
    return _api_error(422, NOT_OVER_WEB, message, details)


def refusal(message: str, status: int | None = None) -> ApplianceAPIError:
    """A page's refusal (its ``role="alert"`` text) as the API's error, its code read from what it says; ``status``
    is the page's HTTP status when it is a 4xx."""
    for pattern, known_status, code in _REFUSALS:
        if re.search(pattern, message, re.IGNORECASE):
            return _api_error(known_status, code, message)
    return _api_error(status if status and 400 <= status < 500 else 422, "invalid_spec", message)


def checked_label(value, what: str, example: str) -> str:
    """A name or friendly name as the appliance takes it (the API's rules and messages)."""
    field = what.replace(" ", "_")
    if not isinstance(value, str) or not value.strip():
        raise _api_error(
            422,
            "invalid_spec",
            f"The {what} is missing or empty. Give a descriptive {what}, e.g. {example!r}.",
            {"field": field},
        )
    text = value.strip()
    if len(text) > MAX_LABEL_LENGTH:
        raise _api_error(
            422,
            "invalid_spec",
            f"The {what} is {len(text)} characters long; at most {MAX_LABEL_LENGTH} are allowed. Shorten it.",
            {"field": field, "length": len(text), "limit": MAX_LABEL_LENGTH},
        )
    if _CONTROL_CHARACTER.search(text):
        raise _api_error(
            422,
            "invalid_spec",
            f"The {what} contains a control character (such as a line break or tab). Write it on one line.",
            {"field": field},
        )
    return text


def checked_passphrase(value, purpose: str) -> str | None:
    """A passphrase as text, or None; never echoed."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _api_error(
            422,
            "invalid_spec",
            f"The passphrase {purpose} must be text, got {type(value).__name__}. Give it as a string.",
            {"field": "passphrase"},
        )
    if "\x00" in value:
        raise _api_error(
            422,
            "invalid_spec",
            f"The passphrase {purpose} contains a NUL character, which no PKCS#12 or key file can use. "
            "Give the passphrase without it.",
            {"field": "passphrase"},
        )
    return value


def _check_lock_name(name) -> str:
    if not isinstance(name, str) or not LOCK_NAME.match(name):
        raise _api_error(
            422,
            "invalid_lock",
            f"Lock name {str(name)[:70]!r} is not valid: use 1 to 64 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (the collection uses 'certificates').",
            {"field": "name"},
        )
    return name


def _check_holder(holder) -> str:
    text = holder.strip() if isinstance(holder, str) else ""
    if not text or len(text) > MAX_HOLDER_LENGTH or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise _api_error(
            422,
            "invalid_lock",
            f"The lock holder must be one line of 1 to {MAX_HOLDER_LENGTH} printable characters that names the "
            "run (for example 'alice@controller run 3f9c'), so that whoever finds the lock can trace it.",
            {"field": "holder"},
        )
    return text


def _check_lease(seconds) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not 10 <= seconds <= 86400:
        raise _api_error(
            422,
            "invalid_lock",
            "lease_seconds must be a whole number from 10 to 86400; a run renews its lease while it works.",
            {"field": "lease_seconds"},
        )
    return seconds


def _role_of(cert, site_hostnames) -> str:
    """The certificate's role by the appliance's rules (a CA certificate is never a server certificate)."""
    if chain_facts.is_ca(cert):
        return chain_facts.ROLE_ROOT if chain_facts.is_self_signed(cert) else chain_facts.ROLE_INTERMEDIATE
    return chain_facts.classify(cert, site_hostnames)


def _key_fields(public_key) -> dict:
    info = pki_keys.describe_key(public_key)
    return {
        "type": info["type"],
        "size": info.get("size") if info["type"] == "rsa" else None,
        "curve": info.get("curve") if info["type"] == "ec" else None,
    }


# --- what the pages list ----------------------------------------------------------------------------


class _CertificateRow:
    """One row of the certificates table."""

    def __init__(self, row, link):
        self.row = row
        self.id = link_id(link.url)
        self.url = link.url
        self.friendly_name = link.text
        self.private_key_available = row["Private Key"].text == "Available"
        self.ip_addresses = _addresses(_lines(row["IP Addresses"]))
        self.factory_default = self.friendly_name == FACTORY_DEFAULT_NAME


class _RequestRow:
    """One row of the requests table."""

    def __init__(self, row, link):
        self.row = row
        self.id = link_id(link.url)
        self.url = link.url
        self.friendly_name = row["Certificate Friendly Name"].text
        self.issued_to = row["Issued To"].text
        key = row["Key"].text
        self.key = None if key in ("", NOT_AVAILABLE) else key
        self.created = row["Created"].text or None
        self.marker = LOCK_MARKER.match(self.friendly_name) if self.friendly_name.startswith(LOCK_PREFIX) else None


class WebClient(AcmePages):
    """One appliance's API calls, done on its /appliance web pages (see the module docstring)."""

    def __init__(
        self,
        appliance_url: str,
        username: str,
        password: str,
        validate_certs: bool = True,
        ca_path: str | None = None,
        timeout: float = 30,
        snapshot_dir: str | None = None,
    ):
        self._session = WebSession(
            appliance_url,
            username,
            password,
            validate_certs=validate_certs,
            ca_path=ca_path,
            timeout=timeout,
            snapshot_dir=snapshot_dir,
        )
        self.base_url = self._session.base_url
        self._menu: dict[str, str] = {}
        self._pages: dict[str, Page] = {}
        self._exports: dict[str, str] = {}
        self._parsed: dict[str, list] = {}
        self._export_names: dict[str, str] = {}
        self._certificate_keys: dict[str, str | None] = {}
        self._request_views: dict[str, dict] = {}
        self._deferred: dict[str, dict] = {}
        self._remade: dict[str, dict] = {}
        self._handed_keys: dict[str, list] = {}
        self._may_defer_key = False
        self._landing_used = False

    def __repr__(self) -> str:
        return f"WebClient({self.base_url!r})"

    # --- the client's interface ---------------------------------------------------------------

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far (every page load, form and download)."""
        return self._session.requests_made

    @property
    def connections_made(self) -> int:
        """Connections opened so far."""
        return self._session.connections_made

    @contextlib.contextmanager
    def time_limit(self, seconds: float | None = None):
        """Inside the block, all requests together get their answers within ``seconds`` (default: the timeout)."""
        with self._session.time_limit(seconds):
            yield self

    def close(self) -> None:
        """Log out (the "Log Out" link) and close the connection."""
        try:
            self._session.logout()
        finally:
            self._session.close()

    def get(self, path: str, query: dict | None = None):
        """GET a resource."""
        return self.request("GET", path, query=query)

    def post(self, path: str, body: dict | None = None):
        """POST a resource."""
        return self.request("POST", path, body=body)

    def put(self, path: str, body: dict | None = None):
        """PUT a resource."""
        return self.request("PUT", path, body=body)

    def delete(self, path: str):
        """DELETE a resource."""
        return self.request("DELETE", path)

    def request(self, method: str, path: str, body: dict | None = None, query: dict | None = None):
        """Do the API call ``method path`` on the pages; the API's answer (or None where it has no body)."""
        method = method.upper()
        path = path.lstrip("/")
        query = {name: value for name, value in (query or {}).items() if value is not None}
        body = body if body is not None else {}
        for pattern, methods in _ROUTES:
            match = re.match(pattern, path)
            if match is None:
                continue
            handler = methods.get(method)
            if handler is None:
                raise _api_error(
                    405,
                    "method_not_allowed",
                    f"{method} is not allowed on {path}; allowed: {', '.join(sorted(methods))}.",
                    {"allowed": sorted(methods)},
                )
            return self._step(lambda h=handler, m=match: h(self, body, query, *m.groups()))
        raise _api_error(404, "not_found", f"No resource {path} exists on this appliance.", {"path": path})

    def status_page_html(self) -> str:
        """Status :: Basics as HTML that is safe to keep and render offline (no scripts, hidden fields, values,
        or live links), for the support bundle's screenshot."""
        return safe_html(self._basics_page(fresh=True).html)

    # --- steps and pages ---------------------------------------------------------------------------

    def _step(self, work):
        """Run ``work``; once more when the session was renewed while it sent a form (nothing was applied)."""
        try:
            return work()
        except StepAgain:
            self._pages.clear()
        try:
            return work()
        except StepAgain:
            raise ApplianceError(
                f"The appliance at {self._session.origin} renewed the web session again while a form was being sent; "
                "nothing was applied. Check that no other client logs in with the same account at the same time."
            ) from None

    def _changed(self, *, names=(), imported: bool = False, network: bool = False) -> None:
        """Forget what a change made stale: the list and the New Certificate form always; the exports whose chain
        looked up one of ``names`` (the subjects of certificates added or removed: the appliance builds chains over
        the certificates it holds); the status of pending requests after an import (it may complete them); the
        address pages when bindings changed. A certificate's key, once it has one, never changes."""
        self._may_defer_key = False
        self._landing_used = True  # the page shown at login is older than this change
        for name in ("list", "new"):
            self._pages.pop(name, None)
        names = set(names)
        for ident in [ident for ident, chain in self._parsed.items() if {c.issuer for c in chain} & names]:
            for kept in (self._exports, self._export_names, self._parsed):
                kept.pop(ident, None)
        if imported:
            for ident in [ident for ident, view in self._request_views.items() if view["status"] == "pending"]:
                del self._request_views[ident]
        if network:
            self._pages.pop("network", None)
            self._pages.pop("basics", None)

    def _menu_url(self, item: str) -> str:
        if item not in self._menu:
            page = self._session.landing
            if page is None:
                page = self._session.login()
            found = page.find_links(item)
            if not found:
                raise page.difference("link", item, [link.text for link in page.links])
            self._menu[item] = found[0].url
        return self._menu[item]

    def _open(self, url: str, title: str) -> Page:
        page = self._session.get(url)
        if isinstance(page, Download):
            raise ApplianceError(f"The appliance sent a file ({page.filename}) where page '{title}' was expected.")
        return page.expect(title)

    def _basics_page(self, fresh: bool = False) -> Page:
        if fresh or "basics" not in self._pages:
            landing = self._session.landing
            if landing is None and not self._session.logged_in:
                landing = self._session.login()  # it shows Status :: Basics
            if not fresh and not self._landing_used and landing is not None and landing.title == BASICS:
                self._landing_used = True
                self._pages["basics"] = landing
            else:
                self._pages["basics"] = self._open(self._menu_url("Basics"), BASICS)
        return self._pages["basics"]

    def _list_page(self) -> Page:
        if "list" not in self._pages:
            self._pages["list"] = self._open(self._menu_url("Certificates"), CERTIFICATES)
        return self._pages["list"]

    def _network_page(self) -> Page:
        if "network" not in self._pages:
            self._pages["network"] = self._open(self._menu_url("IP Configuration"), IP_CONFIGURATION)
        return self._pages["network"]

    def _press_on_list(self, section: str, caption: str, title: str) -> Page:
        """Press a button of the Security :: Certificates page that leads to another page (nothing changes)."""
        form = self._list_page().section(section).form_with_button(caption)
        page = self._session.submit(form.fill().press(caption), changes=False)
        if isinstance(page, Download):
            raise ApplianceError(f"The appliance sent a file where page '{title}' was expected.")
        return page.expect(title)

    def _new_certificate_page(self, fresh: bool = False) -> Page:
        if fresh or "new" not in self._pages:
            self._pages["new"] = self._press_on_list(INSTALLATION, "Create", NEW_CERTIFICATE)
        return self._pages["new"]

    def _refuse_alerts(self, page) -> None:
        """Raise the page's refusal (``role="alert"``), as the API's error."""
        if not isinstance(page, Page):
            return
        said = [alert for alert in page.alerts if alert and not alert.startswith(NOT_REFUSALS)]
        if said:
            raise refusal(" ".join(said), page.status)

    # --- status and network ------------------------------------------------------------------------

    def _status(self, _body, _query) -> dict:
        page = self._basics_page()

        def text(label):
            return page.value(label).text

        def lines(label):
            return _lines(page.value(label))

        role = text("Appliance Role")
        port = text("Site Port")
        return {
            "hostname": text("Hostname"),
            "site_hostname": text("Site Hostname"),
            "role": {"Primary": "primary", "Traffic Node": "traffic-node"}.get(role, role.lower().replace(" ", "-")),
            "software_version": text("Software Version"),
            "trusted_root_fingerprints": [line.lower() for line in lines("Trusted Root Certificates (SHA-256)")],
            "ip_addresses": _addresses(lines("IP Addresses")),
            "site_port": int(port) if port.isdigit() else port,
            "traffic_nodes": lines("Traffic Nodes"),
            "appliance_id": text("Appliance ID"),
            "api_version": text("API Version"),
        }

    def _site_hostnames(self) -> tuple:
        status = self._status(None, None)
        names = [status["site_hostname"], status["hostname"], *status["traffic_nodes"]]
        return tuple(name for name in names if name)

    def _health(self, _body, _query) -> dict:
        self._basics_page()
        return {"status": "ok"}

    def _network_rows(self) -> list[dict]:
        page = self._network_page()
        table = page.table("IP Address", "Certificate")
        found = []
        for row in table.rows:
            address = next(iter(_addresses(row["IP Address"].lines)), row["IP Address"].text)
            cell = row["Certificate"]
            if cell.links:
                name, ident = cell.links[0].text, link_id(cell.links[0].url)
            else:  # no link: the certificate of that friendly name
                name = cell.text
                ident = next((r.id for r in self._certificate_rows() if r.friendly_name == name), None)
            found.append(
                {
                    "address": address,
                    "certificate_id": ident,
                    "serving": "factory_default" if name == FACTORY_DEFAULT_NAME else "certificate",
                    "_row": row,
                }
            )
        return sorted(found, key=lambda entry: address_sort_key(entry["address"]))

    def _ip_addresses(self, _body, _query) -> list:
        return [{k: v for k, v in entry.items() if k != "_row"} for entry in self._network_rows()]

    def _canonical_address(self, value) -> str:
        if isinstance(value, str):
            with_spaces = value.strip()
            try:
                return str(ipaddress.ip_address(with_spaces))
            except ValueError:
                pass
        raise _api_error(
            422,
            "invalid_ip_address",
            f"{str(value)[:60]!r} is not an IP address. Give an IPv4 address of the appliance, e.g. 127.0.0.2.",
            {"address": str(value)[:60]},
        )

    def _add_ip_address(self, body, _query) -> dict:
        address = body.get("address")
        canonical = self._canonical_address(address) if isinstance(address, str) else address
        existing = next((e for e in self._ip_addresses(None, None) if e["address"] == canonical), None)
        if existing is not None:
            return existing
        form = self._network_page().form_with_field("IP Address")
        result = self._session.submit(form.fill().set("IP Address", str(address)).press("Add"))
        self._changed(network=True)
        self._refuse_alerts(result)
        added = next((e for e in self._ip_addresses(None, None) if e["address"] == canonical), None)
        if added is None:
            raise ApplianceError(f"The appliance did not list IP address {canonical} after it was added.")
        return added

    def _remove_ip_address(self, _body, _query, address) -> None:
        canonical = self._canonical_address(urllib.parse.unquote(address))
        entry = next((e for e in self._network_rows() if e["address"] == canonical), None)
        if entry is None:
            raise _not_found("IP address", canonical)
        button = next((c for c in entry["_row"].controls if c.is_button and c.caption == "Remove"), None)
        page = self._network_page()
        if button is None:
            raise page.difference("button", "Remove", [c.caption for c in entry["_row"].controls if c.is_button])
        form = next(form for form in page.forms if button in form.controls)
        result = self._session.submit(form.fill().press_control(button))
        self._changed(network=True)
        self._refuse_alerts(result)

    # --- the certificates list ---------------------------------------------------------------------------

    def _certificate_rows(self) -> list[_CertificateRow]:
        table = self._list_page().section(CERTIFICATES).table(*CERTIFICATE_COLUMNS)
        rows = []
        for row in table.rows:
            links = [link for link in row["Certificate Friendly Name"].links if link.text != "Authority Info Access"]
            if not links:
                raise self._list_page().difference(
                    "link", "the certificate's friendly name (to Edit Certificate Configuration)", []
                )
            rows.append(_CertificateRow(row, links[0]))
        return rows

    def _request_rows(self, markers: bool = False) -> list[_RequestRow]:
        table = self._list_page().section(REQUESTS).table(*REQUEST_COLUMNS)
        rows = []
        for row in table.rows:
            links = [link for cell in row.cells.values() for link in cell.links if link.text == "View"]
            if not links:
                raise self._list_page().difference(
                    "link", "View", [link.text for c in row.cells.values() for link in c.links]
                )
            entry = _RequestRow(row, links[0])
            if markers or not entry.friendly_name.startswith(LOCK_PREFIX):
                rows.append(entry)
        return rows

    def _certificate_row(self, ident: str) -> _CertificateRow:
        row = next((row for row in self._certificate_rows() if row.id == ident), None)
        if row is None:
            raise _not_found("certificate", ident)
        return row

    # --- exports ---------------------------------------------------------------------------------------------

    def _row_checkbox(self, row: _CertificateRow):
        boxes = [c for c in row.row.controls if c.type == "checkbox"]
        box = next((c for c in boxes if c.label == row.friendly_name), None)
        if box is None:
            raise self._list_page().difference("field", row.friendly_name, [c.label for c in boxes])
        return box

    def _export_download(self, row: _CertificateRow, include_chain: bool, include_key: bool, passphrase) -> Download:
        """Tick the row, Action "Export", Apply; then the Export form. Exporting changes nothing."""
        form = self._list_page().section(CERTIFICATES).form_with_button("Apply")
        fill = form.fill().check_control(self._row_checkbox(row)).choose("Action", "Export")
        page = self._session.submit(fill.press("Apply"), changes=False)
        if isinstance(page, Download):
            raise ApplianceError(f"The appliance sent a file where page '{EXPORT}' was expected.")
        self._refuse_alerts(page)
        page.expect(EXPORT)
        export_form = page.form_with_button("Export")
        fill = (
            export_form.fill()
            .check("Include Private Key", include_key)
            .check("Include Certificate Chain", include_chain)
        )
        fill.set("Passphrase", passphrase or "")
        answer = self._session.submit(fill.press("Export"), changes=False)
        if not isinstance(answer, Download):
            self._refuse_alerts(answer)
            raise ApplianceError(
                f"The appliance showed page '{answer.title}' where the Export button of page '{EXPORT}' should send "
                "a file (Content-Disposition: attachment)."
            )
        return answer

    def _chain_pem(self, row: _CertificateRow) -> str:
        """The certificate and its chain as PEM (one export per certificate, kept until certificates change)."""
        if row.id not in self._exports:
            download = self._export_download(row, include_chain=True, include_key=False, passphrase=None)
            self._exports[row.id] = download.content.decode("ascii", errors="replace")
            self._export_names[row.id] = download.filename
        return self._exports[row.id]

    def _chain_certificates(self, row: _CertificateRow) -> list:
        require_cryptography()
        if row.id in self._parsed and row.id in self._exports:
            return self._parsed[row.id]
        pem = self._chain_pem(row)
        try:
            items = formats.load_bytes(
                pem.encode("ascii", errors="replace"), source=f"the export of '{row.friendly_name}'"
            )
        except PKIError as exc:
            raise ApplianceError(f"The export of certificate '{row.friendly_name}' cannot be read: {exc}") from None
        certificates = formats.certificates(items)
        if not certificates:
            raise ApplianceError(f"The export of certificate '{row.friendly_name}' holds no certificate.")
        self._parsed[row.id] = certificates
        return certificates

    def _stored_certificates(self, leaf) -> list:
        """Every certificate the appliance holds but ``leaf`` (each one's export begins with it)."""
        fingerprint = certificate_fingerprint(leaf)
        stored = [self._chain_certificates(row)[0] for row in self._certificate_rows()]
        return [cert for cert in stored if certificate_fingerprint(cert) != fingerprint]

    def _certificate_key(self, row: _CertificateRow) -> str | None:
        """The name of the appliance key of the certificate (the Key row of Edit Certificate Configuration)."""
        if not row.private_key_available:
            return None
        if row.id not in self._certificate_keys:
            page = self._open(row.url, EDIT)
            value = page.value("Key").text
            self._certificate_keys[row.id] = None if value in ("", NOT_AVAILABLE) else value
        return self._certificate_keys[row.id]

    def _certificate(self, row: _CertificateRow, site_hostnames=None) -> dict:
        certificates = self._chain_certificates(row)
        leaf = certificates[0]
        described = describe.describe_certificate(leaf)
        report = pki_chain.build_chain(certificates[1:], leaf=leaf, validate=False)
        if report.status == pki_chain.STATUS_INCOMPLETE:
            # Why it stops where it does depends on every certificate the appliance holds (one with the issuer's
            # name but another key, say), as the appliance builds chains over all of them.
            report = pki_chain.build_chain(self._stored_certificates(leaf), leaf=leaf, validate=False)
        if site_hostnames is None:
            site_hostnames = self._site_hostnames()
        return {
            "id": row.id,
            "friendly_name": row.friendly_name,
            "sha256_fingerprint": described["sha256_fingerprint"],
            "subject": dict(described["subject"]),
            "issuer": dict(described["issuer"]),
            "subject_alt_name": list(described["subject_alt_name"]),
            "serial_number": described["serial_number"],
            "not_before": described["not_before"],
            "not_after": described["not_after"],
            "public_key": dict(described["public_key"]),
            "public_key_fingerprint": described["public_key_fingerprint"],
            "is_ca": described["is_ca"],
            "role": _role_of(leaf, site_hostnames),
            "self_signed": described["self_signed"],
            "factory_default": row.factory_default,
            "private_key_available": row.private_key_available,
            "key_id": self._certificate_key(row),
            "chain_status": report.status,
            "chain": report.fingerprints(),
            "chain_warnings": list(report.warnings),
            "missing_issuer": report.missing_issuer,
            "ca_issuers_urls": list(described["ca_issuers_urls"]),
            "ocsp_urls": list(described["ocsp_urls"]),
            "ip_addresses": list(row.ip_addresses),
            "created_at": None,
        }

    def _certificates_of(self, rows) -> list[dict]:
        rows = list(rows)
        site_hostnames = self._site_hostnames() if rows else ()
        return [self._certificate(row, site_hostnames) for row in rows]

    def _list_certificates(self, _body, query) -> list:
        rows = self._certificate_rows()
        if "friendly_name" in query:
            rows = [row for row in rows if row.friendly_name == query["friendly_name"]]
        self._may_defer_key = True
        return self._certificates_of(rows)

    def _get_certificate(self, _body, _query, ident) -> dict:
        return self._certificate(self._certificate_row(ident))

    def _get_bindings(self, _body, _query, ident) -> dict:
        row = self._certificate_row(ident)
        return {"certificate_id": row.id, "ip_addresses": list(row.ip_addresses)}

    # --- requests ----------------------------------------------------------------------------------------

    def _request_view(self, row: _RequestRow) -> dict:
        """What View Request shows of a request: its PEM ("Request Data") and its status."""
        if row.id not in self._request_views:
            self._request_views[row.id] = self._view_data(self._open(row.url, VIEW_REQUEST))
        return self._request_views[row.id]

    def _request_pem(self, row: _RequestRow) -> str:
        return self._request_view(row)["pem"]

    def _request(self, row: _RequestRow, certificate_rows=None) -> dict:
        require_cryptography()
        view = self._request_view(row)
        pem = view["pem"]
        try:
            csr = formats.load_csr(pem.encode("ascii", errors="replace"), source=f"request '{row.friendly_name}'")
        except PKIError as exc:
            raise ApplianceError(f"The PEM of request '{row.friendly_name}' cannot be read: {exc}") from None
        described = describe.describe_csr(csr)
        try:
            warnings = name_rules.validate_request(
                subject_fields.SubjectSpec.from_dict(described["subject"]), described["subject_alt_name"]
            )
        except PKIError:
            warnings = []
        certificate_id = None
        if view["status"] == "completed":
            certificate_id = self._completing_certificate(row, described["public_key_fingerprint"], certificate_rows)
        return {
            "id": row.id,
            "friendly_name": row.friendly_name,
            "key_id": row.key,
            "subject": dict(described["subject"]),
            "subject_alt_name": list(described["subject_alt_name"]),
            "public_key_fingerprint": described["public_key_fingerprint"],
            "pem": pem,
            "warnings": warnings,
            "status": view["status"],
            "certificate_id": certificate_id,
            "created_at": row.created,
        }

    def _completing_certificate(self, row: _RequestRow, public_key_fingerprint: str, certificate_rows=None):
        """The certificate that completed a request: its public key, its friendly name preferred."""
        rows = certificate_rows if certificate_rows is not None else self._certificate_rows()
        ordered = [r for r in rows if r.friendly_name == row.friendly_name] + [
            r for r in rows if r.friendly_name != row.friendly_name
        ]
        for candidate in ordered:
            leaf = self._chain_certificates(candidate)[0]
            if describe.describe_certificate(leaf)["public_key_fingerprint"] == public_key_fingerprint:
                return candidate.id
        return None

    def _list_requests(self, _body, _query) -> list:
        self._may_defer_key = True
        certificate_rows = self._certificate_rows()
        return [self._request(row, certificate_rows) for row in self._request_rows()]

    def _request_row(self, ident: str) -> _RequestRow:
        row = next((row for row in self._request_rows() if row.id == ident), None)
        if row is None:
            raise _not_found("certificate request", ident)
        return row

    def _get_request(self, _body, _query, ident) -> dict:
        return self._request(self._request_row(ident))

    def _delete_request_row(self, row: _RequestRow) -> None:
        """View Request, "Delete Request" (the request's key goes with it when nothing else uses it)."""
        page = self._open(row.url, VIEW_REQUEST)
        form = page.form_with_button("Delete Request")
        result = self._session.submit(form.fill().press("Delete Request"))
        self._changed()
        self._request_views.pop(row.id, None)
        self._refuse_alerts(result)

    def _delete_request(self, _body, _query, ident) -> None:
        row = self._request_row(ident)
        # A request is replaced by one of its friendly name, and a key kept by ``POST keys`` can only be made by
        # "New Key" under the name of what it makes: one of another name is refused before anything is deleted.
        stranded = next((name for name in self._deferred if name != row.friendly_name), None)
        if stranded is not None:
            raise _not_over_web(
                f"Over the appliance's /appliance web interface a new key is named after the request or certificate "
                f"that makes it, so key '{stranded}' cannot be made for '{row.friendly_name}'; nothing was deleted. "
                f"Omit key (the key is then named '{row.friendly_name}'), or, to give request "
                f"'{row.friendly_name}' a new kind of key, remove it first with state: absent (its key goes with it) "
                "and create it again with key_type and key_size or key_curve.",
                key=stranded,
                friendly_name=row.friendly_name,
            )
        spec = None
        if row.key:  # the key may go with the request: what it was, to make it again if the task asks for it
            require_cryptography()
            csr = formats.load_csr(self._request_pem(row).encode("ascii"), source=row.friendly_name)
            spec = _key_fields(csr.public_key())
        self._delete_request_row(row)
        if spec is not None:
            self._remade[row.key] = spec

    # --- keys ----------------------------------------------------------------------------------------------

    def _key_names(self) -> list[str]:
        """The keys of the Key dropdown (the New Key choices left out)."""
        control = self._new_certificate_page().form_with_field("Key").field("Key")
        return [text for text in control.option_texts() if text and not text.startswith(NEW_KEY_PREFIX)]

    def _keys(self) -> list[dict]:
        require_cryptography()
        names = [name for name in self._key_names() if not name.startswith(LOCK_PREFIX)]
        requests = self._request_rows()
        certificates = self._certificate_rows()
        keys = []
        for name in names:
            by_requests = [row for row in requests if row.key == name]
            by_certificates = [row for row in certificates if self._certificate_key(row) == name]
            key = {
                "id": name,
                "name": name,
                "type": None,
                "size": None,
                "curve": None,
                "public_key_fingerprint": None,
                "created_at": by_requests[0].created if by_requests else None,
                "used_by": {
                    "requests": [row.id for row in by_requests],
                    "certificates": [row.id for row in by_certificates],
                },
            }
            if by_requests:
                csr = formats.load_csr(self._request_pem(by_requests[0]).encode("ascii"), source=name)
                key.update(_key_fields(csr.public_key()))
                key["public_key_fingerprint"] = describe.describe_csr(csr)["public_key_fingerprint"]
            elif by_certificates:
                leaf = self._chain_certificates(by_certificates[0])[0]
                key.update(_key_fields(leaf.public_key()))
                key["public_key_fingerprint"] = describe.describe_certificate(leaf)["public_key_fingerprint"]
            self._handed_keys.setdefault(name, []).append(key)
            keys.append(key)
        return keys

    def _list_keys(self, _body, _query) -> list:
        return self._keys()

    def _get_key(self, _body, _query, ident) -> dict:
        key = next((key for key in self._keys() if key["id"] == ident), None)
        if key is None:
            raise _not_found("key", ident)
        return key

    def _create_key(self, body, _query) -> dict:
        """No page makes a key alone: the key is kept, and made by the request or self-signed certificate of the
        same name that this task creates next ("New Key (…)")."""
        require_cryptography()
        name = checked_label(body.get("name"), "key name", "support.example.com 2026")
        try:
            spec = pki_keys.KeySpec.create(body.get("type"), body.get("size"), body.get("curve"))
        except PKIError as exc:
            raise _from_pki(exc) from None
        existing = next((key for key in self._keys() if key["name"] == name), None)
        if existing is not None:
            raise _api_error(
                409,
                "key_exists",
                f"A key named '{name}' already exists ({name}). Use that key (key_id '{name}'), or choose another "
                "name.",
                {"key": existing},
            )
        if not self._may_defer_key:
            raise _not_over_web(
                f"No page of the appliance's /appliance web interface makes a key alone, so key '{name}' was not "
                'made. Over the web a key is made by "New Key" together with a certificate request or a self-signed '
                "certificate, and is named after its friendly name: let bomgar.pki.appliance_csr make it "
                f"(friendly_name '{name}', with key_type and key_size or key_curve), or use transport: api.",
                name=name,
            )
        kind = spec.as_dict()
        key = {
            "id": name,
            "name": name,
            "type": kind.get("type"),
            "size": kind.get("size") if kind.get("type") == "rsa" else None,
            "curve": kind.get("curve") if kind.get("type") == "ec" else None,
            "public_key_fingerprint": None,
            "created_at": None,
            "used_by": {"requests": [], "certificates": []},
        }
        self._deferred[name] = key
        return key

    def _delete_key(self, _body, _query, ident) -> None:
        key = next((key for key in self._keys() if key["id"] == ident), None)
        if key is None:
            return  # gone already: a request's key goes with it on the pages
        used = key["used_by"]
        if used["requests"] or used["certificates"]:
            users = [f"request {ident}" for ident in used["requests"]]
            users += [f"certificate {ident}" for ident in used["certificates"]]
            raise _api_error(
                409,
                "key_in_use",
                f"Key '{key['name']}' ({key['id']}) is used by {', '.join(users)}. Delete those first (unbind a "
                "certificate's IP addresses before deleting it), then delete the key.",
                {"key_id": key["id"], "requests": used["requests"], "certificates": used["certificates"]},
            )
        raise _not_over_web(
            f"Key '{key['name']}' is used by no request or certificate, and no page of the appliance's /appliance web "
            "interface deletes a key alone (a key goes with the last request that uses it), so it was kept. Leave it, "
            "or delete it with transport: api.",
            key_id=key["id"],
        )

    # --- the New Certificate form ----------------------------------------------------------------------

    def _checked_spec(self, body: dict, what: str, example: str) -> tuple:
        """The friendly name, subject and alternative names of a request or self-signed certificate, checked by the
        procedure's rules as the appliance checks them."""
        require_cryptography()
        friendly_name = checked_label(body.get("friendly_name"), "friendly name", example)
        sans = body.get("subject_alt_name")
        if sans is not None and (isinstance(sans, (str, bytes)) or not isinstance(sans, (list, tuple))):
            raise _api_error(
                422,
                "invalid_spec",
                "subject_alt_name must be a list of names, each prefixed with DNS: or IP:, "
                'e.g. ["DNS:support.example.com"].',
                {"field": "subject_alt_name"},
            )
        try:
            spec = subject_fields.SubjectSpec.from_dict(body.get("subject"))
            entries = hostnames.parse_sans(sans)
            name_rules.validate_request(spec, entries)
        except PKIError as exc:
            raise _from_pki(exc) from None
        return friendly_name, spec.as_dict(), [str(entry) for entry in entries]

    def _key_choice(self, key_id, friendly_name: str) -> tuple:
        """``(option text, key dict to fill in once made or None)`` for the Key dropdown."""
        if not isinstance(key_id, str) or not key_id:
            raise _not_found("key", str(key_id))
        new = self._deferred.get(key_id)
        if new is None:
            if key_id in self._key_names() and not key_id.startswith(LOCK_PREFIX):
                self._remade.pop(key_id, None)
                return key_id, None
            if key_id not in self._remade:
                raise _not_found("key", key_id)
        spec = new or self._remade[key_id]
        if key_id != friendly_name:
            raise _not_over_web(
                f"Over the appliance's /appliance web interface a new key is named after the request or certificate "
                f"that makes it, so key '{key_id}' cannot be made for '{friendly_name}'. Omit key (the key is then "
                f"named '{friendly_name}'), or set key to '{friendly_name}'.",
                key=key_id,
                friendly_name=friendly_name,
            )
        option = NEW_KEY_OPTIONS.get((spec["type"], spec["size"] if spec["type"] == "rsa" else spec["curve"]))
        if option is None:
            raise _api_error(
                422,
                "unsupported_key",
                f"The New Certificate form makes RSA 2048/3072/4096 and EC P-256/P-384 keys; {spec['type']} "
                f"{spec['size'] or spec['curve']} is not among them.",
            )
        return option, new

    def _create(self, friendly_name: str, key_option: str, subject: dict, sans: list, button: str):
        """Fill the New Certificate form (each alternative name with "Add") and press ``button``."""

        def fill(page):
            form = page.form_with_field("Certificate Friendly Name")
            filling = form.fill().set("Certificate Friendly Name", friendly_name).choose("Key", key_option)
            for field, label in SUBJECT_LABELS:
                filling.set(label, subject.get(field) or "")
            return form, filling

        def work():
            page = self._new_certificate_page(fresh=True)
            form, filling = fill(page)
            form.button(button)  # the page has it, before anything is added
            for entry in sans:
                filling.set("Subject Alternative Names", entry)
                page = self._session.submit(filling.press("Add"), changes=False)
                if isinstance(page, Download):
                    raise ApplianceError(f"The appliance sent a file where page '{NEW_CERTIFICATE}' was expected.")
                self._refuse_alerts(page)
                page.expect(NEW_CERTIFICATE)
                form, filling = fill(page)
            filling.set("Subject Alternative Names", "")
            return self._session.submit(filling.press(button))

        return self._step(work)

    def _view_data(self, page: Page) -> dict:
        """The PEM in "Request Data" and the "Status" of a View Request page."""
        control = next((c for c in page.controls if c.label == "Request Data"), None)
        if control is None:
            raise page.difference("field", "Request Data", [c.label for c in page.controls if c.is_field])
        status = page.value("Status").text.lower()
        return {"pem": (control.initial_value() or "").strip() + "\n", "status": status or "pending"}

    def _created_request(self, page, friendly_name: str) -> _RequestRow:
        if isinstance(page, Page) and page.title == VIEW_REQUEST:
            ident = link_id(page.url)
            self._request_views[ident] = self._view_data(page)
            row = next((row for row in self._request_rows(markers=True) if row.id == ident), None)
            if row is not None:
                return row
        pending = [
            r
            for r in self._request_rows(markers=True)
            if r.friendly_name == friendly_name and self._request_view(r)["status"] == "pending"
        ]
        if not pending:
            raise ApplianceError(
                f"The appliance did not list the request '{friendly_name}' after \"Create Certificate Request\"."
            )
        return pending[-1]

    def _create_request(self, body, _query) -> dict:
        friendly_name, subject, sans = self._checked_spec(body, "request", "support.example.com 2026-11")
        option, new_key = self._key_choice(body.get("key_id"), friendly_name)
        existing = next(
            (
                r
                for r in self._request_rows(markers=True)
                if r.friendly_name == friendly_name and self._request_view(r)["status"] == "pending"
            ),
            None,
        )
        if existing is not None:
            raise _api_error(
                409,
                "request_exists",
                f"A pending certificate request named '{friendly_name}' already exists ({existing.id}). "
                "Use that request, delete it first, or choose another friendly name.",
                {"request_id": existing.id, "friendly_name": friendly_name},
            )
        made = new_key is not None or body.get("key_id") in self._remade
        result = self._create(friendly_name, option, subject, sans, "Create Certificate Request")
        self._changed()
        self._refuse_alerts(result)
        request = self._request(self._created_request(result, friendly_name))
        if made:
            self._made_key(body.get("key_id"), new_key, request["public_key_fingerprint"], request["created_at"])
            self._fill_key_users(body.get("key_id"), new_key, requests=[request["id"]])
        return request

    def _made_key(self, name, new_key, public_key_fingerprint, created_at) -> None:
        """A key made by "New Key": the key the task was given (kept by ``POST keys``, or one that went with its
        request) is now this one; every copy handed out is brought up to date."""
        self._deferred.pop(name, None)
        self._remade.pop(name, None)
        for key in [*([new_key] if new_key is not None else []), *self._handed_keys.get(name, [])]:
            key["public_key_fingerprint"] = public_key_fingerprint
            key["created_at"] = created_at

    def _fill_key_users(self, name, new_key, requests=(), certificates=()) -> None:
        for key in [*([new_key] if new_key is not None else []), *self._handed_keys.get(name, [])]:
            key["used_by"] = {"requests": list(requests), "certificates": list(certificates)}

    def _create_self_signed(self, body, _query) -> dict:
        friendly_name, subject, sans = self._checked_spec(body, "certificate", "support.example.com self-signed")
        days = body.get("days")
        if isinstance(days, bool) or not isinstance(days, int):
            raise _api_error(422, "invalid_request", "days must be a whole number of days.", {"field": "days"})
        if days != SELF_SIGNED_DAYS:
            raise _not_over_web(
                f"The appliance's /appliance web interface makes a self-signed certificate valid for "
                f"{SELF_SIGNED_DAYS} days (its own validity) and has no field for another; {days} days were asked. "
                f"Set self_signed_days: {SELF_SIGNED_DAYS}, or use transport: api.",
                days=days,
                validity_days=SELF_SIGNED_DAYS,
            )
        key_id = body.get("key_id")
        option, new_key = self._key_choice(key_id, friendly_name)
        made = new_key is not None or key_id in self._remade
        before = {row.id for row in self._certificate_rows()}
        result = self._create(friendly_name, option, subject, sans, "Create Self-Signed Certificate")
        self._changed(names=[subject_fields.build_name(subject_fields.SubjectSpec.from_dict(subject))])
        self._refuse_alerts(result)
        ident = link_id(result.url) if isinstance(result, Page) and result.title == EDIT else None
        rows = self._certificate_rows()
        row = next((row for row in rows if row.id == ident), None)
        if row is None:
            row = next((row for row in rows if row.id not in before and row.friendly_name == friendly_name), None)
        if row is None:
            raise ApplianceError(
                f"The appliance did not list the certificate '{friendly_name}' after "
                '"Create Self-Signed Certificate".'
            )
        certificate = self._certificate(row)
        if made:
            self._made_key(key_id, new_key, certificate["public_key_fingerprint"], None)
            self._fill_key_users(key_id, new_key, certificates=[certificate["id"]])
        return certificate

    # --- import ------------------------------------------------------------------------------------------

    def _import(self, body, _query) -> dict:
        require_cryptography()
        files = body.get("files")
        if not isinstance(files, list) or not files:
            raise _api_error(
                422,
                "invalid_spec",
                "No files were given to import. Give the signed certificate, its intermediate and root files, "
                "or a PKCS#12 file with its passphrase.",
            )
        if len(files) > MAX_FILES:
            raise _api_error(
                413,
                "input_too_large",
                f"{len(files)} files were given; one import takes at most {MAX_FILES}. Import the files in smaller "
                "groups.",
                {"files": len(files), "limit": MAX_FILES},
            )
        passphrase = checked_passphrase(body.get("passphrase"), "for the import")
        friendly_name = body.get("friendly_name")
        if friendly_name:
            friendly_name = checked_label(friendly_name, "friendly name", "support.example.com 2026-11")
        uploads, items, certificates, subjects, in_files = [], [], [], [], set()
        for index, entry in enumerate(files):
            name = entry.get("name") if isinstance(entry, dict) else None
            try:
                data = base64.b64decode("".join(str(entry.get("content") or "").split()).encode("ascii"), validate=True)
            except (UnicodeEncodeError, binascii.Error, AttributeError):
                label = f"File {index}" + (f" ('{name}')" if name else "")
                raise _api_error(
                    422,
                    "invalid_base64",
                    f"{label} in 'files' is not valid base64. "
                    "Put the file's bytes, base64-encoded (standard alphabet, with padding), in its 'content'.",
                    {"index": index, "name": name, "field": f"files[{index}].content"},
                ) from None
            source = name or f"file {index + 1}"
            try:
                loaded = formats.load_bytes(data, passphrase, source=source)
                for item in loaded:
                    if item.kind != formats.KIND_CERTIFICATE:
                        pki_keys.key_spec_of(item.obj)
            except PKIError as exc:
                raise _from_pki(exc, source) from None
            for item in loaded:
                items.append(
                    {"source": item.source, "kind": item.kind, "format": item.format, "description": item.describe()}
                )
                if item.kind == formats.KIND_CERTIFICATE and item.fingerprint not in in_files:
                    in_files.add(item.fingerprint)
                    certificates.append(item.fingerprint)
                    subjects.append(item.obj.subject)
            uploads.append((source, data))
        before = {cert["sha256_fingerprint"]: cert for cert in self._certificates_of(self._certificate_rows())}
        keys_before = set(self._key_names())

        def work():
            page = self._press_on_list(INSTALLATION, "Import", IMPORT)
            form = page.form_with_button("Upload")
            filling = form.fill().attach("Certificate File", uploads).set("Password", passphrase or "")
            filling.set("Certificate Friendly Name", friendly_name or "")
            return self._session.submit(filling.press("Upload"))

        result = self._step(work)
        self._changed(names=subjects, imported=True)
        self._refuse_alerts(result)
        after = self._certificates_of(self._certificate_rows())
        by_fingerprint = {cert["sha256_fingerprint"]: cert for cert in after}
        imported, unchanged = [], []
        for fingerprint in certificates:
            now = by_fingerprint.get(fingerprint)
            if now is None:
                continue
            was = before.get(fingerprint)
            if was is None or (not was["private_key_available"] and now["private_key_available"]):
                imported.append(now)
            else:
                unchanged.append(now)
        for cert in after:
            was = before.get(cert["sha256_fingerprint"])
            gained = was is not None and not was["private_key_available"] and cert["private_key_available"]
            if gained and cert not in imported:
                imported.append(cert)
        new_keys = [key for key in self._keys() if key["name"] not in keys_before]
        return {
            "changed": bool(imported or new_keys),
            "imported": imported,
            "unchanged": unchanged,
            "keys_imported": new_keys,
            "items": items,
        }

    # --- export ------------------------------------------------------------------------------------------

    def _export(self, body, _query, ident) -> dict:
        require_cryptography()
        export_format = body.get("format", "pem")
        include_chain = bool(body.get("include_chain", True))
        include_key = bool(body.get("include_private_key", False))
        legacy = bool(body.get("legacy", False))
        passphrase = checked_passphrase(body.get("passphrase"), "for the export")
        row = self._certificate_row(ident)
        if export_format not in ("pem", "pkcs12"):
            raise _api_error(
                422,
                "unsupported_format",
                f"Export format {str(export_format)[:40]!r} is not supported. Use 'pem' (certificate and chain) or "
                "'pkcs12' (passphrase-protected, optionally with the private key).",
                {"format": str(export_format)[:40], "formats": ["pem", "pkcs12"]},
            )
        if include_key and export_format == "pem":
            raise _api_error(
                422,
                "passphrase_required",
                "The private key is only exported inside a passphrase-protected PKCS#12 file, never as PEM. "
                "Use format 'pkcs12' with a passphrase, or leave include_private_key false.",
                {"format": export_format},
            )
        if export_format == "pkcs12" and not passphrase:
            raise _api_error(
                422,
                "passphrase_required",
                "A PKCS#12 export is always protected by a passphrase, and none was given. Give a passphrase "
                "(at least 4 characters; keep it with the file in a secure, documented place).",
                {"format": export_format},
            )
        if include_key and not row.private_key_available:
            raise _api_error(
                409,
                "private_key_unavailable",
                f"The private key of certificate '{row.friendly_name}' ({row.id}) is not on this appliance, so it "
                "cannot be exported. Export the certificate without its private key (include_private_key false), or "
                "export it with the key from the server that holds it.",
                {"certificate_id": row.id},
            )
        chain = self._chain_certificates(row)
        included = chain if include_chain else chain[:1]
        fingerprints = [certificate_fingerprint(cert) for cert in included]
        filename = self._export_names.get(row.id) or "certificate.pem"
        stem = filename.rpartition(".")[0] or filename
        if export_format == "pem":
            from cryptography.hazmat.primitives import serialization

            text = b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in included).decode("ascii")
            return {
                "format": "pem",
                "includes_private_key": False,
                "certificates": fingerprints,
                "filename": filename,
                "content": text,
            }
        if include_key:
            download = self._export_download(row, include_chain, include_key=True, passphrase=passphrase)
            blob, filename = download.content, download.filename
            if legacy:
                blob = self._reencoded(blob, passphrase, row.friendly_name)
        else:
            try:
                blob = pki_keys.export_pkcs12(
                    None,
                    included[0],
                    included[1:],
                    passphrase=passphrase,
                    friendly_name=row.friendly_name,
                    legacy=legacy,
                )
            except PKIError as exc:
                raise _from_pki(exc) from None
            filename = f"{stem}.p12"
        return {
            "format": "pkcs12",
            "includes_private_key": include_key,
            "certificates": fingerprints,
            "filename": filename,
            "content_base64": base64.b64encode(blob).decode("ascii"),
        }

    @staticmethod
    def _reencoded(blob: bytes, passphrase: str, friendly_name: str) -> bytes:
        """A PKCS#12 written again with the legacy algorithms (the export form offers the modern ones only)."""
        from cryptography.hazmat.primitives.serialization import pkcs12

        key, cert, additional = pkcs12.load_key_and_certificates(blob, passphrase.encode("utf-8"))
        try:
            return pki_keys.export_pkcs12(
                key, cert, additional or [], passphrase=passphrase, friendly_name=friendly_name, legacy=True
            )
        except PKIError as exc:
            raise _from_pki(exc) from None

    # --- delete a certificate ------------------------------------------------------------------------------

    def _delete_certificate(self, _body, _query, ident) -> None:
        row = self._certificate_row(ident)
        if row.factory_default:
            raise _api_error(
                409,
                "factory_default",
                "The factory default certificate cannot be deleted: it serves every IP address that has no "
                "certificate assigned. Assign your own certificate to the IP addresses instead.",
                {"certificate_id": row.id},
            )
        if row.ip_addresses:
            raise _api_error(
                409,
                "certificate_bound",
                f"Certificate '{row.friendly_name}' ({row.id}) is assigned to IP address(es) "
                f"{', '.join(row.ip_addresses)}. Assign another certificate to them, or unbind them, then delete it.",
                {"certificate_id": row.id, "addresses": list(row.ip_addresses)},
            )

        def work():
            current = self._certificate_row(ident)
            form = self._list_page().section(CERTIFICATES).form_with_button("Apply")
            filling = form.fill().check_control(self._row_checkbox(current)).choose("Action", "Delete")
            return self._session.submit(filling.press("Apply"))

        subject = self._chain_certificates(row)[0].subject
        result = self._step(work)
        self._changed(names=[subject])
        self._refuse_alerts(result)

    # --- bindings ---------------------------------------------------------------------------------------------

    def _address_boxes(self, page: Page, form) -> dict:
        boxes = {}
        for control in form.fields:
            if control.type != "checkbox":
                continue
            try:
                boxes[str(ipaddress.ip_address(control.label))] = control
            except ValueError:
                continue
        return boxes

    def _save_bindings(self, row: _CertificateRow, wanted=None, unbind=None) -> None:
        """Tick exactly ``wanted`` (or clear ``unbind``) on Edit Certificate Configuration, and save."""

        def work():
            page = self._open(row.url, EDIT)
            form = page.form_with_button("Save Configuration")
            boxes = self._address_boxes(page, form)
            asked = list(wanted) if wanted is not None else [unbind]
            unknown = [address for address in asked if address not in boxes]
            if unknown:
                known = sorted(boxes, key=address_sort_key)
                raise _api_error(
                    422,
                    "unknown_ip_address",
                    f"The appliance has no IP address {', '.join(unknown)}. Add it under Networking :: IP "
                    f"Configuration first, or choose among {', '.join(known)}.",
                    {"addresses": unknown, "known": known},
                )
            filling = form.fill()
            checked = {address for address, box in boxes.items() if filling.is_checked(box)}
            target = set(wanted) if wanted is not None else checked - {unbind}
            if target == checked:
                return None
            if any(boxes[address].disabled for address in target ^ checked):
                raise self._no_private_key(row)
            for address, box in boxes.items():
                filling.check_control(box, address in target)
            return self._session.submit(filling.press("Save Configuration"))

        result = self._step(work)
        if result is None:
            return
        self._changed(network=True)
        self._refuse_alerts(result)

    @staticmethod
    def _no_private_key(row: _CertificateRow) -> ApplianceAPIError:
        return _api_error(
            409,
            "private_key_unavailable",
            f"The private key of certificate '{row.friendly_name}' ({row.id}) is not available on this appliance, "
            f"so it cannot be assigned to IP addresses. {_PRIVATE_KEY_REMEDY}",
            {"certificate_id": row.id},
        )

    def _put_bindings(self, body, _query, ident) -> dict:
        addresses = body.get("ip_addresses")
        if isinstance(addresses, str) or not isinstance(addresses, (list, tuple)):
            raise _api_error(
                422,
                "invalid_ip_address",
                'ip_addresses must be a list of IPv4 addresses of the appliance, e.g. ["127.0.0.2"].',
            )
        wanted = list(dict.fromkeys(self._canonical_address(address) for address in addresses))
        row = self._certificate_row(ident)
        if not row.factory_default:  # the appliance's refusals, in its order, before the page is sent
            role = _role_of(self._chain_certificates(row)[0], self._site_hostnames())
            if role != chain_facts.ROLE_SERVER:
                raise _api_error(
                    422,
                    "not_a_server_certificate",
                    f"Certificate '{row.friendly_name}' ({row.id}) is a CA certificate ({role}); only a server "
                    "certificate can be assigned to IP addresses. Assign the server certificate this CA issued.",
                    {"certificate_id": row.id, "role": role},
                )
            if not row.private_key_available:
                raise self._no_private_key(row)
        self._save_bindings(row, wanted=wanted)
        row = self._certificate_row(ident)
        return {"certificate_id": row.id, "ip_addresses": list(row.ip_addresses)}

    def _unbind(self, _body, _query, ident, address) -> None:
        canonical = self._canonical_address(urllib.parse.unquote(address))
        self._save_bindings(self._certificate_row(ident), unbind=canonical)

    # --- locks ---------------------------------------------------------------------------------------------

    def _markers(self, name: str | None = None, fresh: bool = False) -> list[dict]:
        """The lock markers (certificate requests named after a lock), oldest first; ``fresh`` reads the list
        again (another run may have taken or given back a lock since)."""
        if fresh:
            self._pages.pop("list", None)
        found = []
        for row in self._request_rows(markers=True):
            match = row.marker
            if match is None or (name is not None and match["name"] != name):
                continue
            since = LOCK_SINCE.search(row.issued_to)
            found.append(
                {
                    "row": row,
                    "name": match["name"],
                    "holder": match["holder"],
                    "until": match["until"],
                    "created": row.created or match["until"],
                    "acquired": since.group(1) if since else (row.created or match["until"]),
                }
            )
        return sorted(found, key=lambda marker: (marker["created"], marker["row"].friendly_name))

    def _expired(self, marker: dict) -> bool:
        until = _parse_iso(marker["until"])
        return until is None or until <= self._session.appliance_now()

    def _lock_view(self, marker: dict) -> dict:
        return {
            "name": marker["name"],
            "holder": marker["holder"],
            "acquired_at": marker["acquired"],
            "renewed_at": marker["created"],
            "expires_at": marker["until"],
            "expired": self._expired(marker),
        }

    def _current_marker(self, markers: list) -> dict | None:
        """The marker that holds the lock: the oldest whose lease lasts, else the latest."""
        alive = [marker for marker in markers if not self._expired(marker)]
        if alive:
            return alive[0]
        return max(markers, key=lambda marker: marker["until"]) if markers else None

    def _held(self, marker: dict) -> ApplianceAPIError:
        return _api_error(
            409,
            "lock_held",
            f"Lock '{marker['name']}' is held by {marker['holder']} since {marker['acquired']} (lease until "
            f"{marker['until']}): another run is changing this appliance. Wait for it to finish, or, if that run is "
            f"gone, for its lease to end at {marker['until']}; the next run then takes the lock over.",
            {"lock": self._lock_view(marker)},
        )

    def _list_locks(self, _body, _query) -> list:
        names = list(dict.fromkeys(marker["name"] for marker in self._markers(fresh=True)))
        return [self._lock_view(self._current_marker(self._markers(name))) for name in names]

    def _take_lock(self, body, _query, name) -> dict:
        name = _check_lock_name(urllib.parse.unquote(name))
        holder = _check_holder(body.get("holder"))
        lease = _check_lease(body.get("lease_seconds", 1800))
        markers = self._markers(name, fresh=True)
        current = self._current_marker(markers)
        now = self._session.appliance_now()
        renewed, taken_over = False, None
        acquired = None  # a new holder: the lock is acquired when its marker is made (its "Created")
        if current is not None and current["holder"] == holder:
            renewed = True
            acquired = current["acquired"]
        elif current is not None and not self._expired(current):
            raise self._held(current)
        elif current is not None:
            taken_over = {
                "holder": current["holder"],
                "acquired_at": current["acquired"],
                "expired_at": current["until"],
            }
        until = _iso(now + datetime.timedelta(seconds=lease))
        marker_name = f"{LOCK_PREFIX}{name} {holder} until {until}"
        if len(marker_name) > MAX_LABEL_LENGTH:
            raise _not_over_web(
                f"Over the appliance's /appliance web interface a lock is a certificate request named "
                f"'{LOCK_PREFIX}<name> <holder> until <time>', at most {MAX_LABEL_LENGTH} characters; with holder "
                f"'{holder}' it would be {len(marker_name)}. Give a shorter holder (at most "
                f"{MAX_LABEL_LENGTH - len(marker_name) + len(holder)} characters).",
                field="holder",
            )
        if markers:  # the markers this run replaces can be deleted: checked before anything is made
            self._open(markers[0]["row"].url, VIEW_REQUEST).form_with_button("Delete Request")
        if not any(marker["row"].friendly_name == marker_name for marker in markers):
            result = self._create(
                marker_name,
                LOCK_KEY_OPTION,
                {"common_name": f"bomgar.pki lock since {acquired}" if acquired else "bomgar.pki lock"},
                [],
                "Create Certificate Request",
            )
            self._changed()
            self._refuse_alerts(result)
        after = self._markers(name)
        mine = next((marker for marker in after if marker["row"].friendly_name == marker_name), None)
        if mine is None:
            raise ApplianceError(f"The appliance did not list the lock marker of lock '{name}' after it was made.")
        rivals = [
            marker
            for marker in after
            if marker["holder"] != holder
            and not self._expired(marker)
            and (marker["created"], marker["row"].friendly_name) < (mine["created"], mine["row"].friendly_name)
        ]
        if rivals:
            self._delete_request_row(mine["row"])
            raise self._held(rivals[0])
        for marker in after:
            if marker is not mine and (marker["holder"] == holder or self._expired(marker)):
                self._delete_request_row(marker["row"])
        view = self._lock_view(mine)
        view["renewed"] = renewed
        view["taken_over_from"] = taken_over
        return view

    def _release_lock(self, _body, query, name) -> None:
        name = _check_lock_name(urllib.parse.unquote(name))
        force = str(query.get("force", "")).lower() in ("true", "1", "yes")
        holder = query.get("holder")
        if holder is not None:
            holder = _check_holder(holder)
        if holder is None and not force:
            raise _api_error(
                422,
                "invalid_lock",
                "Say who gives the lock back (holder), or force: true to remove another run's lock that is known to "
                "be gone.",
                {"field": "holder"},
            )
        markers = self._markers(name, fresh=True)
        current = self._current_marker(markers)
        if current is None:
            return
        if not force and current["holder"] != holder and not self._expired(current):
            raise self._held(current)
        for marker in markers:
            self._delete_request_row(marker["row"])


_ROUTES = (
    (r"^health$", {"GET": WebClient._health}),
    (r"^status/basics$", {"GET": WebClient._status}),
    (r"^network/ip-addresses$", {"GET": WebClient._ip_addresses, "POST": WebClient._add_ip_address}),
    (r"^network/ip-addresses/([^/]+)$", {"DELETE": WebClient._remove_ip_address}),
    (r"^keys$", {"GET": WebClient._list_keys, "POST": WebClient._create_key}),
    (r"^keys/(.+)$", {"GET": WebClient._get_key, "DELETE": WebClient._delete_key}),
    (r"^certificate-requests$", {"GET": WebClient._list_requests, "POST": WebClient._create_request}),
    (r"^certificate-requests/(.+)$", {"GET": WebClient._get_request, "DELETE": WebClient._delete_request}),
    (r"^certificates$", {"GET": WebClient._list_certificates}),
    (r"^certificates/self-signed$", {"POST": WebClient._create_self_signed}),
    (r"^certificates/import$", {"POST": WebClient._import}),
    (r"^certificates/(.+)/export$", {"POST": WebClient._export}),
    (r"^certificates/(.+)/ip-addresses/([^/]+)$", {"DELETE": WebClient._unbind}),
    (r"^certificates/(.+)/ip-addresses$", {"GET": WebClient._get_bindings, "PUT": WebClient._put_bindings}),
    (r"^certificates/(.+)$", {"GET": WebClient._get_certificate, "DELETE": WebClient._delete_certificate}),
    (r"^locks$", {"GET": WebClient._list_locks}),
    (r"^acme$", {"GET": WebClient._acme, "PUT": WebClient._put_acme, "DELETE": WebClient._delete_acme}),
    (r"^acme/orders$", {"POST": WebClient._order_acme}),
    (r"^locks/(.+)$", {"PUT": WebClient._take_lock, "DELETE": WebClient._release_lock}),
)
