"""Bill runs: draft in chunks, approve (issue) in chunks, failures reported, no duplicates.

The real charges (billing.compute_charges) over a synthetic world for the money; a fake
charge source for the orchestration cases (a failing account, a crashing chunk, an account
with nothing to bill, a run interrupted mid-way)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ossbss import account, billing, bootstrap
from ossbss.account.models import LedgerEntry
from ossbss.billing import AccountCharges, ChargeFailure, ChargeLine
from ossbss.billing.models import Adjustment, Bill, BillLine, BillRun
from ossbss.kernel import Conflict, FixedClock, Period
from ossbss.kernel.outbox import OutboxMessage
from ossbss.usage.models import UsageRecord

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import bill_run_world as synthetic

JANUARY = Period(synthetic.PERIOD_START, synthetic.PERIOD_END)
AFTER_JANUARY = datetime(2026, 2, 2, 6, tzinfo=UTC)


@pytest.fixture
def february(clock: FixedClock) -> FixedClock:
    clock.set(AFTER_JANUARY)
    return clock


def _start(platform: bootstrap.Platform, cycle: str = "default") -> str:
    with platform.database.unit_of_work() as session:
        return billing.start_run(session, cycle_id=cycle, period=JANUARY, now=platform.clock.now())


def _bills(platform: bootstrap.Platform, run_id: str) -> list[Bill]:
    with platform.database.unit_of_work(write=False) as session:
        return list(
            session.scalars(select(Bill).where(Bill.bill_run_id == run_id).order_by(Bill.pk))
        )


def _count(platform: bootstrap.Platform, query: Any) -> int:
    with platform.database.unit_of_work(write=False) as session:
        return int(session.scalar(query) or 0)


# --- the real charges ------------------------------------------------------------------------


def test_a_run_drafts_then_issues_every_bill_once_with_gapless_numbers_and_the_ledger(
    platform: bootstrap.Platform, february: FixedClock
) -> None:
    with platform.database.engine.begin() as connection:
        synthetic.generate(connection, accounts=12, records=120)
        # This account is in dollars, its product priced in euro: it cannot be billed.
        connection.exec_driver_sql(
            "UPDATE account_billing_account SET currency = 'USD' WHERE id = 'acct-0000003'"
        )
    run_id = _start(platform)

    draft = billing.run_bills(platform.database, run_id=run_id, clock=february, chunk_size=5)

    assert draft.state == "draft"
    assert (draft.accounts_total, draft.bills, draft.accounts_failed) == (12, 11, 1)
    [(failed, reason)] = draft.failures
    assert failed == "acct-0000003"
    assert "the account in USD" in reason
    bills = _bills(platform, run_id)
    assert {bill.state for bill in bills} == {"new"}
    assert {bill.bill_no for bill in bills} == {None}
    # 30 EUR for February in advance, 10 records of 0.0123 EUR, 20 % VAT.
    assert {(b.amount_excl_tax_minor, b.tax_minor, b.amount_incl_tax_minor) for b in bills} == {
        (3012, 602, 3614)
    }
    with platform.database.unit_of_work(write=False) as session:
        lines = session.execute(
            select(BillLine.type, BillLine.amount_minor, BillLine.tax_rate, BillLine.quantity)
            .where(BillLine.bill_id == bills[0].id)
            .order_by(BillLine.line_no)
        ).all()
    assert [tuple(line) for line in lines] == [
        ("recurring", 3000, "20", None),
        ("usage", 12, "20", "10 MB"),
    ]
    assert _count(platform, select(func.count()).select_from(LedgerEntry)) == 0

    # Started again: the same run, nothing billed twice.
    assert _start(platform) == run_id
    again = billing.run_bills(platform.database, run_id=run_id, clock=february, chunk_size=5)
    assert again.bills == 11
    assert [b.id for b in _bills(platform, run_id)] == [b.id for b in bills]

    february.set(AFTER_JANUARY + timedelta(hours=2))
    issued = billing.approve_run(platform.database, run_id=run_id, clock=february, chunk_size=4)

    assert (issued.state, issued.bills_issued) == ("issued", 11)
    assert issued.totals["EUR"].amount_incl_tax_minor == 11 * 3614
    bills = _bills(platform, run_id)
    assert [b.bill_no for b in bills] == [f"INV-2026-{n:06d}" for n in range(1, 12)]
    assert {b.state for b in bills} == {"sent"}
    assert {b.bill_date for b in bills} == {february.now()}
    assert {b.payment_due_date for b in bills} == {february.now() + timedelta(days=14)}
    assert {b.remaining_minor for b in bills} == {3614}
    with platform.database.unit_of_work(write=False) as session:
        balances = account.account_balances(session, account_ids=None)
        legs = session.execute(
            select(LedgerEntry.ledger, func.sum(LedgerEntry.amount_minor)).group_by(
                LedgerEntry.ledger
            )
        ).all()
        billed = session.scalar(select(func.count()).where(UsageRecord.status == "billed"))
        still_rated = session.scalar(
            select(func.count()).where(
                UsageRecord.status == "rated", UsageRecord.billing_account_id == "acct-0000003"
            )
        )
        events = session.scalar(
            select(func.count()).where(OutboxMessage.topic == "billing.bill-issued")
        )
    assert balances == {b.billing_account_id: {"EUR": b.amount_incl_tax_minor} for b in bills}
    assert {ledger: int(total) for ledger, total in legs} == {
        "RECEIVABLE": 11 * 3614,
        "REVENUE": -11 * 3012,
        "TAX": -11 * 602,
    }
    assert (billed, still_rated, events) == (110, 10, 11)

    # Approving again changes nothing; neither does starting the cycle again.
    billing.approve_run(platform.database, run_id=run_id, clock=february, chunk_size=4)
    assert _count(platform, select(func.count()).select_from(LedgerEntry)) == 33
    assert _start(platform) == run_id


# --- orchestration, with a fake charge source -------------------------------------------------

ACCOUNTS = [f"a-{n:02d}" for n in range(25)]


def _line(amount: int) -> ChargeLine:
    return ChargeLine(
        product_id="p",
        product_name="Fibre",
        offering_id=None,
        type="recurring",
        description="Fibre, Feb 2026",
        period_start=None,
        period_end=None,
        quantity=None,
        amount_minor=amount,
        tax_category="*",
        tax_rate=Decimal("20"),
        tax_minor=amount // 5,
    )


class FakeCharges:
    """1,000 + 200 tax per account, except: a-03 fails, a-07 crashes its chunk, a-11 has
    nothing to bill, a-13 is left out of the answer. Stops the process after ``stop_after``
    calls (a crash in the middle of the run)."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.calls: list[list[str]] = []
        self.stop_after = stop_after

    def __call__(
        self, session: Any, *, account_ids: Sequence[str], period: Period, now: datetime
    ) -> list[AccountCharges | ChargeFailure]:
        self.calls.append(list(account_ids))
        if self.stop_after is not None and len(self.calls) > self.stop_after:
            raise KeyboardInterrupt  # not an Exception: nothing catches it, like a kill
        if "a-07" in account_ids:
            raise RuntimeError("boom")
        found: list[AccountCharges | ChargeFailure] = []
        for account_id in account_ids:
            if account_id == "a-03":
                found.append(ChargeFailure(account_id, "no price for product p"))
            elif account_id != "a-13":
                lines = () if account_id == "a-11" else (_line(1000),)
                found.append(AccountCharges(account_id, "EUR", lines, period.end or now, now))
        return found


