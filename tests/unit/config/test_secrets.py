"""Secret references resolve lazily: the environment, and Secrets Manager on a loopback endpoint."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from tollway.config import secrets
from tollway.errors import InternalError


def test_literals_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert secrets.resolve("sk-literal") == "sk-literal"
    assert secrets.resolve(None) is None
    monkeypatch.setenv("MY_KEY", "from-env")
    assert secrets.resolve("os.environ/MY_KEY") == "from-env"
    monkeypatch.setenv("MY_KEY", "rotated")
    assert secrets.resolve("os.environ/MY_KEY") == "rotated"
    assert secrets.resolve("os.environ/NOT_SET_ANYWHERE") is None


@pytest.fixture(scope="module")
def secretsmanager() -> Iterator[object]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    mp = pytest.MonkeyPatch()
    mp.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", f"http://{host}:{port}")
    client = boto3.client("secretsmanager", endpoint_url=f"http://{host}:{port}", region_name="us-east-1")
    client.create_secret(Name="tollway/providers", SecretString=json.dumps({"OPENAI": "sk-from-sm"}))
    client.create_secret(Name="tollway/plain", SecretString="plain-value")
    yield client
    mp.undo()
    server.stop()


async def test_secrets_manager_references(secretsmanager: object) -> None:
    assert await secrets.aresolve("secretsmanager/tollway/providers#OPENAI") == "sk-from-sm"
    assert await secrets.aresolve("secretsmanager/tollway/plain") == "plain-value"


async def test_missing_secret_or_key_is_a_gateway_error_without_values(secretsmanager: object) -> None:
    with pytest.raises(InternalError) as info:
        await secrets.aresolve("secretsmanager/tollway/absent")
    assert "tollway/absent" in info.value.message
    with pytest.raises(InternalError) as info:
        await secrets.aresolve("secretsmanager/tollway/providers#NOPE")
    assert "sk-from-sm" not in info.value.message and "NOPE" in info.value.message
