"""The order pages: product orders filtered by state, customer and date (newest first, paged),
and one order with its items, its state timeline, every service order and activation step
with the driver's messages; retry a failed order, cancel one in flight.

Cancelling is TMF622's cancelProductOrder created exactly as the API does (the ordering room's
rules refuse an order that has ended); retrying is ``ordering.retry_order`` (ADR 0035).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from ossbss import ordering, provisioning, tmf
from ossbss.console import roles
from ossbss.console.web import Web, form_values
from ossbss.iam import Principal
from ossbss.kernel.errors import Conflict, DomainError, InvalidInput
from ossbss.kernel.time import parse_datetime
from ossbss.tmf import Document, ListQuery
from ossbss.tmf.query import Filter

PAGE = 25
STATES = tuple(ordering.ORDER_LIFECYCLE)
FINAL = frozenset(state for state, moves in ordering.ORDER_LIFECYCLE.items() if not moves)
RETRYABLE = frozenset({"failed", "partial"})
MAX_CANCELLATIONS = 20


@dataclass(frozen=True)
class OrderFilters:
    state: str = ""
    customer: str = ""
    since: str = ""  # a date: orders placed on or after it
    until: str = ""  # a date: orders placed before the end of it

    def query(self) -> str:
        """The filters as a query-string suffix for the pager."""
        pairs = [("state", self.state), ("customer", self.customer)]
        pairs += [("from", self.since), ("to", self.until)]
        return "".join(f"&{name}={quote(value)}" for name, value in pairs if value)

    def tmf_filters(self) -> tuple[Filter, ...]:
        filters = []
        if self.state:
            if self.state not in STATES:
                raise InvalidInput("Unknown state", field="state", detail=", ".join(STATES))
            filters.append(Filter(path="state", op="eq", values=(self.state,)))
        if self.customer:
            filters.append(Filter(path="relatedParty.id", op="eq", values=(self.customer,)))
        # orderDate is ISO text in UTC ("2026-01-15T09:30:00.000Z"): text order is time order.
        if self.since:
            start = _midnight(self.since, "from")
            filters.append(Filter(path="orderDate", op="gte", values=(start,)))
        if self.until:
            end = _midnight(self.until, "to", days_after=1)
            filters.append(Filter(path="orderDate", op="lt", values=(end,)))
        return tuple(filters)


def _midnight(raw: str, field: str, *, days_after: int = 0) -> str:
    try:
        day = parse_datetime(f"{raw}T00:00:00Z") + timedelta(days=days_after)
    except ValueError:
        raise InvalidInput("Invalid date", field=field, detail="as YYYY-MM-DD") from None
    return day.strftime("%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class OrderList:
    filters: OrderFilters
    offset: int
    limit: int
    total: int
    rows: list[Document]


def list_orders(session: Session, *, filters: OrderFilters, offset: int, limit: int) -> OrderList:
    """Newest first without sorting on a document field: the count (cached by the store) says
    where the page sits in insertion order, which the store pages over its primary key."""
    conditions = filters.tmf_filters()
    total = tmf.list_resources(
        session, resource=ordering.PRODUCT_ORDER, query=ListQuery(limit=0, filters=conditions)
    ).total
    end = max(total - offset, 0)
    start = max(end - limit, 0)
    page = tmf.list_resources(
        session,
        resource=ordering.PRODUCT_ORDER,
        query=ListQuery(offset=start, limit=end - start, filters=conditions),
    )
    rows = [{"id": order_id, **json.loads(body)} for order_id, body in reversed(page.items)]
    return OrderList(filters, offset, limit, page.total, rows)


@dataclass(frozen=True)
class Moment:
    at: str
    what: str


@dataclass(frozen=True)
class OrderView:
    order: Document
    timeline: list[Moment]
    service_orders: tuple[provisioning.ServiceOrderProgress, ...]
    cancellations: list[Document]

    @property
    def customer_id(self) -> str | None:
        for ref in self.order.get("relatedParty") or []:
            if str(ref.get("role", "")).lower() == "customer":
                return str(ref.get("id"))
        return None

    @property
    def may_cancel(self) -> bool:
        return self.order.get("state") not in FINAL

    @property
    def may_retry(self) -> bool:
        return self.order.get("state") in RETRYABLE


def timeline(order: Mapping[str, Any]) -> list[Moment]:
    """The order's states and notes in time order, from the dates TMF622 keeps on it."""
    moments = [Moment(str(order["orderDate"]), "acknowledged")] if order.get("orderDate") else []
    if order.get("startDate"):
        moments.append(Moment(str(order["startDate"]), "inProgress"))
    for note in order.get("note") or []:
        if note.get("date"):
            moments.append(Moment(str(note["date"]), f"note: {note.get('text', '')}"))
    ended = order.get("cancellationDate") or order.get("completionDate")
    if ended and order.get("state") in FINAL:
        moments.append(Moment(str(ended), str(order["state"])))
    return sorted(moments, key=lambda moment: parse_datetime(moment.at))


