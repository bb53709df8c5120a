"""What other rooms may ask of party (keyword-only; the caller owns the transaction)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ossbss.party import repository
from ossbss.party.resources import CUSTOMER
from ossbss.tmf import Document, get_resource


def party_exists(session: Session, *, party_id: str, referred_type: str | None = None) -> bool:
    return repository.party_exists(session, party_id, referred_type)


def get_customer(session: Session, *, customer_id: str) -> Document:
    return get_resource(session, resource=CUSTOMER, resource_id=customer_id)
