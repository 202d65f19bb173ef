"""Spend logs and daily rollups in the SPEND table (the only module that knows their keys).

Items (``pk`` / ``sk``):

* log: ``log#<YYYY-MM-DD>`` / ``<ended ISO time>#<request id>``; ``gsi1pk`` ``logteam#<team or ->``,
  ``gsi1sk`` = ``sk``; TTL ``expires_at`` = retention. The filterable fields and ``cost`` are
  attributes; the whole record is the JSON string ``detail`` (compact items, one read shape).
* rollup: ``rollup#<YYYY-MM-DD>`` / ``combo#<team>#<model>#<key>#<user>#<provider>``: ``spend``,
  ``requests``, ``errors``, ``prompt_tokens``, ``completion_tokens``, ``cached_tokens``, plus the five
  values as attributes. One item per day and combination, so a request adds to exactly one rollup
  and any grouping (team, model, key, user, provider, day) is a sum over one query per day.

``record_ops`` returns the log Put and the rollup Update, to be written in the same transaction as
the settlement, so a rollup can never disagree with the logs it sums.
"""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tollway.storage.client import dynamodb
from tollway.storage.tables import SPEND, physical_name

#: the fields a rollup is kept by (one item per day and combination of their values)
ROLLUP_FIELDS = ("team_id", "model", "key_digest", "user_id", "provider")
NONE = "-"
LOG_FILTERS = ("key_digest", "team_id", "user_id", "model", "provider", "status", "end_user", "project_id")


