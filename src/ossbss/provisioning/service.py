"""provisioning use cases: submit a service order, claim due ones, record how they ended."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ossbss import inventory
from ossbss.catalog import CustomerFacingSpec
from ossbss.events.provisioning import ServiceOrderFinished
from ossbss.kernel.errors import DomainError
from ossbss.kernel.outbox import publish
from ossbss.kernel.time import format_datetime
from ossbss.provisioning import domain, models, planning
from ossbss.provisioning.drivers import Action, ActivationRequest
from ossbss.provisioning.resources import SERVICE_ORDER
from ossbss.tmf import (
    Document,
    characteristic_list,
    characteristic_values,
    create_resource,
    get_resource,
    patch_resource,
)


@dataclass(frozen=True, kw_only=True)
class ServiceRequest:
    """What ordering asks for one product order item."""

    product_order_id: str
    product_order_item_id: str
    product_id: str
    product_specification_id: str | None
    action: Action
    characteristics: Mapping[str, str] = field(default_factory=dict)
    # add: the customer-facing services to create; otherwise the existing ones to change.
    decomposition: Sequence[CustomerFacingSpec] = ()
    services: Sequence[str] = ()
    customer_id: str | None = None


def submit_service_order(
    session: Session, *, request: ServiceRequest, now: datetime
) -> Document | None:
    """A TMF641 order for the request, acknowledged; None when there is nothing to activate."""
    items = _items(request)
    if not items:
        return None
    references = [
        {"externalReferenceType": "productOrder", "name": request.product_order_id},
        {"externalReferenceType": "productOrderItem", "name": request.product_order_item_id},
        {"externalReferenceType": "product", "name": request.product_id},
    ]
    if request.product_specification_id:
        references.append(
            {
                "externalReferenceType": "productSpecification",
                "name": request.product_specification_id,
            }
        )
    document: dict[str, Any] = {
        "externalId": request.product_order_id,
        "category": "productOrder",
        "description": f"{request.action} for product order {request.product_order_id} "
        f"item {request.product_order_item_id}",
        "externalReference": references,
        "serviceOrderItem": items,
    }
    if request.customer_id:
        document["relatedParty"] = [
            {"id": request.customer_id, "role": "customer", "@referredType": "Customer"}
        ]
    return create_resource(session, resource=SERVICE_ORDER, payload=document, now=now)


def _items(request: ServiceRequest) -> list[dict[str, Any]]:
    characteristics = characteristic_list(request.characteristics)
    if request.action == "add":
        return [
            {
                "id": str(index),
                "action": "add",
                "service": {
                    "name": cfs.name,
                    "state": "active",
                    "serviceSpecification": {"id": cfs.id, "name": cfs.name},
                    "serviceCharacteristic": characteristics,
                },
            }
            for index, cfs in enumerate(request.decomposition, start=1)
        ]
    service: dict[str, Any] = {}
    if request.action == "suspend":
        service = {"state": "inactive"}
    elif request.action == "resume":
        service = {"state": "active"}
    elif request.action == "modify":
        service = {"state": "active", "serviceCharacteristic": characteristics}
    tmf_action = "delete" if request.action == "delete" else "modify"
    return [
        {"id": str(index), "action": tmf_action, "service": {"id": service_id, **service}}
        for index, service_id in enumerate(request.services, start=1)
    ]


@dataclass(frozen=True)
class Claimed:
    order_id: str
    steps: tuple[tuple[str, ActivationRequest], ...]  # (driver name, request)
    # Set when planning failed: the order is finished failed without running anything.
    failure: str | None = None


def claim_due(
    session: Session, *, now: datetime, lease: timedelta, limit: int, skip_locked: bool
) -> list[Claimed]:
    """Take due orders (new ones, and in-flight ones whose lease ran out), plan new ones."""
    query = (
        select(models.ServiceOrder.pk, models.ServiceOrder.id, models.ServiceOrder.state)
        .where(
            or_(
                models.ServiceOrder.state == "acknowledged",
                (models.ServiceOrder.state == "inProgress")
                & (models.ServiceOrder.lease_until < now),
            )
        )
        .order_by(models.ServiceOrder.pk)
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True)
    rows = session.execute(query).all()
    claimed = []
    for row in rows:
        session.execute(
            update(models.ServiceOrder)
            .where(models.ServiceOrder.pk == row.pk)
            .values(lease_until=now + lease)
        )
        failure = None
        if row.state == "acknowledged":
            failure = _start(session, row.id, now)
        claimed.append(Claimed(row.id, () if failure else _steps(session, row.id), failure))
    return claimed


def _start(session: Session, order_id: str, now: datetime) -> str | None:
    order = get_resource(session, resource=SERVICE_ORDER, resource_id=order_id)
    try:
        with session.begin_nested():
            planned = planning.plan_order(session, order=order, now=now)
    except DomainError as exc:
        _set_state(session, order, "inProgress", now)
        # Said for people reading the order: what failed, then why ("No pool: no usable
        # vlan pool in ..."), not the field name of an internal call.
        return f"planning failed: {exc.reason}: {exc.detail}" if exc.detail else exc.reason
    items = order["serviceOrderItem"]
    by_item = {item.item_id: item.cfs_id for item in planned}
    for item in items:
        item["state"] = "inProgress"
        if item["id"] in by_item:
            item.setdefault("service", {})["id"] = by_item[item["id"]]
    patch_resource(
        session,
        resource=SERVICE_ORDER,
        resource_id=order_id,
        patch={"state": "inProgress", "startDate": format_datetime(now), "serviceOrderItem": items},
        now=now,
        trusted=True,
    )
    return None


def _steps(session: Session, order_id: str) -> tuple[tuple[str, ActivationRequest], ...]:
    rows = session.scalars(
        select(models.Step).where(models.Step.order_id == order_id).order_by(models.Step.position)
    )
    return tuple(
        (
            row.driver,
            ActivationRequest(
                service_id=row.service_id,
                spec=row.spec,
                action=row.action,  # type: ignore[arg-type]
                params=row.params,
                previous=row.previous,
            ),
        )
        for row in rows
    )


@dataclass(frozen=True)
class Outcome:
    """How executing a claimed order went: every step done, or the first failure and the
    earlier steps undone."""

    order_id: str
    failed_position: int | None = None  # 1-based index of the failed step
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.failed_position is None and not self.message


def finish(session: Session, *, outcome: Outcome, now: datetime) -> None:
    """Record the outcome: steps, services, allocations, the order's state; tell ordering."""
    order = get_resource(session, resource=SERVICE_ORDER, resource_id=outcome.order_id)
    if order["state"] in domain.FINAL:
        return  # finished already (a retried finish after a crash)
    steps = list(
        session.scalars(
            select(models.Step)
            .where(models.Step.order_id == outcome.order_id)
            .order_by(models.Step.position)
        )
    )
    if outcome.ok:
        _complete_steps(session, steps, now)
    else:
        _fail_steps(session, steps, outcome, now)
    state = "completed" if outcome.ok else "failed"
    items = order["serviceOrderItem"]
    for item in items:
        item["state"] = state
        if outcome.ok:
            _settle_cfs(session, item, now)
        elif item.get("action") == "add" and (item.get("service") or {}).get("id"):
            inventory.update_service(
                session, service_id=item["service"]["id"], changes={"state": "terminated"}, now=now
            )
    changes: dict[str, Any] = {
        "state": state,
        "completionDate": format_datetime(now),
        "serviceOrderItem": items,
    }
    if not outcome.ok:
        notes = order.get("note") or []
        note = {
            "id": str(len(notes) + 1),
            "text": outcome.message,
            "date": format_datetime(now),
            "author": "ossbss",
        }
        changes["note"] = [*notes, note]
    document = patch_resource(
        session,
        resource=SERVICE_ORDER,
        resource_id=outcome.order_id,
        patch=changes,
        now=now,
        trusted=True,
    )
    publish(
        session,
        ServiceOrderFinished(
            service_order_id=outcome.order_id,
            product_order_id=planning.reference(document, "productOrder") or "",
            product_order_item_id=planning.reference(document, "productOrderItem") or "",
            product_id=planning.reference(document, "product") or "",
            state=state,
            reason=outcome.message,
            services=tuple(
                str(item["service"]["id"])
                for item in items
                if (item.get("service") or {}).get("id")
            ),
            occurred_at=now,
        ),
        now=now,
    )


