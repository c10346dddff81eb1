"""The JSON API's shared shape: keyset pagination, stable ETags and JSON bodies.

Every list is ordered by a unique key and paged by it (``?limit=N&after=CURSOR``), so a
page is stable while rows arrive and a walk never repeats or skips one (an offset would).
The cursor is opaque to the caller: the last row's key as URL-safe base64 JSON. A page is
``{"items": [...], "next": "/api/v1/...?after=...&limit=N" | null}`` with the same link in
a ``Link: <...>; rel="next"`` header. Every answer has a strong ``ETag`` from its body;
``If-None-Match`` with it answers 304 without a body, so that a dealer's system polling for
changes moves nothing when nothing changed.

Usage::

    page = page_request(request)                  # 400 on a bad limit or cursor
    rows = query(after=page.after_key, limit=page.fetch)
    return page_response(request, page, rows, item=row_json, key=lambda r: [r.id])
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web

from remotecare.center.web.errors import refusal
from remotecare.errors import ProtocolError, RemoteCareError

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "InvalidQuery",
    "PageRequest",
    "api_errors",
    "json_response",
    "page_request",
    "page_response",
]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_MAX_CURSOR = 512  # characters: a key of a few short values
_NOT_A_CURSOR = "after is not a cursor of this list (start again without it)"

T = TypeVar("T")
CursorKey = list[str | int]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
API_PREFIX = "/api/"


class InvalidQuery(ProtocolError):
    """A query parameter the API does not accept (400)."""


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    after_key: CursorKey | None  # the key of the last row of the previous page

    def after(self, *shape: type) -> tuple[Any, ...] | None:
        """The cursor's key checked against the types of the list's key (``int``, ``str``
        ...): None on the first page; a cursor of another list is refused (400)."""
        if self.after_key is None:
            return None
        if len(self.after_key) != len(shape) or not all(
            isinstance(value, kind) for value, kind in zip(self.after_key, shape, strict=True)
        ):
            raise InvalidQuery(_NOT_A_CURSOR)
        return tuple(self.after_key)

    @property
    def fetch(self) -> int:
        """How many rows to fetch: one more than the page tells whether another follows."""
        return self.limit + 1


def page_request(request: web.Request) -> PageRequest:
    """The page asked for by ``request``'s ``limit`` and ``after`` parameters."""
    raw_limit = request.query.get("limit", str(DEFAULT_LIMIT))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise InvalidQuery(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    after = request.query.get("after")
    return PageRequest(int(raw_limit), None if after is None else _decode_cursor(after))


def _encode_cursor(key: CursorKey) -> str:
    text = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def _decode_cursor(cursor: str) -> CursorKey:
    problem = _NOT_A_CURSOR
    if not cursor or len(cursor) > _MAX_CURSOR:
        raise InvalidQuery(problem)
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(text)
    except (binascii.Error, ValueError) as exc:
        raise InvalidQuery(problem) from exc
    valid = isinstance(key, list) and all(
        isinstance(value, str | int) and not isinstance(value, bool) for value in key
    )
    if not valid or not key:
        raise InvalidQuery(problem)
    return list(key)


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if if_none_match is None:
        return False
    presented = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in presented or etag in presented


def json_response(
    request: web.Request,
    body: Mapping[str, Any],
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """``body`` as JSON with a strong ETag; 304 when the caller has this very body."""
    encoded = json.dumps(body, default=_json_default, ensure_ascii=False).encode()
    etag = _etag(encoded)
    all_headers = {"ETag": etag, "Cache-Control": "no-cache", **(headers or {})}
    if status == 200 and _matches(request.headers.get("If-None-Match"), etag):
        return web.Response(status=304, headers=all_headers)
    return web.Response(
        body=encoded, status=status, content_type="application/json", headers=all_headers
    )


def page_response(
    request: web.Request,
    page: PageRequest,
    rows: Sequence[T],
    *,
    item: Callable[[T], Mapping[str, Any]],
    key: Callable[[T], CursorKey],
) -> web.Response:
    """One page from ``rows`` (fetched ``page.limit + 1``, ordered by ``key``): each row
    as ``item``, with the link to the next page when there is one more row."""
    next_url = None
    headers: dict[str, str] = {}
    if len(rows) > page.limit:
        query = {k: v for k, v in request.query.items() if k not in ("after", "limit")}
        after = _encode_cursor(key(rows[page.limit - 1]))
        query |= {"after": after, "limit": str(page.limit)}
        next_url = f"{request.path}?{urlencode(query)}"
        headers["Link"] = f'<{next_url}>; rel="next"'
    items = [item(row) for row in rows[: page.limit]]
    return json_response(request, {"items": items, "next": next_url}, headers=headers)


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """An API route's errors as JSON refusals (the status table of ``web/errors.py``)."""
    try:
        return await handler(request)
    except RemoteCareError as exc:
        if not request.path.startswith(API_PREFIX):
            raise
        return refusal(exc)
