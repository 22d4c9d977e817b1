# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The /appliance web pages of a running appliance, read and used as docs/web-interface.md describes them.

Every page's title, sections, labels, buttons and column headings are checked exactly; every form is used as a
browser without JavaScript uses it, and what it changed is read back from the API, which must agree. A refusal
shows the API's own message and status, keeps what was typed (never a password or passphrase) and changes
nothing.
"""

from __future__ import annotations

import base64
import datetime
import re

import pytest
from api_material import fingerprint, make_hierarchy, make_server, pem, pkcs12_der, sign_request
from appliance_fixtures import start_appliance
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from web_reader import CERT_LINK, REQUEST_LINK, WebUser, collapsed, issued_with_aia

NEW_CERTIFICATE = "Security :: Certificates :: New Certificate"
EDIT = "Security :: Certificates :: Edit Certificate Configuration"
VIEW_REQUEST = "Security :: Certificates :: View Request"
EXPORT = "Security :: Certificates :: Export"
IMPORT = "Security :: Import Certificate"
NEW_KEY_OPTIONS = [
    "New Key (RSA 2048 bits)",
    "New Key (RSA 3072 bits)",
    "New Key (RSA 4096 bits)",
    "New Key (EC P-256)",
    "New Key (EC P-384)",
]
PASSPHRASE = "export passphrase 9f3c"
ADDED_IP = "127.0.0.23"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One appliance for the module; every test makes its own names, so they do not meet."""
    handle = start_appliance(tmp_path_factory.mktemp("web-pages"), ip_addresses=["127.0.0.2", "127.0.0.21"])
    yield handle
    handle.stop()


@pytest.fixture
def user(site):
    with WebUser(site) as user:
        page = user.log_in()
        assert page.title == "Status :: Basics", page.alerts()
        yield user


@pytest.fixture
def api(site):
    with site.client() as client:
        yield client


def api_snapshot(api) -> dict:
    """Everything the API shows (certificates without their computed chain facts, which need no comparing)."""
    return {
        "ip_addresses": api.get("/network/ip-addresses").json(),
        "keys": api.get("/keys").json(),
        "requests": api.get("/certificate-requests").json(),
        "certificates": api.get("/certificates").json(),
    }


def new_certificate_form(user, name: str, key: str = "New Key (EC P-256)", common_name: str = "support.example.com"):
    user.get("/appliance/security/certificates")
    page = user.submit("Create")
    assert page.title == NEW_CERTIFICATE
    return {
        "fill": {
            "Certificate Friendly Name": name,
            "Country": "US",
            "State/Province": "California",
            "City (Locality)": "San Jose",
            "Organization": "Example Corp",
            "Organizational Unit": "IT",
            "Name (Common Name)": common_name,
            "Subject Alternative Names": common_name,
        },
        "choose": {"Key": key},
    }


def create_request(user, name: str, **options):
    page = user.submit("Create Certificate Request", **new_certificate_form(user, name, **options))
    assert page.title == VIEW_REQUEST, page.alerts()
    return page, REQUEST_LINK.search(page.url).group(1)


def certificate_row(page, name: str) -> dict:
    rows = page.rows(page.table(page.section("Security :: Certificates")))
    found = [row for row in rows if row["Certificate Friendly Name"].find_all("a")[0].label() == name]
    assert found, f"no certificate {name!r}"
    return found[0]


def open_certificate(user, name: str):
    page = user.get("/appliance/security/certificates")
    href = certificate_row(page, name)["Certificate Friendly Name"].find_all("a")[0].attrs["href"]
    return user.get(href)


def api_message(response) -> tuple[int, list[str]]:
    """The API's refusal as a page shows it: its status, and its message as the one alert."""
    assert response.status_code >= 400, response.text
    return response.status_code, [response.json()["message"]]


# Pages and their texts


