"""Bad input on admin routes: a 400 naming the field, never a 500 (issue 18 item 8).

Each case failed before its fix: numbers outside DynamoDB's range reached the store and came
back as 500 "The identity store rejected the change."; Unicode digits in query integers
raised in ``int()``; ``/audit?until=`` alone sent an empty key condition; a spend-log
cursor of the wrong shape reached the store (the storage layer now checks cursors itself).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.hardening.store_gateway import store_gateway
from tests.integration.hardening.support import assert_error, client


@pytest.fixture(scope="module")
def http(dynamodb_endpoint: str, _fake_openai_server: Any) -> Iterator[httpx.Client]:
    _, upstream = _fake_openai_server
    with store_gateway(f"{upstream.url}/v1") as gateway, client(gateway.url) as c:
        yield c


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


LONG = "x" * 3000
BODIES: list[tuple[str, dict[str, Any], str]] = [
    ("/key/generate", {"max_budget": 1e200}, "max_budget"),
    ("/key/generate", {"max_budget": 5e-324}, "max_budget"),
    ("/key/generate", {"soft_budget": 1e-200}, "soft_budget"),
    ("/key/generate", {"max_budget": -1}, "max_budget"),
    ("/key/generate", {"metadata": {"x": 1e300}}, "metadata"),
    ("/key/generate", {"metadata": {"x": [{"y": 5e-324}]}}, "metadata"),
    ("/key/generate", {"metadata": {"x": int("1234567890" * 4)}}, "metadata"),
    ("/key/generate", {"metadata": {"x": "y" * 20_000}}, "metadata"),
    ("/key/generate", {"metadata": {"": 1}}, "metadata"),
    ("/team/new", {"metadata": {"a": {"": None}}}, "metadata"),
    ("/key/generate", {"rpm_limit": 10**20}, "rpm_limit"),
    ("/key/generate", {"tpm_limit": int("9" * 40)}, "tpm_limit"),
    ("/key/generate", {"max_parallel_requests": -3}, "max_parallel_requests"),
    ("/key/generate", {"duration": "99999999999d"}, "duration"),
    ("/key/generate", {"duration": "999999999mo"}, "duration"),
    ("/key/generate", {"budget_duration": "999999999w"}, "budget_duration"),
    ("/key/generate", {"user_id": LONG}, "user_id"),
    ("/key/generate", {"team_id": LONG}, "team_id"),
    ("/key/generate", {"key_alias": LONG}, "key_alias"),
    ("/key/generate", {"tags": [LONG]}, "tags[0]"),
    ("/key/update", {"key": LONG}, "key"),
    ("/key/delete", {"key_aliases": [LONG]}, "key_aliases[0]"),
    ("/team/new", {"team_alias": LONG}, "team_alias"),
    ("/team/new", {"max_budget": 1e126}, "max_budget"),
    ("/team/update", {"team_id": LONG, "max_budget": 1}, "team_id"),
    ("/user/new", {"user_email": LONG}, "user_email"),
    ("/user/new", {"metadata": {"n": 1e-131}}, "metadata"),
    ("/user/update", {"user_id": "u", "max_budget": 1e200}, "max_budget"),
    ("/project/new", {"team_id": "t", "description": LONG}, "description"),
    ("/team/member_add", {"team_id": "t", "member": {"user_id": LONG}}, "member[0].user_id"),
]


@pytest.mark.parametrize(("path", "body", "param"), BODIES, ids=[f"{p} {f}" for p, _, f in BODIES])
def test_out_of_range_bodies_are_400s_naming_the_field(http: httpx.Client, path: str, body: dict[str, Any],
                                                       param: str) -> None:
    error = assert_error(http.post(path, json=body), statuses=(400,))
    assert error["param"] == param, error


QUERIES: list[tuple[str, dict[str, str], str]] = [
    ("/key/list", {"page": "\u00b2"}, "page"),
    ("/key/list", {"size": "\u0663"}, "size"),
    ("/key/list", {"page": "9" * 5000}, "page"),
    ("/user/list", {"page_size": "\u00b9\u2070"}, "page_size"),
    ("/audit", {"limit": "\uff15"}, "limit"),
    ("/audit", {"until": "not a time"}, "until"),
    ("/audit", {"since": "2026-02-01", "until": "2026-01-01"}, "since"),
    ("/audit", {"cursor": "!!!"}, "cursor"),
    ("/audit", {"cursor": _cursor({"pk": {"S": "x"}})}, "cursor"),
    ("/audit", {"cursor": _cursor({"pk": {"S": "LOG"}, "sk": {"N": "1"}})}, "cursor"),
    ("/audit", {"cursor": _cursor(["LOG"])}, "cursor"),
    ("/spend/logs", {"cursor": _cursor({"day": "2026-01-01", "after": {"pk": "log#x"}})}, "cursor"),
    ("/spend/logs", {"cursor": _cursor({"day": "2026-01-01", "after": 5})}, "cursor"),
    ("/spend/logs", {"cursor": _cursor({"day": 5})}, "cursor"),
    ("/spend/logs", {"cursor": _cursor([1])}, "cursor"),
    ("/spend/logs", {"limit": "\u00b2"}, "limit"),
    ("/spend/logs", {"team_id": LONG}, "team_id"),
    ("/team/info", {"team_id": LONG}, "team_id"),
    ("/user/info", {"user_id": LONG}, "user_id"),
    ("/project/info", {"project_id": LONG}, "project_id"),
    ("/key/list", {"team_id": LONG}, "team_id"),
]


@pytest.mark.parametrize(("path", "params", "param"), QUERIES, ids=[f"{p} {f}" for p, _, f in QUERIES])
def test_bad_query_parameters_are_400s_naming_them(http: httpx.Client, path: str, params: dict[str, str],
                                                   param: str) -> None:
    error = assert_error(http.get(path, params=params), statuses=(400,))
    assert error["param"] == param, error


def test_audit_until_alone_reads_from_the_beginning(http: httpx.Client) -> None:
    made = http.post("/team/new", json={"team_alias": "audited"}).json()
    for until, found in (("2999-01-01T00:00:00Z", True), ("2999-01-01", True), ("2001-01-01", False)):
        response = http.get("/audit", params={"until": until, "target_type": "team", "target_id": made["team_id"]})
        assert response.status_code == 200, response.text
        assert bool(response.json()["entries"]) is found, until


def test_numbers_at_the_edges_of_the_ranges_are_stored(http: httpx.Client) -> None:
    made = http.post("/key/generate", json={"max_budget": 1e9, "soft_budget": 1e-9, "rpm_limit": 10**12,
                                            "metadata": {"big": 9.9e125, "small": -1e-130, "int": 10**37,
                                                         "nested": [{"zero": 0.0}]}, "duration": "36500d"})
    assert made.status_code == 200, made.text
    info = http.get("/key/info", params={"key": made.json()["key"]}).json()["info"]
    assert info["max_budget"] == 1e9 and info["metadata"]["int"] == 10**37
