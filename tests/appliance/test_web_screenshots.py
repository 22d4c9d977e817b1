# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every /appliance web page in headless Chromium, as a person uses it: logged in through the login form, forms
filled and buttons pressed in the browser. Each page is saved as build/web-screenshots/<page>.png; each must be
a real picture of a whole page, and no page may show a secret (the admin password, the API token, a private key
or a passphrase).
"""

from __future__ import annotations

import base64
import json
import struct
import sys
from pathlib import Path

import pytest
from api_material import make_hierarchy, make_server, pem, pkcs12_der, sign_request
from appliance_fixtures import REPO_ROOT, start_appliance
from cryptography.hazmat.primitives import serialization
from web_reader import issued_with_aia

sys.path.insert(0, str(REPO_ROOT / "tests" / "report"))

from browser import Browser, chromium_path

SCREENSHOTS = REPO_ROOT / "build" / "web-screenshots"
WIDTH = 1280
P12_PASSWORD = "screenshot p12 password 4b7e"
TYPED_PASSPHRASE = "screenshot passphrase 81d0"
IPS = ["127.0.0.2", "127.0.0.41", "127.0.0.42"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An appliance with what a real one would list: requests, certificates with and without keys and chains."""
    directory = tmp_path_factory.mktemp("web-screenshots")
    handle = start_appliance(directory, ip_addresses=IPS, hostname="appliance01.example.com")
    hierarchy = make_hierarchy()
    with handle.client() as api:
        key = api.post("/keys", json={"name": "support.example.com 2026", "type": "ec", "curve": "P-256"}).json()
        subject = {
            "common_name": "support.example.com",
            "country_name": "US",
            "state_or_province_name": "California",
            "locality_name": "San Jose",
            "organization_name": "Example Corp",
            "organizational_unit_name": "IT",
        }
        request = api.post(
            "/certificate-requests",
            json={
                "friendly_name": "support.example.com 2026",
                "key_id": key["id"],
                "subject": subject,
                "subject_alt_name": ["DNS:support.example.com", "DNS:remote.example.com"],
            },
        ).json()
        signed = sign_request(request["pem"], hierarchy.intermediate)
        files = [pem(signed), pem(hierarchy.intermediate.cert), pem(hierarchy.root.cert)]
        api.post(
            "/certificates/import",
            json={
                "files": [{"name": f"{n}.pem", "content": base64.b64encode(f).decode()} for n, f in enumerate(files)]
            },
        ).raise_for_status()
        cert = api.get("/certificates", params={"friendly_name": "support.example.com 2026"}).json()[0]
        api.put(f"/certificates/{cert['id']}/ip-addresses", json={"ip_addresses": IPS[:2]}).raise_for_status()
        pending_key = api.post("/keys", json={"name": "support.example.com 2027", "type": "rsa", "size": 2048}).json()
        api.post(
            "/certificate-requests",
            json={
                "friendly_name": "support.example.com 2027",
                "key_id": pending_key["id"],
                "subject": subject,
                "subject_alt_name": ["DNS:support.example.com"],
            },
        ).raise_for_status()
        other = make_hierarchy()
        incomplete, _key = issued_with_aia(
            other.intermediate, "legacy.example.com", "http://pki.example.com/issuing.cer"
        )
        keyless = make_server("partner.example.com", hierarchy.intermediate)
        for name, data in (
            ("legacy.example.com", incomplete.public_bytes(serialization.Encoding.DER)),
            ("partner.example.com", pem(keyless.cert)),
        ):
            api.post(
                "/certificates/import",
                json={"files": [{"name": "x", "content": base64.b64encode(data).decode()}], "friendly_name": name},
            ).raise_for_status()
    p12 = directory / "remote.p12"
    p12.write_bytes(
        pkcs12_der(
            make_server("remote.example.com", hierarchy.intermediate), [hierarchy.intermediate.cert], P12_PASSWORD
        )
    )
    handle.p12_path = p12
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def browser(site, tmp_path_factory):
    if chromium_path() is None:
        pytest.fail("Chromium is missing: install the Debian package chromium (apt-get install chromium).")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with Browser(tmp_path_factory.mktemp("chromium-profile")) as chromium:
        chromium.call("Security.setIgnoreCertificateErrors", {"ignore": True})
        yield chromium