def test_status_basics_shows_every_row_the_contract_names_with_the_api_values(user, api):
    page = user.get("/appliance/status/basics")
    basics = api.get("/status/basics").json()
    rows = page.details()
    assert list(rows) == [
        "Hostname",
        "Site Hostname",
        "Appliance Role",
        "Software Version",
        "Appliance ID",
        "API Version",
        "Site Port",
        "IP Addresses",
        "Traffic Nodes",
        "Trusted Root Certificates (SHA-256)",
    ]
    assert rows["Hostname"].label() == basics["hostname"]
    assert rows["Site Hostname"].label() == basics["site_hostname"]
    assert rows["Appliance Role"].label() == "Primary"
    assert rows["Software Version"].label() == basics["software_version"]
    assert rows["Appliance ID"].label() == basics["appliance_id"]
    assert rows["API Version"].label() == basics["api_version"]
    assert rows["Site Port"].label() == str(basics["site_port"])
    assert rows["IP Addresses"].lines() == basics["ip_addresses"]
    assert rows["Traffic Nodes"].lines() == basics["traffic_nodes"] == []
    assert rows["Trusted Root Certificates (SHA-256)"].lines() == basics["trusted_root_fingerprints"]


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/appliance/status/basics", "Status :: Basics"),
        ("/appliance/networking/ip-configuration", "Networking :: IP Configuration"),
        ("/appliance/security/certificates", "Security :: Certificates"),
        ("/appliance/security/certificates/new", NEW_CERTIFICATE),
        ("/appliance/security/certificates/import", IMPORT),
    ],
)
def test_every_page_has_its_title_the_menu_the_hostname_and_log_out(user, site, path, title):
    page = user.get(path)
    assert page.status == 200
    assert page.title == title
    links = page.links()
    for text in ("Status", "Basics", "Networking", "IP Configuration", "Security", "Certificates", "Log Out"):
        assert text in links, text
    assert links["Log Out"] == "/appliance/logout"
    assert site.hostname in page.root.find_all("header")[0].label()
    assert "<style>" in page.html
    assert "<script" not in page.html.lower()
    assert not page.alerts()


def test_the_certificates_page_has_its_three_sections_columns_and_controls(user, api):
    page = user.get("/appliance/security/certificates")
    assert page.headings() == [
        "Security :: Certificate Installation",
        "Security :: Certificates",
        "Security :: Certificate Requests",
    ]
    assert page.buttons(page.section("Security :: Certificate Installation")) == ["Create", "Import"]
    listing = page.section("Security :: Certificates")
    assert page.columns(page.table(listing)) == [
        "",
        "Certificate Friendly Name",
        "Issued To",
        "Issued By",
        "Expiration Date",
        "Private Key",
        "Alternative Names",
        "IP Addresses",
    ]
    assert page.options("Action") == ["Export", "Delete"]
    assert page.buttons(listing) == ["Apply"]
    requests = page.section("Security :: Certificate Requests")
    assert page.columns(page.table(requests))[:4] == ["Certificate Friendly Name", "Issued To", "Key", "Created"]
    factory = certificate_row(page, "Factory Default")
    default = next(cert for cert in api.get("/certificates").json() if cert["factory_default"])
    assert factory["Private Key"].label() == "Available"
    assert factory["Issued To"].label() == default["subject"]["common_name"]
    assert factory["Expiration Date"].label() == default["not_after"][:10]
    assert factory["Alternative Names"].lines() == default["subject_alt_name"]
    assert factory["IP Addresses"].lines() == default["ip_addresses"]
    assert page.field("Factory Default").attrs["type"] == "checkbox"
    assert "fingerprint" not in page.visible_text().lower()


def test_the_new_certificate_form_has_its_fields_in_order_and_the_keys_by_name(user, api):
    api.post("/keys", json={"name": "web pages existing key", "type": "ec", "curve": "P-256"}).raise_for_status()
    page = user.get("/appliance/security/certificates/new")
    assert page.labels() == [
        "Certificate Friendly Name",
        "Key",
        "Country",
        "State/Province",
        "City (Locality)",
        "Organization",
        "Organizational Unit",
        "Name (Common Name)",
        "Subject Alternative Names",
    ]
    keys = [key["name"] for key in api.get("/keys").json()]
    assert page.options("Key") == keys + NEW_KEY_OPTIONS
    assert "web pages existing key" in keys
    assert page.buttons() == ["Add", "Create Certificate Request", "Create Self-Signed Certificate"]


