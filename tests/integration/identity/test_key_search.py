"""``/key/list?search=``: a case-insensitive substring over alias, display name, team, user and digest,
applied before paging and within what the caller may read."""

from __future__ import annotations

from typing import Any


def test_search_filters_before_paging(admin: Any) -> None:
    admin.post("/team/new", {"team_id": "search-team"})
    made = [admin.post("/key/generate", {"key_alias": f"Search-Alpha-{i}"}) for i in range(3)]
    admin.post("/key/generate", {"key_alias": "search-beta", "team_id": "search-team"})

    page = admin.get("/key/list", search="search-alpha", size=2, return_full_object="true")
    assert page["total_count"] == 3 and page["total_pages"] == 2
    second = admin.get("/key/list", search="search-alpha", size=2, page=2, return_full_object="true")
    aliases = [k["key_alias"] for k in page["keys"] + second["keys"]]
    assert sorted(aliases) == ["Search-Alpha-0", "Search-Alpha-1", "Search-Alpha-2"]
    assert admin.get("/key/list", search="SEARCH-TEAM")["total_count"] == 1
    assert admin.get("/key/list", search=made[2]["token"][:16])["keys"] == [made[2]["token"]]
    assert admin.get("/key/list", search="no-such-key")["total_count"] == 0
