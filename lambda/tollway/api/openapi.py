"""The served OpenAPI document: every route's body, parameters, responses and error envelope.

The routes read the raw request (so parsing and error messages stay the gateway's own), which
leaves FastAPI nothing to describe. This module adds it from the same pydantic models the routes
validate with (named by import path, imported on the first ``GET /openapi.json``, never at
import), declares path parameters from the path templates, the query parameters each route
reads, the credentials, and the OpenAI error envelope on every error status.
"""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from pydantic import BaseModel
    from starlette.routing import BaseRoute, Router

Schema = dict[str, Any]
_TEXT: Schema = {"type": "string", "maxLength": 256}
_DATE: Schema = {"type": "string", "format": "date"}
_TIME: Schema = {"type": "string", "description": "ISO-8601: 2026-01-31 or 2026-01-31T12:00:00Z"}
_FLAG: Schema = {"type": "string", "enum": ["true", "false", "1", "0", "yes", "no"]}


class Described(Protocol):
    """The app being described (``tollway.api.application.TollwayApp``)."""

    title: str
    version: str
    openapi_schema: dict[str, Any] | None
    router: Router


def _int(low: int, high: int) -> Schema:
    return {"type": "integer", "minimum": low, "maximum": high}


def _q(name: str, schema: Schema = _TEXT, *, required: bool = False, description: str = "") -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": "query", "required": required, "schema": schema}
    if description:
        param["description"] = description
    return param


_ANTHROPIC = "tollway.api.anthropic.models"
_RECORDS = "tollway.identity.records"
_SPEND_FILTERS = [_q(name) for name in ("key_digest", "team_id", "user_id", "model", "provider", "status",
                                        "end_user", "project_id")]
_RANGE = [_q("start_date", _DATE, description="UTC day, inclusive (default: the range's start)"),
          _q("end_date", _DATE, description="UTC day, inclusive (default: today)")]
_STREAMS = {"/v1/chat/completions", "/v1/completions", "/v1/messages", "/v1/responses"}

