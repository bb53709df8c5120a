"""Compile ListQuery filters and sorts to SQL that runs in the database.

Three routes, cheapest first: an indexed column of the resource's table; the reference index
for values inside arrays; the engine's JSON functions for any other attribute (SQLite json_each
and json_extract guided by the spec's schema; PostgreSQL jsonpath in lax mode).
"""

from __future__ import annotations

import itertools
import operator
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Boolean, ColumnElement, Table, bindparam, select, text
from sqlalchemy.sql.elements import BindParameter, TextClause
from sqlalchemy.types import TypeDecorator

from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.time import parse_datetime
from ossbss.tmf.models import RefIndex
from ossbss.tmf.query import Filter, SortKey
from ossbss.tmf.resource import Resource
from ossbss.tmf.specs import PathShape

Condition = ColumnElement[bool] | TextClause
_names = itertools.count()


RANGE_OPERATORS = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


def _param(prefix: str) -> str:
    return f"{prefix}_{next(_names) % 1_000_000}"


def compile_filter(resource: Resource, table: Table, flt: Filter, dialect: str) -> Condition:
    if flt.path in resource.columns:
        return _column_filter(resource, table, flt)
    if flt.path in resource.refs:
        return _ref_filter(resource, table, flt)
    shape = resource.api.spec.shape(resource.type_name, flt.segments)
    if dialect == "postgresql":
        return _pg_json_filter(table, flt, shape)
    return _sqlite_json_filter(table, flt, shape)


def _compare(expr: Any, op: str, values: list[Any]) -> Condition:
    if op == "eq":
        condition = expr == values[0] if len(values) == 1 else expr.in_(values)
    else:
        condition = RANGE_OPERATORS[op](expr, values[0])
    return cast(Condition, condition)


def _column_filter(resource: Resource, table: Table, flt: Filter) -> Condition:
    column = table.c[resource.columns[flt.path]]
    python_type = column_python_type(column)
    values = [_coerce(flt.path, raw, python_type) for raw in flt.values]
    return _compare(column, flt.op, values)


def column_python_type(column: Any) -> type:
    """The Python type a column holds (TypeDecorators report their underlying type)."""
    column_type = column.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, Boolean):
        return bool
    try:
        return column_type.python_type  # type: ignore[no-any-return]
    except NotImplementedError:
        return str


def _coerce(name: str, raw: str, python_type: type) -> Any:
    try:
        if python_type is datetime:
            return parse_datetime(raw)
        if python_type is bool:
            if raw not in ("true", "false"):
                raise ValueError(raw)
            return raw == "true"
        if python_type is int:
            return int(raw)
        if python_type is float:
            return float(raw)
    except ValueError:
        kind = {datetime: "a date-time", bool: "true or false"}.get(python_type, "a number")
        raise InvalidInput("Invalid filter value", field=name, detail=f"must be {kind}") from None
    return raw


def _ref_filter(resource: Resource, table: Table, flt: Filter) -> Condition:
    lookup = select(RefIndex.resource_pk).where(
        RefIndex.resource == resource.name,
        RefIndex.path == flt.path,
        _compare(RefIndex.value, flt.op, list(flt.values)),
    )
    return table.c.pk.in_(lookup)


def _leaf_values(flt: Filter, shape: PathShape) -> list[Any]:
    if shape.leaf == "number":
        return [_coerce(flt.path, raw, float) for raw in flt.values]
    if shape.leaf == "boolean":
        return [_coerce(flt.path, raw, bool) for raw in flt.values]
    return list(flt.values)


def _sqlite_json_filter(table: Table, flt: Filter, shape: PathShape) -> Condition:
    """Walk the path: json_each for every array segment, json_extract for the object parts."""
    values = _leaf_values(flt, shape)
    sources: list[str] = []
    current, pending = f"{table.name}.body", []
    for depth, (segment, is_array) in enumerate(zip(flt.segments, shape.arrays, strict=True)):
        pending.append(segment)
        if is_array:
            alias = f"j{depth}"
            sources.append(f"json_each({current}, '{_sqlite_path(pending)}') AS {alias}")
            current, pending = f"{alias}.value", []
    leaf = f"json_extract({current}, '{_sqlite_path(pending)}')" if pending else current
    condition, params = _text_condition(leaf, flt.op, values)
    if not sources:
        return text(condition).bindparams(*params)
    clause = f"EXISTS (SELECT 1 FROM {', '.join(sources)} WHERE {condition})"
    return text(clause).bindparams(*params)


def _sqlite_path(segments: list[str]) -> str:
    return "$" + "".join(f'."{segment}"' for segment in segments)


def _pg_json_filter(table: Table, flt: Filter, shape: PathShape) -> Condition:
    """jsonpath in lax mode steps through arrays by itself, at any depth."""
    jsonpath = "$" + "".join(f'."{segment}"' for segment in flt.segments)
    if shape.leaf == "number":
        leaf = "(CASE WHEN jsonb_typeof(v.x) = 'number' THEN (v.x #>> '{}')::numeric END)"
    else:
        leaf = "(v.x #>> '{}')"
    values: list[Any] = (
        [str(v).lower() for v in _leaf_values(flt, shape)]
        if shape.leaf == "boolean"
        else _leaf_values(flt, shape)
    )
    condition, params = _text_condition(leaf, flt.op, values)
    path_param = _param("jp")
    clause = (
        f"EXISTS (SELECT 1 FROM jsonb_path_query({table.name}.body, "
        f"CAST(:{path_param} AS jsonpath)) AS v(x) WHERE {condition})"
    )
    return text(clause).bindparams(bindparam(path_param, jsonpath), *params)


def _text_condition(leaf: str, op: str, values: list[Any]) -> tuple[str, list[BindParameter[Any]]]:
    names = [_param("fv") for _ in values]
    params: list[BindParameter[Any]] = [
        bindparam(name, value) for name, value in zip(names, values, strict=True)
    ]
    if op == "eq":
        return f"{leaf} IN ({', '.join(':' + name for name in names)})", params
    symbol = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
    return f"{leaf} {symbol} :{names[0]}", params


def compile_sort(resource: Resource, table: Table, key: SortKey, dialect: str) -> Any:
    if key.path in resource.columns:
        expr: Any = table.c[resource.columns[key.path]]
    else:
        shape = resource.api.spec.shape(resource.type_name, key.path.split("."))
        steps = [
            f"{segment}[0]" if is_array else segment
            for segment, is_array in zip(key.path.split("."), shape.arrays, strict=True)
        ]
        if dialect == "postgresql":
            pg_path = ",".join(s.replace("[0]", ",0") for s in steps)
            expr = text(f"{table.name}.body #>> '{{{pg_path}}}'")
        else:
            path = "$" + "".join(
                f'."{s[:-3]}"[0]' if s.endswith("[0]") else f'."{s}"' for s in steps
            )
            expr = text(f"json_extract({table.name}.body, '{path}')")
    if isinstance(expr, TextClause):
        return text(f"{expr.text} {'DESC' if key.descending else 'ASC'}")
    return expr.desc() if key.descending else expr.asc()
