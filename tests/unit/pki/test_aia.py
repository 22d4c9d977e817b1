# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of AIA URL reading and the http fetcher (plugins/module_utils/pki/aia.py) against a local http server."""

from __future__ import annotations

import http.server
import socket
import threading
import time

import cryptography_vectors
import pytest
from ansible_collections.bomgar.pki.plugins.module_utils.pki import aia, chain
from ansible_collections.bomgar.pki.plugins.module_utils.pki.errors import AIAFetchError
from chain_factory import (
    NOW,
    der,
    make_cert,
    make_hierarchy,
    make_root,
    pem,
    pkcs7_der,
    pkcs7_pem,
)

HOST = "support.example.com"
SLOW_SECONDS = 2.0
SHORT_TIMEOUT = 0.5
SMALL_LIMIT = 2000


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.routes``: path -> (status, headers, body) or a callable taking the handler."""

    def do_GET(self):
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
            return
        if callable(route):
            route(self)
            return
        status, headers, body = route
        self.send_response(status)
        for header, value in headers.items():
            self.send_header(header, value)
        if "Content-Length" not in headers and body is not None:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format, *args):
        """Keep the test output quiet."""


def _slow_headers(handler):
    time.sleep(SLOW_SECONDS)
    handler.send_response(200)
    handler.end_headers()


def _slow_body(handler):
    handler.send_response(200)
    handler.end_headers()
    for _drip in range(int(SLOW_SECONDS / 0.2)):
        handler.wfile.write(b"0")
        handler.wfile.flush()
        time.sleep(0.2)


def _endless_without_length(handler):
    handler.send_response(200)
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.close_connection = True
    stop = time.monotonic() + 10 * SLOW_SECONDS
    try:
        while time.monotonic() < stop:
            handler.wfile.write(b"0" * 1000)
            handler.wfile.flush()
    except OSError:
        pass  # the client hung up, as it should once it has seen enough


def _hang_up(handler):
    handler.close_connection = True


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch):
    for variable in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture(scope="module")
def hierarchy():
    return make_hierarchy()


@pytest.fixture(scope="module")
def server(hierarchy):
    """A real http server on 127.0.0.1 and an ephemeral port; ``server.url(path)`` builds its URLs."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    intermediate, root = hierarchy.intermediate.cert, hierarchy.root.cert
    httpd.routes = {
        "/int.cer": (200, {"Content-Type": "application/pkix-cert"}, der(intermediate)),
        "/int.pem": (200, {"Content-Type": "application/x-pem-file"}, pem(intermediate)),
        "/bundle.p7c": (200, {"Content-Type": "application/pkcs7-mime"}, pkcs7_der([intermediate, root])),
        "/bundle-pem.p7c": (200, {}, pkcs7_pem([intermediate, root])),
        "/garbage": (200, {"Content-Type": "text/html"}, b"<html>Not a certificate</html>"),
        "/empty": (200, {}, b""),
        "/big-declared": (200, {}, b"0" * (SMALL_LIMIT + 1)),
        "/big-streamed": _endless_without_length,
        "/slow-headers": _slow_headers,
        "/slow-body": _slow_body,
        "/hang-up": _hang_up,
        "/teapot": (418, {}, b"short and stout"),
        "/to-https": (302, {"Location": "https://127.0.0.1:1/int.cer"}, b""),
        "/to-ldap": (301, {"Location": "ldap://ldap.example.test/cn=CA"}, b""),
        "/relative": (301, {"Location": "/int.cer"}, b""),
    }
    for hops in range(1, 6):
        target = "/int.cer" if hops == 1 else f"/hops/{hops - 1}"
        httpd.routes[f"/hops/{hops}"] = (302, {"Location": base + target}, b"")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.url = lambda path: base + path
    yield httpd
    httpd.shutdown()
    httpd.server_close()


# --- reading AIA URLs -------------------------------------------------------------


