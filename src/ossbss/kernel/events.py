"""The event base: frozen dataclasses of ids and primitives, with a topic and an encoding."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from typing import Any, ClassVar, Self

from ossbss.kernel.time import format_datetime, parse_datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    """Something that happened. Subclasses set ``topic`` (``room.thing-happened``)."""

    topic: ClassVar[str]

    def to_payload(self) -> dict[str, Any]:
        return {
            field.name: _encode(getattr(self, field.name)) for field in dataclasses.fields(self)
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        hints = typing.get_type_hints(cls)
        values = {
            field.name: _decode(payload[field.name], hints[field.name])
            for field in dataclasses.fields(cls)
            if field.name in payload
        }
        return cls(**values)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    return value


def _decode(value: Any, hint: Any) -> Any:
    if value is None:
        return None
    if hint is datetime or (
        isinstance(hint, types.UnionType) and datetime in typing.get_args(hint)
    ):
        return parse_datetime(value)
    if typing.get_origin(hint) is tuple:
        return tuple(value)
    return value
