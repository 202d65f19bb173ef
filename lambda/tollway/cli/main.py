"""``tollway``: the local server (``serve``) and the admin API from a terminal.

Each subcommand lives in its own module ``tollway.cli.<name>`` exposing
``register(subparsers)``, which adds its parser with ``set_defaults(func=run)``;
``run(args) -> int`` is the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

SUBCOMMANDS = ("serve", "keys", "teams", "users", "spend")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tollway", description="Tollway, a serverless LLM gateway for AWS.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS:
        module_name = f"tollway.cli.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # not built yet
            raise
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
