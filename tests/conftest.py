"""Shared fixtures: hermetic AWS settings, fake upstreams on loopback, a gateway under test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

# Hermetic by construction: no real credentials, no metadata service, no stray config.
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "TOLLWAY_MASTER_KEY", "TOLLWAY_CONFIG", "TOLLWAY_MASTER_KEY_SECRET",
              "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "TOLLWAY_DATA_DIR"):
    os.environ.pop(_name, None)
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true", "POWERTOOLS_DEV": "0",
    "TOLLWAY_LOG_LEVEL": "WARNING",
})

from tests.fakes.openai_upstream import FakeOpenAI  # noqa: E402
from tests.support.servers import RunningServer, serve_app  # noqa: E402

MASTER_KEY = "sk-test-master"


@pytest.fixture(scope="session")
def _fake_openai_server() -> Iterator[tuple[FakeOpenAI, RunningServer]]:
    fake = FakeOpenAI()
    server = serve_app(fake.app)
    yield fake, server
    server.stop()


@pytest.fixture
def openai_upstream(_fake_openai_server: tuple[FakeOpenAI, RunningServer]) -> Iterator[FakeOpenAI]:
    """The fake OpenAI upstream, reset for this test; its base URL is ``.base_url``."""
    fake, server = _fake_openai_server
    fake.reset()
    fake.base_url = f"{server.url}/v1"  # type: ignore[attr-defined]
    yield fake
    fake.reset()


@dataclass
class GatewayUnderTest:
    url: str
    app: Any

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"


@pytest.fixture
def start_gateway() -> Iterator[Callable[..., GatewayUnderTest]]:
    """Start the real app on a loopback port from a config dict (master key ``MASTER_KEY``)."""
    from tollway.app import create_app
    from tollway.config.loader import parse_config
    from tollway.gateway import Gateway

    servers: list[RunningServer] = []

    def start(config: dict[str, Any]) -> GatewayUnderTest:
        config = {**config, "general_settings": {"master_key": MASTER_KEY, **config.get("general_settings", {})}}
        app = create_app(Gateway(parse_config(config)))
        server = serve_app(app)
        servers.append(server)
        return GatewayUnderTest(server.url, app)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def _moto_dynamodb() -> Iterator[str]:
    """One moto DynamoDB server on loopback for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def dynamodb_endpoint(_moto_dynamodb: str) -> Iterator[str]:
    """A real DynamoDB endpoint on loopback (moto server), set as ``AWS_ENDPOINT_URL_DYNAMODB`` for
    this module only: modules that do not ask for a store run without one."""
    from tollway.storage import client

    previous = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = _moto_dynamodb
    client.reset_client()
    yield _moto_dynamodb
    if previous is None:
        os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    else:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = previous
    client.reset_client()


@pytest.fixture(scope="session")
def _serial_moto_dynamodb() -> Iterator[str]:
    """A moto DynamoDB server on loopback that handles one request at a time.

    Real DynamoDB applies writes to one item one after another; moto's threaded server does not
    (two conditional updates of one item can interleave), so the exactness tests use this one.
    """
    import threading

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, DomainDispatcherApplication(create_backend_app), threaded=False,
                         request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}"
    server.shutdown()


@pytest.fixture(scope="module", params=["sqlite", "dynamodb"])
def store_backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Each test module that asks for it runs twice: on the embedded SQLite store (a fresh data dir)
    and on DynamoDB (a serial moto server on loopback). Yields "sqlite" or "dynamodb"; the store is
    selected through the environment exactly as ``tollway serve`` and Lambda select it."""
    from tollway.storage import client

    saved = {name: os.environ.get(name) for name in ("AWS_ENDPOINT_URL_DYNAMODB", "TOLLWAY_DATA_DIR")}
    for name in saved:
        os.environ.pop(name, None)
    if request.param == "dynamodb":
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = request.getfixturevalue("_serial_moto_dynamodb")
    else:
        os.environ["TOLLWAY_DATA_DIR"] = str(tmp_path_factory.mktemp("store"))
    client.reset_client()
    client.ensure_tables()
    yield str(request.param)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    client.reset_client()


@pytest.fixture(autouse=True)
def _fresh_secret_providers() -> Iterator[None]:
    """powertools caches its Secrets Manager client process-wide; tests point it at different endpoints."""
    from aws_lambda_powertools.utilities.parameters import base

    base.DEFAULT_PROVIDERS.clear()
    yield
    base.DEFAULT_PROVIDERS.clear()
