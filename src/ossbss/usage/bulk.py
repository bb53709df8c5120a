"""Bulk SQL below the ORM: the hot paths (ingest, rating, billing) write many rows per
statement through the driver (executemany on SQLite, COPY into a staging table on PostgreSQL),
with no Python object per row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

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


def stage(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> str:
    """PostgreSQL: COPY rows into a temporary table shaped like ``columns`` of ``table``;
    returns its name. Emptied at commit, reused across chunks of a transaction."""
    name = f"stage_{table}_{abs(hash(tuple(columns))) % 10**8}"
    cols = ", ".join(columns)
    connection = driver(session)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {name} ON COMMIT DELETE ROWS AS "
            f"SELECT {cols} FROM {table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {name}")
        with cursor.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return name


def execute(session: Session, sql: str, params: Any = ()) -> int:
    """Run one driver-level statement; its rowcount."""
    with driver(session).cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


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
