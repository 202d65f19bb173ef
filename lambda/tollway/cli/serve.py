"""``tollway serve``: the app under uvicorn, with DynamoDB or the embedded store."""

from __future__ import annotations

import os
import sys

from tollway.errors import ConfigError


def serve(config_path: str | None, *, host: str, port: int, data_dir: str, log_level: str = "warning") -> int:
    import uvicorn

    from tollway.app import create_app
    from tollway.gateway import Gateway
    from tollway.storage import client as storage

    try:
        gateway = Gateway.from_path(config_path)
    except ConfigError as exc:
        print(f"tollway: {exc}", file=sys.stderr)
        return 2
    if config_path:
        os.environ["TOLLWAY_CONFIG"] = os.path.abspath(config_path)

    embedded = None
    if not storage.endpoint_url():
        from tollway.storage.embedded import EmbeddedStore

        embedded = EmbeddedStore(data_dir)
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = embedded.start()
        storage.reset_client()
    try:
        storage.ensure_tables()
        where = f"embedded store in {os.path.abspath(data_dir)}" if embedded else storage.endpoint_url()
        models = ", ".join(gateway.router.groups) or "none"
        print(f"tollway: serving http://{host}:{port} (models: {models}; store: {where})", file=sys.stderr)
        if gateway.auth.open_mode:
            print("tollway: no master key configured: every caller is an admin (local mode only)", file=sys.stderr)
        uvicorn.run(create_app(gateway), host=host, port=port, log_level=log_level, access_log=False)
    finally:
        if embedded is not None:
            embedded.stop()
    return 0
