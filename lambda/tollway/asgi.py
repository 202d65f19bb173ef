"""ASGI entry point for uvicorn (Lambda Web Adapter mode and any ASGI server): ``tollway.asgi:app``.

Like ``tollway.handler``, importing it builds the app and nothing else; config, clients and
adapters load on the first request.
"""

from __future__ import annotations

from tollway.app import create_app

app = create_app()
