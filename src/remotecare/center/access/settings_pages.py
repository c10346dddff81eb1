"""Each person's own settings in the console: language and time zone (kept on their
account and in cookies, so that every page is written in them on any browser), the
password, and the TOTP second factor turned on (its secret shown once, as text and as
an ``otpauth://`` address for an authenticator app) and off (with the password again).

Every form carries the CSRF token (``web/csrf.py``); bad values are refused with the
page again (400) and change nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import Connection

from remotecare.center.access.rules import CONSOLE_USERS, Actor, allow
from remotecare.center.access.service import (
    MIN_PASSWORD_CHARS,
    Accounts,
    Preferences,
    TotpSetup,
)
from remotecare.center.kernel.transactions import Transactions
from remotecare.center.web.actors import actor_of
from remotecare.center.web.i18n import (
    LANGUAGE_COOKIE,
    LANGUAGES,
    TIME_ZONE_COOKIE,
    valid_time_zone,
)
from remotecare.center.web.pages import render, time_zone_of, translations_of

__all__ = ["SettingsDeps", "add_pages", "keep_time_zone"]

logger = logging.getLogger(__name__)

COOKIE_DAYS = 365
# Offered first in the list; any IANA name may be typed.
COMMON_ZONES = (
    "Asia/Tokyo",
    "UTC",
    "Asia/Seoul",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
)


@dataclass(frozen=True, slots=True)
class SettingsDeps:
    transactions: Transactions
    accounts: Accounts
    secure_cookie: bool = True


_DEPS = web.AppKey("settings_deps", SettingsDeps)


def add_pages(app: web.Application, deps: SettingsDeps) -> None:
    app[_DEPS] = deps
    app.router.add_get("/settings", get_settings)
    app.router.add_post("/settings", post_settings)
    app.router.add_post("/settings/password", post_password)
    app.router.add_post("/settings/totp", post_totp_start)
    app.router.add_post("/settings/totp/confirm", post_totp_confirm)
    app.router.add_post("/settings/totp/remove", post_totp_remove)


def keep_time_zone(response: web.StreamResponse, zone: str, secure: bool) -> None:
    """Remember the person's time zone in this browser (a valid IANA name only)."""
    response.set_cookie(
        TIME_ZONE_COOKIE,
        zone,
        max_age=COOKIE_DAYS * 24 * 3600,
        secure=secure,
        httponly=True,
        samesite="Lax",
        path="/",
    )


def _keep_language(response: web.StreamResponse, language: str, secure: bool) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=COOKIE_DAYS * 24 * 3600,
        secure=secure,
        httponly=True,
        samesite="Lax",
        path="/",
    )


async def _page(
    request: web.Request,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    setup: TotpSetup | None = None,
) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    preferences: Preferences = await deps.transactions.read_async(
        lambda conn: deps.accounts.preferences_of(conn, actor.name)
    )
    return render(
        request,
        "settings.html",
        status=status,
        preferences=preferences,
        shown_zone=time_zone_of(request),
        zones=COMMON_ZONES,
        min_password=MIN_PASSWORD_CHARS,
        error=error,
        notice=notice,
        setup=setup,
        path="/settings",
        person=actor.name,
        show_endpoints=actor.sees_every_customer,
    )


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue; ``_text`` translates it when shown."""
    return message


def _text(request: web.Request, message: str, **values: object) -> str:
    return translations_of(request).gettext(message) % values


@allow(CONSOLE_USERS)
async def get_settings(request: web.Request) -> web.Response:
    return await _page(request)


@allow(CONSOLE_USERS)
async def post_settings(request: web.Request) -> web.Response:
    """Keep the person's language and time zone, both checked against what exists."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    form = await request.post()
    language = str(form.get("language", ""))
    zone_text = str(form.get("time_zone", "")).strip()
    if language not in LANGUAGES:
        error = _text(request, N_("Unknown language: %(value)s"), value=language[:32])
        return await _page(request, status=400, error=error)
    zone = valid_time_zone(zone_text)
    if zone is None:
        error = _text(request, N_("Unknown time zone: %(value)s"), value=zone_text[:64])
        return await _page(request, status=400, error=error)

    def keep(conn: Connection) -> None:
        deps.accounts.choose_language(conn, actor.name, language)
        deps.accounts.choose_time_zone(conn, actor.name, zone)

    await deps.transactions.run_async(keep)
    logger.info("%s chose language %s and time zone %s", actor.name, language, zone)
    response = web.HTTPSeeOther("/settings")
    _keep_language(response, language, deps.secure_cookie)
    keep_time_zone(response, zone, deps.secure_cookie)
    raise response


