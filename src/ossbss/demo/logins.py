"""The demo's console sign-ins: one staff user per role and a few subscribers' self-care
logins, all with the password DEMO_PASSWORD (printed by `make run`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ossbss import billing, iam, party, product_inventory, tmf
from ossbss.bootstrap import Platform
from ossbss.kernel import DomainError
from ossbss.kernel.money import Money

DEMO_PASSWORD = "ossbss-demo"
STAFF = (
    ("admin", "admin"),
    ("csr", "csr"),
    ("billing", "billing"),
    ("noc", "noc"),
    ("viewer", "readonly"),
)
SUBSCRIBERS = 3  # self-care logins: the first customers with a working product and a bill due
CUSTOMER_PAGE = 200


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    who: str = ""


def create_logins(platform: Platform) -> list[Login]:
    """Staff users (the admin user gets a password too) and subscribers' logins; idempotent."""
    now = platform.clock.now()
    logins: list[Login] = []
    with platform.database.unit_of_work() as session:
        for username, role in STAFF:
            _ensure(session, username=username, role=role, now=now)
            logins.append(Login(username, role))
        for login, customer_id in _subscribers(session):
            _ensure(
                session, username=login.username, role=iam.CUSTOMER, now=now, party_id=customer_id
            )
            logins.append(login)
    return logins


def _subscribers(session: Session) -> list[tuple[Login, str]]:
    """The first SUBSCRIBERS customers (in the order they were loaded) with an active product
    and an open bill, each with their e-mail as the username: deterministic for a demo."""
    found: list[tuple[Login, str]] = []
    offset = 0
    while len(found) < SUBSCRIBERS:
        query = tmf.parse_list_query([("offset", str(offset)), ("limit", str(CUSTOMER_PAGE))])
        page = tmf.list_resources(session, resource=party.CUSTOMER, query=query)
        if not page.items:
            break
        customers = [{"id": item_id, **json.loads(body)} for item_id, body in page.items]
        accounts = {c["id"]: [str(a["id"]) for a in c.get("account") or []] for c in customers}
        due = billing.open_bills_for(
            session, account_ids=[a for ids in accounts.values() for a in ids]
        )
        for customer in customers:
            bills = [bill for a in accounts[customer["id"]] for bill in due.get(a, [])]
            if not bills or len(found) >= SUBSCRIBERS:
                continue
            products = _active_products(session, customer["id"])
            email = _email(session, customer)
            if products and email:
                owed = Money(bills[0].currency, sum(b.remaining_minor for b in bills))
                what = " + ".join(str(p.get("name")) for p in products)
                who = f"{customer.get('name')}: {what}, {owed.to_decimal()} {owed.currency} due"
                found.append((Login(email, iam.CUSTOMER, who), customer["id"]))
        offset += CUSTOMER_PAGE
    return found


def _active_products(session: Session, customer_id: str) -> list[dict[str, Any]]:
    query = tmf.parse_list_query(
        [("relatedParty.id", customer_id), ("status", "active"), ("limit", "5")]
    )
    page = tmf.list_resources(session, resource=product_inventory.PRODUCT, query=query)
    return [json.loads(body) for _, body in page.items]


def _email(session: Session, customer: dict[str, Any]) -> str | None:
    """The e-mail address of the party the customer engages (the demo keeps it there)."""
    engaged = customer.get("engagedParty") or {}
    kinds = {"Individual": party.INDIVIDUAL, "Organization": party.ORGANIZATION}
    resource = kinds.get(str(engaged.get("@referredType")))
    if resource is None or not engaged.get("id"):
        return None
    try:
        body = tmf.get_resource(session, resource=resource, resource_id=str(engaged["id"]))
    except DomainError:
        return None
    for medium in body.get("contactMedium") or []:
        address = (medium.get("characteristic") or {}).get("emailAddress")
        if medium.get("mediumType") == "email" and address:
            return str(address).lower()
    return None


def _ensure(
    session: Session, *, username: str, role: str, now: datetime, party_id: str | None = None
) -> None:
    try:
        iam.create_user(
            session,
            username=username,
            role=role,
            now=now,
            password=DEMO_PASSWORD,
            party_id=party_id,
        )
    except DomainError:
        iam.set_password(session, username=username, password=DEMO_PASSWORD)
