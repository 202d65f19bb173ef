"""``tollway serve``: the app under uvicorn, with DynamoDB or the embedded SQLite store.

On SIGTERM/SIGINT it stops accepting connections and drains in-flight requests for at most
``--drain-seconds`` (each is bounded by its own deadlines anyway), then exits. Settlements the
store refused earlier (queued in ``<data dir>/settlements.journal``, or SQS when
``TOLLWAY_SETTLEMENT_QUEUE_URL`` is set) are replayed at startup.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

from tollway.errors import ConfigError

if TYPE_CHECKING:
    from tollway.storage.backend import Store


def register(commands: Any) -> None:
    parser = commands.add_parser("serve", help="run the gateway on this machine")
    parser.add_argument("--config", default=os.environ.get("TOLLWAY_CONFIG"), help="config.yaml (LiteLLM schema)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4000)
    parser.add_argument("--data-dir", default=".tollway", help="where the embedded store keeps its data")
    parser.add_argument("--log-level", default="warning", help="uvicorn's log level")
    parser.add_argument("--allow-open", action="store_true",
                        help="allow a non-loopback --host without a master key (every caller is an admin)")
    parser.add_argument("--drain-seconds", type=int, default=DRAIN_SECONDS,
                        help="on SIGTERM, how long in-flight requests may finish before the process exits")
    parser.set_defaults(func=run)


#: default bound on the shutdown drain (seconds)
DRAIN_SECONDS = 25


def run(args: argparse.Namespace) -> int:
    return serve(args.config, host=args.host, port=args.port, data_dir=args.data_dir, log_level=args.log_level,
                 allow_open=args.allow_open, drain_seconds=args.drain_seconds)


def serve(config_path: str | None, *, host: str, port: int, data_dir: str, log_level: str = "warning",
          allow_open: bool = False, drain_seconds: int = DRAIN_SECONDS) -> int:
    import uvicorn

    from tollway.app import create_app
    from tollway.gateway import Gateway

    try:
        gateway = Gateway.from_path(config_path)
    except ConfigError as exc:
        print(f"tollway: {exc}", file=sys.stderr)
        return 2
    from tollway.config.unhonoured import warning_line

    if (unhonoured := warning_line(gateway.config)) is not None:
        print(f"tollway: warning: {unhonoured}", file=sys.stderr)
    from tollway.auth.open_mode import host_refusal

    refused = host_refusal(host, allow=allow_open) if gateway.auth.open_mode else None
    if refused:
        print(f"tollway: {refused}", file=sys.stderr)
        return 2
    if config_path:
        os.environ["TOLLWAY_CONFIG"] = os.path.abspath(config_path)
    os.environ.setdefault("TOLLWAY_SETTLEMENT_JOURNAL", os.path.join(os.path.abspath(data_dir), "settlements.journal"))

    store = _open_store(data_dir)
    try:
        _replay_settlements(gateway)
        models = ", ".join(gateway.router.groups) or "none"
        print(f"tollway: serving http://{host}:{port} (models: {models}; store: {store.description})",
              file=sys.stderr)
        print(f"tollway: admin UI at http://{host}:{port}/ui", file=sys.stderr)
        if gateway.auth.open_mode:
            print("tollway: no master key configured: every caller is an admin (local mode only)", file=sys.stderr)
        # uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown; turn that into SystemExit so the
        # ``finally`` below still runs and the store closes cleanly.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _exit_cleanly)
        uvicorn.run(create_app(gateway), host=host, port=port, log_level=log_level, access_log=False,
                    timeout_graceful_shutdown=max(1, drain_seconds))
    finally:
        store.close()
    return 0


def _open_store(data_dir: str) -> Store:
    """DynamoDB when an endpoint (or the stack's tables) is configured, else SQLite under ``data_dir``."""
    from tollway.storage import client as storage

    if not storage.uses_dynamodb():
        os.environ["TOLLWAY_DATA_DIR"] = os.path.abspath(data_dir)
    store = storage.store()
    store.ensure_tables()
    if not storage.uses_dynamodb():
        from tollway.storage.migrate import import_snapshot
        from tollway.storage.sqlite import SQLiteStore

        assert isinstance(store, SQLiteStore)
        imported = import_snapshot(store)
        if imported is not None:
            print(f"tollway: imported {imported} items from the old embedded store's {data_dir}/dynamodb.json "
                  f"(renamed to dynamodb.json.imported)", file=sys.stderr)
    return store


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
