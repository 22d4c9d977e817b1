# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The appliance's web pages read as a person (or a screen reader) reads them, for the tests of the pages.

``Page(html)`` parses a page with the standard library and finds everything by visible text: the title (h1),
section headings, fields by their label, buttons by caption, links by text, tables by column heading, and the
messages (role alert / status). ``WebUser`` logs in with httpx and submits forms as a browser does: the form
of the button pressed, its fields (hidden ones included), the pressed button's name and value, nothing else.
"""

from __future__ import annotations

import datetime
import json
import re
import ssl
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

VOID = {"input", "br", "meta", "link", "img", "hr", "source", "col", "area", "base", "wbr"}


def collapsed(text: str) -> str:
    """Whitespace collapsed, as the contract compares texts."""
    return " ".join(text.split())


@dataclass
class Node:
    tag: str
    attrs: dict
    parent: Node | None = None
    children: list = field(default_factory=list)

    def text(self) -> str:
        """The visible text (a <br> counts as a line break)."""
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag == "br":
                parts.append("\n")
            elif child.tag not in ("style", "script", "title"):
                parts.append(child.text())
        return "".join(parts)

    def label(self) -> str:
        return collapsed(self.text())

    def lines(self) -> list[str]:
        """The values of a cell, one per line."""
        return [collapsed(line) for line in self.text().split("\n") if collapsed(line)]

    def walk(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.walk()

    def find_all(self, *tags: str) -> list[Node]:
        return [node for node in self.walk() if node.tag in tags]

    def ancestor(self, tag: str) -> Node | None:
        node = self.parent
        while node is not None and node.tag != tag:
            node = node.parent
        return node


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {name: "" if value is None else value for name, value in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


class Page:
    """One page: ``status`` and ``url`` of the answer, and the page's parts by visible text."""

    def __init__(self, html: str, url: str = "", status: int = 200):
        builder = _Builder()
        builder.feed(html)
        self.html = html
        self.url = url
        self.status = status
        self.root = builder.root
        self.by_id = {node.attrs["id"]: node for node in self.root.walk() if "id" in node.attrs}

    # --- what the page says -------------------------------------------------------------------------------

    @property
    def title(self) -> str:
        return self.root.find_all("h1")[0].label()

    def headings(self, tag: str = "h2") -> list[str]:
        return [node.label() for node in self.root.find_all(tag)]

    def section(self, heading: str) -> Node:
        for node in self.root.find_all("section"):
            first = next(iter(node.find_all("h2")), None)
            if first is not None and first.label() == heading:
                return node
        raise AssertionError(f"no section {heading!r}; sections: {self.headings()}")

    def alerts(self) -> list[str]:
        return [node.label() for node in self.root.walk() if node.attrs.get("role") == "alert"]

    def notices(self) -> list[str]:
        return [node.label() for node in self.root.walk() if node.attrs.get("role") == "status"]

    def visible_text(self) -> str:
        """Everything a person could read on the page (not the style sheet, not attribute values)."""
        return self.root.text()

    def labels(self) -> list[str]:
        return [node.label() for node in self.root.find_all("label")]

    def buttons(self, within: Node | None = None) -> list[str]:
        return [node.label() for node in (within or self.root).find_all("button")]

    def links(self) -> dict[str, str]:
        return {node.label(): node.attrs.get("href", "") for node in self.root.find_all("a")}

    def link(self, text: str, within: Node | None = None) -> str:
        found = [node.attrs["href"] for node in (within or self.root).find_all("a") if node.label() == text]
        assert found, f"no link {text!r} on {self.title!r}; links: {list(self.links())}"
        return urljoin(self.url, found[0])

    # --- fields -------------------------------------------------------------------------------------------

    def field(self, label: str, within: Node | None = None) -> Node:
        for node in (within or self.root).find_all("label"):
            if node.label() == label:
                target = self.by_id.get(node.attrs.get("for", ""))
                if target is None:
                    target = next(iter(node.find_all("input", "select", "textarea")), None)
                assert target is not None, f"label {label!r} names no field"
                return target
        raise AssertionError(f"no field labelled {label!r} on {self.title!r}; labels: {self.labels()}")

    def options(self, label: str) -> list[str]:
        return [option.label() for option in self.field(label).find_all("option")]

    def selected(self, label: str) -> str:
        options = self.field(label).find_all("option")
        chosen = [option for option in options if "selected" in option.attrs] or options[:1]
        return chosen[0].label() if chosen else ""

    # --- tables -------------------------------------------------------------------------------------------

    def table(self, within: Node | None = None, index: int = 0) -> Node:
        return (within or self.root).find_all("table")[index]

    @staticmethod
    def columns(table: Node) -> list[str]:
        return [node.label() for node in table.find_all("thead")[0].find_all("th")]

    def rows(self, table: Node) -> list[dict[str, Node]]:
        """The body's rows as ``{column heading: cell}``."""
        headings = self.columns(table)
        rows = []
        for row in table.find_all("tbody")[0].find_all("tr"):
            cells = [node for node in row.children if isinstance(node, Node) and node.tag in ("td", "th")]
            rows.append(dict(zip(headings, cells, strict=False)))
        return rows

    def details(self, within: Node | None = None) -> dict[str, Node]:
        """A label / value table as ``{row label: value cell}``."""
        table = next(
            node for node in (within or self.root).find_all("table") if "details" in node.attrs.get("class", "")
        )
        found = {}
        for row in table.find_all("tr"):
            heading = row.find_all("th")[0]
            found[heading.label()] = row.find_all("td")[0]
        return found

    # --- forms --------------------------------------------------------------------------------------------

    def button(self, caption: str, within: Node | None = None) -> Node:
        found = [node for node in (within or self.root).find_all("button") if node.label() == caption]
        assert found, f"no button {caption!r} on {self.title!r}; buttons: {self.buttons()}"
        return found[0]

    def form_of(self, button: Node) -> Node:
        form = button.ancestor("form")
        assert form is not None, "the button is in no form"
        return form

    def submission(
        self, caption: str, fill=None, check=None, choose=None, files=None, within: Node | None = None
    ) -> tuple[str, str, list, list]:
        """``(method, url, fields, files)`` as a browser sends them when ``caption`` is pressed."""
        fill, check, choose, files = fill or {}, check or {}, choose or {}, files or {}
        pressed = self.button(caption, within)
        form = self.form_of(pressed)
        by_node = {}
        for label, value in fill.items():
            by_node[id(self.field(label, form))] = ("fill", value)
        for label, value in check.items():
            by_node[id(self.field(label, form))] = ("check", value)
        for label, text in choose.items():
            by_node[id(self.field(label, form))] = ("choose", text)
        chosen_files = {id(self.field(label, form)): items for label, items in files.items()}
        fields, uploads = [], []
        for node in form.walk():
            name = node.attrs.get("name")
            if not name or "disabled" in node.attrs:
                continue
            override = by_node.get(id(node))
            if node.tag == "input":
                kind = node.attrs.get("type", "text")
                if kind in ("checkbox", "radio"):
                    ticked = override[1] if override else "checked" in node.attrs
                    if ticked:
                        fields.append((name, node.attrs.get("value", "on")))
                elif kind == "file":
                    for filename, data in chosen_files.get(id(node), []):
                        uploads.append((name, (filename, data, "application/octet-stream")))
                    if not chosen_files.get(id(node)):
                        uploads.append((name, ("", b"", "application/octet-stream")))
                elif kind not in ("submit", "button", "reset", "image"):
                    fields.append((name, override[1] if override else node.attrs.get("value", "")))
            elif node.tag == "textarea":
                fields.append((name, override[1] if override else node.text()))
            elif node.tag == "select":
                options = node.find_all("option")
                if override:
                    matching = [option for option in options if option.label() == override[1]]
                    assert matching, f"no choice {override[1]!r}; choices: {[o.label() for o in options]}"
                    option = matching[0]
                else:
                    option = next((o for o in options if "selected" in o.attrs), options[0] if options else None)
                if option is not None:
                    fields.append((name, option.attrs.get("value", option.label())))
            elif node.tag == "button" and node is pressed:
                fields.append((name, node.attrs.get("value", "")))
        method = form.attrs.get("method", "get").upper()
        action = urljoin(self.url, form.attrs.get("action") or self.url)
        if form.attrs.get("enctype") != "multipart/form-data":
            uploads = []
        return method, action, fields, uploads


