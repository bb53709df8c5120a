"""Decomposition rules: product specification → customer-facing services → resource-facing
services, and where each resource-facing parameter comes from. Pure: no session, no clock.

They live on the TMF620 product specification, in its ``serviceSpecification`` references
(one per customer-facing service), as extension attributes (ADR 0009)::

    "serviceSpecification": [{
      "id": "cfs-internet", "name": "Internet access",
      "@referredType": "CustomerFacingServiceSpecification",
      "resourceFacingService": [{
        "name": "radius-subscriber", "driver": "radius",
        "parameter": [
          {"name": "username", "generate": "username"},
          {"name": "ipv4Address", "allocate": "ipv4"},
          {"name": "rateDownKbps", "characteristic": "downloadSpeed", "multiplier": 1000}
        ]}]}]

A parameter takes exactly one source: ``value`` (a constant), ``characteristic`` (the ordered
product's characteristic, times ``multiplier``, else ``default``), ``allocate`` (a logical
resource of that kind from the inventory, optionally from pool ``pool``; ``perDevice``
allocates from the pool scoped to the device of the ``port`` parameter), ``generate``
(``username`` or ``password``) or ``copy`` (another parameter of the same service).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from ossbss.kernel.errors import InvalidInput

SourceKind = Literal["value", "characteristic", "allocate", "generate", "copy"]
SOURCES: tuple[SourceKind, ...] = ("value", "characteristic", "allocate", "generate", "copy")
ALLOCATABLE = frozenset({"ipv4", "ipv6", "ipv6-prefix", "vlan", "msisdn", "iccid"})
GENERATED = frozenset({"username", "password"})


@dataclass(frozen=True)
class Parameter:
    name: str
    source: SourceKind
    argument: str  # the constant, characteristic name, resource kind, generator or parameter
    multiplier: int = 1
    default: str | None = None
    pool: str | None = None
    per_device: bool = False


@dataclass(frozen=True)
class ResourceFacingSpec:
    name: str  # the driver's spec name, e.g. "radius-subscriber"
    driver: str
    parameters: tuple[Parameter, ...]

    def characteristics(self) -> set[str]:
        return {p.argument for p in self.parameters if p.source == "characteristic"}


@dataclass(frozen=True)
class CustomerFacingSpec:
    id: str
    name: str
    services: tuple[ResourceFacingSpec, ...]


def read(specification: Mapping[str, Any]) -> tuple[CustomerFacingSpec, ...]:
    """The decomposition of a product specification document, or InvalidInput naming the field.
    A specification without resource-facing services decomposes to nothing (nothing to activate)."""
    result = []
    for index, ref in enumerate(
        _list(specification, "serviceSpecification", "serviceSpecification")
    ):
        where = f"serviceSpecification[{index}]"
        services = tuple(
            _rfs(item, f"{where}.resourceFacingService[{position}]")
            for position, item in enumerate(_list(ref, "resourceFacingService", where))
        )
        if services:
            result.append(
                CustomerFacingSpec(
                    id=str(ref.get("id", "")), name=str(ref.get("name", "")), services=services
                )
            )
    return tuple(result)


def _rfs(item: Any, where: str) -> ResourceFacingSpec:
    if not isinstance(item, dict):
        raise InvalidInput("Invalid decomposition", field=where, detail="must be an object")
    name, driver = item.get("name"), item.get("driver")
    for field, value in (("name", name), ("driver", driver)):
        if not isinstance(value, str) or not value:
            raise InvalidInput(
                "Invalid decomposition", field=f"{where}.{field}", detail="a non-empty string"
            )
    parameters = tuple(
        _parameter(raw, f"{where}.parameter[{i}]")
        for i, raw in enumerate(_list(item, "parameter", where))
    )
    names = [p.name for p in parameters]
    for parameter in parameters:
        if parameter.source == "copy" and parameter.argument not in names:
            raise InvalidInput(
                "Invalid decomposition",
                field=f"{where}.parameter",
                detail=f"{parameter.name} copies unknown parameter {parameter.argument}",
            )
        if parameter.per_device and "port" not in names:
            raise InvalidInput(
                "Invalid decomposition",
                field=f"{where}.parameter",
                detail=f"{parameter.name} is per device but the service has no port parameter",
            )
    return ResourceFacingSpec(name=str(name), driver=str(driver), parameters=parameters)


def _parameter(raw: Any, where: str) -> Parameter:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise InvalidInput("Invalid decomposition", field=where, detail="needs a name")
    given = [kind for kind in SOURCES if kind in raw]
    if len(given) != 1:
        raise InvalidInput(
            "Invalid decomposition",
            field=where,
            detail=f"exactly one source of {', '.join(SOURCES)}",
        )
    source = given[0]
    argument = str(raw[source])
    if source == "allocate" and argument not in ALLOCATABLE:
        raise InvalidInput(
            "Invalid decomposition",
            field=f"{where}.allocate",
            detail=f"one of {', '.join(sorted(ALLOCATABLE))}",
        )
    if source == "generate" and argument not in GENERATED:
        raise InvalidInput(
            "Invalid decomposition",
            field=f"{where}.generate",
            detail=f"one of {', '.join(sorted(GENERATED))}",
        )
    multiplier = raw.get("multiplier", 1)
    if not isinstance(multiplier, int) or isinstance(multiplier, bool) or multiplier < 1:
        raise InvalidInput(
            "Invalid decomposition", field=f"{where}.multiplier", detail="a positive integer"
        )
    default = raw.get("default")
    return Parameter(
        name=raw["name"],
        source=source,
        argument=argument,
        multiplier=multiplier,
        default=None if default is None else str(default),
        pool=str(raw["pool"]) if raw.get("pool") else None,
        per_device=raw.get("perDevice") is True,
    )


def _list(document: Mapping[str, Any], name: str, where: str) -> Sequence[Any]:
    value = document.get(name)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidInput("Invalid decomposition", field=f"{where}.{name}", detail="an array")
    return value


def characteristic_value(parameter: Parameter, values: Mapping[str, str]) -> str | None:
    """A characteristic-sourced parameter's value from the ordered characteristics."""
    raw = values.get(parameter.argument, parameter.default)
    if raw is None or parameter.multiplier == 1:
        return raw
    try:
        number = Decimal(raw) * parameter.multiplier
    except InvalidOperation:
        return raw
    return str(number.to_integral_value()) if number == number.to_integral_value() else str(number)
