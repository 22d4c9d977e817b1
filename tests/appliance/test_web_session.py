# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who may use the /appliance web pages: the admin login, its session cookie, CSRF values, the login throttle,
the idle timeout and Log Out (docs/web-interface.md, "Session").

The throttle counts failures per client address, so each throttle test connects from an address of its own
(127.0.0.0/8 is all loopback) and the other tests are not slowed by it.
"""

from __future__ import annotations

import json
import re
import stat
import time

import pytest
from appliance_fixtures import API_PREFIX, start_appliance
from fastapi.testclient import TestClient
from web_reader import Page, WebUser

from reference_appliance.api import create_app
from reference_appliance.appliance import Appliance, Identity
from reference_appliance.store import Store
from reference_appliance.web import WebInterface, WebSettings
from reference_appliance.web.auth import MAX_OPEN_LOGIN_FORMS, LoginThrottle, Sessions

LOCKOUT = 3
IDLE = 2
PAGES = [
    "/appliance/status/basics",
    "/appliance/networking/ip-configuration",
    "/appliance/security/certificates",
    "/appliance/security/certificates/new",
    "/appliance/security/certificates/import",
    "/appliance/security/certificates/acme",
    "/appliance/security/certificates/0123456789abcdef",
    "/appliance/security/certificates/0123456789abcdef/export",
    "/appliance/security/certificate-requests/req-0123456789ab",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    handle = start_appliance(
        tmp_path_factory.mktemp("web-session"),
        web_idle_timeout=IDLE,
        web_login_lockout=LOCKOUT,
        ip_addresses=["127.0.0.2"],
    )
    yield handle
    handle.stop()


def attempt(site, password: str, address: str) -> tuple[WebUser, float]:
    """A login from ``address``; the user and how long the answer took."""
    user = WebUser(site, local_address=address)
    user.get("/appliance/login")
    started = time.monotonic()
    user.submit("Log In", follow=False, fill={"Username": "admin", "Password": password})
    return user, time.monotonic() - started


def test_the_login_page_has_its_heading_fields_and_button(site):
    with WebUser(site) as user:
        page = user.get("/appliance/login")
        assert page.status == 200
        assert page.title == "Log In"
        assert page.labels() == ["Username", "Password"]
        assert page.field("Password").attrs["type"] == "password"
        assert page.buttons() == ["Log In"]
        assert site.hostname in page.visible_text()


@pytest.mark.parametrize("path", PAGES)
def test_without_a_session_every_page_redirects_to_the_login_page(site, path):
    with WebUser(site) as user:
        answers = [user.client.get(path)]
        if path != "/appliance/status/basics":  # the only page without a form
            answers.append(user.client.post(path, data={"action": "x"}))
        for response in answers:
            assert response.status_code == 303
            assert response.headers["location"] == "/appliance/login"


def test_the_front_door_leads_to_the_login_page(site):
    with WebUser(site) as user:
        assert user.client.get("/appliance").headers["location"] == "/appliance/status/basics"
        assert user.get("/appliance/").title == "Log In"


def test_login_gives_a_strict_session_cookie_and_opens_status_basics(site):
    with WebUser(site) as user:
        login_page = user.get("/appliance/login")
        before = user.client.cookies.get("appliance_session")
        answer = user.submit("Log In", follow=False, fill={"Username": "admin", "Password": site.password})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/appliance/status/basics"
        cookie = answer.headers["set-cookie"]
        flags = [part.strip() for part in cookie.split(";")[1:]]
        assert sorted(flags) == ["HttpOnly", "Path=/appliance", "SameSite=Strict", "Secure"]
        after = user.client.cookies.get("appliance_session")
        assert after and after != before, "the session is a new one after login"
        page = user.get("/appliance/status/basics")
        assert page.title == "Status :: Basics"
        assert page.notices() == ["Logged in as admin."]
        assert login_page.title == "Log In"


def test_a_wrong_password_or_username_shows_the_form_again(site):
    for username, password in (("admin", "not the password"), ("root", site.password)):
        with WebUser(site, local_address="127.0.0.61") as user:
            page = user.log_in(username, password)
            assert page.status == 401
            assert page.title == "Log In"
            assert page.alerts() == ["Invalid username or password."]
            assert page.field("Username").attrs["value"] == username
            assert password not in page.html
            assert "appliance_session" in user.client.cookies, "the form again carries a session for its CSRF"
            assert user.client.get("/appliance/status/basics").status_code == 303
    with WebUser(site, local_address="127.0.0.61") as user:
        assert user.log_in().title == "Status :: Basics", "a success forgets the failures"


def test_the_api_token_does_not_log_in_and_the_password_is_no_api_token(site):
    with WebUser(site) as user:
        headers = {"Authorization": f"Bearer {site.token}"}
        assert user.client.get("/appliance/status/basics", headers=headers).status_code == 303
        page = user.log_in("admin", site.token)
        assert page.alerts() == ["Invalid username or password."]
    with site.client(headers={"Authorization": f"Bearer {site.password}"}) as api:
        refused = api.get("/status/basics")
        assert refused.status_code == 401
        assert refused.json()["error"] == "unauthorized"


def test_the_api_keeps_its_json_and_its_token_beside_the_pages(site):
    with WebUser(site) as user:
        user.log_in()
        refused = user.client.get(API_PREFIX + "/status/basics")
        assert refused.status_code == 401, "a session cookie is no API token"
        assert refused.headers["content-type"] == "application/json"
        missing = user.client.get("/appliance/no-such-page")
        assert missing.status_code == 404
        assert "text/html" in missing.headers["content-type"]
        assert Page(missing.text).alerts() == [
            "There is no page at '/appliance/no-such-page'. Choose a page in the menu."
        ]
    with site.client() as api:
        unknown = api.get("/no-such-resource")
        assert unknown.status_code == 404
        assert unknown.json()["error"] == "not_found"
        assert api.get("/status/basics").status_code == 200


def test_a_post_without_the_session_csrf_value_is_refused_and_changes_nothing(site):
    with WebUser(site) as user, site.client() as api:
        user.log_in()
        page = user.get("/appliance/networking/ip-configuration")
        before = api.get("/network/ip-addresses").json()
        _method, action, fields, _files = page.submission("Add", fill={"IP Address": "127.0.0.31"})
        for changed in (
            [(name, value) for name, value in fields if name != "csrf_token"],
            [(name, "forged" if name == "csrf_token" else value) for name, value in fields],
        ):
            answer = user.client.post(action, data=dict(changed))
            refused = Page(answer.text)
            assert answer.status_code == 403
            assert refused.alerts() == ["Your session changed; reload the page and try again."]
            assert refused.title == "Networking :: IP Configuration"
        assert api.get("/network/ip-addresses").json() == before
        other = WebUser(site)
        other.log_in()
        answer = other.client.post(action, data=dict(fields))  # this session's value in another session
        assert answer.status_code == 403
        other.close()
        assert api.get("/network/ip-addresses").json() == before
        page = user.submit("Add", page=page, fill={"IP Address": "127.0.0.31"})
        assert page.notices() == ["IP address 127.0.0.31 added; it serves the factory default certificate."]
        user.submit("Remove", within=page.rows(page.table())[-1][""])


def test_the_login_form_needs_its_csrf_value_too(site):
    with WebUser(site) as user:
        page = user.get("/appliance/login")
        _method, action, fields, _files = page.submission(
            "Log In", fill={"Username": "admin", "Password": site.password}
        )
        answer = user.client.post(action, data={name: value for name, value in fields if name != "csrf_token"})
        assert answer.status_code == 403
        assert "Your session changed; reload the page and try again." in answer.text
        assert site.password not in answer.text
        assert user.client.get("/appliance/status/basics").status_code == 303


def test_log_out_ends_the_session(site):
    with WebUser(site) as user:
        page = user.log_in()
        cookie = user.client.cookies.get("appliance_session")
        page = user.get(page.link("Log Out"))
        assert page.title == "Log In"
        assert page.notices() == ["You have logged out."]
        assert user.client.get("/appliance/status/basics").status_code == 303
        with WebUser(site) as replay:
            answer = replay.client.get("/appliance/status/basics", headers={"Cookie": f"appliance_session={cookie}"})
            assert answer.status_code == 303, "the old cookie is worth nothing"


def test_a_session_ends_after_the_idle_timeout(site):
    with WebUser(site) as user:
        user.log_in()
        assert user.client.get("/appliance/status/basics").status_code == 200
        time.sleep(IDLE * 0.6)
        assert user.client.get("/appliance/status/basics").status_code == 200, "each request keeps it alive"
        time.sleep(IDLE * 0.6)
        assert user.client.get("/appliance/status/basics").status_code == 200
        time.sleep(IDLE + 1)
        answer = user.client.get("/appliance/security/certificates")
        assert (answer.status_code, answer.headers["location"]) == (303, "/appliance/login")
        page = user.get("/appliance/login")
        assert page.notices() == ["Your session has ended. Log in again."]


def test_failed_logins_are_slowed_then_refused_for_a_while(site):
    address = "127.0.0.62"
    for _failure in range(5):
        user, took = attempt(site, "wrong", address)
        assert took < 1.0 and user.page.status == 401
        user.close()
    user, took = attempt(site, "wrong", address)
    assert took >= 1.0 and user.page.alerts() == ["Invalid username or password."]
    user.close()
    user, took = attempt(site, "wrong", address)
    assert took >= 2.0 and user.page.status == 401
    user.close()
    user, _took = attempt(site, "wrong", address)
    assert user.page.status == 429
    assert re.fullmatch(r"Too many failed logins; wait [1-3] seconds\.", user.page.alerts()[0])
    user.close()
    user, took = attempt(site, site.password, address)
    assert user.page.status == 429, "while locked out, the right password is refused too"
    assert took < 1.0
    user.close()
    with WebUser(site, local_address="127.0.0.63") as other:
        assert other.log_in().title == "Status :: Basics", "another address is not held back"
    time.sleep(LOCKOUT + 0.5)
    user, _took = attempt(site, site.password, address)
    assert user.client.get("/appliance/status/basics").status_code == 200
    user.close()
    for _failure in range(5):
        user, took = attempt(site, "wrong", address)
        assert took < 1.0 and user.page.status == 401, "the success forgot the failures"
        user.close()


def test_the_admin_password_is_a_private_file_the_ready_file_names_and_nothing_prints(site):
    ready = json.loads(site.process.ready_file.read_text(encoding="utf-8"))
    assert ready["admin_username"] == "admin"
    assert ready["admin_password_file"] == str(site.state_dir / "admin-password")
    assert ready["web_url"] == site.api_url + "/appliance"
    assert stat.S_IMODE((site.state_dir / "admin-password").stat().st_mode) == 0o600
    password = site.password
    assert len(password) >= 20
    assert password not in json.dumps(ready)
    assert password not in site.process.all_output()
    assert str(site.state_dir / "admin-password") in site.process.stdout()


def test_the_admin_password_stays_across_restarts(appliance):
    password = appliance.password
    appliance.restart()
    assert appliance.password == password
    with WebUser(appliance) as user:
        assert user.log_in().title == "Status :: Basics"


class _Gate:
    """Records what the API guard tells the connection gate."""

    def __init__(self):
        self.started = []

    def request_started(self, peer, authenticated: bool) -> None:
        self.started.append(authenticated)

    def request_finished(self, peer) -> None:
        pass


def test_a_browser_with_a_session_counts_as_a_caller_with_credentials(tmp_path):
    store = Store(tmp_path / "state")
    appliance = Appliance(store, Identity(hostname="appliance.example.com", site_hostname="support.example.com"))
    web = WebInterface(appliance, "appliance.example.com", "primary", WebSettings("admin", "web gate password 1"))
    gate = _Gate()
    app = create_app(appliance, "web-gate-token-7", gate=gate, web=web)
    with TestClient(app, base_url="https://testserver") as client:
        client.get("/appliance/login")
        assert gate.started == [False], "the login page is open to callers without credentials"
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/appliance/login").text).group(1)
        answer = client.post(
            "/appliance/login",
            data={"csrf_token": csrf, "username": "admin", "password": "web gate password 1"},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        gate.started.clear()
        assert client.get("/appliance/status/basics").status_code == 200
        assert client.get("/appliance/api/v1/keys").status_code == 401
        assert gate.started == [True, False], "the session counts for pages, not for the API"
    store.close()


def test_opening_login_forms_never_ends_a_logged_in_session():
    sessions = Sessions(idle_timeout=60)
    admin = sessions.open(authenticated=True)
    for _form in range(3 * MAX_OPEN_LOGIN_FORMS):
        sessions.open(authenticated=False)
    assert sessions.get(admin.ident) is admin
    assert len(sessions) == MAX_OPEN_LOGIN_FORMS + 1


def test_sessions_and_the_throttle_follow_their_clock():
    now = [1000.0]
    sessions = Sessions(idle_timeout=900, clock=lambda: now[0])
    session = sessions.open(authenticated=True)
    now[0] += 899
    assert sessions.get(session.ident) is session, "used within the idle time: kept, and the idle time restarts"
    now[0] += 899
    assert sessions.is_authenticated(session.ident)
    now[0] += 901
    assert sessions.get(session.ident) is None
    throttle = LoginThrottle(lockout=300, clock=lambda: now[0])
    answers = [throttle.failed("192.0.2.7") for _failure in range(8)]
    assert answers == [(0.0, None)] * 5 + [(1.0, None), (2.0, None), (0.0, 300)]
    now[0] += 100
    assert throttle.locked_for("192.0.2.7") == 200
    assert throttle.locked_for("192.0.2.8") is None
    now[0] += 201
    assert throttle.locked_for("192.0.2.7") is None
    assert throttle.failed("192.0.2.7") == (1.0, None), "after the lockout the next failure is slowed again"
    throttle.succeeded("192.0.2.7")
    assert throttle.failed("192.0.2.7") == (0.0, None)


def test_refusals_of_the_framework_on_pages_are_pages(tmp_path):
    store = Store(tmp_path / "state")
    appliance = Appliance(store, Identity(hostname="appliance.example.com", site_hostname="support.example.com"))
    web = WebInterface(appliance, "appliance.example.com", "primary", WebSettings("admin", "web refusal password"))
    app = create_app(appliance, "web-refusal-token-7", web=web)
    with TestClient(app, base_url="https://testserver") as client:
        too_large = client.post(
            "/appliance/security/certificates/import",
            content=b"x" * (12 * 1024 * 1024 + 1),
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )
        assert too_large.status_code == 413
        assert "text/html" in too_large.headers["content-type"]
        assert Page(too_large.text).alerts()[0].startswith("The form is larger than 12 MiB")
        wrong = client.put("/appliance/login")
        assert wrong.status_code == 405
        assert Page(wrong.text).alerts() == ["The page '/appliance/login' does not take PUT requests."]
        api = client.put("/appliance/api/v1/keys", headers={"Authorization": "Bearer web-refusal-token-7"})
        assert (api.status_code, api.json()["error"]) == (405, "method_not_allowed")
    store.close()
