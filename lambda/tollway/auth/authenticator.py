"""``Authenticator``: turns request headers into an ``AuthContext`` or an AuthenticationError.

Order: the master key (constant-time compare), then a virtual-key lookup through a
``KeyLookup`` (supplied by the identity package). With no master key configured and no
lookup, local mode runs open (every caller is an admin); on Lambda it refuses everyone.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from typing import Protocol

from tollway.auth.context import ANONYMOUS_ADMIN, MASTER, AuthContext
from tollway.auth.credentials import presented_key
from tollway.config import secrets
from tollway.errors import AuthenticationError


class KeyLookup(Protocol):
    async def authenticate(self, key: str) -> AuthContext | None:
        """The caller for a virtual key, None if unknown; raises AuthenticationError if blocked/expired."""


class Authenticator:
    def __init__(self, master_key: str | None, lookup: KeyLookup | None = None) -> None:
        #: a literal or a secret reference (resolved on first use, then cached by ``secrets``)
        self._master_ref = master_key
        self.lookup = lookup

    @classmethod
    def from_settings(cls, configured: str | None, lookup: KeyLookup | None = None) -> Authenticator:
        """``TOLLWAY_MASTER_KEY`` wins over the config; ``TOLLWAY_MASTER_KEY_SECRET`` names a secret."""
        env_secret = os.environ.get("TOLLWAY_MASTER_KEY_SECRET")
        reference = (
            os.environ.get("TOLLWAY_MASTER_KEY")
            or (f"{secrets.SM_PREFIX}{env_secret}" if env_secret else None)
            or configured
        )
        return cls(reference, lookup)

    @property
    def open_mode(self) -> bool:
        return not self._master_ref and self.lookup is None and not os.environ.get("AWS_LAMBDA_FUNCTION_NAME")

    async def authenticate(self, headers: Mapping[str, str]) -> AuthContext:
        if self.open_mode:
            return ANONYMOUS_ADMIN
        key = presented_key(headers)
        if key is None:
            raise AuthenticationError(
                "No API key provided. Send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.",
                code="missing_api_key",
            )
        master = await secrets.aresolve(self._master_ref) if self._master_ref else None
        if master and hmac.compare_digest(key.encode(), master.encode()):
            return MASTER
        if self.lookup is not None:
            found = await self.lookup.authenticate(key)
            if found is not None:
                return found
        raise AuthenticationError("Invalid API key.")
