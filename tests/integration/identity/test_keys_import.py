"""``tollway keys import``: a LiteLLM ``/key/list?return_full_object=true`` dump plus the user's raw keys."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openai
import pytest

from tests.conftest import MASTER_KEY
from tollway.cli.main import main

HI = [{"role": "user", "content": "hi"}]
KEPT = "sk-litellm-generated-AAAAAAAAAAAA"
LIMITED = "sk-litellm-generated-BBBBBBBBBBBB"
LOST = "sk-litellm-generated-CCCCCCCCCCCC"
EXPIRED = "sk-litellm-generated-DDDDDDDDDDDD"


def _entry(raw: str, **fields: object) -> dict[str, object]:
    """A key object as LiteLLM's /key/list?return_full_object=true shows it (its token: the key's SHA-256)."""
    return {"token": hashlib.sha256(raw.encode()).hexdigest(), "key_name": f"sk-...{raw[-4:]}", "spend": 1.25,
            "aliases": {}, "config": {}, "permissions": {}, "organization_id": None, "expires": None,
            "user_id": "default_user_id", "team_id": None, "models": [], "metadata": {}, **fields}


@pytest.fixture
def dump(tmp_path: Path) -> tuple[Path, Path]:
    pages = [
        {"keys": [_entry(KEPT, key_alias="kept", metadata={"tags": ["search"]}),
                  _entry(LIMITED, key_alias="limited", models=["gpt-4o-mini"], max_budget=5.0, rpm_limit=2,
                         expires="2040-01-01T00:00:00Z")],
         "total_count": 4, "current_page": 1, "total_pages": 2},
        {"keys": [_entry(LOST, key_alias="lost"), _entry(EXPIRED, key_alias="expired",
                                                          expires="2001-01-01T00:00:00")],
         "total_count": 4, "current_page": 2, "total_pages": 2},
    ]
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps(pages))
    secrets = tmp_path / "secrets.txt"
    secrets.write_text(f"# handed out in 2025\n{KEPT}\n\n{LIMITED}\n{EXPIRED}\nsk-some-other-key-not-in-the-dump\n")
    return keys_file, secrets


def test_import_keeps_the_keys_clients_hold(gateway, admin, dump, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TOLLWAY_URL", gateway.url)
    monkeypatch.setenv("TOLLWAY_MASTER_KEY", MASTER_KEY)
    keys_file, secrets = dump

    assert main(["keys", "import", str(keys_file), "--secrets", str(secrets), "--dry-run"]) == 0
    assert "2 would import, 2 skipped" in capsys.readouterr().out
    assert admin.get("/key/list")["total_count"] == 0

    assert main(["keys", "import", str(keys_file), "--secrets", str(secrets)]) == 1  # their owner is unknown
    assert "No user with user_id 'default_user_id'" in capsys.readouterr().out

    assert main(["keys", "import", str(keys_file), "--secrets", str(secrets), "--no-owners", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"] == {"imported": 2, "skipped": 2}
    assert {r["key_alias"]: r["detail"] for r in report["results"] if r["status"] == "skipped"} == {
        "lost": "no secret (pass --secrets, or --new-secrets)", "expired": "expired"}

    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=KEPT, max_retries=0)
    assert client.chat.completions.create(model="gpt-4o-mini", messages=HI).choices  # the same key works
    kept = admin.get("/key/info", key=KEPT)["info"]
    assert kept["key_alias"] == "kept" and kept["tags"] == ["search"] and kept["token"] == _entry(KEPT)["token"]
    limited = admin.get("/key/info", key=LIMITED)["info"]
    assert limited["models"] == ["gpt-4o-mini"] and limited["max_budget"] == 5.0 and limited["rpm_limit"] == 2
    assert limited["expires"].startswith("2040-01-01T00:00")
    with pytest.raises(openai.PermissionDeniedError):
        openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=LIMITED, max_retries=0).chat.completions.create(
            model="big-model", messages=HI)

    assert main(["keys", "import", str(keys_file), "--secrets", str(secrets), "--no-owners"]) == 1  # twice: 409
    assert "already exists" in capsys.readouterr().out
    assert main(["keys", "import", str(keys_file), "--no-owners", "--new-secrets", "--json"]) == 1
    fresh = [r for r in json.loads(capsys.readouterr().out)["results"] if r["status"] == "imported"]
    assert [r["key_alias"] for r in fresh] == ["lost"] and fresh[0]["detail"].startswith("new key sk-")


def test_import_refuses_what_is_not_a_dump(gateway, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TOLLWAY_URL", gateway.url)
    monkeypatch.setenv("TOLLWAY_MASTER_KEY", MASTER_KEY)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"data": [1, 2]}))
    assert main(["keys", "import", str(bad)]) == 1
    assert "expected LiteLLM's /key/list" in capsys.readouterr().err
    assert main(["keys", "import", str(tmp_path / "missing.json")]) == 1
