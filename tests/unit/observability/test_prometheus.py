"""The Prometheus registry: exposition format details and bounded label cardinality."""

from __future__ import annotations

from tollway.observability.prometheus import MAX_LABEL_VALUES, OTHER, Registry


def test_label_values_are_bounded_and_escaped() -> None:
    registry = Registry()
    for i in range(MAX_LABEL_VALUES + 50):
        registry.observe_request({"model": f"m{i}", "status": 200, "latency_ms": 5})
    registry.observe_request({"model": "late", "team_id": "t", "status": 500, "latency_ms": 1})
    text = registry.exposition()
    models = {line.split('model="', 1)[1].split('"', 1)[0] for line in text.splitlines()
              if line.startswith("tollway_requests_total")}
    assert len(models) == MAX_LABEL_VALUES + 1 and OTHER in models
    assert f'tollway_requests_total{{model="{OTHER}",team="-",status="200"}} 50' in text
    assert 'tollway_errors_total{model="_other",team="t",error_type="http_500"} 1' in text

    fresh = Registry()
    fresh.observe_request({"model": 'we"ird\\name\n', "status": 200})
    assert 'tollway_requests_total{model="we\\"ird\\\\name\\n",team="-",status="200"} 1' in fresh.exposition()


def test_histogram_buckets_are_cumulative() -> None:
    registry = Registry()
    for ms in (10, 100, 700, 400_000):
        registry.observe_request({"model": "m", "status": 200, "latency_ms": ms})
    lines = [ln for ln in registry.exposition().splitlines() if ln.startswith("tollway_request_duration_seconds")]
    assert 'tollway_request_duration_seconds_bucket{model="m",team="-",le="0.05"} 1' in lines
    assert 'tollway_request_duration_seconds_bucket{model="m",team="-",le="0.1"} 2' in lines
    assert 'tollway_request_duration_seconds_bucket{model="m",team="-",le="1"} 3' in lines
    assert 'tollway_request_duration_seconds_bucket{model="m",team="-",le="300"} 3' in lines
    assert 'tollway_request_duration_seconds_bucket{model="m",team="-",le="+Inf"} 4' in lines
    assert 'tollway_request_duration_seconds_count{model="m",team="-"} 4' in lines
