"""The customer 360: everything a desk needs about one customer, read through the rooms'
public functions. Every section is bounded (the latest few rows and a count), so the page
costs the same for a customer of ten years as for one of a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.orm import Session

from ossbss import account, assurance, billing, ordering, party, payment, product_inventory, tmf
from ossbss.billing import OpenBill
from ossbss.kernel.errors import NotFound
from ossbss.payment import AgingBuckets, PaymentRow
from ossbss.tmf import Document, Resource
from ossbss.usage import DailyUsage, daily_usage

SECTION_ROWS = 10
PRODUCT_ROWS = 20
MAX_ACCOUNTS = 10
USAGE_DAYS = 30
PARTY_RESOURCES = {"Individual": party.INDIVIDUAL, "Organization": party.ORGANIZATION}


@dataclass(frozen=True)
class Section:
    """The latest rows of a list and how many there are in all."""

    rows: list[Document]
    total: int


@dataclass(frozen=True)
class AccountView:
    id: str
    name: str | None
    state: str | None
    currency: str
    balance: dict[str, int]
    aging: dict[str, dict[str, int]]  # currency -> bucket -> amount due


@dataclass(frozen=True)
class Customer360:
    customer: Document
    engaged_party: Document | None
    contacts: list[Document]
    accounts: list[AccountView]
    products: Section
    orders: Section
    bills: list[OpenBill]
    payments: list[PaymentRow]
    usage: list[DailyUsage]
    tickets: Section

    @property
    def id(self) -> str:
        return str(self.customer["id"])

    def usage_chart(self) -> tuple[list[str], list[dict[str, Any]]]:
        """Labels and datasets for ui.chart: megabytes and minutes per day."""
        labels = [row.day.isoformat() for row in self.usage]
        return labels, [
            {"label": "MB", "data": [round(row.bytes_total / 1_000_000, 1) for row in self.usage]},
            {"label": "minutes", "data": [round(row.seconds / 60, 1) for row in self.usage]},
        ]


def load_360(session: Session, *, customer_id: str, now: datetime) -> Customer360:
    """The customer's page; NotFound (404) when there is no such customer."""
    customer = party.get_customer(session, customer_id=customer_id)
    engaged = _engaged_party(session, customer)
    account_ids = _account_ids(session, customer)
    related = [("relatedParty.id", customer_id)]
    # Products are the accounts' (a product names its billing account; a party only when
    # an order placed it).
    owned = [("billingAccount.id", ",".join(account_ids))] if account_ids else related
    return Customer360(
        customer=customer,
        engaged_party=engaged,
        contacts=list(customer.get("contactMedium") or [])
        + list((engaged or {}).get("contactMedium") or []),
        accounts=_accounts(session, account_ids, now),
        products=latest(session, product_inventory.PRODUCT, owned, PRODUCT_ROWS),
        orders=latest(session, ordering.PRODUCT_ORDER, related, SECTION_ROWS),
        bills=billing.latest_bills(session, account_ids=account_ids, limit=SECTION_ROWS),
        payments=payment.latest_payments(session, account_ids=account_ids, limit=SECTION_ROWS),
        usage=daily_usage(
            session,
            account_ids=account_ids,
            since=now - timedelta(days=USAGE_DAYS),
            until=now + timedelta(days=1),
        ),
        tickets=latest(session, assurance.TROUBLE_TICKET, related, SECTION_ROWS),
    )


def latest(
    session: Session, resource: Resource, filters: list[tuple[str, str]], count: int
) -> Section:
    """The newest ``count`` resources matching ``filters`` (newest first) and their total:
    the store pages in creation order, so the count says where the last page starts."""
    total = tmf.list_resources(
        session, resource=resource, query=tmf.parse_list_query([*filters, ("limit", "0")])
    ).total
    query = tmf.parse_list_query(
        [*filters, ("offset", str(max(total - count, 0))), ("limit", str(count))]
    )
    page = tmf.list_resources(session, resource=resource, query=query)
    rows = [{"id": item_id, **orjson.loads(body)} for item_id, body in reversed(page.items)]
    return Section(rows, total)


def _engaged_party(session: Session, customer: Document) -> Document | None:
    ref = customer.get("engagedParty") or {}
    resources = (
        [PARTY_RESOURCES[ref["@referredType"]]]
        if ref.get("@referredType") in (PARTY_RESOURCES)
        else list(PARTY_RESOURCES.values())
    )
    for resource in resources:
        try:
            return tmf.get_resource(session, resource=resource, resource_id=str(ref.get("id")))
        except NotFound:
            continue
    return None


def _account_ids(session: Session, customer: Document) -> list[str]:
    """The customer's billing accounts: those it lists, and those it (or its party) owns."""
    ids = [str(ref["id"]) for ref in customer.get("account") or [] if ref.get("id")]
    ids += account.billing_account_ids_owned_by(session, party_id=str(customer["id"]))
    party_id = (customer.get("engagedParty") or {}).get("id")
    if party_id:
        ids += account.billing_account_ids_owned_by(session, party_id=str(party_id))
    return list(dict.fromkeys(ids))[:MAX_ACCOUNTS]


def _accounts(session: Session, account_ids: list[str], now: datetime) -> list[AccountView]:
    balances = account.account_balances(session, account_ids=account_ids)
    aging: dict[str, AgingBuckets] = payment.aging(session, account_ids=account_ids, as_of=now)
    views = []
    for account_id in account_ids:
        try:
            document = account.get_billing_account(session, account_id=account_id)
        except NotFound:
            continue
        buckets = aging.get(account_id)
        views.append(
            AccountView(
                id=account_id,
                name=document.get("name"),
                state=document.get("state"),
                currency=str(document.get("currency") or "EUR"),
                balance=balances.get(account_id, {}),
                aging={c: dict(b) for c, b in buckets.buckets.items()} if buckets else {},
            )
        )
    return views
