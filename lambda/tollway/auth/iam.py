"""IAM callers: the principal API Gateway verified, normalised and mapped to a team/user/role.

Where the principal comes from:

* Mangum puts the Lambda event in ``scope["aws.event"]``: REST APIs carry it in
  ``requestContext.identity.userArn``, HTTP APIs in ``requestContext.authorizer.iam.userArn``.
  API Gateway only fills it after verifying the SigV4 signature, so it is trusted as is.
* Under the Lambda Web Adapter the request context arrives in the ``x-amzn-request-context``
  header. Any client could send that header, so it is trusted only when running on Lambda
  (``AWS_LAMBDA_FUNCTION_NAME``) *and* ``TOLLWAY_TRUST_REQUEST_CONTEXT_HEADER=true`` says
  the function is only reachable through API Gateway; never in local ``tollway serve`` mode.

Assumed-role sessions (``arn:aws:sts::123:assumed-role/Role/session``) are normalised to
their role (``arn:aws:iam::123:role/Role``) before mapping. Mappings may use ``*``
wildcards (``arn:aws:iam::123456789012:role/*``); the exact ARN wins, then the longest
matching pattern. An unmapped principal is refused (403) unless a default team is set
(``TOLLWAY_IAM_DEFAULT_TEAM``).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from tollway.auth.levels import build_context
from tollway.errors import PermissionDeniedError

if TYPE_CHECKING:
    from tollway.auth.context import AuthContext
    from tollway.storage.identity_repo import IdentityRepo

_ASSUMED = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([^/]+)/.+$")
HEADER = "x-amzn-request-context"


def normalise(arn: str) -> str:
    match = _ASSUMED.match(arn)
    if match:
        partition, account, role = match.groups()
        return f"arn:{partition}:iam::{account}:role/{role}"
    return arn


def trust_header() -> bool:
    return bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and os.environ.get(
        "TOLLWAY_TRUST_REQUEST_CONTEXT_HEADER", "").lower() in ("1", "true", "yes")


def request_context(scope: Mapping[str, Any] | None, headers: Mapping[str, str]) -> dict[str, Any] | None:
    event = (scope or {}).get("aws.event")
    if isinstance(event, dict):
        context = event.get("requestContext")
        return context if isinstance(context, dict) else None
    raw = headers.get(HEADER)
    if raw and trust_header():
        try:
            context = json.loads(raw)
        except ValueError:
            return None
        return context if isinstance(context, dict) else None
    return None


def caller_arn(scope: Mapping[str, Any] | None, headers: Mapping[str, str]) -> str | None:
    """The verified caller's normalised ARN, or None when the request did not come with IAM auth."""
    context = request_context(scope, headers)
    if context is None:
        return None
    identity = context.get("identity") or {}
    arn = identity.get("userArn") if isinstance(identity, dict) else None
    if not arn:
        authorizer = context.get("authorizer") or {}
        iam = authorizer.get("iam") if isinstance(authorizer, dict) else None
        arn = iam.get("userArn") if isinstance(iam, dict) else None
    return normalise(arn) if isinstance(arn, str) and arn.startswith("arn:") else None


class PrincipalResolver:
    """Principal ARN -> ``AuthContext`` (kind ``iam``), mappings and contexts cached for ``ttl``."""

    def __init__(self, repo: IdentityRepo, *, ttl: float, default_team: str | None = None) -> None:
        self.repo = repo
        self.ttl = ttl
        self.default_team = default_team if default_team is not None else os.environ.get("TOLLWAY_IAM_DEFAULT_TEAM")
        self._contexts: dict[str, tuple[float, AuthContext | None]] = {}

    async def context(self, arn: str) -> AuthContext:
        cached = self._contexts.get(arn)
        if cached is None or cached[0] <= time.monotonic():
            cached = (time.monotonic() + self.ttl, await asyncio.to_thread(self._load, arn))
            if len(self._contexts) > 10_000:
                self._contexts.clear()
            self._contexts[arn] = cached
        if cached[1] is None:
            raise PermissionDeniedError(
                "This IAM principal is not mapped to a team or user; an admin can map it with /iam/principal/new.",
                code="principal_not_mapped")
        return cached[1]

    def forget(self) -> None:
        self._contexts.clear()

    def _load(self, arn: str) -> AuthContext | None:
        mapping = match(arn, self.repo.listing("principal"))
        if mapping is None:
            if not self.default_team:
                return None
            mapping = {"team_id": self.default_team, "role": "internal_user"}
        refs = [(kind, mapping[f"{kind}_id"]) for kind in ("team", "user") if mapping.get(f"{kind}_id")]
        found = self.repo.get_many(refs)
        team = found.get(("team", mapping.get("team_id", "")))
        user = found.get(("user", mapping.get("user_id", "")))
        if (mapping.get("team_id") and team is None) or (team or {}).get("blocked"):
            return None
        memberships = self.repo.memberships(user["user_id"]) if user else []
        return build_context("iam", team=team, user=user, memberships=memberships, role=mapping.get("role"),
                             principal=arn)


def match(arn: str, mappings: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The mapping for ``arn``: an exact one, else the longest wildcard pattern that matches."""
    best: dict[str, Any] | None = None
    for mapping in mappings:
        pattern = mapping["principal_arn"]
        if pattern == arn:
            return mapping
        if "*" in pattern and fnmatchcase(arn, pattern) and (
                best is None or len(pattern) > len(best["principal_arn"])):
            best = mapping
    return best
