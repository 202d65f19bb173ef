"""A gateway with an identity and spend store (moto DynamoDB on loopback) for admin-route hardening tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import MASTER_KEY, GatewayUnderTest
from tests.integration.hardening.support import gateway_config
from tests.support.servers import serve_app


@contextmanager
def store_gateway(upstream_base_url: str) -> Iterator[GatewayUnderTest]:
    """The hardening config on a fresh table prefix (tables created), served on loopback.

    Needs ``AWS_ENDPOINT_URL_DYNAMODB`` set (the ``dynamodb_endpoint`` fixture).
    """
    from tollway.app import create_app
    from tollway.config.loader import parse_config
    from tollway.gateway import Gateway
    from tollway.storage import client

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOLLWAY_TABLE_PREFIX", f"h{uuid.uuid4().hex[:8]}-")
        client.ensure_tables()
        config = {**gateway_config(upstream_base_url), "general_settings": {"master_key": MASTER_KEY}}
        server = serve_app(create_app(Gateway(parse_config(config))))
        try:
            yield GatewayUnderTest(server.url, server)
        finally:
            server.stop()
