# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One ACME order with certbot's ``acme`` library, and the fetch of a certificate's renewal information.

The library signs every request (JWS) with the account key; nothing here builds a JWS. An order: read the
directory, register the account (with external account binding when configured; an account that exists
for the key is used as it is), create the order, publish the HTTP-01 key authorization of each pending
authorization on the responder and answer the challenge, wait for the authorizations, finalize with the
request and download the certificate with the chain the CA returns. Every failure becomes an ``OrderError``
whose message says in plain words which step, which hostname and challenge, and what the CA said.

The library's own debug log carries whole requests; it is kept at INFO so no request body reaches a log.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

import josepy as jose
import requests
from acme import challenges, client, messages
from acme import errors as acme_errors
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from . import schedule

LOG = logging.getLogger(__name__)
logging.getLogger("acme").setLevel(logging.INFO)

USER_AGENT = "bomgar-reference-appliance"
NETWORK_TIMEOUT = 30
ORDER_TIMEOUT = datetime.timedelta(seconds=120)
NONCE_ATTEMPTS = 4  # each is the library's own request plus its one retry on badNonce
_ERROR_TEXT_LIMIT = 600


class OrderError(Exception):
    """An order failed; the message is the status's ``last_error``."""


@dataclass(frozen=True)
class OrderRequest:
    """What one order needs. ``verify`` is a CA bundle file or True (the system's trust)."""

    directory_url: str
    hostnames: tuple[str, ...]
    csr_pem: bytes
    account_key: object = field(repr=False)
    contact: tuple[str, ...] = ()
    eab_key_id: str | None = None
    eab_hmac: str | None = field(default=None, repr=False)
    verify: bool | str = True


@dataclass(frozen=True)
class OrderResult:
    """The certificate with the chain the CA returned (PEM, leaf first) and the account that ordered it."""

    fullchain_pem: str
    account_url: str | None


@dataclass(frozen=True)
class RenewalInfo:
    """A certificate's renewal information: the CA's window (None without ARI or a usable answer) and when to
    ask again."""

    supported: bool
    window: schedule.Window | None
    recheck_after: datetime.timedelta


class _Network(client.ClientNetwork):
    """The library's network, retrying a request the CA refused for a stale nonce (``badNonce``) a few times:
    CAs may refuse any nonce (RFC 8555 section 6.5) and the library retries only once."""

    def post(self, *args, **kwargs):
        for attempt in range(NONCE_ATTEMPTS):
            try:
                return super().post(*args, **kwargs)
            except messages.Error as error:
                if error.code != "badNonce" or attempt == NONCE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")


def _account_jwk(private_key) -> tuple[jose.JWK, jose.JWASignature]:
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return jose.JWKEC(key=private_key), jose.ES256
    if isinstance(private_key, rsa.RSAPrivateKey):
        return jose.JWKRSA(key=private_key), jose.RS256
    raise OrderError("The stored ACME account key is of a type the client cannot use.")


def _problem_text(error: messages.Error) -> str:
    """``<code>: <detail>`` of a problem document, with its subproblems."""
    code = error.code or error.typ or "error"
    text = f"{code}: {error.detail}" if error.detail else code
    for sub in getattr(error, "subproblems", None) or ():
        identifier = getattr(getattr(sub, "identifier", None), "value", None)
        text += f"; {identifier or 'subproblem'}: {getattr(sub, 'detail', '')}"
    return text[:_ERROR_TEXT_LIMIT]


def _network_failure(what: str, url: str, exc: Exception) -> OrderError:
    if isinstance(exc, requests.exceptions.SSLError):
        return OrderError(
            f"{what}: the HTTPS certificate of {url} is not trusted ({_short(exc)}). Put the root of the CA's "
            "HTTPS certificate in the CA Bundle (ca_bundle), or check the directory URL."
        )
    return OrderError(
        f"{what}: {url} cannot be reached ({_short(exc)}). Check the directory URL and that the appliance can "
        "reach the CA."
    )


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _validation_failure(error: acme_errors.ValidationError) -> OrderError:
    """Which hostname's challenge failed and what the CA said."""
    parts = []
    for authzr in error.failed_authzrs:
        name = authzr.body.identifier.value
        for challb in authzr.body.challenges:
            if challb.error is not None:
                parts.append(f"{name} ({challb.chall.typ} challenge): the CA said {_problem_text(challb.error)}")
    said = "; ".join(parts) or "the CA refused the authorization without saying why"
    return OrderError(
        f"The CA could not validate {said}. Make sure each hostname resolves to an address of this appliance "
        "and that the CA can reach that address over plain HTTP on the appliance's HTTP-01 port (TCP 80)."
    )


def _connect(request: OrderRequest) -> tuple[client.ClientV2, client.ClientNetwork]:
    jwk, alg = _account_jwk(request.account_key)
    net = _Network(jwk, alg=alg, verify_ssl=request.verify, user_agent=USER_AGENT, timeout=NETWORK_TIMEOUT)
    try:
        directory = client.ClientV2.get_directory(request.directory_url, net)
    except requests.exceptions.RequestException as exc:
        raise _network_failure("Reading the ACME directory failed", request.directory_url, exc) from None
    except (messages.Error, acme_errors.Error, jose.DeserializationError, ValueError) as exc:
        raise OrderError(
            f"{request.directory_url} did not answer with an ACME directory ({_short(exc)}). Give the CA's "
            "directory URL (for Let's Encrypt https://acme-v02.api.letsencrypt.org/directory)."
        ) from None
    return client.ClientV2(directory, net), net