def _accounts(session: Any, *, cycle_id: str) -> list[str]:
    return list(reversed(ACCOUNTS))


def test_failures_are_reported_and_never_stop_the_run(
    platform: bootstrap.Platform, february: FixedClock
) -> None:
    run_id = _start(platform)
    charges = FakeCharges()

    summary = billing.run_bills(
        platform.database,
        run_id=run_id,
        clock=february,
        chunk_size=4,
        charge_source=charges,
        accounts=_accounts,
    )

    assert summary.failures == (
        ("a-03", "no price for product p"),
        ("a-07", "RuntimeError: boom"),
        ("a-13", "no charges computed for the account"),
    )
    assert (summary.accounts_total, summary.bills, summary.accounts_without_charges) == (
        25,
        21,
        1,
    )
    assert (summary.accounts_done, summary.accounts_failed) == (22, 3)
    assert ["a-04", "a-05", "a-06", "a-07"] in charges.calls  # the chunk that crashed ...
    assert ["a-04"] in charges.calls  # ... billed again one account at a time
    billed = {bill.billing_account_id for bill in _bills(platform, run_id)}
    assert billed == set(ACCOUNTS) - {"a-03", "a-07", "a-11", "a-13"}

    issued = billing.approve_run(platform.database, run_id=run_id, clock=february, chunk_size=5)
    assert issued.totals["EUR"] == billing.CurrencyTotals(21, 21_000, 4_200, 25_200)
    numbers = sorted(bill.bill_no or "" for bill in _bills(platform, run_id))
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 22)]


