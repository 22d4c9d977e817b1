# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pages of the /appliance web interface (docs/web-interface.md), each over the appliance's service layer.

Every page is a class with ``get`` (show it, optionally with what the user typed and a refusal) and ``post`` (do
what its form asks). A page reads and changes the appliance only through ``Appliance``, as the API does, so a
refusal of the service is shown with the API's own message and status. Success is answered with a redirect to
the page that shows the result, with a notice on it (or, for an import, the result page itself).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..errors import ApplianceError
from ..rules_keys import checked_label
from .forms import Form
from .html import (
    breakable,
    button,
    cell,
    checkbox,
    details,
    esc,
    form,
    get_button,
    lines,
    link,
    section,
    select_field,
    table,
    text_field,
)

BASE = "/appliance"
LOGIN_PATH = f"{BASE}/login"
BASICS_PATH = f"{BASE}/status/basics"
IP_PATH = f"{BASE}/networking/ip-configuration"
CERTIFICATES_PATH = f"{BASE}/security/certificates"
NEW_CERTIFICATE_PATH = f"{CERTIFICATES_PATH}/new"
IMPORT_PATH = f"{CERTIFICATES_PATH}/import"
REQUESTS_PATH = f"{BASE}/security/certificate-requests"
ACME_PATH = f"{CERTIFICATES_PATH}/acme"
SELF_SIGNED_DAYS = 365
SESSION_CHANGED = "Your session changed; reload the page and try again."
NOT_AVAILABLE = "Not Available"
NO_PRIVATE_KEY = "The private key of this certificate is not available, so it cannot be assigned to IP addresses."
NEW_KEY_OPTIONS = (
    ("new:rsa:2048", "New Key (RSA 2048 bits)"),
    ("new:rsa:3072", "New Key (RSA 3072 bits)"),
    ("new:rsa:4096", "New Key (RSA 4096 bits)"),
    ("new:ec:P-256", "New Key (EC P-256)"),
    ("new:ec:P-384", "New Key (EC P-384)"),
)
SUBJECT_FIELDS = (
    # (form field, label, subject key, hint)
    ("country", "Country", "country_name", "Two letters, e.g. US."),
    ("state", "State/Province", "state_or_province_name", ""),
    ("locality", "City (Locality)", "locality_name", ""),
    ("organization", "Organization", "organization_name", ""),
    ("organizational_unit", "Organizational Unit", "organizational_unit_name", ""),
    ("common_name", "Name (Common Name)", "common_name", "The site hostname, e.g. support.example.com."),
)
_DN_ORDER = (
    ("common_name", "CN"),
    ("organizational_unit_name", "OU"),
    ("organization_name", "O"),
    ("locality_name", "L"),
    ("state_or_province_name", "ST"),
    ("country_name", "C"),
)
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_SECRET_FIELDS = frozenset({"password", "passphrase", "eab_hmac"})


def certificate_path(certificate_id: str) -> str:
    """Edit Certificate Configuration of one certificate."""
    return f"{CERTIFICATES_PATH}/{certificate_id}"


def export_path(certificate_id: str) -> str:
    """The export page of one certificate."""
    return f"{CERTIFICATES_PATH}/{certificate_id}/export"


def request_path(request_id: str) -> str:
    """View Request of one certificate request."""
    return f"{REQUESTS_PATH}/{request_id}"


def subject_text(subject: dict) -> str:
    """A subject as one line, most specific first: ``CN=…, OU=…, O=…, L=…, ST=…, C=…``."""
    return ", ".join(f"{abbr}={subject[key]}" for key, abbr in _DN_ORDER if subject.get(key))


def common_name(subject: dict) -> str:
    """What "Issued To" / "Issued By" show in a list: the common name, else the whole subject."""
    return subject.get("common_name") or subject_text(subject)


def certificate_name(certificate: dict) -> str:
    """The friendly name a page shows for a certificate."""
    return certificate.get("friendly_name") or certificate["id"]


def key_description(key: dict) -> str:
    """``RSA 2048 bits`` or ``EC P-256``."""
    if key["type"] == "rsa":
        return f"RSA {key['size']} bits"
    return f"{key['type'].upper()} {key['curve'] or ''}".strip()


