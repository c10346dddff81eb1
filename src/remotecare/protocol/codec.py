"""Encode and decode wire messages: the only place that touches JSON and gzip."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from remotecare.errors import InvalidMessage, NotJson, PayloadTooLarge, ProtocolError
from remotecare.protocol.messages import SCHEMA_VERSION

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_INFLATED_BYTES",
    "answer_fields",
    "decode",
    "describe_validation_error",
    "encode",
    "encode_batch",
    "inflate",
]

MAX_BODY_BYTES = 1 * 1024 * 1024
MAX_INFLATED_BYTES = 8 * 1024 * 1024

M = TypeVar("M", bound=BaseModel)


def encode(message: BaseModel, *, compress: bool = False) -> bytes:
    """Serialize a message to compact JSON, gzip-compressed on request."""
    body = message.model_dump_json(exclude_none=True).encode()
    return gzip.compress(body, compresslevel=6, mtime=0) if compress else body


def encode_batch(
    report_bodies: Sequence[bytes], agent_status: BaseModel | None = None, *, compress: bool = False
) -> bytes:
    """A ``ReportBatch`` body made of reports :func:`encode` already made (the outbox's rows).

    The bytes are what ``encode(ReportBatch(reports=..., agent_status=...))`` gives, without
    parsing every stored report again.
    """
    body = b'{"schema_version":%d,"reports":[%s]' % (SCHEMA_VERSION, b",".join(report_bodies))
    if agent_status is not None:
        body += b',"agent_status":' + encode(agent_status)
    body += b"}"
    return gzip.compress(body, compresslevel=6, mtime=0) if compress else body


def answer_fields(body: bytes) -> dict[str, Any]:
    """The fields of an answer that may not match any model (an error, a refusal), leniently:
    ``{}`` when the body is not a JSON object."""
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def inflate(body: bytes, *, limit: int = MAX_INFLATED_BYTES) -> bytes:
    """Gunzip ``body``, stopping as soon as the output passes ``limit`` (compression bombs)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ProtocolError(f"body is not valid gzip: {exc}") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"decompressed body exceeds {limit} bytes")
    if not inflater.eof:
        raise ProtocolError("gzip body is truncated")
    return out


def decode(model: type[M], body: bytes) -> M:
    """Parse and validate ``body`` strictly; unknown fields are errors. Raises ``NotJson``
    for a body that is not JSON at all, ``InvalidMessage`` naming the first bad field."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        if exc.errors(include_url=False)[0]["type"] == "json_invalid":
            raise NotJson("body is not valid JSON") from exc
        raise InvalidMessage(describe_validation_error(exc)) from exc


def describe_validation_error(exc: ValidationError) -> str:
    """Name the first bad field and why, e.g. ``reports.0.reading.serial: field required``."""
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']}"
