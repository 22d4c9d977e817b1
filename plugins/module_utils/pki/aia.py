# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Authority Information Access: read a certificate's AIA URLs and fetch the issuer they point to.

A certificate's AIA caIssuers link (RFC 5280 section 4.2.2.1) names where its
issuer's certificate can be downloaded: plain ``http://``, serving a DER
certificate or a certs-only PKCS#7 bundle (``.p7c``). :func:`make_http_fetcher`
returns the one-URL fetcher that ``chain.build_chain`` takes; the depth cap and
the loop safety live there.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.parse
import urllib.request

from .deps import require_cryptography
from .errors import AIAFetchError

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID

    _CONTENT_ERRORS: tuple = (ValueError, UnsupportedAlgorithm)
except ImportError:  # reported by deps.require_cryptography()
    x509 = pkcs7 = None
    _CONTENT_ERRORS = (ValueError,)

MAX_REDIRECTS = 3
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 1024 * 1024
_READ_CHUNK = 64 * 1024
_FETCH_HINT = (
    "Download the issuer certificate from the CA's web site and import it with the other files, "
    "or import every file the CA sent."
)


def _access_urls(cert, method) -> list[str]:
    try:
        extension = cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    except x509.ExtensionNotFound:
        return []
    except ValueError:
        # A malformed extension (or a duplicate one) carries no URL we can trust.
        return []
    return [
        description.access_location.value
        for description in extension.value
        if description.access_method == method
        and isinstance(description.access_location, x509.UniformResourceIdentifier)
    ]


def ca_issuers_urls(cert) -> list[str]:
    """The AIA caIssuers URIs of ``cert``, in the certificate's order (http and any other scheme)."""
    return _access_urls(cert, AuthorityInformationAccessOID.CA_ISSUERS)


def ocsp_urls(cert) -> list[str]:
    """The AIA OCSP responder URIs of ``cert``, in the certificate's order."""
    return _access_urls(cert, AuthorityInformationAccessOID.OCSP)


def _require_http(url: str) -> None:
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as exc:
        raise AIAFetchError(f"AIA URL '{url}' is not a valid URL: {exc}.", _FETCH_HINT, {"url": url}) from exc
    if parts.scheme.lower() != "http":
        raise AIAFetchError(
            f"AIA URL '{url}' does not use http:// (scheme '{parts.scheme or 'none'}'); only plain http is followed, "
            "as RFC 5280 section 4.2.2.1 prescribes for caIssuers.",
            _FETCH_HINT,
            {"url": url},
        )
    if not parts.hostname:
        raise AIAFetchError(f"AIA URL '{url}' names no host.", _FETCH_HINT, {"url": url})


class _RedirectRefused(Exception):
    """A redirect to a URL that is not plain http; carries the target."""

    def __init__(self, target: str):
        super().__init__(target)
        self.target = target


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow at most ``MAX_REDIRECTS`` redirects, and only to other http:// URLs."""

    max_redirections = MAX_REDIRECTS

    def http_error_302(self, req, fp, code, msg, headers):
        """Refuse a redirect to a scheme other than http before urllib looks at it."""
        location = headers.get("location") or headers.get("uri")
        if location:
            target = urllib.parse.urljoin(req.full_url, location.strip())
            if urllib.parse.urlsplit(target).scheme.lower() != "http":
                fp.close()
                raise _RedirectRefused(target)
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _default_opener():
    return urllib.request.build_opener(_HttpOnlyRedirects())


def parse_issuer_content(data: bytes, url: str = "") -> list:
    """Certificates from a DER or PEM certificate, or a DER or PEM PKCS#7 certs-only bundle."""
    require_cryptography()
    source = f" from '{url}'" if url else ""
    stripped = data.lstrip()
    try:
        if stripped.startswith(b"-----BEGIN"):
            if b"-----BEGIN PKCS7-----" in stripped or b"-----BEGIN CERTIFICATE-----" not in stripped:
                certs = pkcs7.load_pem_pkcs7_certificates(stripped)
            else:
                certs = x509.load_pem_x509_certificates(stripped)
        else:
            try:
                certs = [x509.load_der_x509_certificate(data)]
            except ValueError:
                certs = pkcs7.load_der_pkcs7_certificates(data)
    except _CONTENT_ERRORS as exc:
        raise AIAFetchError(
            f"The content{source} ({len(data)} bytes) is neither a DER/PEM certificate nor a PKCS#7 certificate "
            f"bundle: {exc}.",
            _FETCH_HINT,
            {"url": url, "size": len(data)},
        ) from exc
    if not certs:
        raise AIAFetchError(
            f"The PKCS#7 bundle{source} contains no certificates.", _FETCH_HINT, {"url": url, "size": len(data)}
        )
    return list(certs)


