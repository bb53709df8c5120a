"""account queries that the generic TMF store does not cover."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss.account.models import BillingAccount, PartyAccount
from ossbss.kernel.errors import NotFound

_IN_CHUNK = 900  # below SQLite's bound-parameter limit


def accounts_using_cycle(session: Session, cycle_id: str) -> int:
    total = 0
    for model in (BillingAccount, PartyAccount):
        query = select(func.count()).select_from(model).where(model.bill_cycle_id == cycle_id)
        total += session.scalar(query) or 0
    return total


@dataclass(frozen=True, slots=True)
class AccountFacts:
    state: str | None
    currency: str | None
    credit_limit_minor: int | None
    bill_cycle_id: str | None


def billing_account_facts(session: Session, account_id: str) -> AccountFacts:
    """The indexed columns of one billing account (no document parsing on the hot path)."""
    row = session.execute(
        select(
            BillingAccount.state,
            BillingAccount.currency,
            BillingAccount.credit_limit_minor,
            BillingAccount.bill_cycle_id,
        ).where(BillingAccount.id == account_id)
    ).first()
    if row is None:
        raise NotFound(f"No billingAccount with id {account_id}", field="id")
    return AccountFacts(*row)


def billing_account_ids_owned_by(session: Session, party_id: str) -> list[str]:
    query = (
        select(BillingAccount.id)
        .where(BillingAccount.owner_party_id == party_id)
        .order_by(BillingAccount.pk)
    )
    return list(session.scalars(query))


def billing_terms(
    session: Session, account_ids: Sequence[str]
) -> list[tuple[str, str | None, str | None]]:
    """(account id, currency, bill cycle id) of the accounts that exist, in few queries."""
    found: list[tuple[str, str | None, str | None]] = []
    for start in range(0, len(account_ids), _IN_CHUNK):
        chunk = account_ids[start : start + _IN_CHUNK]
        query = select(
            BillingAccount.id, BillingAccount.currency, BillingAccount.bill_cycle_id
        ).where(BillingAccount.id.in_(chunk))
        found.extend((row[0], row[1], row[2]) for row in session.execute(query))
    return found


def billing_account_ids_on_cycle(session: Session, cycle_id: str | None) -> list[str]:
    """Billing accounts on the cycle (None: those that chose none), in creation order."""
    column = BillingAccount.bill_cycle_id
    where = column.is_(None) if cycle_id is None else column == cycle_id
    return list(session.scalars(select(BillingAccount.id).where(where).order_by(BillingAccount.pk)))


def billing_account_bodies(session: Session, account_ids: Sequence[str]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for start in range(0, len(account_ids), _IN_CHUNK):
        chunk = account_ids[start : start + _IN_CHUNK]
        query = select(BillingAccount.id, BillingAccount.body).where(BillingAccount.id.in_(chunk))
        found.extend((row[0], row[1]) for row in session.execute(query))
    return found
