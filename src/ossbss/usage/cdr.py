"""CDR files: a declared column mapping per feed, parsed with Polars, validated per row (bad
rows quarantined with the reason, good rows ingested), committed in chunks with the file's
progress so a killed import resumes where it stopped and counts every row exactly once."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from ossbss.events.usage import CdrFileProcessed
from ossbss.kernel import Clock, Database
from ossbss.kernel.errors import InvalidInput
from ossbss.kernel.outbox import publish
from ossbss.usage import models
from ossbss.usage.domain import NOTHING, IngestReport
from ossbss.usage.ingest import ingest_frame

# UsageInput field -> CSV column, per kind, when the feed declares nothing else.
DEFAULT_COLUMNS: dict[str, dict[str, str]] = {
    "voice": {
        "subscriber": "a_number",
        "destination": "b_number",
        "started_at": "start",
        "duration_seconds": "duration",
    },
    "sms": {"subscriber": "a_number", "destination": "b_number", "started_at": "start"},
    "data": {
        "subscriber": "subscriber",
        "started_at": "start",
        "bytes_up": "bytes_up",
        "bytes_down": "bytes_down",
    },
}
REQUIRED = ("subscriber", "started_at")
INTEGERS = ("duration_seconds", "bytes_up", "bytes_down", "events")
OPTIONAL_TEXT = ("destination", "record_key")
FIELDS = (*REQUIRED, *INTEGERS, *OPTIONAL_TEXT)
CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class Mapping:
    """How one feed's CSV reads: its kind, delimiter, time format and columns."""

    feed: str
    kind: str
    columns: dict[str, str]
    delimiter: str = ","
    # A strftime format; None lets Polars recognise ISO 8601.
    time_format: str | None = None
    # The zone of timestamps written without an offset.
    time_zone: str = "UTC"

    @classmethod
    def default(cls, kind: str) -> Mapping:
        if kind not in DEFAULT_COLUMNS:
            raise InvalidInput("Unknown kind", field="kind", detail="data, voice or sms")
        return cls(feed=f"default-{kind}", kind=kind, columns=dict(DEFAULT_COLUMNS[kind]))

    @classmethod
    def load(cls, path: Path) -> Mapping:
        """A TOML mapping file (docs/rooms/usage.md shows one)."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput("Invalid mapping", field=str(path), detail=str(exc)) from None
        kind = str(data.get("kind", ""))
        base = cls.default(kind)
        columns = {**base.columns, **{str(k): str(v) for k, v in data.get("columns", {}).items()}}
        unknown = set(columns) - set(FIELDS)
        if unknown:
            raise InvalidInput(
                "Invalid mapping", field="columns", detail=f"unknown fields {sorted(unknown)}"
            )
        return cls(
            feed=str(data.get("feed", path.stem)),
            kind=kind,
            columns=columns,
            delimiter=str(data.get("delimiter", ",")),
            time_format=data.get("time_format"),
            time_zone=str(data.get("time_zone", "UTC")),
        )

    @classmethod
    def guess(cls, header: list[str]) -> Mapping:
        """No mapping given: the default mapping whose columns the header has."""
        for kind in ("voice", "data"):
            if set(DEFAULT_COLUMNS[kind].values()) <= set(header):
                return cls.default(kind)
        raise InvalidInput(
            "Unknown CDR layout",
            field="mapping",
            detail=f"columns {header} match no default feed: give a mapping file",
        )


@dataclass
class FileReport:
    name: str
    sha256: str
    rows: int
    report: IngestReport = field(default_factory=lambda: NOTHING)
    already_processed: bool = False
    resumed_at: int = 0


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read(path: Path, mapping: Mapping | None) -> tuple[pl.DataFrame, Mapping]:
    """Every column as text: a bad value is a row problem, never a failed file."""
    frame = pl.read_csv(
        path,
        infer_schema=False,
        separator=mapping.delimiter if mapping else ",",
        truncate_ragged_lines=True,
    )
    mapping = mapping or Mapping.guess(frame.columns)
    missing = [
        column
        for name, column in mapping.columns.items()
        if name in REQUIRED and column not in frame.columns
    ]
    if missing:
        raise InvalidInput("Missing columns", field="columns", detail=f"the file lacks {missing}")
    return frame, mapping


ISO_WITH_OFFSET = "%Y-%m-%dT%H:%M:%S%.f%#z"
ISO_LOCAL = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f")


def parse_start(value: pl.Expr, mapping: Mapping) -> pl.Expr:
    """Start times as UTC: ISO 8601 with an offset, or local times (without one) in the feed's
    zone; or the feed's own format. Unreadable -> null (the row's problem)."""

    def local(fmt: str) -> pl.Expr:
        return (
            value.str.to_datetime(format=fmt, time_unit="us", strict=False)
            .dt.replace_time_zone(mapping.time_zone, ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC")
        )

    def aware(fmt: str) -> pl.Expr:
        parsed = value.str.to_datetime(format=fmt, time_unit="us", strict=False)
        return parsed.dt.convert_time_zone("UTC")

    if mapping.time_format:
        if "%z" in mapping.time_format or "%#z" in mapping.time_format:
            return aware(mapping.time_format)
        return local(mapping.time_format)
    return pl.coalesce(aware(ISO_WITH_OFFSET), *(local(fmt) for fmt in ISO_LOCAL))


def normalise(frame: pl.DataFrame, mapping: Mapping, sha: str, offset: int) -> pl.DataFrame:
    """One row per input row: the UsageInput fields (typed) and ``problem`` (None if sane).
    ``row`` is the 1-based data row number in the file."""
    columns = mapping.columns
    text = {
        name: (
            pl.col(columns[name]).str.strip_chars()
            if columns.get(name) in frame.columns
            else pl.lit(None, dtype=pl.String)
        )
        for name in FIELDS
    }
    started = parse_start(text["started_at"], mapping)
    typed = frame.select(
        row=pl.int_range(offset + 1, offset + 1 + frame.height, dtype=pl.Int64),
        subscriber=text["subscriber"],
        started_raw=text["started_at"],
        started_at=started,
        destination=text["destination"],
        record_key=text["record_key"],
        **{f"{name}_raw": text[name] for name in INTEGERS},
        **{name: text[name].cast(pl.Int64, strict=False) for name in INTEGERS},
    )
    problem: Any = pl.when(pl.col("subscriber").is_null() | (pl.col("subscriber") == "")).then(
        pl.lit(f"missing subscriber (column {columns['subscriber']})")
    )
    problem = problem.when(pl.col("started_at").is_null()).then(
        pl.format("unreadable start time {}", pl.col("started_raw").fill_null("(empty)"))
    )
    for name in INTEGERS:
        problem = problem.when(pl.col(name).is_null() & pl.col(f"{name}_raw").is_not_null()).then(
            pl.format(f"{name} is not an integer: {{}}", pl.col(f"{name}_raw"))
        )
    typed = typed.with_columns(
        problem=problem.otherwise(None),
        record_key=pl.coalesce(pl.col("record_key"), pl.format(f"cdr:{sha}:{{}}", pl.col("row"))),
        **{name: pl.col(name).fill_null(0) for name in INTEGERS},
    )
    if mapping.kind == "sms":
        typed = typed.with_columns(
            events=pl.when(pl.col("events") == 0).then(1).otherwise(pl.col("events"))
        )
    return typed


def import_chunk(
    session: Session,
    *,
    frame: pl.DataFrame,
    raw: pl.DataFrame,
    mapping: Mapping,
    name: str,
    now: datetime,
) -> IngestReport:
    """Ingest a normalised chunk: rows that did not parse are quarantined with their line."""
    lines = raw.select(
        pl.concat_str(pl.all().fill_null(""), separator=mapping.delimiter).alias("raw")
    )
    records = pl.concat([frame, lines], how="horizontal").select(
        "record_key",
        kind=pl.lit(mapping.kind),
        subscriber="subscriber",
        started_at="started_at",
        duration_seconds="duration_seconds",
        bytes_up="bytes_up",
        bytes_down="bytes_down",
        events="events",
        destination="destination",
        source=pl.lit("cdr"),
        source_ref=pl.format(f"{name}:{{}}", pl.col("row")),
        problem="problem",
        raw="raw",
    )
    return ingest_frame(session, frame=records, now=now)


def import_file(
    database: Database,
    clock: Clock,
    *,
    path: Path,
    mapping: Mapping | None = None,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[int, int], None] | None = None,
) -> FileReport:
    """Import one file exactly once: its sha256 is recorded with its records, and each chunk
    commits with the progress made, so a restart resumes after the last committed chunk.
    ``progress(done, total)`` is told after each chunk."""
    sha = sha256_of(path)
    raw, mapping = read(path, mapping)
    total = raw.height
    name = path.name
    with database.unit_of_work() as session:
        entry = _entry(session, sha)
        if entry is None:
            session.add(
                models.CdrFile(
                    sha256=sha,
                    name=name[:255],
                    feed=mapping.feed[:64],
                    status="importing",
                    rows_done=0,
                    started_at=clock.now(),
                )
            )
            resumed_at = 0
        elif entry.status == "processed":
            return FileReport(
                name=name, sha256=sha, rows=total, report=_report_of(entry), already_processed=True
            )
        else:
            resumed_at = entry.rows_done
    done = resumed_at
    if progress:
        progress(done, total)
    while True:
        with database.unit_of_work() as session:
            entry = _entry(session, sha, lock=True)
            assert entry is not None
            done = entry.rows_done  # another importer may have moved on meanwhile
            if entry.status == "processed":
                break
            now = clock.now()
            chunk = raw.slice(done, chunk_rows)
            report = NOTHING
            if chunk.height:
                normal = normalise(chunk, mapping, sha, done)
                report = import_chunk(
                    session, frame=normal, raw=chunk, mapping=mapping, name=name, now=now
                )
            entry.rows_done = done + chunk.height
            entry.accepted += report.accepted
            entry.duplicates += report.duplicates
            entry.suspended += report.suspended
            entry.rejected += report.rejected
            if entry.rows_done >= total:
                entry.status = "processed"
                entry.finished_at = now
                publish(
                    session,
                    CdrFileProcessed(
                        name=name,
                        sha256=sha,
                        accepted=entry.accepted,
                        duplicates=entry.duplicates,
                        suspended=entry.suspended,
                        rejected=entry.rejected,
                        occurred_at=now,
                    ),
                    now=now,
                )
            done = entry.rows_done
            finished = entry.status == "processed"
            final = _report_of(entry)
        if progress:
            progress(done, total)
        if finished:
            return FileReport(
                name=name, sha256=sha, rows=total, report=final, resumed_at=resumed_at
            )
    with database.unit_of_work(write=False) as session:
        entry = _entry(session, sha)
        assert entry is not None
        return FileReport(
            name=name, sha256=sha, rows=total, report=_report_of(entry), resumed_at=resumed_at
        )


def _entry(session: Session, sha: str, *, lock: bool = False) -> models.CdrFile | None:
    query = select(models.CdrFile).where(models.CdrFile.sha256 == sha)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def _report_of(entry: models.CdrFile) -> IngestReport:
    return IngestReport(
        accepted=entry.accepted,
        duplicates=entry.duplicates,
        suspended=entry.suspended,
        rejected=entry.rejected,
    )


def pending_files(directory: Path, pattern: str = "*.csv") -> list[Path]:
    return sorted(path for path in directory.glob(pattern) if path.is_file())
