"""The catalog pages: offerings, specifications and prices by lifecycle status; create a draft
offering with its prices; edit an offering and move it (and its prices) through the lifecycle.

Every write goes through ``tmf.create_resource`` / ``tmf.patch_resource`` with the catalog's
own resource constants, exactly as the TMF620 API does, so the catalog's rules (lifecycle
moves, frozen price terms, references) decide and their reasons reach the user.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_currency_precision
from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from ossbss import catalog, tmf
from ossbss.console import roles
from ossbss.console.web import Web, form_values
from ossbss.iam import Principal
from ossbss.kernel.errors import Conflict, DomainError, InvalidInput
from ossbss.tmf import Document, ListQuery
from ossbss.tmf.query import Filter

STATUS = "lifecycleStatus"
# Not yet on sale: the catalog's pre-launch states, filtered together as "draft".
DRAFT = "draft"
ON_SALE_OR_ENDED = frozenset({"Launched", "Retired", "Obsolete", "Rejected"})
PRE_LAUNCH = tuple(state for state in catalog.LIFECYCLE_STATES if state not in ON_SALE_OR_ENDED)
NEW_STATUS = "In study"
KINDS: dict[str, tmf.Resource] = {
    "offerings": catalog.PRODUCT_OFFERING,
    "specifications": catalog.PRODUCT_SPECIFICATION,
    "prices": catalog.PRODUCT_OFFERING_PRICE,
}
PAGE = 25
# The prices a new offering may get from its form: (TMF priceType, form field, name suffix).
NEW_PRICES = (("recurring", "recurring", "monthly"), ("oneTime", "one_time", "one-time"))
MAX_CHOICES = 200  # specifications and categories offered in a form's select


@dataclass(frozen=True)
class CatalogList:
    kind: str
    status: str
    offset: int
    limit: int
    total: int
    rows: list[Document]


def status_filter(status: str) -> tuple[Filter, ...]:
    """``draft`` is every pre-launch state; otherwise one of the catalog's own states."""
    if not status:
        return ()
    if status == DRAFT:
        return (Filter(path=STATUS, op="eq", values=PRE_LAUNCH),)
    if status not in catalog.LIFECYCLE_STATES:
        raise InvalidInput(
            "Unknown status",
            field="status",
            detail=f"one of: draft, {', '.join(catalog.LIFECYCLE_STATES)}",
        )
    return (Filter(path=STATUS, op="eq", values=(status,)),)


def list_catalog(
    session: Session, *, kind: str, status: str, offset: int, limit: int
) -> CatalogList:
    resource = KINDS.get(kind)
    if resource is None:
        raise InvalidInput("Unknown list", field="kind", detail=", ".join(KINDS))
    page = tmf.list_resources(
        session,
        resource=resource,
        query=ListQuery(offset=offset, limit=limit, filters=status_filter(status)),
    )
    rows = [{"id": resource_id, **json.loads(body)} for resource_id, body in page.items]
    return CatalogList(kind, status, offset, limit, page.total, rows)


def to_minor(money: Mapping[str, Any] | None) -> tuple[int | None, str]:
    """A TMF money ``{"unit", "value"}`` (major units) as integer minor units for ``money``."""
    if not money:
        return None, "EUR"
    unit = str(money.get("unit") or "EUR")
    try:
        value = Decimal(str(money.get("value")))
        return int(value.scaleb(get_currency_precision(unit))), unit
    except (InvalidOperation, ValueError):
        return None, unit


def tmf_money(raw: str, currency: str, *, field: str) -> dict[str, Any]:
    """A typed amount in major units ("29.99") as the TMF money shape, exact (Decimal)."""
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(
            "Invalid amount", field=field, detail=f"{raw!r} is not a number"
        ) from None
    if not value.is_finite() or value < 0:
        raise InvalidInput("Invalid amount", field=field, detail="must be zero or more")
    number: int | float = int(value) if value == value.to_integral_value() else float(value)
    return {"unit": currency.upper(), "value": number}


def price_payload(kind: str, name: str, amount: str, currency: str, *, field: str) -> Document:
    payload: dict[str, Any] = {
        "name": name,
        STATUS: NEW_STATUS,
        "priceType": kind,
        "price": tmf_money(amount, currency, field=field),
    }
    if kind == "recurring":
        payload["recurringChargePeriodType"] = "month"
    return payload


