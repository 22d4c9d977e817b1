# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``serve --web-alteration SPEC``: the pages as another software version might show them, for tests of a client
of the pages. A renamed text still works, a removed button is on no page, a required extra field refuses a form
without it and changes nothing.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from appliance_fixtures import REPO_ROOT, start_appliance
from web_reader import REQUEST_LINK, WebUser

NEW_CERTIFICATE = "Security :: Certificates :: New Certificate"
ALTERATIONS = [
    "rename:Certificate Friendly Name=Friendly Name",
    "rename:Apply=Go",
    "remove-button:Create Self-Signed Certificate",
    f"require-field:{NEW_CERTIFICATE}=Ticket Number",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    handle = start_appliance(tmp_path_factory.mktemp("web-alterations"), web_alteration=ALTERATIONS)
    yield handle
    handle.stop()


@pytest.fixture
def user(site):
    with WebUser(site) as user:
        user.log_in()
        yield user


def filled(name: str, ticket: str | None) -> dict:
    fill = {
        "Friendly Name": name,
        "Name (Common Name)": "support.example.com",
        "Subject Alternative Names": "support.example.com",
    }
    if ticket is not None:
        fill["Ticket Number"] = ticket
    return {"fill": fill, "choose": {"Key": "New Key (EC P-256)"}}


def test_the_new_certificate_page_is_altered(user):
    page = user.get("/appliance/security/certificates/new")
    assert page.labels() == [
        "Friendly Name",
        "Key",
        "Country",
        "State/Province",
        "City (Locality)",
        "Organization",
        "Organizational Unit",
        "Name (Common Name)",
        "Subject Alternative Names",
        "Ticket Number",
    ]
    assert "required" in page.field("Ticket Number").attrs
    assert page.buttons() == ["Add", "Create Certificate Request"]
    assert "Create Self-Signed Certificate" not in page.html


def test_renamed_texts_read_the_new_text_everywhere_and_only_the_named_page_has_the_extra_field(user):
    page = user.get("/appliance/security/certificates")
    listing = page.section("Security :: Certificates")
    assert page.columns(page.table(listing))[1] == "Friendly Name"
    assert "Certificate Friendly Name" not in page.visible_text()
    assert page.buttons(listing) == ["Go"]
    page = user.get("/appliance/security/certificates/import")
    assert page.labels() == ["Certificate File", "Password", "Friendly Name"]
    assert "Ticket Number" not in page.labels()


def test_a_form_without_the_required_field_is_refused_and_changes_nothing(user, site):
    with site.client() as api:
        before = (api.get("/keys").json(), api.get("/certificate-requests").json())
        user.get("/appliance/security/certificates/new")
        page = user.submit("Create Certificate Request", **filled("altered request", None))
        assert page.status == 422
        assert page.alerts() == ["Ticket Number is required."]
        assert page.field("Friendly Name").attrs["value"] == "altered request"
        assert (api.get("/keys").json(), api.get("/certificate-requests").json()) == before
        page = user.submit("Create Certificate Request", **filled("altered request", "  "))
        assert page.alerts() == ["Ticket Number is required."]
        page = user.submit("Create Certificate Request", **filled("altered request", "CHG-1234"))
        assert page.title == "Security :: Certificates :: View Request", page.alerts()
        request = api.get(f"/certificate-requests/{REQUEST_LINK.search(page.url).group(1)}").json()
        assert request["friendly_name"] == "altered request"


def test_a_renamed_button_still_does_its_work(user):
    user.get("/appliance/security/certificates")
    page = user.submit("Go", check={"Factory Default": True}, choose={"Action": "Export"})
    assert page.title == "Security :: Certificates :: Export"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("bogus", "does not start with a known kind"),
        ("rename:Apply", "needs both"),
        ("remove-button:", "names no button caption"),
        ("require-field:=Ticket", "needs both"),
    ],
)
def test_a_bad_spec_is_refused_naming_the_forms_that_work(tmp_path, spec, words):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "reference_appliance",
            "serve",
            "--state-dir",
            str(tmp_path / "s"),
            "--web-alteration",
            spec,
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert words in done.stderr
    assert "rename:<old text>=<new text>, remove-button:<caption>, require-field:<page title>=<label>" in done.stderr
    assert not (tmp_path / "s").exists(), "nothing was started"


def test_the_serve_help_documents_the_alterations():
    done = subprocess.run(
        [sys.executable, "-m", "reference_appliance", "serve", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    text = " ".join(done.stdout.split())
    for words in (
        "--web-alteration SPEC",
        "--web-idle-timeout SECONDS",
        "rename:<old text>=<new text>",
        "remove-button:<caption>",
        "require-field:<page title>=<label>",
    ):
        assert words in text
