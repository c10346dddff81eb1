"""No ``Server`` header on any answer of the center's apps.

aiohttp names itself and the Python version on every response (``Server: Python/3.11
aiohttp/…``): that tells a scanner which known flaws to try and tells a client nothing it
needs. The header is added while the response is prepared, after every middleware has run,
so it is taken out in the ``on_response_prepare`` signal, which runs just after that, for
handler answers, errors, redirects and static files alike.
"""

from __future__ import annotations

from aiohttp import hdrs, web

__all__ = ["without_server_header"]


async def _drop_server_header(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.popall(hdrs.SERVER, None)


def without_server_header(app: web.Application) -> web.Application:
    """``app``, answering without a ``Server`` header (call before the app is frozen)."""
    app.on_response_prepare.append(_drop_server_header)
    return app
