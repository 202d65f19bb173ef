"""Spend in the shapes LiteLLM's admin clients parse: spend-log rows, daily summaries, global reports.

Rows come from Tollway's spend records (``metering.spend.build_record``): LiteLLM's fields first
(``api_key`` = the key's SHA-256 digest, ``spend``, ``startTime``/``endTime``, ``model`` = the
upstream model, ``model_group`` = the name the client asked for, ``user`` = the key's internal user,
...), with Tollway's own fields alongside under their own names. Summaries and reports come from
the daily rollups (``metering.reports``), never from the logs. Datetimes are written as LiteLLM
writes them: log times ``2026-01-31T12:00:00.123456Z``, report days ``2026-01-31T00:00:00+00:00``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tollway.storage.values import plain

if TYPE_CHECKING:
    from datetime import date

#: the rollups' placeholder for "none" (``spend_repo.NONE``)
_NONE = "-"


def _time_plus(started: str | None, ms: Any) -> str | None:
    if not started or not isinstance(ms, int | float):
        return None
    from datetime import datetime

    moment = datetime.fromisoformat(started.replace("Z", "+00:00")) + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def log_row(record: dict[str, Any]) -> dict[str, Any]:
    """One spend log as a LiteLLM ``LiteLLM_SpendLogs`` row, Tollway's fields alongside."""
    prompt, completion = int(record.get("prompt_tokens") or 0), int(record.get("completion_tokens") or 0)
    metadata = {**(record.get("metadata") or {}), "user_api_key": record.get("key_digest"),
                "user_api_key_team_id": record.get("team_id"), "user_api_key_user_id": record.get("user_id"),
                "user_api_key_end_user_id": record.get("end_user"), "status": record.get("status")}
    if record.get("error_type"):
        metadata["error_information"] = {"error_class": record["error_type"]}
    latency = record.get("latency_ms")
    litellm = {
        "request_id": record.get("request_id"),
        "call_type": record.get("call_type") or "acompletion",
        "api_key": record.get("key_digest") or "",
        "spend": record.get("cost") or 0.0,
        "total_tokens": prompt + completion,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "startTime": record.get("started_at"),
        "endTime": record.get("ended_at"),
        "completionStartTime": _time_plus(record.get("started_at"), record.get("ttft_ms")),
        "request_duration_ms": int(latency) if isinstance(latency, int | float) else None,
        "model": record.get("upstream_model") or record.get("model") or "",
        "model_id": record.get("deployment_id") or "",
        "model_group": record.get("model") or "",
        "custom_llm_provider": record.get("provider") or "",
        "api_base": "",
        "user": record.get("user_id") or "",
        "metadata": metadata,
        "cache_hit": "",
        "cache_key": "",
        "request_tags": record.get("request_tags") or record.get("tags") or [],
        "team_id": record.get("team_id"),
        "organization_id": None,
        "end_user": record.get("end_user") or "",
        "requester_ip_address": None,
        "messages": {},
        "response": {},
        "session_id": None,
        "status": record.get("status"),
    }
    return {**{k: v for k, v in record.items() if k not in litellm}, **litellm}


def _num(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def _name(value: Any) -> str:
    return "" if value in (None, _NONE) else str(value)


def daily_summary(rollups: list[dict[str, Any]], start: date, end: date) -> list[dict[str, Any]]:
    """LiteLLM's ``/spend/logs`` with a date range: per day, total ``spend``, ``users`` and ``models``
    (spend each) and each key's spend under its digest; every day of the range, oldest first."""
    days: dict[str, dict[str, Any]] = {}
    day = start
    while day <= end:
        days[day.isoformat()] = {"spend": Decimal(0), "users": defaultdict(Decimal), "models": defaultdict(Decimal),
                                 "keys": defaultdict(Decimal)}
        day += timedelta(days=1)
    for row in rollups:
        bucket = days.get(str(row.get("day")))
        if bucket is None:
            continue
        spend = _num(row.get("spend"))
        bucket["spend"] += spend
        bucket["users"][_name(row.get("user_id"))] += spend
        bucket["models"][_name(row.get("model"))] += spend
        bucket["keys"][_name(row.get("key_digest"))] += spend
    out = []
    for name, bucket in days.items():
        keys = {k: plain(v) for k, v in bucket["keys"].items() if k not in ("spend", "users", "models", "startTime")}
        out.append({"startTime": name, "spend": plain(bucket["spend"]), **keys,
                    "users": {k: plain(v) for k, v in bucket["users"].items()},
                    "models": {k: plain(v) for k, v in bucket["models"].items()}})
    return out


def daily_spend(rollups: list[dict[str, Any]], *, api_key: str | None = None) -> list[dict[str, Any]]:
    """LiteLLM's ``/global/spend/logs``: ``{date, spend}`` per day with spend, oldest first (with
    ``api_key`` on each row when the report is for one key)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rollups:
        totals[str(row["day"])] += _num(row.get("spend"))
    extra = {"api_key": api_key} if api_key else {}
    return [{"date": day, "spend": plain(spend), **extra} for day, spend in sorted(totals.items())]


def by_key(rollups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """LiteLLM's ``/global/spend/report`` for ``group_by=api_key`` (and for one key or internal user):
    per key, its cost and tokens and the same per model; highest cost first."""
    keys: dict[str, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(Decimal)))
    for row in rollups:
        model = keys[_name(row.get("key_digest"))][_name(row.get("model"))]
        model["total_cost"] += _num(row.get("spend"))
        model["total_input_tokens"] += _num(row.get("prompt_tokens"))
        model["total_output_tokens"] += _num(row.get("completion_tokens"))
    out = []
    for key, models in keys.items():
        details = [{"model": name, **{k: plain(v) for k, v in sums.items()}} for name, sums in models.items()]
        sums = {name: sum((m[name] for m in models.values()), Decimal(0))
                for name in ("total_cost", "total_input_tokens", "total_output_tokens")}
        out.append({"api_key": key, **{k: plain(v) for k, v in sums.items()}, "model_details": details})
    return sorted(out, key=lambda row: -float(row["total_cost"]))


def by_team(rollups: list[dict[str, Any]], aliases: dict[str, str]) -> list[dict[str, Any]]:
    """LiteLLM's ``/global/spend/report`` for ``group_by=team``: per day, per team (its alias, else
    ``Unassigned Team``), the total and the spend and tokens of each (model, key)."""
    days: dict[str, dict[str, dict[tuple[str, str], list[Decimal]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: [Decimal(0), Decimal(0)])))
    for row in rollups:
        team = _name(row.get("team_id"))
        name = aliases.get(team) or (team if team else "Unassigned Team")
        cell = days[str(row["day"])][name][(_name(row.get("model")), _name(row.get("key_digest")))]
        cell[0] += _num(row.get("spend"))
        cell[1] += _num(row.get("prompt_tokens")) + _num(row.get("completion_tokens"))
    return [{"group_by_day": f"{day}T00:00:00+00:00", "teams": [
        {"team_name": team, "total_spend": plain(sum((c[0] for c in cells.values()), Decimal(0))),
         "metadata": [{"model": model, "api_key": key, "spend": plain(c[0]), "total_tokens": plain(c[1])}
                      for (model, key), c in cells.items()]}
        for team, cells in teams.items()]} for day, teams in sorted(days.items())]
