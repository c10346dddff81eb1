"""An order's lifecycle and the orders' CSV export, with plain values."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from remotecare.center.care.supplies.rules.lifecycle import OrderStatus, Transition, next_status
from remotecare.center.care.supplies.service import CSV_COLUMNS, SupplyOrder, orders_csv

AT = datetime(2026, 11, 2, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "transition", "expected"),
    [
        (OrderStatus.PROPOSED, Transition.APPROVE, OrderStatus.APPROVED),
        (OrderStatus.APPROVED, Transition.SHIP, OrderStatus.SHIPPED),
        (OrderStatus.SHIPPED, Transition.DELIVER, OrderStatus.DELIVERED),
        (OrderStatus.DELIVERED, Transition.CANCEL, OrderStatus.CANCELLED),
        (OrderStatus.PROPOSED, Transition.SHIP, None),
        (OrderStatus.APPROVED, Transition.DELIVER, None),
        (OrderStatus.INSTALLED, Transition.CANCEL, None),
        (OrderStatus.CANCELLED, Transition.APPROVE, None),
    ],
)
def test_an_order_moves_only_one_step_at_a_time(
    status: OrderStatus, transition: Transition, expected: OrderStatus | None
) -> None:
    assert next_status(status, transition) == expected


def an_order(**changes: object) -> SupplyOrder:
    values: dict[str, object] = dict.fromkeys(SupplyOrder.__dataclass_fields__)
    values |= {
        "id": "o-1",
        "status": OrderStatus.PROPOSED,
        "customer_id": 1,
        "customer": "株式会社アクメ",
        "printer_serial": "SER-1",
        "printer_model": "ACME 4500",
        "supply_index": 1,
        "supply_type": "toner",
        "cartridge_description": "Black Toner",
        "cartridge_installed_at": AT,
        "due_reason": "forecast",
        "days_to_empty": 6.25,
        "shipment_id": "s-1",
        "ship_to": "株式会社アクメ",
        "proposed_at": AT,
        "needs_person": False,
        "updated_at": AT,
    }
    return SupplyOrder(**(values | changes))  # type: ignore[arg-type]


def test_the_csv_export_is_utf8_with_a_byte_order_mark_for_spreadsheets() -> None:
    data = orders_csv([an_order()]).encode("utf-8")

    assert data.startswith(b"\xef\xbb\xbf")
    (row,) = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    assert tuple(row) == CSV_COLUMNS
    assert (row["customer"], row["days_to_empty"], row["needs_person"]) == (
        "株式会社アクメ",
        "6.2",
        "no",
    )
    assert row["proposed_at"] == "2026-11-02T01:00:00+00:00"


def test_text_a_spreadsheet_would_run_as_a_formula_is_defused() -> None:
    text = orders_csv([an_order(ship_to='=HYPERLINK("http://x")', cancel_reason="-1+2")])

    (row,) = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    assert row["ship_to"] == '\'=HYPERLINK("http://x")'
    assert row["cancel_reason"] == "'-1+2"
