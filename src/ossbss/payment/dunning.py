"""Dunning: chase overdue bills step by step as the account's class says (reminder,
suspension, termination), each step once per episode of debt, every step notified and
written down; paying everything overdue ends the episode and resumes what it suspended.

Products are never touched here: suspension, termination and resumption are asked of
ordering through DunningActionRequested, so they happen exactly as a manual order would."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss import account, billing
from ossbss.events.billing import BillSettled
from ossbss.events.payment import DunningActionRequested, DunningNoticeDue, PaymentAllocated
from ossbss.kernel import Clock, HandlerRegistry, new_id, publish
from ossbss.kernel.errors import DomainError
from ossbss.kernel.money import Money
from ossbss.payment.dunning_models import DunningAction, DunningCase
from ossbss.payment.dunning_policy import (
    PRODUCT_ACTIONS,
    AccountClass,
    DunningPolicy,
    Step,
    steps_due,
)
from ossbss.payment.dunning_view import API_NAME, case_documents
from ossbss.tmf import ResourceChanged, has_subscribers

log = logging.getLogger(__name__)
PAID = "paid"
RESUME_STEP = "resumption"
# Outcomes of an action row.
NOTIFIED = "notified"
REQUESTED = "requested"
SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class TakenStep:
    billing_account_id: str
    case_id: str
    step: str
    action: str


@dataclass
class DunningReport:
    """What one dunning run did."""

    as_of: datetime
    accounts_overdue: int = 0
    accounts_exempt: int = 0
    accounts_below_minimum: int = 0
    cases_opened: int = 0
    cases_closed: int = 0
    steps: list[TakenStep] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (account, reason)

    def count(self, action: str) -> int:
        return sum(1 for step in self.steps if step.action == action)


@dataclass(frozen=True, slots=True)
class _Debt:
    """The overdue part of an account's open bills, in the oldest overdue bill's currency."""

    oldest: billing.OpenBill
    currency: str
    overdue_minor: int
    days_overdue: int

    @property
    def amount_text(self) -> str:
        return f"{Money(self.currency, self.overdue_minor).to_decimal()} {self.currency}"

    @property
    def bill_text(self) -> str:
        return self.oldest.bill_no or self.oldest.id


def overdue_debt(bills: Sequence[billing.OpenBill], *, as_of: datetime) -> _Debt | None:
    """The account's debt past its due date at ``as_of`` (None: nothing overdue)."""
    overdue = [b for b in bills if b.payment_due_date is not None and b.payment_due_date < as_of]
    if not overdue:
        return None
    oldest = min(overdue, key=lambda b: b.payment_due_date or as_of)
    assert oldest.payment_due_date is not None
    return _Debt(
        oldest=oldest,
        currency=oldest.currency,
        overdue_minor=sum(b.remaining_minor for b in overdue if b.currency == oldest.currency),
        days_overdue=(as_of - oldest.payment_due_date).days,
    )


def run_dunning(
    session: Session, *, as_of: datetime, policy: DunningPolicy, now: datetime | None = None
) -> DunningReport:
    """Take the steps due at ``as_of`` for every account with overdue bills, and close the
    cases of accounts that owe nothing overdue any more. An account that cannot be dunned
    (its billing account is gone) is reported and the others go on. Repeating a run changes
    nothing. The writes are flushed once, at the end: a concurrent run opening the same case
    fails on the open-case index as a whole, and the next run takes what is left."""
    now = now or as_of
    report = DunningReport(as_of=as_of)
    open_bills = billing.open_bills_for(session, account_ids=None)
    cases = {case.billing_account_id: case for case in _open_cases(session)}
    debts = {
        account_id: debt
        for account_id, bills in open_bills.items()
        if (debt := overdue_debt(bills, as_of=as_of)) is not None
    }
    report.accounts_overdue = len(debts)
    changed: list[tuple[DunningCase, str]] = []
    # Nothing read below depends on what this run writes: no flush per account.
    with session.no_autoflush:
        for account_id in sorted(debts):
            try:
                case = cases.get(account_id)
                change = _dun_account(
                    session, account_id, debts[account_id], case, policy, now, report
                )
            except DomainError as exc:
                log.warning("dunning of account %s failed: %s", account_id, exc.message)
                report.failures.append((account_id, exc.message))
                continue
            if change is not None:
                changed.append(change)
        for account_id, case in sorted(cases.items()):
            if account_id not in debts:
                _close(session, case, now, report)
                changed.append((case, "StateChange"))
    _announce(session, changed, now)
    return report


