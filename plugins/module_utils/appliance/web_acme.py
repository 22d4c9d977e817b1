# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The appliance's own ACME client over its web interface: Security :: Certificates :: ACME.

The page is reached from the link "ACME" of Security :: Certificate Installation. Its form "ACME Settings" holds
the settings (Directory URL, Contact, EAB Key ID, EAB HMAC, Hostnames, Key Type, CA Bundle, Certificate Friendly
Name, and a checkbox per IP address) with the buttons "Save ACME Settings", "Renew Now" and "Turn Off ACME"; its
table "ACME Status" shows what the API's ``status`` holds. The EAB HMAC field is never filled in by the page: the
status row "EAB HMAC" says whether one is stored. What the page does not show (the SHA-256 of the installed
certificate) is read from that certificate as for every certificate over the web.
"""

from __future__ import annotations

from .client import ApplianceAPIError
from .web_page import address_sort_key, link_id

ACME_PAGE = "Security :: Certificates :: ACME"
ACME_LINK = "ACME"
ACME_SETTINGS = "ACME Settings"
ACME_STATUS = "ACME Status"
SAVE = "Save ACME Settings"
RENEW = "Renew Now"
TURN_OFF = "Turn Off ACME"
KEY_TYPE_TEXTS = {
    "ec-p256": "EC P-256",
    "ec-p384": "EC P-384",
    "rsa-2048": "RSA 2048 bits",
    "rsa-3072": "RSA 3072 bits",
    "rsa-4096": "RSA 4096 bits",
}
STATE_TEXTS = {"Disabled": "disabled", "Pending": "pending", "Valid": "valid", "Failed": "failed"}
BASIS_TEXTS = {"ARI": "ari", "Lifetime": "lifetime"}
# The fields of the settings form, by label, and what the API calls them.
TEXT_FIELDS = (
    ("directory_url", "Directory URL"),
    ("eab_key_id", "EAB Key ID"),
    ("friendly_name", "Certificate Friendly Name"),
)


def _error(status: int, code: str, message: str) -> ApplianceAPIError:
    return ApplianceAPIError(message, status=status, error=code, details={})


def _or_none(text: str) -> str | None:
    text = (text or "").strip()
    return text or None


def _contact_of(text: str) -> list[str]:
    """The Contact field (addresses separated by commas) as the API gives it: ``mailto:`` URIs."""
    found = []
    for entry in (text or "").replace(";", ",").split(","):
        item = entry.strip()
        if item:
            found.append(item if item.lower().startswith("mailto:") else f"mailto:{item}")
    return found


def _contact_text(contact: list) -> str:
    return ", ".join(str(item).removeprefix("mailto:") for item in contact or [])


def _bundle_of(text: str) -> str | None:
    text = (text or "").strip()
    return text + "\n" if text else None


class AcmePages:
    """The ``acme`` resource of the API, driven on the ACME page (a part of WebClient)."""

    def _acme_page(self):
        """The ACME page, always read again: the appliance orders in the background, so it changes by itself."""
        scope = self._list_page().section(INSTALLATION_SECTION)
        links = scope.find_links(ACME_LINK)
        if not links:
            raise self._list_page().difference("link", ACME_LINK, [link.text for link in scope.links])
        return self._open(links[0].url, ACME_PAGE)

    def _acme_form(self, page):
        return page.section(ACME_SETTINGS).form_with_button(SAVE)

    @staticmethod
    def _acme_ip_checkboxes(form) -> dict:
        return {control.label: control for control in form.fields if control.type == "checkbox"}

    def _acme_configuration(self, page) -> dict:
        form = self._acme_form(page)
        settings = {name: _or_none(form.field(label).initial_value()) for name, label in TEXT_FIELDS}
        settings["friendly_name"] = settings["friendly_name"] or ""
        key_type_control = form.field("Key Type")
        chosen = next((text for text, _v, selected, _d in key_type_control.options() if selected), None)
        if chosen is None and key_type_control.options():
            chosen = key_type_control.options()[0][0]
        key_types = {text: name for name, text in KEY_TYPE_TEXTS.items()}
        if chosen not in key_types:
            raise page.difference("option", ", ".join(KEY_TYPE_TEXTS.values()), key_type_control.option_texts())
        boxes = self._acme_ip_checkboxes(form)
        status_scope = page.section(ACME_STATUS)

        def row(label: str) -> str:
            return status_scope.value(label).text

        state_text = row("State")
        if state_text not in STATE_TEXTS:
            raise page.difference("state", " | ".join(STATE_TEXTS), [state_text])
        certificate_cell = status_scope.value("Certificate")
        certificate_id = link_id(certificate_cell.links[0].url) if certificate_cell.links else None
        port = row("Challenge Port")
        window = row("ARI Window")
        start, _sep, end = window.partition(" to ")
        return {
            "enabled": state_text != "Disabled",
            "directory_url": settings["directory_url"],
            "contact": _contact_of(form.field("Contact").initial_value()),
            "eab_key_id": settings["eab_key_id"],
            "eab_hmac_configured": row("EAB HMAC") == "Stored",
            "hostnames": [
                line.strip() for line in form.field("Hostnames").initial_value().splitlines() if line.strip()
            ],
            "key_type": key_types[chosen],
            "ca_bundle": _bundle_of(form.field("CA Bundle").initial_value()),
            "friendly_name": settings["friendly_name"],
            "ip_addresses": sorted(
                (label for label, control in boxes.items() if control.initial_value() is not None), key=address_sort_key
            ),
            "http_port": int(port) if port.isdigit() else port,
            "status": {
                "state": STATE_TEXTS[state_text],
                "last_attempt_at": _or_none(row("Last Attempt")),
                "last_success_at": _or_none(row("Last Success")),
                "last_error": _or_none(row("Last Error")),
                "certificate_id": certificate_id,
                "certificate_sha256": None,
                "not_after": _or_none(row("Expires")),
                "next_renewal_at": _or_none(row("Next Renewal")),
                "renewal_basis": BASIS_TEXTS.get(row("Renewal Basis")),
                "ari_window": {"start": start.strip(), "end": end.strip()} if end else None,
                "account_url": _or_none(row("Account")),
            },
        }

    def _acme(self, _body=None, _query=None) -> dict:
        # The appliance installs what it orders by itself: what was read of its certificates may be old.
        self._changed(imported=True, network=True)
        configuration = self._acme_configuration(self._acme_page())
        ident = configuration["status"]["certificate_id"]
        if ident:
            try:
                fingerprint = self._get_certificate(None, None, ident)["sha256_fingerprint"]
            except ApplianceAPIError as exc:
                if exc.status != 404:
                    raise
            else:
                configuration["status"]["certificate_sha256"] = fingerprint.replace(":", "")
        return configuration

    def _put_acme(self, body, _query) -> dict:
        page = self._acme_page()
        form = self._acme_form(page)
        filling = form.fill()
        for name, label in TEXT_FIELDS:
            filling.set(label, body.get(name))
        filling.set("Contact", _contact_text(body.get("contact")))
        filling.set("Hostnames", "\n".join(body.get("hostnames") or []))
        filling.set("CA Bundle", body.get("ca_bundle"))
        if body.get("eab_hmac"):
            filling.set("EAB HMAC", body["eab_hmac"])
        key_type = body.get("key_type") or "ec-p256"
        if key_type not in KEY_TYPE_TEXTS:
            raise _error(422, "invalid_acme_settings", f"key_type {key_type!r} is not one of {sorted(KEY_TYPE_TEXTS)}.")
        filling.choose("Key Type", KEY_TYPE_TEXTS[key_type])
        boxes = self._acme_ip_checkboxes(form)
        wanted = [self._canonical_address(address) for address in body.get("ip_addresses") or []]
        unknown = [address for address in wanted if address not in boxes]
        if unknown:
            raise _error(
                422,
                "unknown_ip_address",
                f"{', '.join(unknown)} is not an IP address of this appliance; its addresses are "
                f"{', '.join(boxes) or 'none'}. Add the address first, or leave it out.",
            )
        for label, control in boxes.items():
            filling.check_control(control, label in wanted)
        result = self._session.submit(filling.press(SAVE))
        self._changed(imported=True, network=True)
        self._refuse_alerts(result)
        return self._acme()

    def _delete_acme(self, _body, _query) -> None:
        page = self._acme_page()
        result = self._session.submit(self._acme_form(page).fill().press(TURN_OFF))
        self._refuse_alerts(result)

    def _order_acme(self, _body, _query) -> dict:
        page = self._acme_page()
        if not self._acme_configuration(page)["enabled"]:
            raise _error(409, "acme_disabled", "ACME is turned off on this appliance: save its settings first.")
        result = self._session.submit(self._acme_form(page).fill().press(RENEW))
        self._refuse_alerts(result)
        return self._acme()


INSTALLATION_SECTION = "Security :: Certificate Installation"
