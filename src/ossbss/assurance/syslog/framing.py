"""Syslog over TCP (RFC 6587): octet-counted frames (``117 <28>1 ...``) and LF-terminated
frames (what rsyslog's omfwd and ``logger -T`` send) on the same connection, told apart per
frame by its first byte: a digit starts an octet count, anything else a line.

Memory per connection is bounded by ``max_size``: a frame announced or growing beyond it is
skipped (its bytes read and thrown away) and reported once as ``oversized``.
"""

from __future__ import annotations

from dataclasses import dataclass

_MAX_COUNT_DIGITS = 9


@dataclass(frozen=True, slots=True)
class Frame:
    data: bytes


@dataclass(frozen=True, slots=True)
class Oversized:
    size: int  # announced (octet count) or seen so far (line)


class FrameDecoder:
    """Feed it the bytes of one connection as they come; it returns whole frames."""

    def __init__(self, max_size: int) -> None:
        self._max = max_size
        self._buffer = bytearray()
        self._skip_bytes = 0  # the rest of an oversized octet-counted frame
        self._skip_line = False  # the rest of an oversized line

    def feed(self, data: bytes) -> list[Frame | Oversized]:
        self._buffer += data
        out: list[Frame | Oversized] = []
        while self._buffer:
            if self._skip_bytes:
                dropped = min(self._skip_bytes, len(self._buffer))
                del self._buffer[:dropped]
                self._skip_bytes -= dropped
                continue
            if self._skip_line:
                end = self._buffer.find(b"\n")
                if end < 0:
                    self._buffer.clear()
                    break
                del self._buffer[: end + 1]
                self._skip_line = False
                continue
            if self._buffer[0] in b"\n\r\x00 ":
                del self._buffer[:1]  # stray separators between frames
                continue
            item = self._octet_counted() if self._buffer[:1].isdigit() else self._line()
            if item is None:
                break
            out.append(item)
        return out

    def _octet_counted(self) -> Frame | Oversized | None:
        space = self._buffer.find(b" ", 0, _MAX_COUNT_DIGITS + 1)
        if space < 0:
            if len(self._buffer) <= _MAX_COUNT_DIGITS:
                return None  # the count itself is still arriving
            return self._line()  # digits without a count's space: a (garbled) line
        digits = bytes(self._buffer[:space])
        if not digits.isdigit():
            return self._line()
        size = int(digits)
        start = space + 1
        if size > self._max:
            del self._buffer[:start]
            self._skip_bytes = size
            return Oversized(size)
        if len(self._buffer) < start + size:
            return None
        frame = bytes(self._buffer[start : start + size])
        del self._buffer[: start + size]
        return Frame(frame)

    def _line(self) -> Frame | Oversized | None:
        end = self._buffer.find(b"\n")
        if end < 0:
            if len(self._buffer) > self._max:
                size = len(self._buffer)
                self._buffer.clear()
                self._skip_line = True
                return Oversized(size)
            return None
        if end > self._max:
            del self._buffer[: end + 1]
            return Oversized(end)
        frame = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        return Frame(frame)
