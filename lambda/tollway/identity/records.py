"""Admin request bodies (LiteLLM's field names) and their validation.

Unknown fields are ignored so LiteLLM scripts that send settings we do not use keep
working; known fields are validated and a mistake is a 400 naming the field. Updates use
``model_fields_set``: only the fields a caller sent change.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from tollway.errors import InvalidRequestError
from tollway.identity.keygen import parse_duration

UserRole = Literal["proxy_admin", "proxy_admin_viewer", "internal_user"]
MemberRole = Literal["admin", "user"]

#: product ranges: budgets in USD, limits per minute / at once
MAX_USD = 1e9
MIN_USD = 1e-9
MAX_LIMIT = 10**12
MAX_METADATA_BYTES = 16_384
MAX_METADATA_DEPTH = 16
#: DynamoDB numbers: magnitude 1e-130 to 9.99...e125, at most 38 significant digits
_DYNAMO_MIN, _DYNAMO_MAX, _DYNAMO_DIGITS = 1e-130, 9.99e125, 38


def _usd(value: float | None) -> float | None:
    if value is not None and 0 < value < MIN_USD:
        raise ValueError(f"must be 0 or at least {MIN_USD:g}")
    return value


def storable(value: Any, *, depth: int = 0) -> None:
    """Raise ValueError unless ``value`` is JSON that DynamoDB can store (numbers in its range)."""
    if depth > MAX_METADATA_DEPTH:
        raise ValueError(f"nests deeper than {MAX_METADATA_DEPTH} levels")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int):
        if len(str(abs(value)).rstrip("0")) > _DYNAMO_DIGITS or abs(value) > _DYNAMO_MAX:
            raise ValueError(f"holds the number {value}, outside what the store keeps (38 significant digits)")
    elif isinstance(value, float):
        if not math.isfinite(value) or (value != 0 and not _DYNAMO_MIN <= abs(value) <= _DYNAMO_MAX):
            raise ValueError(f"holds the number {value!r}, outside what the store keeps "
                             f"(0 or a magnitude from {_DYNAMO_MIN:g} to {_DYNAMO_MAX:g})")
    elif isinstance(value, dict):
        for name, item in value.items():
            if not name or len(name) > 256:  # the store keeps no empty (or huge) map key
                raise ValueError("has an empty key or one longer than 256 characters")
            storable(item, depth=depth + 1)
    elif isinstance(value, list):
        for item in value:
            storable(item, depth=depth + 1)
    else:
        raise ValueError("holds a value that is not JSON")


def _metadata(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None:
        storable(value)
        if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_METADATA_BYTES:
            raise ValueError(f"is larger than {MAX_METADATA_BYTES} bytes of JSON")
    return value


#: an identifier (team, user, project, alias, ...): what a store key holds comfortably
Ident = Annotated[str, Field(min_length=1, max_length=256)]
#: free text (names, e-mails, descriptions)
Text = Annotated[str, Field(max_length=1024)]
Names = Annotated[list[Ident], Field(max_length=1000)]
Usd = Annotated[float, Field(ge=0, le=MAX_USD, allow_inf_nan=False), AfterValidator(_usd)]
Limit = Annotated[int, Field(ge=0, le=MAX_LIMIT)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)  # built on first use: an admin request needs one


def _check_duration(value: str | None, field: str) -> str | None:
    if value is not None:
        try:
            parse_duration(value, field=field)
        except InvalidRequestError:
            raise ValueError(f"'{value}' is not a duration like 30s, 1h or 30d") from None
    return value


class LimitFields(_Body):
    """Budget, rate limits and model access shared by keys, teams, projects and users."""

    models: Names | None = None
    max_budget: Usd | None = None
    budget_duration: str | None = None
    soft_budget: Usd | None = None
    rpm_limit: Limit | None = None
    tpm_limit: Limit | None = None
    max_parallel_requests: Limit | None = None
    metadata: Annotated[dict[str, Any], AfterValidator(_metadata)] | None = None

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
    key_alias: Ident | None = None
    #: a ``/budget/new`` record whose limits apply where the key sets none
    budget_id: Ident | None = None
    duration: str | None = None
    team_id: Ident | None = None
    user_id: Ident | None = None
    project_id: Ident | None = None
    guardrails: Names | None = None
    tags: Names | None = None
    blocked: bool | None = None

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        return _check_duration(value, "duration")


#: a caller-supplied key (``/key/generate {"key": ...}``): ``sk-`` and 16 to 253 URL-safe characters
SUPPLIED_KEY_PATTERN = r"^sk-[A-Za-z0-9_.-]{16,253}$"


class KeyGenerate(KeyFields):
    #: an existing secret to carry over (a migration); stored hashed like a generated one
    key: str | None = Field(default=None, max_length=256, pattern=SUPPLIED_KEY_PATTERN)


class KeyUpdate(KeyFields):
    key: Ident


class KeyRef(_Body):
    key: Ident


class KeyDelete(_Body):
    keys: Names = Field(default_factory=list)
    key_aliases: Names = Field(default_factory=list)

    @field_validator("keys", "key_aliases", mode="before")
    @classmethod
    def _null_is_none(cls, value: Any) -> Any:
        return [] if value is None else value  # LiteLLM's client sends ``"key_aliases": null``


class Member(_Body):
    user_id: Ident | None = None
    user_email: Text | None = None
    role: MemberRole = "user"


class TeamFields(LimitFields):
    team_alias: Text | None = None
    blocked: bool | None = None
    tags: Names | None = None
    #: guardrails every key of the team runs (and cannot switch off)
    guardrails: Names | None = None


class TeamNew(TeamFields):
    team_id: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$")
    members_with_roles: list[Member] = Field(default_factory=list)


class TeamUpdate(TeamFields):
    team_id: Ident


class TeamDelete(_Body):
    team_ids: Annotated[list[Ident], Field(min_length=1, max_length=100)]


class MemberAdd(_Body):
    team_id: Ident
    #: one member or a list of them (LiteLLM takes both); a mistake names ``member[i].<field>``
    member: Annotated[list[Member], Field(min_length=1, max_length=100)]

    @field_validator("member", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, dict) else value

    def members(self) -> list[Member]:
        return self.member


class MemberDelete(_Body):
    team_id: Ident
    user_id: Ident | None = None
    user_email: Text | None = None


class ProjectFields(LimitFields):
    project_alias: Text | None = None
    description: Text | None = None


class ProjectNew(ProjectFields):
    project_id: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$")
    team_id: Ident


class ProjectUpdate(ProjectFields):
    project_id: Ident


class ProjectDelete(_Body):
    project_ids: Annotated[list[Ident], Field(min_length=1, max_length=100)]


class UserFields(LimitFields):
    user_email: Text | None = None
    user_alias: Text | None = None
    user_role: UserRole | None = None


class UserNew(UserFields):
    user_id: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@+-]+$")
    teams: Annotated[list[Ident], Field(max_length=100)] = Field(default_factory=list)
    auto_create_key: bool = True
    key_alias: Ident | None = None
    duration: str | None = None

    @field_validator("duration")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        return _check_duration(value, "duration")


class UserUpdate(UserFields):
    user_id: Ident


class UserDelete(_Body):
    user_ids: Annotated[list[Ident], Field(min_length=1, max_length=100)]


class PrincipalNew(_Body):
    principal_arn: str = Field(min_length=1, max_length=1024, pattern=r"^arn:aws[a-z-]*:(iam|sts)::([0-9]{12}|\*):.+$")
    team_id: Ident | None = None
    user_id: Ident | None = None
    role: UserRole = "internal_user"
    description: Text | None = None


class PrincipalDelete(_Body):
    principal_arns: Annotated[list[Annotated[str, Field(min_length=1, max_length=1024)]],
                              Field(min_length=1, max_length=100)]


class BudgetFields(_Body):
    """LiteLLM's budget table (``/budget/*``); customers and keys reference one by ``budget_id``."""

    max_budget: Usd | None = None
    soft_budget: Usd | None = None
    budget_duration: str | None = None
    max_parallel_requests: Limit | None = None
    tpm_limit: Limit | None = None
    rpm_limit: Limit | None = None
    #: per model: ``{"gpt-4o": {"budget_limit": 10, "time_period": "1d"}}`` (kept, as LiteLLM shows it)
    model_max_budget: Annotated[dict[str, Any], AfterValidator(_metadata)] | None = None

    @field_validator("budget_duration")
    @classmethod
    def _budget_duration(cls, value: str | None) -> str | None:
        return _check_duration(value, "budget_duration")


