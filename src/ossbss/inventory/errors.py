"""inventory's own error kinds (subclasses of the kernel's categories, rendered by them)."""

from __future__ import annotations

from ossbss.kernel.errors import Conflict


class PoolExhausted(Conflict):
    """Every value of the pool is held (409): the message says ``pool <name> exhausted``."""

    code = "POOL_EXHAUSTED"