def test_the_import_and_ip_pages_have_their_fields_and_buttons(user):
    page = user.get("/appliance/security/certificates/import")
    assert page.labels() == ["Certificate File", "Password", "Certificate Friendly Name"]
    assert page.field("Certificate File").attrs["type"] == "file"
    assert "multiple" in page.field("Certificate File").attrs
    assert page.field("Password").attrs["type"] == "password"
    assert page.buttons() == ["Upload"]
    page = user.get("/appliance/networking/ip-configuration")
    assert page.columns(page.table())[:2] == ["IP Address", "Certificate"]
    assert page.headings() == ["IP Addresses", "Add IP Address"]
    assert page.labels() == ["IP Address"]
    assert page.buttons(page.section("Add IP Address")) == ["Add"]
    assert set(page.buttons(page.section("IP Addresses"))) == {"Remove"}


# Subject Alternative Names without JavaScript


def test_add_posts_the_form_back_and_lists_each_name_with_remove(user, api):
    before = api_snapshot(api)
    form = new_certificate_form(user, "web sans", common_name="sans.example.com")
    page = user.submit("Add", **form)
    assert page.title == NEW_CERTIFICATE and page.status == 200
    assert page.field("Certificate Friendly Name").attrs["value"] == "web sans"
    assert page.field("Country").attrs["value"] == "US"
    assert page.selected("Key") == "New Key (EC P-256)"
    page = user.submit("Add", fill={"Subject Alternative Names": "127.0.0.21"})
    page = user.submit("Add", fill={"Subject Alternative Names": "DNS:www.sans.example.com"})
    entries = [item.label() for item in page.root.find_all("li") if item.find_all("button")]
    assert entries == ["DNS:sans.example.com Remove", "IP:127.0.0.21 Remove", "DNS:www.sans.example.com Remove"]
    second = next(item for item in page.root.find_all("li") if "IP:127.0.0.21" in item.label())
    page = user.submit("Remove", within=second)
    entries = [item.label() for item in page.root.find_all("li") if item.find_all("button")]
    assert entries == ["DNS:sans.example.com Remove", "DNS:www.sans.example.com Remove"]
    assert api_snapshot(api) == before, "Add and Remove change nothing on the appliance"
    page = user.submit("Create Certificate Request")
    assert page.title == VIEW_REQUEST
    request = api.get(f"/certificate-requests/{REQUEST_LINK.search(page.url).group(1)}").json()
    assert request["subject_alt_name"] == ["DNS:sans.example.com", "DNS:www.sans.example.com"]


# Requests


def test_create_certificate_request_with_a_new_key_named_after_it(user, api):
    page, request_id = create_request(user, "web request 1")
    assert page.notices() == ["Certificate request 'web request 1' created with the new key 'web request 1'."]
    request = api.get(f"/certificate-requests/{request_id}").json()
    key = api.get(f"/keys/{request['key_id']}").json()
    assert key["name"] == "web request 1"
    assert (key["type"], key["curve"]) == ("ec", "P-256")
    assert request["subject"] == {
        "common_name": "support.example.com",
        "country_name": "US",
        "state_or_province_name": "California",
        "locality_name": "San Jose",
        "organization_name": "Example Corp",
        "organizational_unit_name": "IT",
    }
    details = page.details()
    assert details["Friendly Name"].label() == "web request 1"
    assert details["Key"].label() == "web request 1"
    assert details["Alternative Names"].lines() == ["DNS:support.example.com"]
    assert page.field("Request Data").text().strip() == request["pem"].strip()
    assert page.buttons(page.form_of(page.button("Delete Request"))) == ["Delete Request"]
    listing = user.get("/appliance/security/certificates")
    rows = listing.rows(listing.table(listing.section("Security :: Certificate Requests")))
    row = next(row for row in rows if row["Certificate Friendly Name"].label() == "web request 1")
    assert row["Key"].label() == "web request 1"
    assert row["Issued To"].label() == "support.example.com"
    assert row["Created"].label() == request["created_at"]
    assert listing.link("View", within=row[""]).endswith(f"/certificate-requests/{request_id}")


def test_an_existing_key_is_used_and_kept_by_name(user, api):
    key = api.post("/keys", json={"name": "web chosen key", "type": "ec", "curve": "P-384"}).json()
    _page, request_id = create_request(user, "web request with key", key="web chosen key")
    assert api.get(f"/certificate-requests/{request_id}").json()["key_id"] == key["id"]