def test_ca_issuers_and_ocsp_urls_in_certificate_order():
    cert = make_cert(
        "aia.example.com",
        aia=("http://ca.example.test/a.cer", "ldap://ldap.example.test/cn=CA", "http://ca.example.test/b.p7c"),
        ocsp=("http://ocsp.example.test",),
    ).cert
    assert aia.ca_issuers_urls(cert) == [
        "http://ca.example.test/a.cer",
        "ldap://ldap.example.test/cn=CA",
        "http://ca.example.test/b.p7c",
    ]
    assert aia.ocsp_urls(cert) == ["http://ocsp.example.test"]


def test_no_aia_extension_gives_no_urls():
    cert = make_root().cert
    assert aia.ca_issuers_urls(cert) == []
    assert aia.ocsp_urls(cert) == []


# --- content ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vector", "count"),
    [
        ("pkcs7/amazon-roots.der", 2),
        # BER-encoded, as some CAs publish their .p7c files; cryptography accepts it with a warning.
        pytest.param(
            "pkcs7/amazon-roots.p7b",
            2,
            marks=pytest.mark.filterwarnings("ignore:PKCS#7 certificates could not be parsed as DER"),
        ),
        ("pkcs7/isrg.pem", 1),
        ("x509/ecdsa_root.pem", 1),
    ],
)
def test_parse_real_certificates_and_bundles(vector, count):
    with cryptography_vectors.open_vector_file(vector, "rb") as handle:
        certs = aia.parse_issuer_content(handle.read(), "http://ca.example.test/x")
    assert len(certs) == count


@pytest.mark.parametrize(
    ("vector", "problem"),
    [
        ("pkcs7/enveloped.pem", "Only basic signed structures"),
        ("x509/custom/ca/rsa_key.pem", "is neither a DER/PEM certificate nor a PKCS#7 certificate bundle"),
    ],
)
def test_parse_refuses_other_pkcs7_and_keys(vector, problem):
    with cryptography_vectors.open_vector_file(vector, "rb") as handle:
        data = handle.read()
    with pytest.raises(AIAFetchError) as caught:
        aia.parse_issuer_content(data, "http://ca.example.test/x")
    assert problem in str(caught.value)
    assert "'http://ca.example.test/x'" in str(caught.value)


# --- fetching -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/int.cer", ["intermediate"]),
        ("/int.pem", ["intermediate"]),
        ("/bundle.p7c", ["intermediate", "root"]),
        ("/bundle-pem.p7c", ["intermediate", "root"]),
        ("/relative", ["intermediate"]),
        ("/hops/3", ["intermediate"]),
    ],
)
def test_fetch_accepts_der_pem_and_pkcs7(server, hierarchy, path, expected):
    fetch = aia.make_http_fetcher(timeout=5)
    certs = fetch(server.url(path))
    # A PKCS#7 bundle is a DER SET OF: its order is the encoding's, not the CA's.
    assert sorted(certs, key=der) == sorted((getattr(hierarchy, role).cert for role in expected), key=der)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/garbage", "is neither a DER/PEM certificate nor a PKCS#7 certificate bundle"),
        ("/empty", "(0 bytes) is neither a DER/PEM certificate"),
        ("/missing.cer", "HTTP 404 Not Found"),
        ("/teapot", "HTTP 418"),
        ("/big-declared", f"announces {SMALL_LIMIT + 1} bytes, more than the {SMALL_LIMIT}-byte limit"),
        ("/big-streamed", f"sent more than the {SMALL_LIMIT}-byte limit"),
        ("/to-https", "it redirects to 'https://127.0.0.1:1/int.cer', which is not an http:// URL"),
        ("/to-ldap", "it redirects to 'ldap://ldap.example.test/cn=CA', which is not an http:// URL"),
        ("/hops/4", "redirect not followed (HTTP 302); at most 3 redirects"),
        ("/hang-up", "failed: RemoteDisconnected"),
    ],
)
def test_fetch_failures_name_the_url_and_the_problem(server, path, problem):
    fetch = aia.make_http_fetcher(timeout=5, max_bytes=SMALL_LIMIT)
    url = server.url(path)
    with pytest.raises(AIAFetchError) as caught:
        fetch(url)
    message = str(caught.value)
    assert problem in message
    assert f"'{url}'" in message
    assert caught.value.details["url"] == url


