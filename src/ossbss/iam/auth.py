"""The HTTP side of iam: ``Authorization: Bearer <key>`` checked against roles."""

from __future__ import annotations

import threading
import time

from fastapi import Request

from ossbss.iam.domain import digest, may
from ossbss.iam.service import Principal, authenticate
from ossbss.kernel.db import Database
from ossbss.kernel.errors import Forbidden, Unauthenticated


class ApiKeyAuthorizer:
    """Resolves keys through the database and remembers the answer for ``ttl`` seconds, so a
    busy API does not look up the same key on every request (a revocation takes effect within
    the TTL)."""

    def __init__(self, database: Database, *, ttl: float = 30.0) -> None:
        self._db = database
        self._ttl = ttl
        self._cache: dict[str, tuple[Principal | None, float]] = {}
        self._lock = threading.Lock()

    def __call__(self, request: Request, roles: frozenset[str] | None) -> None:
        principal = self.principal(request)
        request.state.principal = principal
        if not may(principal.role, roles):
            needed = ", ".join(sorted(roles or ()))
            raise Forbidden(
                "Not allowed",
                detail=f"role {principal.role} may not do this; needs one of {needed}",
            )

    def principal(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthenticated(
                "Missing credentials",
                field="Authorization",
                detail="send Authorization: Bearer <api key>",
            )
        principal = self._lookup(key.strip())
        if principal is None:
            raise Unauthenticated(
                "Invalid credentials", field="Authorization", detail="unknown or revoked API key"
            )
        return principal

    def _lookup(self, key: str) -> Principal | None:
        cache_key = digest(key)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(cache_key)
        if hit is not None and hit[1] > now:
            return hit[0]
        with self._db.unit_of_work(write=False) as session:
            principal = authenticate(session, key=key)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[cache_key] = (principal, now + self._ttl)
        return principal

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()
