"""Wiring identity into the gateway: the key lookup, IAM principals and the admin service.

``Identity`` is built on first use, once a DynamoDB store is configured
(``tollway.storage.client.enabled()``): ``tollway serve`` starts its embedded store after
the gateway exists, and Lambda builds everything on the first request. On a local or test
endpoint the tables are created then, once. Without a store only the master key works and
the admin routes answer 503.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tollway.auth.authenticator import Authenticator
from tollway.errors import PermissionDeniedError

if TYPE_CHECKING:
    from tollway.auth.context import AuthContext
    from tollway.auth.iam import PrincipalResolver
    from tollway.auth.key_lookup import CachedKeyLookup
    from tollway.identity.service import IdentityService


@dataclass(frozen=True)
class _Parts:
    service: IdentityService
    lookup: CachedKeyLookup
    principals: PrincipalResolver


class Identity:
    """The gateway's identity runtime: a ``KeyLookup`` and principal source for the authenticator."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parts: _Parts | None = None

    def parts(self) -> _Parts | None:
        """The services, built on first call once a store is configured (blocking: may create tables)."""
        if self._parts is None:
            from tollway.storage import client as storage

            if not storage.enabled():
                return None
            with self._lock:
                if self._parts is None:
                    self._parts = _build()
        return self._parts

    async def _aparts(self) -> _Parts | None:
        return self._parts if self._parts is not None else await asyncio.to_thread(self.parts)

    @property
    def service(self) -> IdentityService | None:
        parts = self.parts()
        return parts.service if parts else None

    @property
    def lookup(self) -> CachedKeyLookup | None:
        parts = self.parts()
        return parts.lookup if parts else None

    async def authenticate(self, key: str) -> AuthContext | None:
        parts = await self._aparts()
        return await parts.lookup.authenticate(key) if parts else None

    async def authenticate_token(self, token: str) -> AuthContext | None:
        """The caller for a key known by its digest (admin UI sessions)."""
        parts = await self._aparts()
        return await parts.lookup.authenticate_token(token) if parts else None

    async def context(self, arn: str) -> AuthContext:
        parts = await self._aparts()
        if parts is None:
            raise PermissionDeniedError("IAM callers need the identity store.", code="principal_not_mapped")
        return await parts.principals.context(arn)

    def forget(self) -> None:
        """Drop this process's cached authentication outcomes."""
        if self._parts is not None:
            self._parts.lookup.forget()
            self._parts.principals.forget()


def _build() -> _Parts:
    from tollway.auth.iam import PrincipalResolver
    from tollway.auth.key_lookup import CachedKeyLookup, cache_ttl
    from tollway.identity.service import IdentityService
    from tollway.storage import client as storage
    from tollway.storage.identity_repo import IdentityRepo

    endpoint = storage.endpoint_url()
    if endpoint and "amazonaws.com" not in endpoint:
        storage.ensure_tables()
    repo = IdentityRepo()
    lookup = CachedKeyLookup(repo)
    principals = PrincipalResolver(repo, ttl=cache_ttl())
    service = IdentityService(repo)

    def invalidate(touched: set[tuple[str, str]]) -> None:
        """Changes made here are seen here at once; other instances within the cache TTL."""
        lookup.forget_touched(touched)
        if any(kind == "budget" for kind, _ in touched):  # keys take limits from the budgets they reference
            lookup.forget()
        if {kind for kind, _ in touched} - {"key", "alias"}:
            principals.forget()

    service.store.listeners.append(invalidate)
    from tollway.identity.customer_lookup import CUSTOMERS

    service.store.listeners.append(CUSTOMERS.forget_touched)
    return _Parts(service, lookup, principals)


def build(master_key: str | None) -> tuple[Authenticator, Identity]:
    identity = Identity()
    return Authenticator.from_settings(master_key, identity, identity), identity
