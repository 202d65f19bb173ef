"""Teams (with members and roles) and the projects inside them.

A team's ``models``, budgets and limits bound every key of the team (the effective
permission is the intersection of a key's levels). Members are separate items so a user
can be looked up by team and a team by user. Deleting a team deletes its members,
projects and keys in the same transaction (at most 100 records).
"""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING, Any

from tollway.errors import ConflictError, InvalidRequestError
from tollway.identity import rbac
from tollway.identity.base import Call, Store, stamp, utcnow
from tollway.identity.keys import KeyService, public
from tollway.identity.records import (
    LIMIT_FIELDS,
    Member,
    MemberAdd,
    MemberDelete,
    ProjectNew,
    ProjectUpdate,
    TeamNew,
    TeamUpdate,
)

if TYPE_CHECKING:
    from tollway.storage.identity_repo import Op

TEAM_FIELDS = (*LIMIT_FIELDS, "team_alias", "blocked", "tags", "guardrails")
PROJECT_FIELDS = (*LIMIT_FIELDS, "project_alias", "description")


class TeamService:
    def __init__(self, store: Store, keys: KeyService) -> None:
        self.store = store
        self.repo = store.repo
        self.keys = keys

    # ------------------------------------------------------------------ teams

    def new(self, call: Call, body: TeamNew) -> dict[str, Any]:
        rbac.require_admin(call.auth, "create teams")
        team_id = body.team_id or str(uuid.uuid4())
        record = stamp({"team_id": team_id, **body.model_dump(include=set(TEAM_FIELDS), exclude_none=True)},
                       call, now=utcnow())
        record.setdefault("blocked", False)
        ops = [self.repo.put_new("team", team_id, record, conflict=f"A team with team_id '{team_id}' already exists."),
               self.store.audit(call, "team.new", "team", team_id, before=None, after=record)]
        ops += self._member_ops(call, team_id, body.members_with_roles)
        self.store.commit(ops)
        return {**public(record), "members_with_roles": self._members(team_id, body.members_with_roles)}

    def _members(self, team_id: str, members: list[Member]) -> list[dict[str, Any]]:
        return [{"user_id": m.user_id, "user_email": m.user_email, "role": m.role} for m in members]

    def info(self, call: Call, team_id: str) -> dict[str, Any]:
        rbac.require_team_read(call.auth, team_id)
        team = self.store.must_get("team", team_id, param="team_id")
        members = self.repo.members(team_id)
        keys = [public(k) for k in self.repo.listing("key") if k.get("team_id") == team_id]
        projects = [p for p in self.repo.listing("project") if p.get("team_id") == team_id]
        return {"team_id": team_id, "team_info": {**public(team), "members_with_roles": members},
                "keys": keys, "projects": [public(p) for p in projects]}

    def listing(self, call: Call) -> list[dict[str, Any]]:
        return [public(t) for t in self.repo.listing("team") if rbac.can_read_team(call.auth, t["team_id"])]

    def listing_v2(self, call: Call, *, page: int, page_size: int, team_id: str | None = None,
                   team_alias: str | None = None, user_id: str | None = None, sort_by: str | None = None,
                   descending: bool = False) -> dict[str, Any]:
        """LiteLLM's ``/v2/team/list``: a page of readable teams; ``team_alias`` matches a case-insensitive
        substring, ``user_id`` keeps the teams that user is in."""
        member_of = {m["team_id"] for m in self.repo.memberships(user_id)} if user_id else None
        needle = (team_alias or "").lower()
        teams = [public(t) for t in self.repo.listing("team") if rbac.can_read_team(call.auth, t["team_id"])
                 and team_id in (None, t["team_id"]) and needle in str(t.get("team_alias") or "").lower()
                 and (member_of is None or t["team_id"] in member_of)]
        if sort_by:
            teams.sort(key=lambda t: (t.get(sort_by) is None, str(t.get(sort_by) or "")), reverse=descending)
        elif descending:
            teams.reverse()
        return {"teams": teams[(page - 1) * page_size: page * page_size], "total": len(teams), "page": page,
                "page_size": page_size, "total_pages": max(1, math.ceil(len(teams) / page_size))}

    def available(self, call: Call, offered: list[str]) -> list[dict[str, Any]]:
        """LiteLLM's ``/team/available``: of the teams the config offers to join
        (``litellm_settings.default_internal_user_params.available_teams``), those the caller is not in."""
        if not offered:
            return []
        joined = {m["team_id"] for m in self.repo.memberships(call.auth.user_id)} if call.auth.user_id else set()
        found = self.repo.get_many([("team", t) for t in dict.fromkeys(offered) if t not in joined])
        return [public(found[("team", t)]) for t in dict.fromkeys(offered) if ("team", t) in found]

    def update(self, call: Call, body: TeamUpdate) -> dict[str, Any]:
        rbac.require_admin(call.auth, "update teams")
        previous = self.store.must_get("team", body.team_id, param="team_id")
        changes = {k: getattr(body, k) for k in body.model_fields_set if k in TEAM_FIELDS}
        record = stamp({**previous, **changes}, call, now=utcnow(), previous=previous)
        self.store.commit([self.repo.replace("team", body.team_id, record, version=previous.get("version")),
                           self.store.audit(call, "team.update", "team", body.team_id, before=previous, after=record)])
        return {"team_id": body.team_id, "data": public(record)}  # LiteLLM's shape

    def delete(self, call: Call, team_ids: list[str]) -> dict[str, Any]:
        rbac.require_admin(call.auth, "delete teams")
        ops: list[Op] = []
        keys = self.repo.listing("key")
        projects = self.repo.listing("project")
        for team_id in dict.fromkeys(team_ids):
            team = self.store.must_get("team", team_id, param="team_ids")
            ops.append(self.repo.delete("team", team_id, missing=f"No team with team_id '{team_id}'."))
            ops.append(self.store.audit(call, "team.delete", "team", team_id, before=team, after=None))
            ops += [self.repo.delete("member", f"{team_id}/{m['user_id']}") for m in self.repo.members(team_id)]
            ops += [self.repo.delete("project", p["project_id"]) for p in projects if p.get("team_id") == team_id]
            for key in keys:
                if key.get("team_id") == team_id:
                    ops += self.keys.delete_ops(call, key)
        self.store.commit(ops)
        return {"deleted_teams": team_ids}

    # ------------------------------------------------------------------ members

    def _member_ops(self, call: Call, team_id: str, members: list[Member]) -> list[Op]:
        ops: list[Op] = []
        users = self.repo.get_many([("user", m.user_id) for m in members if m.user_id])
        for member in members:
            if not member.user_id:
                raise InvalidRequestError("Missing required parameter: 'member.user_id'.", param="member.user_id")
            if ("user", member.user_id) not in users:  # LiteLLM creates unknown members as internal users
                user = stamp({"user_id": member.user_id, "user_email": member.user_email,
                              "user_role": "internal_user"}, call, now=utcnow())
                ops.append(self.repo.put_new("user", member.user_id, user, conflict="The user was created meanwhile."))
                ops.append(self.store.audit(call, "user.new", "user", member.user_id, before=None, after=user))
            record = {"team_id": team_id, "user_id": member.user_id, "role": member.role}
            ops.append(self.repo.put_new("member", f"{team_id}/{member.user_id}", record,
                                         conflict=f"User '{member.user_id}' is already in team '{team_id}'."))
            ops.append(self.store.audit(call, "team.member_add", "team", team_id, before=None, after=record))
        return ops

    def member_add(self, call: Call, body: MemberAdd) -> dict[str, Any]:
        rbac.require_team_admin(call.auth, body.team_id, "add members to this team")
        self.store.must_get("team", body.team_id, param="team_id")
        members = body.members()
        if not rbac.is_admin(call.auth) and any(m.role == "admin" for m in members):
            raise rbac.deny("make team admins")
        self.store.commit(self._member_ops(call, body.team_id, members))
        return self._with_members(call, body.team_id, [m.user_id for m in members if m.user_id])

    def _with_members(self, call: Call, team_id: str, added: list[str]) -> dict[str, Any]:
        """The team after a member change, as LiteLLM answers ``/team/member_add``: the team's fields,
        its ``members_with_roles``, and the users and memberships the call wrote."""
        team = self.store.must_get("team", team_id, param="team_id")
        members = self.repo.members(team_id)
        users = self.repo.get_many([("user", u) for u in added])
        return {**public(team), "members_with_roles": members,
                "updated_users": [public(u) for u in users.values()],
                "updated_team_memberships": [m for m in members if m["user_id"] in added]}

    def member_delete(self, call: Call, body: MemberDelete) -> dict[str, Any]:
        rbac.require_team_admin(call.auth, body.team_id, "remove members from this team")
        if not body.user_id:
            raise InvalidRequestError("Missing required parameter: 'user_id'.", param="user_id")
        member = self.store.must_get("member", f"{body.team_id}/{body.user_id}", param="user_id")
        self.store.commit([
            self.repo.delete("member", f"{body.team_id}/{body.user_id}", missing="The member was removed meanwhile."),
            self.store.audit(call, "team.member_delete", "team", body.team_id, before=member, after=None)])
        return {"team_id": body.team_id, "members_with_roles": self.repo.members(body.team_id)}

    # ------------------------------------------------------------------ projects

    def project_new(self, call: Call, body: ProjectNew) -> dict[str, Any]:
        rbac.require_team_admin(call.auth, body.team_id, "create projects in this team")
        self.store.must_get("team", body.team_id, param="team_id")
        project_id = body.project_id or str(uuid.uuid4())
        record = stamp({"project_id": project_id, "team_id": body.team_id,
                        **body.model_dump(include=set(PROJECT_FIELDS), exclude_none=True)}, call, now=utcnow())
        self.store.commit([
            self.repo.put_new("project", project_id, record,
                              conflict=f"A project with project_id '{project_id}' already exists."),
            self.store.audit(call, "project.new", "project", project_id, before=None, after=record)])
        return public(record)

    def project_info(self, call: Call, project_id: str) -> dict[str, Any]:
        project = self.store.must_get("project", project_id, param="project_id")
        rbac.require_team_read(call.auth, project["team_id"])
        return public(project)

    def project_list(self, call: Call, team_id: str | None) -> list[dict[str, Any]]:
        return [public(p) for p in self.repo.listing("project")
                if rbac.can_read_team(call.auth, p["team_id"]) and (team_id is None or p["team_id"] == team_id)]

    def project_update(self, call: Call, body: ProjectUpdate) -> dict[str, Any]:
        previous = self.store.must_get("project", body.project_id, param="project_id")
        rbac.require_team_admin(call.auth, previous["team_id"], "update projects of this team")
        changes = {k: getattr(body, k) for k in body.model_fields_set if k in PROJECT_FIELDS}
        record = stamp({**previous, **changes}, call, now=utcnow(), previous=previous)
        self.store.commit([
            self.repo.replace("project", body.project_id, record, version=previous.get("version")),
            self.store.audit(call, "project.update", "project", body.project_id, before=previous, after=record)])
        return public(record)

    def project_delete(self, call: Call, project_ids: list[str]) -> dict[str, Any]:
        ops: list[Op] = []
        keys = self.repo.listing("key")
        for project_id in dict.fromkeys(project_ids):
            project = self.store.must_get("project", project_id, param="project_ids")
            rbac.require_team_admin(call.auth, project["team_id"], "delete projects of this team")
            if any(k.get("project_id") == project_id for k in keys):
                raise ConflictError(f"Project '{project_id}' still has keys; delete them first.",
                                    param="project_ids")
            ops += [self.repo.delete("project", project_id, missing=f"No project '{project_id}'."),
                    self.store.audit(call, "project.delete", "project", project_id, before=project, after=None)]
        self.store.commit(ops)
        return {"deleted_projects": project_ids}
