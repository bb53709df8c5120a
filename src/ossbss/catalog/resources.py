"""The catalog room's TMF620 resources and the rules the generic TMF service calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ossbss.catalog import decomposition, domain, models, pricing, repository
from ossbss.kernel.errors import Conflict, InvalidInput
from ossbss.tmf import Api, Document, Resource, check_period

CATALOG_API = Api(
    name="productCatalogManagement",
    spec_file="TMF620-ProductCatalog-v4.0.0.swagger.json",
    title="TMF620 Product Catalog",
)
WRITERS = frozenset({"admin"})
SERVER_FIELDS = frozenset({"id", "href", "lastUpdate"})
COMMON_COLUMNS = {
    "id": "id",
    "name": "name",
    "lifecycleStatus": "lifecycle_status",
    "lastUpdate": "last_update",
    "validFor.startDateTime": "valid_from",
    "validFor.endDateTime": "valid_to",
    "version": "version",
}


@dataclass(frozen=True)
class RefField:
    """An attribute of the document that refers to other catalog entities by id."""

    field: str  # "category" (array of refs), "productSpecification" (one ref), "parentId"
    model: Any
    bundle: bool = False  # items are the entity's own kind: no self-reference, no cycle


@dataclass(frozen=True)
class Referrer:
    """Where other entities point at this kind of entity (a delete is refused while any do)."""

    resource: str
    path: str  # indexed ref path, or "" when ``column`` is used
    what: str
    column: Any = None


class _EntityRules:
    """Rules every TMF620 entity shares: lifecycle, lastUpdate, validFor, references,
    and refusing to delete what is on sale or still referenced."""

    model: Any = None
    refs: tuple[RefField, ...] = ()
    referrers: tuple[Referrer, ...] = ()

    def on_create(self, session: Session, document: Document, now: datetime) -> Document:
        document = domain.lifecycle_on_create(document, now)
        return self.check(session, document, self_id=None)

    def on_update(self, session: Session, old: Document, new: Document, now: datetime) -> Document:
        new = domain.lifecycle_on_update(old, new, now)
        self_id = str(old["id"])
        # Frozen terms first: "create a new price" helps more than a remark on the new terms.
        self.check_change(session, old, new, self_id=self_id)
        return self.check(session, new, self_id=self_id)

    def on_delete(self, session: Session, document: Document, now: datetime) -> None:
        status = document.get(domain.STATUS)
        if status in domain.UNDELETABLE:
            raise Conflict(
                "Entity on sale",
                field=domain.STATUS,
                detail=f"a {status} entity cannot be deleted; move it to Obsolete first",
            )
        for referrer in self.referrers:
            if _referenced(session, referrer, document["id"]):
                raise Conflict(
                    "Entity in use", field="id", detail=f"{referrer.what} still refers to it"
                )

    def check(self, session: Session, document: Document, *, self_id: str | None) -> Document:
        for ref in self.refs:
            _check_ref(session, document, ref, self_id)
        return document

    def check_change(
        self, session: Session, old: Document, new: Document, *, self_id: str | None
    ) -> None:
        return None


def _referenced(session: Session, referrer: Referrer, resource_id: str) -> bool:
    if referrer.column is not None:
        return repository.column_count(session, referrer.column, resource_id) > 0
    return repository.referrer_count(session, referrer.resource, referrer.path, resource_id) > 0


def _labels(document: Document, field: str) -> list[tuple[str, str]]:
    value = document.get(field)
    if isinstance(value, list):
        return domain.ref_ids(document, field)
    if isinstance(value, dict):
        return [(f"{field}.id", str(value.get("id")))]
    return [] if value is None else [(field, str(value))]


def _check_ref(session: Session, document: Document, ref: RefField, self_id: str | None) -> None:
    labels = _labels(document, ref.field)
    missing = repository.missing_ids(session, ref.model, [ref_id for _, ref_id in labels])
    for label, ref_id in labels:
        if ref.bundle and ref_id == self_id:
            raise InvalidInput(
                "Refers to itself", field=label, detail="may not be the entity itself"
            )
        if ref_id in missing:
            raise InvalidInput("Unknown reference", field=label, detail=f"no such entity: {ref_id}")
    if ref.bundle and self_id is not None:
        _refuse_cycle(session, ref, labels, self_id)


def _refuse_cycle(
    session: Session, ref: RefField, labels: list[tuple[str, str]], self_id: str
) -> None:
    def children(node: str) -> list[str]:
        return [
            ref_id
            for _, ref_id in _labels(repository.body_of(session, ref.model, node) or {}, ref.field)
        ]

    for label, ref_id in labels:
        if domain.reaches([ref_id], self_id, children):
            raise InvalidInput(
                "Cycle", field=label, detail=f"{ref_id} already contains this entity"
            )


class _CatalogRules(_EntityRules):
    model = models.Catalog
    refs = (RefField("category", models.Category),)


class _CategoryRules(_EntityRules):
    model = models.Category
    refs = (
        RefField("parentId", models.Category, bundle=True),
        RefField("subCategory", models.Category),
        RefField("productOffering", models.ProductOffering),
    )
    referrers = (
        Referrer("category", "", "a sub-category", column=models.Category.parent_id),
        Referrer("category", "subCategory.id", "a category"),
        Referrer("catalog", "category.id", "a catalog"),
        Referrer("productOffering", "category.id", "a product offering"),
    )

    def check(self, session: Session, document: Document, *, self_id: str | None) -> Document:
        return super().check(session, domain.check_category_root(document), self_id=self_id)


class _SpecificationRules(_EntityRules):
    model = models.ProductSpecification
    refs = (RefField("bundledProductSpecification", models.ProductSpecification, bundle=True),)
    referrers = (
        Referrer(
            "productOffering",
            "",
            "a product offering",
            column=models.ProductOffering.product_specification_id,
        ),
        Referrer(
            "productSpecification",
            "bundledProductSpecification.id",
            "a bundled product specification",
        ),
    )

    def check(self, session: Session, document: Document, *, self_id: str | None) -> Document:
        domain.check_bundle(document, "bundledProductSpecification")
        decomposition.read(document)
        return super().check(session, document, self_id=self_id)


class _OfferingRules(_EntityRules):
    model = models.ProductOffering
    refs = (
        RefField("productSpecification", models.ProductSpecification),
        RefField("productOfferingPrice", models.ProductOfferingPrice),
        RefField("category", models.Category),
        RefField("bundledProductOffering", models.ProductOffering, bundle=True),
    )
    referrers = (
        Referrer("productOffering", "bundledProductOffering.id", "a bundle offering"),
        Referrer("category", "productOffering.id", "a category"),
    )

    def check(self, session: Session, document: Document, *, self_id: str | None) -> Document:
        domain.check_bundle(document, "bundledProductOffering")
        _check_terms(document)
        return super().check(session, document, self_id=self_id)


class _PriceRules(_EntityRules):
    model = models.ProductOfferingPrice
    refs = (
        RefField("popRelationship", models.ProductOfferingPrice, bundle=True),
        RefField("bundledPopRelationship", models.ProductOfferingPrice, bundle=True),
    )
    referrers = (
        Referrer("productOffering", "productOfferingPrice.id", "a product offering"),
        Referrer("productOfferingPrice", "popRelationship.id", "a product offering price"),
        Referrer("productOfferingPrice", "bundledPopRelationship.id", "a bundle price"),
    )

    def check(self, session: Session, document: Document, *, self_id: str | None) -> Document:
        document = pricing.check_price(document)
        if document[domain.STATUS] == domain.LAUNCHED and document.get("priceType") is None:
            raise InvalidInput(
                "Missing mandatory attribute",
                field="priceType",
                detail="a launched price needs one",
            )
        _check_terms(document)
        return super().check(session, document, self_id=self_id)

    def check_change(
        self, session: Session, old: Document, new: Document, *, self_id: str | None
    ) -> None:
        changed = pricing.changed_terms(old, new)
        if not changed:
            return
        status = old.get(domain.STATUS)
        if status in domain.SOLD:
            _refuse_repricing(changed, f"this price is {status}")
        offerings = repository.launched_offerings_with_price(session, self_id) if self_id else []
        if offerings:
            _refuse_repricing(changed, f"launched product offering {offerings[0]} uses this price")


def _refuse_repricing(changed: list[str], why: str) -> None:
    raise Conflict(
        "Price terms are frozen",
        field=changed[0],
        detail=(
            f"{why}, so its terms cannot change (subscribers keep what they bought); create a "
            "new productOfferingPrice with its own validFor, and end this one with "
            "validFor.endDateTime or a lifecycleStatus change"
        ),
    )


def _check_terms(document: Document) -> None:
    for index, term in enumerate(document.get("productOfferingTerm") or []):
        check_period(term, prefix=f"productOfferingTerm[{index}].")


CATALOG = Resource(
    api=CATALOG_API,
    name="catalog",
    model=models.Catalog,
    columns={**COMMON_COLUMNS, "catalogType": "catalog_type"},
    refs=("category.id", "relatedParty.id"),
    state_field=domain.STATUS,
    rules=_CatalogRules(),
    server_fields=SERVER_FIELDS,
    write_roles=WRITERS,
)
CATEGORY = Resource(
    api=CATALOG_API,
    name="category",
    model=models.Category,
    columns={**COMMON_COLUMNS, "parentId": "parent_id", "isRoot": "is_root"},
    refs=("subCategory.id", "productOffering.id"),
    state_field=domain.STATUS,
    rules=_CategoryRules(),
    server_fields=SERVER_FIELDS,
    write_roles=WRITERS,
)
PRODUCT_SPECIFICATION = Resource(
    api=CATALOG_API,
    name="productSpecification",
    model=models.ProductSpecification,
    columns={
        **COMMON_COLUMNS,
        "isBundle": "is_bundle",
        "brand": "brand",
        "productNumber": "product_number",
    },
    refs=("relatedParty.id", "bundledProductSpecification.id"),
    state_field=domain.STATUS,
    rules=_SpecificationRules(),
    server_fields=SERVER_FIELDS,
    write_roles=WRITERS,
)
PRODUCT_OFFERING = Resource(
    api=CATALOG_API,
    name="productOffering",
    model=models.ProductOffering,
    columns={
        **COMMON_COLUMNS,
        "isBundle": "is_bundle",
        "isSellable": "is_sellable",
        "productSpecification.id": "product_specification_id",
    },
    refs=(
        "category.id",
        "productOfferingPrice.id",
        "bundledProductOffering.id",
        "channel.id",
        "marketSegment.id",
    ),
    state_field=domain.STATUS,
    rules=_OfferingRules(),
    server_fields=SERVER_FIELDS,
    write_roles=WRITERS,
)
PRODUCT_OFFERING_PRICE = Resource(
    api=CATALOG_API,
    name="productOfferingPrice",
    model=models.ProductOfferingPrice,
    columns={
        **COMMON_COLUMNS,
        "isBundle": "is_bundle",
        "priceType": "price_type",
        "recurringChargePeriodType": "recurring_charge_period_type",
        "price.unit": "price_unit",
    },
    refs=("popRelationship.id", "bundledPopRelationship.id"),
    state_field=domain.STATUS,
    rules=_PriceRules(),
    server_fields=SERVER_FIELDS,
    write_roles=WRITERS,
)
RESOURCES = (CATALOG, CATEGORY, PRODUCT_SPECIFICATION, PRODUCT_OFFERING, PRODUCT_OFFERING_PRICE)
