"""What other rooms may ask of party (keyword-only; the caller owns the transaction)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.party import repository
from ossbss.party.models import Customer
from ossbss.party.resources import CUSTOMER
from ossbss.tmf import Document, get_resource


def party_exists(session: Session, *, party_id: str, referred_type: str | None = None) -> bool:
    return repository.party_exists(session, party_id, referred_type)


def get_customer(session: Session, *, customer_id: str) -> Document:
    return get_resource(session, resource=CUSTOMER, resource_id=customer_id)


def customer_names(session: Session, *, customer_ids: Collection[str]) -> dict[str, str | None]:
    """id -> name of the customers that exist, in one query per 900 ids (lists of customers
    an outage hurts)."""
    found: dict[str, str | None] = {}
    wanted = list(dict.fromkeys(customer_ids))
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        for customer_id, name in session.execute(
            select(Customer.id, Customer.name).where(Customer.id.in_(chunk))
        ):
            found[customer_id] = name
    return found
