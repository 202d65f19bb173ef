"""Gateways for the hardening tests: ``mock/`` deployments plus one ``openai/`` deployment on the fake upstream.

``gateway``/``http`` are module-scoped (hundreds of generated requests share one server; the requests
are stateless for it). Tests whose requests change the gateway's state (upstream failures put a
deployment in cooldown) use ``fresh_http``, a gateway of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import MASTER_KEY, GatewayUnderTest
from tests.integration.hardening.support import client, gateway_config
from tests.support.servers import serve_app


@pytest.fixture(scope="module")
def gateway(_fake_openai_server: Any) -> Iterator[GatewayUnderTest]:
    from tollway.app import create_app
    from tollway.config.loader import parse_config
    from tollway.gateway import Gateway

    _, upstream = _fake_openai_server
    config = {**gateway_config(f"{upstream.url}/v1"), "general_settings": {"master_key": MASTER_KEY}}
    app = create_app(Gateway(parse_config(config)))
    server = serve_app(app)
    yield GatewayUnderTest(server.url, app)
    server.stop()


@pytest.fixture(scope="module")
def http(gateway: GatewayUnderTest) -> Iterator[httpx.Client]:
    with client(gateway.url) as c:
        yield c


@pytest.fixture
def fresh_http(start_gateway: Callable[..., Any], openai_upstream: Any) -> Iterator[httpx.Client]:
    with client(start_gateway(gateway_config(openai_upstream.base_url)).url) as c:
        yield c