def _read_capped(response, url: str, max_bytes: int, deadline: float) -> bytes:
    length = response.headers.get("Content-Length") if response.headers else None
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise AIAFetchError(
            f"'{url}' announces {int(length)} bytes, more than the {max_bytes}-byte limit for an issuer certificate.",
            _FETCH_HINT,
            {"url": url, "max_bytes": max_bytes},
        )
    # read1 returns what one receive brings, so the deadline is checked while a slow body trickles in.
    read = getattr(response, "read1", None) or response.read
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:
        chunk = read(min(_READ_CHUNK, max_bytes + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if time.monotonic() > deadline:
            raise TimeoutError("the response body took longer than the timeout")
    if size > max_bytes:
        raise AIAFetchError(
            f"'{url}' sent more than the {max_bytes}-byte limit for an issuer certificate.",
            _FETCH_HINT,
            {"url": url, "max_bytes": max_bytes},
        )
    return b"".join(chunks)


def make_http_fetcher(timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES, opener=None):
    """A callable ``url -> list[x509.Certificate]`` that downloads one AIA caIssuers URL over plain http.

    ``opener`` (an object with ``open(url, timeout=...)``, like urllib's) replaces the default
    opener, which follows at most three redirects and only to http:// URLs. Every failure is an
    AIAFetchError that names the URL and what happened.
    """
    require_cryptography()
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise AIAFetchError(f"The AIA fetch timeout must be a positive number of seconds, not {timeout!r}.")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
        raise AIAFetchError(f"The AIA fetch size limit must be a positive number of bytes, not {max_bytes!r}.")
    url_opener = opener or _default_opener()

    def fetch(url: str) -> list:
        _require_http(url)
        deadline = time.monotonic() + timeout
        try:
            with url_opener.open(url, timeout=timeout) as response:
                data = _read_capped(response, url, max_bytes, deadline)
        except AIAFetchError:
            raise
        except _RedirectRefused as exc:
            raise AIAFetchError(
                f"Fetching '{url}' failed: it redirects to '{exc.target}', which is not an http:// URL; "
                "only redirects to plain http are followed.",
                _FETCH_HINT,
                {"url": url, "redirect": exc.target},
            ) from None
        except urllib.error.HTTPError as exc:
            if 300 <= exc.code < 400:
                raise AIAFetchError(
                    f"Fetching '{url}' failed: redirect not followed (HTTP {exc.code}); at most {MAX_REDIRECTS} "
                    "redirects, to http:// URLs only, are followed.",
                    _FETCH_HINT,
                    {"url": url, "status": exc.code},
                ) from exc
            raise AIAFetchError(
                f"Fetching '{url}' failed: HTTP {exc.code} {exc.reason}.", _FETCH_HINT, {"url": url, "status": exc.code}
            ) from exc
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                raise AIAFetchError(
                    f"Fetching '{url}' timed out after {timeout:g} s.", _FETCH_HINT, {"url": url}
                ) from exc
            raise AIAFetchError(f"Fetching '{url}' failed: {reason}.", _FETCH_HINT, {"url": url}) from exc
        except TimeoutError as exc:
            raise AIAFetchError(f"Fetching '{url}' timed out after {timeout:g} s.", _FETCH_HINT, {"url": url}) from exc
        except (http.client.HTTPException, OSError, ValueError) as exc:
            raise AIAFetchError(
                f"Fetching '{url}' failed: {type(exc).__name__}: {exc}.", _FETCH_HINT, {"url": url}
            ) from exc
        return parse_issuer_content(data, url)

    return fetch
