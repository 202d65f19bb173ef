"""``IdentityService``: the identity services over one store, as the admin routes use them."""

from __future__ import annotations

from typing import Any

from tollway.identity import rbac
from tollway.identity.base import Call, Store
from tollway.identity.keys import KeyService
from tollway.identity.teams import TeamService
from tollway.identity.users import PrincipalService, UserService
from tollway.storage.identity_repo import IdentityRepo, Page


class IdentityService:
    def __init__(self, repo: IdentityRepo | None = None) -> None:
        self.store = Store(repo)
        self.repo = self.store.repo
        self.keys = KeyService(self.store)
        self.teams = TeamService(self.store, self.keys)
        self.users = UserService(self.store, self.keys)
        self.principals = PrincipalService(self.store)

    def audit(self, call: Call, *, target: str | None = None, actor: str | None = None, action: str | None = None,
              since: str | None = None, until: str | None = None, limit: int = 50,
              cursor: str | None = None) -> dict[str, Any]:
        """Audit entries, newest first; ``target`` is ``<type>#<id>`` (e.g. ``team#eng``)."""
        rbac.require_reader(call.auth, "read the audit log")
        page: Page = self.repo.audit_page(target=target, actor=actor, action=action, since=since, until=until,
                                          limit=limit, cursor=cursor)
        return {"entries": page.items, "next_cursor": page.cursor}
