"""The pure charge rules: proration, timing, corrections, one-time, discounts, taxes, usage
quantities (ADR 0017)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ossbss.billing.charges import proration, recurring, taxes, usage_lines
from ossbss.billing.charges.recurring import Discount, Price, Segment
from ossbss.catalog.pricing import check_price
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.time import Period


def at(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


JAN = Period(at(1, 1), at(2, 1))
FIBRE = Price(key="p1:30", name="Fibre 300", price_type="recurring", amount_minor=Fraction(3000))
FIBRE_1000 = Price(
    key="p2:50", name="Fibre 1000", price_type="recurring", amount_minor=Fraction(5000)
)
ARREARS = Price(
    key="p3:30",
    name="Fibre 300",
    price_type="recurring",
    amount_minor=Fraction(3000),
    timing=recurring.IN_ARREARS,
)
SETUP = Price(key="s:49", name="Installation", price_type="oneTime", amount_minor=Fraction(4900))


def seg(start: datetime, end: datetime | None, active: bool, *prices: Price) -> Segment:
    return Segment(start, end, active, prices or (FIBRE,))


def amounts(drafts: list[recurring.Draft]) -> list[tuple[str, int]]:
    return [(d.description, d.amount_minor) for d in drafts]


def test_a_product_active_all_along_is_charged_the_next_period_only() -> None:
    drafts = recurring.recurring_drafts([seg(at(12, 1).replace(year=2025), None, True)], JAN)
    assert amounts(drafts) == [("Fibre 300, 1 Feb\u20131 Mar 2026 (in advance)", 3000)]


def test_activation_mid_cycle_in_advance_prorates_then_charges_ahead() -> None:
    drafts = recurring.recurring_drafts([seg(at(1, 12), None, True)], JAN)
    assert amounts(drafts) == [
        ("Fibre 300, 12 Jan\u20131 Feb 2026 (20 of 31 days)", 1935),  # 3000 x 20/31 = 1935.48
        ("Fibre 300, 1 Feb\u20131 Mar 2026 (in advance)", 3000),
    ]


def test_activation_mid_cycle_in_arrears_charges_what_happened() -> None:
    drafts = recurring.recurring_drafts([seg(at(1, 12), None, True, ARREARS)], JAN)
    assert amounts(drafts) == [("Fibre 300, 12 Jan\u20131 Feb 2026 (20 of 31 days)", 1935)]


def test_a_suspension_is_credited_on_the_next_bill() -> None:
    segments = [
        seg(at(12, 1).replace(year=2025), at(1, 20), True),
        seg(at(1, 20), at(1, 25), False),
        seg(at(1, 25), None, True),
    ]
    drafts = recurring.recurring_drafts(segments, JAN)
    # 19 + 7 active days: 1839 + 677 = 2516 charged for January, 3000 were in advance.
    assert amounts(drafts) == [
        (
            "Fibre 300, 1 Jan\u20131 Feb 2026: charged in advance for 31 days, active 26 "
            "(credit for the rest)",
            2516 - 3000,
        ),
        ("Fibre 300, 1 Feb\u20131 Mar 2026 (in advance)", 3000),
    ]


def test_a_termination_credits_the_rest_and_stops() -> None:
    segments = [
        seg(at(12, 1).replace(year=2025), at(1, 20, 12), True),
        seg(at(1, 20, 12), None, False),
    ]
    drafts = recurring.recurring_drafts(segments, JAN)
    assert amounts(drafts) == [
        (
            "Fibre 300, 1 Jan\u20131 Feb 2026: charged in advance for 31 days, active 19.5 "
            "(credit for the rest)",
            1887 - 3000,  # 3000 x 19.5/31 = 1887.1
        )
    ]


def test_a_plan_change_credits_the_old_price_and_charges_the_new_one() -> None:
    segments = [
        seg(at(12, 1).replace(year=2025), at(1, 25), True, FIBRE),
        seg(at(1, 25), None, True, FIBRE_1000),
    ]
    drafts = recurring.recurring_drafts(segments, JAN)
    assert [d.amount_minor for d in drafts] == [2323 - 3000, 1129, 5000]
    assert drafts[1].description == "Fibre 1000, 25 Jan\u20131 Feb 2026 (7 of 31 days)"


def test_one_time_prices_bill_once_on_the_activation_period() -> None:
    segments = [seg(at(1, 12), None, True, FIBRE, SETUP)]
    january = recurring.one_time_drafts(segments, JAN, at(1, 12), "Fibre 300")
    february = recurring.one_time_drafts(segments, Period(at(2, 1), at(3, 1)), at(1, 12), "F")
    assert amounts(january) == [("Installation, Fibre 300 (activated 12 Jan 2026)", 4900)]
    assert february == []
    assert recurring.one_time_drafts(segments, JAN, None, "Fibre 300") == []


def test_discounts_take_a_share_of_each_recurring_line() -> None:
    drafts = recurring.recurring_drafts([seg(at(1, 12), None, True)], JAN)
    ten = Discount("Welcome 10%", Fraction(10), None)
    five = Discount("Loyalty", None, Fraction(500))
    off = recurring.discount_drafts(drafts, [ten, five])
    assert [d.amount_minor for d in off] == [-194, -323, -300, -500]  # 193.5 -> 194 (even)
    assert off[0].description.startswith("Welcome 10% on Fibre 300, 12 Jan")
    expired = Discount("Old", Fraction(10), None, valid_to=at(1, 1))
    assert recurring.discount_drafts(drafts, [expired]) == []


def test_a_fixed_discount_never_exceeds_the_line() -> None:
    drafts = recurring.recurring_drafts([seg(at(1, 12), None, True)], JAN)
    off = recurring.discount_drafts(drafts, [Discount("Big", None, Fraction(10_000))])
    assert [d.amount_minor for d in off] == [-1935, -3000]


def test_a_period_of_whole_months_and_the_next() -> None:
    assert proration.whole_months(JAN) == 1
    assert proration.next_period(JAN) == Period(at(2, 1), at(3, 1))
    quarter = Period(at(1, 5), at(4, 5))
    assert proration.next_period(quarter) == Period(at(4, 5), at(7, 5))
    assert proration.price_periods(quarter, "month") == 3
    assert proration.price_periods(quarter, "year") == Fraction(1, 4)
    assert proration.price_periods(JAN, "day") == 31


def test_rounding_follows_the_currency() -> None:
    assert proration.to_minor("29.99", 2) == 2999
    assert proration.to_minor("3000", 0) == 3000  # JPY has no minor unit
    assert proration.prorate(Fraction(3000), 20, 31) == 1935
    assert proration.round_minor(Fraction(5, 2)) == 2  # half to even
    assert proration.round_minor(Fraction(7, 2)) == 4


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(min_value=0, max_value=10_000_000),
    cuts=st.lists(st.integers(min_value=1, max_value=31 * 86_400 - 1), max_size=8, unique=True),
)
def test_prorated_pieces_add_up_to_the_full_charge_within_rounding(
    amount: int, cuts: list[int]
) -> None:
    total = proration.span(JAN)
    bounds = [0, *sorted(cuts), total]
    pieces = [b - a for a, b in pairwise(bounds)]
    summed = sum(proration.prorate(Fraction(amount), piece, total) for piece in pieces)
    assert abs(summed - amount) <= len(pieces) / 2


def _timeline(changes: list[tuple[int, bool, bool]]) -> list[Segment]:
    """From Dec 2025, a change every few hours: (hours after the previous, active, plan)."""
    start = at(12, 1).replace(year=2025)
    segments: list[Segment] = []
    for hours, active, upgraded in changes:
        end = start + timedelta(hours=hours)
        segments.append(Segment(start, end, active, (FIBRE_1000 if upgraded else FIBRE,)))
        start = end
    segments.append(Segment(start, None, True, (FIBRE,)))
    return segments


def _advanced_for(segments: list[Segment], period: Period) -> int:
    state = next((s for s in segments if s.contains(period.start)), None)
    if state is None or not state.active:
        return 0
    return sum(proration.round_minor(recurring.full_charge(p, period)) for p in state.prices)


@settings(max_examples=150, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.integers(min_value=1, max_value=900), st.booleans(), st.booleans()),
        max_size=12,
    )
)
def test_in_advance_with_corrections_adds_up_to_in_arrears(
    changes: list[tuple[int, bool, bool]],
) -> None:
    segments = _timeline(changes)
    periods = [Period(at(m, 1), at(m + 1, 1)) for m in (1, 2, 3)]
    billed = sum(
        d.amount_minor for period in periods for d in recurring.recurring_drafts(segments, period)
    )
    happened = sum(
        d.amount_minor
        for period in periods
        for d in recurring.arrears_drafts_only(segments, period)
    )
    ahead = Period(at(4, 1), at(5, 1))
    assert billed == happened + _advanced_for(segments, ahead) - _advanced_for(segments, periods[0])


def test_tax_rates_by_country_and_category(tmp_path: Path) -> None:
    table = taxes.load()
    assert table.rate("FR", ["Broadband"]) == ("*", Decimal("20"))
    rates = tmp_path / "rates.toml"
    rates.write_text('[GB]\n"*" = "20"\nbooks = 0\n')
    custom = taxes.load(rates)
    assert custom.rate("gb", ["books", "x"]) == ("books", Decimal("0"))
    with pytest.raises(taxes.MissingTaxRate, match="country US and category 'Mobile'"):
        custom.rate("US", ["Mobile"])
    assert taxes.tax_minor(25, Decimal("10")) == 2  # 2.5 -> 2 (half to even)
    assert taxes.tax_minor(-1161, Decimal("20")) == -232
    rates.write_text('[GB]\n"*" = "120"\n')
    with pytest.raises(ValueError, match="0-100"):
        taxes.load(rates)


def test_usage_quantities_people_read() -> None:
    gib = 1024**3
    assert usage_lines.quantity("data", duration_seconds=0, bytes_total=gib * 6 // 5, events=0) == (
        "1.2 GB"
    )
    assert usage_lines.quantity("data", duration_seconds=0, bytes_total=5 * 1024**2, events=0) == (
        "5 MB"
    )
    assert usage_lines.quantity("voice", duration_seconds=7920, bytes_total=0, events=0) == (
        "132 min"
    )
    assert usage_lines.quantity("sms", duration_seconds=0, bytes_total=0, events=40) == "40 SMS"


def _price(**extra: object) -> dict[str, object]:
    return {
        "name": "p",
        "priceType": "recurring",
        "recurringChargePeriodType": "month",
        "price": {"unit": "EUR", "value": 10},
        **extra,
    }


def test_the_catalog_checks_billing_timing_and_discounts() -> None:
    assert check_price(_price(billingTiming="inArrears"))["billingTiming"] == "inArrears"
    with pytest.raises(InvalidInput) as error:
        check_price(_price(billingTiming="monthly"))
    assert error.value.field == "billingTiming"
    with pytest.raises(InvalidInput) as error:
        check_price(
            {
                "name": "d",
                "priceType": "oneTime",
                "price": {"unit": "EUR", "value": 1},
                "billingTiming": "inArrears",
            }
        )
    assert error.value.field == "billingTiming"
    assert check_price({"name": "d", "priceType": "discount", "percentage": 10})
    assert check_price({"name": "d", "priceType": "discount", "price": {"unit": "EUR", "value": 5}})
    for bad in ({"percentage": 120}, {}, {"percentage": 5, "price": {"unit": "EUR", "value": 1}}):
        with pytest.raises(InvalidInput):
            check_price({"name": "d", "priceType": "discount", **bad})