def test_a_new_key_whose_name_is_taken_is_refused_and_nothing_changes(user, api):
    taken = api.post("/keys", json={"name": "web taken name", "type": "ec"}).json()
    before = api_snapshot(api)
    page = user.submit("Create Certificate Request", **new_certificate_form(user, "web taken name"))
    refused = api.post("/keys", json={"name": "web taken name", "type": "ec", "curve": "P-256"})
    assert (page.status, page.alerts()) == api_message(refused)
    assert page.status == 409
    assert taken["id"] in page.alerts()[0] and "already exists" in page.alerts()[0]
    assert page.title == NEW_CERTIFICATE
    assert page.field("Certificate Friendly Name").attrs["value"] == "web taken name"
    assert api_snapshot(api) == before


def test_a_refusal_shows_the_api_message_keeps_what_was_typed_and_leaves_no_key(user, api):
    before = api_snapshot(api)
    form = new_certificate_form(user, "web bad country")
    form["fill"]["Country"] = "USA"
    page = user.submit("Create Certificate Request", **form)
    key = api.get("/keys").json()[0]["id"]
    refused = api.post(
        "/certificate-requests",
        json={
            "friendly_name": "web bad country",
            "key_id": key,
            "subject": {
                "common_name": "support.example.com",
                "country_name": "USA",
                "state_or_province_name": "California",
                "locality_name": "San Jose",
                "organization_name": "Example Corp",
                "organizational_unit_name": "IT",
            },
            "subject_alt_name": ["DNS:support.example.com"],
        },
    )
    assert (page.status, page.alerts()) == api_message(refused)
    assert "country" in page.alerts()[0].lower()
    assert page.field("Country").attrs["value"] == "USA"
    assert page.field("Organization").attrs["value"] == "Example Corp"
    assert page.selected("Key") == "New Key (EC P-256)"
    assert api_snapshot(api) == before, "the new key made for the refused request is gone again"


def test_delete_request_deletes_it_and_its_key_when_nothing_else_uses_it(user, api):
    page, request_id = create_request(user, "web request to delete")
    key_id = api.get(f"/certificate-requests/{request_id}").json()["key_id"]
    page = user.submit("Delete Request")
    assert page.title == "Security :: Certificates"
    assert page.notices() == [
        "Certificate request 'web request to delete' deleted, and its key 'web request to delete'."
    ]
    assert api.get(f"/certificate-requests/{request_id}").status_code == 404
    assert api.get(f"/keys/{key_id}").status_code == 404


def test_delete_request_keeps_a_key_a_certificate_uses(user, api):
    page, request_id = create_request(user, "web shared key")
    key_id = api.get(f"/certificate-requests/{request_id}").json()["key_id"]
    page = user.submit(
        "Create Self-Signed Certificate", **new_certificate_form(user, "web shared key cert", key="web shared key")
    )
    assert page.title == EDIT
    user.get(f"/appliance/security/certificate-requests/{request_id}")
    page = user.submit("Delete Request")
    assert page.notices() == ["Certificate request 'web shared key' deleted."]
    assert api.get(f"/keys/{key_id}").json()["used_by"]["requests"] == []


# Certificates


def test_create_self_signed_certificate_opens_its_configuration(user, api):
    page = user.submit("Create Self-Signed Certificate", **new_certificate_form(user, "web self-signed"))
    assert page.title == EDIT, page.alerts()
    assert page.notices() == ["Self-signed certificate 'web self-signed' created with the new key 'web self-signed'."]
    cert_id = CERT_LINK.search(page.url).group(1)
    cert = api.get(f"/certificates/{cert_id}").json()
    assert cert["self_signed"] and cert["private_key_available"]
    begins = datetime.datetime.fromisoformat(cert["not_before"].replace("Z", "+00:00"))
    ends = datetime.datetime.fromisoformat(cert["not_after"].replace("Z", "+00:00"))
    assert abs((ends - begins) - datetime.timedelta(days=365)) < datetime.timedelta(days=1)
    details = page.details()
    assert list(details) == [
        "Friendly Name",
        "Issued To",
        "Issued By",
        "Valid From",
        "Valid To",
        "Key",
        "Alternative Names",
    ]
    assert details["Friendly Name"].label() == "web self-signed"
    assert details["Issued To"].label().startswith("CN=support.example.com")
    assert details["Valid From"].label() == cert["not_before"]
    assert details["Valid To"].label() == cert["not_after"]
    assert details["Key"].label() == "web self-signed"
    assert [page.field(address).attrs.get("type") for address in ("127.0.0.2", "127.0.0.21")] == ["checkbox"] * 2
    assert page.buttons(page.section("IP Addresses")) == ["Save Configuration"]


