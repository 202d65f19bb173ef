"""AWS Lambda entry point: Mangum (buffered responses) over the shared app.

Importing this module loads the web framework and the hot path's routes (chat, embeddings, models,
health) and nothing else: no config, no boto3 client, no provider adapter, no network, no admin or
UI route module (``tollway.app``). Those come with the first request that needs them, or, under
SnapStart (``TOLLWAY_PRIME=1``), during init so the snapshot holds them (``tollway.priming``).
Mangum puts the Lambda context in ``scope["aws.context"]``: the request's deadline comes from it
(``tollway.api.deadline``).

Only API Gateway REST proxy events are served: anything else (an event crafted by someone
who may call ``lambda:InvokeFunction``, another trigger) is refused with a 403 before the
app sees it. With ``TOLLWAY_API_ID`` (comma-separated ids) and ``TOLLWAY_STAGE`` set, the
event's ``requestContext.apiId`` and ``stage`` must match. This is defence in depth: whoever
can invoke the function can also forge a matching event, so the function's resource policy
must allow only API Gateway to invoke it (docs/deploy.md). Priming runs in-process and skips it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any

from mangum import Mangum

from tollway.api.routing import load_all
from tollway.app import create_app

app = create_app()
_mangum = Mangum(app, lifespan="off", api_gateway_base_path="/")
_log = logging.getLogger("tollway")


def refusal(event: Any) -> str | None:
    """Why ``event`` is not an API Gateway REST proxy event for this deployment (None: it is)."""
    if not isinstance(event, dict) or not isinstance(event.get("httpMethod"), str) \
            or not isinstance(event.get("path"), str):
        return "not an API Gateway REST proxy event"
    context = event.get("requestContext")
    if not isinstance(context, dict) or not all(isinstance(context.get(f), str) and context[f]
                                                for f in ("apiId", "stage", "requestId")):
        return "no API Gateway requestContext (apiId, stage, requestId)"
    api_ids = {part.strip() for part in os.environ.get("TOLLWAY_API_ID", "").split(",") if part.strip()}
    if api_ids and context["apiId"] not in api_ids:
        return "requestContext.apiId is not this deployment's API"
    stage = os.environ.get("TOLLWAY_STAGE")
    if stage and context["stage"] != stage:
        return "requestContext.stage is not this deployment's stage"
    return None


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    reason = refusal(event)
    if reason is not None:
        _log.warning("refused a Lambda event: %s", reason)
        error = {"message": "This function only serves requests from its API Gateway.",
                 "type": "permission_error", "param": None, "code": "not_from_api_gateway"}
        return {"statusCode": 403, "headers": {"content-type": "application/json"},
                "body": json.dumps({"error": error}), "isBase64Encoded": False}
    return _serve(event, context)


def _serve(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        asyncio.get_event_loop()
    except RuntimeError:  # no current loop (newer Pythons): give Mangum one that lives on
        asyncio.set_event_loop(asyncio.new_event_loop())
    return _mangum(event, context)


def _prime_for_snapshot() -> None:
    from tollway import priming

    if priming.wanted():
        priming.register_hooks()
        load_all(app.router.routes)  # the snapshot holds every route module, not only the hot path's
        priming.prime(lambda event: _serve(event, None))  # in-process: not an invocation to verify


_prime_for_snapshot()