#: (method, path) -> what the route reads: ``body`` (``module:Model``), ``optional_body``, ``no_body``, ``query``
ROUTES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/v1/chat/completions"): {"body": "tollway.types.chat:ChatRequest"},
    ("post", "/v1/embeddings"): {"body": "tollway.types.embeddings:EmbeddingRequest"},
    ("post", "/v1/completions"): {"body": "tollway.types.completions:CompletionRequest"},
    ("post", "/v1/messages"): {"body": f"{_ANTHROPIC}:MessagesRequest"},
    ("post", "/v1/messages/count_tokens"): {"body": f"{_ANTHROPIC}:CountTokensRequest"},
    ("post", "/v1/responses"): {"body": "tollway.api.responses_api.models:ResponsesRequest"},
    ("get", "/v1/responses/{response_id}"): {"query": [_q("stream", {"type": "string", "enum": ["false"]})]},
    ("get", "/v1/responses/{response_id}/input_items"): {"query": [
        _q("limit", _int(1, 100)), _q("order", {"type": "string", "enum": ["asc", "desc"]}), _q("after")]},
    ("post", "/v1/responses/{response_id}/cancel"): {"no_body": True},
    ("get", "/spend/logs"): {"query": [*_RANGE, *_SPEND_FILTERS, _q("limit", _int(1, 1000)),
                                       _q("cursor", {"type": "string", "maxLength": 4096}), _q("api_key"),
                                       _q("request_id"), _q("summarize", _FLAG),
                                       _q("format", {"type": "string", "enum": ["litellm", "tollway"]})]},
    ("get", "/global/spend/logs"): {"query": [_q("api_key")]},
    ("get", "/global/spend/report"): {"query": [*_RANGE, _q("group_by", {"type": "string", "enum": [
        "team", "api_key"]}), _q("api_key"), _q("internal_user_id"), _q("team_id")]},
    ("get", "/spend/report"): {"query": [*_RANGE, _q("group_by", {"type": "string", "enum": [
        "team", "model", "key", "user", "provider", "day"]})]},
    ("post", "/key/generate"): {"body": f"{_RECORDS}:KeyGenerate"},
    ("get", "/key/info"): {"query": [_q("key", description="a key or its token (default: the caller's key)")]},
    ("get", "/key/list"): {"query": [_q("page", _int(1, 10**6)), _q("size", _int(1, 1000)), _q("team_id"),
                                     _q("user_id"), _q("key_alias"), _q("return_full_object", _FLAG),
                                     _q("search"), _q("cursor", {"type": "string", "maxLength": 4096})]},
    ("post", "/key/update"): {"body": f"{_RECORDS}:KeyUpdate"},
    ("post", "/key/delete"): {"body": f"{_RECORDS}:KeyDelete"},
    ("post", "/key/regenerate"): {"body": f"{_RECORDS}:KeyUpdate"},
    ("post", "/key/{key}/regenerate"): {"body": f"{_RECORDS}:KeyGenerate", "optional_body": True},
    ("post", "/key/block"): {"body": f"{_RECORDS}:KeyRef"},
    ("post", "/key/unblock"): {"body": f"{_RECORDS}:KeyRef"},
    ("post", "/team/new"): {"body": f"{_RECORDS}:TeamNew"},
    ("get", "/team/info"): {"query": [_q("team_id", required=True)]},
    ("post", "/team/update"): {"body": f"{_RECORDS}:TeamUpdate"},
    ("post", "/team/delete"): {"body": f"{_RECORDS}:TeamDelete"},
    ("post", "/team/member_add"): {"body": f"{_RECORDS}:MemberAdd"},
    ("post", "/team/member_delete"): {"body": f"{_RECORDS}:MemberDelete"},
    ("post", "/project/new"): {"body": f"{_RECORDS}:ProjectNew"},
    ("get", "/project/info"): {"query": [_q("project_id", required=True)]},
    ("get", "/project/list"): {"query": [_q("team_id")]},
    ("post", "/project/update"): {"body": f"{_RECORDS}:ProjectUpdate"},
    ("post", "/project/delete"): {"body": f"{_RECORDS}:ProjectDelete"},
    ("post", "/user/new"): {"body": f"{_RECORDS}:UserNew"},
    ("get", "/user/info"): {"query": [_q("user_id", description="default: the caller's user")]},
    ("get", "/v2/user/info"): {"query": [_q("user_id", description="default: the caller's user")]},
    ("get", "/user/list"): {"query": [_q("page", _int(1, 10**6)), _q("page_size", _int(1, 1000)),
                                      _q("role", {"type": "string", "enum": [
                                          "proxy_admin", "proxy_admin_viewer", "internal_user"]})]},
    ("post", "/user/update"): {"body": f"{_RECORDS}:UserUpdate"},
    ("post", "/user/delete"): {"body": f"{_RECORDS}:UserDelete"},
    ("post", "/iam/principal/new"): {"body": f"{_RECORDS}:PrincipalNew"},
    ("post", "/iam/principal/delete"): {"body": f"{_RECORDS}:PrincipalDelete"},
    ("get", "/key/aliases"): {"query": [_q("page", _int(1, 10**6)), _q("size", _int(1, 100)), _q("search"),
                                        _q("team_id")]},
    ("get", "/v2/team/list"): {"query": [
        _q("page", _int(1, 10**6)), _q("page_size", _int(1, 1000)), _q("team_id"), _q("team_alias"), _q("user_id"),
        _q("sort_by", {"type": "string", "enum": ["team_id", "team_alias", "created_at", "updated_at", "spend",
                                                  "max_budget"]}),
        _q("sort_order", {"type": "string", "enum": ["asc", "desc"]})]},
    ("get", "/model/info"): {"query": [_q("litellm_model_id", description="one deployment, by its id")]},
    ("get", "/v1/model/info"): {"query": [_q("litellm_model_id", description="one deployment, by its id")]},
    ("get", "/model_group/info"): {"query": [_q("model_group")]},
    ("post", "/customer/new"): {"body": f"{_RECORDS}:CustomerNew"},
    ("get", "/customer/info"): {"query": [_q("end_user_id", required=True)]},
    ("post", "/customer/update"): {"body": f"{_RECORDS}:CustomerUpdate"},
    ("post", "/customer/delete"): {"body": f"{_RECORDS}:CustomerIds"},
    ("post", "/customer/block"): {"body": f"{_RECORDS}:CustomerIds"},
    ("post", "/customer/unblock"): {"body": f"{_RECORDS}:CustomerIds"},
    ("post", "/budget/new"): {"body": f"{_RECORDS}:BudgetNew"},
    ("post", "/budget/info"): {"body": f"{_RECORDS}:BudgetInfo"},
    ("post", "/budget/update"): {"body": f"{_RECORDS}:BudgetUpdate"},
    ("post", "/budget/delete"): {"body": f"{_RECORDS}:BudgetDelete"},
    ("get", "/audit"): {"query": [_q("target_type"), _q("target_id"), _q("actor"), _q("action"),
                                  _q("since", _TIME), _q("until", _TIME), _q("limit", _int(1, 500)),
                                  _q("cursor", {"type": "string", "maxLength": 4096})]},
}

