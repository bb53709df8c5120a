"""party queries that the generic TMF store does not cover."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ossbss.party.models import Customer, Individual, Organization

# Built once: customer writes ask this on every request.
_PARTY_BY_ID = {
    model.__name__: select(model.pk).where(model.id == bindparam("party_id"))
    for model in (Individual, Organization)
}


def party_exists(session: Session, party_id: str | None, referred_type: str | None) -> bool:
    if not party_id:
        return False
    names = [referred_type] if referred_type in _PARTY_BY_ID else list(_PARTY_BY_ID)
    return any(
        session.scalar(_PARTY_BY_ID[name], {"party_id": party_id}) is not None
        for name in names
        if name is not None
    )


def customer_count_for_party(session: Session, party_id: str) -> int:
    return session.scalar(select(func.count()).where(Customer.engaged_party_id == party_id)) or 0
