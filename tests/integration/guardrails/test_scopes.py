"""Guardrails per key, per team and mandatory, through the admin API and the OpenAI SDK against a real
DynamoDB endpoint on loopback; the decisions on the spend log and blocks in the audit log; the judge model
call metered like any request."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.integration.guardrails.conftest import LONG_REPLY, SECRET_EMAIL, guardrail, mock

ADMIN = {"authorization": f"Bearer {MASTER_KEY}"}


@pytest.fixture
def gateway(start_gateway: Any, table_prefix: str) -> Any:
    return start_gateway({
        "model_list": [mock("echo"), mock("leaky", LONG_REPLY), mock("judge", "0.93")],
        "guardrails": [
            guardrail("always", "keywords", keywords=["forbidden-word"], default_on=True, mandatory=True),
            guardrail("polite", "keywords", keywords=["darn"], default_on=True),
            guardrail("team-pii", "pii", action="block", entities=["US_SSN"]),
            guardrail("key-mask", "pii", entities=["EMAIL_ADDRESS"]),
            guardrail("pii-out", "pii", mode="post_call", action="block", entities=["EMAIL_ADDRESS"]),
            guardrail("judged", "prompt_injection", judge_model="judge", threshold=0.8),
        ],
    })


def _post(gateway: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{gateway.url}{path}", json=body, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _client(gateway: Any, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.base_url, api_key=key, max_retries=0)


def _chat(client: openai.OpenAI, text: str, **extra: Any) -> str:
    answer = client.chat.completions.create(model="echo", messages=[{"role": "user", "content": text}],
                                            extra_body=extra or None)
    return answer.choices[0].message.content or ""


def _logs(gateway: Any, **filters: str) -> list[dict[str, Any]]:
    today = datetime.now(UTC).date().isoformat()
    response = httpx.get(f"{gateway.url}/spend/logs", params={"start_date": today, **filters}, headers=ADMIN)
    return response.json()["data"]  # type: ignore[no-any-return]


@pytest.fixture
def team_and_keys(gateway: Any) -> dict[str, Any]:
    team_id = f"team-{uuid.uuid4().hex[:8]}"
    _post(gateway, "/team/new", {"team_id": team_id, "guardrails": ["team-pii"]})
    masked = _post(gateway, "/key/generate", {"team_id": team_id, "guardrails": ["key-mask"],
                                              "metadata": {"disable_guardrails": ["polite", "always", "team-pii"]}})
    plain = _post(gateway, "/key/generate", {})
    return {"team_id": team_id, "masked": masked, "plain": plain}


def test_key_and_team_guardrails_apply_to_their_keys_only(gateway: Any, team_and_keys: dict[str, Any]) -> None:
    masked, plain = _client(gateway, team_and_keys["masked"]["key"]), _client(gateway, team_and_keys["plain"]["key"])
    assert _chat(masked, f"mail {SECRET_EMAIL}").endswith("You said: mail [EMAIL_1]")
    assert _chat(plain, f"mail {SECRET_EMAIL}").endswith(f"You said: mail {SECRET_EMAIL}")
    with pytest.raises(openai.BadRequestError) as caught:
        _chat(masked, "my ssn is 123-45-6789")
    assert caught.value.body["guardrail"] == "team-pii"  # type: ignore[index]
    assert _chat(plain, "my ssn is 123-45-6789")  # not the plain key's team


def test_default_on_can_be_disabled_by_a_key_but_mandatory_and_team_ones_cannot(
        gateway: Any, team_and_keys: dict[str, Any]) -> None:
    masked, plain = _client(gateway, team_and_keys["masked"]["key"]), _client(gateway, team_and_keys["plain"]["key"])
    assert _chat(masked, "darn it")  # its metadata switches 'polite' off
    with pytest.raises(openai.BadRequestError):
        _chat(plain, "darn it")
    with pytest.raises(openai.BadRequestError) as mandatory:
        _chat(masked, "the forbidden-word")  # listed in its disable_guardrails, yet mandatory
    assert mandatory.value.body["guardrail"] == "always"  # type: ignore[index]
    for name in ("always", "team-pii", "key-mask"):
        with pytest.raises(openai.PermissionDeniedError) as refused:
            _chat(masked, "hello", guardrails={name: False})
        assert refused.value.body["code"] == "guardrail_mandatory"  # type: ignore[index]


def test_guardrail_fields_show_on_key_and_team_info(gateway: Any, team_and_keys: dict[str, Any]) -> None:
    key = team_and_keys["masked"]["key"]
    info = httpx.get(f"{gateway.url}/key/info", params={"key": key}, headers=ADMIN).json()
    assert info["info"]["guardrails"] == ["key-mask"]
    team = httpx.get(f"{gateway.url}/team/info", params={"team_id": team_and_keys["team_id"]}, headers=ADMIN).json()
    assert team["team_info"]["guardrails"] == ["team-pii"]
    _post(gateway, "/team/update", {"team_id": team_and_keys["team_id"], "guardrails": []})
    _post(gateway, "/key/update", {"key": key, "guardrails": []})
    answer = _chat(_client(gateway, key), f"mail {SECRET_EMAIL} ssn 123-45-6789")
    assert answer.endswith(SECRET_EMAIL + " ssn 123-45-6789")


def test_decisions_reach_the_spend_log_and_blocks_the_audit_log(gateway: Any, team_and_keys: dict[str, Any]) -> None:
    masked = team_and_keys["masked"]
    _chat(_client(gateway, masked["key"]), f"mail {SECRET_EMAIL}")
    with pytest.raises(openai.BadRequestError):
        _chat(_client(gateway, masked["key"]), "ssn 123-45-6789")
    logs = _logs(gateway, team_id=team_and_keys["team_id"])
    flagged = [entry for log in logs for entry in log.get("guardrails") or []]
    assert {"guardrail": "key-mask", "category": "EMAIL_ADDRESS", "action": "mask", "stage": "input"} in flagged
    audit = httpx.get(f"{gateway.url}/audit", params={"action": "guardrail.block"}, headers=ADMIN).json()
    entries = [e for e in audit["entries"] if e["target_id"] == masked["token"]]
    assert entries and entries[0]["after"]["guardrail"] == "team-pii" and entries[0]["after"]["category"] == "US_SSN"
    assert "6789" not in str(entries)


def test_stream_blocked_mid_way_is_settled_for_what_was_generated(gateway: Any, team_and_keys: dict[str, Any]) -> None:
    client = _client(gateway, team_and_keys["plain"]["key"])
    stream = client.chat.completions.create(model="leaky", messages=[{"role": "user", "content": "go"}],
                                            stream=True, extra_body={"guardrails": ["pii-out"]})
    with pytest.raises(openai.APIError):
        for _ in stream:
            pass
    [log] = [entry for entry in _logs(gateway, key_digest=team_and_keys["plain"]["token"], model="leaky")]
    assert log["status"] == "failure" and log["completion_tokens"] > 20
    assert log["guardrails"][-1]["action"] == "block" and log["guardrails"][-1]["stage"] == "output"


def test_judge_model_call_blocks_and_is_metered(gateway: Any, team_and_keys: dict[str, Any]) -> None:
    plain = _post(gateway, "/key/generate", {"models": ["echo"]})  # the judge model is not among its models
    team_and_keys["plain"] = plain
    client = _client(gateway, plain["key"])
    with pytest.raises(openai.BadRequestError) as caught:
        _chat(client, "a perfectly ordinary question about gardening", guardrails=["judged"])
    assert caught.value.body["category"] == "judge"  # type: ignore[index]
    judged = _logs(gateway, key_digest=team_and_keys["plain"]["token"], model="judge")
    assert len(judged) == 1 and judged[0]["request_id"].endswith("-judge") and judged[0]["status"] == "success"
