"""EMF lines: only the dimension sets the dashboard reads, opt-in extras, dimensionless counters."""

from __future__ import annotations

import json

import pytest

from tollway.observability import metrics

RECORD = {"team_id": "t1", "model": "gpt-4o", "provider": "openai", "status": "success", "prompt_tokens": 10,
          "completion_tokens": 5, "cached_tokens": 0, "cost": 0.002, "latency_ms": 120.5, "ttft_ms": 40,
          "request_id": "req-1", "key_digest": "k1"}


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def _sets(doc: dict) -> dict[tuple[str, ...], list[str]]:  # type: ignore[type-arg]
    directives = doc["_aws"]["CloudWatchMetrics"]
    return {tuple(d["Dimensions"][0]): sorted(m["Name"] for m in d["Metrics"]) for d in directives}


def test_one_line_per_request_with_only_the_read_sets(capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(metrics.EXTRA_DIMENSIONS_ENV, raising=False)
    metrics.emit_request(RECORD)
    (doc,) = _lines(capsys)
    assert _sets(doc) == {
        ("Team",): ["CostUSD", "Requests"],
        ("Model",): ["CachedTokens", "CostUSD", "InputTokens", "LatencyMs", "OutputTokens", "TTFTMs"],
        ("Provider",): ["CostUSD", "Errors"],
    }
    assert (doc["Team"], doc["Model"], doc["Provider"]) == ("t1", "gpt-4o", "openai")
    assert (doc["Requests"], doc["Errors"], doc["CostUSD"], doc["LatencyMs"]) == (1, 0, 0.002, 120.5)
    assert doc["request_id"] == "req-1" and doc["key_digest"] == "k1"
    assert {d["Namespace"] for d in doc["_aws"]["CloudWatchMetrics"]} == {"Tollway"}


def test_series_count_at_five_teams_four_models_three_providers() -> None:
    """The figure docs/deploy.md prices: 40 series, down from 288."""
    per_value = {dims[0]: len([n for n in names if n != "PriceMissing"]) for dims, names in metrics.DEFAULT_DIRECTIVES}
    assert per_value["Team"] * 5 + per_value["Model"] * 4 + per_value["Provider"] * 3 == 40


def test_opted_in_sets_carry_every_request_metric(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(metrics.EXTRA_DIMENSIONS_ENV, "Team+Model; Nonsense; Team+Model")
    metrics.emit_request({**RECORD, "status": "error", "ttft_ms": None})
    (doc,) = _lines(capsys)
    sets = _sets(doc)
    assert sets[("Team", "Model")] == ["CachedTokens", "CostUSD", "Errors", "InputTokens", "LatencyMs",
                                       "OutputTokens", "Requests"]  # TTFT absent: no value, no metric
    assert len(sets) == 4 and doc["Errors"] == 1


def test_dimensionless_counter_for_other_modules(capsys: pytest.CaptureFixture[str]) -> None:
    metrics.emit("SettlementsQueued", request_id="req-9")
    (doc,) = _lines(capsys)
    (directive,) = doc["_aws"]["CloudWatchMetrics"]
    assert directive == {"Namespace": "Tollway", "Dimensions": [[]],
                         "Metrics": [{"Name": "SettlementsQueued", "Unit": "Count"}]}
    assert doc["SettlementsQueued"] == 1 and doc["request_id"] == "req-9"


def test_each_line_is_flushed(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    class Recorder(io.StringIO):
        flushes = 0

        def flush(self) -> None:
            Recorder.flushes += 1

    out = Recorder()
    monkeypatch.setattr(sys, "stdout", out)
    metrics.emit_request(RECORD)
    metrics.emit_alert("key", "k1", 5.0, 4.0)
    assert Recorder.flushes == 2 and len(out.getvalue().splitlines()) == 2
