# Copyright (c) 2026 bomgar.pki contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTTP face of one appliance: the routes of docs/appliance-api.md over an ``Appliance``.

``create_app(appliance, token)`` returns a FastAPI application; with ``web`` (a
``web.WebInterface``) it serves the /appliance web pages too, outside the OpenAPI document. The routes are
defined once, at import; each application only includes them, so a fleet of
appliances in one process costs little per appliance. Handlers are plain
functions: FastAPI runs them in its thread pool, so slow work (key generation)
never blocks the event loop that serves the other appliances.

Every refusal leaves as ``{error, message, details}`` with a 4xx status:
the service's ``ApplianceError`` as it is, and the framework's own refusals
(validation, unknown route, wrong method, body too large) turned into the same
shape by ``api_refusals``. ``api_guard`` checks the token and the body size
before any route runs. Nothing here logs or echoes a request body, a header or
the token.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import API_PREFIX, API_VERSION
from .api_guard import Guard
from .api_refusals import (
    base64_refusal,
    error_response,
    http_refusal,
    unknown_query_refusal,
    validation_refusal,
)
from .errors import ApplianceError
from .models import (
    AcmeConfiguration,
    AcmeSettings,
    Bindings,
    BindingsUpdate,
    Certificate,
    CertificateRequest,
    ErrorBody,
    ExportRequest,
    ExportResult,
    Health,
    ImportRequest,
    ImportResult,
    IpAddress,
    IpAddressCreate,
    Key,
    KeyCreate,
    Lock,
    LockAcquire,
    RequestCreate,
    SelfSignedCreate,
    StatusBasics,
)

OPENAPI_PATH = f"{API_PREFIX}/openapi.json"
HEALTH_PATH = f"{API_PREFIX}/health"
TITLE = "Appliance Certificate API"
DESCRIPTION = (
    "The certificate pages of a Bomgar appliance (/appliance > Security > Certificates) as a REST API. "
    "Every refusal is a 4xx with the body {error, message, details}. See docs/appliance-api.md."
)

_REFUSAL_DESCRIPTIONS = {
    401: "The API token is missing or wrong.",
    404: "No such resource.",
    409: "Refused: it conflicts with the appliance's current state.",
    413: "The request body or one of its files is too large.",
    422: "The request is not valid; the message names each problem.",
}


def _refusals(*statuses: int) -> dict:
    return {status: {"model": ErrorBody, "description": _REFUSAL_DESCRIPTIONS[status]} for status in statuses}


def _created_or_present(model, present: str) -> dict:
    return {200: {"model": model, "description": present}}


_bearer = HTTPBearer(
    auto_error=False, scheme_name="bearerAuth", description="The API token the appliance was started with."
)


async def _appliance(request: Request):
    return request.app.state.appliance


ApplianceDep = Annotated[object, Depends(_appliance)]


class _Route(APIRoute):
    """A route whose response leaves out the optional fields the service left out (e.g. absent subject fields)."""

    def __init__(self, *args, **kwargs):
        kwargs["response_model_exclude_unset"] = True
        super().__init__(*args, **kwargs)


async def _known_query_parameters(request: Request) -> None:
    """Refuse query parameters the route does not take."""
    route = request.scope.get("route")
    known = sorted(param.alias for param in route.dependant.query_params) if route is not None else []
    unknown = sorted(set(request.query_params) - set(known))
    if unknown:
        raise unknown_query_refusal(unknown, known)


public = APIRouter(route_class=_Route)
protected = APIRouter(
    route_class=_Route,
    dependencies=[Security(_bearer), Depends(_known_query_parameters)],
    responses=_refusals(401, 422),
)


@public.get("/health", tags=["status"], response_model=Health)
async def health() -> dict:
    """Readiness; needs no token."""
    return {"status": "ok"}


# Status and network


@protected.get("/status/basics", tags=["status"], response_model=StatusBasics)
def status_basics(appliance: ApplianceDep) -> dict:
    """Status > Basics: who the appliance is and which roots its software trusts."""
    return appliance.status_basics()


