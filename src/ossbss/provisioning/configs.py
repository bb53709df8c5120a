"""Configuration management: versioned backups of device configurations, diffs, drift.

A device is named by ``device_id`` (its TMF639 resource id, or its ``host:port`` address).
Every configuration is stored *normalised* (pretty-printed, whitespace-free, list entries in a
stable order) so two fetches of the same configuration are byte-equal and diffs are readable.

- ``backup`` keeps a new version only when the content changed (its SHA-256 differs from the
  latest version's);
- the *intended* configuration is what we last pushed: ``record_commit`` (called with the
  running configuration right after one of our commits) stores it and backs it up;
- ``drift`` compares the intended configuration with what the device runs now.

Functions take the caller's ``session`` and ``now`` and never commit.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree  # type: ignore[import-untyped]
from sqlalchemy import Integer, String, Text, UniqueConstraint, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from ossbss.kernel import Base, Clock, Database, InvalidInput, NotFound, UTCDateTime

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


class ConfigBackup(Base):
    """One version of one device's configuration."""

    __tablename__ = "provisioning_config_backup"
    __table_args__ = (UniqueConstraint("device_id", "version"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200), default="")


class IntendedConfig(Base):
    """What we last pushed to a device (its running configuration right after our commit)."""

    __tablename__ = "provisioning_intended_config"

    device_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class ConfigVersion:
    device_id: str
    version: int
    taken_at: datetime
    sha256: str
    reason: str
    lines: int


# -- normalisation ------------------------------------------------------------------------------


def normalize(xml: str) -> str:
    """A stable, readable form of a configuration (``<rpc-reply>``, ``<data>`` or ``<config>``).

    The content goes under one ``<config>`` root; blank text goes; siblings keep the order in
    which their element names first appear (the YANG order of leaves) and repeated elements
    (list entries) are sorted by their canonical form, so the device's ordering does not show
    up as a change.
    """
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(xml.encode(), parser)
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(f"not a configuration: {exc}", field="content") from exc
    if etree.QName(root).localname == "rpc-reply":
        root = next((child for child in root if etree.QName(child).localname == "data"), root)
    config = etree.Element(f"{{{NC}}}config", nsmap={None: NC})
    for child in root:
        if isinstance(child.tag, str):
            config.append(_canonical(child))
    _sort(config)
    etree.cleanup_namespaces(config)
    return str(etree.tostring(config, pretty_print=True, encoding="unicode"))


def _canonical(element: Any) -> Any:
    copy = etree.fromstring(etree.tostring(element))
    for node in copy.iter():
        if not isinstance(node.tag, str):
            continue
        if node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
        if node.text is not None and len(node):
            node.text = None
    return copy


def _sort(parent: Any) -> None:
    children = [child for child in parent if isinstance(child.tag, str)]
    for child in children:
        _sort(child)
    first_seen: dict[str, int] = {}
    for index, child in enumerate(children):
        first_seen.setdefault(child.tag, index)
    ordered = sorted(children, key=lambda c: (first_seen[c.tag], etree.tostring(c, method="c14n")))
    for child in ordered:
        parent.append(child)  # moves it to the end, in order


