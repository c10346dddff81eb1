"""JSON responses with one shape for every refusal: ``{"error": "...", ...}``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

__all__ = ["refuse"]


def refuse(status: int, error: str, **details: Any) -> web.Response:
    return web.json_response({"error": error, **details}, status=status)
