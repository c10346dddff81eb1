"""The center's public HTTPS site: enrolment (EST-shaped), the CRL and the operators' console.

No client certificate is asked for here: an agent that enrols has none yet, and the
console authenticates people with a login.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jinja2
from aiohttp import web
from pydantic import ValidationError

from remotecare.center.access.login_limit import LoginLimiter
from remotecare.center.attempts.rules import Wait
from remotecare.center.fleet.overview import ConsoleService
from remotecare.center.fleet.printers import AlreadyConfirmed, PrinterService
from remotecare.center.identity.certificates import CertificateService
from remotecare.center.identity.enrolment import EnrollmentService
from remotecare.center.identity.enrolment_limit import EnrolmentLimiter
from remotecare.center.web.responses import refuse
from remotecare.errors import EnrollmentError, OperatorError
from remotecare.protocol.codec import describe_validation_error
from remotecare.protocol.messages import EnrollRequest, EnrollResponse

__all__ = ["SESSION_COOKIE", "create_public_app"]

logger = logging.getLogger(__name__)

SESSION_COOKIE = "rc_session"
_TEMPLATES = Path(__file__).resolve().parent / "templates"
_ENROLLMENT = web.AppKey("enrollment", EnrollmentService)
_CONSOLE = web.AppKey("console", ConsoleService)
_CA_PEM = web.AppKey("ca_pem", str)
_DEVICE_URL = web.AppKey("device_url", str)
_JINJA = web.AppKey("jinja", jinja2.Environment)
_SECURE_COOKIE = web.AppKey("secure_cookie", bool)
_CERTIFICATES = web.AppKey("certificates", CertificateService)
_PRINTERS = web.AppKey("printers", PrinterService)
_LIMITER = web.AppKey("enrolment_limiter", EnrolmentLimiter)
_LOGIN_LIMITER = web.AppKey("login_limiter", LoginLimiter)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


# --- enrolment (shape of RFC 7030: /cacerts, /simpleenroll) -----------------------------


async def get_ca_certificates(request: web.Request) -> web.Response:
    """The CA certificate, which the agent checks against the fingerprint it was given."""
    return web.Response(text=request.app[_CA_PEM], content_type="application/pem-certificate-chain")


async def get_crl(request: web.Request) -> web.Response:
    """The CA's current certificate revocation list (DER, RFC 5280), fresh on each call."""
    der = await asyncio.to_thread(request.app[_CERTIFICATES].crl_der)
    return web.Response(body=der, content_type="application/pkix-crl")


def _too_many_failures(client: str, wait: Wait) -> web.Response:
    source = f"from {client}" if wait.scope == "client" else "at this center"
    seconds = wait.seconds
    response = refuse(429, f"too many failed enrolment attempts {source}; retry in {seconds} s")
    response.headers["Retry-After"] = str(wait.seconds)
    return response


async def post_simple_enroll(request: web.Request) -> web.Response:
    """Exchange a one-time token and a CSR for a device certificate.

    Failed attempts are counted per client address and overall, by every center process
    together; past the limit the center answers 429 with Retry-After without looking at
    the request.
    """
    client = request.remote or "unknown"
    async with request.app[_LIMITER].attempt(client) as attempt:
        if attempt.wait is not None:
            logger.warning("enrolment attempt from %s refused: too many failures", client)
            return _too_many_failures(client, attempt.wait)
        response = await _enroll(request)
        attempt.failed = response.status >= 400
        return response


async def _enroll(request: web.Request) -> web.Response:
    try:
        enroll_request = EnrollRequest.model_validate_json(await request.read())
    except web.HTTPRequestEntityTooLarge:
        return refuse(413, "enrolment request too large")
    except ValidationError as exc:
        return refuse(422, describe_validation_error(exc))
    service = request.app[_ENROLLMENT]
    try:
        enrolled = await asyncio.to_thread(
            service.enroll, enroll_request.token, enroll_request.csr_pem
        )
    except EnrollmentError as exc:
        logger.info("enrolment refused: %s", exc.reason)
        return refuse(exc.status, exc.reason)
    logger.info("endpoint %s enrolled", enrolled.endpoint_id)
    response = EnrollResponse(
        endpoint_id=enrolled.endpoint_id,
        certificate_pem=enrolled.certificate.pem,
        ca_certificate_pem=request.app[_CA_PEM],
        device_api_url=request.app[_DEVICE_URL],
    )
    return web.json_response(text=response.model_dump_json(), status=201)


# --- console ---------------------------------------------------------------------------


def _render(
    request: web.Request, template: str, status: int = 200, **context: object
) -> web.Response:
    page = request.app[_JINJA].get_template(template).render(**context)
    return web.Response(text=page, content_type="text/html", status=status)


async def _operator(request: web.Request) -> str | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return await asyncio.to_thread(request.app[_CONSOLE].operator_for_session, token)


async def get_login(request: web.Request) -> web.Response:
    return _render(request, "login.html", error=None)


