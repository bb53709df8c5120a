"""Dunning cases as the read API shows them (an ossbss extension of TMF676: TMF has no
collections resource): the case with every action taken in it, oldest first."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.kernel.errors import InvalidInput, NotFound
from ossbss.kernel.money import Money
from ossbss.kernel.time import format_datetime
from ossbss.payment.dunning_models import DunningAction, DunningCase

# The TMF676 API's name: hub subscribers of paymentManagement hear of dunning cases too.
API_NAME = "paymentManagement"
BASE_PATH = f"/tmf-api/{API_NAME}/v4"
CASE_PATH = f"{BASE_PATH}/dunningCase"
STATES = frozenset({"open", "closed"})


def list_dunning_cases(
    session: Session, *, billing_account_id: str | None = None, state: str | None = None
) -> list[dict[str, Any]]:
    """Cases, the newest first, with their actions; filtered by account and open/closed."""
    query = select(DunningCase)
    if billing_account_id is not None:
        query = query.where(DunningCase.billing_account_id == billing_account_id)
    if state is not None:
        if state not in STATES:
            raise InvalidInput("Invalid filter", field="state", detail="open or closed")
        closed = DunningCase.closed_at.is_not(None)
        query = query.where(closed if state == "closed" else ~closed)
    cases = list(session.scalars(query.order_by(DunningCase.opened_at.desc(), DunningCase.pk)))
    actions = _actions(session, [case.id for case in cases])
    return [_document(case, actions.get(case.id, [])) for case in cases]


def get_dunning_case(session: Session, *, case_id: str) -> dict[str, Any]:
    case = session.scalars(select(DunningCase).where(DunningCase.id == case_id)).one_or_none()
    if case is None:
        raise NotFound(f"No dunningCase with id {case_id}", field="id")
    return _document(case, _actions(session, [case.id]).get(case.id, []))


def case_documents(session: Session, cases: list[DunningCase]) -> dict[str, dict[str, Any]]:
    """Documents of cases already loaded, their actions read in one query."""
    actions = _actions(session, [case.id for case in cases])
    return {case.id: _document(case, actions.get(case.id, [])) for case in cases}


def _actions(session: Session, case_ids: list[str]) -> dict[str, list[DunningAction]]:
    grouped: dict[str, list[DunningAction]] = defaultdict(list)
    if not case_ids:
        return grouped
    query = (
        select(DunningAction)
        .where(DunningAction.case_id.in_(case_ids))
        .order_by(DunningAction.at, DunningAction.pk)
    )
    for action in session.scalars(query):
        grouped[action.case_id].append(action)
    return grouped


def _document(case: DunningCase, actions: list[DunningAction]) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": case.id,
        "href": f"{CASE_PATH}/{case.id}",
        "@type": "DunningCase",
        "state": "closed" if case.closed_at else "open",
        "billingAccount": {"id": case.billing_account_id, "@referredType": "BillingAccount"},
        "accountClass": case.account_class,
        "oldestBill": {"id": case.oldest_bill_id, "@referredType": "CustomerBill"},
        "openedDate": format_datetime(case.opened_at),
        "stepReached": case.step_reached,
        "productsSuspended": case.suspended,
        "action": [_action(action, case.currency) for action in actions],
    }
    if case.closed_at is not None:
        document["closedDate"] = format_datetime(case.closed_at)
        document["closedReason"] = case.closed_reason
    return document


def _action(action: DunningAction, currency: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": action.id,
        "step": action.step,
        "action": action.action,
        "date": format_datetime(action.at),
        "detail": action.detail,
        "outcome": action.outcome,
    }
    if action.channel:
        body["channel"] = action.channel
    if action.days_overdue is not None:
        body["daysOverdue"] = action.days_overdue
    if action.overdue_minor is not None:
        amount = Money(currency, action.overdue_minor).to_decimal()
        body["overdueAmount"] = {"unit": currency, "value": float(amount)}
    if action.outcome_detail:
        body["outcomeDetail"] = action.outcome_detail
    if action.outcome_at is not None:
        body["outcomeDate"] = format_datetime(action.outcome_at)
    return body