def create_offering(session: Session, values: Mapping[str, str], now: datetime) -> Document:
    """A draft offering and its draft prices (monthly and/or one-time), as TMF620 clients do."""
    name = values.get("name", "")
    if not name:
        raise InvalidInput("Missing name", field="name", detail="an offering needs a name")
    currency = values.get("currency") or "EUR"
    price_refs = []
    for kind, field, label in (
        ("recurring", "recurring", "monthly"),
        ("oneTime", "one_time", "one-time"),
    ):
        if values.get(field):
            price = tmf.create_resource(
                session,
                resource=catalog.PRODUCT_OFFERING_PRICE,
                payload=price_payload(
                    kind, f"{name} {label}", values[field], currency, field=field
                ),
                now=now,
            )
            price_refs.append({"id": price["id"], "name": price["name"]})
    payload: dict[str, Any] = {"name": name, STATUS: NEW_STATUS}
    if values.get("description"):
        payload["description"] = values["description"]
    if values.get("specification"):
        payload["productSpecification"] = {"id": values["specification"]}
    if values.get("category"):
        payload["category"] = [{"id": values["category"]}]
    if price_refs:
        payload["productOfferingPrice"] = price_refs
    return tmf.create_resource(session, resource=catalog.PRODUCT_OFFERING, payload=payload, now=now)


@dataclass(frozen=True)
class PriceView:
    document: Document
    minor: int | None
    currency: str
    moves: tuple[str, ...]


@dataclass(frozen=True)
class OfferingView:
    offering: Document
    moves: tuple[str, ...]  # the lifecycle moves the catalog allows from here
    prices: list[PriceView]
    specification: Document | None


def moves_from(status: str | None) -> tuple[str, ...]:
    return tuple(sorted(catalog.LIFECYCLE.get(str(status), frozenset())))


def documents_by_id(
    session: Session, resource: tmf.Resource, ids: tuple[str, ...]
) -> dict[str, Document]:
    """The documents with these ids, in one bounded query."""
    if not ids:
        return {}
    page = tmf.list_resources(
        session,
        resource=resource,
        query=ListQuery(limit=len(ids), filters=(Filter(path="id", op="eq", values=ids),)),
    )
    return {
        resource_id: {"id": resource_id, **json.loads(body)} for resource_id, body in page.items
    }


def load_offering(session: Session, offering_id: str) -> OfferingView:
    offering = catalog.get_offering(session, offering_id=offering_id)
    refs = offering.get("productOfferingPrice") or []
    ids = tuple(dict.fromkeys(str(ref.get("id")) for ref in refs))
    bodies = documents_by_id(session, catalog.PRODUCT_OFFERING_PRICE, ids)
    prices = []
    for price_id in ids:  # in the offering's order, one query for all
        price = bodies.get(price_id)
        if price is not None:
            minor, currency = to_minor(price.get("price"))
            prices.append(PriceView(price, minor, currency, moves_from(price.get(STATUS))))
    spec_id = (offering.get("productSpecification") or {}).get("id")
    specification = (
        catalog.get_specification(session, specification_id=str(spec_id)) if spec_id else None
    )
    return OfferingView(offering, moves_from(offering.get(STATUS)), prices, specification)


def add_price(
    session: Session, offering_id: str, values: Mapping[str, str], now: datetime
) -> Document:
    """A draft price, then the offering refers to it too (both through TMF620's rules)."""
    offering = catalog.get_offering(session, offering_id=offering_id)
    kind = values.get("price_type", "recurring")
    if kind not in ("recurring", "oneTime"):
        raise InvalidInput("Unknown price type", field="price_type", detail="recurring or oneTime")
    if not values.get("amount"):
        raise InvalidInput("Missing amount", field="amount", detail="a price needs an amount")
    name = values.get("name") or f"{offering.get('name')} {kind}"
    price = tmf.create_resource(
        session,
        resource=catalog.PRODUCT_OFFERING_PRICE,
        payload=price_payload(
            kind, name, values["amount"], values.get("currency") or "EUR", field="amount"
        ),
        now=now,
    )
    refs = [*(offering.get("productOfferingPrice") or []), {"id": price["id"], "name": name}]
    return tmf.patch_resource(
        session,
        resource=catalog.PRODUCT_OFFERING,
        resource_id=offering_id,
        patch={"productOfferingPrice": refs},
        now=now,
    )


def choices(session: Session, resource: tmf.Resource) -> list[Document]:
    page = tmf.list_resources(session, resource=resource, query=ListQuery(limit=MAX_CHOICES))
    return [{"id": resource_id, **json.loads(body)} for resource_id, body in page.items]


def _paging(request: Request) -> tuple[int, int]:
    offset, limit = tmf.paging(dict(request.query_params))
    return offset, min(limit or PAGE, 100) if "limit" in request.query_params else PAGE


