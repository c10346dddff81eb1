"""Server-rendered console pages: one Jinja environment per language (with that
language's catalogue installed for ``{% trans %}``, ``_()``, ``gettext`` and ``ngettext``),
and the filters its templates use. Every page can call ``csrf_token()`` for its forms'
hidden field (``web/csrf.py``); the token is made only if the page has a form."""

from __future__ import annotations

import functools
import gettext
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web

from remotecare.center.access.csrf import form_token
from remotecare.center.access.rules import ANONYMOUS
from remotecare.center.web.actors import SESSION_COOKIE, actor_of
from remotecare.center.web.csrf import form_token_of
from remotecare.center.web.i18n import (
    DEFAULT_TIME_ZONE,
    LANGUAGE_COOKIE,
    LANGUAGES,
    TIME_ZONE_COOKIE,
    Formats,
    choose_language,
    load_translations,
    valid_time_zone,
)

__all__ = [
    "JINJA",
    "STATIC_DIR",
    "Environments",
    "formats_for",
    "language_of",
    "make_environment",
    "make_environments",
    "pages_for_people",
    "render",
    "time_zone_of",
    "translations_of",
]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True, slots=True)
class Environments:
    """A Jinja environment and a message catalogue for each language."""

    jinja: Mapping[str, jinja2.Environment]
    translations: Mapping[str, gettext.NullTranslations]


JINJA = web.AppKey("jinja", Environments)


def make_environments() -> Environments:
    translations = load_translations()
    return Environments(
        jinja={
            language: make_environment(language, translations[language]) for language in LANGUAGES
        },
        translations=translations,
    )


def make_environment(
    language: str = "en", translations: gettext.NullTranslations | None = None
) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    translations = translations or gettext.NullTranslations()
    formats = Formats(language)
    never = translations.gettext("never")

    def ago(moment: datetime | None, now: datetime) -> str:
        return formats.ago(moment, now) or never

    # Moments are written in the person's time zone (``time_zone`` in the page's context,
    # set by ``render``), else the center's.
    def zoned(context: jinja2.runtime.Context) -> Formats:
        zone = context.get("time_zone")
        return formats_for(language, zone) if isinstance(zone, str) else formats

    @jinja2.pass_context
    def datetime_(context: jinja2.runtime.Context, moment: datetime | None) -> str:
        return zoned(context).datetime(moment)

    @jinja2.pass_context
    def iso_datetime(context: jinja2.runtime.Context, moment: str | None) -> str:
        return zoned(context).datetime(datetime.fromisoformat(moment)) if moment else ""

    @jinja2.pass_context
    def date(context: jinja2.runtime.Context, moment: datetime | None) -> str:
        return zoned(context).date(moment)

    @jinja2.pass_context
    def month(context: jinja2.runtime.Context, moment: datetime) -> str:
        return zoned(context).month(moment)

    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    env.globals["language"] = language
    env.globals["languages"] = LANGUAGES
    env.globals["query_with"] = _query_with
    env.filters["ago"] = ago
    env.filters["span"] = formats.span
    env.filters["number"] = formats.number
    env.filters["datetime"] = datetime_
    env.filters["iso_datetime"] = iso_datetime
    env.filters["date"] = date
    env.filters["month"] = month
    return env


@functools.lru_cache(maxsize=256)
def formats_for(language: str, zone: str) -> Formats:
    """The formats of ``language`` in the time zone named ``zone`` (checked before)."""
    return Formats(language, ZoneInfo(zone))


def time_zone_of(request: web.Request) -> str:
    """The time zone this request's pages write moments in: the person's choice (kept in
    the ``tz`` cookie at login and when changed), else the center's."""
    return valid_time_zone(request.cookies.get(TIME_ZONE_COOKIE)) or DEFAULT_TIME_ZONE.key


def language_of(request: web.Request) -> str:
    """The language this request is answered in (``web/i18n.py`` says how it is chosen)."""
    return choose_language(
        request.cookies.get(LANGUAGE_COOKIE), request.headers.get("Accept-Language")
    )


def translations_of(request: web.Request) -> gettext.NullTranslations:
    """The catalogue of the request's language, for messages made in Python."""
    return request.app[JINJA].translations[language_of(request)]


def render(
    request: web.Request, template: str, status: int = 200, **context: object
) -> web.Response:
    language = language_of(request)
    template_ = request.app[JINJA].jinja[language].get_template(template)
    context.setdefault("time_zone", time_zone_of(request))
    context.setdefault("role", actor_of(request).role.value)
    # Where the language switch comes back to: the page's own address, or for an answer
    # to a form the page the form is on (given as ``path``).
    context.setdefault("path", request.path_qs)
    page = template_.render(csrf_token=lambda: _form_token(request), **context)
    response = web.Response(text=page, content_type="text/html", status=status)
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response


def _query_with(query: Mapping[str, Any], **changes: object) -> str:
    """``query`` as a URL query string with ``changes`` applied (None removes a key)."""
    merged = {key: value for key, value in query.items() if value not in (None, "")}
    for key, value in changes.items():
        if value is None or value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return "?" + urlencode(merged) if merged else "?"


@web.middleware
async def pages_for_people(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """The console's refusals as pages in the person's language: an address that leads
    nowhere (404) and a page the person's role may not see (403), asked for by a browser;
    the enrolment, CRL and JSON API addresses keep their JSON answers."""
    if request.path.startswith(("/.well-known/", "/api/")):
        return await handler(request)
    try:
        response = await handler(request)
    except web.HTTPNotFound:
        return _refusal_page(request, "not_found.html", 404)
    if response.status == 403 and request.method == "GET" and _is_json(response):
        return _refusal_page(request, "forbidden.html", 403)
    return response


def _form_token(request: web.Request) -> str:
    try:
        return form_token_of(request)
    except KeyError:  # refused (403) before the form middleware ran: the session is the secret
        session = request.cookies.get(SESSION_COOKIE)
        return form_token(session) if session else ""


def _is_json(response: web.StreamResponse) -> bool:
    return response.content_type == "application/json"


def _refusal_page(request: web.Request, template: str, status: int) -> web.Response:
    actor = actor_of(request)
    person = None if actor is ANONYMOUS else actor.name
    return render(
        request,
        template,
        status=status,
        person=person,
        show_endpoints=actor.sees_every_customer,
    )
