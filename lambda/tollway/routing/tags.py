"""Request tags (LiteLLM's): what a request is labelled with, and which deployments may serve it.

A request's tags are, in order and without repeats, its body's ``tags``, its ``metadata.tags`` and the
``x-litellm-tags`` header (comma-separated): at most ``MAX_TAGS`` of at most ``MAX_TAG_LENGTH`` characters
each (beyond that, or a value that is not a list of strings, is a 400 naming the field); then its caller's:
the key's, its team's and its project's ``tags`` and ``metadata.tags`` (set by an admin; ``auth.levels``).
Its spend is recorded under those and the tags of the deployment that answered (LiteLLM's ``request_tags``:
"tags are automatically applied from config"), at most ``MAX_RECORDED`` in all, on the spend log row and
summed per tag and day (``/spend/tags``, ``/spend/report?group_by=tag``).

With ``router_settings.enable_tag_filtering: true`` they also choose deployments, by LiteLLM's rules:

- a request with tags is served by the group's deployments whose ``litellm_params.tags`` share one of them;
  when none does, by the deployments tagged ``default``; when there are none either, it is a 400;
- a request without tags is served by the deployments tagged ``default`` when there are any, else by the
  whole group (untagged deployments included).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tollway.errors import InvalidRequestError

if TYPE_CHECKING:
    from tollway.config.models import Deployment

MAX_TAGS = 16
MAX_TAG_LENGTH = 128
#: the most tags one request's spend is recorded under (one rollup item each in its settlement transaction)
MAX_RECORDED = 32
HEADER = "x-litellm-tags"
DEFAULT_TAG = "default"


def collect(body_tags: Any, metadata: Any, header: str | None) -> list[str]:
    """The request's tags from its three sources (400 for a malformed or oversized one)."""
    found: list[str] = []
    found += _listed(body_tags, "tags")
    if isinstance(metadata, dict):
        found += _listed(metadata.get("tags"), "metadata.tags")
    if header:
        found += [part.strip() for part in header.split(",") if part.strip()]
    tags = list(dict.fromkeys(found))
    if len(tags) > MAX_TAGS:
        raise InvalidRequestError(f"A request may carry at most {MAX_TAGS} tags (it has {len(tags)}).",
                                  param="tags", code="too_many_tags")
    for tag in tags:
        if len(tag) > MAX_TAG_LENGTH:
            raise InvalidRequestError(f"A tag may be at most {MAX_TAG_LENGTH} characters long.", param="tags",
                                      code="tag_too_long")
    return tags


def merged(*sources: Any) -> list[str]:
    """The tags of ``sources`` (lists; anything else is skipped) in order, without repeats, at most ``MAX_RECORDED``."""
    out: dict[str, None] = {}
    for source in sources:
        for tag in source if isinstance(source, list) else ():
            if isinstance(tag, str) and tag.strip():
                out.setdefault(tag.strip()[:MAX_TAG_LENGTH])
    return list(out)[:MAX_RECORDED]


def _listed(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise InvalidRequestError(f"'{field}' must be a list of strings.", param=field)
    return [t.strip() for t in value if t.strip()]


def deployment_tags(deployment: Deployment) -> list[str]:
    value = (deployment.litellm_params.model_extra or {}).get("tags")
    return [str(t) for t in value] if isinstance(value, list) else []


def serving(group: list[Deployment], tags: list[str]) -> list[Deployment]:
    """The deployments of ``group`` that may serve a request carrying ``tags`` (tag filtering on)."""
    defaults = [d for d in group if DEFAULT_TAG in deployment_tags(d)]
    if not tags:
        return defaults or group
    wanted = set(tags)
    matching = [d for d in group if wanted.intersection(deployment_tags(d))]
    if matching or defaults:
        return matching or defaults
    raise InvalidRequestError(
        f"No deployment of '{group[0].model_name}' serves the request's tags ({', '.join(tags)}), and none is "
        f"tagged '{DEFAULT_TAG}' (router_settings.enable_tag_filtering is on).", param="tags",
        code="no_deployments_with_tag_routing")
