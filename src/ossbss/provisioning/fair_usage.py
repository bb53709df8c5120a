"""Fair usage on the network: when charging says an allowance is used up and the price's
policy is to throttle, the product's customer-facing services get the throttled rates (a TMF641
service order like any other change, so it is planned, carried out, audited and undone on
failure the same way); when a new allowance starts, the throttle is lifted again.

The throttle travels as CFS characteristics (``planning.FAIR_USAGE_RATES``): while they hold a
value they override the rate limits of the services' decomposition."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ossbss import inventory, product_inventory
from ossbss.events.charging import AllowanceRenewed, AllowanceThresholdReached
from ossbss.kernel import Clock, HandlerRegistry
from ossbss.kernel.errors import NotFound
from ossbss.provisioning.planning import cfs_references
from ossbss.provisioning.resources import SERVICE_ORDER
from ossbss.tmf import (
    Document,
    characteristic_list,
    characteristic_values,
    create_resource,
    trusted,
)


def set_throttle(
    session: Session,
    *,
    product_id: str,
    down_kbps: int | None,
    up_kbps: int | None,
    reason: str,
    now: datetime,
) -> list[Document]:
    """Throttle the product's active services to the given rates (``None`` lifts the
    throttle). Returns the service orders submitted; none when nothing changes."""
    wanted = {
        "fairUsageDownKbps": "" if down_kbps is None else str(down_kbps),
        "fairUsageUpKbps": "" if up_kbps is None else str(up_kbps),
    }
    orders = []
    for cfs in _active_services(session, product_id):
        values = characteristic_values(cfs.get("serviceCharacteristic"))
        if all(values.get(name, "") == value for name, value in wanted.items()):
            continue
        orders.append(
            create_resource(
                session,
                resource=SERVICE_ORDER,
                payload={
                    "category": "fairUsage",
                    "description": f"{reason} (service {cfs['id']})",
                    "externalReference": [
                        *cfs_references(cfs),
                        {"externalReferenceType": "fairUsage", "name": reason},
                    ],
                    "relatedParty": cfs.get("relatedParty") or [],
                    "serviceOrderItem": [
                        {
                            "id": "1",
                            "action": "modify",
                            "service": {
                                "id": cfs["id"],
                                "state": "active",
                                "serviceCharacteristic": characteristic_list({**values, **wanted}),
                            },
                        }
                    ],
                },
                now=now,
            )
        )
    return orders


def _active_services(session: Session, product_id: str) -> list[Document]:
    try:
        product = product_inventory.get_product(session, product_id=product_id)
    except NotFound:
        return []
    if product.get("status") != "active":
        return []  # a suspended or ended product has nothing to throttle
    services = []
    for ref in product.get("realizingService") or []:
        service = inventory.get_service(session, service_id=str(ref["id"]))
        if service.get("category") == "CFS" and service.get("state") == "active":
            services.append(service)
    return services


def subscribe(registry: HandlerRegistry, clock: Clock) -> None:
    """Act on charging's fair-usage events: throttle at 100% of an allowance whose policy says
    so, lift the throttle when a new allowance period starts."""

    def on_threshold(session: Session, event: AllowanceThresholdReached) -> None:
        terms = throttle_terms(event)
        if terms is None:
            return
        with trusted():
            set_throttle(
                session,
                product_id=event.product_id,
                down_kbps=terms[0],
                up_kbps=terms[1],
                reason=f"{event.kind} allowance used up",
                now=clock.now(),
            )

    def on_renewed(session: Session, event: AllowanceRenewed) -> None:
        with trusted():
            set_throttle(
                session,
                product_id=event.product_id,
                down_kbps=None,
                up_kbps=None,
                reason=f"new {event.kind} allowance",
                now=clock.now(),
            )

    registry.subscribe(AllowanceThresholdReached, on_threshold, name="provisioning.fair-usage")
    registry.subscribe(AllowanceRenewed, on_renewed, name="provisioning.fair-usage-renewed")


def throttle_terms(event: AllowanceThresholdReached) -> tuple[int, int] | None:
    """The throttled (down, up) rates the event asks for, or None when it asks for none."""
    if event.percent < 100 or event.policy != "throttle":
        return None
    if event.throttle_down_kbps is None or event.throttle_up_kbps is None:
        return None
    return event.throttle_down_kbps, event.throttle_up_kbps