def test_a_run_stopped_mid_way_goes_on_where_it_stopped(
    platform: bootstrap.Platform, february: FixedClock
) -> None:
    run_id = _start(platform)
    with pytest.raises(KeyboardInterrupt):
        billing.run_bills(
            platform.database,
            run_id=run_id,
            clock=february,
            chunk_size=4,
            charge_source=FakeCharges(stop_after=3),
            accounts=_accounts,
        )
    # a-00..a-03 and a-04..a-07 (the latter one by one after the crash of its chunk) were
    # committed before the stop; the chunk in flight was rolled back whole.
    with platform.database.unit_of_work(write=False) as session:
        run = session.scalars(select(BillRun)).one()
        assert run.state == "running"
    first = {bill.billing_account_id for bill in _bills(platform, run_id)}
    assert first
    assert len(first) < 21

    rest = FakeCharges()
    summary = billing.run_bills(
        platform.database,
        run_id=run_id,
        clock=february,
        chunk_size=4,
        charge_source=rest,
        accounts=_accounts,
    )

    assert summary.state == "draft"
    assert summary.bills == 21
    assert not any(set(call) & first for call in rest.calls)  # billed accounts are skipped
    assert _count(platform, select(func.count(func.distinct(Bill.billing_account_id)))) == 21


def test_a_discarded_draft_frees_the_cycle_and_an_issued_run_cannot_be_discarded(
    platform: bootstrap.Platform, february: FixedClock
) -> None:
    run_id = _start(platform)
    kwargs: dict[str, Any] = {"charge_source": FakeCharges(), "accounts": _accounts}
    billing.run_bills(platform.database, run_id=run_id, clock=february, **kwargs)
    with platform.database.unit_of_work() as session:
        billing.discard_run(session, run_id=run_id, now=february.now())
    assert _bills(platform, run_id) == []

    second = _start(platform)
    assert second != run_id
    billing.run_bills(platform.database, run_id=second, clock=february, **kwargs)
    billing.approve_run(platform.database, run_id=second, clock=february)
    with pytest.raises(Conflict), platform.database.unit_of_work() as session:
        billing.discard_run(session, run_id=second, now=february.now())
    with pytest.raises(Conflict):
        billing.run_bills(platform.database, run_id=second, clock=february, **kwargs)


def test_a_run_carries_pending_adjustments_and_a_discard_gives_them_back(
    platform: bootstrap.Platform, february: FixedClock
) -> None:
    # The fake world's accounts have no TMF666 documents, so the adjustments (as
    # billing.add_adjustment records them) are written as rows.
    yesterday = february.now() - timedelta(days=1)
    with platform.database.unit_of_work() as session:
        session.add_all(
            [
                Adjustment(
                    id="adj-sla",
                    billing_account_id="a-11",  # nothing else to bill: billed alone
                    amount_minor=-500,
                    currency="EUR",
                    tax_rate="0",
                    reason="SLA credit",
                    source="sla",
                    created_at=yesterday,
                ),
                Adjustment(
                    id="adj-fee",
                    billing_account_id="a-01",
                    amount_minor=300,
                    currency="EUR",
                    tax_rate="20",
                    reason="late fee",
                    source="fee",
                    created_at=yesterday,
                ),
            ]
        )
    run_id = _start(platform)
    kwargs: dict[str, Any] = {"charge_source": FakeCharges(), "accounts": _accounts}
    billing.run_bills(platform.database, run_id=run_id, clock=february, **kwargs)
    by_account = {bill.billing_account_id: bill for bill in _bills(platform, run_id)}
    assert (by_account["a-11"].amount_excl_tax_minor, by_account["a-11"].tax_minor) == (-500, 0)
    assert (by_account["a-01"].amount_excl_tax_minor, by_account["a-01"].tax_minor) == (1300, 260)
    with platform.database.unit_of_work() as session:
        assert billing.pending_adjustments(session, account_ids=["a-01", "a-11"]) == {}
        billing.discard_run(session, run_id=run_id, now=february.now())
    with platform.database.unit_of_work() as session:
        pending = billing.pending_adjustments(session, account_ids=["a-01", "a-11"])
    assert sorted(pending) == ["a-01", "a-11"]


