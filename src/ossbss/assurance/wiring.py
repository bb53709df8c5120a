"""Module-level wiring set by the composition root: the alarm pipeline the edges submit to
and the flapping rule ``store.ingest`` applies (defaults until configured)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ossbss.assurance.flapping import FlapRule
from ossbss.kernel.errors import Conflict

if TYPE_CHECKING:
    from ossbss.assurance.pipeline import AlarmPipeline

_pipeline: list[AlarmPipeline | None] = [None]
_flap_rule: list[FlapRule] = [FlapRule()]


def configure(*, pipeline: AlarmPipeline | None = None, flap_rule: FlapRule | None = None) -> None:
    """Set what is given (leaves the rest as it was)."""
    if pipeline is not None:
        _pipeline[0] = pipeline
    if flap_rule is not None:
        _flap_rule[0] = flap_rule


def alarm_pipeline() -> AlarmPipeline:
    """The process's pipeline; a Conflict when the composition root built none."""
    pipeline = _pipeline[0]
    if pipeline is None:
        raise Conflict("No alarm pipeline", detail="the platform was built without one")
    return pipeline


def flap_rule() -> FlapRule:
    return _flap_rule[0]


def running_pipeline() -> AlarmPipeline | None:
    """The pipeline if one is configured and its writer runs (else None: store in place)."""
    pipeline = _pipeline[0]
    return pipeline if pipeline is not None and pipeline.running else None
