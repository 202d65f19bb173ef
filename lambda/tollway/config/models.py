"""The config file's schema: LiteLLM's ``config.yaml`` (the subset Tollway honours).

Unknown keys are kept, not rejected, so that a LiteLLM config with settings we do not
use still loads unchanged. Values may be secret references (see ``secrets``); they are
kept as written here and resolved only when used.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tollway.config.credentials import CREDENTIAL_KEY, CredentialItem, check_unique_credentials
from tollway.config.names import PROVIDER_NAMES, STRATEGY_NAMES, infer_provider
from tollway.config.regions import Region, region_of
from tollway.config.wildcards import match as matches_pattern
from tollway.guardrails.config import GuardrailConfig, check_unique

#: ``Deployment.provider`` of a ``model: "*"`` entry (the provider is named by each request)
ANY_PROVIDER = "*"


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class LiteLLMParams(_Open):
    """How to reach one deployment. Extra keys are provider-specific settings or call defaults."""

    model: str
    api_key: str | None = None
    api_base: str | None = None
    api_version: str | None = None
    aws_region_name: str | None = None
    #: where the deployment runs for a customer's ``allowed_model_region`` (``config.regions``): eu, us
    region_name: str | None = None
    rpm: int | None = Field(default=None, ge=0)
    tpm: int | None = Field(default=None, ge=0)
    weight: float | None = Field(default=None, ge=0)
    timeout: float | None = Field(default=None, gt=0)
    stream_timeout: float | None = Field(default=None, gt=0)
    max_retries: int | None = Field(default=None, ge=0)
    input_cost_per_token: float | None = Field(default=None, ge=0)
    output_cost_per_token: float | None = Field(default=None, ge=0)
    mock_latency_ms: float | None = Field(default=None, ge=0)


class ModelInfo(_Open):
    id: str | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    mode: str | None = None
    access_groups: list[str] = Field(default_factory=list)


class Deployment(_Open):
    """One ``model_list`` entry: a concrete upstream model behind a client-facing name."""

    model_name: str
    litellm_params: LiteLLMParams
    model_info: ModelInfo = Field(default_factory=ModelInfo)

    @field_validator("model_name")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _known_provider(self) -> Deployment:
        model = self.litellm_params.model
        if model.count("*") > self.model_name.count("*"):
            raise ValueError(f"model '{model}' has a '*' that model_name '{self.model_name}' does not fill")
        provider = self.provider  # raises ValueError naming the problem
        if provider != ANY_PROVIDER and provider not in PROVIDER_NAMES:
            known = ", ".join(sorted(PROVIDER_NAMES))
            raise ValueError(f"unknown provider '{provider}' in model '{model}' (known: {known})")
        return self

    @property
    def is_pattern(self) -> bool:
        """A wildcard entry (``model_name`` with ``*``): it serves concrete models built per request."""
        return "*" in self.model_name

    @property
    def provider(self) -> str:
        """The provider prefix; ``*`` for a ``model: "*"`` entry, whose provider each request names."""
        if self.litellm_params.model == "*":
            return ANY_PROVIDER
        return infer_provider(self.litellm_params.model)[0]

    @property
    def upstream_model(self) -> str:
        """The model id sent to the provider (the part after the provider prefix)."""
        return infer_provider(self.litellm_params.model)[1]

    @functools.cached_property
    def id(self) -> str:
        """Stable deployment id: ``model_info.id`` or a digest of what makes it distinct.

        Computed once and kept in the instance's ``__dict__`` (pydantic leaves a ``cached_property`` out of
        fields, dumps and equality): read on every request many times, a plain attribute read. A private
        attribute was not: each read went through pydantic's ``__getattr__``, which raises and catches an
        ``AttributeError`` inside, about 3.5 us a read.
        """
        if self.model_info.id:
            return self.model_info.id
        p = self.litellm_params
        basis = "|".join((self.model_name, p.model, p.api_base or "", p.aws_region_name or "", p.api_version or ""))
        return hashlib.sha256(basis.encode()).hexdigest()[:12]

    @functools.cached_property
    def region(self) -> Region | None:
        """``eu``, ``us`` or None (unknown): where the deployment runs (``config.regions``), computed once."""
        if self.provider == ANY_PROVIDER:
            return None
        p = self.litellm_params
        return region_of(self.provider, p.model, region_name=p.region_name, aws_region_name=p.aws_region_name,
                         extras=p.model_extra or {})


class AliasTarget(_Open):
    """The long form of a ``model_group_alias`` value: ``{model: gpt-4o, hidden: true}``."""

    model: str
    hidden: bool = False


class RouterSettings(_Open):
    routing_strategy: str = "simple-shuffle"
    num_retries: int = Field(default=0, ge=0)
    timeout: float | None = Field(default=None, gt=0)
    stream_timeout: float | None = Field(default=None, gt=0)
    allowed_fails: int = Field(default=3, ge=0)
    cooldown_time: float = Field(default=30, ge=0)
    fallbacks: list[dict[str, list[str]]] = Field(default_factory=list)
    context_window_fallbacks: list[dict[str, list[str]]] = Field(default_factory=list)
    content_policy_fallbacks: list[dict[str, list[str]]] = Field(default_factory=list)
    default_fallbacks: list[str] = Field(default_factory=list)
    #: another name for a model group (LiteLLM's); hidden aliases are not listed by ``/v1/models``
    model_group_alias: dict[str, str | AliasTarget] = Field(default_factory=dict)

    def aliases(self) -> dict[str, AliasTarget]:
        """``model_group_alias`` with every value in the long form."""
        return {name: AliasTarget(model=target) if isinstance(target, str) else target
                for name, target in self.model_group_alias.items()}

    @field_validator("routing_strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        if value not in STRATEGY_NAMES:
            raise ValueError(f"unknown strategy '{value}' (known: {', '.join(STRATEGY_NAMES)})")
        return value


class LiteLLMSettings(_Open):
    """``litellm_settings``. The router keys LiteLLM also reads here (its module-wide defaults) apply
    when ``router_settings`` leaves them unset (``Config._router_defaults``); ``router_settings`` wins."""

    drop_params: bool = False
    request_timeout: float | None = Field(default=None, gt=0)
    num_retries: int | None = Field(default=None, ge=0)
    allowed_fails: int | None = Field(default=None, ge=0)
    cooldown_time: float | None = Field(default=None, ge=0)
    fallbacks: list[dict[str, list[str]]] | None = None
    context_window_fallbacks: list[dict[str, list[str]]] | None = None
    content_policy_fallbacks: list[dict[str, list[str]]] | None = None
    default_fallbacks: list[str] | None = None
    max_fallbacks: int | None = Field(default=None, ge=0)


class GeneralSettings(_Open):
    master_key: str | None = None
    model_cost_map_sync: bool = False
    # metering (see docs/metering.md)
    model_cost_map_url: str | None = None
    model_cost_map_sync_interval: float = Field(default=3600, gt=0)
    provider_budgets: dict[str, dict[str, Any]] = Field(default_factory=dict)
    max_end_user_budget: float | None = Field(default=None, ge=0)
    refuse_unpriced_models: bool = False
    spend_logs_retention_days: int = Field(default=90, ge=0)
    store_prompts_in_spend_logs: bool = False
    soft_budget_alert_topic_arn: str | None = None
    reservation_ttl_seconds: float = Field(default=900, gt=0)
    budget_min_output_tokens: int = Field(default=16, ge=1)
    #: 429 (the SDKs' RateLimitError), 422 or LiteLLM's own 400, each with LiteLLM's type ``budget_exceeded``
    budget_exceeded_status: Literal[429, 422, 400] = 429
    # CORS for browser apps (see docs/configuration.md); LiteLLM's name first, then Tollway's
    allowed_origins: list[str] | None = None
    cors_allow_origins: list[str] | None = None
    cors_allow_methods: list[str] = Field(default_factory=lambda: ["GET", "POST", "DELETE", "OPTIONS"])
    cors_allow_headers: list[str] = Field(default_factory=lambda: ["*"])
    cors_expose_headers: list[str] = Field(default_factory=lambda: [
        "x-request-id", "x-tollway-response-cost", "x-tollway-overhead-ms", "x-tollway-deployment",
        "x-tollway-attempts", "x-tollway-budget-clamped", "x-tollway-key-spend", "x-litellm-key-spend",
        "retry-after", "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
        "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens"])
    cors_allow_credentials: bool = False
    cors_max_age: int = Field(default=600, ge=0)
    #: requests to the model APIs without ``user`` are a 400 (LiteLLM's)
    enforce_user_param: bool = False
    #: no spend log rows (budgets, counters and rollups stay exact)
    disable_spend_logs: bool = False
    # Responses API state (docs/responses.md)
    responses_visibility: Literal["key", "team"] = "key"
    responses_retention_days: float = Field(default=30, gt=0)


class Config(_Open):
    model_list: list[Deployment] = Field(default_factory=list)
    router_settings: RouterSettings = Field(default_factory=RouterSettings)
    litellm_settings: LiteLLMSettings = Field(default_factory=LiteLLMSettings)
    general_settings: GeneralSettings = Field(default_factory=GeneralSettings)
    environment_variables: dict[str, Any] = Field(default_factory=dict)
    guardrails: list[GuardrailConfig] = Field(default_factory=list)  # see tollway.guardrails.config
    credential_list: list[CredentialItem] = Field(default_factory=list)  # see tollway.config.credentials

    @field_validator("model_list", "router_settings", "litellm_settings", "general_settings",
                     "environment_variables", "guardrails", "credential_list", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any, info: Any) -> Any:
        # ``model_list:`` with nothing under it is YAML null; treat it as empty.
        if value is None:
            return [] if info.field_name in ("model_list", "guardrails", "credential_list") else {}
        return value

    @model_validator(mode="after")
    def _named_credentials(self) -> Config:
        """Each deployment naming a ``credential_list`` entry gets the values it does not set itself (LiteLLM's
        rule); an unknown name is an error naming the deployment and the credential."""
        by_name = {item.credential_name: item for item in check_unique_credentials(self.credential_list)}
        for index, deployment in enumerate(self.model_list):
            name = (deployment.litellm_params.model_extra or {}).get(CREDENTIAL_KEY)
            if name is None:
                continue
            item = by_name.get(str(name))
            if item is None:
                known = ", ".join(sorted(by_name)) or "none defined"
                raise ValueError(f"model_list (model_name '{deployment.model_name}').litellm_params.{CREDENTIAL_KEY}: "
                                 f"unknown credential '{name}' (credential_list has: {known})")
            data = deployment.model_dump(exclude_none=True)
            data["litellm_params"] = {**item.credential_values, **data["litellm_params"]}
            self.model_list[index] = Deployment.model_validate(data)
        return self

    @model_validator(mode="after")
    def _aliases_name_models(self) -> Config:
        names = {d.model_name for d in self.model_list}
        patterns = [n for n in names if "*" in n]
        for alias, target in self.router_settings.aliases().items():
            if target.model not in names and not any(matches_pattern(p, target.model) for p in patterns):
                raise ValueError(f"router_settings.model_group_alias.{alias}: '{target.model}' is not a model_name "
                                 "in model_list (nor matched by a wildcard entry)")
        return self

    @model_validator(mode="after")
    def _router_defaults(self) -> Config:
        """LiteLLM's ``Router`` takes each of these from ``router_settings``, else from ``litellm_settings``
        (``num_retries or litellm.num_retries``): counts when unset, lists when empty. ``cooldown_time`` too, as
        LiteLLM's reliability docs place it there."""
        router, defaults = self.router_settings, self.litellm_settings
        for name in ("num_retries", "allowed_fails", "cooldown_time"):
            value = getattr(defaults, name)
            if value is not None and name not in router.model_fields_set:
                setattr(router, name, value)
        for name in ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks", "default_fallbacks"):
            value = getattr(defaults, name)
            if value and not getattr(router, name):
                setattr(router, name, value)
        extras = router.model_extra if router.model_extra is not None else {}
        if defaults.max_fallbacks is not None and "max_fallbacks" not in extras:
            extras["max_fallbacks"] = defaults.max_fallbacks
        return self

    @field_validator("guardrails")
    @classmethod
    def _unique_guardrails(cls, value: list[GuardrailConfig]) -> list[GuardrailConfig]:
        return check_unique(value)

    def groups(self) -> dict[str, list[Deployment]]:
        """Deployments by client-facing model name, in config order."""
        out: dict[str, list[Deployment]] = {}
        for deployment in self.model_list:
            out.setdefault(deployment.model_name, []).append(deployment)
        return out

    @property
    def default_timeout(self) -> float:
        return self.router_settings.timeout or self.litellm_settings.request_timeout or 600.0
