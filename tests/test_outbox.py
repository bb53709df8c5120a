"""The transactional outbox: written with the change, delivered after commit, retried, durable."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.bootstrap import Platform
from ossbss.kernel import (
    Dispatcher,
    Event,
    FixedClock,
    HandlerRegistry,
    OutboxMessage,
    backoff,
    publish,
)


@dataclass(frozen=True, kw_only=True)
class ThingHappened(Event):
    topic = "test.thing-happened"
    thing_id: str


class Recorder:
    def __init__(self, failures: int = 0) -> None:
        self.seen: list[str] = []
        self.failures = failures

    def __call__(self, session: Session, event: ThingHappened) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("downstream unavailable")
        self.seen.append(event.thing_id)


def dispatcher_for(platform: Platform, recorder: Recorder, *, max_attempts: int = 5) -> Dispatcher:
    registry = HandlerRegistry()
    registry.subscribe(ThingHappened, recorder, name="test.recorder")
    return Dispatcher(platform.database, registry, platform.clock, max_attempts=max_attempts)


def emit(platform: Platform, thing_id: str) -> None:
    with platform.database.unit_of_work() as session:
        publish(session, ThingHappened(thing_id=thing_id), now=platform.clock.now())


def test_an_event_is_delivered_once_after_commit(platform: Platform) -> None:
    recorder = Recorder()
    dispatcher = dispatcher_for(platform, recorder)
    emit(platform, "a")
    assert dispatcher.run_pending() == 1
    assert dispatcher.run_pending() == 0
    assert recorder.seen == ["a"]


def test_an_event_of_a_rolled_back_transaction_never_exists(platform: Platform) -> None:
    recorder = Recorder()

    def failing_change() -> None:
        with platform.database.unit_of_work() as session:
            publish(session, ThingHappened(thing_id="ghost"), now=platform.clock.now())
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert dispatcher_for(platform, recorder).run_pending() == 0
    assert recorder.seen == []


def test_failures_are_retried_with_backoff(platform: Platform, clock: FixedClock) -> None:
    recorder = Recorder(failures=2)
    dispatcher = dispatcher_for(platform, recorder)
    emit(platform, "b")
    assert dispatcher.run_pending() == 0  # attempt 1 fails
    assert dispatcher.run_pending() == 0  # not due yet: nothing tried
    assert recorder.failures == 1
    clock.advance(backoff(1))
    assert dispatcher.run_pending() == 0  # attempt 2 fails
    clock.advance(backoff(1))
    assert dispatcher.run_pending() == 0  # backoff doubled: still not due
    clock.advance(backoff(2))
    assert dispatcher.run_pending() == 1
    assert recorder.seen == ["b"]


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff(40) == timedelta(minutes=5)


def test_pending_events_survive_a_restart(platform: Platform) -> None:
    emit(platform, "c")
    # The "process" that published dies before delivering; a new dispatcher starts from rows.
    recorder = Recorder()
    assert dispatcher_for(platform, recorder).run_pending() == 1
    assert recorder.seen == ["c"]


def test_an_event_that_keeps_failing_is_parked_as_dead(
    platform: Platform, clock: FixedClock
) -> None:
    recorder = Recorder(failures=100)
    dispatcher = dispatcher_for(platform, recorder, max_attempts=3)
    emit(platform, "d")
    for _ in range(5):
        dispatcher.run_pending()
        clock.advance(timedelta(minutes=10))
    with platform.database.unit_of_work(write=False) as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert message.attempts == 3
    assert message.dead_at is not None
    assert "downstream unavailable" in (message.last_error or "")


def test_the_background_dispatcher_delivers_after_commit(platform: Platform) -> None:
    recorder = Recorder()
    dispatcher = dispatcher_for(platform, recorder)
    platform.database.on_commit(dispatcher.wake)
    dispatcher.start()
    try:
        emit(platform, "e")
        deadline = time.monotonic() + 10
        while not recorder.seen and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        dispatcher.stop()
    assert recorder.seen == ["e"]


def test_delivered_events_are_pruned_after_the_retention(
    platform: Platform, clock: FixedClock
) -> None:
    recorder = Recorder()
    dispatcher = dispatcher_for(platform, recorder)
    emit(platform, "old")
    dispatcher.run_pending()
    clock.advance(timedelta(days=8))
    emit(platform, "new")
    dispatcher.run_pending()
    assert dispatcher.prune(keep=timedelta(days=7)) == 1
    with platform.database.unit_of_work(write=False) as session:
        remaining = session.scalars(select(OutboxMessage.payload)).all()
    assert [payload["thing_id"] for payload in remaining] == ["new"]
