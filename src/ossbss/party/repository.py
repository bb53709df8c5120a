"""party queries that the generic TMF store does not cover."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ossbss.party.models import Customer, Individual, Organization


def party_exists(session: Session, party_id: str | None, referred_type: str | None) -> bool:
    if not party_id:
        return False
    candidates: dict[str, tuple[type[Individual] | type[Organization], ...]] = {
        "Individual": (Individual,),
        "Organization": (Organization,),
    }
    models = candidates.get(referred_type or "", (Individual, Organization))
    return any(session.scalar(select(m.pk).where(m.id == party_id)) is not None for m in models)


def customer_count_for_party(session: Session, party_id: str) -> int:
    return session.scalar(select(func.count()).where(Customer.engaged_party_id == party_id)) or 0