def _js_by_label(label: str) -> str:
    return (
        "(() => { const l = [...document.querySelectorAll('label')].find("
        f"(x) => x.textContent.trim() === {json.dumps(label)}); "
        "return l && (document.getElementById(l.htmlFor) || l.querySelector('input,select,textarea')); })()"
    )


def fill(chromium, label: str, value: str) -> None:
    assert chromium.evaluate(
        f"(() => {{ const f = {_js_by_label(label)}; f.value = {json.dumps(value)}; return true; }})()"
    )


def choose(chromium, label: str, text: str) -> None:
    script = (
        f"(() => {{ const f = {_js_by_label(label)}; "
        f"const o = [...f.options].find((x) => x.text === {json.dumps(text)}); f.value = o.value; return true; }})()"
    )
    assert chromium.evaluate(script)


def tick(chromium, label: str) -> None:
    assert chromium.evaluate(f"(() => {{ const f = {_js_by_label(label)}; f.checked = true; return true; }})()")


def press(chromium, caption: str, nth: int = 0) -> None:
    """Click the button the way a person does and wait for the page it leads to."""
    chromium.events.clear()
    script = (
        f"(() => {{ const b = [...document.querySelectorAll('button')].filter((x) => x.textContent.trim() === "
        f"{json.dumps(caption)})[{nth}]; b.click(); return true; }})()"
    )
    assert chromium.evaluate(script)
    chromium.wait_for_event("Page.loadEventFired")


def choose_files(chromium, label: str, paths: list[Path]) -> None:
    document = chromium.call("DOM.getDocument", {}, session=True)["root"]["nodeId"]
    ident = chromium.evaluate(f"{_js_by_label(label)}.id")
    node = chromium.call("DOM.querySelector", {"nodeId": document, "selector": f"#{ident}"}, session=True)["nodeId"]
    chromium.call("DOM.setFileInputFiles", {"nodeId": node, "files": [str(path) for path in paths]}, session=True)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


def shoot(chromium, site, name: str, title: str) -> Path:
    """Save the page as build/web-screenshots/<name>.png; check the picture and that no secret is on the page."""
    assert chromium.evaluate("document.querySelector('h1').textContent.trim()") == title
    path = chromium.screenshot(SCREENSHOTS / f"{name}.png")
    width, height = png_size(path)
    assert width == WIDTH and height >= 600, (name, width, height)
    assert path.stat().st_size > 15_000, f"{name}.png is nearly empty"
    # What a person can read: the page's text and the values of its fields (a password field shows dots only).
    shown = chromium.evaluate(
        "document.body.innerText + ' ' + [...document.querySelectorAll('input:not([type=password]):not([type=hidden]),"
        " textarea')].map((f) => f.value).join(' ')"
    )
    for secret in (site.password, site.token, P12_PASSWORD, TYPED_PASSPHRASE, "PRIVATE KEY"):
        assert secret not in shown, f"{name}: a secret is on the page"
    return path