def _register(acme: client.ClientV2, net: client.ClientNetwork, request: OrderRequest) -> str | None:
    """The account URL: a new account, or the one the CA already has for this key."""
    binding = None
    if request.eab_key_id:
        binding = messages.ExternalAccountBinding.from_data(
            account_public_key=net.key.public_key(),
            kid=request.eab_key_id,
            hmac_key=request.eab_hmac,
            directory=acme.directory,
        )
    registration = messages.NewRegistration(
        contact=tuple(request.contact), terms_of_service_agreed=True, external_account_binding=binding
    )
    try:
        return acme.new_account(registration).uri
    except acme_errors.ConflictError as exc:
        net.account = messages.RegistrationResource(body=messages.Registration(), uri=exc.location)
        return exc.location
    except messages.Error as exc:
        hint = (
            " Check the EAB Key ID and EAB HMAC the CA gave you."
            if request.eab_key_id or exc.code == "externalAccountRequired"
            else ""
        )
        if exc.code == "externalAccountRequired":
            hint = " The CA requires external account binding: give the EAB Key ID and EAB HMAC it issued."
        raise OrderError(f"The CA refused the account: {_problem_text(exc)}.{hint}") from None


def _answer_challenges(acme, net, orderr, responder, published: list[str]) -> None:
    for authzr in orderr.authorizations:
        if authzr.body.status == messages.STATUS_VALID:
            continue
        name = authzr.body.identifier.value
        challb = next((c for c in authzr.body.challenges if isinstance(c.chall, challenges.HTTP01)), None)
        if challb is None:
            offered = ", ".join(sorted({c.chall.typ for c in authzr.body.challenges})) or "none"
            raise OrderError(
                f"The CA offers no HTTP-01 challenge for {name} (it offers {offered}); the appliance answers "
                "HTTP-01 only. Order this name from a CA that validates it over HTTP-01."
            )
        response, validation = challb.response_and_validation(net.key)
        token = challb.chall.encode("token")
        responder.publish(token, validation)
        published.append(token)
        acme.answer_challenge(challb, response)


def order_certificate(request: OrderRequest, responder) -> OrderResult:
    """Run one order to its end; the certificate and chain, or OrderError."""
    acme, net = _connect(request)
    published: list[str] = []
    step = "registering the account"
    try:
        account_url = _register(acme, net, request)
        step = "creating the order"
        orderr = acme.new_order(request.csr_pem)
        step = "answering the HTTP-01 challenges"
        _answer_challenges(acme, net, orderr, responder, published)
        step = "finalizing the order"
        deadline = datetime.datetime.now() + ORDER_TIMEOUT
        finished = acme.poll_and_finalize(orderr, deadline)
    except acme_errors.ValidationError as exc:
        raise _validation_failure(exc) from None
    except acme_errors.TimeoutError:
        raise OrderError(
            f"The CA did not finish the order for {', '.join(request.hostnames)} within "
            f"{int(ORDER_TIMEOUT.total_seconds())} s ({step}). Renew again later."
        ) from None
    except acme_errors.IssuanceError as exc:
        raise OrderError(f"The CA refused to issue the certificate: {_problem_text(exc.error)}.") from None
    except messages.Error as exc:
        raise OrderError(f"The CA refused {step}: {_problem_text(exc)}.") from None
    except requests.exceptions.RequestException as exc:
        raise _network_failure(f"The CA stopped answering while {step}", request.directory_url, exc) from None
    except (acme_errors.Error, jose.DeserializationError) as exc:
        raise OrderError(f"The CA's answer while {step} could not be used: {_short(exc)}.") from None
    finally:
        for token in published:
            responder.withdraw(token)
    if not finished.fullchain_pem:
        raise OrderError("The CA finished the order but returned no certificate. Renew again later.")
    return OrderResult(fullchain_pem=finished.fullchain_pem, account_url=account_url)


def window_of(document) -> schedule.Window | None:
    """The suggested window of a RenewalInfo object (read with the library's ``messages.RenewalInfo``), or None
    when it is missing, malformed, or ends at or before its start (RFC 9773 section 4.2: no answer)."""
    try:
        suggested = messages.RenewalInfo.from_json(document).suggested_window
        start, end = suggested.start, suggested.end
    except (jose.DeserializationError, AttributeError, TypeError, ValueError):
        return None
    if not isinstance(start, datetime.datetime) or not isinstance(end, datetime.datetime):
        return None
    if start.tzinfo is None or end.tzinfo is None:
        return None
    window = schedule.Window(start.astimezone(datetime.timezone.utc), end.astimezone(datetime.timezone.utc))
    return window if window.valid else None


def renewal_info(directory_url: str, verify: bool | str, certificate, now: datetime.datetime) -> RenewalInfo:
    """The CA's renewal window for ``certificate`` (RFC 9773): a plain GET below the directory's
    ``renewalInfo``. Without ``renewalInfo`` in the directory: not supported. Errors count as no answer."""
    net = client.ClientNetwork(None, verify_ssl=verify, user_agent=USER_AGENT, timeout=NETWORK_TIMEOUT)
    try:
        directory = client.ClientV2.get_directory(directory_url, net)
        try:
            base = directory["renewalInfo"]
        except KeyError:
            return RenewalInfo(False, None, schedule.ARI_ERROR_RECHECK)
        url = f"{str(base).rstrip('/')}/{schedule.ari_cert_id(certificate)}"
        response = net.get(url, content_type="application/json")
        window = window_of(response.json())
        retry_after = response.headers.get("Retry-After")
        return RenewalInfo(True, window, schedule.ari_recheck_after(retry_after, now, failed=window is None))
    except (requests.exceptions.RequestException, messages.Error, acme_errors.Error, jose.Error, ValueError) as exc:
        LOG.info("renewal information from %s not read: %s", directory_url, _short(exc))
        return RenewalInfo(True, None, schedule.ARI_ERROR_RECHECK)