@pytest.mark.parametrize("path", ["/slow-headers", "/slow-body"])
def test_fetch_times_out(server, path):
    fetch = aia.make_http_fetcher(timeout=SHORT_TIMEOUT)
    started = time.monotonic()
    with pytest.raises(AIAFetchError, match=r"timed out after 0\.5 s"):
        fetch(server.url(path))
    assert time.monotonic() - started < SLOW_SECONDS


def test_fetch_connection_refused():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/int.cer"
    with pytest.raises(AIAFetchError, match=rf"Fetching '{url}' failed: .*(refused|Errno)"):
        aia.make_http_fetcher(timeout=2)(url)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://ca.example.test/int.cer", "scheme 'https'"),
        ("ldap://ldap.example.test/cn=CA?cACertificate", "scheme 'ldap'"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("ca.example.test/int.cer", "scheme 'none'"),
        ("http:///int.cer", "names no host"),
        ("http://[::1/int.cer", "is not a valid URL"),
    ],
)
def test_fetch_refuses_urls_that_are_not_plain_http_without_connecting(url, problem):
    class RefusingOpener:
        def open(self, *args, **kwargs):
            raise AssertionError("no connection may be attempted")

    with pytest.raises(AIAFetchError) as caught:
        aia.make_http_fetcher(opener=RefusingOpener())(url)
    assert problem in str(caught.value)
    assert url in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"timeout": "10"}, "timeout must be a positive number"),
        ({"max_bytes": -1}, "size limit must be a positive number"),
        ({"max_bytes": 1.5}, "size limit must be a positive number"),
    ],
)
def test_fetcher_settings_are_checked(kwargs, problem):
    with pytest.raises(AIAFetchError, match=problem):
        aia.make_http_fetcher(**kwargs)


# --- end to end with build_chain ---------------------------------------------------


def test_build_chain_completes_a_leaf_only_chain_over_http(server, hierarchy):
    root_url = server.url("/e2e/root.cer")
    intermediate = make_cert(
        "E2E Intermediate CA", issuer=hierarchy.root, ca=True, aia=(root_url,), key=hierarchy.intermediate.key
    )
    leaf = make_cert(HOST, issuer=intermediate, sans=(HOST,), aia=(server.url("/e2e/int.cer"),))
    server.routes["/e2e/int.cer"] = (200, {}, der(intermediate.cert))
    server.routes["/e2e/root.cer"] = (200, {}, pem(hierarchy.root.cert))

    report = chain.build_chain([leaf.cert], fetch=aia.make_http_fetcher(timeout=5), hostname=HOST, now=NOW)

    assert report.status == chain.STATUS_COMPLETE
    assert report.chain == [leaf.cert, intermediate.cert, hierarchy.root.cert]
    assert report.fetched == [intermediate.cert, hierarchy.root.cert]
    assert report.validated is True
    assert report.warnings == []


def test_build_chain_reports_an_http_failure_as_a_warning(server):
    leaf = make_cert(HOST, issuer=make_root("Unreachable CA"), sans=(HOST,), aia=(server.url("/gone.cer"),))
    report = chain.build_chain([leaf.cert], fetch=aia.make_http_fetcher(timeout=5), now=NOW)
    assert report.status == chain.STATUS_INCOMPLETE
    assert report.missing_aia_urls == [server.url("/gone.cer")]
    assert any("HTTP 404" in w and server.url("/gone.cer") in w for w in report.warnings)