def test_bill_numbers_given_back_by_a_rolled_back_transaction_are_given_again(
    platform: bootstrap.Platform, february: FixedClock
) -> None:
    class Rollback(Exception):
        pass

    given: list[str] = []

    def take_two_then_fail() -> None:
        with platform.database.unit_of_work() as session:
            given.extend(billing.next_bill_numbers(session, count=2, issued_at=february.now()))
            raise Rollback

    with pytest.raises(Rollback):
        take_two_then_fail()
    assert given == ["INV-2026-000001", "INV-2026-000002"]
    with platform.database.unit_of_work() as session:
        taken = billing.next_bill_numbers(session, count=2, issued_at=february.now())
        credit = billing.next_bill_numbers(
            session, count=1, issued_at=datetime(2027, 1, 2, tzinfo=UTC), prefix="CN"
        )
    assert taken == ["INV-2026-000001", "INV-2026-000002"]
    assert credit == ["CN-2027-000001"]


def test_charge_postings_balance_and_leave_out_zero_legs() -> None:
    legs = billing.charge_postings("a", excl=1000, tax=0, incl=1000)
    assert [(leg.ledger, leg.amount_minor) for leg in legs] == [
        ("RECEIVABLE", 1000),
        ("REVENUE", -1000),
    ]
    assert billing.charge_postings("a", excl=0, tax=0, incl=0) == ()


# --- the command line --------------------------------------------------------------------------


def test_the_cli_runs_approves_and_lists_runs_and_failures(
    platform: bootstrap.Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from ossbss.cli import app

    with platform.database.engine.begin() as connection:
        synthetic.generate(connection, accounts=3, records=30)
        connection.exec_driver_sql(
            "UPDATE account_billing_account SET currency = 'USD' WHERE id = 'acct-0000001'"
        )
    monkeypatch.setenv("OSSBSS_DATABASE_URL", platform.database.url)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    ran = runner.invoke(
        app, ["billing", "run", "--cycle", "default", "--as-of", "2026-02-03", "--approve"]
    )

    assert ran.exit_code == 0, ran.output
    assert "(default, 2026-01-01..2026-02-01): issued" in ran.output
    assert "accounts 3: billed 2 (issued 2), nothing to bill 0, failed 1" in ran.output
    assert "EUR: 2 bills, excl. tax EUR 60.24, tax EUR 12.04, total EUR 72.28" in ran.output
    assert "failed acct-0000001: product prod-0000001: price" in ran.output
    runs = runner.invoke(app, ["billing", "runs"])
    assert "issued" in runs.output
    with platform.database.unit_of_work(write=False) as session:
        run_id = session.scalars(select(BillRun.id)).one()
    failures = runner.invoke(app, ["billing", "failures", run_id])
    assert "acct-0000001\tproduct prod-0000001: price" in failures.output
    assert "1 failed" in failures.output
    again = runner.invoke(app, ["billing", "run", "--cycle", "default", "--period", "2026-01"])
    assert f"bill run {run_id}" in again.output  # the same run, already issued
    assert _count(platform, select(func.count()).select_from(Bill)) == 2
    unknown = runner.invoke(app, ["billing", "approve", "no-such-run"])
    assert unknown.exit_code == 2
    assert "Bill run not found" in unknown.output
