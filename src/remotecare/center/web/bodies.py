"""Reading a device API request's body: JSON only, size-limited before and after
gunzip, no NUL in text, parsed into a wire model with a clear refusal otherwise."""

from __future__ import annotations

import json
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from remotecare.center.web.errors import refusal
from remotecare.center.web.responses import refuse
from remotecare.errors import ProtocolError
from remotecare.protocol.codec import describe_validation_error, inflate

__all__ = ["BODY_LIMIT", "INFLATED_LIMIT", "read_body", "read_message", "refusal_for_invalid"]

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


def refusal_for_invalid(exc: ValidationError) -> web.Response:
    """400 for a body that is not JSON at all, else 422 naming the wrong field."""
    if exc.errors(include_url=False)[0]["type"] == "json_invalid":
        return refuse(400, "body is not valid JSON")
    return refuse(422, describe_validation_error(exc))


async def read_message(request: web.Request, model: type[M]) -> M | web.Response:
    body = await read_body(request)
    if isinstance(body, web.Response):
        return body
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        return refusal_for_invalid(exc)
