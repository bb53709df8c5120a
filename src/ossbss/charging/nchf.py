"""Online charging (Nchf_ConvergedCharging create / update / release): used units are
debited, requested units reserved from the balance (allowance first, then money through the
Pricer) and granted. Keyword-only, take ``session`` and ``now``, never commit.

Retransmissions change nothing: a request whose invocationSequenceNumber the session has
already answered gets that stored answer back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ossbss import account
from ossbss.charging import balances, domain
from ossbss.charging.models import BalanceAction, Bucket, ChargingSession, Reservation
from ossbss.charging.nchf_wire import (
    END_USER_SERVICE_DENIED,
    QUOTA_LIMIT_REACHED,
    RATING_FAILED,
    SUCCESS,
    UNIT_FIELD,
    USER_UNKNOWN,
    ChargingDataRequest,
    NchfError,
    UnitUsage,
    bad_request,
    units_of,
)
from ossbss.charging.ports import Pricer, Subscriber
from ossbss.charging.wiring import wiring
from ossbss.kernel import new_id
from ossbss.kernel.errors import NotFound
from ossbss.kernel.money import Money
from ossbss.kernel.time import format_datetime

OPEN, RELEASED = "open", "released"
_SESSION = select(ChargingSession).where(ChargingSession.ref == bindparam("ref"))
_HOLDS = select(Reservation).where(
    Reservation.session_ref == bindparam("ref"),
    Reservation.rating_group == bindparam("group"),
    Reservation.state == "active",
)
# Holds outlive their validityTime by this much: a report that is a little late still
# finds its reservation.
HOLD_GRACE = timedelta(seconds=60)


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
    context = _Context(session, subscriber, prepaid, ref, now)
    units = [_charge(context, usage) for usage in request.usages]
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
    context = _Context(session, _of(charging), charging.prepaid, ref, now)
    units = [_charge(context, usage) for usage in request.usages]
    body = _response(request, units, now)
    charging.last_sequence = request.sequence
    charging.last_response = body
    charging.updated_at = now
    return Answer(200, body, ref)


def _release(session: Session, ref: str, request: ChargingDataRequest, now: datetime) -> Answer:
    charging = _session(session, ref, now)
    if charging.state != OPEN or request.sequence <= charging.last_sequence:
        return _repeat(charging, request, 204)
    context = _Context(session, _of(charging), charging.prepaid, ref, now)
    for usage in request.usages:
        _charge(context, UnitUsage(usage.rating_group, None, usage.used))
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


# --- one rating group ---------------------------------------------------------------------


class _Context:
    def __init__(
        self, session: Session, subscriber: Subscriber, prepaid: bool, ref: str, now: datetime
    ) -> None:
        self.session = session
        self.subscriber = subscriber
        self.prepaid = prepaid
        self.ref = ref
        self.now = now
        self.pricer: Pricer = wiring().pricer
        self._money: list[Bucket | None] = []
        self._reclaimed = False

    def reclaim(self) -> bool:
        """Give back the account's expired holds, once per request, when they could stand
        between a request and its grant (they never matter otherwise)."""
        if self._reclaimed:
            return False
        self._reclaimed = True
        account_id = self.subscriber.billing_account_id
        return balances.release_expired(self.session, account_id=account_id, now=self.now) > 0

    def allowance(self, kind: str) -> Bucket | None:
        return balances.allowance_bucket(
            self.session, subscriber=self.subscriber, kind=kind, now=self.now, pricer=self.pricer
        )

    def money(self) -> Bucket | None:
        if not self._money:
            self._money.append(
                balances.money_bucket(
                    self.session, account_id=self.subscriber.billing_account_id, now=self.now
                )
            )
        return self._money[0]


def _charge(context: _Context, usage: UnitUsage) -> dict[str, Any]:
    """Debit what was used, then grant what is asked for; the MultipleUnitInformation."""
    kind = wiring().rating_groups.get(usage.rating_group)
    info: dict[str, Any] = {"ratingGroup": usage.rating_group}
    if kind is None:
        info["resultCode"] = RATING_FAILED
        return info
    allowance = context.allowance(kind)
    holds = context.session.scalars(_HOLDS, {"ref": context.ref, "group": usage.rating_group})
    for reservation in holds.all():
        bucket = (
            allowance if allowance is not None and allowance.id == reservation.bucket_id else None
        )
        bucket = bucket or balances.get_bucket(context.session, bucket_id=reservation.bucket_id)
        balances.release(context.session, reservation=reservation, bucket=bucket, state="committed")
    used = sum(units_of(kind, container) or 0 for container in usage.used)
    if used:
        _debit_used(context, kind, used, allowance)
    if usage.requested is None:
        info["resultCode"] = SUCCESS
        return info
    requested = units_of(kind, usage.requested) or domain.DEFAULT_QUOTA[kind]
    return _grant(context, kind, requested, allowance, info)


def _debit_used(context: _Context, kind: str, used: int, allowance: Bucket | None) -> None:
    rest = used
    if allowance is not None and allowance.remaining > 0:
        take = min(rest, allowance.remaining)
        balances.debit(context.session, bucket=allowance, amount=take, now=context.now)
        rest -= take
    if not rest:
        return
    cost = context.pricer.cost(
        context.session,
        subscriber=context.subscriber,
        kind=kind,
        quantity=rest,
        at=context.now,
        used_before=0,
    )
    money = context.money()
    if context.prepaid and money is not None and cost is not None and cost.currency == money.units:
        balances.debit(context.session, bucket=money, amount=cost.minor, now=context.now)
        return
    # Postpaid (billed later), or usage the balance cannot take: kept, never dropped.
    context.session.add(
        BalanceAction(
            id=new_id(),
            action="postpaidUsage" if not context.prepaid else "unbilledUsage",
            billing_account_id=context.subscriber.billing_account_id,
            bucket_id=None,
            amount=cost.minor if cost else rest,
            units=cost.currency if cost else domain.BASE_UNIT[kind],
            status="confirmed" if not context.prepaid else "pending",
            body={
                "product": {"id": context.subscriber.product_id},
                "usageType": kind,
                "quantity": rest,
            },
            created_at=context.now,
        )
    )


def _grant(
    context: _Context, kind: str, requested: int, allowance: Bucket | None, info: dict[str, Any]
) -> dict[str, Any]:
    validity = wiring().validity_seconds
    if allowance is not None and allowance.valid_to is not None:
        left = int((allowance.valid_to - context.now).total_seconds())
        validity = min(validity, max(left, 1))
    expires = context.now + timedelta(seconds=validity) + HOLD_GRACE
    blocked = allowance is not None and allowance.policy == "block"
    granted = _take(context, kind, requested, allowance, blocked, expires, info["ratingGroup"])
    if granted < requested and context.reclaim():  # expired holds were in the way
        more = requested - granted
        granted += _take(context, kind, more, allowance, blocked, expires, info["ratingGroup"])
    if granted == 0:
        info["resultCode"] = END_USER_SERVICE_DENIED if blocked else QUOTA_LIMIT_REACHED
        info["finalUnitIndication"] = {"finalUnitAction": "TERMINATE"}
        return info
    info["resultCode"] = SUCCESS
    info["grantedUnit"] = {UNIT_FIELD[kind]: granted}
    info["validityTime"] = validity
    if _nothing_left(context, kind, allowance, blocked):
        info["finalUnitIndication"] = {"finalUnitAction": "TERMINATE"}
    return info


def _take(
    context: _Context,
    kind: str,
    requested: int,
    allowance: Bucket | None,
    blocked: bool,
    expires: datetime,
    group: int,
) -> int:
    """Hold up to ``requested`` units: from the allowance first, then (unless the fair-use
    policy blocks) from money. Returns the units held."""
    from_allowance = 0
    if allowance is not None:
        from_allowance = min(requested, balances.available(allowance))
        if from_allowance:
            balances.hold(
                context.session,
                bucket=allowance,
                amount=from_allowance,
                units=from_allowance,
                now=context.now,
                expires_at=expires,
                session_ref=context.ref,
                rating_group=group,
            )
    if requested == from_allowance or blocked:
        return from_allowance
    return from_allowance + _grant_from_money(
        context, kind, requested - from_allowance, expires, group
    )


def _grant_from_money(
    context: _Context, kind: str, wanted: int, expires: datetime, group: int
) -> int:
    pricer = context.pricer
    if not context.prepaid:
        cost = pricer.cost(
            context.session,
            subscriber=context.subscriber,
            kind=kind,
            quantity=wanted,
            at=context.now,
            used_before=0,
        )
        return wanted if cost is not None else 0  # postpaid: billed later, not limited by money
    money = context.money()
    if money is None:
        return 0
    free = balances.available(money)
    affordable = pricer.units_for(
        context.session,
        subscriber=context.subscriber,
        kind=kind,
        money=Money(money.units, free),
        at=context.now,
        used_before=0,
    )
    units = min(wanted, affordable)
    if units <= 0:
        return 0
    cost = pricer.cost(
        context.session,
        subscriber=context.subscriber,
        kind=kind,
        quantity=units,
        at=context.now,
        used_before=0,
    )
    if cost is None or cost.minor > free:  # a pricer that rounds against us: grant nothing
        return 0
    balances.hold(
        context.session,
        bucket=money,
        amount=cost.minor,
        units=units,
        now=context.now,
        expires_at=expires,
        session_ref=context.ref,
        rating_group=group,
    )
    return units


def _nothing_left(context: _Context, kind: str, allowance: Bucket | None, blocked: bool) -> bool:
    """Is this grant the last one (3GPP final unit indication)?"""
    if allowance is not None and balances.available(allowance) > 0:
        return False
    if blocked:
        return True
    if not context.prepaid:
        return False
    money = context.money()
    if money is None:
        return True
    left = context.pricer.units_for(
        context.session,
        subscriber=context.subscriber,
        kind=kind,
        money=Money(money.units, balances.available(money)),
        at=context.now,
        used_before=0,
    )
    return left == 0
