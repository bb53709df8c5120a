"""Credit notes (an issued bill is never changed; the credit is a new bill, in the ledger, and
reduces what remains due) and adjustments (pending until the next bill carries them)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from billing_rows import Line, bill
from ossbss import account
from ossbss.billing.adjustments import (
    add_adjustment,
    mark_adjustments_billed,
    pending_adjustments,
)
from ossbss.billing.credit import LineAmount, credit_note, split_credit
from ossbss.billing.models import Bill, BillLine
from ossbss.bootstrap import Platform
from ossbss.kernel.errors import Conflict, InvalidInput, NotFound
from tmf_cases import ACCOUNT, _billing_account, create

NOW = datetime(2026, 2, 10, tzinfo=UTC)
# 30.00 at 20% (+6.00) and 10.00 at 5.5% (+0.55): 46.55 tax included
LINES = [Line("fibre", "recurring", 3000), Line("tv", "recurring", 1000, tax_rate="5.5")]


def test_split_adds_up_to_the_credit_and_keeps_each_lines_tax_ratio() -> None:
    lines = [LineAmount("a", 3000, 600), LineAmount("b", 1000, 55), LineAmount("d", -500, -100)]
    shares = split_credit(lines, 1001)
    assert sum(s.amount_minor + s.tax_minor for s in shares) == 1001
    assert {s.key for s in shares} == {"a", "b"}  # a discount line takes no share
    a = next(s for s in shares if s.key == "a")
    assert a.tax_minor * 6 == pytest.approx(a.amount_minor + a.tax_minor, abs=6)  # 20% of excl


def test_split_of_nothing_is_nothing() -> None:
    assert split_credit([LineAmount("a", 100, 20)], 0) == []
    assert split_credit([LineAmount("a", -100, -20)], 50) == []


def test_partial_credit_note_is_a_new_bill_the_ledger_and_the_remaining_due(
    platform: Platform,
) -> None:
    # tax_minor of 10.00 at 5.5% rounds to 55
    with platform.database.unit_of_work() as session:
        original_id = bill(session, account_id="A", lines=LINES, bill_no="TEST-1")
    with platform.database.unit_of_work() as session:
        note = credit_note(
            session, bill_id=original_id, amount_minor=1000, reason="outage", now=NOW
        )
        note_id, note_no = note.id, note.bill_no
    with platform.database.unit_of_work() as session:
        original = session.scalars(select(Bill).where(Bill.id == original_id)).one()
        note = session.scalars(select(Bill).where(Bill.id == note_id)).one()
        assert (original.amount_incl_tax_minor, original.remaining_minor) == (4655, 3655)
        assert original.state == "partiallyPaid"
        assert note.kind == "creditNote"
        assert note.corrects_bill_id == original_id
        assert note.amount_incl_tax_minor == -1000
        assert note.amount_excl_tax_minor + note.tax_minor == -1000
        assert note_no == "INV-2026-000001"  # the gapless series of the bill run
        lines = list(session.scalars(select(BillLine).where(BillLine.bill_id == note_id)))
        assert {line.type for line in lines} == {"credit"}
        assert {line.tax_rate for line in lines} == {"20", "5.5"}
        credit = [
            e for e in account.ledger_entries(session, billing_account_id="A") if e.kind == "credit"
        ]
        assert [e.amount_minor for e in credit] == [-1000]  # RECEIVABLE leg
        assert account.account_balance(session, billing_account_id="A") == {"EUR": 3655}


def test_over_credit_is_a_conflict_and_nothing_is_issued(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        original_id = bill(session, account_id="A", lines=LINES, bill_no="TEST-1")
        credit_note(session, bill_id=original_id, amount_minor=4000, reason="first", now=NOW)
    with pytest.raises(Conflict) as refused, platform.database.unit_of_work() as session:
        credit_note(session, bill_id=original_id, amount_minor=656, reason="again", now=NOW)
    assert refused.value.field == "amount"
    assert "655" in (refused.value.detail or "")
    with platform.database.unit_of_work() as session:
        notes = session.scalars(select(Bill).where(Bill.kind == "creditNote")).all()
        assert len(notes) == 1


def test_full_credit_mirrors_every_line_and_settles_the_bill(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        original_id = bill(session, account_id="A", lines=LINES, bill_no="TEST-1")
        note = credit_note(session, bill_id=original_id, amount_minor=4655, reason="void", now=NOW)
        lines = session.scalars(select(BillLine).where(BillLine.bill_id == note.id)).all()
        assert sorted((line.amount_minor, line.tax_minor) for line in lines) == [
            (-3000, -600),
            (-1000, -55),
        ]
        original = session.scalars(select(Bill).where(Bill.id == original_id)).one()
        assert (original.state, original.remaining_minor) == ("settled", 0)
        assert account.account_balance(session, billing_account_id="A") == {"EUR": 0}


def test_credit_on_a_paid_bill_stays_as_account_credit(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        original_id = bill(session, account_id="A", lines=LINES, bill_no="TEST-1", state="settled")
        session.scalars(select(Bill).where(Bill.id == original_id)).one().remaining_minor = 0
        account.post_transaction(
            session,
            kind="payment",
            currency="EUR",
            postings=[
                account.Posting("A", account.CASH, 4655),
                account.Posting("A", account.RECEIVABLE, -4655),
            ],
            reference_type="payment",
            reference_id="p",
            now=NOW,
        )
        credit_note(session, bill_id=original_id, amount_minor=500, reason="goodwill", now=NOW)
        original = session.scalars(select(Bill).where(Bill.id == original_id)).one()
        assert (original.state, original.remaining_minor) == ("settled", 0)
        assert account.account_balance(session, billing_account_id="A") == {"EUR": -500}


def test_credit_of_chosen_lines(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        original_id = bill(session, account_id="A", lines=LINES, bill_no="TEST-1")
        tv = session.scalars(
            select(BillLine).where(BillLine.bill_id == original_id, BillLine.product_id == "tv")
        ).one()
        note = credit_note(
            session, bill_id=original_id, lines={tv.id: 1055}, reason="tv down", now=NOW
        )
        assert (note.amount_excl_tax_minor, note.tax_minor) == (-1000, -55)
        with pytest.raises(Conflict):
            credit_note(session, bill_id=original_id, lines={tv.id: 1056}, reason="x", now=NOW)


def test_draft_unknown_and_credit_note_bills_are_not_credited(platform: Platform) -> None:
    with platform.database.unit_of_work() as session:
        draft = bill(session, account_id="A", lines=LINES, state="new")
        with pytest.raises(Conflict):
            credit_note(session, bill_id=draft, amount_minor=100, reason="x", now=NOW)
        with pytest.raises(NotFound):
            credit_note(session, bill_id="nope", amount_minor=100, reason="x", now=NOW)
        with pytest.raises(InvalidInput):
            credit_note(session, bill_id=draft, amount_minor=-5, reason="x", now=NOW)


def billing_account(client: TestClient) -> str:
    return str(create(client, f"{ACCOUNT}/billingAccount", _billing_account(client, 0))["id"])


def test_adjustments_wait_for_the_next_bill(platform: Platform, client: TestClient) -> None:
    account_id = billing_account(client)
    with platform.database.unit_of_work() as session:
        add_adjustment(
            session,
            billing_account_id=account_id,
            amount_minor=-500,
            currency="EUR",
            reason="SLA breach",
            source="sla",
            tax_rate="20",
            now=NOW,
        )
        with pytest.raises(InvalidInput) as zero:
            add_adjustment(
                session,
                billing_account_id=account_id,
                amount_minor=0,
                currency="EUR",
                reason="x",
                source="manual",
                now=NOW,
            )
        assert zero.value.field == "amount"
        with pytest.raises(NotFound):
            add_adjustment(
                session,
                billing_account_id="nobody",
                amount_minor=100,
                currency="EUR",
                reason="x",
                source="manual",
                now=NOW,
            )
    with platform.database.unit_of_work() as session:
        [pending] = pending_adjustments(session, account_ids=[account_id])[account_id]
        assert (pending.amount_minor, pending.tax_minor, pending.type) == (-500, -100, "adjustment")
        assert mark_adjustments_billed(session, bill_ids_by_account={account_id: "bill-1"}) == 1
    with platform.database.unit_of_work() as session:
        assert pending_adjustments(session, account_ids=[account_id]) == {}
