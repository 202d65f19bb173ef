"""Stored responses across instances: two ``tollway serve`` processes sharing one store — a DynamoDB
endpoint (moto on loopback) or one embedded SQLite data dir — a conversation continued with
``previous_response_id`` on the other process, and ownership: another key is told 404. The upstream is a
translated Anthropic fake."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.fakes.anthropic_upstream import FakeAnthropic
from tests.fakes.openai_upstream import FakeOpenAI
from tests.support.servers import RunningServer, free_port, wait_ready


@pytest.fixture(scope="module")
def upstream(_anthropic_server: tuple[FakeAnthropic, str]) -> tuple[FakeAnthropic, str]:
    return _anthropic_server


@pytest.fixture(scope="module", params=["dynamodb", "sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(kind, where): the DynamoDB endpoint or the data dir both processes use."""
    if request.param == "dynamodb":
        return "dynamodb", str(request.getfixturevalue("_moto_dynamodb"))
    return "sqlite", str(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def gateways(tmp_path_factory: pytest.TempPathFactory, backend: tuple[str, str],
             upstream: tuple[FakeAnthropic, str], _fake_openai_server: tuple[FakeOpenAI, RunningServer],
             ) -> Iterator[list[str]]:
    """Two gateway processes sharing one store (and nothing else)."""
    config = tmp_path_factory.mktemp("cfg") / "config.json"
    config.write_text(json.dumps({
        "model_list": [
            {"model_name": "claude", "litellm_params": {
                "model": "anthropic/claude-sonnet-4-5", "api_base": upstream[1], "api_key": "sk-ant-up"}},
            {"model_name": "gpt", "litellm_params": {
                "model": "openai/gpt-4.1", "api_base": f"{_fake_openai_server[1].url}/v1", "api_key": "sk-oa-up"}},
        ],
        "general_settings": {"master_key": MASTER_KEY},
    }))
    kind, where = backend
    env = {**os.environ, "TOLLWAY_TABLE_PREFIX": PREFIX}
    store_args = ["--data-dir", where]
    if kind == "dynamodb":
        env["AWS_ENDPOINT_URL_DYNAMODB"] = where
    processes, urls = [], []
    for _ in range(2):
        port = free_port()
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "tollway", "serve", "--config", str(config), "--port", str(port), *store_args],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for process, url in zip(processes, urls, strict=True):
            wait_ready(url, process, output=lambda p=process: p.stderr.read() if p.poll() is not None else "")
        yield urls
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)


PREFIX = "resp-state-"


def _client(url: str, key: str = MASTER_KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)


def _key(url: str) -> str:
    answer = httpx.post(f"{url}/key/generate", headers={"Authorization": f"Bearer {MASTER_KEY}"}, json={})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["key"])