def test_save_configuration_binds_exactly_the_checked_addresses(user, api, site):
    user.submit("Create Self-Signed Certificate", **new_certificate_form(user, "web bound"))
    cert_id = CERT_LINK.search(user.page.url).group(1)
    served = api.get(f"/certificates/{cert_id}").json()["sha256_fingerprint"]
    page = user.submit("Save Configuration", check={"127.0.0.21": True})
    assert page.title == EDIT
    assert page.notices() == ["Configuration saved: 'web bound' serves 127.0.0.21."]
    assert api.get(f"/certificates/{cert_id}/ip-addresses").json()["ip_addresses"] == ["127.0.0.21"]
    assert "checked" in page.field("127.0.0.21").attrs and "checked" not in page.field("127.0.0.2").attrs
    assert site.served_fingerprints("127.0.0.21")[0] == served
    page = user.submit("Save Configuration", check={"127.0.0.21": False})
    assert page.notices() == ["Configuration saved: 'web bound' serves no IP address."]
    assert api.get(f"/certificates/{cert_id}/ip-addresses").json()["ip_addresses"] == []
    assert site.served_fingerprints("127.0.0.21")[0] != served


def test_the_ip_addresses_column_and_page_follow_the_bindings(user, api):
    user.submit("Create Self-Signed Certificate", **new_certificate_form(user, "web listed binding"))
    user.submit("Save Configuration", check={"127.0.0.21": True})
    page = user.get("/appliance/security/certificates")
    assert certificate_row(page, "web listed binding")["IP Addresses"].lines() == ["127.0.0.21"]
    page = user.get("/appliance/networking/ip-configuration")
    rows = {row["IP Address"].label(): row["Certificate"].label() for row in page.rows(page.table())}
    assert rows["127.0.0.21"] == "web listed binding"
    assert rows["127.0.0.2"] == "Factory Default"
    open_certificate(user, "web listed binding")
    user.submit("Save Configuration", check={"127.0.0.21": False})


def test_import_of_a_signed_request_with_its_chain_completes_the_request(user, api):
    _page, request_id = create_request(user, "web signed", common_name="signed.example.com")
    request = api.get(f"/certificate-requests/{request_id}").json()
    hierarchy = make_hierarchy()
    signed = sign_request(request["pem"], hierarchy.intermediate)
    user.get("/appliance/security/certificates/import")
    page = user.submit(
        "Upload",
        files={
            "Certificate File": [
                ("signed.pem", pem(signed)),
                ("issuing.pem", pem(hierarchy.intermediate.cert)),
                ("root.pem", pem(hierarchy.root.cert)),
            ]
        },
    )
    assert page.title == IMPORT and page.status == 200, page.alerts()
    assert page.notices() == ["Imported 3 certificates and 0 keys; 0 already on the appliance."]
    imported = page.rows(page.table(page.section("Imported Certificates")))
    names = [row["Certificate Friendly Name"].label() for row in imported]
    assert names[0] == "web signed" and len(names) == 3
    files = [row["File"].label() for row in page.rows(page.table(page.section("Files Read")))]
    assert files == ["signed.pem", "issuing.pem", "root.pem"]
    assert api.get(f"/certificate-requests/{request_id}").json()["status"] == "completed"
    cert = api.get("/certificates", params={"friendly_name": "web signed"}).json()[0]
    assert cert["sha256_fingerprint"] == fingerprint(signed)
    assert cert["chain_status"] == "complete" and cert["private_key_available"]
    page = user.submit(
        "Upload",
        page=user.get("/appliance/security/certificates/import"),
        files={"Certificate File": [("again.pem", pem(signed))]},
    )
    assert page.notices() == ["Nothing new: every certificate in the files is already on the appliance."]
    unchanged = page.rows(page.table(page.section("Unchanged Certificates")))
    assert [row["Certificate Friendly Name"].label() for row in unchanged] == ["web signed"]


