"""Stored responses: conversation state that any instance can continue (``previous_response_id``).

A stored record holds the Response object, this turn's input items (for ``input_items``) and the
conversation before this turn's output (``history``), so continuing a conversation is one read
however many turns it has. Records belong to the key that created them (or its team, with
``general_settings.responses_visibility: team``): any other caller is told 404, as if it did not exist.
Content is stored only because the API requires it (``store: false`` stores nothing); records expire
after ``responses_retention_days`` and ``DELETE`` removes one at once.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from tollway.api.responses_api.translate import new_id, output_as_input
from tollway.errors import InvalidRequestError, NotFoundError
from tollway.storage import client as storage

if TYPE_CHECKING:
    from tollway.auth.context import AuthContext
    from tollway.gateway import Gateway
    from tollway.storage.responses_repo import ResponsesRepo


def owner_of(auth: AuthContext) -> str:
    """Who a response belongs to: the virtual key, the IAM principal, or the master key."""
    if auth.key_digest:
        return f"key:{auth.key_digest}"
    if auth.principal:
        return f"iam:{auth.principal}"
    return f"{auth.kind}:"


def _visible(record: dict[str, Any], auth: AuthContext, visibility: str) -> bool:
    if record.get("owner") == owner_of(auth):
        return True
    return visibility == "team" and auth.team_id is not None and record.get("team_id") == auth.team_id


_REPO: ResponsesRepo | None = None


def _repo(gateway: Gateway) -> ResponsesRepo:
    """The process's repository (stateless; table names resolve per call), imported on first use."""
    global _REPO
    if _REPO is None:
        from tollway.storage.responses_repo import ResponsesRepo

        _REPO = ResponsesRepo()
    return _REPO


def enabled() -> bool:
    """Whether responses can be stored: the gateway runs with a store (DynamoDB or the embedded one)."""
    return storage.enabled()


async def load(gateway: Gateway, auth: AuthContext, response_id: str, *, param: str = "response_id") -> dict[str, Any]:
    """The caller's stored record, or 404 (also for another caller's)."""
    if not enabled():
        raise InvalidRequestError("This gateway runs without a store, so it keeps no responses; send the whole "
                                  "conversation in 'input' with 'store': false.", param=param)
    record: dict[str, Any] | None = await asyncio.to_thread(_repo(gateway).get, response_id)
    if record is None or not _visible(record, auth, gateway.config.general_settings.responses_visibility):
        raise NotFoundError(f"Response with id '{response_id}' not found.", param=param, code="response_not_found")
    return record


async def history(gateway: Gateway, auth: AuthContext, previous_response_id: str) -> list[dict[str, Any]]:
    """The items a follow-up turn continues from: the previous turn's history, input and output."""
    record = await load(gateway, auth, previous_response_id, param="previous_response_id")
    return [*record.get("history", []), *output_as_input(record["response"].get("output", []))]


async def save(gateway: Gateway, auth: AuthContext, response: dict[str, Any], items: list[dict[str, Any]],
               previous: list[dict[str, Any]]) -> None:
    """Store a finished response with this turn's input items and the conversation before it."""
    settings = gateway.config.general_settings
    record = {
        "id": response["id"], "owner": owner_of(auth), "team_id": auth.team_id,
        "created_at": response.get("created_at") or int(time.time()),
        "expires_at": int(time.time() + settings.responses_retention_days * 86400),
        "response": response, "input_items": with_ids(items), "history": [*previous, *items],
    }
    await asyncio.to_thread(_repo(gateway).put, record)


async def delete(gateway: Gateway, auth: AuthContext, response_id: str) -> None:
    await load(gateway, auth, response_id)
    await asyncio.to_thread(_repo(gateway).delete, response_id)


def with_ids(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Input items as ``input_items`` lists them: each with an id, message text as parts."""
    out = []
    for given in items:
        item = dict(given)
        kind = item.setdefault("type", "message")
        if kind == "message" and isinstance(item.get("content"), str):
            text_type = "output_text" if item.get("role") == "assistant" else "input_text"
            item["content"] = [{"type": text_type, "text": item["content"]}]
        item.setdefault("id", new_id({"message": "msg", "function_call": "fc", "reasoning": "rs"}.get(kind, "item")))
        out.append(item)
    return out


def page(items: list[dict[str, Any]], *, after: str | None, limit: int, order: str) -> dict[str, Any]:
    """OpenAI's list envelope over ``items`` (``order`` asc or desc, cursor ``after`` an item id)."""
    ordered = items if order == "asc" else list(reversed(items))
    if after is not None:
        ids = [item.get("id") for item in ordered]
        if after not in ids:
            raise NotFoundError(f"No input item with id '{after}'.", param="after")
        ordered = ordered[ids.index(after) + 1:]
    data = ordered[:limit]
    return {"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None, "has_more": len(ordered) > limit}
