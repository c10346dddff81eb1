"""The allow-list of what an agent may send, read from the wire contract itself (terms,
articles 5(1) and 6(4)): every field of a ``Report``, by its dotted path, with what kind
of value it holds. The messages refuse any other field, so this list is complete by
construction: the agent cannot send, and the center cannot store, anything else.

Usage::

    for field in report_fields():
        print(field.path, field.kind, field.choices)    # "reading.counters[].value" "number" ()
"""

from __future__ import annotations

import datetime
import enum
import types
import typing
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import AwareDatetime, BaseModel

from remotecare.protocol.messages import Report

__all__ = ["FieldKind", "SentField", "report_fields"]


class FieldKind(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    YES_NO = "yes_no"
    CHOICE = "choice"  # one of ``choices``
    MOMENT = "moment"  # a date and time with its offset
    IDENTIFIER = "identifier"  # a random id (UUID)
    GROUP = "group"  # an object of the fields below it
    LIST = "list"  # a list of objects of the fields below it
    TEXT_LIST = "text_list"


@dataclass(frozen=True, slots=True)
class SentField:
    path: str  # "reading.supplies[].level"
    kind: FieldKind
    choices: tuple[str, ...] = ()
    optional: bool = False


def report_fields() -> list[SentField]:
    """Every field a report may carry, in the contract's order."""
    return list(_fields_of(Report, ""))


def _fields_of(model: type[BaseModel], prefix: str) -> typing.Iterator[SentField]:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation, optional = _unwrap(info.annotation)
        optional = optional or not info.is_required()
        origin = typing.get_origin(annotation)
        if origin is list:
            [item] = typing.get_args(annotation)
            item, _ = _unwrap(item)
            if isinstance(item, type) and issubclass(item, BaseModel):
                yield SentField(path + "[]", FieldKind.LIST, optional=optional)
                yield from _fields_of(item, path + "[].")
            else:
                yield SentField(path + "[]", FieldKind.TEXT_LIST, optional=optional)
            continue
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield SentField(path, FieldKind.GROUP, optional=optional)
            yield from _fields_of(annotation, path + ".")
            continue
        kind, choices = _kind(annotation)
        yield SentField(path, kind, choices, optional)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without ``Annotated`` and ``| None``, and whether None was allowed."""
    optional = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            arguments = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(arguments) < len(typing.get_args(annotation))
            if len(arguments) != 1:
                return annotation, optional
            annotation = arguments[0]
        else:
            return annotation, optional


def _kind(annotation: Any) -> tuple[FieldKind, tuple[str, ...]]:
    if typing.get_origin(annotation) is Literal:
        return FieldKind.CHOICE, tuple(str(value) for value in typing.get_args(annotation))
    if annotation is AwareDatetime:
        return FieldKind.MOMENT, ()
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return FieldKind.CHOICE, tuple(str(member.value) for member in annotation)
        if issubclass(annotation, bool):
            return FieldKind.YES_NO, ()
        if issubclass(annotation, int | float):
            return FieldKind.NUMBER, ()
        if issubclass(annotation, datetime.datetime):
            return FieldKind.MOMENT, ()
        if issubclass(annotation, uuid.UUID):
            return FieldKind.IDENTIFIER, ()
    return FieldKind.TEXT, ()