def _dun_account(
    session: Session,
    account_id: str,
    debt: _Debt,
    case: DunningCase | None,
    policy: DunningPolicy,
    now: datetime,
    report: DunningReport,
) -> tuple[DunningCase, str] | None:
    """The account's steps due, taken; the case and how it changed (None: nothing done).
    Everything that may fail is read before anything is written."""
    document = account.get_billing_account(session, account_id=account_id)
    account_class = policy.class_for(document)
    if account_class.exempt:
        report.accounts_exempt += 1
        return None
    taken = (case.step_reached,) if case is not None and case.step_reached else ()
    due = steps_due(account_class, days_overdue=debt.days_overdue, taken=taken)
    if not due:
        return None
    if debt.overdue_minor < account_class.minimum_minor(debt.currency):
        report.accounts_below_minimum += 1
        return None
    opened = case is None
    if case is None:
        case = _open_case(session, account_id, account_class, debt, now)
        report.cases_opened += 1
    # A run that finds several steps due at once (days without a run) notifies each, but asks
    # ordering only for the most severe product action: suspending and terminating the same
    # products in one go would race two orders.
    last_product_step = next((s for s in reversed(due) if s.action in PRODUCT_ACTIONS), None)
    for step in due:
        superseded = step.action in PRODUCT_ACTIONS and step is not last_product_step
        _take(session, case, step, debt, now, superseded=superseded)
        report.steps.append(TakenStep(account_id, case.id, step.name, step.action))
    return case, "Create" if opened else "AttributeValueChange"


def _open_case(
    session: Session, account_id: str, account_class: AccountClass, debt: _Debt, now: datetime
) -> DunningCase:
    case = DunningCase(
        id=new_id(),
        billing_account_id=account_id,
        account_class=account_class.name,
        currency=debt.currency,
        oldest_bill_id=debt.oldest.id,
        opened_at=now,
        suspended=False,
        updated_at=now,
    )
    session.add(case)
    return case


def _take(
    session: Session, case: DunningCase, step: Step, debt: _Debt, now: datetime, *, superseded: bool
) -> None:
    message = step.notice(
        account=case.billing_account_id,
        bill=debt.bill_text,
        days=debt.days_overdue,
        amount=debt.amount_text,
    )
    if superseded:
        outcome = SUPERSEDED
    elif step.action in PRODUCT_ACTIONS:
        outcome = REQUESTED
    else:
        outcome = NOTIFIED
    _record(session, case, step.name, step.action, step.channel, message, outcome, now, debt)
    _notify(session, case, step.name, step.action, step.channel, message, debt, now)
    if outcome == REQUESTED:
        publish(
            session,
            DunningActionRequested(
                billing_account_id=case.billing_account_id,
                action="suspend" if step.action == "suspend" else "terminate",
                step=step.name,
                reason=f"{debt.amount_text} overdue for {debt.days_overdue} days "
                f"(oldest bill {debt.bill_text})",
                occurred_at=now,
            ),
            now=now,
        )
    case.step_reached = step.name
    case.action_reached = step.action
    case.suspended = case.suspended or step.action == "suspend"
    case.updated_at = now


def _record(
    session: Session,
    case: DunningCase,
    step: str,
    action: str,
    channel: str | None,
    detail: str,
    outcome: str,
    now: datetime,
    debt: _Debt | None,
) -> None:
    session.add(
        DunningAction(
            id=new_id(),
            case_id=case.id,
            step=step,
            action=action,
            channel=channel,
            at=now,
            days_overdue=debt.days_overdue if debt else None,
            overdue_minor=debt.overdue_minor if debt else None,
            detail=detail[:500],
            outcome=outcome,
            outcome_at=now if outcome != REQUESTED else None,
        )
    )


def _notify(
    session: Session,
    case: DunningCase,
    step: str,
    action: str,
    channel: str,
    message: str,
    debt: _Debt | None,
    now: datetime,
) -> None:
    publish(
        session,
        DunningNoticeDue(
            billing_account_id=case.billing_account_id,
            case_id=case.id,
            step=step,
            action=action,
            channel=channel,
            message=message,
            currency=case.currency,
            overdue_minor=debt.overdue_minor if debt else 0,
            days_overdue=debt.days_overdue if debt else 0,
            occurred_at=now,
        ),
        now=now,
    )


