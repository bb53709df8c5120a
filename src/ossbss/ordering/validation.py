"""Checks a new product order against the rooms below it: customer, billing account,
catalog (offering orderable on the order date, characteristics, prices, currency, credit
limit) and the installed base. Each failure is InvalidInput naming the field: a 400 that
changes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ossbss import account, catalog, party, product_inventory
from ossbss.kernel.errors import InvalidInput, NotFound
from ossbss.kernel.money import Money
from ossbss.kernel.time import format_datetime
from ossbss.ordering import domain
from ossbss.tmf import Document, characteristic_list

ORDERABLE_CUSTOMER_STATES = frozenset({"Initialized", "Approved", "Active"})


@dataclass
class Totals:
    currency: str | None = None
    one_time: int = 0
    recurring: int = 0


def check_order(session: Session, document: Document, now: datetime) -> Document:
    customer = _customer(session, document)
    items = document.get("productOrderItem") or []
    if not items:
        raise InvalidInput("No items", field="productOrderItem", detail="at least one item")
    ids = [str(item.get("id")) for item in items]
    if len(set(ids)) != len(ids):
        raise InvalidInput("Duplicate item id", field="productOrderItem.id", detail="ids unique")
    totals = Totals()
    for index, item in enumerate(items):
        where = f"productOrderItem[{index}]"
        kind = domain.intent(item)
        if kind == "add":
            _check_add(session, document, item, customer, where, now, totals)
        elif kind != "noChange":
            _check_change(session, item, customer["id"], kind, where, now)
        item["state"] = "acknowledged"
    if totals.currency is not None:
        _check_credit(session, document, items, totals)
        document["orderTotalPrice"] = _total_prices(totals)
    return document


def _customer(session: Session, document: Document) -> Document:
    refs = [
        ref
        for ref in document.get("relatedParty") or []
        if str(ref.get("role", "")).lower() == "customer" or ref.get("@referredType") == "Customer"
    ]
    if len(refs) != 1:
        raise InvalidInput(
            "Missing customer",
            field="relatedParty",
            detail="exactly one related party with role customer",
        )
    try:
        customer = party.get_customer(session, customer_id=str(refs[0].get("id")))
    except NotFound:
        raise InvalidInput(
            "Unknown customer", field="relatedParty.id", detail=f"no customer {refs[0].get('id')}"
        ) from None
    if customer.get("status") not in ORDERABLE_CUSTOMER_STATES:
        raise InvalidInput(
            "Customer cannot order",
            field="relatedParty.id",
            detail=f"customer {customer['id']} is {customer.get('status')}",
        )
    return customer


def _check_add(
    session: Session,
    document: Document,
    item: Document,
    customer: Document,
    where: str,
    now: datetime,
    totals: Totals,
) -> None:
    offering_id = (item.get("productOffering") or {}).get("id")
    if not offering_id:
        raise InvalidInput("Missing offering", field=f"{where}.productOffering.id", detail="")
    if not catalog.offering_is_orderable(session, offering_id=str(offering_id), at=now):
        raise InvalidInput(
            "Offering not orderable",
            field=f"{where}.productOffering.id",
            detail=f"{offering_id} is unknown, not launched or not valid on {format_datetime(now)}",
        )
    offering = catalog.get_offering(session, offering_id=str(offering_id))
    item["productOffering"] = {**item["productOffering"], "name": offering["name"]}
    product = item.setdefault("product", {})
    specification_id = (offering.get("productSpecification") or {}).get("id")
    if specification_id:
        specification = catalog.get_specification(session, specification_id=specification_id)
        uses = offering.get("prodSpecCharValueUse") or []
        ordered = {**domain.offering_defaults(uses), **domain.characteristics(product)}
        values = domain.check_characteristics(
            specification, ordered, field=f"{where}.product", partial=False
        )
        domain.check_offering_uses(uses, values, field=f"{where}.product")
        product["productCharacteristic"] = characteristic_list(values)
        product["productSpecification"] = {
            "id": specification_id,
            "name": specification.get("name"),
        }
    account_id = _billing_account(session, document, item, customer, where)
    currency = _account_currency(session, account_id)
    item["itemPrice"] = _prices(session, str(offering_id), currency, where, now, totals)


def _billing_account(
    session: Session, document: Document, item: Document, customer: Document, where: str
) -> str:
    ref = item.get("billingAccount") or document.get("billingAccount")
    if not ref or not ref.get("id"):
        raise InvalidInput(
            "Missing billing account",
            field=f"{where}.billingAccount.id",
            detail="the order or the item names the billing account to charge",
        )
    account_id = str(ref["id"])
    try:
        active = account.billing_account_is_active(session, account_id=account_id)
    except NotFound:
        raise InvalidInput(
            "Unknown billing account", field="billingAccount.id", detail=f"no account {account_id}"
        ) from None
    if not active:
        raise InvalidInput(
            "Billing account not active",
            field="billingAccount.id",
            detail=f"account {account_id} cannot be charged",
        )
    owners = {customer["id"], str((customer.get("engagedParty") or {}).get("id"))}
    owned = {
        owned_id
        for owner in owners
        for owned_id in account.billing_account_ids_owned_by(session, party_id=owner)
    }
    if account_id not in owned:
        raise InvalidInput(
            "Billing account of another party",
            field="billingAccount.id",
            detail=f"account {account_id} does not belong to customer {customer['id']}",
        )
    item["billingAccount"] = {"id": account_id, "@referredType": "BillingAccount"}
    return account_id


def _account_currency(session: Session, account_id: str) -> str:
    return str(account.get_billing_account(session, account_id=account_id).get("currency"))


def _prices(
    session: Session, offering_id: str, currency: str, where: str, now: datetime, totals: Totals
) -> list[dict[str, Any]]:
    prices = []
    for price in catalog.prices_for_offering(session, offering_id=offering_id, at=now):
        if price.amount is None or price.price_type not in ("recurring", "oneTime"):
            continue
        if price.amount.currency != currency:
            raise InvalidInput(
                "Currency mismatch",
                field=f"{where}.billingAccount.id",
                detail=f"the offering is priced in {price.amount.currency}, "
                f"the billing account is in {currency}",
            )
        amount = price.amount.duty_free or price.amount.tax_included
        assert amount is not None
        minor = amount.to_money().minor
        totals.currency = currency
        if price.price_type == "recurring":
            totals.recurring += minor
        else:
            totals.one_time += minor
        entry: dict[str, Any] = {
            "name": price.name,
            "priceType": price.price_type,
            "price": {"dutyFreeAmount": _money(Money(currency, minor))},
            "productOfferingPrice": {"id": price.id, "name": price.name},
        }
        if price.price_type == "recurring":
            entry["recurringChargePeriod"] = price.period_type or "month"
        prices.append(entry)
    return prices


def _money(money: Money) -> dict[str, Any]:
    # TMF Money carries a JSON number; minor units of an ISO 4217 currency are exact in it.
    return {"unit": money.currency, "value": float(money.to_decimal())}


def _total_prices(totals: Totals) -> list[dict[str, Any]]:
    assert totals.currency is not None
    result = []
    for price_type, minor in (("oneTime", totals.one_time), ("recurring", totals.recurring)):
        if minor:
            result.append(
                {
                    "priceType": price_type,
                    "price": {"dutyFreeAmount": _money(Money(totals.currency, minor))},
                }
            )
    return result


def _check_credit(
    session: Session, document: Document, items: list[Document], totals: Totals
) -> None:
    """The first bill (one-time charges and a period of recurring ones) must fit the limit."""
    accounts = {str(item["billingAccount"]["id"]) for item in items if item.get("billingAccount")}
    first_bill = totals.one_time + totals.recurring
    for account_id in accounts:
        limit = account.credit_limit(session, account_id=account_id)
        if limit is not None and first_bill > limit.minor:
            raise InvalidInput(
                "Credit limit exceeded",
                field="billingAccount.id",
                detail=f"the order's first charges ({Money(limit.currency, first_bill)}) exceed "
                f"account {account_id}'s credit limit ({limit})",
            )


EXPECTED_STATUS: Mapping[str, frozenset[str]] = {
    "modify": frozenset({"active"}),
    "suspend": frozenset({"active"}),
    "resume": frozenset({"suspended"}),
    "delete": frozenset({"active", "suspended"}),
}


def _check_change(
    session: Session, item: Document, customer_id: str, kind: str, where: str, now: datetime
) -> None:
    product_ref = item.get("product") or {}
    product_id = product_ref.get("id")
    if not product_id:
        raise InvalidInput("Missing product", field=f"{where}.product.id", detail=f"to {kind}")
    try:
        product = product_inventory.get_product(session, product_id=str(product_id))
    except NotFound:
        raise InvalidInput(
            "Unknown product", field=f"{where}.product.id", detail=f"no product {product_id}"
        ) from None
    owners = {
        str(ref.get("id"))
        for ref in product.get("relatedParty") or []
        if str(ref.get("role", "")).lower() == "customer"
    }
    if customer_id not in owners:
        raise InvalidInput(
            "Product of another customer",
            field=f"{where}.product.id",
            detail=f"product {product_id} does not belong to customer {customer_id}",
        )
    if product.get("status") not in EXPECTED_STATUS[kind]:
        raise InvalidInput(
            "Product cannot change so",
            field=f"{where}.product.id",
            detail=f"cannot {kind} a product that is {product.get('status')}",
        )
    if kind == "modify":
        _check_new_offering(session, item, product, where, now)
        specification_id = (product.get("productSpecification") or {}).get("id")
        if specification_id:
            specification = catalog.get_specification(session, specification_id=specification_id)
            domain.check_characteristics(
                specification,
                domain.characteristics(product_ref),
                field=f"{where}.product",
                partial=True,
            )


def _check_new_offering(
    session: Session, item: Document, product: Document, where: str, now: datetime
) -> None:
    """A modify naming another offering is a plan change: the new offering must be orderable
    now, and its prices become the item's (and, once done, the product's)."""
    offering_id = (item.get("productOffering") or {}).get("id")
    current = (product.get("productOffering") or {}).get("id")
    if not offering_id or offering_id == current:
        return
    if not catalog.offering_is_orderable(session, offering_id=str(offering_id), at=now):
        raise InvalidInput(
            "Offering not orderable",
            field=f"{where}.productOffering.id",
            detail=f"{offering_id} is unknown, not launched or not valid on {format_datetime(now)}",
        )
    offering = catalog.get_offering(session, offering_id=str(offering_id))
    item["productOffering"] = {**item["productOffering"], "name": offering["name"]}
    account_id = str((product.get("billingAccount") or {}).get("id"))
    currency = _account_currency(session, account_id)
    item["itemPrice"] = _prices(session, str(offering_id), currency, where, now, Totals())
