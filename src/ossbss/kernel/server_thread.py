"""An asyncio server (``await start()``, ``await stop()``) on an event loop of its own thread,
beside ``ossbss serve``'s API: the RADIUS accounting, SNMP trap and syslog collectors."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Generic, Protocol, Self, TypeVar


class AsyncServer(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


S = TypeVar("S", bound=AsyncServer)


class ServerThread(Generic[S]):
    """``start`` returns once the server listens (or raises why it could not); ``stop`` stops
    it and joins the thread."""

    def __init__(self, server: S, *, name: str, what: str) -> None:
        self.server = server
        self._what = what
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._error: BaseException | None = None

    def start(self, timeout: float = 10.0) -> Self:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"{self._what} did not start")
        if self._error is not None:
            raise RuntimeError(f"{self._what} failed: {self._error}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=10)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The server's loop while it runs (for ``run_coroutine_threadsafe``)."""
        return self._loop

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stopping = asyncio.Event()
            try:
                await self.server.start()
            except BaseException as exc:
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            try:
                await self._stopping.wait()
            finally:
                await self.server.stop()

        asyncio.run(main())


# Linux's SO_RCVBUFFORCE (not exported by Python): a buffer beyond net.core.rmem_max when the
# process may (CAP_NET_ADMIN); otherwise the kernel caps SO_RCVBUF at rmem_max.
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)


def udp_socket(host: str, port: int, *, receive_buffer_bytes: int) -> socket.socket:
    """A bound, non-blocking UDP socket with a big receive buffer, for a collector that drains
    it itself (asyncio's transport wrapper has no recvfrom): a burst waits in the kernel while
    a batch commits."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, receive_buffer_bytes)
        except OSError:  # not privileged: as much as net.core.rmem_max allows
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer_bytes)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
