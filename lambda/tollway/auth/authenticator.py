"""``Authenticator``: turns request headers into an ``AuthContext`` or an AuthenticationError.

Order: the master key (constant-time compare); then, for a request API Gateway verified
with IAM auth, the mapped principal (or the virtual key in ``x-tollway-api-key``, which then
wins); then a virtual-key lookup through a ``KeyLookup`` (supplied by the identity package).
With no master key configured, local mode runs open: a valid virtual key still gets its own
context, anything else is an admin; on Lambda it refuses everyone.
"""

from __future__ import annotations

import dataclasses
import hmac
import os
from collections.abc import Mapping
from typing import Any, Protocol

from tollway.auth.context import ANONYMOUS_ADMIN, MASTER, AuthContext
from tollway.auth.credentials import presented_key
from tollway.auth.iam import caller_arn
from tollway.config import secrets
from tollway.errors import AuthenticationError


class KeyLookup(Protocol):
    async def authenticate(self, key: str) -> AuthContext | None:
        """The caller for a virtual key, None if unknown; raises AuthenticationError if blocked/expired."""


class PrincipalSource(Protocol):
    async def context(self, arn: str) -> AuthContext:
        """The caller for a verified IAM principal; raises PermissionDeniedError if it is not mapped."""


class Authenticator:
    def __init__(self, master_key: str | None, lookup: KeyLookup | None = None,
                 principals: PrincipalSource | None = None) -> None:
        #: a literal or a secret reference (resolved on first use, then cached by ``secrets``)
        self._master_ref = master_key
        self.lookup = lookup
        self.principals = principals

    @classmethod
    def from_settings(cls, configured: str | None, lookup: KeyLookup | None = None,
                      principals: PrincipalSource | None = None) -> Authenticator:
        """``TOLLWAY_MASTER_KEY`` wins over the config; ``TOLLWAY_MASTER_KEY_SECRET`` names a secret."""
        env_secret = os.environ.get("TOLLWAY_MASTER_KEY_SECRET")
        reference = (
            os.environ.get("TOLLWAY_MASTER_KEY")
            or (f"{secrets.SM_PREFIX}{env_secret}" if env_secret else None)
            or configured
        )
        return cls(reference, lookup, principals)

    async def master_key(self) -> str | None:
        """The resolved master key (None when none is configured)."""
        return await secrets.aresolve(self._master_ref) if self._master_ref else None

    @property
    def open_mode(self) -> bool:
        return not self._master_ref and not os.environ.get("AWS_LAMBDA_FUNCTION_NAME")

    async def authenticate(self, headers: Mapping[str, str], scope: Mapping[str, Any] | None = None) -> AuthContext:
        key = presented_key(headers)
        if self.open_mode:
            found = await self.lookup.authenticate(key) if key and self.lookup is not None else None
            return found or ANONYMOUS_ADMIN
        master = await secrets.aresolve(self._master_ref) if self._master_ref and key else None
        if key and master and hmac.compare_digest(key.encode(), master.encode()):
            return MASTER
        arn = caller_arn(scope, headers) if self.principals is not None else None
        if arn is not None and self.principals is not None:
            return await self._iam_caller(arn, headers)
        if key is None:
            raise AuthenticationError(
                "No API key provided. Send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.",
                code="missing_api_key",
            )
        if self.lookup is not None:
            found = await self.lookup.authenticate(key)
            if found is not None:
                return found
        raise AuthenticationError("Invalid API key.")

    async def _iam_caller(self, arn: str, headers: Mapping[str, str]) -> AuthContext:
        """An IAM caller: its virtual key (``x-tollway-api-key``/``x-api-key``) if sent, else its mapping."""
        assert self.principals is not None
        key = headers.get("x-tollway-api-key") or headers.get("x-api-key")
        if key and key.strip():
            master = await secrets.aresolve(self._master_ref) if self._master_ref else None
            if master and hmac.compare_digest(key.strip().encode(), master.encode()):
                return dataclasses.replace(MASTER, principal=arn)
            found = await self.lookup.authenticate(key.strip()) if self.lookup is not None else None
            if found is None:
                raise AuthenticationError("Invalid API key in x-tollway-api-key.")
            return dataclasses.replace(found, principal=arn)
        return await self.principals.context(arn)
