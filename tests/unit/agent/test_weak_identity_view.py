"""How the agent names and shows a printer known only by its weak identity."""

from __future__ import annotations

from remotecare.agent.poller import UNENROLLED, Site
from remotecare.agent.probe_view import render_reading, weak_identity_warning
from remotecare.agent.probes.snmp import parse_printer_url
from remotecare.protocol.identity import weak_serial
from remotecare.protocol.messages import DeviceStatus, PrinterReading, SerialSource

ENDPOINT = "0b6f0d0e-6c43-4a4f-9a5e-6d1c2e3f4a5b"
OID = "1.3.6.1.4.1.2385.3.1.112.1.2"


def reading(serial: str, source: SerialSource) -> PrinterReading:
    return PrinterReading(
        serial=serial,
        serial_source=source,
        model="Acme PX-9000",
        status=DeviceStatus(device_status="running"),
        sys_object_id=OID,
    )


def test_the_site_names_a_printer_by_its_address_as_sent_without_community() -> None:
    target = parse_printer_url("snmp://secret-community@192.0.2.10:161", {})

    namer = Site(ENDPOINT).weak_identity(target)

    assert namer(OID) == weak_serial(ENDPOINT, "snmp://192.0.2.10:161", OID)


def test_the_site_hashes_the_address_the_reports_carry() -> None:
    target = parse_printer_url("snmp://public@printer.example.com:161", {})
    pseudonymized = Site(ENDPOINT, lambda address: "snmp://pseud:0123456789abcdef:161")

    namer = pseudonymized.weak_identity(target)

    assert namer(OID) == weak_serial(ENDPOINT, "snmp://pseud:0123456789abcdef:161", OID)


def test_an_unenrolled_probe_names_it_differently_from_an_enrolled_agent() -> None:
    target = parse_printer_url("snmp://public@192.0.2.10:161", {})

    assert UNENROLLED.weak_identity(target)(OID) != Site(ENDPOINT).weak_identity(target)(OID)


def test_probe_shows_a_weak_identity_with_a_warning() -> None:
    weak = reading(weak_serial(ENDPOINT, "snmp://192.0.2.10:161", OID), SerialSource.WEAK)

    text = render_reading(weak, address="snmp://192.0.2.10:161")

    assert f"serial         {weak.serial} (from weak:address+sysObjectID)" in text
    assert "warning        the printer gave no serial number, vendor serial or MAC" in text
    assert "pending until an operator confirms it" in text
    assert "the identity this agent sends" in text


def test_probe_without_an_enrolled_home_says_the_identity_will_differ() -> None:
    weak = reading(weak_serial("unenrolled", "snmp://192.0.2.10:161", OID), SerialSource.WEAK)

    warning = weak_identity_warning(weak, enrolled=False)

    assert warning is not None
    assert "the agent's own will differ" in warning


def test_a_printer_with_its_own_serial_has_no_warning() -> None:
    real = reading("6509415X00", SerialSource.PRINTER_MIB)

    assert weak_identity_warning(real) is None
    assert "warning" not in render_reading(real, address="snmp://192.0.2.10:161")
