"""``tollway``: run the gateway locally (``serve``); admin commands join as their APIs land."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tollway", description="Tollway, a serverless LLM gateway for AWS.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the gateway on this machine")
    serve.add_argument("--config", default=os.environ.get("TOLLWAY_CONFIG"), help="config.yaml (LiteLLM schema)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=4000)
    serve.add_argument("--data-dir", default=".tollway", help="where the embedded store keeps its data")
    serve.add_argument("--log-level", default="warning", help="uvicorn's log level")
    args = parser.parse_args(argv)
    if args.command == "serve":
        from tollway.cli.serve import serve as run

        return run(args.config, host=args.host, port=args.port, data_dir=args.data_dir, log_level=args.log_level)
    return 2  # pragma: no cover - argparse enforces the choices


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
