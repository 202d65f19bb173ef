"""``tollway keys|teams|users`` against a running gateway: the key lifecycle from a terminal."""

from __future__ import annotations

import json

import openai
import pytest

from tests.conftest import MASTER_KEY
from tollway.cli.main import main

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
def cli(gateway, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TOLLWAY_URL", gateway.url)
    monkeypatch.setenv("TOLLWAY_MASTER_KEY", MASTER_KEY)

    def run(*argv: str, expect: int = 0) -> str:
        code = main(list(argv))
        captured = capsys.readouterr()
        assert code == expect, captured.err
        return captured.out if expect == 0 else captured.err

    return run


def test_key_lifecycle_from_the_cli(cli, gateway) -> None:  # type: ignore[no-untyped-def]
    assert "cli-team" in cli("teams", "new", "cli-team", "--models", "gpt-4o-mini,cheap", "--max-budget", "50")
    made = json.loads(cli("users", "new", "cli-user", "--role", "internal_user", "--teams", "cli-team", "--json"))
    assert made["key"].startswith("sk-")
    team_info = cli("teams", "info", "cli-team")
    assert "cli-user" in team_info and "MEMBERS" not in team_info.split("members:")[0]

    key = json.loads(cli("keys", "generate", "--alias", "cli-key", "--team", "cli-team", "--models", "gpt-4o-mini",
                         "--duration", "7d", "--json"))
    raw = key["key"]
    client = openai.OpenAI(base_url=gateway.base_url, api_key=raw, max_retries=0)
    client.chat.completions.create(model="gpt-4o-mini", messages=HI)

    listing = cli("keys", "list", "--team", "cli-team")
    header = listing.splitlines()[0]
    assert header.split()[:3] == ["TOKEN", "KEY_NAME", "KEY_ALIAS"] and "cli-key" in listing
    assert "cli-key" in cli("keys", "info", raw)
    assert "12.5" in cli("keys", "update", raw, "--max-budget", "12.5")

    cli("keys", "block", raw)
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    cli("keys", "unblock", raw)
    client.chat.completions.create(model="gpt-4o-mini", messages=HI)

    fresh = json.loads(cli("keys", "regenerate", raw, "--json"))["key"]
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert "deleted 1 key(s)" in cli("keys", "delete", fresh)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=gateway.base_url, api_key=fresh, max_retries=0).models.list()

    assert "404" in cli("keys", "info", fresh, expect=1)
    assert "cli-user" in cli("users", "list")
    assert "cli-user" in cli("users", "info", "cli-user")
    assert "deleted 1 user(s)" in cli("users", "delete", "cli-user")
    assert "deleted 1 team(s)" in cli("teams", "delete", "cli-team")


def test_cli_reports_api_errors(cli) -> None:  # type: ignore[no-untyped-def]
    assert "400" in cli("keys", "generate", "--duration", "soon", expect=1)
    assert "403" not in cli("teams", "list")
    assert "401" in cli("teams", "list", "--master-key", "sk-wrong", expect=1)
