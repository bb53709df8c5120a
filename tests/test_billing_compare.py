"""The draft vs the previous cycle: every changed (product, type) with its reason, and the
totals delta; compare_run reads a run's bills and each account's previous issued bill."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from billing_rows import FEBRUARY, JANUARY, Line, bill, run
from ossbss.billing.compare import compare_run
from ossbss.bootstrap import Platform
from ossbss.kernel.errors import NotFound

MID_FEBRUARY = (datetime(2026, 2, 15, tzinfo=UTC), FEBRUARY[1])


def _reasons(platform: Platform, previous: list[Line], current: list[Line]) -> dict[str, str]:
    with platform.database.unit_of_work() as session:
        bill(session, account_id="A", lines=previous, bill_no="TEST-1")
        run_id = run(session, period=FEBRUARY)
        bill(session, account_id="A", lines=current, period=FEBRUARY, run_id=run_id, state="new")
    with platform.database.unit_of_work() as session:
        [comparison] = compare_run(session, run_id=run_id)
    return {f"{d.product_id}/{d.type}": d.reason for d in comparison.lines}


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        ([Line("f", "recurring", 3000)], [Line("f", "recurring", 3500)], "price changed"),
        (
            [Line("f", "recurring", 3000)],
            [Line("f", "recurring", 1500, period=MID_FEBRUARY)],
            "proration",
        ),
        (
            [Line("f", "usage", 100, quantity="10.5 GB")],
            [Line("f", "usage", 300, quantity="30 GB")],
            "usage up by 19.5 GB",
        ),
        (
            [Line("f", "usage", 300, quantity="30 GB")],
            [Line("f", "usage", 100, quantity="10 GB")],
            "usage down by 20 GB",
        ),
        ([Line("f", "discount", -300)], [Line("f", "discount", -500)], "discount change"),
        (
            [Line("f", "recurring", 3000, tax_rate="20")],
            [Line("f", "recurring", 3000, tax_rate="10")],
            "tax change (20% -> 10%)",
        ),
    ],
)
def test_reason_of_a_changed_line(
    platform: Platform, previous: list[Line], current: list[Line], expected: str
) -> None:
    reasons = _reasons(platform, previous, current)
    assert list(reasons.values()) == [expected]


def test_new_and_ended_products_and_unchanged_lines(platform: Platform) -> None:
    reasons = _reasons(
        platform,
        [Line("f", "recurring", 3000), Line("tv", "recurring", 1000)],
        [Line("f", "recurring", 3000), Line("phone", "recurring", 500), Line("f", "oneTime", 49)],
    )
    assert reasons == {
        "phone/recurring": "new product",
        "tv/recurring": "product ended",
        "f/oneTime": "new oneTime charge",
    }


def test_totals_delta_and_an_account_without_history(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        bill(session, account_id="A", lines=[Line("f", "recurring", 1000)], bill_no="INV-1")
        run_id = run(session, period=FEBRUARY)
        bill(
            session,
            account_id="A",
            lines=[Line("f", "recurring", 1500)],
            period=FEBRUARY,
            run_id=run_id,
            state="new",
        )
        bill(
            session,
            account_id="B",
            lines=[Line("g", "recurring", 700)],
            period=FEBRUARY,
            run_id=run_id,
            state="new",
        )
    with platform.database.unit_of_work() as session:
        a, b = compare_run(session, run_id=run_id)
        only_b = compare_run(session, run_id=run_id, account_id="B")
        with pytest.raises(NotFound):
            compare_run(session, run_id="nope")
    assert (a.previous_total_minor, a.current_total_minor, a.delta_minor) == (1200, 1800, 600)
    assert b.previous_bill_id is None
    assert [d.reason for d in b.lines] == ["new product"]
    assert [c.billing_account_id for c in only_b] == ["B"]
    assert JANUARY[1] == FEBRUARY[0]
