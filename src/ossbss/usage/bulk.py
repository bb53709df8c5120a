"""Bulk SQL below the ORM: the hot paths (ingest, rating, billing) write many rows per
statement through the driver (executemany on SQLite, COPY into a staging table on PostgreSQL),
with no Python object per row."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy.orm import Session


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def driver(session: Session) -> Any:
    """The DBAPI connection of the session's transaction (same transaction, same BEGIN)."""
    return session.connection().connection.driver_connection


def timestamp(session_is_sqlite: bool, value: datetime) -> Any:
    """A datetime as the UTCDateTime column stores it (SQLite: naive UTC text)."""
    if session_is_sqlite:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def stage_frame(session: Session, table: str, frame: pl.DataFrame) -> str:
    """PostgreSQL: ``stage`` for a Polars frame, sent as one CSV stream (Polars writes it in
    Rust: no Python per row). Nulls go unquoted, empty strings quoted, as COPY expects."""
    columns = tuple(frame.columns)
    name = _stage_table(session, table, columns)
    cols = ", ".join(columns)
    with (
        driver(session).cursor() as cursor,
        cursor.copy(f"COPY {name} ({cols}) FROM STDIN (FORMAT csv)") as copy,
    ):
        copy.write(frame.write_csv(include_header=False))
    analyse(session, name)
    return name


def analyse(session: Session, name: str) -> None:
    """Statistics for a freshly filled staging table: without them the planner guesses its
    size and may join it row by row."""
    with driver(session).cursor() as cursor:
        cursor.execute(f"ANALYZE {name}")


def _stage_table(session: Session, table: str, columns: Sequence[str]) -> str:
    name = f"stage_{table}_{zlib.crc32(','.join(columns).encode()):08x}"
    cols = ", ".join(columns)
    with driver(session).cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {name} ON COMMIT DELETE ROWS AS "
            f"SELECT {cols} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {name}")
    return name


def execute(session: Session, sql: str, params: Any = ()) -> int:
    """Run one driver-level statement; its rowcount."""
    cursor = driver(session).cursor()
    try:
        cursor.execute(sql, params)
        return int(cursor.rowcount)
    finally:
        cursor.close()


def execute_many(session: Session, sql: str, rows: Sequence[Sequence[Any]]) -> int:
    """SQLite: one prepared statement over every row; the summed rowcount."""
    if not rows:
        return 0
    cursor = driver(session).cursor()
    try:
        cursor.executemany(sql, rows)
        return int(cursor.rowcount)
    finally:
        cursor.close()
