"""LiteLLM's spend shapes built from Tollway's records and rollups (golden values)."""

from __future__ import annotations

from datetime import date

import pytest

from tollway.metering import litellm_views

RECORD = {"request_id": "req-1", "call_type": "aembedding", "key_digest": "d" * 64, "team_id": "t", "user_id": "u",
          "end_user": None, "model": "emb", "upstream_model": "text-embedding-3-small", "deployment_id": "dep",
          "provider": "openai", "prompt_tokens": 7, "completion_tokens": 0, "cost": 1.4e-07,
          "started_at": "2026-01-31T12:00:00.000000Z", "ended_at": "2026-01-31T12:00:00.250000Z",
          "latency_ms": 250.4, "ttft_ms": 120.0, "status": "success", "tags": ["a"], "metadata": {"job": "x"}}


def test_a_record_becomes_a_litellm_row_with_tollways_fields_alongside() -> None:
    row = litellm_views.log_row(RECORD)
    assert row["api_key"] == row["key_digest"] == "d" * 64
    assert (row["model"], row["model_group"], row["custom_llm_provider"]) == ("text-embedding-3-small", "emb", "openai")
    assert (row["spend"], row["total_tokens"], row["call_type"]) == (1.4e-07, 7, "aembedding")
    assert row["completionStartTime"] == "2026-01-31T12:00:00.120000Z" and row["request_duration_ms"] == 250
    assert (row["user"], row["end_user"], row["request_tags"]) == ("u", "", ["a"])
    assert row["metadata"]["job"] == "x" and row["metadata"]["user_api_key"] == "d" * 64
    assert row["latency_ms"] == 250.4 and row["cost"] == 1.4e-07  # Tollway's own names stay


ROLLUPS = [
    {"day": "2026-01-30", "team_id": "t1", "model": "m1", "key_digest": "k1", "user_id": "u1", "spend": 1.5,
     "prompt_tokens": 10, "completion_tokens": 5},
    {"day": "2026-01-30", "team_id": "-", "model": "m2", "key_digest": "k2", "user_id": "-", "spend": 0.5,
     "prompt_tokens": 1, "completion_tokens": 1},
    {"day": "2026-02-01", "team_id": "t1", "model": "m2", "key_digest": "k1", "user_id": "u1", "spend": 2,
     "prompt_tokens": 3, "completion_tokens": 4},
]


def test_daily_summary_covers_every_day_of_the_range() -> None:
    days = litellm_views.daily_summary(ROLLUPS, date(2026, 1, 30), date(2026, 2, 1))
    assert [d["startTime"] for d in days] == ["2026-01-30", "2026-01-31", "2026-02-01"]
    assert days[0]["spend"] == 2 and days[0]["k1"] == 1.5 and days[0]["users"] == {"u1": 1.5, "": 0.5}
    assert days[1] == {"startTime": "2026-01-31", "spend": 0, "users": {}, "models": {}}


def test_global_reports() -> None:
    assert litellm_views.daily_spend(ROLLUPS) == [{"date": "2026-01-30", "spend": 2},
                                                  {"date": "2026-02-01", "spend": 2}]
    keys = litellm_views.by_key(ROLLUPS)
    assert [k["api_key"] for k in keys] == ["k1", "k2"] and keys[0]["total_cost"] == 3.5
    assert keys[0]["total_input_tokens"] == 13 and len(keys[0]["model_details"]) == 2
    [first, second] = litellm_views.by_team(ROLLUPS, {"t1": "Research"})
    assert first["group_by_day"] == "2026-01-30T00:00:00+00:00"
    assert {t["team_name"]: t["total_spend"] for t in first["teams"]} == {"Research": 1.5, "Unassigned Team": 0.5}
    assert second["teams"][0]["metadata"] == [{"model": "m2", "api_key": "k1", "spend": 2, "total_tokens": 7}]
    assert litellm_views.by_team([], {}) == [] and litellm_views.by_key([]) == []
    assert pytest.approx(sum(t["total_spend"] for d in (first, second) for t in d["teams"])) == 4
