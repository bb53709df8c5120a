"""usage over HTTP: TMF635 from the generic TMF routes, except POST usage, which goes
through ingestion (the same rules as files and RADIUS)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.kernel.errors import Conflict, InvalidInput, UnsupportedMediaType
from ossbss.kernel.time import parse_datetime
from ossbss.tmf import Document, Edge, get_resource, json_response, tmf_router
from ossbss.usage import domain, models
from ossbss.usage.domain import UsageInput
from ossbss.usage.ingest import ingest
from ossbss.usage.resources import RESOURCES, USAGE, USAGE_API, ensure_specifications

# UsageInput field -> where it sits in a TMF635 body (errors name the body's field).
FIELDS = {
    "record_key": "usageCharacteristic.recordKey",
    "kind": "usageType",
    "subscriber": "usageCharacteristic.subscriber",
    "started_at": "usageDate",
    "duration_seconds": "usageCharacteristic.durationSeconds",
    "bytes_up": "usageCharacteristic.bytesUp",
    "bytes_down": "usageCharacteristic.bytesDown",
    "events": "usageCharacteristic.events",
    "destination": "usageCharacteristic.destination",
}
NUMBERS = {
    "durationSeconds": "duration_seconds",
    "bytesUp": "bytes_up",
    "bytesDown": "bytes_down",
    "events": "events",
}


def router(edge: Edge) -> APIRouter:
    own = APIRouter()

    # Registered before the generic routes, so it answers POST .../usage.
    @own.post(
        USAGE.path,
        tags=[USAGE_API.title],
        status_code=201,
        summary="Create a Usage (one record, through ingestion)",
        operation_id="createUsage",
        include_in_schema=False,
    )
    async def create(request: Request) -> Response:
        media_type = request.headers.get("content-type", "application/json").split(";")[0]
        if media_type.strip().lower() != "application/json":
            raise UnsupportedMediaType(
                "Unsupported media type", field="Content-Type", detail="use application/json"
            )
        raw = await request.body()
        if b"\\u0000" in raw:  # PostgreSQL text cannot hold U+0000: refused everywhere
            raise InvalidInput("Invalid character", detail="strings must not contain U+0000")
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(
                "Malformed JSON", detail=f"the body is not valid JSON ({exc})"
            ) from None
        base = edge.base_url(request)
        document = await edge.write(
            request, USAGE.write_roles, lambda s, now: create_usage(s, payload=payload, now=now)
        )
        href = base + document["href"]
        return json_response({**document, "href": href}, 201, {"Location": href})

    generic = tmf_router(RESOURCES, (USAGE_API,), edge)
    own.routes.extend(generic.routes)
    return own


def create_usage(session: Session, *, payload: Any, now: datetime) -> Document:
    """One record posted by a client: spec-checked, then ingested like any other. A bad
    record is refused (naming the field), a duplicate is a conflict naming the original."""
    record = usage_input(payload)
    found = domain.problem_at(record, now)
    if found:
        field, reason = found
        raise InvalidInput("Invalid usage", field=FIELDS[field], detail=reason)
    ensure_specifications(session, now=now)
    report = ingest(session, records=[record], now=now)
    table = models.UsageRecord
    existing = session.scalar(select(table.id).where(table.record_key == record.record_key))
    if report.duplicates or existing is None:
        raise Conflict(
            "Duplicate usage",
            field="usageCharacteristic.recordKey",
            detail=f"record key {record.record_key} is usage {existing}",
        )
    return get_resource(session, resource=USAGE, resource_id=existing)


def usage_input(payload: Any) -> UsageInput:
    if not isinstance(payload, dict):
        raise InvalidInput("Invalid body", detail="the request body must be a JSON object")
    USAGE_API.spec.validate(USAGE.create_definition, payload)
    if payload.get("status") not in (None, domain.RECEIVED):
        raise InvalidInput(
            "Attribute set by the server", field="status", detail="is set by ingestion"
        )
    values = {
        item["name"]: item.get("value")
        for item in payload.get("usageCharacteristic") or []
        if isinstance(item, dict)
    }
    kind = payload.get("usageType")
    if not kind:
        raise InvalidInput("Missing mandatory attribute", field="usageType", detail="is required")
    if not payload.get("usageDate"):
        raise InvalidInput("Missing mandatory attribute", field="usageDate", detail="is required")
    subscriber = values.get("subscriber")
    if not isinstance(subscriber, str) or not subscriber:
        raise InvalidInput(
            "Missing mandatory attribute",
            field="usageCharacteristic.subscriber",
            detail="is required (a string: username, MSISDN or IMSI)",
        )
    numbers = {target: _integer(values.get(name), name) for name, target in NUMBERS.items()}
    if kind == "sms" and not numbers["events"]:
        numbers["events"] = 1
    key = values.get("recordKey")
    if key is not None and not isinstance(key, str):
        raise InvalidInput(
            "Invalid type", field="usageCharacteristic.recordKey", detail="must be string"
        )
    destination = values.get("destination")
    return UsageInput(
        # Without a key, the body itself is the key: the same post twice is one record.
        record_key=key
        or "api:" + hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest(),
        kind=str(kind),
        subscriber=subscriber,
        started_at=_usage_date(payload["usageDate"]),
        destination=str(destination) if destination is not None else None,
        duration_seconds=numbers["duration_seconds"],
        bytes_up=numbers["bytes_up"],
        bytes_down=numbers["bytes_down"],
        events=numbers["events"],
        source="api",
    )


INT64_MAX = 2**63 - 1


def _usage_date(value: Any) -> datetime:
    try:
        return parse_datetime(str(value))
    except (ValueError, OverflowError):  # leap seconds, years at the edge of the calendar
        raise InvalidInput(
            "Invalid format", field="usageDate", detail="must be an ISO 8601 date-time"
        ) from None


def _integer(value: Any, name: str) -> int:
    number = _parse_integer(value, name)
    if abs(number) > INT64_MAX:
        raise InvalidInput(
            "Invalid value", field=f"usageCharacteristic.{name}", detail="out of range"
        )
    return number


def _parse_integer(value: Any, name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise InvalidInput(
            "Invalid type", field=f"usageCharacteristic.{name}", detail="must be an integer"
        )
    return value


def _content_hash(payload: Any) -> str:
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()
