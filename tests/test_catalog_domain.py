"""catalog rules without a database: lifecycle, periods, bundles, money, tiers, frozen terms."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ossbss.catalog import amounts, domain, pricing
from ossbss.kernel import Conflict, InvalidInput, InvalidStateTransition

NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def _error(call: Any, *args: Any, **kwargs: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call(*args, **kwargs)
    return caught.value


# --- lifecycle ------------------------------------------------------------------------------


def test_default_status_and_last_update_on_create() -> None:
    document = domain.lifecycle_on_create({"name": "x"}, NOW)
    assert document["lifecycleStatus"] == "In study"
    assert document["lastUpdate"] == "2026-01-15T09:30:00.000Z"
    assert "validFor" not in document


def test_born_launched_gets_its_launch_instant_but_keeps_a_given_start() -> None:
    stamped = domain.lifecycle_on_create({"lifecycleStatus": "launched"}, NOW)
    assert stamped["lifecycleStatus"] == "Launched"
    assert stamped["validFor"] == {"startDateTime": "2026-01-15T09:30:00.000Z"}
    given_start = {
        "lifecycleStatus": "Launched",
        "validFor": {"startDateTime": "2025-12-01T00:00:00Z"},
    }
    assert (
        domain.lifecycle_on_create(given_start, NOW)["validFor"]["startDateTime"]
        == "2025-12-01T00:00:00Z"
    )


@pytest.mark.parametrize("status", ["Retired", "Obsolete", "Rejected", "Live"])
def test_a_new_entity_cannot_start_past_launch_or_in_an_unknown_state(status: str) -> None:
    assert (
        _error(domain.lifecycle_on_create, {"lifecycleStatus": status}, NOW).field
        == "lifecycleStatus"
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("In study", "Launched"),
        ("In design", "Launched"),
        ("In test", "In design"),
        ("Active", "Launched"),
        ("In study", "Rejected"),
        ("Launched", "Retired"),
        ("Retired", "Launched"),
        ("Retired", "Obsolete"),
    ],
)
def test_allowed_moves(old: str, new: str) -> None:
    moved = domain.lifecycle_on_update({"lifecycleStatus": old}, {"lifecycleStatus": new}, NOW)
    assert moved["lifecycleStatus"] == new


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Launched", "In design"),
        ("Launched", "Obsolete"),
        ("In study", "Retired"),
        ("Obsolete", "Launched"),
        ("Rejected", "In study"),
    ],
)
def test_refused_moves(old: str, new: str) -> None:
    with pytest.raises(InvalidStateTransition):
        domain.lifecycle_on_update({"lifecycleStatus": old}, {"lifecycleStatus": new}, NOW)


@given(st.sampled_from(domain.LIFECYCLE_STATES), st.sampled_from(domain.LIFECYCLE_STATES))
def test_the_machine_is_closed_and_final_states_are_final(old: str, new: str) -> None:
    assert domain.LIFECYCLE[old] <= set(domain.LIFECYCLE_STATES)
    if old in ("Obsolete", "Rejected"):
        assert new not in domain.LIFECYCLE[old]
    if new == "Retired" and old != "Launched":
        assert new not in domain.LIFECYCLE[old]


def test_period_ending_before_it_starts_is_refused() -> None:
    period = {"startDateTime": "2026-02-01T00:00:00Z", "endDateTime": "2026-01-01T00:00:00Z"}
    error = _error(domain.lifecycle_on_create, {"validFor": period}, NOW)
    assert error.field == "validFor.endDateTime"


@given(
    st.datetimes(timezones=st.just(UTC)),
    st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=3650)),
)
def test_validity_is_half_open(start: datetime, length: timedelta) -> None:
    end = start + length
    document = {"validFor": {"startDateTime": start.isoformat(), "endDateTime": end.isoformat()}}
    assert domain.is_valid_at(document, start)
    assert not domain.is_valid_at(document, end)
    assert not domain.is_valid_at(document, start - timedelta(microseconds=1))
    assert domain.is_valid_at({}, start)


# --- bundles and categories -----------------------------------------------------------------


def test_bundle_rules() -> None:
    assert _error(domain.check_bundle, {"isBundle": True}, "bundledProductOffering").field == (
        "bundledProductOffering"
    )
    not_bundle = {"bundledProductOffering": [{"id": "a"}]}
    assert _error(domain.check_bundle, not_bundle, "bundledProductOffering").field == "isBundle"
    twice = {"isBundle": True, "bundledProductOffering": [{"id": "a"}, {"id": "a"}]}
    error = _error(domain.check_bundle, twice, "bundledProductOffering")
    assert error.field == "bundledProductOffering[1].id"
    domain.check_bundle(
        {"isBundle": True, "bundledProductOffering": [{"id": "a"}]}, "bundledProductOffering"
    )


def test_reaches_finds_cycles_and_stops_on_loops() -> None:
    graph = {"a": ["b"], "b": ["c", "a"], "c": []}
    assert domain.reaches(["a"], "c", lambda node: graph.get(node, []))
    assert not domain.reaches(["c"], "a", lambda node: graph.get(node, []))
    assert not domain.reaches(["a"], "z", lambda node: graph.get(node, []))


def test_category_root_is_derived_or_must_agree() -> None:
    assert domain.check_category_root({"name": "x"})["isRoot"] is True
    assert domain.check_category_root({"parentId": "p"})["isRoot"] is False
    assert _error(domain.check_category_root, {"isRoot": True, "parentId": "p"}).field == "isRoot"
    assert _error(domain.check_category_root, {"isRoot": False}).field == "parentId"


# --- money ----------------------------------------------------------------------------------


def test_money_is_read_exactly_into_integer_units() -> None:
    amount = amounts.parse_money({"unit": "EUR", "value": 29.99}, "price")
    assert (amount.currency, amount.units, amount.scale) == ("EUR", 2999, 2)
    assert amounts.parse_money({"unit": "JPY", "value": 500}, "price").units == 500
    assert amounts.parse_money({"unit": "BHD", "value": 1.125}, "price").units == 1125


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"unit": "XYZ", "value": 1}, "price.unit"),
        ({"unit": "eur", "value": 1}, "price.unit"),
        ({"value": 1}, "price.unit"),
        ({"unit": "EUR"}, "price.value"),
        ({"unit": "EUR", "value": -0.01}, "price.value"),
        ({"unit": "EUR", "value": 0.001}, "price.value"),
        ({"unit": "JPY", "value": 0.5}, "price.value"),
        ({"unit": "EUR", "value": True}, "price.value"),
        ({"unit": "EUR", "value": "10"}, "price.value"),
        ({"unit": "EUR", "value": 1e40}, "price.value"),
        ("29.99 EUR", "price"),
    ],
)
def test_bad_money_names_the_field(raw: Any, field: str) -> None:
    assert _error(amounts.parse_money, raw, "price").field == field


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["EUR", "JPY", "BHD", "USD"]))
def test_any_exact_amount_round_trips_through_its_json_number(units: int, currency: str) -> None:
    from ossbss.kernel import minor_unit_exponent

    value = Decimal(units).scaleb(-minor_unit_exponent(currency))
    amount = amounts.parse_money({"unit": currency, "value": float(value)}, "price")
    assert amount.units == units
    assert amount.to_money().minor == units


def test_usage_rates_may_be_finer_than_a_minor_unit() -> None:
    rate = amounts.parse_money(
        {"unit": "EUR", "value": 0.0035}, "p", extra_digits=amounts.RATE_DIGITS
    )
    assert (rate.units, rate.scale) == (3500, 6)
    assert rate.to_decimal() == Decimal("0.0035")


# --- price documents ------------------------------------------------------------------------

EUR = {"unit": "EUR", "value": 10}


def test_recurring_period_is_normalised_and_defaulted() -> None:
    price = pricing.check_price(
        {"priceType": "recurring", "recurringChargePeriodType": "Monthly", "price": EUR}
    )
    assert (price["recurringChargePeriodType"], price["recurringChargePeriodLength"]) == (
        "month",
        1,
    )
    error = _error(
        pricing.check_price,
        {
            "priceType": "recurring",
            "recurringChargePeriodType": "month",
            "recurringChargePeriodLength": 0,
            "price": EUR,
        },
    )
    assert error.field == "recurringChargePeriodLength"


def test_untyped_price_is_a_draft_without_type_specific_terms() -> None:
    assert pricing.check_price({"name": "x"}) == {"name": "x"}
    assert _error(pricing.check_price, {"tier": []}).field == "priceType"


def test_usage_extension_is_typed_and_checked() -> None:
    price = pricing.check_price(
        {
            "priceType": "usage",
            "unitOfMeasure": {"units": "minute"},
            "includedQuantity": {"amount": 100, "units": "minute"},
            "price": {"unit": "EUR", "value": 0.015},
        }
    )
    assert price["@type"] == "UsageProductOfferingPrice"
    mismatch = {
        "priceType": "usage",
        "unitOfMeasure": {"units": "minute"},
        "includedQuantity": {"amount": 100, "units": "MB"},
        "price": EUR,
    }
    assert _error(pricing.check_price, mismatch).field == "includedQuantity.units"
    kept = pricing.check_price(
        {**mismatch, "includedQuantity": {"units": "minute"}, "@type": "AcmeUsage"}
    )
    assert kept["@type"] == "AcmeUsage"


def test_tax_amounts_share_the_price_currency() -> None:
    tax = [{"taxAmount": {"unit": "USD", "value": 2}, "taxRate": 20}]
    error = _error(pricing.check_price, {"priceType": "oneTime", "price": EUR, "tax": tax})
    assert error.field == "tax[0].taxAmount.unit"


@st.composite
def tier_bounds(draw: st.DrawFn) -> list[int]:
    widths = draw(st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=6))
    bounds = [0]
    for width in widths:
        bounds.append(bounds[-1] + width)
    return bounds


def _tiers(bounds: list[int], open_ended: bool) -> list[dict[str, Any]]:
    tiers: list[dict[str, Any]] = [
        {"fromQuantity": low, "toQuantity": high, "price": EUR}
        for low, high in itertools.pairwise(bounds)
    ]
    if open_ended:
        tiers.append({"fromQuantity": bounds[-1], "price": EUR})
    return tiers


@given(tier_bounds(), st.booleans(), st.integers(min_value=0, max_value=50_000))
def test_contiguous_tiers_are_accepted_and_every_quantity_falls_in_at_most_one(
    bounds: list[int], open_ended: bool, quantity: int
) -> None:
    tiers = pricing.parse_tiers(_tiers(bounds, open_ended))
    hits = [tier for tier in tiers if tier.contains(Decimal(quantity))]
    covered = open_ended or quantity < bounds[-1]
    assert len(hits) == (1 if covered else 0)


@given(tier_bounds(), st.integers(min_value=-5, max_value=5).filter(lambda shift: shift != 0))
def test_a_shifted_tier_start_is_a_gap_or_an_overlap(bounds: list[int], shift: int) -> None:
    tiers = _tiers(bounds, open_ended=True)
    tiers[-1]["fromQuantity"] = bounds[-1] + shift
    if tiers[-1]["fromQuantity"] < 0:
        return
    index = len(tiers) - 1
    error = _error(pricing.parse_tiers, tiers)
    assert error.field in (f"tier[{index}].fromQuantity", f"tier[{index - 1}].toQuantity")


# --- frozen terms ---------------------------------------------------------------------------


def test_changed_terms_ignore_names_and_the_end_of_validity() -> None:
    old = {"name": "a", "price": EUR, "validFor": {"startDateTime": "2026-01-01T00:00:00Z"}}
    ended = {
        **old,
        "name": "b",
        "validFor": {**old["validFor"], "endDateTime": "2026-06-01T00:00:00Z"},
    }
    assert pricing.changed_terms(old, ended) == []
    repriced = {**old, "price": {"unit": "EUR", "value": 11}}
    assert pricing.changed_terms(old, repriced) == ["price"]
    moved = {**old, "validFor": {"startDateTime": "2025-01-01T00:00:00Z"}}
    assert pricing.changed_terms(old, moved) == ["validFor.startDateTime"]


def test_state_transition_errors_are_conflicts() -> None:
    assert issubclass(InvalidStateTransition, Conflict)


def test_read_model_of_a_tiered_usage_price() -> None:
    document = {
        "name": "data",
        "priceType": "usage",
        "lifecycleStatus": "Launched",
        "unitOfMeasure": {"amount": 1, "units": "MB"},
        "includedQuantity": {"amount": 1024, "units": "MB"},
        "tier": [
            {"fromQuantity": 0, "toQuantity": 1024, "price": {"unit": "EUR", "value": 0}},
            {"fromQuantity": 1024, "price": {"unit": "EUR", "value": 0.0035}},
        ],
        "validFor": {"startDateTime": "2026-01-01T00:00:00Z"},
    }
    price = pricing.read_price("p1", document)
    assert price.unit_of_measure == "MB"
    assert price.included_quantity == Decimal(1024)
    assert price.tiers[1].price.duty_free is not None
    assert price.tiers[1].price.duty_free.to_decimal() == Decimal("0.0035")
    assert price.valid_from == datetime(2026, 1, 1, tzinfo=UTC)
    assert price.amount is None
