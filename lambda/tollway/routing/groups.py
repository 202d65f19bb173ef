"""``ModelGroups``: which deployments serve a requested model name.

A name resolves, in this order, to:

1. the ``model_list`` entries with exactly that ``model_name``;
2. the group a ``router_settings.model_group_alias`` names (an alias is served, allowed, priced
   and charged as the model it points to);
3. the most specific wildcard entries whose ``model_name`` pattern matches (``"anthropic/*"``
   before ``"*"``). Each becomes a *concrete* deployment for the requested model: the entry's
   settings with ``litellm_params.model`` filled in (see ``config.wildcards``), ``model_name`` the
   requested name and its own id, so health, cooldowns, allowlists, prices and budgets all
   apply to the concrete model. Concrete deployments are built on first use and kept in a
   bounded LRU cache.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from pydantic import ValidationError

from tollway.config import wildcards
from tollway.config.models import Deployment

if TYPE_CHECKING:
    from collections.abc import Callable

    from tollway.config.models import AliasTarget, Config

#: concrete deployments kept per router (requested names outside the cache are rebuilt, not refused)
MAX_CONCRETE = 512


class ModelGroups:
    def __init__(self, config: Config, *, max_concrete: int = MAX_CONCRETE) -> None:
        groups = config.groups()
        #: exact (non-wildcard) groups, in config order
        self.exact: dict[str, list[Deployment]] = {n: g for n, g in groups.items() if "*" not in n}
        #: wildcard groups, most specific pattern first (config order among equals)
        self.patterns: dict[str, list[Deployment]] = dict(sorted(
            ((n, g) for n, g in groups.items() if "*" in n), key=lambda item: -wildcards.specificity(item[0])))
        self.aliases: dict[str, AliasTarget] = config.router_settings.aliases()
        self.max_concrete = max_concrete
        self._concrete: OrderedDict[str, list[Deployment]] = OrderedDict()
        #: called with the deployments of a concrete model leaving the cache, so that state kept
        #: per deployment id elsewhere (health, adapters) stays bounded too
        self.on_evict: list[Callable[[list[Deployment]], None]] = []

    def resolve(self, name: str) -> list[Deployment] | None:
        """The deployments serving ``name`` (None: nothing does)."""
        group = self.exact.get(name)
        if group is not None:
            return group
        alias = self.aliases.get(name)
        if alias is not None and alias.model != name:
            return self.exact.get(alias.model) or self._from_patterns(alias.model)
        return self._from_patterns(name)

    def pattern_of(self, name: str) -> str | None:
        """The wildcard pattern serving ``name`` when no exact group does (its fallbacks apply to ``name``)."""
        if name in self.exact:
            return None
        return next((p for p in self.patterns if wildcards.match(p, name) is not None), None)

    def visible_aliases(self) -> dict[str, str]:
        """Aliases listed by ``/v1/models`` (not hidden), with the model each names."""
        return {name: alias.model for name, alias in self.aliases.items() if not alias.hidden}

    def _from_patterns(self, name: str) -> list[Deployment] | None:
        cached = self._concrete.get(name)
        if cached is not None:
            self._concrete.move_to_end(name)
            return cached
        for pattern, templates in self.patterns.items():
            captures = wildcards.match(pattern, name)
            if captures is None:
                continue
            group = [d for d in (concrete(t, name, captures) for t in templates) if d is not None]
            if group:
                self._concrete[name] = group
                if len(self._concrete) > self.max_concrete:
                    _, evicted = self._concrete.popitem(last=False)
                    for forget in self.on_evict:
                        forget(evicted)
                return group
        return None


def concrete(template: Deployment, name: str, captures: tuple[str, ...]) -> Deployment | None:
    """The deployment ``template`` (a wildcard entry) makes for the requested ``name``; None when the
    filled-in model names no known provider (``model: "*"`` asked for ``nosuch/x``)."""
    model = wildcards.fill(template.litellm_params.model, captures)
    if "*" in model or not model.strip("/"):
        return None
    data = template.model_dump(exclude_none=True)
    data["model_name"] = name
    data["litellm_params"]["model"] = model
    data["model_info"]["id"] = f"{template.id}/{model}"
    try:
        return Deployment.model_validate(data)
    except ValidationError:
        return None
