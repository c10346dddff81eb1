"""The console display text and cover descriptions pass the site's pseudonymizer too."""

from __future__ import annotations

from remotecare.agent.privacy import PSEUDONYM_PREFIX, Pseudonymizer
from remotecare.protocol.messages import (
    Cover,
    DeviceStatus,
    PrinterReading,
    SerialSource,
)


def test_display_text_and_cover_descriptions_are_pseudonymized() -> None:
    reading = PrinterReading(
        serial="SN-1",
        serial_source=SerialSource.PRINTER_MIB,
        model="Acme",
        status=DeviceStatus(device_status="running"),
        covers=[Cover(index=1, description="Door of anna@example.com", status="open", open=True)],
        display_text=["Scan to anna@example.com failed", "Ready"],
    )
    safe = Pseudonymizer(bytes(32)).reading(reading)
    assert "anna@example.com" not in safe.model_dump_json()
    assert safe.display_text[0].startswith("Scan to " + PSEUDONYM_PREFIX)
    assert safe.display_text[1] == "Ready"
    assert safe.covers[0].description.startswith("Door of " + PSEUDONYM_PREFIX)
    assert (safe.covers[0].status, safe.covers[0].open) == ("open", True)
