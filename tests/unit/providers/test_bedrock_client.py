"""The boto3 client cache: one client per (region, endpoint, credentials, timeout), built lazily."""

from __future__ import annotations

import pytest

from tollway.config.models import LiteLLMParams
from tollway.providers.bedrock import client as clients


@pytest.fixture(autouse=True)
def _fresh() -> None:
    clients.reset_clients()


async def test_clients_are_cached_per_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_BEDROCK_SECRET", "from-env")
    east = LiteLLMParams(model="bedrock/m", api_base="http://127.0.0.1:1")
    first = await clients.get_client(east, 30)
    assert await clients.get_client(east, 30) is first
    assert first.meta.region_name == "us-east-1" and first.meta.endpoint_url == "http://127.0.0.1:1"
    west = LiteLLMParams(model="bedrock/m", aws_region_name="us-west-2")
    assert (await clients.get_client(west, 30)).meta.region_name == "us-west-2"
    assert await clients.get_client(east, 60) is not first  # the read timeout is part of the client config
    explicit = LiteLLMParams.model_validate({"model": "bedrock/m", "aws_access_key_id": "AKIDX",
                                             "aws_secret_access_key": "os.environ/TEST_BEDROCK_SECRET"})
    credentials = (await clients.get_client(explicit, 30))._request_signer._credentials
    assert (credentials.access_key, credentials.secret_key) == ("AKIDX", "from-env")
    assert len(clients._clients) == 4


async def test_secrets_never_appear_in_the_cache_key_repr() -> None:
    params = LiteLLMParams.model_validate({"model": "bedrock/m", "aws_access_key_id": "AKIDX",
                                           "aws_secret_access_key": "super-secret"})
    key = await clients.client_key(params, 30)
    assert "super-secret" not in repr(key) and "AKIDX" not in repr(key)