@protected.get("/network/ip-addresses", tags=["network"], response_model=list[IpAddress])
def list_ip_addresses(appliance: ApplianceDep) -> list:
    """The appliance's IP addresses and what each serves."""
    return appliance.list_ip_addresses()


@protected.post(
    "/network/ip-addresses",
    tags=["network"],
    response_model=IpAddress,
    status_code=201,
    responses={**_created_or_present(IpAddress, "The address already exists."), **_refusals(413, 422)},
)
def add_ip_address(body: IpAddressCreate, response: Response, appliance: ApplianceDep) -> dict:
    """Add a loopback address; it serves the factory default certificate at once."""
    address, created = appliance.add_ip_address(body.address)
    response.status_code = 201 if created else 200
    return address


@protected.delete("/network/ip-addresses/{address}", tags=["network"], status_code=204, responses=_refusals(404, 422))
def remove_ip_address(address: str, appliance: ApplianceDep) -> None:
    """Remove an address and its binding."""
    appliance.remove_ip_address(address)


# Keys


@protected.get("/keys", tags=["keys"], response_model=list[Key])
def list_keys(appliance: ApplianceDep) -> list:
    """The Key dropdown."""
    return appliance.list_keys()


@protected.post(
    "/keys",
    tags=["keys"],
    response_model=Key,
    status_code=201,
    responses=_refusals(409, 413, 422),
)
def create_key(body: KeyCreate, appliance: ApplianceDep) -> dict:
    """Generate a key on the appliance; its material never leaves it."""
    return appliance.create_key(body.name, body.type, size=body.size, curve=body.curve)


@protected.get("/keys/{key_id}", tags=["keys"], response_model=Key, responses=_refusals(404))
def get_key(key_id: str, appliance: ApplianceDep) -> dict:
    """One key."""
    return appliance.get_key(key_id)


@protected.delete("/keys/{key_id}", tags=["keys"], status_code=204, responses=_refusals(404, 409))
def delete_key(key_id: str, appliance: ApplianceDep) -> None:
    """Delete a key no request or certificate uses."""
    appliance.delete_key(key_id)


# Certificate requests


@protected.get("/certificate-requests", tags=["certificate-requests"], response_model=list[CertificateRequest])
def list_requests(appliance: ApplianceDep) -> list:
    """Certificate Requests."""
    return appliance.list_requests()


@protected.post(
    "/certificate-requests",
    tags=["certificate-requests"],
    response_model=CertificateRequest,
    status_code=201,
    responses=_refusals(404, 409, 413, 422),
)
def create_request(body: RequestCreate, appliance: ApplianceDep) -> dict:
    """Create Certificate Request: the PEM to give the CA."""
    return appliance.create_request(
        body.friendly_name, body.key_id, _subject(body.subject), list(body.subject_alt_name)
    )


@protected.get(
    "/certificate-requests/{request_id}",
    tags=["certificate-requests"],
    response_model=CertificateRequest,
    responses=_refusals(404),
)
def get_request(request_id: str, appliance: ApplianceDep) -> dict:
    """View Request."""
    return appliance.get_request(request_id)


@protected.delete(
    "/certificate-requests/{request_id}", tags=["certificate-requests"], status_code=204, responses=_refusals(404)
)
def delete_request(request_id: str, appliance: ApplianceDep) -> None:
    """Delete a request."""
    appliance.delete_request(request_id)


# Certificates


@protected.get("/certificates", tags=["certificates"], response_model=list[Certificate])
def list_certificates(
    appliance: ApplianceDep,
    friendly_name: Annotated[str, Query(description="Only certificates with this friendly name.")] = "",
) -> list:
    """The Certificates list."""
    return appliance.list_certificates(friendly_name=friendly_name or None)


@protected.post(
    "/certificates/self-signed",
    tags=["certificates"],
    response_model=Certificate,
    status_code=201,
    responses=_refusals(404, 413, 422),
)
def create_self_signed(body: SelfSignedCreate, appliance: ApplianceDep) -> dict:
    """Create Self-Signed Certificate."""
    return appliance.create_self_signed(
        body.friendly_name, body.key_id, _subject(body.subject), list(body.subject_alt_name), body.days
    )


