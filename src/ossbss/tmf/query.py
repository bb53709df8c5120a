"""TMF630 query parameters, parsed into a plain value (pure: no database, no framework)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from ossbss.kernel.errors import InvalidInput

Operator = Literal["eq", "gt", "gte", "lt", "lte"]
OPERATORS: frozenset[str] = frozenset({"gt", "gte", "lt", "lte", "eq"})
RESERVED = frozenset({"fields", "offset", "limit", "sort", "depth", "expand"})
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Filter:
    path: str
    op: Operator
    values: tuple[str, ...]  # OR-ed; more than one only for "eq"

    @property
    def segments(self) -> list[str]:
        return self.path.split(".")


@dataclass(frozen=True)
class SortKey:
    path: str
    descending: bool = False


@dataclass(frozen=True)
class ListQuery:
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    fields: tuple[str, ...] | None = None
    sort: tuple[SortKey, ...] = ()
    filters: tuple[Filter, ...] = field(default_factory=tuple)


def parse_list_query(params: Iterable[tuple[str, str]]) -> ListQuery:
    """Turn raw query pairs into a ListQuery; a bad parameter is an InvalidInput naming it."""
    offset, limit = 0, DEFAULT_LIMIT
    fields: tuple[str, ...] | None = None
    sort: tuple[SortKey, ...] = ()
    filters: list[Filter] = []
    for name, raw in params:
        if "\x00" in name or "\x00" in raw:  # no stored text can hold U+0000 (PostgreSQL)
            raise InvalidInput("Invalid query parameter", field=name, detail="contains U+0000")
        if name == "offset":
            offset = _non_negative_int(name, raw)
        elif name == "limit":
            limit = min(_non_negative_int(name, raw), MAX_LIMIT)
        elif name == "fields":
            fields = parse_fields(raw)
        elif name == "sort":
            sort = _parse_sort(raw)
        elif name in RESERVED:
            continue
        else:
            filters.append(parse_filter(name, raw))
    return ListQuery(offset=offset, limit=limit, fields=fields, sort=sort, filters=tuple(filters))


def parse_fields(raw: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def parse_filter(name: str, raw: str) -> Filter:
    path, op = name, "eq"
    head, _, suffix = name.rpartition(".")
    if head and suffix in OPERATORS:
        path, op = head, suffix
    _check_path(name, path)
    if op == "eq":
        values = tuple(value for value in raw.split(","))
        return Filter(path=path, op="eq", values=values)
    if "," in raw:
        raise InvalidInput("Invalid filter", field=name, detail="a range filter takes one value")
    return Filter(path=path, op=op, values=(raw,))  # type: ignore[arg-type]


def _parse_sort(raw: str) -> tuple[SortKey, ...]:
    keys = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        descending = part.startswith("-")
        path = part.lstrip("+-")
        _check_path("sort", path)
        keys.append(SortKey(path=path, descending=descending))
    return tuple(keys)


def _check_path(name: str, path: str) -> None:
    segments = path.split(".")
    if any(not segment or not _is_attribute_name(segment) for segment in segments):
        raise InvalidInput("Invalid query parameter", field=name, detail="not an attribute path")


def _is_attribute_name(segment: str) -> bool:
    body = segment[1:] if segment.startswith("@") else segment
    return body.replace("_", "").replace("-", "").isalnum()


# Past any real result set; a larger offset is clamped (an empty page) rather than overflowing
# the database's 64-bit integers.
MAX_OFFSET = 2**62


def paging(params: Mapping[str, str]) -> tuple[int, int]:
    """``offset`` and ``limit`` of a listing served from our own rows (not the generic store):
    the same checks and bounds as ``parse_list_query``."""
    offset = _non_negative_int("offset", params.get("offset", "0"))
    limit = _non_negative_int("limit", params.get("limit", str(DEFAULT_LIMIT)))
    return min(offset, MAX_OFFSET), min(limit, MAX_LIMIT)


def _non_negative_int(name: str, raw: str) -> int:
    # Plain ASCII digits only: int() would also take whitespace, "1_000" and other scripts' digits.
    digits = raw[1:] if raw.startswith("-") else raw
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidInput("Invalid query parameter", field=name, detail="must be an integer")
    value = int(raw)
    if value < 0:
        raise InvalidInput("Invalid query parameter", field=name, detail="must not be negative")
    return value


def select_fields(document: dict[str, object], fields: tuple[str, ...]) -> dict[str, object]:
    """Only id, href and the named first-level attributes (the CTK fails on anything extra)."""
    wanted = {"id", "href", *(name.split(".", 1)[0] for name in fields)}
    return {key: value for key, value in document.items() if key in wanted}
