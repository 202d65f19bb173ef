"""``credential_list`` + ``litellm_credential_name``: the deployment calls its upstream with the named values
(secret references resolved), and ``GET /credentials`` lists names and info, never values."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.openai_upstream import FakeOpenAI
from tests.support.servers import serve_app
from tollway.config.loader import parse_config
from tollway.errors import ConfigError


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    upstream = FakeOpenAI()
    server = serve_app(upstream.app)
    upstream.base_url = f"{server.url}/v1"  # type: ignore[attr-defined]
    yield upstream
    server.stop()


@pytest.fixture
def gateway(start_gateway, fake, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TEST_CRED_KEY", "sk-from-credential")
    return start_gateway({
        "credential_list": [
            {"credential_name": "shared-openai",
             "credential_values": {"api_key": "os.environ/TEST_CRED_KEY", "api_base": fake.base_url},
             "credential_info": {"description": "the team's OpenAI-compatible account"}},
            {"credential_name": "unused", "credential_values": {"api_key": "sk-never-shown"}},
        ],
        "model_list": [
            {"model_name": "m", "litellm_params": {"model": "openai/up", "litellm_credential_name": "shared-openai"}},
            {"model_name": "own-key", "litellm_params": {"model": "openai/up", "api_key": "sk-own",
                                                          "litellm_credential_name": "shared-openai"}},
        ],
    })


def test_a_deployment_calls_with_its_named_credential(gateway, fake) -> None:  # type: ignore[no-untyped-def]
    client = openai.OpenAI(base_url=gateway.base_url, api_key=MASTER_KEY, max_retries=0)
    assert client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}]).choices
    assert fake.headers[-1]["authorization"] == "Bearer sk-from-credential"
    client.chat.completions.create(model="own-key", messages=[{"role": "user", "content": "hi"}])
    assert fake.headers[-1]["authorization"] == "Bearer sk-own"  # the deployment's own value wins


def test_credentials_list_shows_names_and_info_only(gateway) -> None:  # type: ignore[no-untyped-def]
    response = httpx.get(f"{gateway.url}/credentials", headers={"authorization": f"Bearer {MASTER_KEY}"})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert [c["credential_name"] for c in body["credentials"]] == ["shared-openai", "unused"]
    assert body["credentials"][0]["credential_info"] == {"description": "the team's OpenAI-compatible account"}
    assert all(c["credential_values"] == {} for c in body["credentials"])
    assert "sk-never-shown" not in response.text and "TEST_CRED_KEY" not in response.text
    one = httpx.get(f"{gateway.url}/credentials/by_name/unused", headers={"authorization": f"Bearer {MASTER_KEY}"})
    assert one.status_code == 200 and one.json()["credential_name"] == "unused"
    missing = httpx.get(f"{gateway.url}/credentials/by_name/nope", headers={"authorization": f"Bearer {MASTER_KEY}"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "credential_not_found"


def test_credentials_need_a_key_that_may_read_everything(gateway) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.metering.support import StaticLookup
    from tollway.auth.context import AuthContext

    response = httpx.get(f"{gateway.url}/credentials")
    assert response.status_code == 401 and "error" in response.json()
    gateway.app.state.gateway.auth.lookup = StaticLookup({
        "sk-user": AuthContext(kind="virtual_key", key_digest="k-user"),
        "sk-viewer": AuthContext(kind="virtual_key", key_digest="k-viewer", role="proxy_admin_viewer")})
    user = httpx.get(f"{gateway.url}/credentials", headers={"authorization": "Bearer sk-user"})
    assert user.status_code == 403 and user.json()["error"]["code"] == "forbidden"
    viewer = httpx.get(f"{gateway.url}/credentials", headers={"authorization": "Bearer sk-viewer"})
    assert viewer.status_code == 200 and len(viewer.json()["credentials"]) == 2


def test_an_unknown_credential_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"unknown credential 'nope' \(credential_list has: a\)"):
        parse_config({"credential_list": [{"credential_name": "a"}],
                      "model_list": [{"model_name": "m",
                                      "litellm_params": {"model": "openai/x", "litellm_credential_name": "nope"}}]})


def test_a_credential_defined_twice_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="'a' is defined twice"):
        parse_config({"credential_list": [{"credential_name": "a"}, {"credential_name": "a"}]})
