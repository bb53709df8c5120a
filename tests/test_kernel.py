"""Kernel rules as properties: money, periods, merge patch, query parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ossbss.kernel import InvalidInput, Money, Period, UnknownCurrency, parse_datetime
from ossbss.tmf import merge_patch, parse_list_query

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["EUR", "JPY", "BHD"]))
def test_money_round_trips_through_decimal(minor: int, currency: str) -> None:
    money = Money(currency, minor)
    assert Money.from_decimal(money.to_decimal(), currency) == money


def test_money_rounds_half_even_to_the_currency_minor_unit() -> None:
    assert Money.from_decimal(Decimal("0.125"), "EUR").minor == 12
    assert Money.from_decimal(Decimal("0.135"), "EUR").minor == 14
    assert Money.from_decimal(Decimal("100.5"), "JPY").minor == 100
    assert Money.from_decimal("1.2345", "BHD").minor == 1234


def test_money_refuses_floats_unknown_currencies_and_mixing() -> None:
    with pytest.raises(TypeError):
        Money("EUR", 1.5)  # type: ignore[arg-type]
    with pytest.raises(UnknownCurrency):
        Money("XYZ", 1)
    with pytest.raises(ValueError, match="mix"):
        Money("EUR", 1) + Money("USD", 1)


@given(json_values, json_values)
def test_merge_patch_removes_nulls_replaces_non_objects_and_is_idempotent(
    target: object, patch: object
) -> None:
    result = merge_patch(target, patch)
    if isinstance(patch, dict):
        for key, value in patch.items():
            if value is None:
                assert key not in result
    else:
        assert result == patch
    assert merge_patch(result, patch) == result  # idempotent


@given(st.datetimes(timezones=st.just(UTC)), st.integers(min_value=0, max_value=10**6))
def test_periods_are_half_open(start: datetime, seconds: int) -> None:
    period = Period(start, start + timedelta(seconds=seconds))
    assert period.contains(start) is (seconds > 0)
    assert not period.contains(start + timedelta(seconds=seconds))
    later = Period(start + timedelta(seconds=seconds))
    assert not period.overlaps(later)


def test_a_period_may_not_end_before_it_starts_and_needs_a_zone() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="ends before"):
        Period(start, start - timedelta(seconds=1))
    with pytest.raises(ValueError, match="naive"):
        Period(datetime(2026, 1, 1))


def test_timestamps_without_a_zone_are_read_as_utc() -> None:
    assert parse_datetime("2026-01-01") == datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_datetime("2026-01-01T10:00:00+02:00") == datetime(2026, 1, 1, 8, tzinfo=UTC)


def test_query_parsing_splits_operators_or_values_and_paging() -> None:
    query = parse_list_query(
        [
            ("offset", "20"),
            ("limit", "5000"),
            ("state", "a,b"),
            ("orderDate.gte", "2026-01-01"),
            ("sort", "-name,id"),
            ("fields", "name,state"),
        ]
    )
    assert query.offset == 20
    assert query.limit == 1000
    assert [(f.path, f.op, f.values) for f in query.filters] == [
        ("state", "eq", ("a", "b")),
        ("orderDate", "gte", ("2026-01-01",)),
    ]
    assert [(k.path, k.descending) for k in query.sort] == [("name", True), ("id", False)]
    assert query.fields == ("name", "state")
    with pytest.raises(InvalidInput):
        parse_list_query([("limit", "ten")])
