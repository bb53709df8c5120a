"""Online charging (Nchf_ConvergedCharging create / update / release): used units are
debited, requested units reserved from the balance (allowance first, then money through the
Pricer) and granted. Keyword-only, take ``session`` and ``now``, never commit.

Retransmissions change nothing: a request whose invocationSequenceNumber the session has
already answered gets that stored answer back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ossbss import account
from ossbss.charging import balances, domain, quota
from ossbss.charging.models import ChargingSession, Reservation
from ossbss.charging.nchf_wire import (
    USER_UNKNOWN,
    ChargingDataRequest,
    NchfError,
    UnitUsage,
    bad_request,
)
from ossbss.charging.ports import Subscriber
from ossbss.charging.wiring import wiring
from ossbss.kernel import new_id
from ossbss.kernel.errors import NotFound
from ossbss.kernel.time import format_datetime

OPEN, RELEASED = "open", "released"
_SESSION = select(ChargingSession).where(ChargingSession.ref == bindparam("ref"))


@dataclass(frozen=True, slots=True)
class Answer:
    status: int  # 201, 200, 204 or 403
    body: dict[str, Any]
    ref: str | None = None


def create(session: Session, *, request: ChargingDataRequest, now: datetime) -> Answer:
    with session.no_autoflush:  # the objects it reads are the ones it changes: flush once
        return _create(session, request, now)


def update(session: Session, *, ref: str, request: ChargingDataRequest, now: datetime) -> Answer:
    with session.no_autoflush:
        return _update(session, ref, request, now)


def release(session: Session, *, ref: str, request: ChargingDataRequest, now: datetime) -> Answer:
    with session.no_autoflush:
        return _release(session, ref, request, now)


def _create(session: Session, request: ChargingDataRequest, now: datetime) -> Answer:
    if not request.subscriber:
        raise bad_request("subscriberIdentifier is mandatory to open a charging session")
    ref = new_id()
    # A retransmitted create is recognised by its chargingId (the PDU session's), which a
    # consumer sends again unchanged; without one every create opens a new session.
    key = ref
    if request.charging_id:
        key = f"{request.consumer}|{request.charging_id}|{request.subscriber}|{request.sequence}"
        done = session.scalars(
            select(ChargingSession).where(ChargingSession.create_key == key)
        ).first()
        if done is not None:  # the same session, the same answer
            return Answer(201, done.last_response, done.ref)
    subscriber = _subscriber(session, request.subscriber, now)
    prepaid = _check_account(session, subscriber.billing_account_id)
    balances.lock_account(
        session, account_id=subscriber.billing_account_id, now=now, prepaid=prepaid
    )
    context = quota.Context(session, subscriber, prepaid, ref, now)
    units = [quota.charge(context, usage) for usage in request.usages]
    body = _response(request, units, now)
    if request.usages and all(
        _denied(usage, info) for usage, info in zip(request.usages, units, strict=True)
    ):
        # Nothing to grant on a new session: refused (TS 32.291: 403 QUOTA_LIMIT_REACHED).
        cause = units[0]["resultCode"]
        body["invocationResult"] = {
            "error": {"status": 403, "cause": cause, "title": "Quota not granted"},
            "failureHandling": "TERMINATE",
        }
        return Answer(403, body)
    session.add(
        ChargingSession(
            ref=ref,
            create_key=key,
            subscriber=request.subscriber,
            billing_account_id=subscriber.billing_account_id,
            product_id=subscriber.product_id,
            offering_id=subscriber.offering_id,
            prepaid=prepaid,
            state=OPEN,
            last_sequence=request.sequence,
            last_response=body,
            created_at=now,
            updated_at=now,
        )
    )
    return Answer(201, body, ref)


def _update(session: Session, ref: str, request: ChargingDataRequest, now: datetime) -> Answer:
    charging = _session(session, ref, now)
    if charging.state != OPEN or request.sequence <= charging.last_sequence:
        return _repeat(charging, request, 200)
    context = quota.Context(session, _of(charging), charging.prepaid, ref, now)
    units = [quota.charge(context, usage) for usage in request.usages]
    body = _response(request, units, now)
    charging.last_sequence = request.sequence
    charging.last_response = body
    charging.updated_at = now
    return Answer(200, body, ref)


def _release(session: Session, ref: str, request: ChargingDataRequest, now: datetime) -> Answer:
    charging = _session(session, ref, now)
    if charging.state != OPEN or request.sequence <= charging.last_sequence:
        return _repeat(charging, request, 204)
    context = quota.Context(session, _of(charging), charging.prepaid, ref, now)
    for usage in request.usages:
        quota.charge(context, UnitUsage(usage.rating_group, None, usage.used))
    for reservation in session.scalars(
        select(Reservation).where(Reservation.session_ref == ref, Reservation.state == "active")
    ).all():
        bucket = balances.get_bucket(session, bucket_id=reservation.bucket_id)
        balances.release(session, reservation=reservation, bucket=bucket, state="released")
    charging.state = RELEASED
    charging.last_sequence = request.sequence
    charging.last_response = {}
    charging.updated_at = now
    return Answer(204, {}, ref)


def _repeat(charging: ChargingSession, request: ChargingDataRequest, status: int) -> Answer:
    """A request the session already answered (or one after its release)."""
    if request.sequence == charging.last_sequence or (
        request.retransmission and request.sequence < charging.last_sequence
    ):
        status = 204 if charging.state == RELEASED else status
        return Answer(status, charging.last_response, charging.ref)
    if charging.state != OPEN:
        raise _not_found(charging.ref)
    raise bad_request(
        f"invocationSequenceNumber {request.sequence} is not after {charging.last_sequence}"
    )


def _session(session: Session, ref: str, now: datetime) -> ChargingSession:
    """The session under its account's lock (so its counters and holds are current)."""
    found = session.scalars(_SESSION, {"ref": ref}).first()
    if found is None:
        raise _not_found(ref)
    balances.lock_account(session, account_id=found.billing_account_id, now=now)
    if session.get_bind().dialect.name != "sqlite":
        # read again under the lock; SQLite's writer held the write lock before reading
        session.refresh(found)
    return found


