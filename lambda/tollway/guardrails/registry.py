"""The guardrails a config defines, built once per config (each type's module imported on first use)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from tollway.guardrails.config import module_of

if TYPE_CHECKING:
    from tollway.guardrails.base import Guardrail
    from tollway.guardrails.config import GuardrailConfig

_lock = threading.Lock()
#: id(config list) -> (the list itself, to keep the id valid, and its guardrails by name)
_built: dict[int, tuple[list[GuardrailConfig], dict[str, Guardrail]]] = {}


def build(entries: list[GuardrailConfig]) -> dict[str, Guardrail]:
    """Guardrail objects by name, in config order."""
    out: dict[str, Guardrail] = {}
    for entry in entries:
        common = entry.litellm_params
        module = module_of(common.guardrail)
        params = module.Params.model_validate(common.extra)
        out[entry.guardrail_name] = module.build(entry.guardrail_name, common.guardrail, common, params)
    return out


def guardrails_of(entries: list[GuardrailConfig]) -> dict[str, Guardrail]:
    """``build(entries)``, cached for the lifetime of that config."""
    cached = _built.get(id(entries))
    if cached is not None and cached[0] is entries:
        return cached[1]
    with _lock:
        cached = _built.get(id(entries))
        if cached is None or cached[0] is not entries:
            cached = (entries, build(entries))
            _built[id(entries)] = cached
    return cached[1]
