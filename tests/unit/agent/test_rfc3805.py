"""The RFC 3805 / RFC 2790 enumerations: numbers on the wire, MIB names in readings."""

from __future__ import annotations

import pytest

from remotecare.agent import rfc3805
from remotecare.agent.rfc3805 import (
    RECEPTACLE_TYPES,
    DetectedError,
    MibEnum,
    PrtMarkerSuppliesType,
    mib_names,
)

ENUMERATIONS = [
    value
    for value in vars(rfc3805).values()
    if isinstance(value, type) and issubclass(value, MibEnum) and value is not MibEnum
]


def test_a_member_is_its_wire_number_and_knows_its_mib_name() -> None:
    assert int(PrtMarkerSuppliesType.WASTE_TONER) == 4
    assert mib_names(PrtMarkerSuppliesType)[4] == "wasteToner"
    assert str(PrtMarkerSuppliesType.WASTE_TONER) == "4"  # what the demo fleet writes


@pytest.mark.parametrize("kind", ENUMERATIONS, ids=lambda kind: kind.__name__)
def test_every_enumeration_has_one_name_per_number(kind: type[MibEnum]) -> None:
    names = mib_names(kind)
    assert len(names) == len(kind) == len(set(names.values()))


def test_detected_error_bits_are_the_fifteen_of_rfc_2790() -> None:
    assert [bit.value for bit in DetectedError] == list(range(15))
    assert DetectedError.OVERDUE_PREVENT_MAINT.mib_name == "overduePreventMaint"


def test_receptacles_are_the_waste_types() -> None:
    waste = {name for name in mib_names(PrtMarkerSuppliesType).values() if name.startswith("waste")}
    assert waste == RECEPTACLE_TYPES
