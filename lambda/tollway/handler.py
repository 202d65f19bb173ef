"""AWS Lambda entry point: Mangum (buffered responses) over the shared app.

Importing this module loads the web framework and nothing else: no config, no boto3
client, no provider adapter, no network. Those come with the first request, or, under
SnapStart (``TOLLWAY_PRIME=1``), during init so the snapshot holds them (``tollway.priming``).
Mangum puts the Lambda context in ``scope["aws.context"]``: the request's deadline comes from it
(``tollway.api.deadline``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from mangum import Mangum

from tollway.app import create_app

app = create_app()
_mangum = Mangum(app, lifespan="off", api_gateway_base_path="/")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        asyncio.get_event_loop()
    except RuntimeError:  # no current loop (newer Pythons): give Mangum one that lives on
        asyncio.set_event_loop(asyncio.new_event_loop())
    return _mangum(event, context)


def _prime_for_snapshot() -> None:
    from tollway import priming

    if priming.wanted():
        priming.register_hooks()
        priming.prime(lambda event: handler(event, None))


_prime_for_snapshot()
