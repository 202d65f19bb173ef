"""``IdentityService``: the identity services over one store, as the admin routes use them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from tollway.errors import InvalidRequestError
from tollway.identity import rbac
from tollway.identity.base import Call, Store
from tollway.identity.budgets_admin import BudgetService
from tollway.identity.customers import CustomerService
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
        self.budgets = BudgetService(self.store)
        self.customers = CustomerService(self.store)

    def audit(self, call: Call, *, target: str | None = None, actor: str | None = None, action: str | None = None,
              since: str | None = None, until: str | None = None, limit: int = 50,
              cursor: str | None = None) -> dict[str, Any]:
        """Audit entries, newest first; ``target`` is ``<type>#<id>`` (e.g. ``team#eng``)."""
        rbac.require_reader(call.auth, "read the audit log")
        since, until = _moment(since, "since"), _moment(until, "until")
        if until is not None and since is None:
            since = "0"  # before every entry: ``until`` alone reads from the beginning
        if since is not None and until is not None and since > until:
            raise InvalidRequestError("Invalid value for 'since': it is after 'until'.", param="since")
        page: Page = self.repo.audit_page(target=target, actor=actor, action=action, since=since, until=until,
                                          limit=limit, cursor=cursor)
        return {"entries": page.items, "next_cursor": page.cursor}


def _moment(value: str | None, param: str) -> str | None:
    """An ISO-8601 time or date as the audit log writes its times (UTC, microseconds, ``Z``)."""
    if value is None:
        return None
    value = value.strip()
    try:
        if len(value) == 10:  # a whole day, compared as the prefix of the times in it (``until`` includes it)
            return date.fromisoformat(value).isoformat()
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequestError(f"Invalid value for '{param}': expected an ISO-8601 time such as "
                                  "2026-01-31 or 2026-01-31T12:00:00Z.", param=param) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
