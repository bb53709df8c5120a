"""Customer search for people at a desk: one box that takes a name, an e-mail address, a
phone number, a customer id or a billing account (id or name).

Every branch is an indexed equality or prefix lookup (docs/adr/0033-customer-search.md):
names on the folded ``name_key`` / ``name_rkey`` columns of ``party_customer``, contact media
and account references through ``tmf_ref_index``. Nothing scans documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from ossbss.kernel.errors import InvalidInput
from ossbss.party.domain import normalise_email, normalise_phone
from ossbss.party.models import Customer, Individual, Organization
from ossbss.party.names import fold_name
from ossbss.party.resources import CUSTOMER, INDIVIDUAL, ORGANIZATION
from ossbss.tmf import RefIndex

EMAIL_PATH = "contactMedium.characteristic.emailAddress"
PHONE_PATH = "contactMedium.characteristic.phoneNumber"
ACCOUNT_ID_PATH = "account.id"
ACCOUNT_NAME_PATH = "account.name"
MAX_LIMIT = 100
# Digits with the separators people type between them; at least six digits in all.
_PHONE_SHAPE = re.compile(r"^\+?[\d\s\-().]{6,}$")
# Above every character a folded key holds: the end of a prefix range.
_KEY_END = "\x7f"


@dataclass(frozen=True, slots=True)
class CustomerHit:
    """One customer in a result list, with what a person needs to recognise them."""

    id: str
    name: str | None
    status: str | None
    email: str | None
    phone: str | None
    accounts: tuple[tuple[str, str | None], ...]  # (billing account id, name)


@dataclass(frozen=True, slots=True)
class CustomerPage:
    hits: list[CustomerHit]
    total: int
    offset: int
    limit: int


def search_customers(
    session: Session, *, text: str | None, offset: int = 0, limit: int = 20
) -> CustomerPage:
    """Customers matching ``text`` (see the module docstring), newest first; every customer,
    newest first, when ``text`` is empty."""
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    wanted = (text or "").strip()
    query: Select[Any] = select(Customer.pk)
    if wanted:
        query = query.where(or_(*_conditions(wanted)))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    pks = list(
        session.scalars(query.order_by(Customer.pk.desc()).offset(offset).limit(limit)).all()
    )
    return CustomerPage(_hits(session, pks), int(total), offset, limit)


def _conditions(text: str) -> list[ColumnElement[bool]]:
    """Each way ``text`` may name a customer, every one an indexed lookup."""
    conditions: list[ColumnElement[bool]] = [
        Customer.id == text[:64],
        Customer.pk.in_(_refs(CUSTOMER.name, ACCOUNT_ID_PATH, [text])),
        Customer.pk.in_(_refs(CUSTOMER.name, ACCOUNT_NAME_PATH, [text])),
    ]
    if "@" in text:
        conditions.extend(_contact(EMAIL_PATH, _email_forms(text)))
    elif _PHONE_SHAPE.match(text):
        conditions.extend(_contact(PHONE_PATH, _phone_forms(text)))
    key = fold_name(text)
    if key:
        upper = key + _KEY_END
        conditions.append((Customer.name_key >= key) & (Customer.name_key < upper))
        conditions.append((Customer.name_rkey >= key) & (Customer.name_rkey < upper))
    return conditions


def _email_forms(text: str) -> list[str]:
    """The address as typed, as party stores it (normalised), and in lower case."""
    forms = [text, text.lower()]
    try:
        normalised = normalise_email(text, field="q")
        forms += [normalised, normalised.lower()]
    except InvalidInput:
        pass
    return list(dict.fromkeys(forms))


def _phone_forms(text: str) -> list[str]:
    """The number in E.164 as party stores it; without a leading + the digits are read as
    one with its country code (people type 31612345678 as often as +31612345678)."""
    digits = re.sub(r"\D", "", text)
    for candidate in (text, f"+{digits}"):
        try:
            return [normalise_phone(candidate, field="q")]
        except InvalidInput:
            continue
    return [f"+{digits}"]


def _refs(resource: str, path: str, values: list[str]) -> Select[Any]:
    return select(RefIndex.resource_pk).where(
        RefIndex.resource == resource,
        RefIndex.path == path,
        RefIndex.value.in_([value[:255] for value in values]),
    )


def _contact(path: str, values: list[str]) -> list[ColumnElement[bool]]:
    """Customers whose own contact media or whose engaged party's hold one of ``values``."""
    individuals = select(Individual.id).where(
        Individual.pk.in_(_refs(INDIVIDUAL.name, path, values))
    )
    organizations = select(Organization.id).where(
        Organization.pk.in_(_refs(ORGANIZATION.name, path, values))
    )
    return [
        Customer.pk.in_(_refs(CUSTOMER.name, path, values)),
        Customer.engaged_party_id.in_(individuals),
        Customer.engaged_party_id.in_(organizations),
    ]


def _hits(session: Session, pks: list[int]) -> list[CustomerHit]:
    """The page's customers with their contact details: three reads whatever the page size."""
    if not pks:
        return []
    rows = session.execute(
        select(Customer.pk, Customer.id, Customer.name, Customer.status, Customer.body).where(
            Customer.pk.in_(pks)
        )
    ).all()
    party_ids = [
        str(party_id)
        for row in rows
        if (party_id := ((row.body or {}).get("engagedParty") or {}).get("id"))
    ]
    parties: dict[str, dict[str, Any]] = {}
    if party_ids:
        for model in (Individual, Organization):
            for party_id, body in session.execute(
                select(model.id, model.body).where(model.id.in_(party_ids))
            ):
                parties[party_id] = body or {}
    by_pk = {}
    for row in rows:
        body = row.body or {}
        party = parties.get(str((body.get("engagedParty") or {}).get("id")), {})
        media = list(body.get("contactMedium") or []) + list(party.get("contactMedium") or [])
        by_pk[row.pk] = CustomerHit(
            id=row.id,
            name=row.name,
            status=row.status,
            email=_first(media, "emailAddress"),
            phone=_first(media, "phoneNumber"),
            accounts=tuple(
                (str(ref.get("id")), ref.get("name"))
                for ref in body.get("account") or []
                if isinstance(ref, dict) and ref.get("id")
            ),
        )
    return [by_pk[pk] for pk in pks if pk in by_pk]


def _first(media: list[Any], name: str) -> str | None:
    for medium in media:
        value = (medium.get("characteristic") or {}).get(name) if isinstance(medium, dict) else None
        if value:
            return str(value)
    return None