def _complete_steps(session: Session, steps: list[models.Step], now: datetime) -> None:
    for step in steps:
        step.status = "done"
        changes: dict[str, Any] = {"state": domain.STATE_AFTER[step.action]}
        if step.action == "modify":
            changes["serviceCharacteristic"] = characteristic_list(step.params)
        inventory.update_service(session, service_id=step.service_id, changes=changes, now=now)
        if step.action == "add":
            inventory.confirm(session, consumer_id=step.service_id, now=now)
        elif step.action == "delete":
            inventory.release(session, consumer_id=step.service_id, now=now)


def _fail_steps(
    session: Session, steps: list[models.Step], outcome: Outcome, now: datetime
) -> None:
    for position, step in enumerate(steps, start=1):
        if outcome.failed_position is not None and position < outcome.failed_position:
            step.status = "undone"
        elif position == outcome.failed_position:
            step.status, step.message = "failed", outcome.message[:2000]
        if step.action == "add":
            # Nothing of a failed add survives: its resources go back to their pools.
            inventory.release(session, consumer_id=step.service_id, now=now)
            inventory.update_service(
                session, service_id=step.service_id, changes={"state": "terminated"}, now=now
            )


def _settle_cfs(session: Session, item: Document, now: datetime) -> None:
    service = item.get("service") or {}
    if not service.get("id"):
        return
    action = domain.item_action(str(item.get("action")), service)
    changes: dict[str, Any] = {"state": domain.STATE_AFTER[action]}
    if action == "modify":
        current = characteristic_values(
            inventory.get_service(session, service_id=service["id"]).get("serviceCharacteristic")
        )
        changes["serviceCharacteristic"] = characteristic_list(
            {**current, **characteristic_values(service.get("serviceCharacteristic"))}
        )
    inventory.update_service(session, service_id=service["id"], changes=changes, now=now)


def _set_state(session: Session, order: Document, state: str, now: datetime) -> None:
    patch_resource(
        session,
        resource=SERVICE_ORDER,
        resource_id=order["id"],
        patch={"state": state},
        now=now,
        trusted=True,
    )


def cancel_unstarted(session: Session, *, product_order_id: str, now: datetime) -> bool:
    """Cancel the product order's service orders if none has started; False otherwise.
    An order not yet claimed has nothing planned, allocated or activated."""
    rows = session.scalars(
        select(models.ServiceOrder)
        .where(models.ServiceOrder.external_id == product_order_id)
        .with_for_update()
    ).all()
    if any(row.state != "acknowledged" for row in rows):
        return False
    for row in rows:
        order = get_resource(session, resource=SERVICE_ORDER, resource_id=row.id)
        items = [{**item, "state": "cancelled"} for item in order["serviceOrderItem"]]
        patch_resource(
            session,
            resource=SERVICE_ORDER,
            resource_id=row.id,
            patch={
                "state": "cancelled",
                "cancellationDate": format_datetime(now),
                "serviceOrderItem": items,
            },
            now=now,
            trusted=True,
        )
    return True
