"""Reading a device API request's body: JSON only, size-limited before and after
gunzip, no NUL in text, parsed into a wire model with a clear refusal otherwise."""

from __future__ import annotations

import json
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel

from remotecare.center.web.errors import refusal
from remotecare.center.web.responses import refuse
from remotecare.errors import ProtocolError
from remotecare.protocol.codec import decode, inflate

__all__ = ["BODY_LIMIT", "INFLATED_LIMIT", "read_body", "read_message"]

BODY_LIMIT = web.AppKey("body_limit", int)
INFLATED_LIMIT = web.AppKey("inflated_limit", int)

M = TypeVar("M", bound=BaseModel)


async def read_body(request: web.Request) -> bytes | web.Response:
    if request.content_type != "application/json":
        return refuse(415, "content type must be application/json")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return refuse(413, f"body exceeds {request.app[BODY_LIMIT]} bytes")
    encoding = request.headers.get("Content-Encoding", "identity").lower()
    if encoding == "gzip":
        try:
            body = inflate(body, limit=request.app[INFLATED_LIMIT])
        except ProtocolError as exc:  # too large once inflated (413), not gzip (400)
            return refusal(exc)
    elif encoding != "identity":
        return refuse(415, f"unsupported content encoding {encoding!r}")
    where = _nul_in_text(body)
    if where is not None:
        return refuse(422, f"{where}: text must not contain NUL characters")
    return body


def _nul_in_text(body: bytes) -> str | None:
    """Where the JSON body has a string with a NUL character, or None.

    Nothing a printer says needs one (the agent strips SNMP's padding), and PostgreSQL
    cannot store one in text or jsonb: refused alike on every backend.
    """
    if b"\\u0000" not in body:
        return None
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None  # not JSON: the parser says so
    stack: list[tuple[str, object]] = [("body", document)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return where
        if isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return where
                stack.append((key if where == "body" else f"{where}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{where}.{i}", item) for i, item in enumerate(value))
    return None


async def read_message(request: web.Request, model: type[M]) -> M | web.Response:
    """The body as ``model``, or the refusal saying what is wrong with it."""
    body = await read_body(request)
    if isinstance(body, web.Response):
        return body
    try:
        return decode(model, body)
    except ProtocolError as exc:  # not JSON (400), a field the contract refuses (422)
        return refusal(exc)
