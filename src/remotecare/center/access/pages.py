"""Console login and logout, with the limit on failed logins per address and per name."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from aiohttp import web

from remotecare.center.access.login_limit import LoginLimiter
from remotecare.center.access.rules import CONSOLE_USERS, PUBLIC, Role, allow
from remotecare.center.access.service import Accounts, LoginRefusal
from remotecare.center.access.settings_pages import keep_time_zone
from remotecare.center.attempts.rules import Wait
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import SESSION_COOKIE, actor_of
from remotecare.center.web.i18n import LANGUAGE_COOKIE, LANGUAGES, valid_time_zone
from remotecare.center.web.pages import render, translations_of

__all__ = ["AccessDeps", "add_pages", "home_page"]

logger = logging.getLogger(__name__)


def home_page(role: Role) -> str:
    """Where a person of ``role`` lands after logging in and at ``/``: the one place
    that says so. Operators and affiliates get the fleet overview, a subcontractor the
    incidents assigned to them, a customer the overview of their own printers (scoped
    by the page, with what needs attention first); anyone not logged in, the login."""
    if role is Role.SUBCONTRACTOR:
        return "/incidents"
    if role in CONSOLE_USERS.roles:
        return "/overview"
    return "/login"


@dataclass(frozen=True, slots=True)
class AccessDeps:
    transactions: Transactions
    accounts: Accounts
    login_limiter: LoginLimiter
    secure_cookie: bool = True


_DEPS = web.AppKey("access_deps", AccessDeps)


def add_pages(app: web.Application, deps: AccessDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/login", get_login)
    app.router.add_post("/login", post_login)
    app.router.add_post("/logout", post_logout)
    app.router.add_post("/language", post_language)


@allow(PUBLIC)
async def get_login(request: web.Request) -> web.Response:
    return render(request, "login.html", error=None)


@allow(PUBLIC)
async def post_login(request: web.Request) -> web.Response:
    """Log a person in, unless too many logins failed from here or for this name; one who
    has a second factor gives its code in the same form (``code``).

    Failures are counted per client address and per login name, by every center process
    together (``access/login_limit.py``); past either limit the page answers 429 with
    Retry-After before the password is looked at, in the same words whether or not the
    name belongs to anyone.
    """
    form = await request.post()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    code = str(form.get("code", "")).strip() or None  # the second factor, when set up
    address = request.remote or "unknown"
    deps = request.app[_DEPS]
    async with deps.login_limiter.attempt(address, username) as attempt:
        if attempt.wait is not None:
            return _too_many_failed_logins(request, address, username, attempt.wait)
        outcome = await deps.transactions.run_async(
            lambda conn: deps.accounts.authenticate(conn, username, password, code)
        )
        attempt.failed = outcome.refusal is not None and outcome.refusal.counts_as_failure
    token = outcome.token
    if token is None:
        assert outcome.refusal is not None
        logger.info(
            "console login refused for %r from %s: %s", username, address, outcome.refusal.value
        )
        error = _refusal_text(request, outcome.refusal)
        return render(request, "login.html", status=401, error=error)
    assert outcome.role is not None
    response = web.HTTPSeeOther(home_page(outcome.role))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        secure=deps.secure_cookie,
        samesite="Strict",
        path="/",
    )
    # The language the person chose before, on any browser, from now on on this one too.
    language = await deps.transactions.read_async(
        lambda conn: deps.accounts.language_of(conn, username)
    )
    if language in LANGUAGES:
        _keep_language(response, language, deps.secure_cookie)
    # Likewise the time zone its pages are written in.
    preferences = await deps.transactions.read_async(
        lambda conn: deps.accounts.preferences_of(conn, username)
    )
    zone = valid_time_zone(preferences.time_zone)
    if zone is not None:
        keep_time_zone(response, zone, deps.secure_cookie)
    raise response


def _refusal_text(request: web.Request, refusal: LoginRefusal) -> str:
    translations = translations_of(request)
    if refusal is LoginRefusal.CODE_NEEDED:
        return translations.gettext(
            "Enter your password again with the code from your authenticator app."
        )
    if refusal is LoginRefusal.WRONG_CODE:
        return translations.gettext("Wrong or already used code. Wait for the next code.")
    if refusal is LoginRefusal.TOTP_REQUIRED:
        return translations.gettext(
            "Your role must log in with a second factor: ask an administrator to set one up."
        )
    return translations.gettext("Wrong user name or password.")


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
    error = _wait_text(request, wait.seconds)
    response = render(request, "login.html", status=429, error=error)
    response.headers["Retry-After"] = str(wait.seconds)
    return response


def _wait_text(request: web.Request, seconds: int) -> str:
    translations = translations_of(request)
    if seconds < 60:
        return translations.ngettext(
            "Too many failed logins. Please wait %(num)d second and try again.",
            "Too many failed logins. Please wait %(num)d seconds and try again.",
            seconds,
        ) % {"num": seconds}
    minutes = math.ceil(seconds / 60)
    return translations.ngettext(
        "Too many failed logins. Please wait %(num)d minute and try again.",
        "Too many failed logins. Please wait %(num)d minutes and try again.",
        minutes,
    ) % {"num": minutes}


@allow(PUBLIC)
async def post_logout(request: web.Request) -> web.Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        deps = request.app[_DEPS]
        await deps.transactions.run_async(lambda conn: deps.accounts.log_out(conn, token))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


@allow(PUBLIC)
async def post_language(request: web.Request) -> web.Response:
    """Keep the person's choice of language (on their account when logged in, and in a
    cookie that holds only ``en`` or ``ja``) and go back to the page it was made on."""
    form = await request.post()
    language = str(form.get("lang", ""))
    back = str(form.get("next", ""))
    # Only a path of this site: never an address elsewhere ("//host", "https://...").
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = home_page(actor_of(request).role)
    response = web.HTTPSeeOther(back)
    if language in LANGUAGES:
        deps = request.app[_DEPS]
        actor = actor_of(request)
        if actor.role in CONSOLE_USERS.roles:  # a person logged in: their own setting
            await deps.transactions.run_async(
                lambda conn: deps.accounts.choose_language(conn, actor.name, language)
            )
        _keep_language(response, language, deps.secure_cookie)
    raise response


def _keep_language(response: web.StreamResponse, language: str, secure: bool) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=365 * 24 * 3600,
        secure=secure,
        httponly=True,
        samesite="Lax",
        path="/",
    )
