"""Threshold rules with hysteresis, pure: a KPI raises past its raise level and clears only
once back past its clear level, so a value wandering between the two never flaps. Either
transition may ask for N consecutive samples first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ABOVE = "above"
BELOW = "below"
DIRECTIONS = (ABOVE, BELOW)
Transition = Literal["raise", "clear"]
RAISE: Transition = "raise"
CLEAR: Transition = "clear"


@dataclass(frozen=True, slots=True)
class Rule:
    direction: str  # above: raise when value > raise_level; below: when value < raise_level
    raise_level: float
    clear_level: float
    for_samples: int = 1


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a resource stands against a rule: raised or not, and how many consecutive
    samples have been past the level that would change that."""

    raised: bool = False
    streak: int = 0


CLEAR_STANDING = Standing()


def problem(rule: Rule) -> tuple[str, str] | None:
    """(field, detail) of what makes a rule unusable, or None."""
    if rule.direction not in DIRECTIONS:
        return "direction", f"one of {', '.join(DIRECTIONS)}"
    if rule.for_samples < 1:
        return "forSamples", "at least 1"
    if rule.direction == ABOVE and rule.clear_level > rule.raise_level:
        return "clearLevel", "must not be above the raise level (direction above)"
    if rule.direction == BELOW and rule.clear_level < rule.raise_level:
        return "clearLevel", "must not be below the raise level (direction below)"
    return None


def _past_raise(rule: Rule, value: float) -> bool:
    return value > rule.raise_level if rule.direction == ABOVE else value < rule.raise_level


def _past_clear(rule: Rule, value: float) -> bool:
    return value < rule.clear_level if rule.direction == ABOVE else value > rule.clear_level


def step(rule: Rule, standing: Standing, value: float) -> tuple[Standing, Transition | None]:
    """The standing after one more sample, and the transition it causes (if any)."""
    past = _past_clear(rule, value) if standing.raised else _past_raise(rule, value)
    if not past:
        return Standing(standing.raised, 0), None
    streak = standing.streak + 1
    if streak < rule.for_samples:
        return Standing(standing.raised, streak), None
    if standing.raised:
        return Standing(False, 0), CLEAR
    return Standing(True, 0), RAISE
