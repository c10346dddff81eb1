"""The limits the agent fits readings to are the limits the messages enforce."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from remotecare.protocol.messages import Counter, DeviceStatus, PrinterReading, SerialSource
from remotecare.protocol.vocabulary import (
    SERIAL_MAX_CHARS,
    TEXT_MAX_CHARS,
    CounterName,
    CounterUnit,
    ItemList,
    capped,
    clipped,
)


def reading(**fields: object) -> PrinterReading:
    values: dict[str, object] = {
        "serial": "S1",
        "serial_source": SerialSource.PRINTER_MIB,
        "model": "M",
        "status": DeviceStatus(device_status="running"),
    }
    return PrinterReading.model_validate(values | fields)


def test_capped_counters_are_exactly_as_many_as_a_reading_takes() -> None:
    counters = [
        Counter(name=f"{CounterName.TOTAL}_marker_{n}", value=n, unit=CounterUnit.IMPRESSIONS)
        for n in range(200)
    ]
    kept = capped(counters, ItemList.COUNTERS)
    assert len(reading(counters=kept).counters) == len(kept) < len(counters)
    with pytest.raises(ValidationError):
        reading(counters=kept + counters[-1:])


def test_clipped_text_fits_the_model_and_marks_the_cut() -> None:
    model = clipped("x" * 1000, TEXT_MAX_CHARS)
    assert model.endswith("…")
    assert reading(model=model).model == model
    with pytest.raises(ValidationError):
        reading(model=model + "x")
    assert clipped("short", TEXT_MAX_CHARS) == "short"


def test_a_clipped_serial_fits_the_model() -> None:
    serial = clipped("S" * 500, SERIAL_MAX_CHARS)
    assert reading(serial=serial).serial == serial
    with pytest.raises(ValidationError):
        reading(serial=serial + "S")
