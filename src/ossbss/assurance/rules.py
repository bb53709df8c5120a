"""Pure alarm rules: severity order and the TMF642 reduction key (no session, no clock)."""

from __future__ import annotations

from ossbss.assurance.signals import SEVERITIES

# Lower rank = more severe; an unknown level ranks below "indeterminate".
_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


def severity_rank(severity: str) -> int:
    return _RANK.get(severity, len(SEVERITIES))


def is_worse(candidate: str, than: str) -> bool:
    """True when ``candidate`` is strictly more severe than ``than``."""
    return severity_rank(candidate) < severity_rank(than)


def tmf_reduction_key(
    *,
    external_alarm_id: str | None,
    alarmed_object_id: str | None,
    alarm_type: str,
    probable_cause: str,
    specific_problem: str | None,
) -> str:
    """The key a TMF642 POST de-duplicates on: the sender's externalAlarmId when it gives
    one (its own identity of the problem), else what the problem is about and what it is."""
    if external_alarm_id:
        return f"tmf642:ext:{external_alarm_id}"
    parts = (alarmed_object_id or "-", alarm_type, probable_cause, specific_problem or "-")
    return "tmf642:" + "|".join(parts)