def test_conversation_continues_on_the_other_process(gateways: list[str], upstream) -> None:  # type: ignore[no-untyped-def]
    fake = upstream[0]
    fake.reset()
    key = _key(gateways[0])
    first = _client(gateways[0], key).responses.create(model="claude", input="my name is Ada",
                                                        instructions="remember")
    assert first.store is True and first.output_text == "echo: my name is Ada"
    with _client(gateways[1], key).responses.stream(model="claude", input="what is my name?",
                                                    previous_response_id=first.id) as stream:
        second = stream.get_final_response()
    assert second.previous_response_id == first.id and second.output_text == "echo: what is my name?"
    sent = fake.requests[-1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[1]["content"][0]["text"] == "echo: my name is Ada"
    assert "system" not in fake.requests[-1]  # instructions are not carried over, as OpenAI documents
    third = _client(gateways[0], key).responses.create(model="claude", input="and again?",
                                                       previous_response_id=second.id)
    assert len(fake.requests[-1]["messages"]) == 5 and third.output_text == "echo: and again?"


def test_a_conversation_crosses_providers_and_formats(gateways: list[str], upstream,  # type: ignore[no-untyped-def]
                                                    _fake_openai_server) -> None:
    """Turn 1 passes through to OpenAI (stored under OpenAI's id), turn 2 is translated for Claude,
    turn 3 goes back to OpenAI with the whole conversation inline (the gateway keeps the state)."""
    anthropic_fake, openai_fake = upstream[0], _fake_openai_server[0]
    anthropic_fake.reset()
    openai_fake.reset()
    key = _key(gateways[0])
    first = _client(gateways[0], key).responses.create(model="gpt", input="hello gpt")
    assert first.output_text == "echo: hello gpt" and openai_fake.requests[-1]["input"] == "hello gpt"
    second = _client(gateways[1], key).responses.create(model="claude", input="hello claude",
                                                        previous_response_id=first.id)
    assert [m["role"] for m in anthropic_fake.requests[-1]["messages"]] == ["user", "assistant", "user"]
    with _client(gateways[0], key).responses.stream(model="gpt", input="back to gpt",
                                                    previous_response_id=second.id) as stream:
        third = stream.get_final_response()
    sent = openai_fake.requests[-1]
    assert "previous_response_id" not in sent
    assert [item.get("role") for item in sent["input"]] == ["user", "assistant", "user", "assistant", "user"]
    assert third.previous_response_id == second.id
    assert _client(gateways[1], key).responses.retrieve(third.id).output_text == "echo: back to gpt"


def test_retrieve_list_delete_and_ownership(gateways: list[str]) -> None:
    owner, stranger = _key(gateways[0]), _key(gateways[1])
    mine = _client(gateways[0], owner)
    created = mine.responses.create(model="claude", input=[
        {"role": "user", "content": "one"}, {"role": "assistant", "content": "two"},
        {"role": "user", "content": "three"}])
    other = _client(gateways[1], owner)
    assert other.responses.retrieve(created.id).output_text == created.output_text
    page = other.responses.input_items.list(created.id, limit=2, order="asc")
    assert [item.content[0].text for item in page.data] == ["one", "two"] and page.has_more
    rest = other.responses.input_items.list(created.id, after=page.data[-1].id, order="asc")
    assert [item.content[0].text for item in rest.data] == ["three"] and not rest.has_more
    for client in (_client(gateways[1], stranger), _client(gateways[0], MASTER_KEY)):
        with pytest.raises(openai.NotFoundError):
            client.responses.retrieve(created.id)
        with pytest.raises(openai.NotFoundError):
            client.responses.create(model="claude", input="x", previous_response_id=created.id)
        with pytest.raises(openai.NotFoundError):
            client.responses.delete(created.id)
    mine.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        other.responses.retrieve(created.id)


def test_store_false_keeps_nothing(gateways: list[str]) -> None:
    client = _client(gateways[0])
    created = client.responses.create(model="claude", input="forget me", store=False)
    assert created.store is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)


def test_no_raw_key_at_rest(gateways: list[str], backend: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from tollway.storage.backend import Store
    from tollway.storage.tables import RESPONSES

    key = _key(gateways[0])
    _client(gateways[0], key).responses.create(model="claude", input="secret-free")
    monkeypatch.setenv("TOLLWAY_TABLE_PREFIX", PREFIX)
    store: Store
    if backend[0] == "dynamodb":
        import boto3

        from tollway.storage.dynamo import DynamoStore

        store = DynamoStore(boto3.client("dynamodb", endpoint_url=backend[1], region_name="us-east-1"))
    else:
        from tollway.storage.sqlite import SQLiteStore

        store = SQLiteStore(backend[1], purge_interval=None)
    by_record: dict[str, list[dict]] = {}
    for item in store.scan(RESPONSES):
        by_record.setdefault(item["pk"], []).append(item)
    store.close()
    records = [zlib.decompress(base64.b64decode("".join(p["data"] for p in sorted(parts, key=_sk))))
               for parts in by_record.values()]
    assert any(b"secret-free" in record for record in records)  # the content is where we looked
    assert not any(key.encode() in record or key.removeprefix("sk-").encode() in record for record in records)


def test_cancel_is_a_clear_400(gateways: list[str], tmp_path: Path) -> None:
    client = _client(gateways[0])
    created = client.responses.create(model="claude", input="done already")
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.cancel(created.id)
    assert "background" in err.value.message


def _sk(item: dict) -> str:
    return str(item["sk"])
