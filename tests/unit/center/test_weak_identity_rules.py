"""The center's rules for weak identities: what it accepts, and which weak printer a newly
identified printer was."""

from __future__ import annotations

import json

from remotecare.center.fleet.rules.binding import Binding, BindingPolicy
from remotecare.center.fleet.rules.identity import former_weak_serial, weak_identity_problem
from remotecare.center.web.metrics import REFUSAL_REASONS, refusal_reason
from remotecare.protocol.identity import weak_serial
from remotecare.protocol.messages import DeviceStatus, PrinterReading, SerialSource

ENDPOINT = "0b6f0d0e-6c43-4a4f-9a5e-6d1c2e3f4a5b"
ADDRESS = "snmp://192.0.2.10:161"
OID = "1.3.6.1.4.1.2385.3.1.112.1.2"


def reading(serial: str, source: SerialSource, sys_object_id: str | None = OID) -> PrinterReading:
    return PrinterReading(
        serial=serial,
        serial_source=source,
        model="Acme PX-9000",
        status=DeviceStatus(device_status="running"),
        sys_object_id=sys_object_id,
    )


WEAK = reading(weak_serial(ENDPOINT, ADDRESS, OID), SerialSource.WEAK)


def test_a_weak_identity_made_by_the_rule_is_accepted() -> None:
    assert weak_identity_problem(ENDPOINT, ADDRESS, WEAK) is None


def test_a_weak_identity_of_another_address_is_refused() -> None:
    problem = weak_identity_problem(ENDPOINT, "snmp://192.0.2.99:161", WEAK)

    assert problem is not None
    assert "does not follow the rule" in problem
    assert "192.0.2.99" in problem


def test_a_weak_identity_made_by_another_endpoint_is_refused() -> None:
    assert weak_identity_problem("9c1f8a3e-0000-4000-8000-000000000001", ADDRESS, WEAK)


def test_a_weak_identity_with_another_sys_object_id_is_refused() -> None:
    changed = WEAK.model_copy(update={"sys_object_id": "1.3.6.1.4.1.11"})

    assert weak_identity_problem(ENDPOINT, ADDRESS, changed)


def test_an_invented_weak_serial_is_refused() -> None:
    invented = reading("weak:00000000000000000000000000000000", SerialSource.WEAK)

    assert weak_identity_problem(ENDPOINT, ADDRESS, invented)


def test_a_weak_shaped_serial_from_another_source_is_refused() -> None:
    disguised = reading(WEAK.serial, SerialSource.PRINTER_MIB)

    problem = weak_identity_problem(ENDPOINT, ADDRESS, disguised)

    assert problem is not None
    assert problem.startswith(f"weak identity {WEAK.serial} sent with serial_source")
    assert "only weak:address+sysObjectID may carry one" in problem


def test_a_real_serial_is_accepted() -> None:
    assert (
        weak_identity_problem(ENDPOINT, ADDRESS, reading("6509415X00", SerialSource.PRINTER_MIB))
        is None
    )


def test_a_real_serial_names_the_weak_identity_it_had_at_the_same_address() -> None:
    real = reading("6509415X00", SerialSource.PRINTER_MIB)

    assert former_weak_serial(ENDPOINT, ADDRESS, real) == WEAK.serial
    assert former_weak_serial(ENDPOINT, "snmp://192.0.2.11:161", real) != WEAK.serial


def test_a_weak_reading_has_no_former_weak_identity() -> None:
    assert former_weak_serial(ENDPOINT, ADDRESS, WEAK) is None


def test_a_weak_printer_waits_for_an_operator_whatever_the_policy() -> None:
    assert Binding.for_new_printer(BindingPolicy.AUTOMATIC, weak=True) is Binding.PENDING
    assert Binding.for_new_printer(BindingPolicy.CONFIRM, weak=True) is Binding.PENDING
    assert Binding.for_new_printer(BindingPolicy.AUTOMATIC) is Binding.BOUND


def test_a_refused_weak_identity_is_counted_under_its_own_label() -> None:
    problem = weak_identity_problem("9c1f8a3e-0000-4000-8000-000000000001", ADDRESS, WEAK)
    body = json.dumps({"error": problem}).encode()

    assert refusal_reason(403, body) == "weak_identity_refused"
    assert "weak_identity_refused" in REFUSAL_REASONS
