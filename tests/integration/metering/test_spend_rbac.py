"""Who may read which spend: viewers everything, team admins their teams, everyone else their own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from tests.conftest import MASTER_KEY
from tests.integration.metering.conftest import MOCK_MODEL, chat_body
from tests.integration.metering.support import StaticLookup
from tollway.auth.context import AuthContext


def test_spend_is_scoped_by_role(store_backend, start_gateway, uid) -> None:  # type: ignore[no-untyped-def]
    team_a, team_b = f"ta-{uid}", f"tb-{uid}"
    keys = {
        "sk-alice": AuthContext(kind="virtual_key", key_digest=f"ka-{uid}", team_id=team_a, user_id=f"alice-{uid}"),
        "sk-bob": AuthContext(kind="virtual_key", key_digest=f"kb-{uid}", team_id=team_b, user_id=f"bob-{uid}"),
        "sk-lead": AuthContext(kind="virtual_key", role="team_admin", key_digest=f"kl-{uid}", team_id=team_a,
                               user_id=f"lead-{uid}", admin_teams=(team_a,)),
        "sk-viewer": AuthContext(kind="virtual_key", role="proxy_admin_viewer", key_digest=f"kv-{uid}"),
    }
    gw = start_gateway({"model_list": [MOCK_MODEL]})
    gw.app.state.gateway.auth.lookup = StaticLookup(keys)
    with httpx.Client(base_url=gw.url, timeout=30) as http:
        for key in ("sk-alice", "sk-alice", "sk-bob"):
            assert http.post("/v1/chat/completions", json=chat_body(),
                             headers={"authorization": f"Bearer {key}"}).status_code == 200
        today = datetime.now(UTC).date().isoformat()

        def get(path: str, key: str, **params: Any) -> httpx.Response:
            return http.get(path, params={"start_date": today, **params}, headers={"authorization": f"Bearer {key}"})

        def users(response: httpx.Response) -> set[str]:
            assert response.status_code == 200, response.text
            return {row["user"] for row in response.json()["rows"]}

        mine = get("/spend/logs", "sk-alice")  # LiteLLM's rows
        assert mine.status_code == 200 and {r["user"] for r in mine.json()} == {f"alice-{uid}"}
        assert len(mine.json()) == 2
        assert len(get("/spend/logs", "sk-alice", format="tollway").json()["data"]) == 2
        assert get("/spend/logs", "sk-alice", user_id=f"bob-{uid}").status_code == 403
        assert users(get("/spend/report", "sk-alice", group_by="user")) == {f"alice-{uid}"}
        assert users(get("/spend/report", "sk-lead", group_by="user")) == {f"alice-{uid}"}  # team a only
        assert get("/spend/logs", "sk-lead", team_id=team_b).status_code == 403
        assert {r["team_id"] for r in get("/spend/logs", "sk-lead").json()} == {team_a}
        assert {r["team_id"] for r in get("/spend/logs", "sk-lead", format="tollway").json()["data"]} == {team_a}
        everyone = users(get("/spend/report", "sk-viewer", group_by="user", end_date=today))
        assert {f"alice-{uid}", f"bob-{uid}"} <= everyone
        assert users(get("/spend/report", MASTER_KEY, group_by="user")) >= everyone
