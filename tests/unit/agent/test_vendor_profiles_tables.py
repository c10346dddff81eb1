"""Table-row counters: the loader's checks of the table form, and picking a row by its type.

No network: rows are given as walked values (``<entry>.<column>.<row index>``) written here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from remotecare.agent.vendor_profiles import (
    VendorProfile,
    counter_problems,
    find_row,
    load_profiles,
    parse_oid,
    vendor_counters,
)
from remotecare.errors import ConfigError

ENTRY = "1.3.6.1.4.1.99999.5.1"
COUNTER = """\
  - name: print_mono
    table: 1.3.6.1.4.1.99999.5.1
    match_column: 2
    match_value: 401
    value_column: 9
    unit: impressions
    source: "Acme MIB acmeCounterTable, test data"
"""
PROFILE = """\
name: acme
vendor: Acme
match:
  sys_object_id_prefixes: ["1.3.6.1.4.1.99999"]
counters:
  - name: total
    oid: 1.3.6.1.4.1.99999.1.0
    unit: impressions
    source: "Acme MIB acmeTotal, test data"
COUNTER"""

Values = dict[tuple[int, ...], int | bytes | str]


def load(tmp_path: Path, counter: str = COUNTER) -> VendorProfile:
    path = tmp_path / "acme.yaml"
    path.write_text(PROFILE.replace("COUNTER", counter), encoding="utf-8")
    [profile] = load_profiles([path])
    return profile


def rows(*entries: tuple[str, int, int | bytes | str]) -> Values:
    """``(row index, column, value)`` -> walked values of the Acme table."""
    return {parse_oid(f"{ENTRY}.{column}.{index}"): value for index, column, value in entries}


@pytest.fixture
def profile(tmp_path: Path) -> VendorProfile:
    return load(tmp_path)


# --- loading ------------------------------------------------------------------------------


def test_a_table_counter_loads_and_names_the_columns_to_walk(profile: VendorProfile) -> None:
    _total, mono = profile.counters
    assert (mono.name, mono.oid, mono.table) == ("print_mono", None, ENTRY)
    assert (mono.match_column, mono.match_value, mono.value_column) == (2, 401, 9)
    assert profile.oids == (parse_oid("1.3.6.1.4.1.99999.1.0"),)  # only scalars are GET
    assert profile.table_columns == (parse_oid(f"{ENTRY}.2"), parse_oid(f"{ENTRY}.9"))


def test_two_counters_of_one_table_walk_its_columns_once(tmp_path: Path) -> None:
    second = COUNTER.replace("print_mono", "print_colour").replace("401", "403")
    profile = load(tmp_path, COUNTER + second)
    assert profile.table_columns == (parse_oid(f"{ENTRY}.2"), parse_oid(f"{ENTRY}.9"))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # both forms, or an incomplete table form
        ("    table:", "    oid: 1.3.6.1.4.1.99999.2.0\n    table:"),
        ("    value_column: 9\n", ""),
        ("    match_column: 2\n", ""),
        ("    match_value: 401\n", ""),
        ("    table: 1.3.6.1.4.1.99999.5.1\n", ""),
        # numbers out of range or of the wrong type
        ("match_column: 2", "match_column: 0"),
        ("value_column: 9", "value_column: -1"),
        ("value_column: 9", "value_column: 4294967296"),
        ("match_value: 401", "match_value: 2147483648"),
        ("match_value: 401", "match_value: -2147483649"),
        ("match_value: 401", 'match_value: "401"'),
        ("match_value: 401", "match_value: true"),
        ("match_value: 401", "match_value: 401.5"),
        ("value_column: 9", "value_column: 2"),  # the value is not the type column
        # a bad table OID, an unknown or misspelt key
        ("table: 1.3.6.1.4.1.99999.5.1", "table: .1.3.6.1.4.1.99999.5.1"),
        ("table: 1.3.6.1.4.1.99999.5.1", "table: acmeCounterEntry"),
        ("    match_value: 401\n", "    match_values: 401\n"),
        ("    value_column: 9\n", "    value_column: 9\n    max_rows: 10\n"),
    ],
)
def test_a_bad_table_counter_is_refused_at_load(tmp_path: Path, old: str, new: str) -> None:
    assert old in COUNTER
    with pytest.raises(ConfigError, match=r"acme\.yaml.*invalid"):
        load(tmp_path, COUNTER.replace(old, new))


def test_a_scalar_counter_with_a_table_key_is_refused(tmp_path: Path) -> None:
    scalar = COUNTER.replace(
        "    table: 1.3.6.1.4.1.99999.5.1\n", "    oid: 1.3.6.1.4.1.99999.3.0\n"
    )
    with pytest.raises(ConfigError, match="not both"):
        load(tmp_path, scalar)


# --- picking the row ----------------------------------------------------------------------


def test_the_row_is_found_by_its_type_wherever_it_is(profile: VendorProfile) -> None:
    walked = rows(
        ("3", 2, 10), ("3", 9, 5000),  # machine total
        ("17", 2, 400), ("17", 9, 3000),  # print total
        ("40", 2, 401), ("40", 9, 2100),  # print black & white
        ("41", 2, 403), ("41", 9, 900),  # print full colour
    )  # fmt: skip
    mapping = profile.counters[1]
    assert find_row(mapping, walked) == (2100, "40", None)
    assert [(c.name, c.value, c.unit) for c in vendor_counters(profile, walked)] == [
        ("print_mono", 2100, "impressions")
    ]
    assert counter_problems(profile, walked) == {}


def test_a_row_index_of_several_parts_is_kept_whole(profile: VendorProfile) -> None:
    walked = rows(("1.7", 2, 401), ("1.7", 9, 42), ("7.1", 2, 403), ("7.1", 9, 1))
    assert find_row(profile.counters[1], walked) == (42, "1.7", None)


def test_a_table_the_printer_lacks_gives_no_counter_and_no_problem(
    profile: VendorProfile,
) -> None:
    walked = {parse_oid("1.3.6.1.4.1.99999.1.0"): 777}  # the scalar only
    assert [c.name for c in vendor_counters(profile, walked)] == ["total"]
    assert counter_problems(profile, walked) == {}


def test_a_table_without_the_row_gives_no_counter_and_no_problem(profile: VendorProfile) -> None:
    # A black-and-white machine has no colour row, a colour one may lack others: not a fault.
    walked = rows(("3", 2, 10), ("3", 9, 5000), ("41", 2, 403), ("41", 9, 900))
    assert vendor_counters(profile, walked) == []
    assert counter_problems(profile, walked) == {}


def test_a_type_found_twice_gives_no_counter_and_a_problem(profile: VendorProfile) -> None:
    walked = rows(("9", 2, 401), ("9", 9, 10), ("12", 2, 401), ("12", 9, 20))
    assert vendor_counters(profile, walked) == []  # neither 10, 20 nor their sum
    assert counter_problems(profile, walked) == {"print_mono": "2 rows with column 2 = 401 (9, 12)"}


@pytest.mark.parametrize("cell", [-1, b"2100", "2100"])
def test_a_value_cell_that_is_no_counter_gives_no_counter_and_a_problem(
    profile: VendorProfile, cell: int | bytes | str
) -> None:
    walked = rows(("40", 2, 401), ("40", 9, cell))
    assert vendor_counters(profile, walked) == []
    assert counter_problems(profile, walked)["print_mono"].startswith("row 40 is not a counter")


def test_a_matching_row_without_its_value_cell_gives_a_problem(profile: VendorProfile) -> None:
    walked = rows(("40", 2, 401), ("41", 2, 403), ("41", 9, 900))
    assert vendor_counters(profile, walked) == []
    assert counter_problems(profile, walked) == {"print_mono": "row 40 has no column 9"}


def test_a_type_cell_that_is_not_an_integer_never_matches(profile: VendorProfile) -> None:
    walked = rows(("40", 2, "401"), ("40", 9, 2100), ("41", 2, b"\x01\x91"), ("41", 9, 5))
    assert vendor_counters(profile, walked) == []
    assert counter_problems(profile, walked) == {}


def test_a_neighbouring_column_is_not_taken_for_the_type_column(profile: VendorProfile) -> None:
    # Column 20 starts with "2" as text: only column 2 itself holds types.
    walked = rows(("40", 20, 401), ("40", 9, 2100))
    assert find_row(profile.counters[1], walked) == (None, None, None)
