"""One rating group of an online charging request: what was used is debited, what is asked
for is held and granted (allowance first, then money through the Pricer), and the 3GPP
MultipleUnitInformation says what came of it. The caller holds the account's lock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ossbss.charging import balances, domain
from ossbss.charging.models import BalanceAction, Bucket, Reservation
from ossbss.charging.nchf_wire import (
    END_USER_SERVICE_DENIED,
    QUOTA_LIMIT_REACHED,
    RATING_FAILED,
    SUCCESS,
    UNIT_FIELD,
    UnitUsage,
    units_of,
)
from ossbss.charging.ports import Pricer, Subscriber
from ossbss.charging.wiring import wiring
from ossbss.kernel import new_id
from ossbss.kernel.money import Money

# Holds outlive their validityTime by this much: a report that is a little late still
# finds its reservation.
HOLD_GRACE = timedelta(seconds=60)
_HOLDS = select(Reservation).where(
    Reservation.session_ref == bindparam("ref"),
    Reservation.rating_group == bindparam("group"),
    Reservation.state == "active",
)


class Context:
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


def charge(context: Context, usage: UnitUsage) -> dict[str, Any]:
    """Debit what was used, then grant what is asked for; the MultipleUnitInformation."""
    kind = wiring().rating_groups.get(usage.rating_group)
    info: dict[str, Any] = {"ratingGroup": usage.rating_group}
    if kind is None:
        if usage.used:  # reported but not ratable: kept for someone to look at, never dropped
            _keep_unrated(context, usage)
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


def _keep_unrated(context: Context, usage: UnitUsage) -> None:
    context.session.add(
        BalanceAction(
            id=new_id(),
            action="unratedUsage",
            billing_account_id=context.subscriber.billing_account_id,
            bucket_id=None,
            amount=0,
            units="",
            status="pending",
            body={
                "product": {"id": context.subscriber.product_id},
                "ratingGroup": usage.rating_group,
                "usedUnitContainer": list(usage.used),
                "reason": "no usage kind for this rating group",
            },
            created_at=context.now,
        )
    )


def _debit_used(context: Context, kind: str, used: int, allowance: Bucket | None) -> None:
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
        used_before=beyond(allowance),
    )
    if allowance is not None:
        allowance.beyond_used = beyond(allowance) + rest
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
    context: Context, kind: str, requested: int, allowance: Bucket | None, info: dict[str, Any]
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
    context: Context,
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
        context, kind, requested - from_allowance, expires, group, beyond(allowance)
    )


def beyond(allowance: Bucket | None) -> int:
    """Where the chargeable axis stands in the period: tiers continue from there."""
    return (allowance.beyond_used or 0) if allowance is not None else 0


def _grant_from_money(
    context: Context, kind: str, wanted: int, expires: datetime, group: int, used_before: int
) -> int:
    pricer = context.pricer
    if not context.prepaid:
        cost = pricer.cost(
            context.session,
            subscriber=context.subscriber,
            kind=kind,
            quantity=wanted,
            at=context.now,
            used_before=used_before,
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
        used_before=used_before,
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
        used_before=used_before,
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


def _nothing_left(context: Context, kind: str, allowance: Bucket | None, blocked: bool) -> bool:
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
        used_before=beyond(allowance),
    )
    return left == 0
