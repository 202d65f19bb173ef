"""A key's controls, and the rule that only an administrator of a key loosens them.

Controls are what limit a key: ``blocked``, ``max_budget``, ``budget_duration``,
``rpm_limit``, ``tpm_limit``, ``max_parallel_requests``, ``models``, ``expires``,
``guardrails`` (also those named in ``metadata.guardrails``), and the ``team_id`` and
``project_id`` whose levels bound it.

Who set a control is not recorded; the rule is positional instead: a caller that
administers the key's team (a proxy admin, or that team's admin within the team's caps)
may set controls freely; anyone else — an internal user on its own keys — may only keep
or tighten them. A key such a caller creates is bounded by the key it presented: controls
it does not give are inherited from that key, and none may be looser.
"""

from __future__ import annotations

from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from tollway.errors import PermissionDeniedError

CAPS = ("max_budget", "rpm_limit", "tpm_limit", "max_parallel_requests")
#: the controls a derived key inherits from the key that created it
INHERITED = (*CAPS, "models", "budget_duration", "guardrails", "expires", "team_id", "project_id")


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def guardrails(record: dict[str, Any]) -> set[str]:
    metadata = record.get("metadata") or {}
    named = metadata.get("guardrails") if isinstance(metadata, dict) else None
    return set(record.get("guardrails") or []) | set(named if isinstance(named, list) else [])


def models_within(models: list[str] | None, bound: list[str] | None) -> bool:
    """Whether every model of ``models`` is one ``bound`` allows (an empty list allows all)."""
    if not bound:
        return True
    return bool(models) and all(any(m == b or fnmatchcase(m, b) for b in bound) for m in models or [])


def loosened(after: dict[str, Any], bound: dict[str, Any]) -> list[str]:
    """The controls of ``after`` that are looser than ``bound``'s, by field name."""
    found = [cap for cap in CAPS if bound.get(cap) is not None and (after.get(cap) is None or after[cap] > bound[cap])]
    if not models_within(after.get("models"), bound.get("models")):
        found.append("models")
    if bound.get("blocked") and not after.get("blocked"):
        found.append("blocked")
    if bound.get("expires") and (not after.get("expires") or _moment(after["expires"]) > _moment(bound["expires"])):
        found.append("duration")
    if bound.get("budget_duration") and after.get("budget_duration") != bound["budget_duration"]:
        found.append("budget_duration")
    if guardrails(bound) - guardrails(after):
        found.append("guardrails")
    found += [ref for ref in ("team_id", "project_id") if bound.get(ref) and after.get(ref) != bound[ref]]
    return found


def inherit(fields: dict[str, Any], bound: dict[str, Any]) -> dict[str, Any]:
    """``fields`` with each control it does not set taken from ``bound``."""
    return {**fields, **{name: bound[name] for name in INHERITED if name not in fields and bound.get(name) is not None}}


def require_no_looser(after: dict[str, Any], bound: dict[str, Any], *, action: str) -> None:
    """403 naming the first control ``after`` loosens (only an admin of the key may do that)."""
    found = loosened(after, bound)
    if found:
        raise PermissionDeniedError(
            f"Your role is not allowed to {action} with a looser '{found[0]}' than its bound "
            "(the key before the change, or the key you called with); an admin of the key can.",
            param=found[0], code="forbidden")