def test_import_pkcs12_with_its_password_brings_the_key(user, api):
    hierarchy = make_hierarchy()
    server = make_server("pkcs12.example.com", hierarchy.intermediate)
    blob = pkcs12_der(server, [hierarchy.intermediate.cert], "p12 password 5e1a")
    before = api_snapshot(api)
    user.get("/appliance/security/certificates/import")
    refused_page = user.submit(
        "Upload",
        fill={"Password": "not the password", "Certificate Friendly Name": "web p12"},
        files={"Certificate File": [("server.p12", blob)]},
    )
    refused = api.post(
        "/certificates/import",
        json={
            "files": [{"name": "server.p12", "content": base64.b64encode(blob).decode()}],
            "passphrase": "not the password",
            "friendly_name": "web p12",
        },
    )
    assert (refused_page.status, refused_page.alerts()) == api_message(refused)
    assert refused_page.field("Certificate Friendly Name").attrs["value"] == "web p12"
    assert "not the password" not in refused_page.html
    assert api_snapshot(api) == before
    page = user.submit(
        "Upload",
        fill={"Password": "p12 password 5e1a", "Certificate Friendly Name": "web p12"},
        files={"Certificate File": [("server.p12", blob)]},
    )
    assert page.status == 200, page.alerts()
    assert "p12 password 5e1a" not in page.html
    keys = page.rows(page.table(page.section("Imported Keys")))
    assert len(keys) == 1
    cert = api.get("/certificates", params={"friendly_name": "web p12"}).json()[0]
    assert cert["private_key_available"]
    assert keys[0]["Key"].label() == api.get(f"/keys/{cert['key_id']}").json()["name"]
    imported = page.rows(page.table(page.section("Imported Certificates")))
    assert imported[0]["Certificate Friendly Name"].label() == "web p12"
    assert imported[0]["Private Key"].label() == "Available"


def test_an_incomplete_chain_is_warned_beneath_the_name_with_its_issuer_link(user, api):
    hierarchy = make_hierarchy()
    cert, _key = issued_with_aia(hierarchy.intermediate, "aia.example.com", "http://pki.example.com/issuing.cer")
    user.get("/appliance/security/certificates/import")
    page = user.submit(
        "Upload",
        fill={"Certificate Friendly Name": "web incomplete"},
        files={"Certificate File": [("leaf.cer", cert.public_bytes(serialization.Encoding.DER))]},
    )
    assert page.status == 200, page.alerts()
    assert api.get("/certificates", params={"friendly_name": "web incomplete"}).json()[0]["chain_status"] == (
        "incomplete"
    )
    page = user.get("/appliance/security/certificates")
    row = certificate_row(page, "web incomplete")
    name_cell = row["Certificate Friendly Name"]
    assert "The certificate chain is incomplete." in name_cell.label()
    assert page.link("Authority Info Access", within=name_cell) == "http://pki.example.com/issuing.cer"
    assert row["Private Key"].label() == "Not Available"
    assert (
        "The certificate chain is incomplete."
        not in certificate_row(page, "Factory Default")["Certificate Friendly Name"].label()
    )


def test_without_its_private_key_a_certificate_cannot_be_assigned(user, api):
    hierarchy = make_hierarchy()
    server = make_server("keyless.example.com", hierarchy.intermediate)
    user.get("/appliance/security/certificates/import")
    user.submit(
        "Upload",
        fill={"Certificate Friendly Name": "web keyless"},
        files={"Certificate File": [("keyless.pem", pem(server.cert) + pem(hierarchy.intermediate.cert))]},
    )
    page = open_certificate(user, "web keyless")
    assert page.title == EDIT
    assert page.details()["Key"].label() == "Not Available"
    assert all("disabled" in page.field(address).attrs for address in ("127.0.0.2", "127.0.0.21"))
    assert (
        "The private key of this certificate is not available, so it cannot be assigned to IP addresses."
        in collapsed(page.visible_text())
    )
    cert = api.get("/certificates", params={"friendly_name": "web keyless"}).json()[0]
    refused = api.put(f"/certificates/{cert['id']}/ip-addresses", json={"ip_addresses": []})
    page = user.submit("Save Configuration")
    assert (page.status, page.alerts()) == api_message(refused)
    assert page.status == 409 and "PKCS#12" in page.alerts()[0]


# Export