def digest(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


# -- backups ------------------------------------------------------------------------------------


def _serialise_per_device(session: Session, device_id: str) -> None:
    """Two transactions backing up one device take turns (PostgreSQL; SQLite has one writer)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:d))"), {"d": device_id})


def _latest(session: Session, device_id: str) -> ConfigBackup | None:
    return session.scalars(
        select(ConfigBackup)
        .where(ConfigBackup.device_id == device_id)
        .order_by(ConfigBackup.version.desc())
        .limit(1)
    ).first()


def backup(session: Session, *, device_id: str, content: str, reason: str, now: datetime) -> int:
    """Store ``content`` as the device's next version; return the version that holds it.

    Nothing new is stored when it equals the latest version (the latest version is returned).
    """
    normalised = normalize(content)
    sha = digest(normalised)
    _serialise_per_device(session, device_id)
    latest = _latest(session, device_id)
    if latest is not None and latest.sha256 == sha:
        return latest.version
    version = (latest.version if latest else 0) + 1
    session.add(
        ConfigBackup(
            device_id=device_id,
            version=version,
            taken_at=now,
            content=normalised,
            sha256=sha,
            reason=reason[:200],
        )
    )
    session.flush()
    return version


def versions(session: Session, *, device_id: str) -> list[ConfigVersion]:
    """The device's versions, oldest first."""
    rows = session.scalars(
        select(ConfigBackup)
        .where(ConfigBackup.device_id == device_id)
        .order_by(ConfigBackup.version)
    )
    return [
        ConfigVersion(
            device_id=row.device_id,
            version=row.version,
            taken_at=row.taken_at,
            sha256=row.sha256,
            reason=row.reason,
            lines=row.content.count("\n"),
        )
        for row in rows
    ]


def content(session: Session, *, device_id: str, version: int | None = None) -> str:
    """The normalised configuration of one version (the latest without ``version``)."""
    if version is None:
        row = _latest(session, device_id)
    else:
        row = session.scalars(
            select(ConfigBackup).where(
                ConfigBackup.device_id == device_id, ConfigBackup.version == version
            )
        ).first()
    if row is None:
        what = f"version {version} of" if version is not None else "a backup of"
        raise NotFound(f"there is no {what} device {device_id}")
    return row.content


def diff(
    session: Session,
    *,
    device_id: str,
    from_version: int | None = None,
    to_version: int | None = None,
) -> str:
    """A unified diff between two versions (default: the latest two); empty when equal."""
    if to_version is None:
        latest = session.scalar(
            select(func.max(ConfigBackup.version)).where(ConfigBackup.device_id == device_id)
        )
        if latest is None:
            raise NotFound(f"there is no backup of device {device_id}")
        to_version = int(latest)
    if from_version is None:
        from_version = to_version - 1
    before = content(session, device_id=device_id, version=from_version) if from_version else ""
    after = content(session, device_id=device_id, version=to_version)
    return _unified(before, after, f"{device_id} v{from_version}", f"{device_id} v{to_version}")


def _unified(before: str, after: str, from_name: str, to_name: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=from_name,
            tofile=to_name,
        )
    )


# -- intended configuration and drift -----------------------------------------------------------


def set_intended(session: Session, *, device_id: str, content: str, now: datetime) -> None:
    normalised = normalize(content)
    row = session.get(IntendedConfig, device_id)
    if row is None:
        session.add(
            IntendedConfig(
                device_id=device_id, content=normalised, sha256=digest(normalised), updated_at=now
            )
        )
    else:
        row.content, row.sha256, row.updated_at = normalised, digest(normalised), now
    session.flush()


def intended(session: Session, *, device_id: str) -> str:
    row = session.get(IntendedConfig, device_id)
    if row is None:
        raise NotFound(f"nothing was pushed to device {device_id} yet (no intended config)")
    return row.content


def record_commit(
    session: Session, *, device_id: str, running: str, now: datetime, reason: str = "commit"
) -> int:
    """After one of our commits: ``running`` becomes the intended config and a backup."""
    set_intended(session, device_id=device_id, content=running, now=now)
    return backup(session, device_id=device_id, content=running, reason=reason, now=now)


def drift(session: Session, *, device_id: str, running: str) -> str | None:
    """How the device's ``running`` config differs from what we last pushed; None if it does not."""
    wanted = intended(session, device_id=device_id)
    actual = normalize(running)
    if digest(actual) == digest(wanted):
        return None
    return _unified(wanted, actual, f"{device_id} intended", f"{device_id} running")


def commit_recorder(database: Database, clock: Clock) -> Callable[[str, str], None]:
    """An ``on_committed`` callback for the NETCONF driver that records in its own transaction."""

    def on_committed(device_address: str, running: str) -> None:
        with database.unit_of_work() as session:
            record_commit(session, device_id=device_address, running=running, now=clock.now())

    return on_committed
