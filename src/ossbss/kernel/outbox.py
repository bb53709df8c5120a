"""The transactional outbox and its in-process dispatcher.

``publish`` writes an event in the caller's transaction, so it exists exactly when the change
that caused it does. After commit the dispatcher delivers it to every handler subscribed to its
topic, each handler in its own transaction together with a row that records it was handled: a
handler's effect and its "done" mark commit together, so a redelivery never repeats it.
Failures are retried with exponential backoff; pending events survive a restart because they
are rows, not memory.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Integer, String, Table, Text, UniqueConstraint, delete, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ossbss.kernel.db import Base, Database, JSONDocument, UTCDateTime, notify_after_commit
from ossbss.kernel.events import Event
from ossbss.kernel.ids import new_id
from ossbss.kernel.time import Clock

log = logging.getLogger(__name__)

Handler = Callable[[Session, Any], None]


class OutboxMessage(Base):
    __tablename__ = "kernel_outbox"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    topic: Mapped[str] = mapped_column(String(120), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Undelivered rows are the queue: (delivered_at IS NULL, next_attempt_at) finds due work.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class HandledEvent(Base):
    """One row per (event, handler) that has run to completion: makes handlers idempotent."""

    __tablename__ = "kernel_handled_event"
    __table_args__ = (UniqueConstraint("event_id", "handler"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36))
    handler: Mapped[str] = mapped_column(String(200))
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime)


def publish(session: Session, event: Event, *, now: datetime) -> str:
    """Record ``event`` in the caller's transaction; returns its event id."""
    event_id = new_id()
    notify_after_commit(session)
    session.add(
        OutboxMessage(
            event_id=event_id,
            topic=event.topic,
            payload=event.to_payload(),
            created_at=now,
            next_attempt_at=now,
            attempts=0,
        )
    )
    return event_id


def publish_many(session: Session, events: Sequence[Event], *, now: datetime) -> None:
    """``publish`` for a batch job's many events: one bulk insert instead of an object each."""
    if not events:
        return
    notify_after_commit(session)
    session.execute(
        insert(cast(Table, OutboxMessage.__table__)),  # Core: no ORM bookkeeping per row
        [
            {
                "event_id": new_id(),
                "topic": event.topic,
                "payload": event.to_payload(),
                "created_at": now,
                "next_attempt_at": now,
                "attempts": 0,
            }
            for event in events
        ],
    )


