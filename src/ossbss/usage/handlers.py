"""Reactions to events of the rooms above: a finished service order tells who a network
identifier (RADIUS username, MSISDN) is; a terminated product ends its identifiers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ossbss import inventory, product_inventory
from ossbss.events.provisioning import ServiceOrderFinished
from ossbss.kernel import Clock, HandlerRegistry
from ossbss.kernel.errors import NotFound
from ossbss.tmf import characteristic_values
from ossbss.usage.subscribers import end_product, register_subscriber

# Characteristics of the services that name the subscriber on the network.
IDENTIFIERS = ("username", "msisdn", "imsi")
ENDED = frozenset({"terminated", "pendingTerminate", "cancelled"})


def subscribe(registry: HandlerRegistry, clock: Clock) -> None:
    def on_finished(session: Session, event: ServiceOrderFinished) -> None:
        if event.state == "completed":
            service_order_completed(
                session, product_id=event.product_id, services=event.services, now=event.occurred_at
            )

    registry.subscribe(ServiceOrderFinished, on_finished, name="usage.subscriber-identities")


def service_order_completed(
    session: Session, *, product_id: str, services: tuple[str, ...] = (), now: datetime
) -> int:
    """Register (or end) the identifiers of a product; returns records recycled. ``services``
    are the event's realizing services (the product learns them only after this event)."""
    try:
        product = product_inventory.get_product(session, product_id=product_id)
    except NotFound:
        return 0
    refs = [{"id": service_id} for service_id in services] or product.get("realizingService") or []
    found = [_service(session, ref) for ref in refs]
    if product.get("status") in ENDED or (
        found and all(s is not None and s.get("state") == "terminated" for s in found)
    ):
        end_product(session, product_id=product_id, valid_to=now)
        return 0
    account_id = _ref(product, "billingAccount")
    offering_id = _ref(product, "productOffering")
    if account_id is None or offering_id is None:
        return 0
    customer_id = next(
        (
            str(party["id"])
            for party in product.get("relatedParty") or []
            if isinstance(party, dict) and str(party.get("role", "")).lower() == "customer"
        ),
        None,
    )
    recycled = 0
    for identifier in _identifiers(session, found):
        recycled += register_subscriber(
            session,
            identifier=identifier,
            product_id=product_id,
            billing_account_id=account_id,
            offering_id=offering_id,
            customer_id=customer_id,
            valid_from=now,
            now=now,
        )
    return recycled


def _identifiers(session: Session, services: list[dict[str, Any] | None]) -> list[str]:
    found: dict[str, None] = {}
    for cfs in services:
        if cfs is None:
            continue
        layers = [cfs, *(_service(session, ref) for ref in cfs.get("supportingService") or [])]
        for service in layers:
            if service is None:
                continue
            values = characteristic_values(service.get("serviceCharacteristic"))
            for name in IDENTIFIERS:
                if values.get(name):
                    found[values[name]] = None
    return list(found)


def _service(session: Session, ref: Any) -> dict[str, Any] | None:
    if not isinstance(ref, dict) or not ref.get("id"):
        return None
    try:
        return inventory.get_service(session, service_id=str(ref["id"]))
    except NotFound:
        return None


def _ref(document: dict[str, Any], name: str) -> str | None:
    ref = document.get(name)
    return str(ref["id"]) if isinstance(ref, dict) and ref.get("id") else None
