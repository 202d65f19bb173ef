"""Virtual keys: generate, info, list, update, block/unblock, regenerate, delete.

A key record lives under its digest (``token``); ``key_alias`` is unique (an alias item
written in the same transaction). The raw key only exists in the generate/regenerate
answer. Responses use LiteLLM's field names.
"""

from __future__ import annotations

import math
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from tollway.errors import InvalidRequestError, NotFoundError
from tollway.identity import controls, keygen, rbac
from tollway.identity.base import Call, Store, stamp, utcnow
from tollway.identity.records import LIMIT_FIELDS, KeyFields, KeyGenerate, KeyUpdate

if TYPE_CHECKING:
    from tollway.storage.identity_repo import Op

KEY_FIELDS = (*LIMIT_FIELDS, "key_alias", "team_id", "user_id", "project_id", "guardrails", "tags", "blocked",
              "budget_id")
_CAPS = ("max_budget", "soft_budget", "rpm_limit", "tpm_limit", "max_parallel_requests")


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A key record as the admin API shows it (the digest is LiteLLM's ``token``)."""
    return {k: v for k, v in record.items() if k != "version"}


class KeyService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.repo = store.repo

    # ------------------------------------------------------------------ helpers

    def find(self, reference: str, *, param: str = "key") -> dict[str, Any]:
        return self.store.must_get("key", keygen.token_of(reference), param=param)

    def owner(self, user_id: str | None) -> rbac.Owner | None:
        """The user a key of ``user_id`` acts as (its role and teams); None if none or unknown."""
        if user_id is None:
            return None
        user = self.repo.get("user", user_id)
        if user is None:
            return None
        teams = tuple(m["team_id"] for m in self.repo.memberships(user_id))
        return rbac.Owner(user_id=user_id, role=str(user.get("user_role") or "internal_user"), teams=teams)

    def _require_manage(self, call: Call, record: dict[str, Any], action: str) -> None:
        rbac.require_key_change(call.auth, record, action, self.owner(record.get("user_id")))

    def _require_grant(self, call: Call, after: dict[str, Any], bound: dict[str, Any] | None, *,
                       action: str) -> None:
        """The key as it will be: one the caller may hold, and no looser than ``bound`` unless the
        caller administers its team (``bound``: the key before the change, or the caller's key)."""
        rbac.require_key_create(call.auth, after.get("team_id"), after.get("user_id"),
                                self.owner(after.get("user_id")))
        if bound is not None and not rbac.administers(call.auth, after.get("team_id")):
            controls.require_no_looser(after, bound, action=action)

    def _presented(self, call: Call) -> dict[str, Any] | None:
        """The key the caller authenticated with (it bounds the keys the caller derives from it)."""
        return self.repo.get("key", call.auth.key_digest) if call.auth.key_digest else None

    def _check_refs(self, call: Call, fields: dict[str, Any]) -> None:
        """Referenced team/user/project exist, the project is in the team, team admins stay in limits."""
        team_id, user_id, project_id = fields.get("team_id"), fields.get("user_id"), fields.get("project_id")
        refs = [(k, v) for k, v in (("team", team_id), ("user", user_id), ("project", project_id),
                                    ("budget", fields.get("budget_id"))) if v]
        found = self.repo.get_many(refs)
        for kind, ident in refs:
            if (kind, ident) not in found:
                raise NotFoundError(f"No {kind} with {kind}_id '{ident}'.", param=f"{kind}_id",
                                    code=f"{kind}_not_found")
        if project_id:
            project_team = found[("project", project_id)].get("team_id")
            if team_id is None:
                fields["team_id"] = team_id = project_team
            elif project_team != team_id:
                raise InvalidRequestError(f"Project '{project_id}' belongs to another team.", param="project_id")
        if team_id and not rbac.is_admin(call.auth):
            team = found.get(("team", team_id)) or self.store.must_get("team", team_id, param="team_id")
            within_team_limits(fields, team)

    def _alias_ops(self, token: str, old: str | None, new: str | None) -> list[Op]:
        if old == new:
            return []
        ops = []
        if old:
            ops.append(self.repo.delete("alias", old))
        if new:
            ops.append(self.repo.put_new("alias", new, {"token": token},
                                         conflict=f"A key with key_alias '{new}' already exists."))
        return ops

    # ------------------------------------------------------------------ operations

    def generate(self, call: Call, body: KeyGenerate) -> dict[str, Any]:
        fields = body.model_dump(include=set(KEY_FIELDS), exclude_none=True)
        if "user_id" not in fields and call.auth.user_id and not rbac.administers(call.auth, fields.get("team_id")):
            fields["user_id"] = call.auth.user_id  # an internal user's key is its own
        fields.setdefault("blocked", False)
        if body.duration:
            fields["expires"] = keygen.expiry(body.duration)
        bound = None if rbac.administers(call.auth, fields.get("team_id")) else self._presented(call)
        if bound is not None:
            fields = controls.inherit(fields, bound)
        self._check_refs(call, fields)
        self._require_grant(call, fields, bound, action="create a key")
        if body.key is not None:  # an existing secret carried over: same checks, its own audit action
            return self._issue(call, fields, None, action="key.import", raw=body.key)
        return self._issue(call, fields, None, action="key.generate")

    def _issue(self, call: Call, fields: dict[str, Any], duration: str | None, *, action: str,
               previous: dict[str, Any] | None = None, raw: str | None = None) -> dict[str, Any]:
        ops, answer = self.issue_ops(call, fields, duration, action=action, previous=previous, raw=raw)
        self.store.commit(ops)
        return answer

    def issue_ops(self, call: Call, fields: dict[str, Any], duration: str | None, *, action: str,
                  previous: dict[str, Any] | None = None,
                  raw: str | None = None) -> tuple[list[Op], dict[str, Any]]:
        """The writes that issue a secret (for ``fields``, or replacing ``previous``), and the answer.

        ``raw``: a caller-supplied secret (else a new random one); if a key with it exists, 409.
        """
        conflict = "A key with this value already exists." if raw else "Key collision; retry."
        raw = raw or keygen.new_key()
        token = keygen.digest(raw)
        expires = keygen.expiry(duration) if duration else fields.get("expires", (previous or {}).get("expires"))
        record = {**fields, "token": token, "key_name": keygen.display_name(raw), "expires": expires}
        record = stamp(record, call, now=utcnow(), previous=previous)  # a regenerated key keeps its history
        ops = [self.repo.put_new("key", token, record, conflict=conflict)]
        if previous is None:
            ops += self._alias_ops(token, None, record.get("key_alias"))
        else:
            ops.append(self.repo.delete("key", previous["token"], missing="The key was deleted meanwhile."))
            if previous.get("key_alias") == record.get("key_alias") and record.get("key_alias"):
                ops.append(self.repo.replace("alias", record["key_alias"], {"token": token}, version=None))
            else:
                ops += self._alias_ops(token, previous.get("key_alias"), record.get("key_alias"))
        ops.append(self.store.audit(call, action, "key", token, before=previous, after=record))
        return ops, {**public(record), "key": raw}

    def info(self, call: Call, reference: str | None) -> dict[str, Any]:
        if reference is None:
            if call.auth.key_digest is None:
                raise InvalidRequestError("Missing required parameter: 'key'.", param="key")
            reference = call.auth.key_digest
        record = self.find(reference)
        rbac.require_key_read(call.auth, record)
        return {"key": record["token"], "info": public(record)}

    def listing(self, call: Call, *, page: int, size: int, team_id: str | None = None, user_id: str | None = None,
             key_alias: str | None = None, full: bool = False, search: str | None = None) -> dict[str, Any]:
        """A page of the keys this caller may read; ``search`` matches a case-insensitive substring of the
        alias, display name, team, user or digest."""
        needle = (search or "").strip().lower()
        records = [r for r in self.repo.listing("key") if rbac.can_read_key(call.auth, r)
                   and (team_id is None or r.get("team_id") == team_id)
                   and (user_id is None or r.get("user_id") == user_id)
                   and (key_alias is None or r.get("key_alias") == key_alias)
                   and (not needle or _matches(r, needle))]
        chunk = records[(page - 1) * size: page * size]
        return {"keys": [public(r) for r in chunk] if full else [r["token"] for r in chunk],
                "total_count": len(records), "current_page": page,
                "total_pages": max(1, math.ceil(len(records) / size))}

    def aliases(self, call: Call, *, page: int, size: int, search: str | None = None,
                team_id: str | None = None) -> dict[str, Any]:
        """LiteLLM's ``/key/aliases``: the aliases of the keys the caller may read, sorted, a page at a time;
        ``search`` matches a case-insensitive substring."""
        needle = (search or "").lower()
        found = sorted({str(r["key_alias"]) for r in self.repo.listing("key")
                        if r.get("key_alias") and rbac.can_read_key(call.auth, r)
                        and team_id in (None, r.get("team_id")) and needle in str(r["key_alias"]).lower()})
        return {"aliases": found[(page - 1) * size: page * size], "total_count": len(found), "current_page": page,
                "total_pages": math.ceil(len(found) / size), "size": size}

    def update(self, call: Call, body: KeyUpdate) -> dict[str, Any]:
        previous = self.find(body.key)
        self._require_manage(call, previous, "update this key")
        changes = {k: getattr(body, k) for k in body.model_fields_set if k in KEY_FIELDS}
        if "duration" in body.model_fields_set:
            changes["expires"] = keygen.expiry(body.duration)
        return self._change(call, previous, changes, "key.update")

    def set_blocked(self, call: Call, reference: str, blocked: bool) -> dict[str, Any]:
        previous = self.find(reference)
        self._require_manage(call, previous, "block or unblock this key")
        return self._change(call, previous, {"blocked": blocked}, "key.block" if blocked else "key.unblock")

    def _change(self, call: Call, previous: dict[str, Any], changes: dict[str, Any], action: str) -> dict[str, Any]:
        merged = {**previous, **changes}
        if {"team_id", "user_id", "project_id", "budget_id", *_CAPS, "models"} & changes.keys():
            self._check_refs(call, merged)
        self._require_grant(call, merged, previous, action="change this key")
        record = stamp(merged, call, now=utcnow(), previous=previous)
        token = previous["token"]
        ops = [self.repo.replace("key", token, record, version=previous.get("version")),
               *self._alias_ops(token, previous.get("key_alias"), record.get("key_alias")),
               self.store.audit(call, action, "key", token, before=previous, after=record)]
        self.store.commit(ops)
        return public(record)

    def regenerate(self, call: Call, reference: str, body: KeyFields | None = None) -> dict[str, Any]:
        """A new secret for the same key record; the old secret stops working at once."""
        previous = self.find(reference)
        self._require_manage(call, previous, "regenerate this key")
        fields = {k: v for k, v in previous.items()
                  if k not in ("token", "key_name", "created_at", "updated_at", "created_by", "updated_by", "version")}
        if body is not None:
            fields.update({k: getattr(body, k) for k in body.model_fields_set if k in KEY_FIELDS})
            if body.duration:
                fields["expires"] = keygen.expiry(body.duration)
            if {"team_id", "user_id", "project_id", *_CAPS, "models"} & body.model_fields_set:
                self._check_refs(call, fields)
        self._require_grant(call, fields, previous, action="regenerate this key")
        return self._issue(call, fields, None, action="key.regenerate", previous=previous)

    def delete(self, call: Call, references: list[str], aliases: list[str]) -> dict[str, Any]:
        if not references and not aliases:
            raise InvalidRequestError("Missing required parameter: 'keys'.", param="keys")
        records = [self.find(ref, param="keys") for ref in references]
        for alias in aliases:
            link = self.store.must_get("alias", alias, param="key_aliases")
            records.append(self.store.must_get("key", link["token"], param="key_aliases"))
        ops: list[Op] = []
        for record in {r["token"]: r for r in records}.values():
            self._require_manage(call, record, "delete this key")
            ops += self.delete_ops(call, record)
        self.store.commit(ops)
        return {"deleted_keys": references + aliases}

    def delete_ops(self, call: Call, record: dict[str, Any]) -> list[Op]:
        token = record["token"]
        return [self.repo.delete("key", token, missing=f"No key '{token}'."),
                *self._alias_ops(token, record.get("key_alias"), None),
                self.store.audit(call, "key.delete", "key", token, before=record, after=None)]


def _matches(record: dict[str, Any], needle: str) -> bool:
    return any(needle in str(record.get(name) or "").lower()
               for name in ("key_alias", "key_name", "team_id", "user_id", "token"))


def within_team_limits(fields: dict[str, Any], team: dict[str, Any]) -> None:
    """A team admin's key may not exceed its team's caps or reach outside its models (403)."""
    for cap in _CAPS:
        mine, theirs = fields.get(cap), team.get(cap)
        if theirs is not None and mine is not None and mine > theirs:
            raise rbac.deny(f"set {cap} above the team's {cap} ({theirs})")
    team_models = team.get("models") or []
    for model in fields.get("models") or []:
        if team_models and not any(model == m or fnmatchcase(model, m) for m in team_models):
            raise rbac.deny(f"grant model '{model}', which the team may not use")