def to_attr(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": str(value if not isinstance(value, float) else Decimal(repr(value)))}
    if isinstance(value, dict):
        return {"M": {str(k): to_attr(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [to_attr(v) for v in value]}
    return {"S": str(value)}


def from_attr(value: dict[str, Any]) -> Any:
    kind, inner = next(iter(value.items()))
    if kind == "N":
        number = Decimal(inner)
        return int(number) if number == number.to_integral_value() and "." not in inner and "E" not in inner \
            else float(number)
    if kind == "M":
        return {k: from_attr(v) for k, v in inner.items()}
    if kind == "L":
        return [from_attr(v) for v in inner]
    if kind == "NULL":
        return None
    return inner


class SpendRepo:
    def __init__(self, client: Any = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or dynamodb()

    @property
    def table(self) -> str:
        return physical_name(SPEND)

    # ------------------------------------------------------------------ writes

    def record_ops(self, record: dict[str, Any], *, expires_at: int | None) -> list[dict[str, Any]]:
        """The log Put and rollup Update for one request (``record['ended_at']`` is ISO UTC)."""
        day = record["ended_at"][:10]
        sk = f"{record['ended_at']}#{record['request_id']}"
        item = {k: {"S": str(record[k])} for k in LOG_FILTERS if record.get(k) is not None}
        team = record.get("team_id") or NONE
        item.update({"pk": {"S": f"log#{day}"}, "sk": {"S": sk}, "gsi1pk": {"S": f"logteam#{team}"},
                     "gsi1sk": {"S": sk}, "cost": to_attr(record.get("cost") or 0),
                     "detail": {"S": json.dumps({k: v for k, v in record.items() if v is not None},
                                                separators=(",", ":"), default=str)}})
        if expires_at:
            item["expires_at"] = {"N": str(expires_at)}
        parts = [str(record.get(f) or NONE) for f in ROLLUP_FIELDS]
        failed = 0 if record.get("status") == "success" else 1
        rollup = {
            "TableName": self.table,
            "Key": {"pk": {"S": f"rollup#{day}"}, "sk": {"S": "combo#" + "#".join(parts)}},
            "UpdateExpression": "ADD spend :spend, requests :one, errors :err, prompt_tokens :pt, "
                                "completion_tokens :ct, cached_tokens :cached SET "
                                + ", ".join(f"#d{i} = :d{i}" for i in range(len(ROLLUP_FIELDS))),
            "ExpressionAttributeNames": {f"#d{i}": f for i, f in enumerate(ROLLUP_FIELDS)},
            "ExpressionAttributeValues": {
                ":spend": to_attr(record.get("cost") or 0), ":one": {"N": "1"}, ":err": {"N": str(failed)},
                ":pt": to_attr(record.get("prompt_tokens") or 0), ":ct": to_attr(record.get("completion_tokens") or 0),
                ":cached": to_attr(record.get("cached_tokens") or 0),
                **{f":d{i}": {"S": part} for i, part in enumerate(parts)},
            },
        }
        return [{"Put": {"TableName": self.table, "Item": item}}, {"Update": rollup}]

    # ------------------------------------------------------------------ reads

    def rollups(self, start: date, end: date) -> list[dict[str, Any]]:
        """Every rollup of the days ``start``..``end`` (inclusive), each with its ``day``."""
        out: list[dict[str, Any]] = []
        day = start
        while day <= end:
            for item in self._query(KeyConditionExpression="pk = :pk AND begins_with(sk, :combo)",
                                    ExpressionAttributeValues={":pk": {"S": f"rollup#{day.isoformat()}"},
                                                               ":combo": {"S": "combo#"}}):
                row = {k: from_attr(v) for k, v in item.items() if k not in ("pk", "sk")}
                row["day"] = day.isoformat()
                out.append(row)
            day += timedelta(days=1)
        return out

    def logs(self, start: date, end: date, *, filters: dict[str, str], limit: int = 100,
             cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """Logs newest first over ``end``..``start``; returns (page, next cursor or None)."""
        state = _decode(cursor) if cursor else {"day": end.isoformat(), "key": None}
        day = date.fromisoformat(str(state["day"]))
        last_key = state.get("key")
        filters = {k: v for k, v in filters.items() if k in LOG_FILTERS and v}
        names = {f"#f{i}": k for i, k in enumerate(filters)}
        values: dict[str, Any] = {f":f{i}": {"S": v} for i, v in enumerate(filters.values())}
        expression = " AND ".join(f"#f{i} = :f{i}" for i in range(len(filters)))
        page: list[dict[str, Any]] = []
        while day >= start:
            request: dict[str, Any] = {
                "KeyConditionExpression": "pk = :pk", "ScanIndexForward": False,
                "ExpressionAttributeValues": {":pk": {"S": f"log#{day.isoformat()}"}, **values},
                "Limit": max(1, limit - len(page)),
            }
            if expression:
                request.update(FilterExpression=expression, ExpressionAttributeNames=names)
            if last_key:
                request["ExclusiveStartKey"] = last_key
            response = self.client.query(TableName=self.table, **request)
            page += [_log_row(item) for item in response.get("Items", [])]
            last_key = response.get("LastEvaluatedKey")
            if len(page) >= limit:
                if last_key:
                    return page, _encode({"day": day.isoformat(), "key": last_key})
                previous = day - timedelta(days=1)
                return page, (_encode({"day": previous.isoformat(), "key": None}) if previous >= start else None)
            if not last_key:
                day -= timedelta(days=1)
        return page, None

    def _query(self, **request: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            response = self.client.query(TableName=self.table, **request)
            items += response.get("Items", [])
            if not response.get("LastEvaluatedKey"):
                return items
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _log_row(item: dict[str, Any]) -> dict[str, Any]:
    detail = item.get("detail", {}).get("S")
    if detail:
        return json.loads(detail)  # type: ignore[no-any-return]
    return {k: from_attr(v) for k, v in item.items() if k not in ("pk", "sk", "gsi1pk", "gsi1sk", "expires_at")}


def _encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def _decode(cursor: str) -> dict[str, Any]:
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        date.fromisoformat(state["day"])
    except (ValueError, KeyError, TypeError):
        raise ValueError("invalid cursor") from None
    return state  # type: ignore[no-any-return]
