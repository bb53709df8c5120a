"""What a process remembers about lists it served: totals and page anchors.

Counting every match and skipping ``offset`` rows on each request is what makes offset paging
slow. For each (resource, filters, sort) we remember the total and, for the default order,
"anchors": the primary key found at a given position. A later page at offset X then starts
from the nearest anchor at or before X (``pk >= anchor``) and skips only the rest, so walking
a collection page by page costs the same at page 900 as at page 1.

Writes through this process forget the resource's entries as soon as they commit. Writes by
other processes are not seen, so entries also expire after ``max_age`` seconds: in a
multi-process deployment a total or a page may lag another process's write by at most that.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field

MAX_ENTRIES = 2048
MAX_ANCHORS = 512


@dataclass
class Entry:
    total: int
    born: float
    anchor_offsets: list[int] = field(default_factory=list)
    anchor_pks: list[int] = field(default_factory=list)

    def nearest_anchor(self, offset: int) -> tuple[int, int] | None:
        """The closest known (position, pk) at or before ``offset``."""
        index = bisect.bisect_right(self.anchor_offsets, offset) - 1
        if index < 0:
            return None
        return self.anchor_offsets[index], self.anchor_pks[index]

    def remember(self, offset: int, pk: int) -> None:
        index = bisect.bisect_left(self.anchor_offsets, offset)
        if index < len(self.anchor_offsets) and self.anchor_offsets[index] == offset:
            return
        if len(self.anchor_offsets) >= MAX_ANCHORS:
            return
        self.anchor_offsets.insert(index, offset)
        self.anchor_pks.insert(index, pk)


class PageCache:
    def __init__(self, *, max_age: float = 5.0) -> None:
        self.max_age = max_age
        self._entries: OrderedDict[tuple[str, Hashable], Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, resource: str, key: Hashable) -> Entry | None:
        if self.max_age <= 0:
            return None
        with self._lock:
            entry = self._entries.get((resource, key))
            if entry is None:
                return None
            if time.monotonic() - entry.born > self.max_age:
                del self._entries[(resource, key)]
                return None
            self._entries.move_to_end((resource, key))
            return entry

    def put(self, resource: str, key: Hashable, total: int) -> Entry:
        entry = Entry(total=total, born=time.monotonic())
        if self.max_age <= 0:
            return entry
        with self._lock:
            self._entries[(resource, key)] = entry
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)
        return entry

    def forget(self, resource: str) -> None:
        with self._lock:
            for cache_key in [k for k in self._entries if k[0] == resource]:
                del self._entries[cache_key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


PAGES = PageCache()
