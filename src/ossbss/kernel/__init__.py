"""The shared kernel: imports no room. Database, time, money, ids, errors, events, outbox."""

from ossbss.kernel.db import Base, Database, JSONDocument, UTCDateTime, after_commit
from ossbss.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    InvalidStateTransition,
    NotFound,
    Unauthenticated,
    UnsupportedMediaType,
)
from ossbss.kernel.events import Event
from ossbss.kernel.ids import new_id
from ossbss.kernel.money import (
    Money,
    UnknownCurrency,
    check_currency,
    decimal_from_json,
    minor_unit_exponent,
)
from ossbss.kernel.outbox import Dispatcher, HandlerRegistry, OutboxMessage, backoff, publish
from ossbss.kernel.settings import Settings
from ossbss.kernel.time import (
    Clock,
    FixedClock,
    OffsetClock,
    Period,
    SystemClock,
    ensure_utc,
    format_datetime,
    parse_datetime,
)

__all__ = [
    "Base",
    "Clock",
    "Conflict",
    "Database",
    "Dispatcher",
    "DomainError",
    "Event",
    "FixedClock",
    "Forbidden",
    "HandlerRegistry",
    "InvalidInput",
    "InvalidStateTransition",
    "JSONDocument",
    "Money",
    "NotFound",
    "OffsetClock",
    "OutboxMessage",
    "Period",
    "Settings",
    "SystemClock",
    "UTCDateTime",
    "Unauthenticated",
    "UnknownCurrency",
    "UnsupportedMediaType",
    "after_commit",
    "backoff",
    "check_currency",
    "decimal_from_json",
    "ensure_utc",
    "format_datetime",
    "minor_unit_exponent",
    "new_id",
    "parse_datetime",
    "publish",
]
