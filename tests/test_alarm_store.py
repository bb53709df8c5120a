"""store.ingest: de-duplication, escalation, clears, unresolved sources, flapping, events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from alarm_helpers import alarms, clear, signal, store
from conftest import START
from ossbss import bootstrap
from ossbss.assurance import FlapRule, ingest
from ossbss.kernel.outbox import OutboxMessage


def _topics(platform: bootstrap.Platform) -> list[str]:
    with platform.database.unit_of_work(write=False) as session:
        return list(session.scalars(select(OutboxMessage.topic).order_by(OutboxMessage.pk)))


def test_a_new_key_raises_an_alarm_and_publishes_it(platform: bootstrap.Platform) -> None:
    outcome = store(platform, signal())
    [alarm] = alarms(platform)
    assert outcome.raised == (alarm.id,)
    assert (alarm.state, alarm.count, alarm.resolved, alarm.perceived_severity) == (
        "raised",
        1,
        True,
        "major",
    )
    assert alarm.raised_at == alarm.last_occurred_at == START
    assert _topics(platform) == ["assurance.alarm-raised"]


def test_duplicates_count_on_the_active_alarm(platform: bootstrap.Platform) -> None:
    store(platform, signal(minute=0))
    outcome = store(platform, signal(minute=1), signal(minute=3))
    [alarm] = alarms(platform)
    assert outcome.duplicates == 2
    assert outcome.raised == ()
    assert alarm.count == 3
    assert alarm.raised_at == START
    assert alarm.last_occurred_at == START + timedelta(minutes=3)
    assert alarm.state == "raised"


def test_same_key_signals_in_one_batch_make_one_alarm(platform: bootstrap.Platform) -> None:
    outcome = store(platform, *(signal(minute=m) for m in range(5)), signal("other"))
    assert len(outcome.raised) == 2
    assert outcome.duplicates == 4
    assert [a.count for a in alarms(platform)] == [5, 1]


def test_a_worse_severity_updates_the_alarm(platform: bootstrap.Platform) -> None:
    store(platform, signal(perceived_severity="minor"))
    outcome = store(platform, signal(minute=1, perceived_severity="critical"))
    [alarm] = alarms(platform)
    assert outcome.updated == (alarm.id,)
    assert (alarm.state, alarm.perceived_severity) == ("updated", "critical")
    again = store(platform, signal(minute=2, perceived_severity="warning"))
    assert again.updated == ()
    assert alarms(platform)[0].perceived_severity == "critical"


def test_a_clear_clears_the_active_alarm_and_a_new_raise_is_a_new_alarm(
    platform: bootstrap.Platform,
) -> None:
    raised = store(platform, signal())
    cleared = store(platform, clear(minute=2))
    assert cleared.cleared == raised.raised
    [alarm] = alarms(platform)
    assert alarm.state == "cleared"
    assert alarm.cleared_at == START + timedelta(minutes=2)
    again = store(platform, signal(minute=3))
    assert again.raised
    assert again.raised != raised.raised
    assert [a.state for a in alarms(platform)] == ["cleared", "raised"]
    assert _topics(platform) == [
        "assurance.alarm-raised",
        "assurance.alarm-cleared",
        "assurance.alarm-raised",
    ]


def test_raise_and_clear_in_one_batch(platform: bootstrap.Platform) -> None:
    outcome = store(platform, signal(), clear(minute=1), signal(minute=2))
    assert len(outcome.raised) == 2
    assert outcome.cleared == outcome.raised[:1]
    assert [a.state for a in alarms(platform)] == ["cleared", "raised"]


def test_a_clear_for_nothing_is_counted_and_ignored(platform: bootstrap.Platform) -> None:
    outcome = store(platform, clear())
    assert outcome.ignored_clears == 1
    assert alarms(platform) == []
    assert _topics(platform) == []


def test_an_unknown_source_is_stored_unresolved(platform: bootstrap.Platform) -> None:
    store(platform, signal("unknown|x", alarmed_object_id=None, alarmed_object_type=None))
    [alarm] = alarms(platform)
    assert alarm.resolved is False
    assert alarm.alarmed_object_id is None


def test_a_key_that_keeps_raising_and_clearing_is_flapping_and_stays_active(
    platform: bootstrap.Platform,
) -> None:
    rule = FlapRule(window=timedelta(minutes=10), threshold=3)
    with platform.database.unit_of_work() as session:
        for flapping_signal in [signal(minute=0), clear(minute=1), signal(minute=2)]:
            ingest(session, signals=[flapping_signal], now=START, flap_rule=rule)
        ingest(session, signals=[clear(minute=3)], now=START, flap_rule=rule)
    # raise, clear, raise, clear = 4 transitions > 3: the second alarm stays, flagged
    states = [(a.state, a.flapping) for a in alarms(platform)]
    assert states == [("cleared", False), ("raised", True)]
    with platform.database.unit_of_work() as session:
        outcome = ingest(session, signals=[signal(minute=5)], now=START, flap_rule=rule)
    assert outcome.duplicates == 1
    assert outcome.raised == ()
    later = START + timedelta(minutes=30)
    with platform.database.unit_of_work() as session:
        outcome = ingest(session, signals=[clear(minute=30)], now=later, flap_rule=rule)
    assert len(outcome.cleared) == 1
    assert [(a.state, a.flapping) for a in alarms(platform)][-1] == ("cleared", False)


def test_flapping_counts_across_many_cleared_alarms_of_the_key(
    platform: bootstrap.Platform,
) -> None:
    rule = FlapRule(window=timedelta(minutes=10), threshold=5)
    with platform.database.unit_of_work() as session:
        for minute in range(0, 6, 2):  # raise, clear x3 = 6 transitions
            ingest(session, signals=[signal(minute=minute)], now=START, flap_rule=rule)
            ingest(session, signals=[clear(minute=minute + 1)], now=START, flap_rule=rule)
    states = [(a.state, a.flapping, a.transitions) for a in alarms(platform)]
    assert states == [("cleared", False, 2), ("cleared", False, 4), ("raised", True, 6)]