def _not_found(ref: str) -> NchfError:
    return NchfError(
        404, "CONTEXT_NOT_FOUND", "Charging session not found", f"no open ChargingDataRef {ref}"
    )


def _subscriber(session: Session, raw: str, now: datetime) -> Subscriber:
    found = wiring().directory.find(session, identifier=domain.strip_identifier(raw), at=now)
    if found is None:
        raise NchfError(404, USER_UNKNOWN, "User unknown", f"no subscriber {raw}")
    return found


def _check_account(session: Session, account_id: str) -> bool:
    try:
        active = account.billing_account_is_active(session, account_id=account_id)
        prepaid = balances.is_prepaid(session, account_id=account_id)
    except NotFound:
        raise NchfError(
            404, USER_UNKNOWN, "User unknown", "the subscriber has no billing account"
        ) from None
    if not active:
        raise NchfError(
            403,
            "END_USER_REQUEST_DENIED",
            "End user request denied",
            "the billing account is not active",
        )
    return prepaid


def _of(charging: ChargingSession) -> Subscriber:
    return Subscriber(
        identifier=charging.subscriber,
        product_id=charging.product_id,
        billing_account_id=charging.billing_account_id,
        offering_id=charging.offering_id,
    )


def _denied(usage: UnitUsage, info: dict[str, Any]) -> bool:
    return usage.requested is not None and "grantedUnit" not in info


def _response(
    request: ChargingDataRequest, units: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "invocationTimeStamp": format_datetime(now),
        "invocationSequenceNumber": request.sequence,
    }
    if units:
        body["multipleUnitInformation"] = units
    return body
