"""Messages from outbox facts: e-mail subject and body from Jinja2 templates in the
subscription's language (``templates/<name>.<language>.j2``, the subject on the first
line), webhook bodies as JSON."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2

__all__ = ["EmailMessage", "digest_email", "incident_email", "webhook_body"]


@dataclass(frozen=True, slots=True)
class EmailMessage:
    subject: str
    body: str


@functools.cache
def _environment() -> jinja2.Environment:
    # Plain text, never HTML: nothing to escape, and StrictUndefined makes a template
    # that names a missing fact fail in the tests, not in a customer's inbox.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("remotecare.center.notify", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 (plain-text e-mail)
        keep_trailing_newline=True,
    )


def _render(name: str, language: str, **values: Any) -> EmailMessage:
    text = _environment().get_template(f"{name}.{language}.j2").render(**values)
    subject, _, body = text.partition("\n")
    return EmailMessage(subject.strip(), body.lstrip("\n"))


def incident_email(facts: Mapping[str, Any], language: str) -> EmailMessage:
    return _render("incident", language, facts=facts)


def digest_email(items: Sequence[Mapping[str, Any]], language: str) -> EmailMessage:
    return _render("digest", language, items=items)


def webhook_body(message_id: str, items: Sequence[Mapping[str, Any]]) -> bytes:
    """One incident change as ``{"type": "incident.<event>", "data": facts}``, or a digest
    of several as ``{"type": "incident.digest", "data": {"items": [...]}}``."""
    if len(items) == 1:
        document: dict[str, Any] = {"type": f"incident.{items[0]['event']}", "data": items[0]}
    else:
        document = {"type": "incident.digest", "data": {"items": list(items)}}
    document["id"] = message_id
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
