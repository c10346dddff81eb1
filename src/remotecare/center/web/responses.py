"""Refusals with one shape for every error: ``{"error": "...", ...}`` (``ErrorBody``),
encoded by the codec like every other message."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from remotecare.protocol.codec import encode
from remotecare.protocol.messages import ErrorBody, RefusedReport

__all__ = ["refuse"]


def refuse(
    status: int, error: str, *, refused: Sequence[RefusedReport] | None = None
) -> web.Response:
    body = ErrorBody(error=error, refused=None if refused is None else list(refused))
    return web.Response(body=encode(body), status=status, content_type="application/json")
