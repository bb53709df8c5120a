"""Engine, sessions and the unit of work. The edge (request, command, job) owns the transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from ossbss.kernel.time import ensure_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes; refuses naive ones; always returns aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = ensure_utc(value)
        # SQLite has no zone type: store naive UTC so text ordering is time ordering.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return ensure_utc(value)


# A JSON document column: JSONB on PostgreSQL (indexable, jsonpath), JSON text on SQLite.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _make_sqlite_engine(url)
    return create_engine(
        url,
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
        pool_size=20,
        max_overflow=20,
        pool_pre_ping=True,
    )


def _make_sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=20,
        max_overflow=20,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit transactions are wrong for us).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock up front: a deferred transaction that later upgrades
        # can fail with SQLITE_BUSY instead of waiting its turn.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


NOTIFY_AFTER_COMMIT = "ossbss.notify_after_commit"
AFTER_COMMIT = "ossbss.after_commit"


def notify_after_commit(session: Session) -> None:
    """Ask for the database-wide ``on_commit`` callbacks once this transaction commits."""
    session.info[NOTIFY_AFTER_COMMIT] = True


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once this session's transaction has committed (never on rollback)."""
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


class Database:
    """The process's database: one engine, read and write sessions, after-commit hooks."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        write_bind = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        self._readers = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._writers = sessionmaker(bind=write_bind, expire_on_commit=False)
        self._after_commit: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._write_lock = threading.RLock()

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after a commit whose session was marked with ``notify_after_commit``
        (the outbox dispatcher's wake-up: only transactions that published events wake it)."""
        with self._lock:
            self._after_commit.append(callback)

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: committed if the block succeeds, rolled back otherwise."""
        # SQLite has one writer at a time. Threads of this process queue on a Python lock,
        # which wakes the next writer at once, instead of sleeping in SQLite's busy handler.
        serialised = write and self.is_sqlite
        if serialised:
            self._write_lock.acquire()
        session = (self._writers if write else self._readers)()
        try:
            yield session
            session.commit()
            callbacks = list(session.info.get(AFTER_COMMIT, ()))
            if session.info.get(NOTIFY_AFTER_COMMIT):
                callbacks += self._after_commit
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            if serialised:
                self._write_lock.release()
        for callback in callbacks:
            callback()

    def dispose(self) -> None:
        self.engine.dispose()
