"""Our own model of the Nchf_ConvergedCharging v3 subset we serve (TS 32.291 interface
facts: field names, enums, status codes), read from and written to plain JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ossbss.charging import domain

PROBLEM_JSON = "application/problem+json"
# ResultCode values we answer with (the enum is open: clients accept unknown strings).
SUCCESS = "SUCCESS"
QUOTA_LIMIT_REACHED = "QUOTA_LIMIT_REACHED"
END_USER_SERVICE_DENIED = "END_USER_SERVICE_DENIED"
RATING_FAILED = "RATING_FAILED"
USER_UNKNOWN = "USER_UNKNOWN"
# Which unit field of requestedUnit / usedUnitContainer / grantedUnit counts each kind.
UNIT_FIELD = {domain.DATA: "totalVolume", domain.VOICE: "time", domain.SMS: "serviceSpecificUnits"}


class NchfError(Exception):
    """An application error, answered as ProblemDetails with a ``cause`` (TS 32.291 6.1.7.3,
    TS 29.500 5.2.7.2)."""

    def __init__(self, status: int, cause: str, title: str, detail: str = "") -> None:
        super().__init__(title)
        self.status = status
        self.cause = cause
        self.title = title
        self.detail = detail

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {"title": self.title, "status": self.status, "cause": self.cause}
        if self.detail:
            body["detail"] = self.detail
        return body


def bad_request(detail: str, param: str | None = None) -> NchfError:
    error = NchfError(400, "CHARGING_FAILED", "Charging data request rejected", detail)
    return error


@dataclass(frozen=True, slots=True)
class UnitUsage:
    rating_group: int
    requested: dict[str, Any] | None  # requestedUnit as sent; None: no quota wanted
    used: tuple[dict[str, Any], ...]  # usedUnitContainer


@dataclass(frozen=True, slots=True)
class ChargingDataRequest:
    consumer: str
    subscriber: str | None
    charging_id: str
    sequence: int
    timestamp: str
    retransmission: bool
    usages: tuple[UnitUsage, ...]


def parse_request(payload: Any) -> ChargingDataRequest:
    if not isinstance(payload, Mapping):
        raise bad_request("the body must be a ChargingDataRequest object")
    consumer = payload.get("nfConsumerIdentification")
    if not isinstance(consumer, Mapping):
        raise bad_request("nfConsumerIdentification is mandatory")
    sequence = payload.get("invocationSequenceNumber")
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
        raise bad_request("invocationSequenceNumber is mandatory: an integer >= 0")
    timestamp = payload.get("invocationTimeStamp")
    if not isinstance(timestamp, str) or not timestamp:
        raise bad_request("invocationTimeStamp is mandatory")
    subscriber = payload.get("subscriberIdentifier")
    if subscriber is not None and (not isinstance(subscriber, str) or not subscriber):
        raise bad_request("subscriberIdentifier must be a string such as imsi-001010000000001")
    raw_usages = payload.get("multipleUnitUsage") or []
    if not isinstance(raw_usages, list):
        raise bad_request("multipleUnitUsage must be an array")
    usages = tuple(_usage(item, index) for index, item in enumerate(raw_usages))
    groups = [usage.rating_group for usage in usages]
    if len(set(groups)) != len(groups):
        raise bad_request("a ratingGroup appears twice in multipleUnitUsage")
    name = consumer.get("nFName") or consumer.get("nodeFunctionality") or ""
    return ChargingDataRequest(
        consumer=str(name),
        subscriber=subscriber,
        charging_id=str(payload.get("chargingId", "")),
        sequence=int(sequence),
        timestamp=timestamp,
        retransmission=payload.get("retransmissionIndicator") is True,
        usages=usages,
    )


def _usage(item: Any, index: int) -> UnitUsage:
    where = f"multipleUnitUsage[{index}]"
    if not isinstance(item, Mapping) or not _whole(item.get("ratingGroup")):
        raise bad_request(f"{where}.ratingGroup is mandatory: an integer")
    requested = item.get("requestedUnit")
    if requested is not None and not isinstance(requested, Mapping):
        raise bad_request(f"{where}.requestedUnit must be an object")
    used = item.get("usedUnitContainer") or []
    if not isinstance(used, list) or not all(isinstance(c, Mapping) for c in used):
        raise bad_request(f"{where}.usedUnitContainer must be an array of objects")
    for position, container in enumerate(used):
        if not _whole(container.get("localSequenceNumber")):
            raise bad_request(
                f"{where}.usedUnitContainer[{position}].localSequenceNumber is mandatory"
            )
        _check_units(container, f"{where}.usedUnitContainer[{position}]")
    if requested is not None:
        _check_units(requested, f"{where}.requestedUnit")
    return UnitUsage(
        rating_group=int(item["ratingGroup"]),
        requested=dict(requested) if requested is not None else None,
        used=tuple(dict(c) for c in used),
    )


UNIT_FIELDS = ("time", "totalVolume", "uplinkVolume", "downlinkVolume", "serviceSpecificUnits")


def _check_units(units: Mapping[str, Any], where: str) -> None:
    for name in UNIT_FIELDS:
        value = units.get(name)
        if value is not None and (not _whole(value) or value < 0 or value > 2**53):
            raise bad_request(f"{where}.{name} must be an integer >= 0")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def units_of(kind: str, units: Mapping[str, Any]) -> int | None:
    """The amount of ``kind`` in a unit container (volume: total, else up + down)."""
    value = units.get(UNIT_FIELD[kind])
    if value is None and kind == domain.DATA:
        up, down = units.get("uplinkVolume"), units.get("downlinkVolume")
        if up is not None or down is not None:
            value = (up or 0) + (down or 0)
    return None if value is None else int(value)
