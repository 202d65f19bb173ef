"""Wildcard model names (LiteLLM's ``model_name: "*"`` / ``"openai/*"``) as pure string functions.

A pattern's ``*`` matches one or more characters. The parts a request's name fills in
are substituted, in order, for the ``*`` of the entry's ``litellm_params.model``:

- ``model_name: "anthropic/*"``, ``model: "anthropic/*"``: ``anthropic/claude-x`` -> ``anthropic/claude-x``
- ``model_name: "*"``, ``model: "openai/*"``: ``gpt-4o`` -> ``openai/gpt-4o`` (and ``openai/gpt-4o``
  keeps its one prefix)
- ``model_name: "*"``, ``model: "*"``: the request names ``<provider>/<model>`` itself
- ``model_name: "claude-*"``, ``model: "anthropic/claude-sonnet-4-5"``: every match goes to that model
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=256)
def compile_pattern(model_name: str) -> re.Pattern[str]:
    """The regex that a requested name must match in full for ``model_name`` to serve it."""
    return re.compile("(.+?)".join(re.escape(part) for part in model_name.split("*")) + r"\Z", re.DOTALL)


def match(model_name: str, requested: str) -> tuple[str, ...] | None:
    """What each ``*`` of ``model_name`` matched in ``requested`` (None: no match)."""
    found = compile_pattern(model_name).match(requested)
    return found.groups() if found else None


def fill(template: str, captures: tuple[str, ...]) -> str:
    """``template`` (an entry's ``litellm_params.model``) with its ``*`` replaced by ``captures`` in order."""
    parts = template.split("*")
    if len(parts) == 1:
        return template
    out = parts[0]
    for index, rest in enumerate(parts[1:]):
        value = captures[index] if index < len(captures) else ""
        if index == 0 and out.endswith("/") and value.startswith(out):
            value = value[len(out):]  # "openai/gpt-4o" through "openai/*" keeps one prefix
        out += value + rest
    return out


def specificity(model_name: str) -> int:
    """How specific a pattern is (its literal characters): more specific patterns are tried first."""
    return len(model_name) - model_name.count("*")
