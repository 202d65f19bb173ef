"""Schemathesis from the served ``/openapi.json``: every operation, a bounded number of examples, 0 server errors.

The document must describe each route's body and parameters well enough for a fuzzer to reach
the route's logic (not only its 400s), and every answer must be a success or a client error in
the error envelope. Examples are derandomized for repeatable CI runs (``TOLLWAY_FUZZ_RANDOM=1``
explores new ones); ``EXAMPLES`` per operation, caller and mode, about 500 requests in all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.conftest import MASTER_KEY
from tests.integration.hardening.store_gateway import store_gateway
from tests.integration.hardening.support import SECRETS, TRACE_MARKERS, client
from tollway.api.openapi import ROUTES


@pytest.fixture(scope="module")
def served(dynamodb_endpoint: str, _fake_openai_server: Any) -> Iterator[tuple[Any, str]]:
    """(the schema loaded from the served document, the key of an internal user in a team)."""
    _, upstream = _fake_openai_server
    with store_gateway(f"{upstream.url}/v1") as gateway, client(gateway.url) as admin:
        admin.post("/team/new", json={"team_id": "fuzz-team", "max_budget": 10})
        made = admin.post("/user/new", json={"user_id": "fuzz-user", "teams": ["fuzz-team"]})
        assert made.status_code == 200, made.text
        yield schemathesis.openapi.from_url(f"{gateway.url}/openapi.json"), made.json()["key"]


@pytest.fixture(scope="module")
def api_schema(served: tuple[Any, str]) -> Any:
    return served[0]


#: examples per operation, caller and generation mode (valid by the document, and invalid)
EXAMPLES = 4
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                derandomize=os.environ.get("TOLLWAY_FUZZ_RANDOM") != "1", suppress_health_check=list(HealthCheck))


def _fuzz(operation: Any, mode: GenerationMode, key: str, failures: list[str], counts: dict[str, int]) -> None:
    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call(headers={"authorization": f"Bearer {key}"}, timeout=30)
        counts["requests"] += 1
        text = response.text
        problem = None
        if response.status_code >= 500:
            problem = f"{response.status_code}"
        elif response.status_code >= 400 and "error" not in response.json():
            problem = "no error envelope"
        elif any(marker in text for marker in TRACE_MARKERS) or any(secret in text for secret in SECRETS):
            problem = "a leak"
        if problem:
            failures.append(f"{operation.label} [{mode.value}] {problem}: {case.as_curl_command()} -> {text[:200]}")

    try:
        run()
    except Unsatisfiable:  # nothing to get wrong (an operation without parameters or body)
        assert mode is GenerationMode.NEGATIVE, operation.label


def test_no_operation_answers_a_server_error(served: tuple[Any, str]) -> None:
    """The master key with valid and invalid examples; an internal user's key with valid ones (RBAC paths)."""
    api_schema, user_key = served
    failures: list[str] = []
    counts = {"requests": 0}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    runs = ((GenerationMode.POSITIVE, MASTER_KEY), (GenerationMode.NEGATIVE, MASTER_KEY),
            (GenerationMode.POSITIVE, user_key))
    for operation in operations:
        for mode, key in runs:
            _fuzz(operation, mode, key, failures, counts)
    assert len(operations) >= 40
    assert counts["requests"] >= 3 * len(operations), counts
    assert not failures, "\n".join(failures[:20])


def test_the_document_describes_every_route(api_schema: Any) -> None:
    spec = api_schema.raw_schema
    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            bodiless = ROUTES.get((method, path), {}).get("no_body")
            if method == "post" and "requestBody" not in operation and not bodiless:
                missing.append(f"{method} {path}: body")
            if "{" in path and not any(p["in"] == "path" for p in operation.get("parameters", [])):
                missing.append(f"{method} {path}: path parameter")
            if "400" not in operation["responses"] and not path.startswith("/health/"):
                missing.append(f"{method} {path}: errors")
    assert not missing, missing
    assert spec["components"]["schemas"]["Error"]["required"] == ["error"]
    assert {p["name"] for p in spec["paths"]["/key/list"]["get"]["parameters"]} >= {"page", "size", "team_id"}