async def post_login(request: web.Request) -> web.Response:
    """Log an operator in, unless too many logins failed from here or for this name.

    Failures are counted per client address and per login name, by every center process
    together (``services/login_limit.py``); past either limit the page answers 429 with
    Retry-After before the password is looked at, in the same words whether or not the
    name belongs to an operator.
    """
    form = await request.post()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    address = request.remote or "unknown"
    async with request.app[_LOGIN_LIMITER].attempt(address, username) as attempt:
        if attempt.wait is not None:
            return _too_many_failed_logins(request, address, username, attempt.wait)
        token = await asyncio.to_thread(request.app[_CONSOLE].log_in, username, password)
        attempt.failed = token is None
    if token is None:
        logger.info("console login failed for %r from %s", username, address)
        return _render(request, "login.html", status=401, error="Wrong user name or password.")
    response = web.HTTPSeeOther("/devices")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        secure=request.app[_SECURE_COOKIE],
        samesite="Strict",
        path="/",
    )
    raise response


def _too_many_failed_logins(
    request: web.Request, address: str, username: str, wait: Wait
) -> web.Response:
    limit = "login name" if wait.scope == "name" else "address"
    logger.info(
        "console login for %r from %s refused: too many failed logins (per %s); retry in %d s",
        username,
        address,
        limit,
        wait.seconds,
    )
    error = f"Too many failed logins. Please wait {_wait_text(wait.seconds)} and try again."
    response = _render(request, "login.html", status=429, error=error)
    response.headers["Retry-After"] = str(wait.seconds)
    return response


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


async def post_logout(request: web.Request) -> web.Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await asyncio.to_thread(request.app[_CONSOLE].log_out, token)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


async def get_devices(request: web.Request) -> web.Response:
    operator = await _operator(request)
    if operator is None:
        raise web.HTTPSeeOther("/login")
    devices = await asyncio.to_thread(request.app[_CONSOLE].devices)
    pending = await asyncio.to_thread(request.app[_PRINTERS].pending)
    return _render(
        request,
        "devices.html",
        operator=operator,
        devices=devices,
        pending=pending,
        now=datetime.now(UTC),
    )


async def post_confirm_printer(request: web.Request) -> web.Response:
    """Confirm a pending printer (``printer_binding = "confirm"``) and go back to the list."""
    if await _operator(request) is None:
        raise web.HTTPSeeOther("/login")
    printer_id = int(request.match_info["printer_id"])  # the route admits digits only
    try:
        confirmed = await asyncio.to_thread(request.app[_PRINTERS].confirm_id, printer_id)
    except AlreadyConfirmed as exc:
        return refuse(409, str(exc))
    except OperatorError as exc:
        return refuse(404, str(exc))
    logger.info(
        "printer %s of %s confirmed for endpoint %s",
        confirmed.serial,
        confirmed.customer,
        confirmed.endpoint_id,
    )
    raise web.HTTPSeeOther("/devices")


async def get_endpoints(request: web.Request) -> web.Response:
    operator = await _operator(request)
    if operator is None:
        raise web.HTTPSeeOther("/login")
    rows = await asyncio.to_thread(request.app[_CONSOLE].endpoints)
    return _render(
        request, "endpoints.html", operator=operator, endpoints=rows, now=datetime.now(UTC)
    )


async def get_root(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/devices")


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    return _span(now - moment) + " ago"


def _span(length: timedelta) -> str:
    seconds = int(length.total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def create_public_app(
    enrollment: EnrollmentService,
    console: ConsoleService,
    *,
    ca_pem: str,
    device_api_url: str,
    certificates: CertificateService,
    printers: PrinterService,
    enrolment_limiter: EnrolmentLimiter,
    login_limiter: LoginLimiter,
    secure_cookie: bool = True,
) -> web.Application:
    app = web.Application(middlewares=[_security_headers], client_max_size=64 * 1024)
    app[_ENROLLMENT] = enrollment
    app[_CONSOLE] = console
    app[_CA_PEM] = ca_pem
    app[_DEVICE_URL] = device_api_url
    app[_SECURE_COOKIE] = secure_cookie
    app[_CERTIFICATES] = certificates
    app[_PRINTERS] = printers
    app[_LIMITER] = enrolment_limiter
    app[_LOGIN_LIMITER] = login_limiter
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["ago"] = _ago
    env.filters["span"] = _span
    app[_JINJA] = env
    app.router.add_get("/.well-known/est/cacerts", get_ca_certificates)
    app.router.add_post("/.well-known/est/simpleenroll", post_simple_enroll)
    app.router.add_get("/.well-known/est/crl", get_crl)
    app.router.add_get("/", get_root)
    app.router.add_get("/login", get_login)
    app.router.add_post("/login", post_login)
    app.router.add_post("/logout", post_logout)
    app.router.add_get("/devices", get_devices)
    app.router.add_post(r"/printers/{printer_id:\d+}/confirm", post_confirm_printer)
    app.router.add_get("/endpoints", get_endpoints)
    app.router.add_static("/static", _TEMPLATES.parent / "static")
    return app
