"""What other rooms may ask of account (keyword-only; the caller owns the transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ossbss.account import domain, repository
from ossbss.account.resources import BILLING_ACCOUNT, BILLING_CYCLE_SPECIFICATION
from ossbss.kernel.money import Money
from ossbss.tmf import Document, get_resource


def get_billing_account(session: Session, *, account_id: str) -> Document:
    """The billingAccount as TMF666 shows it; NotFound if there is none."""
    return get_resource(session, resource=BILLING_ACCOUNT, resource_id=account_id)


def billing_account_is_active(session: Session, *, account_id: str) -> bool:
    """True when the account may be charged and ordered on (state Active); NotFound if the
    account does not exist, so callers can tell "unknown" from "suspended or closed"."""
    return repository.billing_account_facts(session, account_id).state == "Active"


def credit_limit(session: Session, *, account_id: str) -> Money | None:
    """The account's credit limit, or None when it has none (no limit)."""
    row = repository.billing_account_facts(session, account_id)
    if row.credit_limit_minor is None or row.currency is None:
        return None
    return Money(row.currency, row.credit_limit_minor)


def bill_cycle_for(session: Session, *, account_id: str) -> domain.BillCycle | None:
    """The bill cycle the account is billed on, or None when none is chosen yet."""
    cycle_id = repository.billing_account_facts(session, account_id).bill_cycle_id
    if cycle_id is None:
        return None
    document = get_resource(session, resource=BILLING_CYCLE_SPECIFICATION, resource_id=cycle_id)
    return domain.bill_cycle(document)


@dataclass(frozen=True, slots=True)
class BillingTerms:
    """What rating and billing need of an account in bulk: its currency and bill cycle
    (None: the account has chosen none — monthly on the 1st)."""

    currency: str
    cycle: domain.BillCycle | None


def billing_terms(session: Session, *, account_ids: Sequence[str]) -> dict[str, BillingTerms]:
    """The terms of every existing account among ``account_ids`` (unknown ids are absent)."""
    rows = repository.billing_terms(session, account_ids)
    cycles = {
        cycle_id: domain.bill_cycle(
            get_resource(session, resource=BILLING_CYCLE_SPECIFICATION, resource_id=cycle_id)
        )
        for cycle_id in {cycle_id for _, _, cycle_id in rows if cycle_id}
    }
    return {
        account_id: BillingTerms(
            currency=currency or domain.DEFAULT_CURRENCY,
            cycle=cycles.get(cycle_id) if cycle_id else None,
        )
        for account_id, currency, cycle_id in rows
    }


def billing_account_ids_owned_by(session: Session, *, party_id: str) -> list[str]:
    """Ids of the billing accounts whose owner is ``party_id`` (a party or customer id)."""
    return repository.billing_account_ids_owned_by(session, party_id)


def billing_account_ids_on_cycle(session: Session, *, cycle_id: str | None) -> list[str]:
    """The billing accounts billed on a cycle (None: those that chose none, billed monthly
    on the 1st)."""
    return repository.billing_account_ids_on_cycle(session, cycle_id)


def billing_countries(session: Session, *, account_ids: Sequence[str]) -> dict[str, str | None]:
    """Each account's billing country: the country of its contacts' postal address, None when
    it has none (the caller decides the fallback)."""
    return {
        account_id: domain.postal_country(body)
        for account_id, body in repository.billing_account_bodies(session, account_ids)
    }
