"""What other rooms may ask of catalog (keyword-only; the caller owns the transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ossbss.catalog import decomposition, domain, models, pricing, repository
from ossbss.catalog.pricing import OfferingPrice
from ossbss.catalog.resources import (
    PRODUCT_OFFERING,
    PRODUCT_OFFERING_PRICE,
    PRODUCT_SPECIFICATION,
)
from ossbss.catalog.tariff import Tariff
from ossbss.kernel.time import ensure_utc
from ossbss.tmf import Document, exists, get_resource


def get_offering(session: Session, *, offering_id: str) -> Document:
    """The productOffering as TMF620 serves it (relative href); NotFound if unknown."""
    return get_resource(session, resource=PRODUCT_OFFERING, resource_id=offering_id)


def get_specification(session: Session, *, specification_id: str) -> Document:
    return get_resource(session, resource=PRODUCT_SPECIFICATION, resource_id=specification_id)


def offering_exists(session: Session, *, offering_id: str) -> bool:
    return exists(session, PRODUCT_OFFERING, offering_id)


def offering_is_orderable(session: Session, *, offering_id: str, at: datetime) -> bool:
    """Can a new order take this offering at ``at``? It must be Launched, valid at ``at``
    (half-open validFor) and sellable on its own (``isSellable`` not false). Unknown -> False."""
    body = repository.body_of(session, models.ProductOffering, offering_id)
    if body is None:
        return False
    launched = body.get(domain.STATUS) == domain.LAUNCHED
    sellable = body.get("isSellable") is not False
    return launched and sellable and domain.is_valid_at(body, ensure_utc(at))


def get_price(session: Session, *, price_id: str) -> OfferingPrice:
    """One productOfferingPrice, whatever its status (billing reads what a subscriber bought)."""
    body = get_resource(session, resource=PRODUCT_OFFERING_PRICE, resource_id=price_id)
    return pricing.read_price(price_id, body)


def prices_for_offering(session: Session, *, offering_id: str, at: datetime) -> list[OfferingPrice]:
    """The prices a new order for the offering gets at ``at``: the Launched prices it lists
    whose validFor contains ``at``, in the offering's order. NotFound if the offering is unknown."""
    at = ensure_utc(at)
    offering = get_offering(session, offering_id=offering_id)
    ids = [ref_id for _, ref_id in domain.ref_ids(offering, "productOfferingPrice")]
    bodies = repository.prices(session, ids)
    return [
        pricing.read_price(price_id, bodies[price_id])
        for price_id in dict.fromkeys(ids)
        if price_id in bodies
        and bodies[price_id].get(domain.STATUS) == domain.LAUNCHED
        and domain.is_valid_at(bodies[price_id], at)
    ]


def usage_tariffs_for_offering(session: Session, *, offering_id: str) -> list[Tariff]:
    """Every usage price the offering lists that has been on sale (Launched, Retired or
    Obsolete), whatever its validFor: re-rating an old period needs the tariff of that time
    (pick one with ``select_tariff``). NotFound if the offering is unknown."""
    offering = get_offering(session, offering_id=offering_id)
    ids = [ref_id for _, ref_id in domain.ref_ids(offering, "productOfferingPrice")]
    bodies = repository.prices(session, ids)
    tariffs = []
    for price_id in dict.fromkeys(ids):
        body = bodies.get(price_id)
        if body is None or body.get(domain.STATUS) not in domain.SOLD:
            continue
        tariff = pricing.read_price(price_id, body).tariff
        if tariff is not None:
            tariffs.append(tariff)
    return tariffs


@dataclass(frozen=True, slots=True)
class OfferingTerms:
    """What billing needs of an offering: its name, categories (tax) and every price it lists
    that has been on sale (discounts, billing timing), whatever their validFor."""

    offering_id: str
    name: str
    categories: tuple[str, ...]  # the TMF620 category refs: names and ids
    prices: tuple[OfferingPrice, ...]


def offering_terms(session: Session, *, offering_id: str) -> OfferingTerms:
    """NotFound if the offering is unknown."""
    offering = get_offering(session, offering_id=offering_id)
    ids = [ref_id for _, ref_id in domain.ref_ids(offering, "productOfferingPrice")]
    bodies = repository.prices(session, ids)
    prices = tuple(
        pricing.read_price(price_id, bodies[price_id])
        for price_id in dict.fromkeys(ids)
        if price_id in bodies and bodies[price_id].get(domain.STATUS) in domain.SOLD
    )
    categories: list[str] = []
    for ref in offering.get("category") or []:
        categories.extend(str(ref[key]) for key in ("name", "id") if ref.get(key))
    return OfferingTerms(
        offering_id=offering_id,
        name=str(offering.get("name", "")),
        categories=tuple(categories),
        prices=prices,
    )


def decomposition_for(
    session: Session, *, specification_id: str
) -> tuple[decomposition.CustomerFacingSpec, ...]:
    """How an ordered product of this specification decomposes into services (may be empty)."""
    return decomposition.read(get_specification(session, specification_id=specification_id))
