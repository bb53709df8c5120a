"""What other rooms may ask of party (keyword-only; the caller owns the transaction)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import String, any_, cast, select
from sqlalchemy.dialects.postgresql import ARRAY
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
    """id -> name of the customers that exist (lists of customers an outage hurts): one
    ``= ANY(array)`` query on PostgreSQL, IN lists of 900 on SQLite."""
    found: dict[str, str | None] = {}
    wanted = list(dict.fromkeys(customer_ids))
    if not wanted:
        return found
    if session.get_bind().dialect.name == "postgresql":
        conditions = [Customer.id == any_(cast(wanted, ARRAY(String)))]
    else:
        conditions = [Customer.id.in_(wanted[at : at + 900]) for at in range(0, len(wanted), 900)]
    for condition in conditions:
        for customer_id, name in session.execute(
            select(Customer.id, Customer.name).where(condition)
        ):
            found[customer_id] = name
    return found
