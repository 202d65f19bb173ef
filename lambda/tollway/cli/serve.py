"""``tollway serve``: the app under uvicorn, with DynamoDB or the embedded store.

On SIGTERM/SIGINT it stops accepting connections and drains in-flight requests for at most
``--drain-seconds`` (each is bounded by its own deadlines anyway), then exits. Settlements the
store refused earlier (queued in ``<data dir>/settlements.journal``) are replayed at startup.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

from tollway.errors import ConfigError


def register(commands: Any) -> None:
    parser = commands.add_parser("serve", help="run the gateway on this machine")
    parser.add_argument("--config", default=os.environ.get("TOLLWAY_CONFIG"), help="config.yaml (LiteLLM schema)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4000)
    parser.add_argument("--data-dir", default=".tollway", help="where the embedded store keeps its data")
    parser.add_argument("--log-level", default="warning", help="uvicorn's log level")
    parser.add_argument("--drain-seconds", type=int, default=DRAIN_SECONDS,
                        help="on SIGTERM, how long in-flight requests may finish before the process exits")
    parser.set_defaults(func=run)


#: default bound on the shutdown drain (seconds)
DRAIN_SECONDS = 25


def run(args: argparse.Namespace) -> int:
    return serve(args.config, host=args.host, port=args.port, data_dir=args.data_dir, log_level=args.log_level,
                 drain_seconds=args.drain_seconds)


def serve(config_path: str | None, *, host: str, port: int, data_dir: str, log_level: str = "warning",
          drain_seconds: int = DRAIN_SECONDS) -> int:
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
    os.environ.setdefault("TOLLWAY_DATA_DIR", os.path.abspath(data_dir))

    embedded = None
    if not storage.endpoint_url():
        from tollway.storage.embedded import EmbeddedStore

        embedded = EmbeddedStore(data_dir)
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = embedded.start()
        storage.reset_client()
    try:
        storage.ensure_tables()
        _replay_settlements(gateway)
        where = f"embedded store in {os.path.abspath(data_dir)}" if embedded else storage.endpoint_url()
        models = ", ".join(gateway.router.groups) or "none"
        print(f"tollway: serving http://{host}:{port} (models: {models}; store: {where})", file=sys.stderr)
        if gateway.auth.open_mode:
            print("tollway: no master key configured: every caller is an admin (local mode only)", file=sys.stderr)
        # uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown; turn that into SystemExit so the
        # ``finally`` below still runs and the embedded store writes its last snapshot.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _exit_cleanly)
        uvicorn.run(create_app(gateway), host=host, port=port, log_level=log_level, access_log=False,
                    timeout_graceful_shutdown=max(1, drain_seconds))
    finally:
        if embedded is not None:
            embedded.stop()
    return 0


def _replay_settlements(gateway: Any) -> None:
    """Write the settlements queued while the store was away (bounded: a batch at a time)."""
    from tollway.metering.settlement_writer import store_failures

    try:
        for _ in range(100):
            if not gateway.meter.settlements.replay(limit=100):
                break
    except store_failures() as exc:
        print(f"tollway: queued settlements not replayed yet ({type(exc).__name__}); retrying later",
              file=sys.stderr)


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)