@protected.post(
    "/certificates/import",
    tags=["certificates"],
    response_model=ImportResult,
    status_code=201,
    responses={
        **_created_or_present(ImportResult, "Nothing new: everything was already there."),
        **_refusals(413, 422),
    },
)
def import_certificates(body: ImportRequest, response: Response, appliance: ApplianceDep) -> dict:
    """Import certificates, chains and keys in any of the procedure's formats, as one transaction."""
    files = [(item.name, _decoded(item.content, index, item.name)) for index, item in enumerate(body.files)]
    passphrase = body.passphrase.get_secret_value() if body.passphrase is not None else None
    result = appliance.import_files(files, passphrase=passphrase, friendly_name=body.friendly_name)
    response.status_code = 201 if result["changed"] else 200
    return result


@protected.get(
    "/certificates/{certificate_id}",
    tags=["certificates"],
    response_model=Certificate,
    responses=_refusals(404),
)
def get_certificate(certificate_id: str, appliance: ApplianceDep) -> dict:
    """One certificate, with its chain status."""
    return appliance.get_certificate(certificate_id)


@protected.post(
    "/certificates/{certificate_id}/export",
    tags=["certificates"],
    response_model=ExportResult,
    responses=_refusals(404, 409, 413, 422),
)
def export_certificate(certificate_id: str, body: ExportRequest, appliance: ApplianceDep) -> dict:
    """Export as PEM (with chain) or PKCS#12 (with the key only under a passphrase)."""
    passphrase = body.passphrase.get_secret_value() if body.passphrase is not None else None
    return appliance.export_certificate(
        certificate_id,
        format=body.format,
        include_chain=body.include_chain,
        include_private_key=body.include_private_key,
        passphrase=passphrase,
        legacy=body.legacy,
    )


@protected.delete(
    "/certificates/{certificate_id}", tags=["certificates"], status_code=204, responses=_refusals(404, 409)
)
def delete_certificate(certificate_id: str, appliance: ApplianceDep) -> None:
    """Delete a certificate that serves no address."""
    appliance.delete_certificate(certificate_id)


@protected.get(
    "/certificates/{certificate_id}/ip-addresses",
    tags=["certificates"],
    response_model=Bindings,
    responses=_refusals(404),
)
def get_bindings(certificate_id: str, appliance: ApplianceDep) -> dict:
    """The addresses this certificate serves."""
    return appliance.get_bindings(certificate_id)


@protected.put(
    "/certificates/{certificate_id}/ip-addresses",
    tags=["certificates"],
    response_model=Bindings,
    responses=_refusals(404, 409, 413, 422),
)
def set_bindings(certificate_id: str, body: BindingsUpdate, appliance: ApplianceDep) -> dict:
    """Edit Certificate Configuration: bind exactly these addresses."""
    return appliance.set_bindings(certificate_id, list(body.ip_addresses))


@protected.delete(
    "/certificates/{certificate_id}/ip-addresses/{address}",
    tags=["certificates"],
    status_code=204,
    responses=_refusals(404, 422),
)
def unbind(certificate_id: str, address: str, appliance: ApplianceDep) -> None:
    """Unbind one address: it serves the factory default again."""
    appliance.unbind(certificate_id, address)


# Run locks


@protected.get("/locks", tags=["locks"], response_model=list[Lock])
def list_locks(appliance: ApplianceDep) -> list:
    """The run locks: which run changes the appliance's certificates now, and until when."""
    return appliance.list_locks()


@protected.put("/locks/{name}", tags=["locks"], response_model=Lock, responses=_refusals(409, 413))
def acquire_lock(name: str, body: LockAcquire, appliance: ApplianceDep) -> dict:
    """Take the lock, or renew it for its holder; 409 lock_held while another run's lease lasts."""
    return appliance.acquire_lock(name, body.holder, body.lease_seconds)


@protected.delete("/locks/{name}", tags=["locks"], status_code=204, responses=_refusals(409))
def release_lock(
    name: str,
    appliance: ApplianceDep,
    holder: Annotated[str | None, Query(description="The holder giving the lock back.")] = None,
    force: Annotated[bool, Query(description="Remove another run's lock (a run known to be gone).")] = False,
) -> None:
    """Give the lock back; a lock that is not there is already given back."""
    appliance.release_lock(name, holder, force)


