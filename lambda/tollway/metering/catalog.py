"""The price catalog: LiteLLM's ``model_prices_and_context_window.json`` format, bundled and synced.

Lookup order for a deployment: per-deployment overrides in ``litellm_params`` (``input_cost_per_token``,
``output_cost_per_token``, ``cache_read_input_token_cost``, ``cache_creation_input_token_cost``,
``output_cost_per_reasoning_token``) win over the map entry, which is found by the first hit among
``<provider>/<model>``, ``bedrock/<region>/<model>`` (Bedrock), ``<model>``, and ``model_info.base_model``.
Bedrock cross-region/global inference profiles (``us.``/``eu.``/``global.`` ... prefixes) are looked up
under their own ids first, since their prices differ from the regional model's, then under the base id.

Sync: with ``general_settings.model_cost_map_sync`` the map is re-fetched from
``model_cost_map_url`` every ``model_cost_map_sync_interval`` seconds, in the background of a request
(never blocking it). A document that does not parse, is not a map of entries with numeric, non-negative
prices, or holds fewer than half the entries of the current map (truncated) is rejected: the last good
map stays.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tollway.config.models import Deployment

log = logging.getLogger(__name__)

BUNDLED = Path(__file__).resolve().parent / "data" / "model_prices.json"
DEFAULT_URL = "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
PRICE_FIELDS = ("input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
                "cache_creation_input_token_cost", "output_cost_per_reasoning_token")
BEDROCK_GEO_PREFIXES = ("us.", "eu.", "apac.", "global.", "jp.", "au.", "ca.", "us-gov.")


class CatalogError(ValueError):
    """A price map that must not replace the current one."""


@dataclass(frozen=True)
class ModelPrice:
    """USD per token of each kind; cache and reasoning prices default to the input/output price."""

    input: float = 0.0
    output: float = 0.0
    cache_read: float | None = None
    cache_write: float | None = None
    reasoning: float | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    mode: str = "chat"
    source: str = "catalog"

    @classmethod
    def from_entry(cls, entry: dict[str, Any], *, source: str = "catalog") -> ModelPrice:
        max_out = entry.get("max_output_tokens") or entry.get("max_tokens")
        return cls(
            input=float(entry.get("input_cost_per_token") or 0.0),
            output=float(entry.get("output_cost_per_token") or 0.0),
            cache_read=_opt_float(entry.get("cache_read_input_token_cost")),
            cache_write=_opt_float(entry.get("cache_creation_input_token_cost")),
            reasoning=_opt_float(entry.get("output_cost_per_reasoning_token")),
            max_input_tokens=_opt_int(entry.get("max_input_tokens")),
            max_output_tokens=_opt_int(max_out),
            mode=str(entry.get("mode") or "chat"),
            source=source,
        )


def validate(document: Any, *, previous_size: int = 0) -> dict[str, dict[str, Any]]:
    """The usable entries of a price map, or CatalogError if it must be rejected."""
    if not isinstance(document, dict):
        raise CatalogError("the price map is not a JSON object")
    entries: dict[str, dict[str, Any]] = {}
    for name, entry in document.items():
        if name in ("sample_spec", "_source") or not isinstance(entry, dict):
            continue
        for price_field in PRICE_FIELDS:
            value = entry.get(price_field)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or value < 0:
                raise CatalogError(f"entry '{name}' has an invalid {price_field}: {value!r}")
        entries[name] = entry
    if not entries:
        raise CatalogError("the price map holds no model entries")
    if previous_size and len(entries) < previous_size // 2:
        raise CatalogError(f"the price map looks truncated ({len(entries)} entries, had {previous_size})")
    return entries


def parse(raw: bytes | str, *, previous_size: int = 0) -> dict[str, dict[str, Any]]:
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise CatalogError(f"the price map is not valid JSON: {exc}") from None
    return validate(document, previous_size=previous_size)


class PriceCatalog:
    """Model prices for deployments; the map is loaded on first use and swapped atomically on sync."""

    def __init__(self, entries: dict[str, dict[str, Any]] | None = None, *, sync_url: str | None = None,
                 sync_interval: float = 3600.0) -> None:
        self._entries = entries
        self.sync_url = sync_url
        self.sync_interval = sync_interval
        self.last_sync: float = time.monotonic()
        self.last_error: str | None = None
        self._task: asyncio.Task[bool] | None = None

    @property
    def entries(self) -> dict[str, dict[str, Any]]:
        if self._entries is None:
            try:
                self._entries = parse(BUNDLED.read_bytes())
            except (OSError, CatalogError):  # a broken package must not take requests down: all unpriced
                log.exception("the bundled price map %s is unusable", BUNDLED)
                self._entries = {}
        return self._entries

    def replace(self, entries: dict[str, dict[str, Any]]) -> None:
        self._entries = entries

    # ------------------------------------------------------------------ lookup

    def entry_for(self, deployment: Deployment) -> dict[str, Any] | None:
        entries = self.entries
        for name in candidate_names(deployment):
            found = entries.get(name)
            if found is not None:
                return found
        return None

    def price(self, deployment: Deployment) -> ModelPrice | None:
        """The deployment's prices (catalog entry + overrides), or None when it is unpriced."""
        params = deployment.litellm_params
        overrides = {**(params.model_extra or {}), "input_cost_per_token": params.input_cost_per_token,
                     "output_cost_per_token": params.output_cost_per_token}
        overrides = {k: v for k, v in overrides.items() if k in PRICE_FIELDS and v is not None}
        entry = self.entry_for(deployment)
        if entry is None and not overrides:
            return None
        merged = {**(entry or {}), **overrides}
        info = deployment.model_info
        if info.max_output_tokens:
            merged["max_output_tokens"] = info.max_output_tokens
        if info.max_input_tokens:
            merged["max_input_tokens"] = info.max_input_tokens
        if info.mode:
            merged["mode"] = info.mode
        return ModelPrice.from_entry(merged, source="override" if overrides else "catalog")

    def per_token(self, deployment: Deployment) -> float | None:
        """Input plus output price per token (what cost-based routing compares), None when unpriced."""
        price = self.price(deployment)
        return None if price is None else price.input + price.output

    # ------------------------------------------------------------------ sync

    def maybe_sync(self) -> None:
        """Start a background refresh when one is due (call from async code; never blocks)."""
        if not self.sync_url or (self._task is not None and not self._task.done()):
            return
        if time.monotonic() - self.last_sync < self.sync_interval:
            return
        self.last_sync = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self.sync())

    async def sync(self) -> bool:
        """Fetch the map now; True if it replaced the current one."""
        if not self.sync_url:
            return False
        import httpx

        try:
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.get(self.sync_url)
                response.raise_for_status()
            entries = parse(response.content, previous_size=len(self.entries))
        except (httpx.HTTPError, CatalogError) as exc:
            self.last_error = str(exc)
            log.warning("price map sync from %s rejected: %s", self.sync_url, exc)
            return False
        self.replace(entries)
        self.last_error = None
        return True


def candidate_names(deployment: Deployment) -> list[str]:
    provider, model = deployment.provider, deployment.upstream_model
    names = [deployment.litellm_params.model, f"{provider}/{model}"]
    if provider == "bedrock":
        model = model.removeprefix("converse/").removeprefix("invoke/")
        region = deployment.litellm_params.aws_region_name
        if region:
            names.append(f"bedrock/{region}/{model}")
        names.append(model)
        base = _strip_geo(model)
        if base != model:
            names.append(base)
    else:
        names.append(model)
    base_model = (deployment.model_info.model_extra or {}).get("base_model")
    if isinstance(base_model, str):
        names += [base_model, base_model.partition("/")[2]]
    return [n for n in dict.fromkeys(names) if n]


def _strip_geo(model: str) -> str:
    for prefix in BEDROCK_GEO_PREFIXES:
        if model.startswith(prefix):
            return model[len(prefix):]
    return model


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _opt_int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None
