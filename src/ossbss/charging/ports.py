"""What charging needs from rooms built elsewhere, as protocols the composition root fills:
who a network identifier belongs to (usage) and what usage costs (the rating model)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from ossbss.kernel.money import Money


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A subscription as the network sees it (the usage room's read model has these fields)."""

    identifier: str
    product_id: str
    billing_account_id: str
    offering_id: str
    customer_id: str | None = None


class SubscriberDirectory(Protocol):
    def find(self, session: Session, *, identifier: str, at: datetime) -> Subscriber | None:
        """The subscriber behind ``identifier`` (type prefix already stripped) at ``at``."""
        ...


@dataclass(frozen=True, slots=True)
class Allowance:
    """Units included per billing period for one kind of usage, and what follows it."""

    kind: str
    quantity: int  # in base units (bytes, seconds, events)
    rollover: bool  # unused allowance carries into the next period
    rollover_max: int | None  # the most carried over (None: all of it)
    policy: str  # at 100%: "charge" (pay per extra unit), "throttle" or "block"
    price_id: str
    throttle_down_kbps: int | None = None  # the rates a "throttle" policy asks for
    throttle_up_kbps: int | None = None


class Pricer(Protocol):
    """The rating model as online charging uses it. Prices cover usage beyond the allowance
    (the allowance itself is a unit bucket charging keeps)."""

    def allowance(
        self, session: Session, *, subscriber: Subscriber, kind: str, at: datetime
    ) -> Allowance | None: ...

    def cost(
        self,
        session: Session,
        *,
        subscriber: Subscriber,
        kind: str,
        quantity: int,
        at: datetime,
        used_before: int,
    ) -> Money | None:
        """What ``quantity`` base units cost, rounded up to a minor unit (None: unpriced)."""
        ...

    def units_for(
        self,
        session: Session,
        *,
        subscriber: Subscriber,
        kind: str,
        money: Money,
        at: datetime,
        used_before: int,
    ) -> int:
        """The most base units ``money`` buys (0 when unpriced or in another currency)."""
        ...


class DictDirectory:
    """A directory from a mapping (tests, demos, the benchmark)."""

    def __init__(self, subscribers: Mapping[str, Subscriber] | None = None) -> None:
        self.subscribers: dict[str, Subscriber] = dict(subscribers or {})

    def find(self, session: Session, *, identifier: str, at: datetime) -> Subscriber | None:
        return self.subscribers.get(identifier)


class FunctionDirectory:
    """Adapts a ``find_subscriber(session, *, identifier, at)`` function whose result has the
    Subscriber fields (how the usage room's lookup is wired in)."""

    def __init__(self, find_subscriber: Callable[..., Any]) -> None:
        self._find = find_subscriber

    def find(self, session: Session, *, identifier: str, at: datetime) -> Subscriber | None:
        found = self._find(session, identifier=identifier, at=at)
        if found is None:
            return None
        return Subscriber(
            identifier=found.identifier,
            product_id=found.product_id,
            billing_account_id=found.billing_account_id,
            offering_id=found.offering_id,
            customer_id=getattr(found, "customer_id", None),
        )


class NoDirectory:
    """Until the usage room's lookup is wired in, nobody is known."""

    def find(self, session: Session, *, identifier: str, at: datetime) -> Subscriber | None:
        return None