# ACME client


@protected.get("/acme", tags=["acme"], response_model=AcmeConfiguration)
def get_acme(appliance: ApplianceDep) -> dict:
    """The ACME client's settings (never the EAB HMAC), its HTTP-01 port and its status."""
    return appliance.acme_configuration()


@protected.put("/acme", tags=["acme"], response_model=AcmeConfiguration, responses=_refusals(413, 422))
def put_acme(body: AcmeSettings, appliance: ApplianceDep) -> dict:
    """Turn ACME on with these settings; an order starts in the background unless the installed certificate
    already fits them. Never waits for the CA."""
    settings = body.model_dump(exclude={"eab_hmac"})
    settings["eab_hmac"] = body.eab_hmac.get_secret_value() if body.eab_hmac is not None else None
    return appliance.configure_acme(settings)


@protected.delete("/acme", tags=["acme"], status_code=204)
def delete_acme(appliance: ApplianceDep) -> None:
    """Turn ACME off; the EAB HMAC is forgotten, the certificate and its bindings stay."""
    appliance.disable_acme()


@protected.post(
    "/acme/orders", tags=["acme"], response_model=AcmeConfiguration, status_code=202, responses=_refusals(409)
)
def order_acme(appliance: ApplianceDep) -> dict:
    """Order now, due or not (Renew Now); 409 when ACME is off or an order runs."""
    return appliance.order_acme_certificate()


def _subject(subject) -> dict:
    return subject.model_dump(exclude_none=True)


def _decoded(content: str, index: int, name: str | None) -> bytes:
    """The bytes of one import file; 422 ``invalid_base64`` naming it when ``content`` is not base64."""
    compact = "".join(content.split())
    try:
        return base64.b64decode(compact.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise base64_refusal(index, name) from None


# The framework's refusals in the API's shape


async def _on_appliance_error(_request: Request, exc: ApplianceError) -> JSONResponse:
    return error_response(exc)


async def _on_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    return error_response(validation_refusal(exc.errors()))


async def _on_http_error(request: Request, exc: StarletteHTTPException):
    web = getattr(request.app.state, "web", None)
    if web is not None and web.owns(request.url.path):
        return web.http_error(request.scope, exc.status_code, request.method)
    allowed = _allowed_methods(request.url.path) if exc.status_code == 405 else []
    headers = {"Allow": ", ".join(allowed)} if exc.status_code == 405 else None
    return error_response(http_refusal(exc.status_code, request.method, request.url.path, allowed), headers)


def _allowed_methods(path: str) -> list[str]:
    """Every method some route accepts on ``path`` (Starlette names only the first matching route's)."""
    relative = path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else path
    methods: set[str] = set()
    for route in (*public.routes, *protected.routes):
        if route.path_regex.match(relative):
            methods.update(route.methods)
    return sorted(methods)


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(appliance, token: str, gate=None, web=None) -> FastAPI:
    """The API of ``appliance``, guarded by ``token``. Building it does not touch the appliance.

    ``gate`` (an ``api_transport.ConnectionGate``) is told of each request, with whether it carried the token
    (or, for a web page, the cookie of a logged-in session). ``web`` (a ``web.WebInterface`` over the same
    appliance) adds the /appliance web pages, which need no token: they have their own login.
    """
    if not token:
        raise ValueError("The API token must not be empty.")
    app = FastAPI(
        title=TITLE,
        version=API_VERSION,
        description=DESCRIPTION,
        openapi_url=OPENAPI_PATH,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        generate_unique_id_function=_operation_id,
        exception_handlers={
            ApplianceError: _on_appliance_error,
            RequestValidationError: _on_validation_error,
            StarletteHTTPException: _on_http_error,
        },
    )
    app.state.appliance = appliance
    app.include_router(public, prefix=API_PREFIX)
    app.include_router(protected, prefix=API_PREFIX)
    if web is not None:
        from .web import install

        install(app, web)
    app.add_middleware(Guard, token=token, open_paths=frozenset({HEALTH_PATH}), gate=gate, web=web)
    return app