BUDGET_FIELDS = ("max_budget", "soft_budget", "budget_duration", "max_parallel_requests", "tpm_limit", "rpm_limit",
                 "model_max_budget")


class BudgetNew(BudgetFields):
    budget_id: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$")


class BudgetUpdate(BudgetFields):
    budget_id: Ident


class BudgetInfo(_Body):
    budgets: Annotated[list[Ident], Field(min_length=1, max_length=100)]


class BudgetDelete(_Body):
    id: Ident


class CustomerFields(BudgetFields):
    """An end user (a request's ``user``): LiteLLM's customer fields."""

    alias: Text | None = None
    blocked: bool | None = None
    budget_id: Ident | None = None
    allowed_model_region: Literal["eu", "us"] | None = None
    default_model: Ident | None = None
    models: Names | None = None
    metadata: Annotated[dict[str, Any], AfterValidator(_metadata)] | None = None


CUSTOMER_FIELDS = (*BUDGET_FIELDS, "alias", "blocked", "budget_id", "allowed_model_region", "default_model",
                   "models", "metadata")


class CustomerNew(CustomerFields):
    user_id: Ident


class CustomerUpdate(CustomerFields):
    user_id: Ident


class CustomerIds(_Body):
    #: at most 50: each id is two writes (the record and its audit entry) of one 100-write transaction
    user_ids: Annotated[list[Ident], Field(min_length=1, max_length=50)]