@allow(CONSOLE_USERS)
async def post_password(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    form = await request.post()
    current, new = str(form.get("current", "")), str(form.get("new", ""))
    if new != str(form.get("again", "")):
        error = _text(request, N_("The two new passwords differ."))
        return await _page(request, status=400, error=error)
    try:
        changed = await deps.transactions.run_async(
            lambda conn: deps.accounts.change_password(conn, actor.name, current, new)
        )
    except ValueError:
        error = _text(
            request, N_("A password needs at least %(num)s characters."), num=MIN_PASSWORD_CHARS
        )
        return await _page(request, status=400, error=error)
    if not changed:
        return await _page(
            request, status=400, error=_text(request, N_("The current password is wrong."))
        )
    logger.info("%s changed their password", actor.name)
    return await _page(request, notice=_text(request, N_("Your password was changed.")))


@allow(CONSOLE_USERS)
async def post_totp_start(request: web.Request) -> web.Response:
    """Start a second factor: its secret is shown on this answer only, never again."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    preferences = await deps.transactions.read_async(
        lambda conn: deps.accounts.preferences_of(conn, actor.name)
    )
    if preferences.second_factor:  # replacing it would switch it off: turn it off first
        error = _text(request, N_("Your second factor is on already: turn it off first."))
        return await _page(request, status=409, error=error)
    setup = await deps.transactions.run_async(
        lambda conn: deps.accounts.start_totp(conn, actor.name)
    )
    logger.info("%s started a second factor", actor.name)
    return await _page(request, setup=setup)


@allow(CONSOLE_USERS)
async def post_totp_confirm(request: web.Request) -> web.Response:
    deps = request.app[_DEPS]
    actor = actor_of(request)
    form = await request.post()
    code = str(form.get("code", "")).strip()
    confirmed = await deps.transactions.run_async(
        lambda conn: deps.accounts.confirm_totp(conn, actor.name, code)
    )
    if not confirmed:
        error = _text(request, N_("Wrong code: enter the code your authenticator app shows now."))
        return await _page(request, status=400, error=error)
    logger.info("%s turned their second factor on", actor.name)
    notice = _text(request, N_("Your second factor is on: logins now ask for its code."))
    return await _page(request, notice=notice)


def _needs_totp(deps: SettingsDeps, actor: Actor) -> bool:
    return deps.accounts.operators_need_totp and actor.sees_every_customer


@allow(CONSOLE_USERS)
async def post_totp_remove(request: web.Request) -> web.Response:
    """Turn the second factor off, given the password again; refused where the role
    must have one."""
    deps = request.app[_DEPS]
    actor = actor_of(request)
    form = await request.post()
    password = str(form.get("password", ""))
    if _needs_totp(deps, actor):
        error = _text(request, N_("Your role must log in with a second factor: it stays on."))
        return await _page(request, status=403, error=error)

    def remove(conn: Connection) -> bool:
        if not deps.accounts.check_password(conn, actor.name, password):
            return False
        deps.accounts.remove_totp(conn, actor.name)
        return True

    if not await deps.transactions.run_async(remove):
        return await _page(
            request, status=400, error=_text(request, N_("The current password is wrong."))
        )
    logger.info("%s turned their second factor off", actor.name)
    return await _page(request, notice=_text(request, N_("Your second factor is off.")))
