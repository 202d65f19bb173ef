"""Admin request bodies (LiteLLM's field names) and their validation.

Unknown fields are ignored so LiteLLM scripts that send settings we do not use keep
working; known fields are validated and a mistake is a 400 naming the field. Updates use
``model_fields_set``: only the fields a caller sent change.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tollway.errors import InvalidRequestError
from tollway.identity.keygen import parse_duration

UserRole = Literal["proxy_admin", "proxy_admin_viewer", "internal_user"]
MemberRole = Literal["admin", "user"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _check_duration(value: str | None, field: str) -> str | None:
    if value is not None:
        try:
            parse_duration(value, field=field)
        except InvalidRequestError:
            raise ValueError(f"'{value}' is not a duration like 30s, 1h or 30d") from None
    return value


class LimitFields(_Body):
    """Budget, rate limits and model access shared by keys, teams, projects and users."""

    models: list[str] | None = None
    max_budget: float | None = Field(default=None, ge=0)
    budget_duration: str | None = None
    soft_budget: float | None = Field(default=None, ge=0)
    rpm_limit: int | None = Field(default=None, ge=0)
    tpm_limit: int | None = Field(default=None, ge=0)
    max_parallel_requests: int | None = Field(default=None, ge=0)
    metadata: dict[str, Any] | None = None

    @field_validator("budget_duration")
    @classmethod
    def _budget_duration(cls, value: str | None) -> str | None:
        return _check_duration(value, "budget_duration")

    @field_validator("models")
    @classmethod
    def _models(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not m.strip() for m in value):
            raise ValueError("model names must not be empty")
        return value


LIMIT_FIELDS = ("models", "max_budget", "budget_duration", "soft_budget", "rpm_limit", "tpm_limit",
                "max_parallel_requests", "metadata")


class KeyFields(LimitFields):
    key_alias: str | None = Field(default=None, min_length=1, max_length=256)
    duration: str | None = None
    team_id: str | None = None
    user_id: str | None = None
    project_id: str | None = None
    guardrails: list[str] | None = None
    tags: list[str] | None = None
    blocked: bool | None = None

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        return _check_duration(value, "duration")


class KeyGenerate(KeyFields):
    pass


class KeyUpdate(KeyFields):
    key: str = Field(min_length=1)


class KeyRef(_Body):
    key: str = Field(min_length=1)


class KeyDelete(_Body):
    keys: list[str] = Field(default_factory=list)
    key_aliases: list[str] = Field(default_factory=list)


class Member(_Body):
    user_id: str | None = None
    user_email: str | None = None
    role: MemberRole = "user"


class TeamFields(LimitFields):
    team_alias: str | None = None
    blocked: bool | None = None
    tags: list[str] | None = None
    #: guardrails every key of the team runs (and cannot switch off)
    guardrails: list[str] | None = None


class TeamNew(TeamFields):
    team_id: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$")
    members_with_roles: list[Member] = Field(default_factory=list)


class TeamUpdate(TeamFields):
    team_id: str = Field(min_length=1)


class TeamDelete(_Body):
    team_ids: list[str] = Field(min_length=1)


class MemberAdd(_Body):
    team_id: str = Field(min_length=1)
    member: Member | list[Member]

    def members(self) -> list[Member]:
        return self.member if isinstance(self.member, list) else [self.member]


class MemberDelete(_Body):
    team_id: str = Field(min_length=1)
    user_id: str | None = None
    user_email: str | None = None


class ProjectFields(LimitFields):
    project_alias: str | None = None
    description: str | None = None


class ProjectNew(ProjectFields):
    project_id: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$")
    team_id: str = Field(min_length=1)


class ProjectUpdate(ProjectFields):
    project_id: str = Field(min_length=1)


class ProjectDelete(_Body):
    project_ids: list[str] = Field(min_length=1)


class UserFields(LimitFields):
    user_email: str | None = None
    user_alias: str | None = None
    user_role: UserRole | None = None


class UserNew(UserFields):
    user_id: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@+-]+$")
    teams: list[str] = Field(default_factory=list)
    auto_create_key: bool = True
    key_alias: str | None = None
    duration: str | None = None

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        return _check_duration(value, "duration")


class UserUpdate(UserFields):
    user_id: str = Field(min_length=1)


class UserDelete(_Body):
    user_ids: list[str] = Field(min_length=1)


class PrincipalNew(_Body):
    principal_arn: str = Field(min_length=1, pattern=r"^arn:aws[a-z-]*:(iam|sts)::(\d{12}|\*):.+$")
    team_id: str | None = None
    user_id: str | None = None
    role: UserRole = "internal_user"
    description: str | None = None


class PrincipalDelete(_Body):
    principal_arns: list[str] = Field(min_length=1)