def backoff(attempts: int, *, base_seconds: float = 1.0, cap_seconds: float = 300.0) -> timedelta:
    """Delay before the next try after ``attempts`` failures: 1s, 2s, 4s ... capped."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class Subscription:
    name: str
    event_type: type[Event]
    handler: Handler
    # External handlers (an HTTP call, say) run outside the write transaction so a slow peer
    # never holds the database's write lock; their session is read-only.
    external: bool = False


@dataclass(frozen=True)
class _Claimed:
    pk: int
    event_id: str
    topic: str
    payload: dict[str, Any]
    attempts: int


DEFAULT_LEASE_SECONDS = 120.0
COALESCE_SECONDS = 0.05
RETENTION = timedelta(days=7)
PRUNE_EVERY_SECONDS = 3600.0


class HandlerRegistry:
    def __init__(self) -> None:
        self._by_topic: dict[str, list[Subscription]] = defaultdict(list)

    def subscribe(
        self,
        event_type: type[Event],
        handler: Handler,
        *,
        name: str | None = None,
        external: bool = False,
    ) -> None:
        handler_name = name or f"{handler.__module__}.{handler.__qualname__}"
        self._by_topic[event_type.topic].append(
            Subscription(handler_name, event_type, handler, external)
        )

    def for_topic(self, topic: str) -> list[Subscription]:
        return self._by_topic.get(topic, [])


class Dispatcher:
    """Delivers due outbox events to their handlers; run it in-process or in a worker.

    A batch of due events costs two write transactions whatever its size: one to lease it,
    one that runs every in-database handler (each in a savepoint, so one failure spoils
    nothing else) and records the outcome.
    """

    def __init__(
        self,
        database: Database,
        registry: HandlerRegistry,
        clock: Clock,
        *,
        poll_seconds: float = 1.0,
        max_attempts: int = 12,
        batch_size: int = 100,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        self._lease = timedelta(seconds=lease_seconds)
        self._db = database
        self._registry = registry
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._max_attempts = max_attempts
        self._batch_size = batch_size
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_pending(self) -> int:
        """Deliver every event that is due now; returns how many were delivered."""
        delivered = 0
        while True:
            claimed = self._claim_due()
            if not claimed:
                return delivered
            delivered += self._deliver(claimed)

    def _claim_due(self) -> list[_Claimed]:
        """Lease a batch of due events so no other dispatcher takes them meanwhile.

        The lease is just a later ``next_attempt_at``: if this process dies mid-delivery,
        the events come due again when the lease runs out.
        """
        now = self._clock.now()
        with self._db.unit_of_work() as session:
            query = (
                select(OutboxMessage)
                .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.dead_at.is_(None))
                .where(OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.pk)
                .limit(self._batch_size)
            )
            if not self._db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            messages = list(session.scalars(query))
            for message in messages:
                message.next_attempt_at = now + self._lease
            return [_Claimed(m.pk, m.event_id, m.topic, m.payload, m.attempts) for m in messages]

    def _deliver(self, claimed: list[_Claimed]) -> int:
        done = self._already_handled(claimed)
        errors: dict[int, str] = {}
        external_done: list[tuple[str, str]] = []
        for message in claimed:
            for subscription in self._registry.for_topic(message.topic):
                if subscription.external and (message.event_id, subscription.name) not in done:
                    error = self._run_external(subscription, message)
                    if error is None:
                        external_done.append((message.event_id, subscription.name))
                    else:
                        errors.setdefault(message.pk, error)
        delivered = 0
        now = self._clock.now()
        with self._db.unit_of_work() as session:
            for event_id, name in external_done:
                session.add(HandledEvent(event_id=event_id, handler=name, handled_at=now))
            for message in claimed:
                error = errors.get(message.pk)
                for subscription in self._registry.for_topic(message.topic):
                    if subscription.external or (message.event_id, subscription.name) in done:
                        continue
                    failure = self._run_internal(session, subscription, message, now)
                    error = error or failure
                delivered += self._record_outcome(session, message, error, now)
        return delivered

    def _already_handled(self, claimed: list[_Claimed]) -> set[tuple[str, str]]:
        with self._db.unit_of_work(write=False) as session:
            rows = session.execute(
                select(HandledEvent.event_id, HandledEvent.handler).where(
                    HandledEvent.event_id.in_([message.event_id for message in claimed])
                )
            )
            return {(row.event_id, row.handler) for row in rows}

    def _run_external(self, subscription: Subscription, message: _Claimed) -> str | None:
        try:
            with self._db.unit_of_work(write=False) as session:
                subscription.handler(session, subscription.event_type.from_payload(message.payload))
        except Exception as exc:
            log.warning("handler %s failed on %s: %s", subscription.name, message.event_id, exc)
            return f"{subscription.name}: {exc!r}"
        return None

    def _run_internal(
        self, session: Session, subscription: Subscription, message: _Claimed, now: datetime
    ) -> str | None:
        try:
            with session.begin_nested():
                event = subscription.event_type.from_payload(message.payload)
                subscription.handler(session, event)
                session.add(
                    HandledEvent(
                        event_id=message.event_id, handler=subscription.name, handled_at=now
                    )
                )
        except Exception as exc:
            log.warning("handler %s failed on %s: %s", subscription.name, message.event_id, exc)
            return f"{subscription.name}: {exc!r}"
        return None

    def _record_outcome(
        self, session: Session, message: _Claimed, error: str | None, now: datetime
    ) -> int:
        row = session.get_one(OutboxMessage, message.pk)
        if error is None:
            row.delivered_at = now
            return 1
        row.attempts = message.attempts + 1
        row.last_error = error[:2000]
        if row.attempts >= self._max_attempts:
            row.dead_at = now
            log.error("outbox event %s (%s) is dead: %s", message.event_id, message.topic, error)
        else:
            row.next_attempt_at = now + backoff(row.attempts)
        return 0

    def prune(self, *, keep: timedelta = RETENTION) -> int:
        """Forget delivered events (and their handled marks) older than ``keep``; dead events
        stay for someone to look at. Returns how many events were removed."""
        cutoff = self._clock.now() - keep
        with self._db.unit_of_work() as session:
            old = select(OutboxMessage.event_id).where(OutboxMessage.delivered_at < cutoff)
            session.execute(delete(HandledEvent).where(HandledEvent.event_id.in_(old)))
            result = session.execute(
                delete(OutboxMessage).where(OutboxMessage.delivered_at < cutoff)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    # -- background thread -------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="outbox-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _loop(self) -> None:
        last_prune = float("-inf")
        while not self._stop.is_set():
            try:
                self.run_pending()
                if time.monotonic() - last_prune > PRUNE_EVERY_SECONDS:
                    self.prune()
                    last_prune = time.monotonic()
            except Exception:
                log.exception("outbox dispatcher pass failed")
            if self._wake.wait(self._poll_seconds):
                # Let a burst of commits pile up so one batch carries them all.
                self._stop.wait(COALESCE_SECONDS)
            self._wake.clear()