def register(router: APIRouter, web: Web) -> None:
    @router.get("/catalog")
    async def catalog_list(request: Request, kind: str = "offerings", status: str = "") -> Response:
        offset, limit = _paging(request)
        view = await web.read(
            request,
            roles.STAFF,
            lambda s, viewer: list_catalog(s, kind=kind, status=status, offset=offset, limit=limit),
        )
        return web.render(
            request,
            "catalog/list.html",
            view=view,
            states=(DRAFT, *catalog.LIFECYCLE_STATES),
            kinds=tuple(KINDS),
        )

    @router.get("/catalog/offerings/new")
    async def new_offering(request: Request) -> Response:
        return await _new_form(request, {}, None, 200)

    async def _new_form(
        request: Request, values: Mapping[str, str], error: DomainError | None, status: int
    ) -> Response:
        def work(session: Session, viewer: Principal) -> tuple[list[Document], list[Document]]:
            return (
                choices(session, catalog.PRODUCT_SPECIFICATION),
                choices(session, catalog.CATEGORY),
            )

        specifications, categories = await web.read(request, roles.CATALOG, work)
        return web.render(
            request,
            "catalog/new.html",
            status=status,
            values=values,
            error=error,
            specifications=specifications,
            categories=categories,
        )

    @router.post("/catalog/offerings/new")
    async def create(request: Request) -> Response:
        values = form_values(await request.form())
        try:
            offering = await web.write(
                request, roles.CATALOG, lambda s, viewer, now: create_offering(s, values, now)
            )
        except DomainError as exc:
            if not _form_mistake(exc):
                raise
            return await _new_form(request, values, exc, _status(exc))
        return web.redirect(
            request, f"/catalog/offerings/{offering['id']}", notice="Draft offering created"
        )

    @router.get("/catalog/offerings/{offering_id}")
    async def offering_page(request: Request, offering_id: str) -> Response:
        return await _detail(request, offering_id, {}, None, 200)

    async def _detail(
        request: Request,
        offering_id: str,
        values: Mapping[str, str],
        error: DomainError | None,
        status: int,
    ) -> Response:
        view = await web.read(request, roles.STAFF, lambda s, viewer: load_offering(s, offering_id))
        return web.render(
            request,
            "catalog/offering.html",
            status=status,
            view=view,
            values=values,
            error=error,
        )

    async def _patch(
        request: Request,
        offering_id: str,
        resource: tmf.Resource,
        resource_id: str,
        changes: Callable[[Mapping[str, str]], Document],
        notice: str,
    ) -> Response:
        values = form_values(await request.form())
        try:
            await web.write(
                request,
                roles.CATALOG,
                lambda s, viewer, now: tmf.patch_resource(
                    s, resource=resource, resource_id=resource_id, patch=changes(values), now=now
                ),
            )
        except DomainError as exc:
            if not _form_mistake(exc):
                raise
            return await _detail(request, offering_id, values, exc, _status(exc))
        return web.redirect(request, f"/catalog/offerings/{offering_id}", notice=notice)

    @router.post("/catalog/offerings/{offering_id}")
    async def edit(request: Request, offering_id: str) -> Response:
        def changes(values: Mapping[str, str]) -> Document:
            if not values.get("name"):
                raise InvalidInput("Missing name", field="name", detail="an offering needs a name")
            return {"name": values["name"], "description": values.get("description") or None}

        return await _patch(
            request, offering_id, catalog.PRODUCT_OFFERING, offering_id, changes, "Offering saved"
        )

    @router.post("/catalog/offerings/{offering_id}/lifecycle")
    async def move(request: Request, offering_id: str) -> Response:
        return await _patch(
            request,
            offering_id,
            catalog.PRODUCT_OFFERING,
            offering_id,
            lambda values: {STATUS: values.get("status", "")},
            "Lifecycle status changed",
        )

    @router.post("/catalog/offerings/{offering_id}/prices")
    async def new_price(request: Request, offering_id: str) -> Response:
        values = form_values(await request.form())
        try:
            await web.write(
                request,
                roles.CATALOG,
                lambda s, viewer, now: add_price(s, offering_id, values, now),
            )
        except DomainError as exc:
            if not _form_mistake(exc):
                raise
            return await _detail(request, offering_id, values, exc, _status(exc))
        return web.redirect(request, f"/catalog/offerings/{offering_id}", notice="Price added")

    @router.post("/catalog/offerings/{offering_id}/prices/{price_id}")
    async def edit_price(request: Request, offering_id: str, price_id: str) -> Response:
        def changes(values: Mapping[str, str]) -> Document:
            patch: dict[str, Any] = {}
            if values.get("name"):
                patch["name"] = values["name"]
            if values.get("amount"):
                patch["price"] = tmf_money(
                    values["amount"], values.get("currency") or "EUR", field="amount"
                )
            return patch

        return await _patch(
            request, offering_id, catalog.PRODUCT_OFFERING_PRICE, price_id, changes, "Price saved"
        )

    @router.post("/catalog/offerings/{offering_id}/prices/{price_id}/lifecycle")
    async def move_price(request: Request, offering_id: str, price_id: str) -> Response:
        return await _patch(
            request,
            offering_id,
            catalog.PRODUCT_OFFERING_PRICE,
            price_id,
            lambda values: {STATUS: values.get("status", "")},
            "Price lifecycle status changed",
        )


def _form_mistake(exc: DomainError) -> bool:
    """Mistakes the user can fix on the same page (the rest is an error page: 403, 404)."""
    return isinstance(exc, (InvalidInput, Conflict))


def _status(exc: DomainError) -> int:
    return 409 if isinstance(exc, Conflict) else 400
