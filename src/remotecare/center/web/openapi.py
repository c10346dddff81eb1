"""The device API described as OpenAPI 3.1, built from the wire models themselves.

Schemas come from the pydantic models in ``remotecare.protocol.messages`` (JSON Schema
2020-12, which OpenAPI 3.1 uses as is), so the document cannot drift from what the center
validates. Paths are the routes the device application actually registered: an operation
known here gets its request, answers and error shape; any other route is still listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from remotecare.protocol.messages import (
    BundleDeclaration,
    BundleState,
    CommandAck,
    CommandList,
    ErrorBody,
    IngestResult,
    RenewRequest,
    RenewResponse,
    Report,
    ReportBatch,
)

__all__ = ["OPENAPI_PATH", "build_openapi"]

OPENAPI_PATH = "/api/v1/openapi.json"
_REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class _Operation:
    summary: str
    request: type[BaseModel] | None = None
    ok: dict[int, tuple[str, type[BaseModel] | None]] = field(default_factory=dict)
    refusals: tuple[int, ...] = ()


_BODY_REFUSALS = (400, 413, 415, 422)
_IDENTITY_REFUSALS = (401, 403)
_REFUSAL_TEXT = {
    400: "Malformed JSON or gzip",
    401: "No client certificate issued by this center",
    403: "Endpoint revoked, expired, superseded or inactive; or a printer bound elsewhere",
    404: "Unknown resource",
    409: "Conflict with the current state",
    413: "Body larger than 1 MiB, or 8 MiB once decompressed",
    415: "Content type is not application/json, or an unsupported content encoding",
    422: "The body does not match the schema (the error names the field)",
    429: "Too many requests",
}
_INGEST_ANSWERS: dict[int, tuple[str, type[BaseModel] | None]] = {
    201: ("At least one report stored", IngestResult),
    200: ("Every report was stored before (idempotent retry)", IngestResult),
}

_OPERATIONS: dict[tuple[str, str], _Operation] = {
    ("post", "/api/v1/reports"): _Operation(
        "Store one report (idempotent by report_id)",
        Report,
        _INGEST_ANSWERS,
        _IDENTITY_REFUSALS + _BODY_REFUSALS,
    ),
    ("post", "/api/v1/report-batches"): _Operation(
        "Store up to 500 reports, all or nothing (idempotent by report_id)",
        ReportBatch,
        _INGEST_ANSWERS,
        _IDENTITY_REFUSALS + _BODY_REFUSALS,
    ),
    ("get", "/api/v1/commands"): _Operation(
        "Check in: the commands waiting for this endpoint",
        None,
        {200: ("Waiting commands", CommandList)},
        _IDENTITY_REFUSALS,
    ),
    ("post", "/api/v1/commands/{command_id}/ack"): _Operation(
        "Answer one of this endpoint's commands",
        CommandAck,
        {204: ("Answer recorded", None)},
        (*_IDENTITY_REFUSALS, 404, *_BODY_REFUSALS),
    ),
    ("post", "/api/v1/renew"): _Operation(
        "Renew the client certificate for a key made on the device",
        RenewRequest,
        {201: ("The new certificate", RenewResponse)},
        _IDENTITY_REFUSALS + _BODY_REFUSALS,
    ),
    ("post", "/.well-known/est/simplereenroll"): _Operation(
        "The same as /api/v1/renew under EST's name (RFC 7030, 4.2.2)",
        RenewRequest,
        {201: ("The new certificate", RenewResponse)},
        _IDENTITY_REFUSALS + _BODY_REFUSALS,
    ),
    ("post", "/api/v1/bundles"): _Operation(
        "Declare a diagnostic bundle (id, size, SHA-256, reason) before its chunks",
        BundleDeclaration,
        {
            201: ("Declared", BundleState),
            200: ("Declared before: where it stands", BundleState),
        },
        (*_IDENTITY_REFUSALS, 409, *_BODY_REFUSALS),
    ),
    ("get", "/api/v1/bundles/{bundle_id}"): _Operation(
        "How many bytes of a bundle arrived: the point to resume from",
        None,
        {200: ("Where the bundle stands", BundleState)},
        (*_IDENTITY_REFUSALS, 404),
    ),
    ("put", "/api/v1/bundles/{bundle_id}/chunks"): _Operation(
        "Append bytes at ?offset=N, the resume point; the SHA-256 is checked at the end",
        None,
        {200: ("Where the bundle stands", BundleState)},
        (*_IDENTITY_REFUSALS, 400, 404, 409, 413, 422),
    ),
    ("get", OPENAPI_PATH): _Operation("This document", None, {200: ("OpenAPI 3.1", None)}),
}


def _generic(method: str, path: str) -> _Operation:
    """A route this module has no description for: listed, with every answer it may give."""
    return _Operation(
        f"{method.upper()} {path}",
        None,
        {200: ("Done", None), 201: ("Created", None), 204: ("Done, no content", None)},
        tuple(sorted(_REFUSAL_TEXT)),
    )


_MODELS: list[type[BaseModel]] = [
    ErrorBody,
    Report,
    ReportBatch,
    IngestResult,
    CommandList,
    CommandAck,
    RenewRequest,
    RenewResponse,
    BundleDeclaration,
    BundleState,
]


def _schemas() -> tuple[dict[str, Any], dict[type[BaseModel], str]]:
    refs, top = models_json_schema([(model, "validation") for model in _MODELS], ref_template=_REF)
    names = {model: refs[(model, "validation")]["$ref"].rsplit("/", 1)[1] for model in _MODELS}
    return top.get("$defs", {}), names


def _json(ref: str | None) -> dict[str, Any]:
    schema = {"$ref": ref} if ref else {"type": "object"}
    return {"application/json": {"schema": schema}}


def _operation(spec: _Operation, names: dict[type[BaseModel], str], path: str) -> dict[str, Any]:
    ref = _REF.format(model="{}")
    responses: dict[str, Any] = {}
    for status, (text, model) in sorted(spec.ok.items()):
        answer: dict[str, Any] = {"description": text}
        if model is not None:
            answer["content"] = _json(ref.format(names[model]))
        elif status != 204:
            answer["content"] = _json(None)
        responses[str(status)] = answer
    error = ref.format(names[ErrorBody])
    for status in spec.refusals:
        responses[str(status)] = {"description": _REFUSAL_TEXT[status], "content": _json(error)}
    operation: dict[str, Any] = {"summary": spec.summary, "responses": responses}
    if spec.request is not None:
        operation["requestBody"] = {
            "required": True,
            "content": _json(ref.format(names[spec.request])),
        }
    parameters = [
        {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
        for part in path.split("/")
        if part.startswith("{") and part.endswith("}")
    ]
    if parameters:
        operation["parameters"] = parameters
    return operation


def build_openapi(
    app: web.Application | None = None, *, server_url: str | None = None
) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``app``'s routes (all known operations without one)."""
    schemas, names = _schemas()
    routes: list[tuple[str, str]]
    if app is None:
        routes = list(_OPERATIONS)
    else:
        routes = []
        for resource in app.router.resources():
            path = resource.canonical
            for route in resource:
                method = route.method.lower()
                if method in {"head", "options", "*"}:
                    continue
                routes.append((method, path))
    paths: dict[str, dict[str, Any]] = {}
    for method, path in routes:
        spec = _OPERATIONS.get((method, path)) or _generic(method, path)
        paths.setdefault(path, {})[method] = _operation(spec, names, path)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "Remote Care device API",
            "version": "1",
            "description": (
                "Mutual TLS only: the caller is the endpoint named by its client certificate "
                "(issued by the center's CA at enrolment), never anything in the body."
            ),
        },
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": schemas},
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document