class WebUser:
    """A browser without JavaScript: httpx with the appliance's CA, a cookie jar, no automatic redirects."""

    def __init__(self, handle, local_address: str | None = None):
        self.handle = handle
        verify = ssl.create_default_context(cafile=str(handle.ca_path))
        transport = httpx.HTTPTransport(verify=verify, local_address=local_address) if local_address else None
        self.client = httpx.Client(base_url=handle.api_url, verify=verify, transport=transport, timeout=60.0)
        self.page: Page | None = None

    def close(self) -> None:
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _answer(self, response: httpx.Response, follow: bool) -> Page | httpx.Response:
        redirects = 0
        while follow and response.status_code in (301, 302, 303, 307, 308) and redirects < 5:
            response = self.client.get(urljoin(str(response.url), response.headers["location"]))
            redirects += 1
        if "text/html" not in response.headers.get("content-type", ""):
            return response
        self.page = Page(response.text, str(response.url), response.status_code)
        return self.page

    def get(self, path: str, follow: bool = True):
        return self._answer(self.client.get(path), follow)

    def submit(self, caption: str, follow: bool = True, page: Page | None = None, **form):
        """Press ``caption`` on the current page (``fill``/``check``/``choose``/``files`` by label)."""
        page = page or self.page
        method, action, fields, uploads = page.submission(caption, **form)
        if method == "GET":
            response = self.client.get(action, params=fields)
        elif uploads:
            response = self.client.post(action, data=_multidict(fields), files=uploads)
        else:
            response = self.client.post(action, data=_multidict(fields))
        return self._answer(response, follow)

    def log_in(self, username: str | None = None, password: str | None = None, follow: bool = True):
        self.get("/appliance/login")
        return self.submit(
            "Log In",
            follow=follow,
            fill={
                "Username": self.handle.username if username is None else username,
                "Password": self.handle.password if password is None else password,
            },
        )


def _multidict(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in fields:
        grouped.setdefault(name, []).append(value)
    return grouped


def ready_info(handle) -> dict:
    return json.loads(Path(handle.process.ready_file).read_text(encoding="utf-8"))


CERT_LINK = re.compile(r"/appliance/security/certificates/([0-9a-f]+)$")
REQUEST_LINK = re.compile(r"/appliance/security/certificate-requests/([^/]+)$")


def issued_with_aia(issuer, hostname: str, url: str):
    """A server certificate from ``issuer`` (an ``api_material.Issued``) that names ``url`` to fetch its issuer."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityInformationAccess(
                [x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(url))]
            ),
            critical=False,
        )
        .sign(issuer.key, hashes.SHA256())
    )
    return cert, key
