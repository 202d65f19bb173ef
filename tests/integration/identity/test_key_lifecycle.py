"""A virtual key's whole life over HTTP, used through the official openai SDK."""

from __future__ import annotations

import openai
import pytest

from tollway.identity import keygen
from tollway.storage.identity_repo import IdentityRepo

HI = [{"role": "user", "content": "hi"}]


def sdk(gateway, key: str) -> openai.OpenAI:  # type: ignore[no-untyped-def]
    return openai.OpenAI(base_url=gateway.base_url, api_key=key, max_retries=0)


def test_generate_use_info_update_block_regenerate_delete(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    made = admin.post("/key/generate", {"key_alias": "svc-a", "models": ["gpt-4o-mini"], "max_budget": 5,
                                        "metadata": {"env": "test"}, "tags": ["a"], "duration": "30d"})
    raw = made["key"]
    assert raw.startswith("sk-") and len(raw) >= 3 + 22
    assert made["token"] == keygen.digest(raw) and made["key_name"] == keygen.display_name(raw)
    assert made["expires"] and made["blocked"] is False

    client = sdk(gateway, raw)
    assert client.chat.completions.create(model="gpt-4o-mini", messages=HI).choices[0].message.content
    with pytest.raises(openai.PermissionDeniedError):
        client.chat.completions.create(model="big-model", messages=HI)
    assert [m.id for m in client.models.list()] == ["gpt-4o-mini"]

    info = admin.get("/key/info", key=raw)
    assert info["info"]["key_alias"] == "svc-a" and info["info"]["max_budget"] == 5
    assert "key" not in info["info"]
    assert admin.as_(raw).get("/key/info")["info"]["token"] == made["token"]  # a key may read itself

    updated = admin.post("/key/update", {"key": made["token"], "models": ["gpt-4o-mini", "cheap"], "max_budget": 7.5})
    assert updated["max_budget"] == 7.5
    assert client.chat.completions.create(model="claude-haiku", messages=HI).id  # via its access group

    admin.post("/key/block", {"key": raw})
    with pytest.raises(openai.AuthenticationError) as blocked:
        client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert blocked.value.code == "key_blocked"
    admin.post("/key/unblock", {"key": raw})
    client.chat.completions.create(model="gpt-4o-mini", messages=HI)

    fresh = admin.post("/key/regenerate", {"key": raw})
    assert fresh["key"] != raw and fresh["key_alias"] == "svc-a" and fresh["max_budget"] == 7.5
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    sdk(gateway, fresh["key"]).chat.completions.create(model="gpt-4o-mini", messages=HI)

    assert admin.post("/key/delete", {"keys": [fresh["key"]]})["deleted_keys"] == [fresh["key"]]
    with pytest.raises(openai.AuthenticationError):
        sdk(gateway, fresh["key"]).chat.completions.create(model="gpt-4o-mini", messages=HI)
    admin.get("/key/info", key=fresh["key"], expect=404)


def test_expired_key_is_401(gateway, admin) -> None:  # type: ignore[no-untyped-def]
    made = admin.post("/key/generate", {"duration": "1h"})
    client = sdk(gateway, made["key"])
    client.models.list()
    repo = IdentityRepo()
    record = repo.get("key", made["token"])
    assert record is not None
    record["expires"] = "2001-01-01T00:00:00Z"  # as if the hour had passed
    repo.transact([repo.replace("key", made["token"], record, version=record["version"])])
    gateway.app.state.gateway.identity.forget()
    with pytest.raises(openai.AuthenticationError) as expired:
        client.models.list()
    assert expired.value.code == "key_expired"


def test_bad_input_duplicates_and_unknowns(admin) -> None:  # type: ignore[no-untyped-def]
    bad = admin.call("POST", "/key/generate", {"duration": "forever"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "duration"
    bad = admin.call("POST", "/key/generate", {"max_budget": -1})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "max_budget"
    assert admin.call("POST", "/key/generate", {"team_id": "nope"}).json()["error"]["param"] == "team_id"
    assert admin.call("POST", "/key/generate", {"team_id": "nope"}).status_code == 404
    admin.post("/key/generate", {"key_alias": "dup"})
    assert admin.call("POST", "/key/generate", {"key_alias": "dup"}).status_code == 409
    # a new user whose first key cannot be made is not created either
    assert admin.call("POST", "/user/new", {"user_id": "half", "key_alias": "dup"}).status_code == 409
    assert admin.call("GET", "/user/info", user_id="half").status_code == 404
    assert admin.call("POST", "/key/update", {"key": "sk-unknown", "max_budget": 1}).status_code == 404
    assert admin.call("POST", "/key/delete", {"keys": ["sk-unknown"]}).status_code == 404
    admin.post("/team/new", {"team_id": "dup-team"})
    assert admin.call("POST", "/team/new", {"team_id": "dup-team"}).status_code == 409
    assert admin.call("POST", "/user/new", {"user_role": "king"}).json()["error"]["param"] == "user_role"


def test_failed_change_writes_nothing(admin) -> None:  # type: ignore[no-untyped-def]
    keep = admin.post("/key/generate", {"key_alias": "keep-me"})
    before = admin.get("/audit", limit=500)["entries"]
    other = admin.post("/key/generate", {"key_alias": "other"})
    count = len(admin.get("/audit", limit=500)["entries"])
    # renaming onto a taken alias fails as a whole: the key, the alias items and the audit log stay as they were
    assert admin.call("POST", "/key/update", {"key": other["key"], "key_alias": "keep-me", "max_budget": 3}
                      ).status_code == 409
    assert admin.get("/key/info", key=other["key"])["info"].get("max_budget") is None
    assert len(admin.get("/audit", limit=500)["entries"]) == count == len(before) + 1
    assert admin.get("/key/list", key_alias="keep-me", return_full_object="true")["keys"][0]["token"] == keep["token"]


def test_list_paginates(admin) -> None:  # type: ignore[no-untyped-def]
    admin.post("/team/new", {"team_id": "paging"})
    tokens = [admin.post("/key/generate", {"team_id": "paging"})["token"] for _ in range(5)]
    first = admin.get("/key/list", team_id="paging", size=2)
    assert first["total_count"] == 5 and first["total_pages"] == 3 and len(first["keys"]) == 2
    seen = first["keys"] + admin.get("/key/list", team_id="paging", size=2, page=2)["keys"] \
        + admin.get("/key/list", team_id="paging", size=2, page=3)["keys"]
    assert sorted(seen) == sorted(tokens)
    assert admin.call("GET", "/key/list", size="0").status_code == 400


def test_admin_errors_map_to_the_sdks_exceptions(gateway) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import MASTER_KEY

    admin = openai.OpenAI(base_url=gateway.url, api_key=MASTER_KEY, max_retries=0)
    made = admin.post("/key/generate", body={"key_alias": "sdk-mapped"}, cast_to=object)
    assert made["key_alias"] == "sdk-mapped"  # type: ignore[index]
    with pytest.raises(openai.ConflictError):
        admin.post("/key/generate", body={"key_alias": "sdk-mapped"}, cast_to=object)
    with pytest.raises(openai.BadRequestError) as bad:
        admin.post("/key/generate", body={"rpm_limit": "lots"}, cast_to=object)
    assert bad.value.param == "rpm_limit"
    with pytest.raises(openai.NotFoundError):
        admin.post("/key/block", body={"key": "sk-never-issued"}, cast_to=object)
    as_key = openai.OpenAI(base_url=gateway.url, api_key=made["key"], max_retries=0)  # type: ignore[index]
    with pytest.raises(openai.PermissionDeniedError):
        as_key.post("/team/new", body={"team_id": "nope"}, cast_to=object)
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=gateway.url, api_key="sk-bogus", max_retries=0).post(
            "/key/generate", body={}, cast_to=object)
