"""The gateway config as the stack sees it: validated at synth, mined for IAM scope.

The loader is the gateway's own (``tollway.config.load_config``), so a config that would
fail at runtime fails ``cdk synth`` with the same one-line message. From the validated
config we derive exactly which Bedrock models/profiles and which Secrets Manager secrets
the function may touch; nothing here calls AWS.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tollway.config import Config, load_config
from tollway.config.secrets import SM_PREFIX, is_reference

#: system (cross-region) inference-profile prefixes. Their destination regions are not listed here:
#: AWS changes them, so IAM grants the model in any region, only through the profile (iam_policies.py).
PROFILE_PREFIXES = ("us", "eu", "apac", "jp", "au", "ca", "us-gov", "global")
#: LiteLLM route hints that may precede a Bedrock model id (``bedrock/converse/<id>``)
ROUTE_HINTS = ("converse/", "invoke/")


class ConfigValidationError(ValueError):
    """The gateway config does not load; the message is the loader's one line."""


@dataclass(frozen=True)
class BedrockTarget:
    """One Bedrock model a deployment calls.

    ``region`` None means "the stack's region". ``profile`` is the system inference-profile
    prefix (``us``, ``eu``, ``global``...) when the id is a cross-region profile; ``arn`` is set
    when the config names a resource ARN directly (application profile, imported model), and
    ``base_model`` the foundation model behind an application profile when the config says
    (``model_info.base_model``).
    """

    model_id: str
    region: str | None = None
    profile: str | None = None
    arn: str | None = None
    base_model: str | None = None

    @property
    def profile_id(self) -> str:
        return f"{self.profile}.{self.model_id}"


@dataclass(frozen=True)
class GatewayConfig:
    path: Path
    config: Config

    @property
    def bedrock_targets(self) -> list[BedrockTarget]:
        targets = []
        for d in self.config.model_list:
            if d.provider != "bedrock":
                continue
            # aws_region_name wins over aws_region, as at runtime; a reference is only known at runtime:
            # IAM then uses the stack's region
            region = d.litellm_params.aws_region_name or (d.litellm_params.model_extra or {}).get("aws_region")
            target = bedrock_target(d.upstream_model, None if not region or is_reference(region) else str(region))
            base = (d.model_info.model_extra or {}).get("base_model")
            if target.arn and isinstance(base, str) and base:
                bare = base.removeprefix("bedrock/")
                target = replace(target, base_model=bedrock_target(bare, None).model_id)
            targets.append(target)
        return list(dict.fromkeys(targets))

    @property
    def providers(self) -> frozenset[str]:
        """The provider prefixes the config's deployments use (``openai``, ``vertex_ai``...)."""
        return frozenset(d.provider for d in self.config.model_list)

    @property
    def alert_topic_arn(self) -> str | None:
        """The SNS topic soft-budget alerts go to (``general_settings.soft_budget_alert_topic_arn``)."""
        topic = self.config.general_settings.soft_budget_alert_topic_arn
        return topic if topic and topic.startswith("arn:") else None

    @property
    def secret_ids(self) -> list[str]:
        """Secret names or ARNs referenced as ``secretsmanager/<id>[#json-key]`` anywhere in the config."""
        found: list[str] = []
        _collect_secret_ids(self.config.model_dump(mode="python"), found)
        return list(dict.fromkeys(found))


def load_gateway_config(path: str | Path) -> GatewayConfig:
    """Validate ``path`` with the gateway's loader; raise ConfigValidationError with its message."""
    from tollway.errors import ConfigError

    try:
        config = load_config(path)
    except ConfigError as exc:
        raise ConfigValidationError(str(exc)) from None
    from tollway.config.unhonoured import warning_line

    if (unhonoured := warning_line(config)) is not None:
        print(f"tollway: warning: {path}: {unhonoured}", file=sys.stderr)
    return GatewayConfig(Path(path), config)


def bedrock_target(upstream_model: str, region: str | None) -> BedrockTarget:
    """Parse a ``bedrock/...`` model (without the provider prefix) into what IAM must allow."""
    model = upstream_model
    for hint in ROUTE_HINTS:
        model = model.removeprefix(hint)
    if model.startswith("arn:"):
        parts = model.split(":", 5)
        resource = parts[5] if len(parts) == 6 else ""
        if resource.startswith("inference-profile/"):
            return bedrock_target(resource.removeprefix("inference-profile/"), parts[3] or region)
        if resource.startswith("foundation-model/"):
            return BedrockTarget(resource.removeprefix("foundation-model/"), parts[3] or region)
        return BedrockTarget(model, parts[3] or region, arn=model)
    prefix, dot, rest = model.partition(".")
    if dot and prefix in PROFILE_PREFIXES and rest:
        return BedrockTarget(rest, region, profile=prefix)
    return BedrockTarget(model, region)


def _collect_secret_ids(value: Any, found: list[str]) -> None:
    if isinstance(value, str):
        if value.startswith(SM_PREFIX) and len(value) > len(SM_PREFIX):
            found.append(value[len(SM_PREFIX):].partition("#")[0])
    elif isinstance(value, dict):
        for item in value.values():
            _collect_secret_ids(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect_secret_ids(item, found)
