"""A lean asyncio SNMP v2c client: GET and GETBULK over one UDP socket for every agent.

Requests are told apart by request id (and the answering address must be the one asked);
each has a timeout and a number of retries, handled with timer callbacks rather than a task
per request, so thousands can be in flight at little cost. Retries resend the same request id
(as net-snmp does): a late answer to the first try still completes the request.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ossbss.performance.poller.ber import (
    GET,
    GET_BULK,
    NO_ERROR,
    RESPONSE,
    BerError,
    Message,
    Oid,
    VarBind,
    decode_message,
    request,
)

RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024  # hundreds of answers may arrive at once
MAX_DATAGRAM = 65507
_REQUEST_ID_LIMIT = 2**31 - 1

Address = tuple[str, int]


class SnmpTimeout(Exception):
    """No answer after every retry."""


class SnmpError(Exception):
    """The agent answered with an error status (RFC 3416: tooBig 1, noSuchName 2, genErr 5 ...)."""

    def __init__(self, error_status: int, error_index: int) -> None:
        super().__init__(f"SNMP error status {error_status} at varbind {error_index}")
        self.error_status = error_status
        self.error_index = error_index


@dataclass
class ClientCounters:
    requests: int = 0
    retransmissions: int = 0
    answers: int = 0
    timeouts: int = 0
    malformed: int = 0  # datagrams that were not SNMP messages
    stray: int = 0  # answers nobody waits for (late, wrong address, wrong community)


@dataclass
class _Pending:
    address: Address
    community: bytes
    data: bytes
    future: asyncio.Future[Message]
    retries_left: int
    timer: asyncio.TimerHandle | None = None


class SnmpClient(asyncio.DatagramProtocol):
    """``await SnmpClient(...).open()``; then ``get`` / ``get_bulk``; ``close()`` at the end."""

    def __init__(
        self, *, timeout: float = 2.0, retries: int = 1, local_host: str = "0.0.0.0"
    ) -> None:
        self.timeout = timeout
        self.retries = retries
        self._local_host = local_host
        self._pending: dict[int, _Pending] = {}
        self._next_id = random.randrange(1, _REQUEST_ID_LIMIT)
        self._transport: asyncio.DatagramTransport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.counters = ClientCounters()

    async def open(self) -> SnmpClient:
        self._loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
            sock.bind((self._local_host, 0))
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self._transport, _ = await self._loop.create_datagram_endpoint(lambda: self, sock=sock)
        return self

    def close(self) -> None:
        for pending in self._pending.values():
            if pending.timer is not None:
                pending.timer.cancel()
            if not pending.future.done():
                pending.future.set_exception(SnmpTimeout("client closed"))
        self._pending.clear()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    async def get(
        self,
        address: Address,
        community: bytes,
        oids: Sequence[Oid],
        *,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> tuple[VarBind, ...]:
        answer = await self._ask(
            address, community, GET, oids, 0, 0, timeout=timeout, retries=retries
        )
        return answer.varbinds

    async def get_bulk(
        self,
        address: Address,
        community: bytes,
        oids: Sequence[Oid],
        *,
        non_repeaters: int = 0,
        max_repetitions: int = 10,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> tuple[VarBind, ...]:
        answer = await self._ask(
            address,
            community,
            GET_BULK,
            oids,
            non_repeaters,
            max_repetitions,
            timeout=timeout,
            retries=retries,
        )
        return answer.varbinds

    async def _ask(
        self,
        address: Address,
        community: bytes,
        pdu_type: int,
        oids: Sequence[Oid],
        non_repeaters: int,
        max_repetitions: int,
        *,
        timeout: float | None,
        retries: int | None,
    ) -> Message:
        if self._transport is None or self._loop is None:
            raise RuntimeError("the SNMP client is not open")
        request_id = self._request_id()
        data = request(
            pdu_type,
            community=community,
            request_id=request_id,
            oids=list(oids),
            non_repeaters=non_repeaters,
            max_repetitions=max_repetitions,
        )
        pending = _Pending(
            address=address,
            community=community,
            data=data,
            future=self._loop.create_future(),
            retries_left=self.retries if retries is None else retries,
        )
        wait = self.timeout if timeout is None else timeout
        self._pending[request_id] = pending
        self.counters.requests += 1
        self._send(request_id, pending, wait)
        try:
            answer = await pending.future
        finally:
            if pending.timer is not None:
                pending.timer.cancel()
            self._pending.pop(request_id, None)
        if answer.error_status != NO_ERROR:
            raise SnmpError(answer.error_status, answer.error_index)
        return answer

    def _request_id(self) -> int:
        while True:
            self._next_id = self._next_id % _REQUEST_ID_LIMIT + 1
            if self._next_id not in self._pending:
                return self._next_id

    def _send(self, request_id: int, pending: _Pending, wait: float) -> None:
        assert self._transport is not None
        assert self._loop is not None
        self._transport.sendto(pending.data, pending.address)
        pending.timer = self._loop.call_later(wait, self._expire, request_id, wait)

    def _expire(self, request_id: int, wait: float) -> None:
        pending = self._pending.get(request_id)
        if pending is None or pending.future.done() or self._transport is None:
            return
        if pending.retries_left > 0:
            pending.retries_left -= 1
            self.counters.retransmissions += 1
            self._send(request_id, pending, wait)
            return
        self.counters.timeouts += 1
        host, port = pending.address
        pending.future.set_exception(SnmpTimeout(f"no answer from {host}:{port}"))

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        try:
            message = decode_message(data)
        except BerError:
            self.counters.malformed += 1
            return
        pending = self._pending.get(message.request_id)
        if (
            pending is None
            or pending.future.done()
            or message.pdu_type != RESPONSE
            or (addr[0], addr[1]) != pending.address
            or message.community != pending.community
        ):
            self.counters.stray += 1
            return
        self.counters.answers += 1
        pending.future.set_result(message)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and the like: the request's timeout and retries handle it.
        pass
