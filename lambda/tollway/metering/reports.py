"""Spend reports from daily rollups (never from the logs): group by team, model, key, user, provider, day or tag.

Each request adds to exactly one combination rollup (its day x team x model x key x user x provider), so
every grouping but ``tag`` sums to the same total as the spend logs of the range. ``tag`` reads the tag
rollups instead (one per day and request tag): a request with two tags counts under both, and one without
tags under none, so its total is the tagged spend, not the whole; tag rollups carry no team or key, so only
callers who may read all spend (``only`` is None) may group by tag.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tollway.errors import PermissionDeniedError

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    from tollway.storage.spend_repo import SpendRepo

#: group -> the rollup attribute holding the group's value
GROUPS: dict[str, str] = {"team": "team_id", "model": "model", "key": "key_digest", "user": "user_id",
                          "provider": "provider", "day": "day", "tag": "tag"}
SUMS = ("spend", "requests", "errors", "prompt_tokens", "completion_tokens", "cached_tokens")


def report(repo: SpendRepo, group_by: str, start: date, end: date, *,
           only: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """Sums per group; ``only`` keeps the rollups a caller may see (each carries every dimension)."""
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPS)}")
    attribute = GROUPS[group_by]
    if group_by == "tag" and only is not None:
        raise PermissionDeniedError("Only admins may group spend by tag.", param="group_by", code="spend_not_allowed")
    totals: dict[str, dict[str, Decimal]] = {}
    for row in repo.rollups(start, end, kind="tag" if group_by == "tag" else "combo"):
        if only is not None and not only(row):
            continue
        bucket = totals.setdefault(str(row.get(attribute) or "-"), {name: Decimal(0) for name in SUMS})
        for name in SUMS:
            bucket[name] += Decimal(str(row.get(name) or 0))
    rows = [{group_by: name, **{k: _plain(v) for k, v in sums.items()}}
            for name, sums in sorted(totals.items(), key=lambda item: (-item[1]["spend"], item[0]))]
    if group_by == "day":
        rows.sort(key=lambda r: r["day"])
    total = {name: _plain(sum((Decimal(str(r[name])) for r in rows), Decimal(0))) for name in SUMS}
    return {"group_by": group_by, "start_date": start.isoformat(), "end_date": end.isoformat(), "rows": rows,
            "total": total}


def tag_spend(repo: SpendRepo, start: date, end: date) -> list[dict[str, Any]]:
    """LiteLLM's ``/spend/tags`` rows: ``individual_request_tag``, ``log_count``, ``total_spend``, most spent first."""
    rows = report(repo, "tag", start, end)["rows"]
    return [{"individual_request_tag": r["tag"], "log_count": r["requests"], "total_spend": r["spend"]}
            for r in rows]


def _plain(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() and value.as_tuple().exponent == 0 else float(value)
