"""The NETCONF driver: subscriber VLANs on an access device (YANG module ``ossbss-access``).

Spec ``access-vlan``. Params: ``deviceAddress`` (``host:port``), ``interface``, ``vlan``,
``description``, ``rateDownKbps``, ``rateUpKbps``. One change is one transaction on the device:
lock the candidate, edit-config it (``test-option test-then-set``: the device validates the
edit before it applies it), commit (the device validates the whole candidate again), unlock.
A refusal (a range check, a uniqueness rule) discards the candidate, leaves running unchanged
and comes back as ``ok=False`` with the device's error. See docs/rooms/provisioning-netconf.md.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from lxml import etree  # type: ignore[import-untyped]
from pydantic_settings import BaseSettings, SettingsConfigDict

from ossbss.provisioning.drivers.base import ActivationRequest, ActivationResult, DriverError

NC: Final = "urn:ietf:params:xml:ns:netconf:base:1.0"
ACCESS: Final = "urn:ossbss:access"
SPEC: Final = "access-vlan"
# Our leaves, in the YANG module's order, and the params that carry them.
LEAVES: Final = (
    ("description", "description"),
    ("rate-down-kbps", "rateDownKbps"),
    ("rate-up-kbps", "rateUpKbps"),
)
# get-config of our subtree (a filter with an empty container returns nothing on yuma123).
SUBTREE: Final = f'<interfaces xmlns="{ACCESS}"><interface/></interfaces>'

OnCommitted = Callable[[str, str], None]


class NetconfSettings(BaseSettings):
    """Credentials the driver and ``ossbss config`` use (``OSSBSS_NETCONF_*``)."""

    model_config = SettingsConfigDict(env_prefix="OSSBSS_NETCONF_", extra="ignore")

    username: str = "root"
    key_file: Path = Path("var/lab/netconf/client_key")
    timeout: float = 30.0


# -- a typed skin over ncclient (untyped) -------------------------------------------------------


class DeviceRefused(Exception):
    """The device answered an RPC with ``<rpc-error>``."""

    def __init__(self, error: Any) -> None:
        self.tag = str(getattr(error, "tag", "") or "")
        self.message = str(getattr(error, "message", "") or error).strip()
        self.path = str(getattr(error, "path", "") or "").strip()
        self.error_type = str(getattr(error, "type", "") or "")
        super().__init__(self.message)

    def detail(self, address: str) -> dict[str, str]:
        detail = {"device": address, "error-tag": self.tag, "error-message": self.message}
        if self.path:
            detail["error-path"] = self.path
        if self.error_type:
            detail["error-type"] = self.error_type
        return detail


def _send_from_caller(session: Any) -> None:
    """Write each RPC from the calling thread instead of ncclient's queue.

    ncclient's reader thread looks at its send queue only between 100 ms ``select`` ticks, so
    every RPC waits ~100 ms before it leaves (a commit cycle of five RPCs took ~0.5 s). The
    paramiko channel takes a send from one thread while another reads it; the pool hands a
    session to one caller at a time, and the lock keeps frames whole anyway.
    """
    from ncclient.transport.errors import SessionCloseError, TransportError  # type: ignore[import-untyped]
    from ncclient.transport.session import END_DELIM, MSG_DELIM, NetconfBase  # type: ignore[import-untyped]

    write = getattr(session, "_transport_write", None)
    if write is None or not hasattr(session, "_base"):
        return  # another ncclient: keep its own send
    lock = threading.Lock()

    def send(message: str) -> None:
        if not session.connected:
            raise TransportError("Not connected to NETCONF server")
        data = message.encode()
        if session._base == NetconfBase.BASE_11:
            data = b"\n#%d\n%s%s" % (len(data), data, END_DELIM)
        else:
            data += MSG_DELIM
        with lock:
            while data:
                sent = write(data)
                if sent <= 0:
                    raise SessionCloseError("", data)
                data = data[sent:]

    session.send = send


class Session:
    """One NETCONF session (ncclient manager) with the few RPCs the driver uses."""

    def __init__(self, manager: Any, address: str) -> None:
        self._m = manager
        self.address = address

    @classmethod
    def connect(
        cls,
        address: str,
        *,
        username: str,
        key_file: Path,
        timeout: float,
        hostkey_verify: bool,
        direct_send: bool = True,
    ) -> Session:
        from ncclient import manager  # type: ignore[import-untyped]

        host, port = split_address(address)
        try:
            m = manager.connect(
                host=host,
                port=port,
                username=username,
                key_filename=str(key_file),
                hostkey_verify=hostkey_verify,
                look_for_keys=False,
                allow_agent=False,
                timeout=timeout,
            )
        except Exception as exc:
            raise DriverError(f"cannot open a NETCONF session to {address}: {exc}") from exc
        if ":candidate" not in m.server_capabilities:
            m.close_session()
            raise DriverError(f"{address} has no :candidate datastore")
        if direct_send:
            _send_from_caller(m._session)
        return cls(m, address)

    @property
    def alive(self) -> bool:
        return bool(self._m.connected)

    def _rpc(self, name: str, **kwargs: Any) -> Any:
        from ncclient.operations.rpc import RPCError  # type: ignore[import-untyped]

        try:
            return getattr(self._m, name)(**kwargs)
        except RPCError as exc:
            raise DeviceRefused(exc) from exc

    def lock(self) -> None:
        self._rpc("lock", target="candidate")

    def unlock(self) -> None:
        self._rpc("unlock", target="candidate")

    def edit(self, config: str) -> None:
        self._rpc("edit_config", target="candidate", config=config, test_option="test-then-set")

    def validate(self) -> None:
        self._rpc("validate", source="candidate")

    def commit(self) -> None:
        self._rpc("commit")

    def discard(self) -> None:
        self._rpc("discard_changes")

    def get_config(self, subtree: str | None = None, source: str = "running") -> str:
        kwargs: dict[str, Any] = {"source": source}
        if subtree is not None:
            kwargs["filter"] = ("subtree", subtree)
        return str(self._rpc("get_config", **kwargs).data_xml)

    def close(self) -> None:
        try:
            self._m.close_session()
        except Exception:  # a dead session has nothing left to close
            return


def split_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"deviceAddress must be host:port, not {address!r}")
    return host.strip("[]"), int(port)


def _is_transport_failure(exc: BaseException) -> bool:
    from ncclient.operations.errors import TimeoutExpiredError  # type: ignore[import-untyped]
    from ncclient.transport.errors import TransportError

    return isinstance(exc, TransportError | TimeoutExpiredError | OSError | EOFError)


@dataclass
class _Pool:
    """Idle sessions to one device; at most ``size`` in use at once."""

    connect: Callable[[], Session]
    size: int
    idle: list[Session] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    slots: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        self.slots = threading.BoundedSemaphore(self.size)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        self.slots.acquire()
        try:
            with self.lock:
                session = self.idle.pop() if self.idle else None
            if session is None or not session.alive:
                if session is not None:
                    session.close()
                session = self.connect()
            try:
                yield session
            except BaseException as exc:
                if _is_transport_failure(exc) or not session.alive:
                    session.close()
                    raise
                self._give_back(session)
                raise
            self._give_back(session)
        finally:
            self.slots.release()

    def _give_back(self, session: Session) -> None:
        with self.lock:
            self.idle.append(session)

    def close(self) -> None:
        with self.lock:
            sessions, self.idle = self.idle, []
        for session in sessions:
            session.close()


# -- the edit: which subscriber entries change how ----------------------------------------------


@dataclass(frozen=True)
class _Edit:
    interface: str
    vlan: str
    operation: str  # replace (add), merge (modify/suspend/resume), remove (delete)
    service_id: str = ""
    leaves: Mapping[str, str] = field(default_factory=dict)
    enabled: bool | None = None
    dropped: tuple[str, ...] = ()  # leaves to remove from the entry


def _target(params: Mapping[str, str]) -> tuple[str, str, str]:
    missing = [name for name in ("deviceAddress", "interface", "vlan") if not params.get(name)]
    if missing:
        raise _BadRequest(f"missing parameter(s): {', '.join(missing)}")
    return params["deviceAddress"], params["interface"], params["vlan"]


class _BadRequest(Exception):
    pass


def edits_for(request: ActivationRequest) -> tuple[str, list[_Edit]]:
    """The device and the subscriber-entry edits that carry out ``request``."""
    action, params, previous = request.action, request.params, request.previous
    if action == "delete":
        address, interface, vlan = _target(params or previous)
        return address, [_Edit(interface, vlan, "remove")]
    address, interface, vlan = _target(params)
    leaves = {leaf: params[name] for leaf, name in LEAVES if params.get(name)}
    if action == "add":
        return address, [_Edit(interface, vlan, "replace", request.service_id, leaves)]
    enabled = {"suspend": False, "resume": True}.get(action)
    before = (
        previous.get("deviceAddress", address),
        previous.get("interface", interface),
        previous.get("vlan", vlan),
    )
    if before[0] != address:
        raise _BadRequest("moving a service to another device is a delete and an add")
    moved = before != (address, interface, vlan)
    # Leaves the previous params had and the new ones drop are removed (not on a new entry:
    # yuma123 creates an empty leaf for a remove inside an entry it creates).
    dropped = (
        ()
        if moved
        else tuple(leaf for leaf, name in LEAVES if previous.get(name) and leaf not in leaves)
    )
    edits = [_Edit(interface, vlan, "merge", request.service_id, leaves, enabled, dropped)]
    if moved:
        edits.insert(0, _Edit(before[1], before[2], "remove"))
    return address, edits


def reverse(request: ActivationRequest) -> ActivationRequest:
    """The request that undoes ``request`` (add → delete, modify → previous params, ...)."""
    before = request.previous or request.params
    match request.action:
        case "add":
            return _with(request, "delete", request.params, request.params)
        case "delete":
            return _with(request, "add", before, {})
        case "modify":
            return _with(request, "modify", request.previous, request.params)
        case "suspend":
            return _with(request, "resume", before, request.params)
        case _:
            return _with(request, "suspend", before, request.params)


def _with(
    request: ActivationRequest, action: Any, params: Mapping[str, str], previous: Mapping[str, str]
) -> ActivationRequest:
    return ActivationRequest(
        service_id=request.service_id,
        spec=request.spec,
        action=action,
        params=params,
        previous=previous,
    )


def config_xml(edits: Sequence[_Edit]) -> str:
    """One ``<config>`` carrying every edit, grouped per interface."""
    nc_operation = f"{{{NC}}}operation"
    config = etree.Element(f"{{{NC}}}config", nsmap={"nc": NC})
    interfaces = etree.SubElement(config, f"{{{ACCESS}}}interfaces", nsmap={None: ACCESS})
    by_interface: dict[str, etree._Element] = {}
    for edit in edits:
        interface = by_interface.get(edit.interface)
        if interface is None:
            interface = etree.SubElement(interfaces, f"{{{ACCESS}}}interface")
            etree.SubElement(interface, f"{{{ACCESS}}}name").text = edit.interface
            by_interface[edit.interface] = interface
        entry = etree.SubElement(interface, f"{{{ACCESS}}}subscriber")
        entry.set(nc_operation, edit.operation)
        etree.SubElement(entry, f"{{{ACCESS}}}vlan").text = edit.vlan
        if edit.operation == "remove":
            continue
        etree.SubElement(entry, f"{{{ACCESS}}}service-id").text = edit.service_id
        for leaf, _name in LEAVES:
            if leaf in edit.leaves:
                etree.SubElement(entry, f"{{{ACCESS}}}{leaf}").text = edit.leaves[leaf]
            elif leaf in edit.dropped:
                etree.SubElement(entry, f"{{{ACCESS}}}{leaf}").set(nc_operation, "remove")
        if edit.enabled is not None:
            etree.SubElement(entry, f"{{{ACCESS}}}enabled").text = str(edit.enabled).lower()
    return str(etree.tostring(config, encoding="unicode"))


def _rounds(groups: Sequence[Sequence[_Edit]]) -> list[list[int]]:
    """Split groups into rounds whose subscriber entries are disjoint, keeping their order."""
    rounds: list[list[int]] = []
    last: dict[tuple[str, str], int] = {}
    for index, group in enumerate(groups):
        keys = {(edit.interface, edit.vlan) for edit in group}
        position = 1 + max((last.get(key, -1) for key in keys), default=-1)
        if position == len(rounds):
            rounds.append([])
        rounds[position].append(index)
        for key in keys:
            last[key] = position
    return rounds


@dataclass
class _Ticket:
    groups: list[list[_Edit]]
    results: list[ActivationResult] = field(default_factory=list)
    error: BaseException | None = None
    done: bool = False


@dataclass
class _DeviceQueue:
    """Group commit: one leader commits; the others wait on ``changed`` for their results."""

    changed: threading.Condition = field(default_factory=threading.Condition)
    busy: bool = False
    pending: list[_Ticket] = field(default_factory=list)


# -- the driver ---------------------------------------------------------------------------------


class NetconfDriver:
    """Subscriber VLANs on NETCONF access devices; one small session pool per device."""

    name = "netconf"
    spec = SPEC

    def __init__(
        self,
        *,
        username: str,
        key_file: Path,
        timeout: float = 30,
        hostkey_verify: bool = False,
        sessions_per_device: int = 10,
        validate_rpc: bool = False,
        on_committed: OnCommitted | None = None,
        queue_writers: bool = True,
        direct_send: bool = True,
    ) -> None:
        self.username = username
        self.key_file = Path(key_file)
        self.timeout = timeout
        self.hostkey_verify = hostkey_verify
        self.sessions_per_device = sessions_per_device
        # A separate <validate> RPC before <commit>. Off by default: the edit is validated by
        # test-then-set and the candidate by commit, and yuma123 2.13 drops the changes of the
        # first commit after a <validate> of the candidate (docs/adr/0008).
        self.validate_rpc = validate_rpc
        self.on_committed = on_committed
        # Writers of this process to one device queue on a Python lock (woken at once) instead
        # of polling the device's candidate lock, and what queued up is committed together;
        # lock-denied retries remain for other writers.
        self.queue_writers = queue_writers
        # RPCs written from the caller's thread (see _send_from_caller); False keeps ncclient's.
        self.direct_send = direct_send
        self.lock_retries = 0  # how often a lock was denied and retried (for the benchmark)
        self.commits = 0  # successful commits (several requests may share one)
        self._pools: dict[str, _Pool] = {}
        self._queues: dict[str, _DeviceQueue] = {}
        self._pools_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: NetconfSettings | None = None, **kwargs: Any) -> NetconfDriver:
        settings = settings or NetconfSettings()
        return cls(
            username=settings.username,
            key_file=settings.key_file,
            timeout=settings.timeout,
            **kwargs,
        )

    # Driver protocol

    def execute(self, request: ActivationRequest) -> ActivationResult:
        return self.execute_many([request])[0]

    def undo(self, request: ActivationRequest) -> ActivationResult:
        return self.execute(reverse(request))

    def close(self) -> None:
        with self._pools_lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    # Batches

    def execute_many(self, requests: Sequence[ActivationRequest]) -> list[ActivationResult]:
        """Carry out several requests with one commit per device (per round, below).

        When a device refuses a batch, its requests are retried one by one so each gets its
        own result (the refused one ``ok=False``, the others applied). Requests that touch the
        same subscriber entry go to successive commits, in their order.
        """
        results: list[ActivationResult | None] = [None] * len(requests)
        per_device: dict[str, list[tuple[int, list[_Edit]]]] = {}
        for index, request in enumerate(requests):
            try:
                address, edits = edits_for(request)
                split_address(address)
            except (_BadRequest, ValueError) as exc:
                results[index] = ActivationResult(
                    ok=False, message=str(exc), detail={"error-tag": "missing-parameter"}
                )
                continue
            per_device.setdefault(address, []).append((index, edits))
        for address, items in per_device.items():
            outcomes = self._submit(address, [edits for _index, edits in items])
            for (index, _edits), outcome in zip(items, outcomes, strict=True):
                results[index] = outcome
        return [result or ActivationResult(ok=False, message="not attempted") for result in results]

    def running(self, address: str, *, subtree: str | None = None) -> str:
        """``get-config`` of the running datastore (the whole of it without ``subtree``)."""
        with self._pool(address).session() as session:
            return session.get_config(subtree)

    def session(self, address: str) -> Session:
        """A new session outside the pool (for tools and tests); the caller closes it."""
        return self._connect(address)

    # Internals

    def _connect(self, address: str) -> Session:
        return Session.connect(
            address,
            username=self.username,
            key_file=self.key_file,
            timeout=self.timeout,
            hostkey_verify=self.hostkey_verify,
            direct_send=self.direct_send,
        )

    def _pool(self, address: str) -> _Pool:
        with self._pools_lock:
            pool = self._pools.get(address)
            if pool is None:
                pool = _Pool(lambda: self._connect(address), self.sessions_per_device)
                self._pools[address] = pool
            return pool

    def _submit(self, address: str, groups: list[list[_Edit]]) -> list[ActivationResult]:
        """Apply ``groups`` (one per request) on the device; return one result per group.

        With ``queue_writers``, callers of this process line up per device: while one commit
        runs, the others queue; when it ends, one of them leads and commits everything queued
        meanwhile at once (group commit), and the rest wait for their results.
        """
        if not self.queue_writers:
            return self._apply_in_rounds(address, groups)
        queue = self._queue(address)
        ticket = _Ticket(groups)
        tickets: list[_Ticket] = []
        with queue.changed:
            queue.pending.append(ticket)
            while queue.busy and not ticket.done:
                queue.changed.wait()
            if not ticket.done:  # lead: take everything queued while the last commit ran
                queue.busy = True
                tickets, queue.pending = queue.pending, []
        if tickets:
            try:
                self._run(address, tickets)
            finally:
                with queue.changed:
                    queue.busy = False
                    queue.changed.notify_all()
        if ticket.error is not None:
            raise ticket.error
        return ticket.results

    def _run(self, address: str, tickets: list[_Ticket]) -> None:
        try:
            flat = [group for ticket in tickets for group in ticket.groups]
            outcomes = iter(self._apply_in_rounds(address, flat))
            for ticket in tickets:
                ticket.results = [next(outcomes) for _group in ticket.groups]
        except BaseException as exc:
            for ticket in tickets:
                ticket.error = exc
            if not isinstance(exc, Exception):
                raise
        finally:
            for ticket in tickets:
                ticket.done = True

    def _apply_in_rounds(self, address: str, groups: list[list[_Edit]]) -> list[ActivationResult]:
        results: list[ActivationResult | None] = [None] * len(groups)
        for round_ in _rounds(groups):
            batch = [groups[i] for i in round_]
            outcome = self._transaction(address, [edit for group in batch for edit in group])
            if outcome.ok or len(batch) == 1:
                for i in round_:
                    results[i] = outcome
                continue
            for i in round_:  # someone in the batch was refused: find out who
                results[i] = self._transaction(address, groups[i])
        return [result or ActivationResult(ok=False, message="not attempted") for result in results]

    def _queue(self, address: str) -> _DeviceQueue:
        with self._pools_lock:
            return self._queues.setdefault(address, _DeviceQueue())

    def _transaction(self, address: str, edits: Sequence[_Edit]) -> ActivationResult:
        config = config_xml(edits)
        for attempt in (1, 2):  # a dead pooled session gets one fresh retry (edits are idempotent)
            try:
                with self._pool(address).session() as session:
                    running = self._commit(session, config)
            except DeviceRefused as refusal:
                return ActivationResult(
                    ok=False,
                    message=f"{address} refused: {refusal.message}",
                    detail=refusal.detail(address),
                )
            except DriverError:
                raise
            except Exception as exc:
                if attempt == 2 or not _is_transport_failure(exc):
                    raise DriverError(f"NETCONF to {address} failed: {exc!r}") from exc
                continue
            self.commits += 1
            if running is not None and self.on_committed is not None:
                self.on_committed(address, running)
            return ActivationResult(ok=True, message=f"committed on {address}")
        raise AssertionError("unreachable")

    def _commit(self, session: Session, config: str) -> str | None:
        self._lock(session)
        try:
            try:
                session.edit(config)
                if self.validate_rpc:
                    session.validate()
                session.commit()
            except DeviceRefused:
                session.discard()
                raise
            return session.get_config() if self.on_committed is not None else None
        finally:
            if session.alive:
                session.unlock()

    def _lock(self, session: Session) -> None:
        """Take the candidate lock; another writer holding it means wait a little and retry."""
        deadline = time.monotonic() + self.timeout
        delay = 0.002
        while True:
            try:
                session.lock()
                return
            except DeviceRefused as refusal:
                if refusal.tag not in ("lock-denied", "in-use"):
                    raise
                if time.monotonic() + delay > deadline:
                    raise DriverError(
                        f"{session.address}: candidate still locked after {self.timeout} s"
                    ) from refusal
            self.lock_retries += 1
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.05)
