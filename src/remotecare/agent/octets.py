"""Turn the octet strings printers send into text, one way for every protocol.

SNMP DisplayStrings, vendor-MIB serial numbers and IPP octetString values all come
through :func:`decode_text`, so a serial number reads the same whichever table held it::

    decode_text(b"\\x00\\x00SERIAL123\\x00garbage")  # "SERIAL123"
"""

from __future__ import annotations

__all__ = ["decode_text"]

_NUL = b"\x00"


def decode_text(value: int | bytes | str | None) -> str | None:
    """Decode an OCTET STRING robustly: UTF-8, else latin-1; None when empty.

    Leading NULs are dropped and the text ends at the first NUL after them (C-style
    padding, sometimes followed by garbage); surrounding whitespace is stripped. An
    integer (a column of the wrong type) is no text.
    """
    if value is None or isinstance(value, int):
        return None
    raw = value.encode() if isinstance(value, str) else value
    raw = raw.lstrip(_NUL).split(_NUL, 1)[0]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.strip() or None
