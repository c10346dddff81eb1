"""Encode a Get-Printer-Attributes request and decode the answer (RFC 8010), strictly.

Pure bytes in, values out; no I/O. A printer's answer is untrusted input from the LAN, so
the decoder checks every length against what is left, only ever moves forward, bounds
collection nesting and the number of values, and turns anything malformed into
:class:`ProbeError` with a message that says what was wrong.

Why not pyipp (or its fork aioipp) for this: their parser reads lengths as signed numbers
and loops forever (growing memory) on a 35-byte answer with a negative value length,
drops all but the last value of a 1setOf inside a collection, and reads the HTTP body
with no size cap; the agent must survive whatever sits on the customer's network.

Usage::

    body = encode_get_printer_attributes("ipp://192.0.2.10:631/ipp/print", ["printer-state"])
    response = decode_response(answer_bytes)
    response.printer["printer-state"]          # (3,)

Values come out as plain Python: ``int`` for integer and enum, ``bool`` for boolean,
``str`` for text, name, keyword, uri and the other character-string syntaxes (the text
part of textWithLanguage / nameWithLanguage), ``bytes`` for octetString and for syntaxes
the agent does not interpret (dateTime, resolution, rangeOfInteger), and a dict for a
collection. Every attribute maps to the tuple of its values; out-of-band values
(unknown, no-value, unsupported) leave the tuple without them.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, TypeAlias

from remotecare.errors import ProbeError

__all__ = [
    "MAX_COLLECTION_DEPTH",
    "MAX_VALUES",
    "IppAttributes",
    "IppCollection",
    "IppResponse",
    "IppValue",
    "Operation",
    "StatusCode",
    "decode_response",
    "encode_get_printer_attributes",
]

IppValue: TypeAlias = "int | bool | str | bytes | IppCollection"
IppCollection: TypeAlias = "dict[str, tuple[IppValue, ...]]"
IppAttributes: TypeAlias = "dict[str, tuple[IppValue, ...]]"

MAX_COLLECTION_DEPTH: Final = 8  # printers nest media-col two or three deep
MAX_VALUES: Final = 20_000  # values in one response; a printer's attributes are far fewer

REQUEST_VERSION: Final = (1, 1)  # every IPP printer accepts 1.1; 2.x printers answer it too
_SUPPORTED_MAJOR_VERSIONS: Final = frozenset({1, 2})
_HEADER: Final = struct.Struct(">BBHI")  # version major, minor, operation/status, request id
_SHORT: Final = struct.Struct(">H")
_INTEGER: Final = struct.Struct(">i")
_INTEGER_OCTETS: Final = 4
_BOOLEAN_OCTETS: Final = 1
_MAX_SHORT: Final = 0xFFFF
_SUCCESS_LIMIT: Final = 0x0100  # status codes below this are successful-*


class Operation(enum.IntEnum):
    """IPP operation ids the agent sends (RFC 8011)."""

    GET_PRINTER_ATTRIBUTES = 0x000B


class StatusCode(enum.IntEnum):
    """Status codes the agent names in messages (RFC 8011 section 4.1.6); others stay numeric."""

    SUCCESSFUL_OK = 0x0000
    CLIENT_ERROR_BAD_REQUEST = 0x0400
    CLIENT_ERROR_FORBIDDEN = 0x0401
    CLIENT_ERROR_NOT_AUTHENTICATED = 0x0402
    CLIENT_ERROR_NOT_AUTHORIZED = 0x0403
    CLIENT_ERROR_NOT_POSSIBLE = 0x0404
    CLIENT_ERROR_NOT_FOUND = 0x0406
    SERVER_ERROR_INTERNAL_ERROR = 0x0500
    SERVER_ERROR_OPERATION_NOT_SUPPORTED = 0x0501
    SERVER_ERROR_SERVICE_UNAVAILABLE = 0x0502
    SERVER_ERROR_VERSION_NOT_SUPPORTED = 0x0503
    SERVER_ERROR_BUSY = 0x0507


class _Tag(enum.IntEnum):
    """Delimiter and value tags (RFC 8010 section 3.5)."""

    OPERATION_ATTRIBUTES = 0x01
    END_OF_ATTRIBUTES = 0x03
    PRINTER_ATTRIBUTES = 0x04
    INTEGER = 0x21
    BOOLEAN = 0x22
    ENUM = 0x23
    OCTET_STRING = 0x30
    BEGIN_COLLECTION = 0x34
    TEXT_WITH_LANGUAGE = 0x35
    NAME_WITH_LANGUAGE = 0x36
    END_COLLECTION = 0x37
    TEXT = 0x41
    NAME = 0x42
    KEYWORD = 0x44
    URI = 0x45
    CHARSET = 0x47
    NATURAL_LANGUAGE = 0x48
    MEMBER_NAME = 0x4A


_DELIMITER_LIMIT: Final = 0x10  # tags 0x00-0x0F are group delimiters
_OUT_OF_BAND: Final = range(0x10, 0x20)  # unsupported, unknown, no-value, ...
_CHARACTER_STRINGS: Final = range(0x40, 0x60)  # text, name, keyword, uri, charset, ...
_INTEGERS: Final = frozenset({_Tag.INTEGER, _Tag.ENUM})
_WITH_LANGUAGE: Final = frozenset({_Tag.TEXT_WITH_LANGUAGE, _Tag.NAME_WITH_LANGUAGE})


@dataclass(frozen=True, slots=True)
class IppResponse:
    """A decoded answer: status, the operation group and the first printer group."""

    version: tuple[int, int]
    status_code: int
    request_id: int
    operation: IppAttributes = field(default_factory=dict)
    printer: IppAttributes = field(default_factory=dict)

    @property
    def successful(self) -> bool:
        return self.status_code < _SUCCESS_LIMIT

    @property
    def status_name(self) -> str:
        """``client-error-not-found`` style name, or ``0x0999`` for codes not named here."""
        try:
            return StatusCode(self.status_code).name.lower().replace("_", "-")
        except ValueError:
            return f"0x{self.status_code:04x}"


def encode_get_printer_attributes(
    printer_uri: str,
    requested: Sequence[str],
    *,
    request_id: int = 1,
    user_name: str = "remotecare",
) -> bytes:
    """Build a Get-Printer-Attributes request asking for ``requested`` attributes."""
    parts = [_HEADER.pack(*REQUEST_VERSION, Operation.GET_PRINTER_ATTRIBUTES, request_id)]
    parts.append(bytes([_Tag.OPERATION_ATTRIBUTES]))
    parts.append(_attribute(_Tag.CHARSET, "attributes-charset", [b"utf-8"]))
    parts.append(_attribute(_Tag.NATURAL_LANGUAGE, "attributes-natural-language", [b"en"]))
    parts.append(_attribute(_Tag.URI, "printer-uri", [printer_uri.encode()]))
    parts.append(_attribute(_Tag.NAME, "requesting-user-name", [user_name.encode()]))
    if requested:
        keywords = [name.encode("ascii") for name in requested]
        parts.append(_attribute(_Tag.KEYWORD, "requested-attributes", keywords))
    parts.append(bytes([_Tag.END_OF_ATTRIBUTES]))
    return b"".join(parts)


def _attribute(tag: int, name: str, values: Sequence[bytes]) -> bytes:
    """One attribute with its values; additional values carry an empty name."""
    encoded = []
    for position, value in enumerate(values):
        label = name.encode("ascii") if position == 0 else b""
        if len(label) > _MAX_SHORT or len(value) > _MAX_SHORT:
            raise ProbeError(f"IPP attribute {name} is too long to encode")
        encoded.append(
            bytes([tag]) + _SHORT.pack(len(label)) + label + _SHORT.pack(len(value)) + value
        )
    return b"".join(encoded)


def decode_response(data: bytes) -> IppResponse:
    """Decode an IPP response; raise :class:`ProbeError` when it is not well-formed IPP."""
    return _Decoder(data).response()


class _Decoder:
    """One pass over one response; ``pos`` only ever increases."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.values = 0
        self.last_name: str | None = None  # the attribute additional values belong to
        self.skipping = False  # the current attribute repeats an earlier one

    def response(self) -> IppResponse:
        if len(self.data) < _HEADER.size:
            raise self._error(f"the answer is {len(self.data)} bytes, shorter than an IPP header")
        major, minor, status, request_id = _HEADER.unpack_from(self.data, 0)
        if major not in _SUPPORTED_MAJOR_VERSIONS:
            raise ProbeError(
                f"the answer is not IPP (it starts with {self.data[: _HEADER.size]!r})"
            )
        self.pos = _HEADER.size
        groups: list[tuple[int, IppAttributes]] = []
        current: IppAttributes | None = None
        while True:
            tag = self._byte()
            if tag == _Tag.END_OF_ATTRIBUTES:
                break
            if tag < _DELIMITER_LIMIT:
                current, self.last_name = {}, None
                groups.append((tag, current))
                continue
            if current is None:
                raise self._error("an attribute comes before any attribute group")
            self._attribute(tag, current)
        return IppResponse(
            version=(major, minor),
            status_code=status,
            request_id=request_id,
            operation=_first_group(groups, _Tag.OPERATION_ATTRIBUTES),
            printer=_first_group(groups, _Tag.PRINTER_ATTRIBUTES),
        )

    def _attribute(self, tag: int, group: IppAttributes) -> None:
        """Read one attribute value into ``group`` (a first value, or an additional one)."""
        name = self._text(self._short())
        if name:
            # A repeated attribute (RFC 8010 forbids it) is skipped: the first one counts.
            self.last_name, self.skipping = name, name in group
            if not self.skipping:
                group[name] = ()
        elif self.last_name is None:
            raise self._error("an additional value has no attribute before it")
        value = self._value(tag, depth=0)
        if value is not None and not self.skipping:
            group[self.last_name] = (*group[self.last_name], value)

    def _value(self, tag: int, depth: int) -> IppValue | None:
        raw = self._take(self._short())
        if tag == _Tag.BEGIN_COLLECTION:
            return self._collection(depth + 1)
        if tag in _OUT_OF_BAND:
            return None
        self.values += 1
        if self.values > MAX_VALUES:
            raise self._error(f"the answer has more than {MAX_VALUES} values")
        return self._interpret(tag, raw)

    def _interpret(self, tag: int, raw: bytes) -> IppValue:
        if tag in _INTEGERS:
            if len(raw) != _INTEGER_OCTETS:
                raise self._error(f"an integer value is {len(raw)} bytes long, not 4")
            number: int = _INTEGER.unpack(raw)[0]
            return number
        if tag == _Tag.BOOLEAN:
            if len(raw) != _BOOLEAN_OCTETS:
                raise self._error(f"a boolean value is {len(raw)} bytes long, not 1")
            return raw != b"\x00"
        if tag in _WITH_LANGUAGE:
            return self._with_language(raw)
        if tag in _CHARACTER_STRINGS:
            return raw.decode("utf-8", errors="replace")
        return raw  # octetString, dateTime, resolution, rangeOfInteger, extensions

    def _with_language(self, raw: bytes) -> str:
        """The text of a textWithLanguage / nameWithLanguage value (the language is dropped)."""
        if len(raw) < _SHORT.size:
            raise self._error("a value with language is too short")
        language_length: int = _SHORT.unpack_from(raw, 0)[0]
        text_at = _SHORT.size + language_length
        if len(raw) < text_at + _SHORT.size:
            raise self._error("a value with language is too short for its language")
        text_length: int = _SHORT.unpack_from(raw, text_at)[0]
        start = text_at + _SHORT.size
        if start + text_length != len(raw):
            raise self._error("a value with language does not match its own lengths")
        return raw[start:].decode("utf-8", errors="replace")

    def _collection(self, depth: int) -> IppCollection:
        if depth > MAX_COLLECTION_DEPTH:
            raise self._error(f"collections are nested deeper than {MAX_COLLECTION_DEPTH}")
        members: IppCollection = {}
        member: str | None = None
        while True:
            tag = self._byte()
            if tag < _DELIMITER_LIMIT:
                raise self._error("a collection is not closed before the next group")
            self._take(self._short())  # member attributes carry an empty name
            if tag == _Tag.END_COLLECTION:
                self._take(self._short())
                return members
            if tag == _Tag.MEMBER_NAME:
                member = self._text(self._short())
                if not member:
                    raise self._error("a collection member has an empty name")
                members.setdefault(member, ())
                continue
            if member is None:
                raise self._error("a collection value comes before its member name")
            value = self._value(tag, depth)
            if value is not None:
                members[member] = (*members[member], value)

    def _byte(self) -> int:
        if self.pos >= len(self.data):
            raise self._error("the answer ends before its end-of-attributes tag")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def _short(self) -> int:
        raw = self._take(_SHORT.size)
        length: int = _SHORT.unpack(raw)[0]
        return length

    def _take(self, size: int) -> bytes:
        end = self.pos + size
        if end > len(self.data):
            raise self._error(
                f"a length of {size} runs past the end of the answer "
                f"({len(self.data) - self.pos} bytes left)"
            )
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def _text(self, size: int) -> str:
        return self._take(size).decode("utf-8", errors="replace")

    def _error(self, what: str) -> ProbeError:
        return ProbeError(f"malformed IPP answer at byte {self.pos}: {what}")


def _first_group(groups: Sequence[tuple[int, IppAttributes]], tag: int) -> IppAttributes:
    return next((attributes for group_tag, attributes in groups if group_tag == tag), {})
