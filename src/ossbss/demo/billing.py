"""The demo's billed months: each bill cycle's last two closed periods billed and issued the
day after they ended, their invoices rendered, some bills paid, some partly paid, some left
overdue, and the dunning run of today (reminders, suspensions through ordering)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from rich.console import Console

from ossbss import account, billing, payment
from ossbss.kernel import Money, OffsetClock
from ossbss.kernel.time import Period

if TYPE_CHECKING:
    from ossbss.bootstrap import Platform

PERIODS = 2
ISSUE_DELAY = timedelta(days=1)
PAID_AFTER = timedelta(days=9)  # bills are paid (when they are) 9 days after issue


@dataclass(frozen=True, slots=True)
class BillingReport:
    bills: int
    failures: int
    payments: int
    documents: int
    dunning_steps: int


def bill_history(
    platform: Platform, *, cycle_ids: tuple[str, ...], console: Console
) -> BillingReport:
    """Bill, pay and dun as the operator's staff would have over the last months. The
    platform runs on the real clock; each run is timed by its own clock the day after its
    period ended."""
    now = datetime.now(UTC)
    bills = failures = payments = 0
    for period_index in reversed(range(PERIODS)):
        for cycle_id in cycle_ids:
            period = _closed_period(platform, cycle_id, now, back=period_index)
            if period is None:
                continue
            drafted, failed = _bill(platform, cycle_id, period, now)
            bills, failures = bills + drafted, failures + failed
        payments += _pay(platform, now, latest=period_index == 0)
    documents = billing.render_pending(platform.database, clock=platform.clock)
    with platform.database.unit_of_work() as session:
        report = payment.run_dunning(
            session, as_of=now, policy=payment.policy_for(platform.settings)
        )
    _settle(platform)
    console.print(
        f"demo: {bills} bills issued ({failures} accounts failed), {payments} payments, "
        f"{documents} invoices rendered, {len(report.steps)} dunning steps"
    )
    return BillingReport(bills, failures, payments, documents, len(report.steps))


def _closed_period(platform: Platform, cycle_id: str, now: datetime, *, back: int) -> Period | None:
    """The cycle's period that closed ``back`` periods before the last closed one."""
    with platform.database.unit_of_work(write=False) as session:
        accounts = billing.accounts_in_cycle(session, cycle_id=cycle_id)
        cycle = account.bill_cycle_for(session, account_id=accounts[0]) if accounts else None
    if cycle is None:
        return None
    period = cycle.period_containing(now)
    for _ in range(back + 1):
        period = cycle.period_containing(period.start - timedelta(microseconds=1))
    return period


def _clock_at(moment: datetime) -> OffsetClock:
    return OffsetClock(moment - datetime.now(UTC))


def _bill(platform: Platform, cycle_id: str, period: Period, now: datetime) -> tuple[int, int]:
    assert period.end is not None
    clock = _clock_at(min(period.end + ISSUE_DELAY, now))
    with platform.database.unit_of_work() as session:
        run_id = billing.start_run(session, cycle_id=cycle_id, period=period, now=clock.now())
    drafted = billing.run_bills(platform.database, run_id=run_id, clock=clock)
    issued = billing.approve_run(platform.database, run_id=run_id, clock=clock)
    _settle(platform)
    return issued.bills_issued, drafted.accounts_failed


def _pay(platform: Platform, now: datetime, *, latest: bool) -> int:
    """Of the open bills, three in four paid in full or in part (one in four left overdue);
    of the latest period, only the even half, and only once the payment date has come."""
    gateway = payment.current_gateway()
    paid = 0
    with platform.database.unit_of_work() as session:
        open_bills = billing.open_bills_for(session, account_ids=None)
        for index, bill in enumerate(
            bill for bills in open_bills.values() for bill in bills if bill.kind == "regular"
        ):
            share = _share(index, latest=latest)
            moment = bill.bill_date + PAID_AFTER
            if share == 0 or moment > now:
                continue
            amount = bill.remaining_minor * share // 2
            payment.record_payment(
                session,
                billing_account_id=bill.billing_account_id,
                amount=Money(bill.currency, amount),
                method=payment.BANK_TRANSFER,
                now=moment,
                gateway=gateway,
                reference=bill.bill_no,
                external_id=f"demo-{bill.id}",
            )
            paid += 1
    _settle(platform)
    return paid


def _share(index: int, *, latest: bool) -> int:
    """Halves of the bill paid: 2 (all), 1 (half) or 0."""
    if latest:
        return 2 if index % 2 == 0 else 0
    return (2, 2, 1, 0)[index % 4]


def _settle(platform: Platform) -> None:
    """Deliver the events (credit applied, orders placed and activated) before going on."""
    while platform.dispatcher.run_pending() + platform.activator.run_pending():
        pass
