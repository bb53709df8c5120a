"""TMF637 product: what a customer owns, created by orders, with its lifecycle."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ossbss import account, catalog, party
from ossbss.kernel.errors import InvalidInput, NotFound
from ossbss.kernel.time import format_datetime
from ossbss.product_inventory import domain, models, timeline
from ossbss.tmf import Api, Document, Resource, check_initial, check_transition

PRODUCT_INVENTORY_API = Api(
    name="productInventory",
    spec_file="TMF637-ProductInventory-v4.0.0.swagger.json",
    title="TMF637 Product Inventory",
)


class _ProductRules:
    def on_create(self, session: Session, document: Document, now: datetime) -> Document:
        document["status"] = domain.normalise_status(document.get("status"))
        check_initial(domain.INITIAL, document["status"], field="status")
        _check_references(session, document)
        document.setdefault("startDate", format_datetime(now))
        return document

    def on_created(self, session: Session, document: Document, now: datetime) -> None:
        timeline.record_created(session, document=document, now=now)

    def on_update(self, session: Session, old: Document, new: Document, now: datetime) -> Document:
        new["status"] = domain.normalise_status(new.get("status"))
        check_transition(domain.LIFECYCLE, old.get("status"), new["status"], field="status")
        for name in ("productOffering", "billingAccount"):
            if domain.ref_id(old, name) != domain.ref_id(new, name):
                _check_references(session, new)
        if new["status"] == "terminated" and old.get("status") != "terminated":
            new.setdefault("terminationDate", format_datetime(now))
        timeline.record_updated(session, old=old, new=new, now=now)
        return new

    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        return None


def _check_references(session: Session, document: Document) -> None:
    offering_id = domain.ref_id(document, "productOffering")
    if offering_id and not catalog.offering_exists(session, offering_id=offering_id):
        raise InvalidInput(
            "Unknown product offering",
            field="productOffering.id",
            detail=f"no productOffering with id {offering_id}",
        )
    account_id = domain.ref_id(document, "billingAccount")
    if account_id:
        try:
            account.get_billing_account(session, account_id=account_id)
        except NotFound:
            raise InvalidInput(
                "Unknown billing account",
                field="billingAccount.id",
                detail=f"no billingAccount with id {account_id}",
            ) from None
    for customer_id in domain.customer_ids(document):
        try:
            party.get_customer(session, customer_id=customer_id)
        except NotFound:
            raise InvalidInput(
                "Unknown customer",
                field="relatedParty.id",
                detail=f"no customer with id {customer_id}",
            ) from None


PRODUCT = Resource(
    api=PRODUCT_INVENTORY_API,
    name="product",
    model=models.Product,
    columns={
        "id": "id",
        "status": "status",
        "name": "name",
        "productOffering.id": "offering_id",
        "billingAccount.id": "billing_account_id",
    },
    refs=("relatedParty.id", "realizingService.id", "productPrice.productOfferingPrice.id"),
    state_field="status",
    rules=_ProductRules(),
    write_roles=frozenset({"admin", "csr"}),
)
RESOURCES = (PRODUCT,)
