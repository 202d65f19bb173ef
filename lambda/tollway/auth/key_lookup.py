"""The virtual-key ``KeyLookup``: digest -> ``AuthContext``, with a per-process TTL cache.

A warm key costs no DynamoDB read. A cold one costs one GetItem (the key) and one
BatchGetItem (its team, project, user and budget) plus a membership query when it has a user.
Outcomes, including "unknown" and "blocked", are cached for ``ttl`` seconds
(``TOLLWAY_AUTH_CACHE_TTL``, default 5): that is the bound within which a block, delete or
regenerate made through any instance takes effect everywhere. Expiry is checked on every
request, so an expired key is refused at once.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tollway.auth.levels import build_context
from tollway.errors import AuthenticationError
from tollway.identity import keygen

if TYPE_CHECKING:
    from tollway.auth.context import AuthContext
    from tollway.storage.identity_repo import IdentityRepo

DEFAULT_TTL = 5.0
#: the limits a key takes from the budget it references (``budget_id``) where it sets none itself
BUDGET_LIMITS = ("max_budget", "soft_budget", "budget_duration", "tpm_limit", "rpm_limit", "max_parallel_requests")
MAX_ENTRIES = 10_000


def cache_ttl() -> float:
    return float(os.environ.get("TOLLWAY_AUTH_CACHE_TTL", DEFAULT_TTL))


@dataclass(frozen=True)
class _Outcome:
    context: AuthContext | None
    refusal: str | None  # the code of an AuthenticationError to raise
    expires: datetime | None
    fresh_until: float


_MESSAGES = {
    "key_blocked": "This key is blocked. An admin can unblock it with /key/unblock.",
    "team_blocked": "This key's team is blocked.",
    "key_expired": "This key has expired.",
}


class CachedKeyLookup:
    def __init__(self, repo: IdentityRepo, *, ttl: float | None = None) -> None:
        self.repo = repo
        self.ttl = cache_ttl() if ttl is None else ttl
        self._cache: OrderedDict[str, _Outcome] = OrderedDict()

    async def authenticate(self, key: str) -> AuthContext | None:
        return await self.authenticate_token(keygen.digest(key))

    async def authenticate_token(self, token: str) -> AuthContext | None:
        """As ``authenticate``, for a key known by its digest (an admin UI session holds no raw key)."""
        outcome = self._cache.get(token)
        if outcome is None or outcome.fresh_until <= time.monotonic():
            outcome = await asyncio.to_thread(self._load, token)
            self._remember(token, outcome)
        if outcome.refusal:
            raise AuthenticationError(_MESSAGES[outcome.refusal], code=outcome.refusal)
        if outcome.expires is not None and outcome.expires <= datetime.now(UTC):
            raise AuthenticationError(_MESSAGES["key_expired"], code="key_expired")
        return outcome.context

    def forget(self, token: str | None = None) -> None:
        """Drop one cached key (or all): this instance sees the next change at once."""
        if token is None:
            self._cache.clear()
        else:
            self._cache.pop(token, None)

    def forget_touched(self, touched: set[tuple[str, str]]) -> None:
        """Drop the cached keys that depend on any of the records just written (``(kind, id)``)."""
        for token, outcome in list(self._cache.items()):
            if ("key", token) in touched or _depends(outcome, touched):
                self._cache.pop(token, None)

    def _remember(self, token: str, outcome: _Outcome) -> None:
        self._cache[token] = outcome
        self._cache.move_to_end(token)
        while len(self._cache) > MAX_ENTRIES:
            self._cache.popitem(last=False)

    def _load(self, token: str) -> _Outcome:
        fresh_until = time.monotonic() + self.ttl
        key = self.repo.get("key", token)
        if key is None:
            return _Outcome(None, None, None, fresh_until)
        expires = keygen.parse_iso(key["expires"]) if key.get("expires") else None
        if key.get("blocked"):
            return _Outcome(None, "key_blocked", expires, fresh_until)
        refs = [(kind, key[f"{kind}_id"]) for kind in ("team", "project", "user", "budget") if key.get(f"{kind}_id")]
        found: dict[tuple[str, str], dict[str, Any]] = self.repo.get_many(refs)
        budget = found.get(("budget", key["budget_id"])) if key.get("budget_id") else None
        if budget is not None:  # a /budget/new record: its limits where the key sets none
            key = {**{k: v for k, v in budget.items() if k in BUDGET_LIMITS}, **{k: v for k, v in key.items()
                                                                             if v is not None}}
        team = found.get(("team", key["team_id"])) if key.get("team_id") else None
        if team is not None and team.get("blocked"):
            return _Outcome(None, "team_blocked", expires, fresh_until)
        user = found.get(("user", key["user_id"])) if key.get("user_id") else None
        memberships = self.repo.memberships(key["user_id"]) if user is not None else []
        context = build_context(
            "virtual_key", key=key, team=team, user=user, memberships=memberships,
            project=found.get(("project", key["project_id"])) if key.get("project_id") else None,
        )
        return _Outcome(context, None, expires, fresh_until)


def _depends(outcome: _Outcome, touched: set[tuple[str, str]]) -> bool:
    context = outcome.context
    if context is None:
        return outcome.refusal == "team_blocked" and any(kind == "team" for kind, _ in touched)
    for kind, ident in touched:
        if kind == "member":
            team, _, user = ident.partition("/")
            if user == context.user_id or team == context.team_id:
                return True
        elif ident == {"team": context.team_id, "user": context.user_id, "project": context.project_id}.get(kind):
            return True
    return False