def load_order(session: Session, order_id: str) -> OrderView:
    order = tmf.get_resource(session, resource=ordering.PRODUCT_ORDER, resource_id=order_id)
    cancellations = tmf.list_resources(
        session,
        resource=ordering.CANCEL_PRODUCT_ORDER,
        query=ListQuery(
            limit=MAX_CANCELLATIONS,
            filters=(Filter(path="productOrder.id", op="eq", values=(order_id,)),),
        ),
    )
    return OrderView(
        order=order,
        timeline=timeline(order),
        service_orders=provisioning.activation_of(session, product_order_id=order_id),
        cancellations=[{"id": i, **json.loads(body)} for i, body in cancellations.items],
    )


def request_cancel(session: Session, order_id: str, reason: str, now: datetime) -> Document:
    """TMF622 cancelProductOrder, as a client POSTs it; the ordering room cancels it (or ends
    the request with its reason) when it handles the request."""
    payload: dict[str, Any] = {"productOrder": {"id": order_id, "@referredType": "ProductOrder"}}
    if reason:
        payload["cancellationReason"] = reason
    return tmf.create_resource(
        session, resource=ordering.CANCEL_PRODUCT_ORDER, payload=payload, now=now
    )


def register(router: APIRouter, web: Web) -> None:
    @router.get("/orders")
    async def orders(
        request: Request, state: str = "", customer: str = "", q: str = ""
    ) -> Response:
        params = request.query_params
        if q:
            found = await web.read(
                request, roles.STAFF, lambda s, viewer: tmf.exists(s, ordering.PRODUCT_ORDER, q)
            )
            if found:  # an order id: straight to the order
                return web.redirect(request, f"/orders/{quote(q)}")
        filters = OrderFilters(
            state=state,
            customer=customer or q,
            since=params.get("from", ""),
            until=params.get("to", ""),
        )
        offset, limit = tmf.paging(dict(params))
        limit = min(limit, 100) if "limit" in params else PAGE
        view = await web.read(
            request,
            roles.STAFF,
            lambda s, viewer: list_orders(s, filters=filters, offset=offset, limit=limit),
        )
        return web.render(request, "orders/list.html", view=view, states=STATES)

    @router.get("/orders/{order_id}")
    async def order(request: Request, order_id: str) -> Response:
        return await _detail(request, order_id, None, 200)

    async def _detail(
        request: Request, order_id: str, error: DomainError | None, status: int
    ) -> Response:
        view = await web.read(request, roles.STAFF, lambda s, viewer: load_order(s, order_id))
        return web.render(request, "orders/detail.html", status=status, view=view, error=error)

    @router.post("/orders/{order_id}/cancel")
    async def cancel(request: Request, order_id: str) -> Response:
        values = form_values(await request.form())
        try:
            await web.write(
                request,
                roles.CSR,
                lambda s, viewer, now: request_cancel(s, order_id, values.get("reason", ""), now),
            )
        except (InvalidInput, Conflict) as exc:
            return await _detail(request, order_id, exc, 409 if isinstance(exc, Conflict) else 400)
        return web.redirect(request, f"/orders/{order_id}", notice="Cancellation requested")

    @router.post("/orders/{order_id}/retry")
    async def retry(request: Request, order_id: str) -> Response:
        def work(session: Session, viewer: Principal, now: datetime) -> Document:
            return ordering.retry_order(session, order_id=order_id, now=now)

        try:
            placed = await web.write(request, roles.CSR, work)
        except Conflict as exc:
            return await _detail(request, order_id, exc, 409)
        return web.redirect(
            request, f"/orders/{placed['id']}", notice=f"Retry placed as order {placed['id']}"
        )
