"""``/key/list`` with 100,000 keys reads a bounded number of items per page (issue 14).

The embedded store is wrapped to count the items each read returns; the keys are written in bulk
as the repository stores them. A page for an admin reads one page of keys (plus the maintained count
and one batch read of the page's spend); a search or a team admin's listing reads at most the scan
budget, and says honestly when more may match.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.identity.conftest import MODELS, Admin
from tollway.storage.sqlite import SQLiteStore

pytestmark = pytest.mark.slow
KEYS = 100_000
TEAM = "scale-team"


class CountingStore(SQLiteStore):
    """The embedded store, counting the items its reads return."""

    items_read = 0

    def _get(self, table: Any, key: Any) -> Any:
        item = super()._get(table, key)
        self.items_read += item is not None
        return item

    def _get_many(self, table: Any, keys: Any) -> Any:
        found = super()._get_many(table, keys)
        self.items_read += len(found)
        return found

    def _query(self, query: Any) -> Any:
        page = super()._query(query)
        self.items_read += len(page.items)
        return page


def _seed(store: SQLiteStore) -> None:
    from tollway.storage.identity_repo import stored_item
    from tollway.storage.tables import IDENTITY, physical_name

    items = []
    for i in range(KEYS):
        token = hashlib.sha256(f"scale-{i}".encode()).hexdigest()
        record = {"token": token, "key_name": f"sk-...{i:04d}"[-11:], "key_alias": f"scale-{i}",
                  "team_id": TEAM if i % 1000 == 7 else f"other-{i % 50}", "blocked": False, "version": 1,
                  "created_at": f"2026-01-01T00:00:00.{i:06d}Z"}
        items.append(stored_item("key", token, record))
    store.put_raw(physical_name(IDENTITY), IDENTITY, items)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, CountingStore]]:
    """One gateway over 100,000 keys for the module (seeding is the slow part)."""
    from tests.integration.ui.conftest import start
    from tollway.storage import client

    data = tmp_path_factory.mktemp("scale")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ENDPOINT_URL_DYNAMODB", "TOLLWAY_TABLE_PREFIX"):
            patch.delenv(name, raising=False)
        patch.setenv("TOLLWAY_DATA_DIR", str(data))
        client.reset_client()
        store = CountingStore(data, purge_interval=None)
        patch.setitem(client._stores, ("sqlite", str(data.resolve())), store)
        _seed(store)
        server, _ = start(MODELS)
        yield server, store
        server.stop()
        store.close()
    client.reset_client()


def _reads(store: CountingStore, call: Any) -> tuple[Any, int, int]:
    """(answer, items read, store calls) of one call."""
    items, calls = store.items_read, sum(store.round_trips.values())
    answer = call()
    return answer, store.items_read - items, sum(store.round_trips.values()) - calls


def test_a_keys_page_reads_one_page_of_keys(big: tuple[Any, CountingStore]) -> None:
    gateway, store = big
    admin = Admin(gateway.url)
    first = admin.get("/key/list", size=25, return_full_object="true")  # sets the maintained count (one full count)
    assert first["total_count"] == KEYS and first["total_pages"] == KEYS // 25 and len(first["keys"]) == 25
    page, items, calls = _reads(store, lambda: admin.get("/key/list", size=25, return_full_object="true",
                                                         cursor=first["next_cursor"], page=2))
    print(f"one keys page of 25 with {KEYS} keys: {items} items in {calls} store calls")
    assert items <= 25 + 1 + 50 and calls <= 4  # the page, the count, the page's spend counters
    assert page["total_count"] == KEYS and page["has_more"]
    assert not {k["token"] for k in page["keys"]} & {k["token"] for k in first["keys"]}
    assert [k["key_alias"] for k in page["keys"]][:2] == ["scale-25", "scale-26"]  # oldest first, continued


def test_search_and_team_admin_listings_read_at_most_the_scan_budget(big: tuple[Any, CountingStore]) -> None:
    from tollway.identity.keys import SCAN_BUDGET
    from tollway.storage.identity_repo import SCAN_CHUNK

    gateway, store = big
    admin = Admin(gateway.url)
    found, items, _ = _reads(store, lambda: admin.get("/key/list", search="SCALE-1500", return_full_object="true"))
    print(f"a search over {KEYS} keys: {items} items read")
    assert [k["key_alias"] for k in found["keys"]] == ["scale-1500"]  # substring: scale-15000.. lie further on
    assert found["has_more"] and found["total_count"] is None and items <= SCAN_BUDGET + SCAN_CHUNK + 10
    admin.post("/team/new", {"team_id": TEAM})
    lead = admin.post("/user/new", {"user_id": "scale-lead", "auto_create_key": False})["user_id"]
    admin.post("/team/member_add", {"team_id": TEAM, "member": {"user_id": lead, "role": "admin"}})
    lead_key = admin.post("/key/generate", {"user_id": lead})["key"]
    mine, items, _ = _reads(store, lambda: admin.as_(lead_key).get("/key/list", return_full_object="true"))
    print(f"a team admin's first keys page over {KEYS} keys: {items} items read")
    assert items <= SCAN_BUDGET + SCAN_CHUNK + 20
    assert mine["keys"] and all(k.get("team_id") == TEAM or k.get("user_id") == lead for k in mine["keys"])
    seen, cursor = len(mine["keys"]), mine["next_cursor"]
    for _ in range(KEYS // SCAN_BUDGET + 2):  # bounded calls walk the whole store
        if not cursor:
            break
        more = admin.as_(lead_key).get("/key/list", return_full_object="true", cursor=cursor)
        assert all(k.get("team_id") == TEAM or k.get("user_id") == lead for k in more["keys"])
        seen, cursor = seen + len(more["keys"]), more["next_cursor"]
    assert cursor is None and seen == KEYS // 1000 + 1  # the team's 100 keys and the lead's own
