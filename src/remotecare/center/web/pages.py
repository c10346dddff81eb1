"""Server-rendered console pages: one Jinja environment per console app, and the filters
its templates use. Every page can call ``csrf_token()`` for its forms' hidden field
(``web/csrf.py``); the token is made only if the page has a form."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import jinja2
from aiohttp import web

from remotecare.center.web.csrf import form_token_of

__all__ = ["JINJA", "STATIC_DIR", "make_environment", "render"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
JINJA = web.AppKey("jinja", jinja2.Environment)


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["ago"] = _ago
    env.filters["span"] = _span
    return env


def render(
    request: web.Request, template: str, status: int = 200, **context: object
) -> web.Response:
    template_ = request.app[JINJA].get_template(template)
    page = template_.render(csrf_token=lambda: form_token_of(request), **context)
    return web.Response(text=page, content_type="text/html", status=status)


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