ERROR: Schema = {
    "type": "object", "required": ["error"],
    "description": "OpenAI's error envelope (on /v1/messages also Anthropic's: `type: error` at the top).",
    "properties": {"error": {"type": "object", "required": ["message", "type", "param", "code"], "properties": {
        "message": {"type": "string"}, "type": {"type": "string"},
        "param": {"type": ["string", "null"]}, "code": {"type": ["string", "null"]}}}},
}
_ERRORS = {
    "400": "Invalid request (the message and `param` name the field)", "401": "Missing, invalid, blocked or "
    "expired key", "403": "Not allowed for this key's role or models", "404": "Unknown model or record",
    "409": "Conflicts with an existing record", "413": "Request body too large",
    "429": "Rate limit or budget exceeded (`retry-after`)", "502": "Upstream error",
    "503": "Store or upstream unavailable (`retry-after`)", "504": "Upstream timed out",
}
_PUBLIC = {"/health/liveliness", "/health/readiness"}


def _model(reference: str) -> type[BaseModel]:
    module, _, name = reference.partition(":")
    model: type[BaseModel] = getattr(importlib.import_module(module), name)
    return model


def _body_schemas(references: list[str]) -> tuple[dict[str, Schema], dict[str, Schema]]:
    """(reference -> ``$ref`` schema, component schemas) for the request models named."""
    from pydantic.json_schema import models_json_schema

    mode: Literal["validation"] = "validation"
    models = [(_model(ref), mode) for ref in references]
    refs, top = models_json_schema(models, ref_template="#/components/schemas/{model}")
    by_ref = {ref: refs[(model, mode)] for ref, (model, mode) in zip(references, models, strict=True)}
    return by_ref, dict(top.get("$defs", {}))


def _responses(path: str) -> dict[str, Any]:
    ok: dict[str, Any] = {"application/json": {"schema": {"type": "object"}}}
    if path in _STREAMS:
        ok["text/event-stream"] = {"schema": {"type": "string"}}
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {"200": {"description": "Success", "content": ok},
            **{code: {"description": text, "content": error} for code, text in _ERRORS.items()}}


def _described(routes: list[BaseRoute]) -> list[BaseRoute]:
    """FastAPI routes standing for ``routes``: what FastAPI's generator reads (path, methods, name, tags, docstring)."""
    from fastapi.routing import APIRoute

    from tollway.api.routing import Endpoint

    described: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, Endpoint) and route.include_in_schema:
            async def stand_in() -> None:
                """Never served: it carries the route's docstring to the generator."""

            stand_in.__doc__ = route.endpoint.__doc__
            described.append(APIRoute(route.path, stand_in, methods=sorted(route.methods or ()), name=route.name,
                                      tags=list(route.tags), response_model=None))
    return described


def describe(app: Described) -> dict[str, Any]:
    """The OpenAPI document of ``app``: FastAPI's, completed from ``ROUTES`` (cached on the app).

    Every lazily imported route module is imported first, so the document is complete.
    """
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    from tollway.api.routing import load_all

    load_all(app.router.routes)
    spec = get_openapi(title=app.title, version=app.version, routes=_described(app.router.routes),
                       description="Tollway: an OpenAI- and Anthropic-compatible LLM gateway. Admin routes follow "
                                   "LiteLLM's paths and fields.")
    wanted = sorted({doc["body"] for doc in ROUTES.values() if "body" in doc})
    refs, schemas = _body_schemas(wanted)
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {}).update({**schemas, "Error": ERROR})
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "the master key or a virtual key"},
        "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
    }
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            doc = ROUTES.get((method, path), {})
            params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
                      for name in re.findall(r"{(\w+)}", path)]
            operation["parameters"] = params + list(doc.get("query", []))
            if "body" in doc:
                operation["requestBody"] = {"required": not doc.get("optional_body"), "content": {
                    "application/json": {"schema": refs[doc["body"]]}}}
            operation["responses"] = _responses(path)
            operation["security"] = [] if path in _PUBLIC else [{"bearer": []}, {"apiKey": []}]
    app.openapi_schema = spec
    return spec