def public_values(values: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """What the user typed, without passwords and passphrases (never shown again)."""
    return {name: items for name, items in (values or {}).items() if name not in _SECRET_FIELDS}


def _first(values: dict[str, list[str]] | None, name: str, default: str = "") -> str:
    items = (values or {}).get(name)
    return items[0] if items else default


@dataclass
class Ctx:
    """One request to a page: the web interface, the logged-in session, the path's ids and the posted form."""

    web: object
    session: object
    page: Page
    params: dict = field(default_factory=dict)
    form: Form | None = None

    @property
    def appliance(self):
        """The appliance's service layer."""
        return self.web.appliance

    @property
    def csrf(self) -> str:
        """The session's CSRF value, for the forms of the page."""
        return self.session.csrf

    def respond(self, content: str, *, values=None, alerts=(), status: int = 200, lead: str = "") -> HTMLResponse:
        """The page with ``content`` under its title, the session's notices and the alterations applied."""
        return self.web.console_page(
            self.session,
            self.page.title,
            self.page.menu_path,
            content,
            values=public_values(values),
            alerts=alerts,
            status=status,
            lead=lead,
        )

    def redirect(self, location: str, notice: str = "") -> RedirectResponse:
        """303 to ``location``, with ``notice`` shown there."""
        if notice:
            self.web.sessions.notify(self.session, notice)
        return RedirectResponse(location, status_code=303, headers=SECURITY_HEADERS)


class Page:
    """A page: its title, the menu entry it belongs to, ``get`` and ``post``."""

    title = ""
    menu_path = BASICS_PATH

    def get(self, ctx: Ctx, values=None, alerts=(), status: int = 200) -> Response:
        """Show the page."""
        raise NotImplementedError

    def post(self, ctx: Ctx) -> Response:
        """Do what the page's form asks (refusals raise ApplianceError)."""
        raise ApplianceError(405, "method_not_allowed", f"The page '{self.title}' has no form to send.", {})


# Status :: Basics


class StatusBasics(Page):
    title = "Status :: Basics"
    menu_path = BASICS_PATH

    def get(self, ctx, values=None, alerts=(), status=200):
        basics = ctx.appliance.status_basics()
        role = "Traffic Node" if basics["role"] == "traffic-node" else "Primary"
        rows = [
            ("Hostname", cell(esc(basics["hostname"]))),
            ("Site Hostname", cell(esc(basics["site_hostname"]))),
            ("Appliance Role", cell(esc(role))),
            ("Software Version", cell(esc(basics["software_version"]))),
            ("Appliance ID", cell(esc(basics["appliance_id"]), "mono")),
            ("API Version", cell(esc(basics["api_version"]))),
            ("Site Port", cell(esc(basics["site_port"]))),
            ("IP Addresses", cell(lines(basics["ip_addresses"]))),
            ("Traffic Nodes", cell(lines(basics["traffic_nodes"]))),
            ("Trusted Root Certificates (SHA-256)", cell(lines(basics["trusted_root_fingerprints"]), "mono")),
        ]
        return ctx.respond(f'<div class="card">{details(rows)}</div>', alerts=alerts, status=status)


# Networking :: IP Configuration


class IpConfiguration(Page):
    title = "Networking :: IP Configuration"
    menu_path = IP_PATH

    def get(self, ctx, values=None, alerts=(), status=200):
        names = {cert["id"]: certificate_name(cert) for cert in ctx.appliance.list_certificates()}
        rows = []
        for entry in ctx.appliance.list_ip_addresses():
            served = entry["certificate_id"]
            rows.append(
                [
                    cell(esc(entry["address"])),
                    cell(link(names.get(served, served), certificate_path(served))),
                    cell(button("Remove", "remove", entry["address"], "danger small")),
                ]
            )
        listing = form(
            ctx.csrf,
            IP_PATH,
            table(("IP Address", "Certificate", ""), rows, "The appliance has no IP addresses."),
        )
        adding = form(
            ctx.csrf,
            IP_PATH,
            text_field(
                "ip-address",
                "address",
                "IP Address",
                _first(values, "address"),
                hint="An IPv4 loopback address (127.0.0.0/8). It serves the factory default certificate at once.",
            ),
            f'<div class="buttons">{button("Add", "action", "add")}</div>',
        )
        content = section("IP Addresses", listing) + section("Add IP Address", adding)
        return ctx.respond(content, values=values, alerts=alerts, status=status)

    def post(self, ctx):
        posted = ctx.form
        if posted.has("remove"):
            address = posted.first("remove")
            ctx.appliance.remove_ip_address(address)
            return ctx.redirect(IP_PATH, f"IP address {address} removed.")
        entry, created = ctx.appliance.add_ip_address(posted.first("address").strip())
        if created:
            notice = f"IP address {entry['address']} added; it serves the factory default certificate."
        else:
            notice = f"IP address {entry['address']} is already configured; nothing changed."
        return ctx.redirect(IP_PATH, notice)


# Security :: Certificates


def _name_cell(cert: dict) -> str:
    parts = [link(certificate_name(cert), certificate_path(cert["id"]))]
    if cert["chain_status"] == "incomplete":
        parts.append('<span class="chain-warning">The certificate chain is incomplete.</span>')
        if cert["ca_issuers_urls"]:
            parts.append(link("Authority Info Access", cert["ca_issuers_urls"][0], "small-link"))
    return cell("<br>".join(parts))


def _certificate_row(cert: dict, checked: bool) -> list[str]:
    ident = f"select-{cert['id']}"
    select = (
        f'<input type="checkbox" id="{esc(ident)}" name="certificate" value="{esc(cert["id"])}"'
        f"{' checked' if checked else ''}>"
        f'<label for="{esc(ident)}" class="visually-hidden">{esc(certificate_name(cert))}</label>'
    )
    return [
        cell(select, "select"),
        _name_cell(cert),
        cell(breakable(common_name(cert["subject"]))),
        cell(breakable(common_name(cert["issuer"]))),
        cell(esc(cert["not_after"][:10]), "nowrap"),
        cell("Available" if cert["private_key_available"] else NOT_AVAILABLE, "nowrap"),
        cell(lines(cert["subject_alt_name"], wrap_at_dots=True)),
        cell(lines(cert["ip_addresses"])),
    ]


class Certificates(Page):
    title = "Security :: Certificates"
    menu_path = CERTIFICATES_PATH

    def get(self, ctx, values=None, alerts=(), status=200):
        appliance = ctx.appliance
        certificates = appliance.list_certificates()
        requests = appliance.list_requests()
        key_names = {key["id"]: key["name"] or key["id"] for key in appliance.list_keys()}
        ticked = set((values or {}).get("certificate", []))
        installation = (
            '<p class="lead">Create a certificate request or a self-signed certificate on this appliance, '
            "or import certificates, chains and keys.</p>"
            f'<div class="buttons">{get_button("Create", NEW_CERTIFICATE_PATH)}{get_button("Import", IMPORT_PATH)}'
            "</div>"
            f'<p class="lead">Or let the appliance obtain and renew a certificate itself: {link("ACME", ACME_PATH)} '
            "(Let's Encrypt or another ACME certificate authority).</p>"
        )
        chosen = _first(values, "action", "export")
        actions = (
            '<div class="actions"><label for="certificate-action">Action</label>'
            '<select id="certificate-action" name="action">'
            + "".join(
                f'<option value="{value}"{" selected" if value == chosen else ""}>{text}</option>'
                for value, text in (("export", "Export"), ("delete", "Delete"))
            )
            + f"</select>{button('Apply', 'apply', 'apply')}</div>"
        )
        listing = form(
            ctx.csrf,
            CERTIFICATES_PATH,
            table(
                (
                    "",
                    "Certificate Friendly Name",
                    "Issued To",
                    "Issued By",
                    "Expiration Date",
                    "Private Key",
                    "Alternative Names",
                    "IP Addresses",
                ),
                [_certificate_row(cert, cert["id"] in ticked) for cert in certificates],
                "There are no certificates.",
                css="list",
            ),
            actions,
        )
        request_rows = [
            [
                cell(esc(request["friendly_name"])),
                cell(esc(common_name(request["subject"]))),
                cell(esc(key_names.get(request["key_id"], request["key_id"]))),
                cell(esc(request["created_at"])),
                cell(link("View", request_path(request["id"]))),
            ]
            for request in requests
        ]
        content = (
            section("Security :: Certificate Installation", installation)
            + section("Security :: Certificates", listing)
            + section(
                "Security :: Certificate Requests",
                table(
                    ("Certificate Friendly Name", "Issued To", "Key", "Created", ""),
                    request_rows,
                    "There are no certificate requests.",
                    css="list",
                ),
            )
        )
        return ctx.respond(content, values=values, alerts=alerts, status=status)

    def post(self, ctx):
        posted = ctx.form
        chosen = posted.all("certificate")
        action = posted.first("action")
        if action not in ("export", "delete"):
            raise ApplianceError(422, "invalid_request", "Choose Export or Delete in Action, then Apply.", {})
        if not chosen:
            raise ApplianceError(
                422,
                "invalid_request",
                "No certificate is selected. Tick the checkbox of the certificate, choose the action, then Apply.",
                {},
            )
        if action == "export":
            if len(chosen) > 1:
                raise ApplianceError(
                    422,
                    "invalid_request",
                    f"{len(chosen)} certificates are selected; Export takes one at a time. "
                    "Tick only the certificate to export, then Apply.",
                    {},
                )
            cert = ctx.appliance.get_certificate(chosen[0])
            return ctx.redirect(export_path(cert["id"]))
        deleted = []
        for ident in dict.fromkeys(chosen):
            try:
                cert = ctx.appliance.get_certificate(ident)
                ctx.appliance.delete_certificate(ident)
            except ApplianceError as exc:
                if deleted:
                    ctx.web.sessions.notify(ctx.session, _deleted_notice(deleted))
                return self.get(ctx, {"action": ["delete"]}, [exc.message], exc.status)
            deleted.append(certificate_name(cert))
        return ctx.redirect(CERTIFICATES_PATH, _deleted_notice(deleted))


def _deleted_notice(names: list[str]) -> str:
    listed = ", ".join(f"'{name}'" for name in names)
    return f"Certificate {listed} deleted." if len(names) == 1 else f"Certificates {listed} deleted."


# Security :: Certificates :: New Certificate


def _san_entry(text: str) -> str:
    """A typed alternative name as the API writes it: ``DNS:name`` or ``IP:address`` (a bare value is guessed)."""
    text = text.strip()
    prefix, colon, rest = text.partition(":")
    if colon and prefix.upper() in ("DNS", "IP"):
        return f"{prefix.upper()}:{rest.strip()}"
    parts = text.split(".")
    if len(parts) == 4 and all(part.isdigit() for part in parts):
        return f"IP:{text}"
    if ":" in text and all(char in "0123456789abcdefABCDEF:" for char in text):
        return f"IP:{text}"
    return f"DNS:{text}"


class NewCertificate(Page):
    title = "Security :: Certificates :: New Certificate"
    menu_path = CERTIFICATES_PATH

    def get(self, ctx, values=None, alerts=(), status=200):
        keys = ctx.appliance.list_keys()
        options = [(f"key:{key['id']}", key["name"] or key["id"]) for key in keys] + list(NEW_KEY_OPTIONS)
        fields = [
            text_field(
                "friendly-name",
                "friendly_name",
                "Certificate Friendly Name",
                _first(values, "friendly_name"),
                hint="How the appliance lists it; a new key is named after it.",
            ),
            select_field("key", "key", "Key", options, _first(values, "key", "new:rsa:2048")),
        ]
        subject = "".join(
            text_field(f"subject-{name.replace('_', '-')}", name, label, _first(values, name), hint=hint)
            for name, label, _key, hint in SUBJECT_FIELDS
        )
        sans = (values or {}).get("san", [])
        entries = "".join(
            f'<li><span class="mono">{esc(entry)}</span> <input type="hidden" name="san" value="{esc(entry)}"> '
            f"{button('Remove', 'remove_san', str(index), 'danger small')}</li>"
            for index, entry in enumerate(sans)
        )
        alternative = (
            '<div class="field"><label for="san-entry">Subject Alternative Names</label>'
            f'<div class="inline"><input type="text" id="san-entry" name="san_entry" '
            f'value="{esc(_first(values, "san_entry"))}">{button("Add", "action", "add-san", "secondary")}</div>'
            '<span class="hint">A DNS name or an IP address, e.g. support.example.com; Add each one.</span>'
            f'<ul class="sans">{entries}</ul></div>'
        )
        buttons = (
            '<div class="buttons">'
            f"{button('Create Certificate Request', 'action', 'create-request')}"
            f"{button('Create Self-Signed Certificate', 'action', 'create-self-signed', 'secondary')}</div>"
        )
        body = "".join(fields) + f'<div class="grid">{subject}</div>' + alternative
        content = f'<div class="card">{form(ctx.csrf, NEW_CERTIFICATE_PATH, body, buttons)}</div>'
        lead = "A certificate request to give your certificate authority, or a self-signed certificate."
        return ctx.respond(content, values=values, alerts=alerts, status=status, lead=lead)

    def post(self, ctx):
        posted = ctx.form
        values = posted.values()
        sans = [entry for entry in posted.all("san") if entry.strip()]
        typed = posted.first("san_entry").strip()
        if posted.has("remove_san"):
            position = posted.first("remove_san")
            if position.isdigit() and int(position) < len(sans):
                del sans[int(position)]
            return self.get(ctx, {**values, "san": sans})
        action = posted.first("action")
        if typed and _san_entry(typed) not in sans:
            sans.append(_san_entry(typed))
        if action not in ("create-request", "create-self-signed"):  # "Add", or Enter in a field
            return self.get(ctx, {**values, "san": sans, "san_entry": [""]})
        subject = {key: posted.first(name).strip() for name, _label, key, _hint in SUBJECT_FIELDS}
        subject = {key: value for key, value in subject.items() if value}
        friendly_name = posted.first("friendly_name")
        appliance = ctx.appliance
        key_id, new_key = self._key(ctx, friendly_name, posted.first("key"))
        try:
            if action == "create-request":
                made = appliance.create_request(friendly_name, key_id, subject, sans)
                location, what = request_path(made["id"]), "Certificate request"
            else:
                made = appliance.create_self_signed(friendly_name, key_id, subject, sans, SELF_SIGNED_DAYS)
                location, what = certificate_path(made["id"]), "Self-signed certificate"
        except ApplianceError:
            if new_key is not None:  # nothing is left behind by a refused form
                appliance.delete_key(new_key["id"])
            raise
        notice = f"{what} '{made['friendly_name']}' created"
        notice += f" with the new key '{new_key['name']}'." if new_key is not None else "."
        return ctx.redirect(location, notice)

    @staticmethod
    def _key(ctx, friendly_name: str, choice: str):
        """``(key id, the key made now or None)`` for the Key dropdown's choice."""
        kind, _colon, rest = choice.partition(":")
        if kind == "key" and rest:
            return rest, None
        if kind != "new" or choice not in dict(NEW_KEY_OPTIONS):
            raise ApplianceError(
                422, "invalid_spec", "Choose a key in 'Key': an existing key, or one of the New Key choices.", {}
            )
        name = checked_label(friendly_name, "friendly name", "support.example.com 2026-11")
        key_type, _colon, size = rest.partition(":")
        if key_type == "rsa":
            key = ctx.appliance.create_key(name, "rsa", size=int(size))
        else:
            key = ctx.appliance.create_key(name, "ec", curve=size)
        return key["id"], key


# Security :: Import Certificate


def _certificate_summary_rows(certificates: list[dict]) -> list[list[str]]:
    return [
        [
            cell(link(certificate_name(cert), certificate_path(cert["id"]))),
            cell(esc(common_name(cert["subject"]))),
            cell(esc(common_name(cert["issuer"]))),
            cell(esc(cert["not_after"][:10]), "nowrap"),
            cell("Available" if cert["private_key_available"] else NOT_AVAILABLE),
        ]
        for cert in certificates
    ]


_SUMMARY_HEADINGS = ("Certificate Friendly Name", "Issued To", "Issued By", "Expiration Date", "Private Key")


class ImportCertificate(Page):
    title = "Security :: Import Certificate"
    menu_path = CERTIFICATES_PATH

    def get(self, ctx, values=None, alerts=(), status=200):
        body = (
            '<div class="field"><label for="certificate-file">Certificate File</label>'
            '<input type="file" id="certificate-file" name="certificate_file" multiple>'
            '<span class="hint">The signed certificate with its intermediate and root certificates, or a PKCS#12 '
            "file (.p12/.pfx) with its key. PEM, DER and PKCS#7 are read; up to 64 files of 1 MiB each.</span>"
            "</div>"
            + text_field(
                "import-password",
                "password",
                "Password",
                kind="password",
                autocomplete="off",
                hint="Opens a PKCS#12 file or an encrypted key; leave empty for other files.",
            )
            + text_field(
                "import-friendly-name",
                "friendly_name",
                "Certificate Friendly Name",
                _first(values, "friendly_name"),
                hint="Optional: the name of the server certificate (else the name of its request).",
            )
        )
        buttons = f'<div class="buttons">{button("Upload", "action", "upload")}</div>'
        content = f'<div class="card">{form(ctx.csrf, IMPORT_PATH, body, buttons, multipart=True)}</div>'
        return ctx.respond(content, values=values, alerts=alerts, status=status)

    def post(self, ctx):
        posted = ctx.form
        files = posted.files_of("certificate_file")
        result = ctx.appliance.import_files(
            files, passphrase=posted.first("password") or None, friendly_name=posted.first("friendly_name") or None
        )
        imported, unchanged, keys = result["imported"], result["unchanged"], result["keys_imported"]
        if result["changed"]:
            notice = (
                f"Imported {len(imported)} certificate{'s' if len(imported) != 1 else ''} and "
                f"{len(keys)} key{'s' if len(keys) != 1 else ''}; {len(unchanged)} already on the appliance."
            )
        else:
            notice = "Nothing new: every certificate in the files is already on the appliance."
        key_rows = [[cell(esc(key["name"] or key["id"])), cell(esc(key_description(key)))] for key in keys]
        item_rows = [
            [cell(esc(item["source"] or "")), cell(esc(item["description"])), cell(esc(item["format"]))]
            for item in result["items"]
        ]
        content = (
            section(
                "Imported Certificates",
                table(_SUMMARY_HEADINGS, _certificate_summary_rows(imported), "No certificate was imported."),
            )
            + section(
                "Unchanged Certificates",
                table(_SUMMARY_HEADINGS, _certificate_summary_rows(unchanged), "None: every certificate was new."),
            )
            + section("Imported Keys", table(("Key", "Type"), key_rows, "No key was imported."))
            + section("Files Read", table(("File", "Content", "Format"), item_rows))
            + f"<p>{link('Back to Certificates', CERTIFICATES_PATH)}</p>"
        )
        ctx.web.sessions.notify(ctx.session, notice)
        return ctx.respond(content)


# Security :: Certificates :: Edit Certificate Configuration


class EditCertificate(Page):
    title = "Security :: Certificates :: Edit Certificate Configuration"
    menu_path = CERTIFICATES_PATH

    def get(self, ctx, values=None, alerts=(), status=200):
        appliance = ctx.appliance
        cert = appliance.get_certificate(ctx.params["certificate_id"])
        key_name = NOT_AVAILABLE
        if cert["key_id"]:
            key = appliance.get_key(cert["key_id"])
            key_name = key["name"] or key["id"]
        rows = [
            ("Friendly Name", cell(esc(certificate_name(cert)))),
            ("Issued To", cell(esc(subject_text(cert["subject"])))),
            ("Issued By", cell(esc(subject_text(cert["issuer"])))),
            ("Valid From", cell(esc(cert["not_before"]))),
            ("Valid To", cell(esc(cert["not_after"]))),
            ("Key", cell(esc(key_name))),
            ("Alternative Names", cell(lines(cert["subject_alt_name"]))),
        ]
        names = {item["id"]: certificate_name(item) for item in appliance.list_certificates()}
        wanted = set(values.get("ip", [])) if values is not None else set(cert["ip_addresses"])
        usable = cert["private_key_available"]
        checks = []
        for number, entry in enumerate(appliance.list_ip_addresses(), start=1):
            address, served = entry["address"], entry["certificate_id"]
            hint = "" if served == cert["id"] else f"now serves {names.get(served, served)}"
            checks.append(
                checkbox(
                    f"ip-{number}",
                    "ip",
                    address,
                    address,
                    checked=address in wanted,
                    disabled=not usable,
                    hint=hint,
                )
            )
        note = "" if usable else f'<p class="note">{esc(NO_PRIVATE_KEY)}</p>'
        body = (
            '<p class="lead">The IP addresses this certificate serves: tick them, then Save Configuration.</p>'
            + note
            + (f'<div class="checks">{"".join(checks)}</div>' if checks else '<p class="empty">No IP addresses.</p>')
        )
        buttons = f'<div class="buttons">{button("Save Configuration", "action", "save")}</div>'
        content = (
            section("Certificate", details(rows))
            + section("IP Addresses", form(ctx.csrf, certificate_path(cert["id"]), body, buttons))
            + f"<p>{link('Back to Certificates', CERTIFICATES_PATH)}</p>"
        )
        return ctx.respond(content, values=values, alerts=alerts, status=status)

    def post(self, ctx):
        ident = ctx.params["certificate_id"]
        bindings = ctx.appliance.set_bindings(ident, ctx.form.all("ip"))
        served = bindings["ip_addresses"]
        name = certificate_name(ctx.appliance.get_certificate(ident))
        if served:
            notice = f"Configuration saved: '{name}' serves {', '.join(served)}."
        else:
            notice = f"Configuration saved: '{name}' serves no IP address."
        return ctx.redirect(certificate_path(bindings["certificate_id"]), notice)


# Security :: Certificates :: Export


class ExportCertificate(Page):
    title = "Security :: Certificates :: Export"
    menu_path = CERTIFICATES_PATH

    def get(self, ctx, values=None, alerts=(), status=200):
        cert = ctx.appliance.get_certificate(ctx.params["certificate_id"])
        rows = [
            ("Friendly Name", cell(esc(certificate_name(cert)))),
            ("Issued To", cell(esc(subject_text(cert["subject"])))),
            ("Private Key", cell("Available" if cert["private_key_available"] else NOT_AVAILABLE)),
        ]
        include_key = values is not None and "include_private_key" in values
        include_chain = values is None or "include_chain" in values
        body = (
            '<div class="checks">'
            + checkbox("include-private-key", "include_private_key", "yes", "Include Private Key", checked=include_key)
            + checkbox("include-chain", "include_chain", "yes", "Include Certificate Chain", checked=include_chain)
            + "</div><p></p>"
            + text_field(
                "export-passphrase",
                "passphrase",
                "Passphrase",
                kind="password",
                autocomplete="new-password",
                hint="With the private key the file is a PKCS#12 protected by this passphrase; without it, PEM.",
            )
        )
        buttons = f'<div class="buttons">{button("Export", "action", "export")}</div>'
        content = (
            section("Certificate", details(rows))
            + section("Export Options", form(ctx.csrf, export_path(cert["id"]), body, buttons))
            + f"<p>{link('Back to Certificates', CERTIFICATES_PATH)}</p>"
        )
        return ctx.respond(content, values=values, alerts=alerts, status=status)

    def post(self, ctx):
        posted = ctx.form
        include_key = posted.has("include_private_key")
        result = ctx.appliance.export_certificate(
            ctx.params["certificate_id"],
            format="pkcs12" if include_key else "pem",
            include_chain=posted.has("include_chain"),
            include_private_key=include_key,
            passphrase=posted.first("passphrase") or None,
        )
        if result["format"] == "pem":
            body, media_type = result["content"].encode("ascii"), "application/x-pem-file"
        else:
            body, media_type = base64.b64decode(result["content_base64"]), "application/x-pkcs12"
        headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{result["filename"]}"'}
        return Response(body, media_type=media_type, headers=headers)


# Security :: Certificates :: View Request


class ViewRequest(Page):
    title = "Security :: Certificates :: View Request"
    menu_path = CERTIFICATES_PATH

    def get(self, ctx, values=None, alerts=(), status=200):
        appliance = ctx.appliance
        request = appliance.get_request(ctx.params["request_id"])
        key = appliance.get_key(request["key_id"])
        rows = [
            ("Friendly Name", cell(esc(request["friendly_name"]))),
            ("Issued To", cell(esc(subject_text(request["subject"])))),
            ("Alternative Names", cell(lines(request["subject_alt_name"]))),
            ("Key", cell(esc(key["name"] or key["id"]))),
            ("Created", cell(esc(request["created_at"]))),
            ("Status", cell("Completed" if request["status"] == "completed" else "Pending")),
        ]
        if request["warnings"]:
            rows.append(("Warnings", cell(lines(request["warnings"]))))
        data = (
            '<div class="field"><label for="request-data">Request Data</label>'
            f'<textarea id="request-data" name="request_data" rows="14" readonly>{esc(request["pem"])}</textarea>'
            '<span class="hint">Give this to your certificate authority; import the certificate it returns.</span>'
            "</div>"
        )
        buttons = f'<div class="buttons">{button("Delete Request", "action", "delete", "danger")}</div>'
        content = (
            section("Request", details(rows))
            + f'<div class="card">{data}{form(ctx.csrf, request_path(request["id"]), "", buttons)}</div>'
            + f"<p>{link('Back to Certificates', CERTIFICATES_PATH)}</p>"
        )
        return ctx.respond(content, values=values, alerts=alerts, status=status)

    def post(self, ctx):
        appliance = ctx.appliance
        request = appliance.get_request(ctx.params["request_id"])
        appliance.delete_request(request["id"])
        notice = f"Certificate request '{request['friendly_name']}' deleted"
        try:
            key = appliance.get_key(request["key_id"])
            if not key["used_by"]["requests"] and not key["used_by"]["certificates"]:
                appliance.delete_key(key["id"])
                notice += f", and its key '{key['name'] or key['id']}'"
        except ApplianceError as exc:  # another request or certificate took the key meanwhile: it stays
            if exc.status not in (404, 409):
                raise
        return ctx.redirect(CERTIFICATES_PATH, notice + ".")


# Security :: Certificates :: ACME

ACME_KEY_TYPES = (
    ("ec-p256", "EC P-256"),
    ("ec-p384", "EC P-384"),
    ("rsa-2048", "RSA 2048 bits"),
    ("rsa-3072", "RSA 3072 bits"),
    ("rsa-4096", "RSA 4096 bits"),
)
ACME_STATES = {"disabled": "Disabled", "pending": "Pending", "valid": "Valid", "failed": "Failed"}
ACME_BASES = {"ari": "ARI", "lifetime": "Lifetime"}


def _textarea(ident: str, name: str, label: str, value: str, hint: str, rows: int = 4) -> str:
    return (
        f'<div class="field"><label for="{ident}">{esc(label)}</label>'
        f'<textarea id="{ident}" name="{esc(name)}" rows="{rows}">{esc(value)}</textarea>'
        f'<span class="hint">{esc(hint)}</span></div>'
    )


def _contact_uri(text: str) -> str:
    return text if text.lower().startswith("mailto:") else f"mailto:{text}"


class AcmeSettingsPage(Page):
    title = "Security :: Certificates :: ACME"
    menu_path = CERTIFICATES_PATH

    def get(self, ctx, values=None, alerts=(), status=200):
        appliance = ctx.appliance
        shown = appliance.acme_configuration()
        if values is None:
            typed = {
                "directory_url": shown["directory_url"] or "",
                "contact": ", ".join(item.removeprefix("mailto:") for item in shown["contact"]),
                "eab_key_id": shown["eab_key_id"] or "",
                "hostnames": "\n".join(shown["hostnames"]),
                "key_type": shown["key_type"],
                "ca_bundle": shown["ca_bundle"] or "",
                "friendly_name": shown["friendly_name"],
            }
            ticked = set(shown["ip_addresses"])
        else:
            typed = {name: _first(values, name) for name in ("directory_url", "contact", "eab_key_id", "hostnames")}
            typed.update(
                key_type=_first(values, "key_type", "ec-p256"),
                ca_bundle=_first(values, "ca_bundle"),
                friendly_name=_first(values, "friendly_name"),
            )
            ticked = set(values.get("ip", []))
        hmac_hint = (
            "Stored; it is never shown. Leave empty to keep it, or type a new one."
            if shown["eab_hmac_configured"]
            else "The HMAC key the CA issued with the key ID (base64url); it is never shown again."
        )
        checks = [
            checkbox(f"acme-ip-{number}", "ip", entry["address"], entry["address"], checked=entry["address"] in ticked)
            for number, entry in enumerate(appliance.list_ip_addresses(), start=1)
        ]
        body = (
            text_field(
                "acme-directory-url",
                "directory_url",
                "Directory URL",
                typed["directory_url"],
                hint="The CA's ACME directory (https), e.g. https://acme-v02.api.letsencrypt.org/directory.",
            )
            + text_field(
                "acme-contact",
                "contact",
                "Contact",
                typed["contact"],
                hint="E-mail addresses for the CA's notices, separated by commas; may be empty.",
            )
            + text_field(
                "acme-eab-key-id",
                "eab_key_id",
                "EAB Key ID",
                typed["eab_key_id"],
                hint="External account binding, when the CA requires it; else leave empty.",
            )
            + text_field("acme-eab-hmac", "eab_hmac", "EAB HMAC", kind="password", autocomplete="off", hint=hmac_hint)
            + _textarea(
                "acme-hostnames",
                "hostnames",
                "Hostnames",
                typed["hostnames"],
                "One DNS name per line, the first one the common name; each must resolve to this appliance. "
                "No wildcards: HTTP-01 cannot prove them.",
            )
            + select_field("acme-key-type", "key_type", "Key Type", ACME_KEY_TYPES, typed["key_type"])
            + _textarea(
                "acme-ca-bundle",
                "ca_bundle",
                "CA Bundle",
                typed["ca_bundle"],
                "PEM root certificates trusted for the directory's HTTPS; empty for the system's trust.",
                rows=6,
            )
            + text_field(
                "acme-friendly-name",
                "friendly_name",
                "Certificate Friendly Name",
                typed["friendly_name"],
                hint="How the appliance lists the certificate it installs.",
            )
            + '<div class="field"><span class="label">IP Addresses</span>'
            + (f'<div class="checks">{"".join(checks)}</div>' if checks else '<p class="empty">No IP addresses.</p>')
            + '<span class="hint">The addresses the certificate is assigned to once issued.</span></div>'
        )
        buttons = (
            '<div class="buttons">'
            f"{button('Save ACME Settings', 'action', 'save')}"
            f"{button('Renew Now', 'action', 'renew', 'secondary')}"
            f"{button('Turn Off ACME', 'action', 'off', 'danger')}</div>"
        )
        content = section("ACME Settings", form(ctx.csrf, ACME_PATH, body, buttons)) + section(
            "ACME Status", details(self._status_rows(appliance, shown))
        )
        content += f"<p>{link('Back to Certificates', CERTIFICATES_PATH)}</p>"
        lead = (
            "The appliance orders a certificate from an ACME certificate authority over HTTP-01, installs it, "
            f"and renews it by itself. It answers the CA's challenges over plain HTTP on port {shown['http_port']}."
        )
        return ctx.respond(content, values=values, alerts=alerts, status=status, lead=lead)

    @staticmethod
    def _status_rows(appliance, shown: dict) -> list:
        status = shown["status"]
        window = status["ari_window"]
        certificate = cell(esc(""))
        if status["certificate_id"]:
            try:
                name = certificate_name(appliance.get_certificate(status["certificate_id"]))
            except ApplianceError:
                name = status["certificate_id"]
            certificate = cell(link(name, certificate_path(status["certificate_id"])))
        return [
            ("State", cell(esc(ACME_STATES[status["state"]]))),
            ("Last Attempt", cell(esc(status["last_attempt_at"] or ""))),
            ("Last Error", cell(breakable(status["last_error"] or ""))),
            ("Certificate", certificate),
            ("Expires", cell(esc(status["not_after"] or ""))),
            ("Next Renewal", cell(esc(status["next_renewal_at"] or ""))),
            ("Renewal Basis", cell(esc(ACME_BASES.get(status["renewal_basis"], "")))),
            ("ARI Window", cell(esc(f"{window['start']} to {window['end']}" if window else ""))),
            ("Last Success", cell(esc(status["last_success_at"] or ""))),
            ("Account", cell(breakable(status["account_url"] or ""))),
            ("EAB HMAC", cell(esc("Stored" if shown["eab_hmac_configured"] else "Not stored"))),
            ("Challenge Port", cell(esc(str(shown["http_port"])))),
        ]

    def post(self, ctx):
        posted = ctx.form
        action = posted.first("action")
        appliance = ctx.appliance
        if action == "renew":
            appliance.order_acme_certificate()
            return ctx.redirect(ACME_PATH, "Renewal started: the appliance is ordering a new certificate.")
        if action == "off":
            appliance.disable_acme()
            return ctx.redirect(ACME_PATH, "ACME turned off. The certificate and its IP addresses stay as they are.")
        contact = [_contact_uri(item.strip()) for item in posted.first("contact").replace(";", ",").split(",")]
        settings = {
            "directory_url": posted.first("directory_url").strip(),
            "contact": [item for item in contact if item != "mailto:"],
            "eab_key_id": posted.first("eab_key_id").strip() or None,
            "eab_hmac": posted.first("eab_hmac").strip() or None,
            "hostnames": [line.strip() for line in posted.first("hostnames").splitlines() if line.strip()],
            "key_type": posted.first("key_type"),
            "ca_bundle": posted.first("ca_bundle").strip() or None,
            "friendly_name": posted.first("friendly_name"),
            "ip_addresses": posted.all("ip"),
        }
        shown = appliance.configure_acme(settings)
        if shown["status"]["state"] == "pending":
            notice = f"ACME settings saved; ordering a certificate for {', '.join(shown['hostnames'])}."
        else:
            notice = "ACME settings saved; the installed certificate still fits them, so nothing is ordered."
        return ctx.redirect(ACME_PATH, notice)


PAGES = {
    "basics": StatusBasics(),
    "ip": IpConfiguration(),
    "certificates": Certificates(),
    "new": NewCertificate(),
    "import": ImportCertificate(),
    "edit": EditCertificate(),
    "export": ExportCertificate(),
    "request": ViewRequest(),
    "acme": AcmeSettingsPage(),
}
