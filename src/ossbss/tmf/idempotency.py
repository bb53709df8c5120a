"""``Idempotency-Key`` on POST: a retried request gets the resource the first one created."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ossbss.kernel.errors import Conflict, InvalidInput
from ossbss.tmf.models import IdempotencyKey

MAX_KEY_LENGTH = 255


def request_hash(payload: Any) -> str:
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            "Invalid Idempotency-Key",
            field="Idempotency-Key",
            detail=f"must be 1 to {MAX_KEY_LENGTH} printable characters",
        )
    return key


def seen(session: Session, *, resource: str, key: str, payload_hash: str) -> str | None:
    """The id created under ``key`` earlier, or None. The same key with another body is 409."""
    row = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.resource == resource, IdempotencyKey.key == key)
    )
    if row is None:
        return None
    if row.request_hash != payload_hash:
        raise Conflict(
            "Idempotency-Key reused",
            field="Idempotency-Key",
            detail="this key was used before with a different request body",
        )
    return row.resource_id


def remember(
    session: Session, *, resource: str, key: str, payload_hash: str, resource_id: str, now: datetime
) -> None:
    # On PostgreSQL a concurrent request with the same key waits here for the first one's
    # transaction, then fails on the unique key: it is told to retry, and its retry replays.
    try:
        with session.begin_nested():
            session.add(
                IdempotencyKey(
                    resource=resource,
                    key=key,
                    request_hash=payload_hash,
                    resource_id=resource_id,
                    created_at=now,
                )
            )
    except IntegrityError as exc:
        raise Conflict(
            "Request in progress",
            field="Idempotency-Key",
            detail="another request with this key is being processed; retry it",
        ) from exc
