"""The gateway config as the stack sees it: validated at synth, mined for IAM scope.

The loader is the gateway's own (``tollway.config.load_config``), so a config that would
fail at runtime fails ``cdk synth`` with the same one-line message. From the validated
config we derive exactly which Bedrock models/profiles and which Secrets Manager secrets
the function may touch; nothing here calls AWS.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tollway.config import Config, load_config
from tollway.config.secrets import SM_PREFIX, is_reference

#: system inference-profile prefixes -> the regions a request may be routed to.
#: "global" has no fixed list: it is granted through region-less foundation-model ARNs.
PROFILE_DESTINATIONS: dict[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-1", "us-west-2"),
    "eu": ("eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
           "eu-west-3"),
    "apac": ("ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1",
             "ap-southeast-2", "ap-southeast-3", "ap-southeast-4"),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-central-1", "ca-west-1"),
    "global": (),
}
#: LiteLLM route hints that may precede a Bedrock model id (``bedrock/converse/<id>``)
ROUTE_HINTS = ("converse/", "invoke/")


class ConfigValidationError(ValueError):
    """The gateway config does not load; the message is the loader's one line."""


@dataclass(frozen=True)
class BedrockTarget:
    """One Bedrock model a deployment calls.

    ``region`` None means "the stack's region". ``profile`` is the system inference-profile
    prefix (``us``, ``eu``, ``global``...) when the id is a cross-region profile; ``arn`` is set
    when the config names a resource ARN directly (application profile, imported model).
    """

    model_id: str
    region: str | None = None
    profile: str | None = None
    arn: str | None = None

    @property
    def profile_id(self) -> str:
        return f"{self.profile}.{self.model_id}"

    @property
    def destination_regions(self) -> tuple[str, ...]:
        return PROFILE_DESTINATIONS.get(self.profile or "", ())


@dataclass(frozen=True)
class GatewayConfig:
    path: Path
    config: Config

    @property
    def bedrock_targets(self) -> list[BedrockTarget]:
        targets = [
            # a region given as os.environ/... is only known at runtime: IAM then uses the stack's region
            bedrock_target(d.upstream_model, None if is_reference(region) else region)
            for d in self.config.model_list
            if d.provider == "bedrock"
            for region in [d.litellm_params.aws_region_name]
        ]
        return list(dict.fromkeys(targets))

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
    if dot and prefix in PROFILE_DESTINATIONS and rest:
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