def test_every_page_in_a_browser(site, browser):
    base = site.api_url + "/appliance"
    shots = []
    browser.open(base + "/status/basics", WIDTH)  # no session: the login page
    shots.append(shoot(browser, site, "login", "Log In"))
    fill(browser, "Username", "admin")
    fill(browser, "Password", "wrong password")
    press(browser, "Log In")
    shots.append(shoot(browser, site, "login-refused", "Log In"))
    fill(browser, "Username", "admin")
    fill(browser, "Password", site.password)
    press(browser, "Log In")
    shots.append(shoot(browser, site, "status-basics", "Status :: Basics"))

    browser.open(base + "/networking/ip-configuration", WIDTH)
    shots.append(shoot(browser, site, "ip-configuration", "Networking :: IP Configuration"))

    browser.open(base + "/security/certificates", WIDTH)
    shots.append(shoot(browser, site, "certificates", "Security :: Certificates"))

    press(browser, "Create")
    fill(browser, "Certificate Friendly Name", "support.example.com 2028")
    choose(browser, "Key", "New Key (EC P-256)")
    fill(browser, "Country", "US")
    fill(browser, "Organization", "Example Corp")
    fill(browser, "Name (Common Name)", "support.example.com")
    fill(browser, "Subject Alternative Names", "support.example.com")
    press(browser, "Add")
    fill(browser, "Subject Alternative Names", "remote.example.com")
    press(browser, "Add")
    shots.append(shoot(browser, site, "new-certificate", "Security :: Certificates :: New Certificate"))
    fill(browser, "Country", "USA")
    press(browser, "Create Certificate Request")
    shots.append(shoot(browser, site, "new-certificate-refused", "Security :: Certificates :: New Certificate"))
    fill(browser, "Country", "US")
    press(browser, "Create Certificate Request")
    shots.append(shoot(browser, site, "view-request", "Security :: Certificates :: View Request"))

    browser.open(base + "/security/certificates/import", WIDTH)
    shots.append(shoot(browser, site, "import-certificate", "Security :: Import Certificate"))
    choose_files(browser, "Certificate File", [site.p12_path])
    fill(browser, "Password", P12_PASSWORD)
    fill(browser, "Certificate Friendly Name", "remote.example.com")
    press(browser, "Upload")
    shots.append(shoot(browser, site, "import-result", "Security :: Import Certificate"))

    browser.open(base + "/security/certificates", WIDTH)
    browser.evaluate(
        "[...document.querySelectorAll('a')].find((a) => a.textContent === 'support.example.com 2026').click()"
    )
    browser.wait_for_event("Page.loadEventFired")
    shots.append(shoot(browser, site, "edit-certificate", "Security :: Certificates :: Edit Certificate Configuration"))

    browser.open(base + "/security/certificates", WIDTH)
    browser.evaluate("[...document.querySelectorAll('a')].find((a) => a.textContent === 'partner.example.com').click()")
    browser.wait_for_event("Page.loadEventFired")
    shots.append(
        shoot(browser, site, "edit-certificate-no-key", "Security :: Certificates :: Edit Certificate Configuration")
    )

    browser.open(base + "/security/certificates", WIDTH)
    tick(browser, "support.example.com 2026")
    choose(browser, "Action", "Export")
    press(browser, "Apply")
    fill(browser, "Passphrase", TYPED_PASSPHRASE)
    shots.append(shoot(browser, site, "export", "Security :: Certificates :: Export"))

    browser.open(base + "/security/certificates", WIDTH)
    browser.evaluate("[...document.querySelectorAll('a')].find((a) => a.textContent === 'ACME').click()")
    browser.wait_for_event("Page.loadEventFired")
    shots.append(shoot(browser, site, "acme", "Security :: Certificates :: ACME"))
    # A directory nobody answers at: the appliance's order fails, and the page says why.
    fill(browser, "Directory URL", "https://127.0.0.1:9/directory")
    fill(browser, "Contact", "pki@example.com")
    fill(browser, "Hostnames", "support.example.com")
    press(browser, "Save ACME Settings")
    shots.append(shoot(browser, site, "acme-saved", "Security :: Certificates :: ACME"))
    assert "ACME settings saved" in browser.evaluate("document.body.innerText")

    browser.open(base + "/security/certificates", WIDTH)
    shots.append(shoot(browser, site, "certificates-after", "Security :: Certificates"))
    texts = browser.evaluate("document.body.innerText")
    assert "The certificate chain is incomplete." in texts
    assert "support.example.com 2028" in texts and "remote.example.com" in texts

    press(browser, "Create")
    browser.evaluate("[...document.querySelectorAll('a')].find((a) => a.textContent === 'Log Out').click()")
    browser.wait_for_event("Page.loadEventFired")
    shots.append(shoot(browser, site, "logged-out", "Log In"))
    assert len({path.name for path in shots}) == len(shots) == 17
