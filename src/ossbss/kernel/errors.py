"""Error categories shared by every room.

Rooms raise these (or subclasses); the edge renders each category exactly once, as the TMF
``Error`` body with the matching HTTP status. Domain code never knows about HTTP.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every expected, user-facing error."""

    code = "ERROR"

    def __init__(self, reason: str, *, field: str | None = None, detail: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.detail = detail

    @property
    def message(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{where}{self.detail or self.reason}"


class InvalidInput(DomainError):
    """The request is malformed or breaks a rule about its content (400)."""

    code = "INVALID_INPUT"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Conflict(DomainError):
    """The request is well formed but clashes with the current state (409)."""

    code = "CONFLICT"


class InvalidStateTransition(Conflict):
    code = "INVALID_STATE_TRANSITION"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class UnsupportedMediaType(DomainError):
    code = "UNSUPPORTED_MEDIA_TYPE"