def start_export(user, name: str):
    user.get("/appliance/security/certificates")
    return user.submit("Apply", check={name: True}, choose={"Action": "Export"})


def test_export_pem_with_its_chain_downloads_an_attachment(user, api):
    hierarchy = make_hierarchy()
    server = make_server("export.example.com", hierarchy.intermediate)
    blob = pkcs12_der(server, [hierarchy.intermediate.cert, hierarchy.root.cert], "p12 export 1")
    user.get("/appliance/security/certificates/import")
    user.submit(
        "Upload",
        fill={"Password": "p12 export 1", "Certificate Friendly Name": "web export"},
        files={"Certificate File": [("export.p12", blob)]},
    )
    page = start_export(user, "web export")
    assert page.title == EXPORT, page.alerts()
    assert page.labels() == ["Include Private Key", "Include Certificate Chain", "Passphrase"]
    assert page.buttons(page.section("Export Options")) == ["Export"]
    assert "checked" in page.field("Include Certificate Chain").attrs
    assert "checked" not in page.field("Include Private Key").attrs
    download = user.submit("Export")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="web_export.pem"'
    certificates = x509.load_pem_x509_certificates(download.content)
    assert [fingerprint(cert) for cert in certificates] == [
        fingerprint(server.cert),
        fingerprint(hierarchy.intermediate.cert),
        fingerprint(hierarchy.root.cert),
    ]
    assert b"PRIVATE KEY" not in download.content
    download = user.submit("Export", check={"Include Certificate Chain": False})
    assert [fingerprint(cert) for cert in x509.load_pem_x509_certificates(download.content)] == [
        fingerprint(server.cert)
    ]
    cert = api.get("/certificates", params={"friendly_name": "web export"}).json()[0]
    exported = api.post(f"/certificates/{cert['id']}/export", json={"format": "pem"}).json()
    full = user.submit("Export")
    assert full.text == exported["content"]


def test_export_with_the_private_key_is_a_pkcs12_under_the_passphrase(user, api):
    user.submit("Create Self-Signed Certificate", **new_certificate_form(user, "web export key"))
    cert_id = CERT_LINK.search(user.page.url).group(1)
    page = start_export(user, "web export key")
    before = api_snapshot(api)
    refused_page = user.submit("Export", check={"Include Private Key": True})
    refused = api.post(f"/certificates/{cert_id}/export", json={"format": "pkcs12", "include_private_key": True})
    assert (refused_page.status, refused_page.alerts()) == api_message(refused)
    assert "checked" in refused_page.field("Include Private Key").attrs
    short_page = user.submit("Export", check={"Include Private Key": True}, fill={"Passphrase": "zQ!"})
    short = api.post(
        f"/certificates/{cert_id}/export",
        json={"format": "pkcs12", "include_private_key": True, "passphrase": "zQ!"},
    )
    assert (short_page.status, short_page.alerts()) == api_message(short)
    assert "zQ!" not in short_page.html, "a passphrase is never shown again"
    download = user.submit("Export", check={"Include Private Key": True}, fill={"Passphrase": PASSPHRASE})
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="web_export_key.p12"'
    key, cert, _chain = pkcs12.load_key_and_certificates(download.content, PASSPHRASE.encode())
    assert fingerprint(cert) == api.get(f"/certificates/{cert_id}").json()["sha256_fingerprint"]
    assert key is not None
    assert api_snapshot(api) == before, "exporting never removes anything"
    assert page.title == EXPORT


def test_export_takes_one_certificate_and_apply_needs_a_choice(user):
    page = user.get("/appliance/security/certificates")
    page = user.submit("Apply", choose={"Action": "Export"})
    assert page.status == 422 and page.title == "Security :: Certificates"
    assert page.alerts() == [
        "No certificate is selected. Tick the checkbox of the certificate, choose the action, then Apply."
    ]
    page = user.submit("Apply", choose={"Action": "Export"}, check={"Factory Default": True, "web export key": True})
    assert page.status == 422
    assert "Export takes one at a time" in page.alerts()[0]
    assert "checked" in page.field("Factory Default").attrs


# Delete


