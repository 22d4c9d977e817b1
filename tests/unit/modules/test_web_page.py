# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading the /appliance web pages as a screen reader does (web_page.py), against small handmade pages.

Fields by label text (``for`` or wrapping), choices by text, buttons by caption, links by text, tables by
column heading, label / value tables, sections, messages; what a form sends; a page that lacks what is looked
for (the message, and the redacted snapshot with no values); a page made safe to keep. Also the session's
helpers that need no server: credentials checked before anything is sent, multipart bodies, attachments.
"""

from __future__ import annotations

import datetime
import email.parser
import email.policy
import json
import os
from pathlib import Path

import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.appliance import web_page, web_session
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.client import ApplianceError
from ansible_collections.bomgar.pki.plugins.module_utils.appliance.web_page import (
    Page,
    WebPageDifferenceError,
    page_snapshot,
    safe_html,
    snapshot_name,
)

CSRF = "csrf-3b1f9c0d7e"
SECRET = "s3cr3t-passw0rd"

LOGIN = f"""<!DOCTYPE html><html><head><title>Log In</title><style>body{{color:#222}}</style></head><body>
<h1>Log In</h1>
<form method="post" action="/appliance/login">
  <input type="hidden" name="csrf" value="{CSRF}">
  <div><label for="u">Username</label><input id="u" name="username" value="admin"></div>
  <div><label>Password <input type="password" name="password"></label></div>
  <button type="submit" name="action" value="login">Log In</button>
</form></body></html>"""

NEW_CERTIFICATE = f"""<html><body>
<nav><ul><li><a href="/appliance/status/basics">Basics</a>
<li><a href="/appliance/security/certificates">Certificates</a>
</ul></nav>
<main><h1>Security :: Certificates :: New Certificate</h1>
<div role="alert">The friendly name is missing or empty.</div>
<form method="post" action="new?step=1">
  <input type="hidden" name="csrf" value="{CSRF}">
  <label for="f">Friendly Name</label><input id="f" name="friendly_name" value="old name">
  <label for="k">Key</label>
  <select id="k" name="key">
    <option value="key:1">support 2025
    <option value="new:rsa:2048" selected>New Key (RSA 2048 bits)
    <option value="new:ec:P-256">New Key (EC P-256)
  </select>
  <label for="c">Country</label><input id="c" name="country">
  <label for="t">Ticket Number</label><input id="t" name="ticket" required>
  <label for="s">Subject Alternative Names</label><input id="s" name="san_entry">
  <ul><li>DNS:a.example.com<input type="hidden" name="san" value="DNS:a.example.com">
      <button type="submit" name="remove_san" value="0">Remove</button></li></ul>
  <button type="submit" name="action" value="add-san">Add</button>
  <button type="submit" name="action" value="create-request">Create Certificate Request</button>
  <input type="submit" name="action" value="Create Self-Signed Certificate">
</form></main></body></html>"""

CERTIFICATES = f"""<html><body><h1>Security :: Certificates</h1>
<section><h2>Security :: Certificate Installation</h2>
  <form method="get" action="/appliance/security/certificates/new"><button type="submit">Create</button></form>
</section>
<section><h2>Security :: Certificates</h2>
<form method="post" action="/appliance/security/certificates">
<input type="hidden" name="csrf" value="{CSRF}">
<table><thead><tr><th></th><th>Certificate Friendly Name</th><th>Private Key</th><th>IP Addresses</th></tr></thead>
<tbody>
<tr><td><input type="checkbox" id="c1" name="certificate" value="aa"><label for="c1">support 2026</label></td>
    <td><a href="/appliance/security/certificates/aa">support 2026</a>
        <span>The certificate chain is incomplete.</span>
        <a href="http://ca.example.com/issuer.cer">Authority Info Access</a></td>
    <td>Available</td><td>127.0.0.2<br>127.0.0.3</td></tr>
<tr><td><input type="checkbox" id="c2" name="certificate" value="bb"><label for="c2">support 2026</label></td>
    <td><a href="/appliance/security/certificates/bb?x=1">support 2026</a></td>
    <td>Not Available</td><td></td></tr>
</tbody></table>
<label for="a">Action</label><select id="a" name="action"><option value="export">Export</option>
<option value="delete">Delete</option></select>
<button type="submit" name="apply" value="apply">Apply</button>
</form></section>
<section><h2>Security :: Certificate Requests</h2>
<table><thead><tr><th>Certificate Friendly Name</th><th>Key</th><th></th></tr></thead>
<tbody><tr><td>support 2027</td><td>support 2027</td>
<td><a href="/appliance/security/certificate-requests/r1">View</a></td></tr></tbody></table></section></body></html>"""

BASICS = """<html><body><h1>Status :: Basics</h1><table class="details"><tbody>
<tr><th scope="row">Hostname</th><td>appliance.example.com</td></tr>
<tr><th scope="row">IP Addresses</th><td><ul><li>127.0.0.2</li><li>127.0.0.3</li></ul></td></tr>
<tr><th scope="row">Traffic Nodes</th><td></td></tr>
</tbody></table></body></html>"""


@pytest.fixture
def snapshots(tmp_path) -> Path:
    return tmp_path / "snapshots"


def page(text: str, snapshots: Path, url: str = "https://appliance.example.com:8443/appliance/x") -> Page:
    return Page(text, url, 200, str(snapshots))


def only_snapshot(folder: Path) -> dict:
    files = list(folder.iterdir())
    assert len(files) == 1, files
    return json.loads(files[0].read_text(encoding="utf-8"))


# --- reading ---------------------------------------------------------------------------------------


def test_fields_found_by_label_for_and_wrapping_and_the_form_sends_what_a_browser_sends(snapshots):
    login = page(LOGIN, snapshots)
    assert login.title == "Log In"
    form = login.form_with_button("Log In")
    assert form.field_labels() == ["Username", "Password"]
    assert form.field("Password").type == "password"
    sent = form.fill().set("Username", "operator").set("Password", SECRET).press("Log In")
    assert sent.method == "POST"
    assert sent.url == "https://appliance.example.com:8443/appliance/login"
    assert sent.entries == [("csrf", CSRF), ("username", "operator"), ("password", SECRET), ("action", "login")]
    assert SECRET not in repr(sent) and CSRF not in repr(sent)


def test_choices_by_text_buttons_by_caption_and_several_buttons_in_one_form(snapshots):
    new = page(NEW_CERTIFICATE, snapshots, "https://a.example.com/appliance/security/certificates/new")
    form = new.form_with_field("Key")
    assert form.field("Key").option_texts() == ["support 2025", "New Key (RSA 2048 bits)", "New Key (EC P-256)"]
    assert form.button_captions() == ["Remove", "Add", "Create Certificate Request", "Create Self-Signed Certificate"]
    filling = form.fill().set("Friendly Name", "support 2026").choose("Key", "New Key (EC P-256)")
    sent = (
        filling.set("Ticket Number", "T-1")
        .set("Subject Alternative Names", "DNS:b.example.com")
        .press("Create Self-Signed Certificate")
    )
    assert sent.url == "https://a.example.com/appliance/security/certificates/new?step=1"
    assert ("key", "new:ec:P-256") in sent.entries
    assert ("san", "DNS:a.example.com") in sent.entries
    assert ("action", "Create Self-Signed Certificate") in sent.entries
    assert ("action", "create-request") not in sent.entries and ("remove_san", "0") not in sent.entries
    assert new.alerts == ["The friendly name is missing or empty."]


def test_sections_tables_rows_links_and_checkboxes_in_rows(snapshots):
    listing = page(CERTIFICATES, snapshots, "https://a.example.com/appliance/security/certificates")
    assert [section.name for section in listing.sections] == [
        "Security :: Certificate Installation",
        "Security :: Certificates",
        "Security :: Certificate Requests",
    ]
    table = listing.section("Security :: Certificates").table("Certificate Friendly Name", "IP Addresses")
    first, second = table.rows
    names = [link.text for link in first["Certificate Friendly Name"].links]
    assert names == ["support 2026", "Authority Info Access"]
    assert first["IP Addresses"].lines == ["127.0.0.2", "127.0.0.3"]
    assert second["IP Addresses"].lines == []
    assert (
        second["Certificate Friendly Name"].links[0].url
        == "https://a.example.com/appliance/security/certificates/bb?x=1"
    )
    # two certificates with one friendly name: the checkbox is the row's own
    box = next(control for control in second.controls if control.type == "checkbox")
    form = listing.section("Security :: Certificates").form_with_button("Apply")
    sent = form.fill().check_control(box).choose("Action", "Delete").press("Apply")
    assert sent.entries == [("csrf", CSRF), ("certificate", "bb"), ("action", "delete"), ("apply", "apply")]
    requests = listing.section("Security :: Certificate Requests")
    assert requests.link("View").url.endswith("/certificate-requests/r1")
    assert requests.find_table("Certificate Friendly Name", "Key") is not None
    assert listing.section("Security :: Certificate Installation").find_form_with_button("Create").method == "GET"


def test_label_value_tables_with_one_value_per_list_item(snapshots):
    basics = page(BASICS, snapshots)
    assert basics.value("Hostname").text == "appliance.example.com"
    assert basics.value("IP Addresses").lines == ["127.0.0.2", "127.0.0.3"]
    assert basics.value("Traffic Nodes").lines == []


def test_forgiving_markup_unclosed_items_and_cells():
    text = "<h1>T</h1><table><tr><th>A<th>B<tr><td>1<td>2<tr><td>3<td>4</table><ul><li>x<li>y</ul>"
    parsed = Page(text)
    table = parsed.table("A", "B")
    assert [[row["A"].text, row["B"].text] for row in table.rows] == [["1", "2"], ["3", "4"]]
    assert parsed.root.find_all("ul")[0].lines() == ["x", "y"]


def test_disabled_and_unticked_controls_are_not_sent():
    text = (
        '<h1>E</h1><form method="post" action="/e"><input type="hidden" name="t" value="v">'
        '<input type="checkbox" id="a" name="ip" value="127.0.0.2" checked disabled><label for="a">127.0.0.2</label>'
        '<input type="checkbox" id="b" name="ip" value="127.0.0.3"><label for="b">127.0.0.3</label>'
        '<input type="checkbox" id="c" name="ip" value="127.0.0.4" checked><label for="c">127.0.0.4</label>'
        "<button>Save Configuration</button></form>"
    )
    form = Page(text, "https://a/x").form_with_button("Save Configuration")
    assert form.field("127.0.0.2").disabled
    sent = form.fill().check("127.0.0.3").press("Save Configuration")
    assert sent.entries == [("t", "v"), ("ip", "127.0.0.3"), ("ip", "127.0.0.4")]
    sent = form.fill().check("127.0.0.4", False).press("Save Configuration")
    assert sent.entries == [("t", "v")]


# --- when a page differs ------------------------------------------------------------------------------


def test_a_missing_field_names_the_page_the_label_and_the_labels_there_and_writes_a_snapshot(snapshots):
    new = page(NEW_CERTIFICATE, snapshots)
    with pytest.raises(WebPageDifferenceError) as caught:
        new.form_with_field("Key").field("Certificate Friendly Name")
    message = caught.value.message
    assert (
        "page 'Security :: Certificates :: New Certificate' has no field labelled 'Certificate Friendly Name'; "
        "its fields are: 'Friendly Name', 'Key', 'Country', 'Ticket Number', 'Subject Alternative Names'"
    ) in message
    assert isinstance(caught.value, ApplianceError)
    path = caught.value.snapshot_path
    assert path and Path(path).parent == snapshots and f"written to {path}" in message
    assert "software version" in message
    assert caught.value.details["looked_for"] == {"kind": "field", "text": "Certificate Friendly Name"}
    snapshot = only_snapshot(snapshots)
    assert snapshot["page"] == "Security :: Certificates :: New Certificate"
    assert snapshot["looked_for"] == {"kind": "field", "text": "Certificate Friendly Name"}
    (form,) = snapshot["forms"]
    assert [field["label"] for field in form["fields"]] == [
        "Friendly Name",
        "Key",
        "Country",
        "Ticket Number",
        "Subject Alternative Names",
    ]
    assert form["fields"][3] == {"label": "Ticket Number", "type": "text", "required": True}
    assert form["fields"][1]["choices"] == ["support 2025", "New Key (RSA 2048 bits)", "New Key (EC P-256)"]
    assert form["action"] == "/appliance/new"
    assert "Create Certificate Request" in form["buttons"]
    written = json.dumps(snapshot)
    for value in (CSRF, "old name", "key:1", "new:rsa:2048", "friendly_name", "csrf", "step=1", "remove_san"):
        assert value not in written


@pytest.mark.parametrize(
    ("find", "expected"),
    [
        (lambda p: p.form_with_button("Upload"), "has no button 'Upload'; its buttons are: 'Remove', 'Add', "),
        (lambda p: p.link("Log Out"), "has no link 'Log Out'; its links are: 'Basics', 'Certificates'"),
        (lambda p: p.table("IP Address"), "has no table with the column 'IP Address'; its tables' columns are: none"),
        (lambda p: p.section("Security :: Certificates"), "has no section 'Security :: Certificates'"),
        (lambda p: p.value("Hostname"), "has no row labelled 'Hostname'; its rows are: none"),
        (
            lambda p: p.form_with_field("Key").fill().choose("Key", "New Key (RSA 8192 bits)"),
            "has no choice 'New Key (RSA 8192 bits)' in the field 'Key'; its choices are: 'support 2025', ",
        ),
        (
            lambda p: p.expect("Security :: Certificates :: Export"),
            "showed page 'Security :: Certificates :: New Certificate' where page 'Security :: Certificates :: "
            "Export' was expected",
        ),
    ],
)
def test_each_kind_of_difference_says_what_was_looked_for_and_what_the_page_has(snapshots, find, expected):
    with pytest.raises(WebPageDifferenceError) as caught:
        find(page(NEW_CERTIFICATE, snapshots))
    assert expected in caught.value.message
    assert only_snapshot(snapshots)["page"] == "Security :: Certificates :: New Certificate"


def test_a_required_field_the_transport_does_not_fill_stops_the_form_before_it_is_sent(snapshots):
    form = page(NEW_CERTIFICATE, snapshots).form_with_field("Key")
    filling = form.fill().set("Friendly Name", "support 2026").choose("Key", "New Key (EC P-256)")
    with pytest.raises(WebPageDifferenceError) as caught:
        filling.press("Create Certificate Request")
    message = caught.value.message
    assert "has a required field 'Ticket Number' that the web transport does not fill" in message
    assert "(it fills 'Friendly Name', 'Key')" in message and "the form was not sent" in message
    assert "Nothing further was sent to the appliance" in message
    assert only_snapshot(snapshots)["looked_for"]["kind"] == "required"


def test_the_default_snapshot_folder_is_under_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WebPageDifferenceError) as caught:
        Page(LOGIN, "https://a/appliance/login").form_with_button("Sign In")
    path = Path(caught.value.snapshot_path)
    assert path.parent == tmp_path / web_page.DEFAULT_SNAPSHOT_DIR
    assert path.name.startswith("Log-In-") and path.suffix == ".json"
    written = path.read_text(encoding="utf-8")
    assert CSRF not in written and "admin" not in written


def test_a_snapshot_that_cannot_be_written_is_said_and_the_difference_still_raised(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(WebPageDifferenceError) as caught:
        Page(LOGIN, "https://a/x", 200, str(blocker / "sub")).link("Basics")
    assert caught.value.snapshot_path is None
    assert "The snapshot of the page could not be written" in caught.value.message


def test_snapshot_name_from_the_title_and_the_time():
    moment = datetime.datetime(2026, 11, 29, 9, 50, 13, 5, tzinfo=datetime.timezone.utc)
    assert snapshot_name("Security :: Certificates :: New Certificate", moment) == (
        "Security-Certificates-New-Certificate-20261129T095013000005Z.json"
    )
    assert snapshot_name("", moment).startswith("untitled-page-")


def test_a_snapshot_holds_no_values_no_hidden_fields_and_no_query_strings():
    snapshot = page_snapshot(Page(CERTIFICATES, "https://a/appliance/security/certificates?token=zz"))
    written = json.dumps(snapshot)
    assert CSRF not in written and "token=zz" not in written and "x=1" not in written
    assert '"value"' not in written
    assert snapshot["path"] == "/appliance/security/certificates"
    assert {"text": "support 2026", "path": "/appliance/security/certificates/bb"} in snapshot["links"]
    assert snapshot["tables"][0]["columns"] == ["", "Certificate Friendly Name", "Private Key", "IP Addresses"]
    assert snapshot["tables"][0]["rows"] == 2


# --- a page made safe to keep ---------------------------------------------------------------------------


def test_safe_html_keeps_the_page_and_drops_scripts_hidden_fields_values_and_addresses():
    text = (
        "<!DOCTYPE html><html><head><style>h1{color:red}</style><script>steal()</script>"
        '<meta http-equiv="refresh" content="0;url=https://evil"><base href="https://evil/"></head>'
        '<body onload="x()"><h1>Status :: Basics</h1><a href="/appliance/logout">Log Out</a>'
        f'<form method="post" action="/appliance/x"><input type="hidden" name="csrf" value="{CSRF}">'
        f'<input name="q" value="typed"><input type="password" name="p" value="{SECRET}">'
        f"<textarea>{SECRET}</textarea><button>Go</button></form>"
        '<img src="https://tracker/x.png"><p style="background:url(https://x)">kept &amp; shown</p></body></html>'
    )
    safe = safe_html(text)
    for gone in (CSRF, SECRET, "steal", "typed", "https://evil", "/appliance/logout", "/appliance/x", "onload"):
        assert gone not in safe
    for kept in ("<style>h1{color:red}</style>", "<h1>Status :: Basics</h1>", "Log Out", "kept &amp; shown"):
        assert kept in safe
    assert "tracker" not in safe and "url(" not in safe
    assert '<a href="#" aria-disabled="true">Log Out</a>' in safe, "a link stays a link, to nowhere"
    reparsed = Page(safe)
    assert reparsed.title == "Status :: Basics"
    assert all(control.type != "hidden" for control in reparsed.controls)


# --- the session's helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password", "named"),
    [("", "x", "username"), ("admin", "", "password"), (None, "x", "username"), ("admin", "pw\n", "password")],
)
def test_credentials_are_checked_before_anything_is_sent(username, password, named):
    with pytest.raises(ApplianceError) as caught:
        web_session.WebSession("https://127.0.0.1:9", username, password)
    message = caught.value.message
    assert named in message
    assert f"BOMGAR_{named.upper()}" in message
    assert "pw\n" not in message


def test_plain_http_is_refused_before_the_password_is_sent():
    with pytest.raises(ApplianceError) as caught:
        web_session.WebSession("http://appliance.example.com:8443", "admin", SECRET)
    assert "https://appliance.example.com:8443" in caught.value.message
    assert "password" in caught.value.message and SECRET not in caught.value.message


def test_a_file_upload_is_multipart_with_every_file_and_field():
    body, content_type = web_session._multipart(  # pylint: disable=protected-access
        [("csrf", CSRF), ("certificate_file", [("a.pem", b"AAA"), ("b.p12", b"\x00\x01")]), ("password", "pw")]
    )
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("ascii") + body
    )
    parts = [
        (part.get_param("name", header="content-disposition"), part.get_filename()) for part in message.iter_parts()
    ]
    assert parts == [("csrf", None), ("certificate_file", "a.pem"), ("certificate_file", "b.p12"), ("password", None)]
    contents = [part.get_payload(decode=True) for part in message.iter_parts()]
    assert contents == [CSRF.encode(), b"AAA", b"\x00\x01", b"pw"]


def test_attachments_are_told_from_pages():
    assert web_session._attachment_filename('attachment; filename="support_2026.pem"') == "support_2026.pem"  # pylint: disable=protected-access
    assert web_session._attachment_filename("inline") is None  # pylint: disable=protected-access
    assert web_session._attachment_filename("") is None  # pylint: disable=protected-access


def test_the_snapshot_folder_is_made_when_missing(tmp_path):
    folder = tmp_path / "a" / "b"
    with pytest.raises(WebPageDifferenceError):
        Page(BASICS, "https://a/x", 200, str(folder)).value("Site Port")
    assert len(os.listdir(folder)) == 1
