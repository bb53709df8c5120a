"""Trouble ticket rules, pure: the TMF621 lifecycle, durations, the SLA policy and clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ossbss.assurance.tickets import domain, parse_policy
from ossbss.assurance.tickets.policy import default_policy
from ossbss.kernel.errors import InvalidInput

T0 = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def test_the_lifecycle_allows_the_tmf621_moves_only() -> None:
    assert domain.may_move("acknowledged", "inProgress")
    assert domain.may_move("inProgress", "resolved")
    assert domain.may_move("resolved", "closed")
    assert domain.may_move("resolved", "inProgress")  # the resolution was refused
    assert domain.may_move("inProgress", "pending")
    assert domain.may_move("held", "inProgress")
    assert domain.may_move("acknowledged", "rejected")
    assert domain.may_move("closed", "closed")  # staying put is no move
    assert not domain.may_move("acknowledged", "resolved")  # nobody worked on it
    assert not domain.may_move("acknowledged", "closed")
    for final in ("closed", "cancelled", "rejected"):
        assert domain.allowed_moves(final) == frozenset()
    assert set(domain.LIFECYCLE) == set(domain.STATUSES)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("4h", timedelta(hours=4)),
        ("1h30m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("90", timedelta(seconds=90)),
        ("PT30M", timedelta(minutes=30)),
        ("P1DT2H", timedelta(days=1, hours=2)),
    ],
)
def test_durations(raw: str, expected: timedelta) -> None:
    assert domain.parse_duration(raw, field="x") == expected


@pytest.mark.parametrize("raw", ["", "soon", "P", "PT", "4x", "-5m"])
def test_bad_durations_name_the_field(raw: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        domain.parse_duration(raw, field="slaDueWithin")
    assert caught.value.field == "slaDueWithin"


def test_the_shipped_policy_maps_severities_to_priorities_and_spans() -> None:
    policy = default_policy()
    assert policy.priority_for("critical") == "P1"
    assert policy.priority_for("Major") == "P2"
    assert policy.priority_for("something else") == "P3"
    p1 = policy.target("P1")
    assert p1 is not None
    assert (p1.respond, p1.resolve) == (
        timedelta(minutes=15),
        timedelta(hours=4),
    )
    timers = domain.timers(policy, "P1", T0)
    assert timers.respond_by == T0 + timedelta(minutes=15)
    assert timers.resolve_by == T0 + timedelta(hours=4)
    assert domain.timers(policy, "P9", T0) == domain.Timers(None, None)


def test_a_policy_naming_an_unknown_priority_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_policy('[priority.P1]\nrespond = "1m"\nresolve = "1h"\n[severity]\nmajor = "P2"\n')
    assert caught.value.field == "severity.major"
    with pytest.raises(InvalidInput) as caught:
        parse_policy('[priority.P1]\nrespond = "2h"\nresolve = "1h"\n')
    assert caught.value.field == "priority.P1.resolve"


def test_respond_clock_breaches_when_nobody_takes_the_ticket_up_in_time() -> None:
    timers = domain.Timers(T0 + timedelta(minutes=15), T0 + timedelta(hours=4))
    waiting = domain.sla_state(timers, responded_at=None, ended_at=None)
    assert not waiting.breached(T0 + timedelta(minutes=15))  # due "by": the instant is in time
    assert waiting.respond.breached(T0 + timedelta(minutes=16))
    assert waiting.respond.remaining(T0 + timedelta(minutes=10)) == timedelta(minutes=5)
    assert waiting.near_breach(T0 + timedelta(minutes=10), timedelta(minutes=5))
    assert not waiting.near_breach(T0 + timedelta(minutes=5), timedelta(minutes=5))
    answered = domain.sla_state(timers, responded_at=T0 + timedelta(minutes=14), ended_at=None)
    assert not answered.breached(T0 + timedelta(hours=3))  # the answer stopped that clock
    assert answered.respond.remaining(T0) is None
    late = domain.sla_state(timers, responded_at=T0 + timedelta(minutes=20), ended_at=None)
    assert late.respond.breached(T0 + timedelta(minutes=21))
    assert late.breached(T0 + timedelta(days=9))  # a missed time stays missed


def test_resolve_clock_stops_on_resolution_and_runs_again_on_reopen() -> None:
    moved = domain.apply_move(
        old="acknowledged", new="inProgress", at=T0, responded_at=None, ended_at=None
    )
    assert moved.responded_at == T0
    assert moved.ended_at is None
    later = T0 + timedelta(hours=1)
    resolved = domain.apply_move(
        old="inProgress", new="resolved", at=later, responded_at=T0, ended_at=None
    )
    assert resolved.responded_at == T0  # answered once
    assert resolved.ended_at == later
    closed = domain.apply_move(
        old="resolved", new="closed", at=later + timedelta(hours=9), responded_at=T0, ended_at=later
    )
    assert closed.ended_at == later  # closing does not move the resolution
    reopened = domain.apply_move(
        old="resolved", new="inProgress", at=later, responded_at=T0, ended_at=later
    )
    assert reopened.ended_at is None
