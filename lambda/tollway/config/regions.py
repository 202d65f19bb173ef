"""Where a deployment runs, in the terms of a customer's ``allowed_model_region``: ``"eu"``, ``"us"`` or unknown.

A leaf module (names as data, no runtime imports). A deployment's region comes from its ``litellm_params``:

1. ``region_name`` (LiteLLM's parameter, for any provider): ``eu`` / ``us``, or a location named as below;
2. else the location the provider's adapter calls: Bedrock and SageMaker their AWS region
   (``aws_region_name``, else ``aws_region``), Vertex AI its ``vertex_location`` (``vertex_ai_location``,
   else ``aws_region_name``, as ``providers.vertex_ai`` reads them);
3. anything else (Azure without ``region_name``, OpenAI, Anthropic, the mock...) is unknown.

A location is in the EU when it is ``eu`` or starts with ``eu-`` (AWS: ``eu-central-1``, ``eu-west-1``,
``eu-north-1``, ``eu-south-2``...) or ``europe-`` (Google Cloud: ``europe-west4``, ``europe-north1``...);
in the US when it is ``us`` or starts with ``us-`` (``us-east-1``, ``us-gov-west-1``, ``us-central1``...).
Other locations (``ap-*``, ``ca-central-1``, Vertex's ``global``) are neither. A value read from the environment
(``os.environ/NAME``) counts as written; one kept in Secrets Manager is unknown (it is not read to route).
A Bedrock ``global.`` inference profile may run in any commercial region, whatever ``aws_region_name``
says: unknown. An unknown region never serves a customer restricted to one.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Mapping

Region = Literal["eu", "us"]
REGIONS: tuple[Region, ...] = ("eu", "us")
#: location prefixes -> region (AWS regions, Google Cloud locations)
PREFIXES: tuple[tuple[str, Region], ...] = (("eu-", "eu"), ("europe-", "eu"), ("us-", "us"))
#: providers that call an AWS region
AWS_PROVIDERS = frozenset({"bedrock", "sagemaker", "sagemaker_chat"})
_ENV = "os.environ/"
_GLOBAL_PROFILE = re.compile(r"(^|[/:])global\.")


def region_of(provider: str, model: str, *, region_name: str | None, aws_region_name: str | None,
              extras: Mapping[str, object]) -> Region | None:
    """The region of a deployment of ``provider`` (its ``litellm_params``: ``model``, ``region_name``,
    ``aws_region_name`` and the other settings in ``extras``); None: unknown."""
    if region_name:
        return location_region(region_name)
    if provider in AWS_PROVIDERS:
        if provider == "bedrock" and _GLOBAL_PROFILE.search(model):
            return None
        return location_region(aws_region_name or _text(extras.get("aws_region")))
    if provider == "vertex_ai":
        return location_region(_text(extras.get("vertex_location")) or _text(extras.get("vertex_ai_location"))
                               or aws_region_name)
    return None


def location_region(location: str | None) -> Region | None:
    """The region of a location name (``eu``, ``eu-west-1``, ``europe-west4``, ``us-east-1``...); None otherwise."""
    if location and location.startswith(_ENV):
        location = os.environ.get(location[len(_ENV):])
    value = (location or "").strip().lower()
    exact = next((region for region in REGIONS if value == region), None)
    return exact or next((region for prefix, region in PREFIXES if value.startswith(prefix)), None)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
