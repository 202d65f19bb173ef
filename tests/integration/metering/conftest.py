"""Fixtures for metering integration tests: unique ids per test, the model configs they share."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

#: each answered call costs exactly 5 output tokens x $0.001 (the mock's reply is 5 tokens, max_tokens=5)
CALL_COST = 0.005
MOCK_MODEL = {"model_name": "metered", "litellm_params": {
    "model": "mock/metered", "mock_response": "a b c d e", "input_cost_per_token": 0.0,
    "output_cost_per_token": 0.001, "mock_latency_ms": 20}}


def chat_body(**extra: object) -> dict[str, object]:
    return {"model": "metered", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 5, **extra}


@pytest.fixture
def uid() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="module")
def serial_dynamodb() -> Iterator[str]:
    """A moto DynamoDB endpoint that handles one request at a time (per test module, so the
    environment it points ``AWS_ENDPOINT_URL_DYNAMODB`` at is restored for other modules).

    Real DynamoDB applies writes to one item one after another; moto's threaded server does not
    (two conditional updates of one item can interleave), so the exactness tests use this one.
    """
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from tollway.storage import client

    server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=False,
                         request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    url = f"http://{host}:{port}"
    previous = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = url
    client.reset_client()
    yield url
    if previous is None:
        os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    else:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = previous
    client.reset_client()
    server.shutdown()