def test_delete_from_the_list_and_its_refusals(user, api):
    user.submit("Create Self-Signed Certificate", **new_certificate_form(user, "web to delete"))
    cert_id = CERT_LINK.search(user.page.url).group(1)
    user.submit("Save Configuration", check={"127.0.0.2": True})
    before = api_snapshot(api)
    user.get("/appliance/security/certificates")
    page = user.submit("Apply", check={"web to delete": True}, choose={"Action": "Delete"})
    refused = api.delete(f"/certificates/{cert_id}")
    assert (page.status, page.alerts()) == api_message(refused)
    assert page.status == 409
    assert api_snapshot(api) == before
    page = user.submit("Apply", check={"Factory Default": True}, choose={"Action": "Delete"})
    factory_id = next(cert["id"] for cert in api.get("/certificates").json() if cert["factory_default"])
    assert (page.status, page.alerts()) == api_message(api.delete(f"/certificates/{factory_id}"))
    open_certificate(user, "web to delete")
    user.submit("Save Configuration", check={"127.0.0.2": False})
    user.get("/appliance/security/certificates")
    page = user.submit("Apply", check={"web to delete": True}, choose={"Action": "Delete"})
    assert page.status == 200 and page.title == "Security :: Certificates"
    assert page.notices() == ["Certificate 'web to delete' deleted."]
    assert api.get(f"/certificates/{cert_id}").status_code == 404


# Networking :: IP Configuration


def test_add_ip_address_serves_the_factory_default_and_remove_takes_it_away(user, api, site):
    page = user.get("/appliance/networking/ip-configuration")
    page = user.submit("Add", fill={"IP Address": ADDED_IP})
    assert page.title == "Networking :: IP Configuration"
    assert page.notices() == [f"IP address {ADDED_IP} added; it serves the factory default certificate."]
    added = next(entry for entry in api.get("/network/ip-addresses").json() if entry["address"] == ADDED_IP)
    assert added["serving"] == "factory_default"
    rows = {row["IP Address"].label(): row for row in page.rows(page.table())}
    assert rows[ADDED_IP]["Certificate"].label() == "Factory Default"
    factory = next(cert for cert in api.get("/certificates").json() if cert["factory_default"])
    assert site.served_fingerprints(ADDED_IP) == [factory["sha256_fingerprint"]]
    page = user.submit("Remove", within=rows[ADDED_IP][""])
    assert page.notices() == [f"IP address {ADDED_IP} removed."]
    assert ADDED_IP not in [entry["address"] for entry in api.get("/network/ip-addresses").json()]


def test_a_bad_ip_address_is_refused_with_the_api_message(user, api):
    before = api_snapshot(api)
    user.get("/appliance/networking/ip-configuration")
    page = user.submit("Add", fill={"IP Address": "10.1.2.3"})
    refused = api.post("/network/ip-addresses", json={"address": "10.1.2.3"})
    assert (page.status, page.alerts()) == api_message(refused)
    assert page.field("IP Address").attrs["value"] == "10.1.2.3"
    assert api_snapshot(api) == before


def test_a_page_of_a_certificate_that_does_not_exist_is_404_with_the_api_message(user, api):
    page = user.get("/appliance/security/certificates/0000000000000000")
    refused = api.get("/certificates/0000000000000000")
    assert (page.status, page.alerts()) == api_message(refused)
    assert page.title == EDIT
    page = user.get("/appliance/security/certificate-requests/req-000000000000")
    assert page.status == 404 and page.title == VIEW_REQUEST


# Secrets


def test_no_page_shows_a_secret(user, site, api):
    _page, request_id = create_request(user, "web secrets")
    cert_id = next(cert["id"] for cert in api.get("/certificates").json() if cert["factory_default"])
    paths = [
        "/appliance/login",
        "/appliance/status/basics",
        "/appliance/networking/ip-configuration",
        "/appliance/security/certificates",
        "/appliance/security/certificates/new",
        "/appliance/security/certificates/import",
        f"/appliance/security/certificates/{cert_id}",
        f"/appliance/security/certificates/{cert_id}/export",
        f"/appliance/security/certificate-requests/{request_id}",
    ]
    secrets = [site.password, site.token]
    for path in paths:
        page = user.get(path)
        for secret in secrets:
            assert secret not in page.html, path
        assert "PRIVATE KEY" not in page.html, path
        assert re.search(r"-----BEGIN [A-Z ]*KEY-----", page.html) is None, path
