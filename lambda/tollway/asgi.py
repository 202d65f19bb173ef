"""ASGI entry point for uvicorn (Lambda Web Adapter mode and any ASGI server): ``tollway.asgi:app``.

Like ``tollway.handler``, importing it builds the app and nothing else; config, clients and
adapters load on the first request, or during init under SnapStart (``TOLLWAY_PRIME=1``,
``tollway.priming``). The Lambda Web Adapter forwards the invocation context in the
``x-amzn-lambda-context`` header: the request's deadline comes from it (``tollway.api.deadline``).
"""

from __future__ import annotations

from tollway import priming
from tollway.api.routing import load_all
from tollway.app import create_app

app = create_app()
if priming.wanted():
    load_all(app.router.routes)
    priming.prime()
