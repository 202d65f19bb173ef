"""Users (a role, budgets, model access) and IAM principal mappings.

``/user/new`` creates a key for the user by default, as LiteLLM does (``auto_create_key``).
Deleting a user deletes its keys and memberships in the same transaction.
"""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING, Any

from tollway.identity import rbac
from tollway.identity.base import Call, Store, stamp, utcnow
from tollway.identity.keys import KeyService, public
from tollway.identity.records import LIMIT_FIELDS, PrincipalNew, UserNew, UserUpdate

if TYPE_CHECKING:
    from tollway.storage.identity_repo import Op

USER_FIELDS = (*LIMIT_FIELDS, "user_email", "user_alias", "user_role")


class UserService:
    def __init__(self, store: Store, keys: KeyService) -> None:
        self.store = store
        self.repo = store.repo
        self.keys = keys

    def new(self, call: Call, body: UserNew) -> dict[str, Any]:
        rbac.require_role_grant(call.auth, body.user_role, "create users")
        user_id = body.user_id or str(uuid.uuid4())
        fields = body.model_dump(include=set(USER_FIELDS), exclude_none=True)
        fields.setdefault("user_role", "internal_user")
        record = stamp({"user_id": user_id, **fields}, call, now=utcnow())
        ops: list[Op] = [
            self.repo.put_new("user", user_id, record, conflict=f"A user with user_id '{user_id}' already exists."),
            self.store.audit(call, "user.new", "user", user_id, before=None, after=record)]
        for team_id in dict.fromkeys(body.teams):
            self.store.must_get("team", team_id, param="teams")
            member = {"team_id": team_id, "user_id": user_id, "role": "user"}
            ops += [self.repo.put_new("member", f"{team_id}/{user_id}", member, conflict="Already a member."),
                    self.store.audit(call, "team.member_add", "team", team_id, before=None, after=member)]
        answer = {**public(record), "teams": body.teams}
        if body.auto_create_key:  # LiteLLM's default: the user's first key, in the same transaction
            fields = {"user_id": user_id, "blocked": False, **({"key_alias": body.key_alias} if body.key_alias else {})}
            key_ops, key = self.keys.issue_ops(call, fields, body.duration, action="key.generate")
            ops += key_ops
            answer.update(key=key["key"], token=key["token"], key_name=key["key_name"], expires=key["expires"])
        self.store.commit(ops)
        return answer

    def info(self, call: Call, user_id: str | None) -> dict[str, Any]:
        user_id = user_id or call.auth.user_id
        if user_id is None:
            raise rbac.deny("read users without a user_id")
        rbac.require_user_read(call.auth, user_id)
        user = self.store.must_get("user", user_id, param="user_id")
        keys = [public(k) for k in self.repo.listing("key") if k.get("user_id") == user_id]
        teams = self.repo.memberships(user_id)
        return {"user_id": user_id, "user_info": public(user), "keys": keys, "teams": teams}

    def info_v2(self, call: Call, user_id: str | None) -> dict[str, Any]:
        """LiteLLM's ``/v2/user/info``: the user record alone, with its teams as ids."""
        info = self.info(call, user_id)
        return {**info["user_info"], "teams": [m["team_id"] for m in info["teams"]]}

    def listing(self, call: Call, *, page: int, page_size: int, role: str | None) -> dict[str, Any]:
        rbac.require_reader(call.auth, "list users")
        users = [public(u) for u in self.repo.listing("user") if role is None or u.get("user_role") == role]
        return {"users": users[(page - 1) * page_size: page * page_size], "total": len(users), "page": page,
                "page_size": page_size, "total_pages": max(1, math.ceil(len(users) / page_size))}

    def update(self, call: Call, body: UserUpdate) -> dict[str, Any]:
        rbac.require_role_grant(call.auth, body.user_role, "update users")
        previous = self.store.must_get("user", body.user_id, param="user_id")
        changes = {k: getattr(body, k) for k in body.model_fields_set if k in USER_FIELDS}
        record = stamp({**previous, **changes}, call, now=utcnow(), previous=previous)
        self.store.commit([self.repo.replace("user", body.user_id, record, version=previous.get("version")),
                           self.store.audit(call, "user.update", "user", body.user_id, before=previous, after=record)])
        return {"user_id": body.user_id, "data": public(record)}  # LiteLLM's shape

    def delete(self, call: Call, user_ids: list[str]) -> int:
        rbac.require_admin(call.auth, "delete users")
        ops: list[Op] = []
        keys = self.repo.listing("key")
        for user_id in dict.fromkeys(user_ids):
            user = self.store.must_get("user", user_id, param="user_ids")
            ops += [self.repo.delete("user", user_id, missing=f"No user with user_id '{user_id}'."),
                    self.store.audit(call, "user.delete", "user", user_id, before=user, after=None)]
            ops += [self.repo.delete("member", f"{m['team_id']}/{user_id}") for m in self.repo.memberships(user_id)]
            for key in keys:
                if key.get("user_id") == user_id:
                    ops += self.keys.delete_ops(call, key)
        self.store.commit(ops)
        return len(dict.fromkeys(user_ids))  # LiteLLM answers the number of users deleted


class PrincipalService:
    """IAM principal ARN patterns (``*`` wildcards allowed) mapped to a team, user and role."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.repo = store.repo

    def new(self, call: Call, body: PrincipalNew) -> dict[str, Any]:
        rbac.require_role_grant(call.auth, body.role, "map IAM principals")
        refs = [(k, v) for k, v in (("team", body.team_id), ("user", body.user_id)) if v]
        found = self.repo.get_many(refs)
        for kind, ident in refs:
            if (kind, ident) not in found:
                self.store.must_get(kind, ident, param=f"{kind}_id")
        record = stamp(body.model_dump(exclude_none=True), call, now=utcnow())
        arn = body.principal_arn
        self.store.commit([
            self.repo.put_new("principal", arn, record, conflict=f"The principal '{arn}' is already mapped."),
            self.store.audit(call, "iam.principal_new", "principal", arn, before=None, after=record)])
        return public(record)

    def listing(self, call: Call) -> list[dict[str, Any]]:
        rbac.require_reader(call.auth, "list IAM principals")
        return [public(p) for p in self.repo.listing("principal")]

    def delete(self, call: Call, arns: list[str]) -> dict[str, Any]:
        rbac.require_admin(call.auth, "delete IAM principal mappings")
        ops: list[Op] = []
        for arn in dict.fromkeys(arns):
            record = self.store.must_get("principal", arn, param="principal_arns")
            ops += [self.repo.delete("principal", arn, missing=f"No principal '{arn}'."),
                    self.store.audit(call, "iam.principal_delete", "principal", arn, before=record, after=None)]
        self.store.commit(ops)
        return {"deleted_principals": arns}
