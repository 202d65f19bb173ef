"""Spend logs and daily rollups in the SPEND table (the only module that knows their keys).

Items (``pk`` / ``sk``):

* log: ``log#<YYYY-MM-DD>`` / ``<ended ISO time>#<request id>``; ``gsi1pk`` ``logteam#<team or ->``,
  ``gsi1sk`` = ``sk``; TTL ``expires_at`` = retention. The filterable fields and ``cost`` are
  attributes; the whole record is the JSON string ``detail`` (compact items, one read shape).
* rollup: ``rollup#<YYYY-MM-DD>`` / ``combo#<team>#<model>#<key>#<user>#<provider>``: ``spend``,
  ``requests``, ``errors``, ``prompt_tokens``, ``completion_tokens``, ``cached_tokens``, plus the five
  values as attributes. One item per day and combination, so a request adds to exactly one rollup
  and any grouping (team, model, key, user, provider, day) is a sum over one query per day.
* tag rollup: ``rollup#<YYYY-MM-DD>`` / ``tag#<tag>``: ``spend``, ``requests``, ``errors`` and the tokens of the
  requests carrying that tag (``request_tags``, at most ``routing.tags.MAX_TAGS`` per request), plus ``tag``. A
  request with several tags adds to each, so tag sums overlap: they answer "what did tag X cost", not a total.

``record_ops`` returns the log ``Put`` and the rollup ``Update``, to be written in the same transaction as
the settlement, so a rollup can never disagree with the logs it sums.
"""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from tollway.storage.errors import InvalidCursor
from tollway.storage.ops import Key, Put, Query, Update
from tollway.storage.tables import SPEND
from tollway.storage.values import number, plain

if TYPE_CHECKING:
    from tollway.storage.backend import Store
    from tollway.storage.ops import Item, Write

#: the fields a rollup is kept by (one item per day and combination of their values)
ROLLUP_FIELDS = ("team_id", "model", "key_digest", "user_id", "provider")
NONE = "-"
LOG_FILTERS = ("key_digest", "team_id", "user_id", "model", "provider", "status", "end_user", "project_id")
_LOG_KEYS = ("pk", "sk", "gsi1pk", "gsi1sk", "expires_at")


class SpendRepo:
    def __init__(self, store: Store | None = None) -> None:
        self._store = store

    @property
    def store(self) -> Store:
        if self._store is not None:
            return self._store
        from tollway.storage.client import store

        return store()

    # ------------------------------------------------------------------ writes

    def record_ops(self, record: dict[str, Any], *, expires_at: int | None, log: bool = True) -> list[Write]:
        """The log Put (unless ``log`` is false: ``general_settings.disable_spend_logs``), the rollup Update and
        one tag rollup Update per request tag, for one request (``record['ended_at']`` is ISO UTC)."""
        day = record["ended_at"][:10]
        sk = f"{record['ended_at']}#{record['request_id']}"
        item: dict[str, Any] = {k: str(record[k]) for k in LOG_FILTERS if record.get(k) is not None}
        team = record.get("team_id") or NONE
        item.update({"pk": f"log#{day}", "sk": sk, "gsi1pk": f"logteam#{team}", "gsi1sk": sk,
                     "cost": number(record.get("cost") or 0),
                     "detail": json.dumps({k: v for k, v in record.items() if v is not None},
                                          separators=(",", ":"), default=str)})
        if expires_at:
            item["expires_at"] = int(expires_at)
        parts = [str(record.get(f) or NONE) for f in ROLLUP_FIELDS]
        sums = {
            "spend": number(record.get("cost") or 0), "requests": 1,
            "errors": 0 if record.get("status") == "success" else 1,
            "prompt_tokens": record.get("prompt_tokens") or 0,
            "completion_tokens": record.get("completion_tokens") or 0,
            "cached_tokens": record.get("cached_tokens") or 0,
        }
        rollup = Update(SPEND, Key(f"rollup#{day}", "combo#" + "#".join(parts)), add=sums,
                        set=dict(zip(ROLLUP_FIELDS, parts, strict=True)))
        tagged = [Update(SPEND, Key(f"rollup#{day}", f"tag#{tag}"), add=sums, set={"tag": tag})
                  for tag in dict.fromkeys(str(t) for t in record.get("request_tags") or ())]
        return [*([Put(SPEND, item)] if log else []), rollup, *tagged]

    # ------------------------------------------------------------------ reads

    def rollups(self, start: date, end: date, *, kind: str = "combo") -> list[dict[str, Any]]:
        """Every rollup of the days ``start``..``end`` (inclusive), each with its ``day``: the combination
        rollups, or with ``kind="tag"`` the tag rollups."""
        out: list[dict[str, Any]] = []
        day = start
        while day <= end:
            cursor = None
            while True:
                page = self.store.query(Query(SPEND, f"rollup#{day.isoformat()}", sk_prefix=f"{kind}#", cursor=cursor))
                for item in page.items:
                    row = {k: plain(v) for k, v in item.items() if k not in ("pk", "sk")}
                    row["day"] = day.isoformat()
                    out.append(row)
                cursor = page.cursor
                if not cursor:
                    break
            day += timedelta(days=1)
        return out

    def logs(self, start: date, end: date, *, filters: dict[str, str], limit: int = 100,
             cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """Logs newest first over ``end``..``start``; returns (page, next cursor or None).

        Raises ValueError on a cursor this method did not return.
        """
        state = _decode(cursor) if cursor else {"day": end.isoformat(), "after": None}
        day = date.fromisoformat(str(state["day"]))
        after = state.get("after")
        filters = {k: v for k, v in filters.items() if k in LOG_FILTERS and v}
        page: list[dict[str, Any]] = []
        while day >= start:
            answer = self.store.query(Query(SPEND, f"log#{day.isoformat()}", descending=True, filters=filters,
                                            limit=max(1, limit - len(page)), cursor=after))
            page += [_log_row(item) for item in answer.items]
            after = answer.cursor
            if len(page) >= limit:
                if after:
                    return page, _encode({"day": day.isoformat(), "after": after})
                previous = day - timedelta(days=1)
                return page, (_encode({"day": previous.isoformat(), "after": None}) if previous >= start else None)
            if not after:
                day -= timedelta(days=1)
        return page, None


def _log_row(item: Item) -> dict[str, Any]:
    detail = item.get("detail")
    if isinstance(detail, str) and detail:
        return json.loads(detail)  # type: ignore[no-any-return]
    return {k: plain(v) for k, v in item.items() if k not in _LOG_KEYS}


def _encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def _decode(cursor: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        date.fromisoformat(state["day"])
        if state.get("after") is not None and not isinstance(state["after"], str):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise InvalidCursor("invalid cursor") from None
    return state  # type: ignore[no-any-return]
