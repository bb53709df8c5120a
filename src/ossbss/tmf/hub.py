"""TMF hub: subscriptions per API, and delivery of events to subscribers through the outbox."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from ossbss.kernel.errors import InvalidInput, NotFound
from ossbss.kernel.ids import new_id
from ossbss.kernel.outbox import HandlerRegistry, publish
from ossbss.kernel.time import format_datetime
from ossbss.tmf.events import HubNotificationDue, ResourceChanged, event_type
from ossbss.tmf.filters import RANGE_OPERATORS
from ossbss.tmf.models import HubSubscription
from ossbss.tmf.query import Filter, parse_filter
from ossbss.tmf.store import values_at

log = logging.getLogger(__name__)


def register(
    session: Session, *, api: str, payload: Any, base_url: str, now: datetime
) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInput("Invalid body", detail="the request body must be a JSON object")
    callback = payload.get("callback")
    if not isinstance(callback, str) or urlsplit(callback).scheme not in ("http", "https"):
        raise InvalidInput("Invalid callback", field="callback", detail="must be an http(s) URL")
    query = payload.get("query") or ""
    if not isinstance(query, str):
        raise InvalidInput("Invalid type", field="query", detail="must be string")
    parse_hub_query(query)  # refuse a query we could never evaluate
    session.info.get("tmf_hub_subscribed", {}).pop(api, None)
    subscription = HubSubscription(
        id=new_id(), api=api, callback=callback, query=query, created_at=now, base_url=base_url
    )
    session.add(subscription)
    return {"id": subscription.id, "callback": callback, "query": query}


def unregister(session: Session, *, api: str, subscription_id: str) -> None:
    if "\x00" in subscription_id:  # PostgreSQL text cannot hold it: no such subscription
        raise NotFound(f"No hub subscription with id {subscription_id!r}", field="id")
    result = session.execute(
        delete(HubSubscription).where(
            HubSubscription.api == api, HubSubscription.id == subscription_id
        )
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(f"No hub subscription with id {subscription_id}", field="id")


# Built once: it runs on every write, and a prebuilt statement skips SQLAlchemy's per-call
# statement construction.
_ANY_SUBSCRIBER = select(HubSubscription.pk).where(HubSubscription.api == bindparam("api")).limit(1)


def has_subscribers(session: Session, *, api: str) -> bool:
    """Asked once per API per transaction: a batch (an activation run, an event batch)
    writes many resources of one API, and the answer cannot change under its feet in a way
    that matters (a subscriber registering meanwhile gets events from its commit on)."""
    known: dict[str, bool] = session.info.setdefault("tmf_hub_subscribed", {})
    if api not in known:
        known[api] = session.scalar(_ANY_SUBSCRIBER, {"api": api}) is not None
    return known[api]


def parse_hub_query(query: str) -> list[Filter]:
    """The query uses the GET filter syntax, e.g. ``eventType=IndividualCreateEvent``."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise InvalidInput("Invalid query", field="query", detail="not a query string") from None
    return [parse_filter(name, value) for name, value in pairs]


def matches(filters: list[Filter], body: dict[str, Any]) -> bool:
    """Does an event body satisfy every filter (paths reach into ``event.<resource>``)?"""
    return all(_matches_one(flt, body) for flt in filters)


def _matches_one(flt: Filter, body: dict[str, Any]) -> bool:
    found = [
        str(v).lower() if isinstance(v, bool) else str(v) for v in values_at(body, flt.segments)
    ]
    if flt.op == "eq":
        return any(value in flt.values for value in found)
    compare = RANGE_OPERATORS[flt.op]
    return any(compare(value, flt.values[0]) for value in found)


def event_body(event: ResourceChanged, event_id: str, base_url: str) -> dict[str, Any]:
    document = dict(event.document)
    document["href"] = f"{base_url}{document['href']}"
    name = event_type(event.resource, event.change)
    when = format_datetime(event.occurred_at)
    return {
        "eventId": event_id,
        "eventTime": when,
        "eventType": name,
        "domain": event.api,
        "title": name,
        "description": f"{event.resource} {event.resource_id}: {event.change}",
        "priority": "Normal",
        "timeOcurred": when,
        "event": {event.resource: document},
    }


def fan_out(session: Session, event: ResourceChanged) -> None:
    """Outbox handler: queue one notification per matching subscriber of the event's API."""
    subscriptions = session.scalars(select(HubSubscription).where(HubSubscription.api == event.api))
    for subscription in subscriptions:
        body = event_body(event, new_id(), subscription.base_url)
        if matches(parse_hub_query(subscription.query), body):
            publish(
                session,
                HubNotificationDue(subscription_id=subscription.id, body=body),
                now=event.occurred_at,
            )


class Deliverer:
    """Outbox handler: POST one event body to its subscriber; an exception means retry later."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def __call__(self, session: Session, due: HubNotificationDue) -> None:
        subscription = session.scalar(
            select(HubSubscription).where(HubSubscription.id == due.subscription_id)
        )
        if subscription is None:  # unsubscribed since: nothing to deliver
            return
        response = self._client.post(subscription.callback, json=due.body)
        if response.status_code >= 300:
            raise RuntimeError(f"subscriber answered {response.status_code}")


def subscribe_handlers(registry: HandlerRegistry, client: httpx.Client) -> None:
    registry.subscribe(ResourceChanged, fan_out, name="tmf.hub.fan_out")
    registry.subscribe(HubNotificationDue, Deliverer(client), name="tmf.hub.deliver", external=True)
