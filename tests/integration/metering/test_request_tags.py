"""Request tags (body ``tags``, ``metadata.tags``, ``x-litellm-tags``) on spend log rows, in ``/spend/tags`` and
``/spend/report?group_by=tag``; ``disable_spend_logs`` writes no rows and keeps rollups and budgets exact."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.metering.conftest import CALL_COST, MOCK_MODEL, chat_body
from tests.integration.metering.support import StaticLookup
from tollway.auth.context import AuthContext, Limits

ADMIN = {"authorization": f"Bearer {MASTER_KEY}"}


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _logs(url: str, key_digest: str) -> list[dict[str, Any]]:
    page = httpx.get(f"{url}/spend/logs", params={"key_digest": key_digest, "start_date": _today(),
                                                   "limit": "100"}, headers=ADMIN)
    assert page.status_code == 200, page.text
    return page.json()["data"]  # type: ignore[no-any-return]


def test_tags_are_recorded_and_summed(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    gw = start_gateway({"model_list": [MOCK_MODEL]})
    gw.app.state.gateway.auth.lookup = StaticLookup({"sk-t": AuthContext(kind="virtual_key", key_digest=f"k-{uid}")})
    client = openai.OpenAI(base_url=gw.base_url, api_key="sk-t", max_retries=0)
    a, b, c = f"a-{uid}", f"b-{uid}", f"c-{uid}"
    client.chat.completions.create(**chat_body(), extra_body={"tags": [a, b]})  # type: ignore[arg-type]
    client.chat.completions.create(**chat_body(), extra_headers={"x-litellm-tags": f"{b}, {c}"})  # type: ignore[arg-type]
    client.chat.completions.create(**chat_body(), metadata={"tags": [c]})  # type: ignore[arg-type]
    client.chat.completions.create(**chat_body())  # type: ignore[arg-type]
    stream = client.chat.completions.create(**chat_body(stream=True), extra_headers={"x-litellm-tags": a})  # type: ignore[arg-type]
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    rows = _logs(gw.url, f"k-{uid}")
    assert sorted(tuple(r.get("request_tags") or ()) for r in rows) == sorted([(a, b), (b, c), (c,), (), (a,)])
    cost_of = {tag: sum(r["cost"] for r in rows if tag in (r.get("request_tags") or ())) for tag in (a, b, c)}
    assert cost_of[b] == pytest.approx(2 * CALL_COST)

    tags = httpx.get(f"{gw.url}/spend/tags", params={"start_date": _today()}, headers=ADMIN)
    assert tags.status_code == 200
    mine = {row["individual_request_tag"]: row for row in tags.json() if row["individual_request_tag"].endswith(uid)}
    assert {t: r["log_count"] for t, r in mine.items()} == {a: 2, b: 2, c: 2}
    assert {t: r["total_spend"] for t, r in mine.items()} == pytest.approx(cost_of)

    report = httpx.get(f"{gw.url}/spend/report", params={"group_by": "tag", "start_date": _today()}, headers=ADMIN)
    by_tag = {row["tag"]: row for row in report.json()["rows"]}
    assert by_tag[b]["requests"] == 2 and by_tag[b]["spend"] == pytest.approx(cost_of[b])


def test_spend_by_tag_is_for_admins(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    gw = start_gateway({"model_list": [MOCK_MODEL]})
    gw.app.state.gateway.auth.lookup = StaticLookup({"sk-t": AuthContext(kind="virtual_key", key_digest=f"k-{uid}")})
    mine = {"authorization": "Bearer sk-t"}
    assert httpx.get(f"{gw.url}/spend/tags", headers=mine).status_code == 403
    report = httpx.get(f"{gw.url}/spend/report", params={"group_by": "tag"}, headers=mine)
    assert report.status_code == 403 and report.json()["error"]["param"] == "group_by"


def test_malformed_or_too_many_tags_are_a_400(start_gateway) -> None:  # type: ignore[no-untyped-def]
    gw = start_gateway({"model_list": [MOCK_MODEL]})
    client = openai.OpenAI(base_url=gw.base_url, api_key=MASTER_KEY, max_retries=0)
    with pytest.raises(openai.BadRequestError, match="at most 16 tags"):
        client.chat.completions.create(**chat_body(), extra_body={"tags": [f"t{i}" for i in range(17)]})  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError, match="'tags' must be a list of strings"):
        client.chat.completions.create(**chat_body(), extra_body={"tags": "one"})  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError, match="at most 128 characters"):
        client.chat.completions.create(**chat_body(), extra_headers={"x-litellm-tags": "x" * 129})  # type: ignore[arg-type]


def test_disable_spend_logs_keeps_rollups_and_budgets(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    gw = start_gateway({"model_list": [MOCK_MODEL], "general_settings": {"disable_spend_logs": True}})
    auth = AuthContext(kind="virtual_key", key_digest=f"k-{uid}", limits=(
        Limits(scope="key", scope_id=f"k-{uid}", max_budget=2.5 * CALL_COST),))
    gw.app.state.gateway.auth.lookup = StaticLookup({"sk-b": auth})
    client = openai.OpenAI(base_url=gw.base_url, api_key="sk-b", max_retries=0)
    for _ in range(2):
        client.chat.completions.create(**chat_body(), extra_body={"tags": [f"z-{uid}"]})  # type: ignore[arg-type]
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(**chat_body())  # type: ignore[arg-type]
    assert _logs(gw.url, f"k-{uid}") == []
    report = httpx.get(f"{gw.url}/spend/report", params={"group_by": "key", "start_date": _today()}, headers=ADMIN)
    row = next(r for r in report.json()["rows"] if r["key"] == f"k-{uid}")
    assert row["requests"] >= 2 and row["spend"] == pytest.approx(2 * CALL_COST)
    tags = httpx.get(f"{gw.url}/spend/tags", params={"start_date": _today()}, headers=ADMIN).json()
    assert [r["log_count"] for r in tags if r["individual_request_tag"] == f"z-{uid}"] == [2]


def test_key_and_deployment_tags_join_the_request_tags(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    tagged = {**MOCK_MODEL, "litellm_params": {**MOCK_MODEL["litellm_params"], "tags": [f"dep-{uid}"]}}  # type: ignore[dict-item]
    gw = start_gateway({"model_list": [tagged]})
    key = AuthContext(kind="virtual_key", key_digest=f"k-{uid}", metadata={"tags": [f"key-{uid}"]})
    gw.app.state.gateway.auth.lookup = StaticLookup({"sk-k": key})
    client = openai.OpenAI(base_url=gw.base_url, api_key="sk-k", max_retries=0)
    client.chat.completions.create(**chat_body(), extra_body={"tags": [f"req-{uid}"]})  # type: ignore[arg-type]
    client.chat.completions.create(**chat_body())  # type: ignore[arg-type]
    rows = _logs(gw.url, f"k-{uid}")
    assert sorted(r["request_tags"] for r in rows) == sorted([[f"req-{uid}", f"key-{uid}", f"dep-{uid}"],
                                                               [f"key-{uid}", f"dep-{uid}"]])
    tags = httpx.get(f"{gw.url}/spend/tags", params={"start_date": _today()}, headers=ADMIN).json()
    counts = {r["individual_request_tag"]: r["log_count"] for r in tags if r["individual_request_tag"].endswith(uid)}
    assert counts == {f"req-{uid}": 1, f"key-{uid}": 2, f"dep-{uid}": 2}

