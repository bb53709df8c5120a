"""Pure alarm rules: flapping windows, severity order, the TMF642 reduction key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ossbss.assurance.flapping import FlapRule, FlapState, carried, transition
from ossbss.assurance.rules import is_worse, severity_rank, tmf_reduction_key

T0 = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
RULE = FlapRule(window=timedelta(minutes=10), threshold=3)


def _after(state: FlapState, *minutes: float) -> FlapState:
    for minute in minutes:
        state = transition(state, at=T0 + timedelta(minutes=minute), rule=RULE)
    return state


def test_more_transitions_than_the_threshold_inside_the_window_is_flapping() -> None:
    assert not _after(FlapState(), 0, 1, 2).flapping(RULE)
    assert _after(FlapState(), 0, 1, 2, 3).flapping(RULE)


def test_a_transition_after_the_window_opens_a_new_one() -> None:
    state = _after(FlapState(), 0, 1, 2, 3)
    later = _after(state, 10)
    assert later == FlapState(since=T0 + timedelta(minutes=10), transitions=1)
    assert not later.flapping(RULE)


def test_a_new_alarm_inherits_only_an_open_window() -> None:
    state = _after(FlapState(), 0, 1)
    assert carried(state, at=T0 + timedelta(minutes=9), rule=RULE) == state
    assert carried(state, at=T0 + timedelta(minutes=10), rule=RULE) == FlapState()


def test_severity_order_puts_critical_first_and_unknown_last() -> None:
    assert is_worse("critical", "major")
    assert is_worse("warning", "indeterminate")
    assert not is_worse("minor", "minor")
    assert not is_worse("minor", "major")
    assert severity_rank("bogus") > severity_rank("indeterminate")


def test_reduction_key_prefers_the_external_alarm_id() -> None:
    by_external = tmf_reduction_key(
        external_alarm_id="EMS-17",
        alarmed_object_id="dev-1",
        alarm_type="equipmentAlarm",
        probable_cause="powerProblem",
        specific_problem=None,
    )
    assert by_external == "tmf642:ext:EMS-17"
    first = tmf_reduction_key(
        external_alarm_id=None,
        alarmed_object_id="dev-1",
        alarm_type="equipmentAlarm",
        probable_cause="powerProblem",
        specific_problem="PSU 2",
    )
    other_problem = tmf_reduction_key(
        external_alarm_id=None,
        alarmed_object_id="dev-1",
        alarm_type="equipmentAlarm",
        probable_cause="powerProblem",
        specific_problem="PSU 1",
    )
    assert first != other_problem
    assert first == "tmf642:dev-1|equipmentAlarm|powerProblem|PSU 2"