def _open_cases(session: Session, account_ids: Sequence[str] | None = None) -> list[DunningCase]:
    query = select(DunningCase).where(DunningCase.closed_at.is_(None))
    if account_ids is not None:
        query = query.where(DunningCase.billing_account_id.in_(list(account_ids)))
    return list(session.scalars(query.order_by(DunningCase.pk)))


def _close(session: Session, case: DunningCase, now: datetime, report: DunningReport) -> None:
    """The account owes nothing overdue: the episode ends, and what dunning suspended comes
    back (a termination is final: a paid debt does not bring a product back)."""
    case.closed_at = now
    case.closed_reason = PAID
    case.updated_at = now
    report.cases_closed += 1
    if case.suspended and case.action_reached != "terminate":
        _resume(session, case, now, report)


def _resume(session: Session, case: DunningCase, now: datetime, report: DunningReport) -> None:
    message = "Overdue bills paid: services resumed."
    _record(session, case, RESUME_STEP, "resume", None, message, REQUESTED, now, None)
    _notify(session, case, RESUME_STEP, "resume", "email", message, None, now)
    publish(
        session,
        DunningActionRequested(
            billing_account_id=case.billing_account_id,
            action="resume",
            step=RESUME_STEP,
            reason="overdue bills paid",
            occurred_at=now,
        ),
        now=now,
    )
    report.steps.append(TakenStep(case.billing_account_id, case.id, RESUME_STEP, "resume"))


def settle_account(session: Session, *, billing_account_id: str, now: datetime) -> bool:
    """Close the account's open case if nothing it owes is overdue any more (resuming what
    the case suspended); True when a case closed. Called when money arrives."""
    cases = _open_cases(session, [billing_account_id])
    if not cases:
        return False
    bills = billing.open_bills(session, billing_account_id=billing_account_id)
    if overdue_debt(bills, as_of=now) is not None:
        return False
    _close(session, cases[0], now, DunningReport(as_of=now))
    _announce(session, [(cases[0], "StateChange")], now)
    return True


def record_dunning_outcome(
    session: Session,
    *,
    billing_account_id: str,
    step: str,
    action: str,
    outcome: str,
    detail: str,
    now: datetime,
) -> bool:
    """Ordering tells what it did with a requested action (the order it placed, or why it
    placed none): written on the action's audit row. False when no such request is found."""
    row = session.scalars(
        select(DunningAction)
        .join(DunningCase, DunningCase.id == DunningAction.case_id)
        .where(
            DunningCase.billing_account_id == billing_account_id,
            DunningAction.step == step,
            DunningAction.action == action,
            DunningAction.outcome == REQUESTED,
        )
        .order_by(DunningAction.pk.desc())
        .limit(1)
    ).first()
    if row is None:
        return False
    row.outcome = outcome
    row.outcome_detail = detail[:500]
    row.outcome_at = now
    case = session.scalars(select(DunningCase).where(DunningCase.id == row.case_id)).one()
    _announce(session, [(case, "AttributeValueChange")], now)
    return True


def _announce(session: Session, changed: Sequence[tuple[DunningCase, str]], now: datetime) -> None:
    """Tell TMF hub subscribers of the payment API (DunningCaseCreateEvent, ...StateChangeEvent,
    ...AttributeValueChangeEvent), with each case as the read API shows it. Nothing to build
    when nobody subscribed."""
    if not changed or not has_subscribers(session, api=API_NAME):
        return
    session.flush()
    documents = case_documents(session, [case for case, _ in changed])
    for case, change in changed:
        publish(
            session,
            ResourceChanged(
                api=API_NAME,
                resource="dunningCase",
                resource_id=case.id,
                change=change,
                document=documents[case.id],
                occurred_at=now,
            ),
            now=now,
        )


def subscribe_dunning(registry: HandlerRegistry, clock: Clock) -> None:
    """Money arriving may end a dunning episode: a payment allocated, a bill settled."""

    def on_payment(session: Session, event: PaymentAllocated) -> None:
        settle_account(session, billing_account_id=event.billing_account_id, now=clock.now())

    def on_settled(session: Session, event: BillSettled) -> None:
        settle_account(session, billing_account_id=event.billing_account_id, now=clock.now())

    registry.subscribe(PaymentAllocated, on_payment, name="payment.dunning.payment-allocated")
    registry.subscribe(BillSettled, on_settled, name="payment.dunning.bill-settled")
