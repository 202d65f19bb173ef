"""Shared by ``tollway keys|teams|users``: common options, the HTTP call, and output.

Options on every subcommand: ``--url`` (``TOLLWAY_URL``, default http://127.0.0.1:4000),
``--master-key`` (``TOLLWAY_MASTER_KEY``; any admin-capable virtual key works too) and
``--json`` (print the API's JSON instead of a table). An API error prints its message and
exits 1.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse


class AdminError(Exception):
    """The API answered with an error; the message is the envelope's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}" if status else message)
        self.status = status


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default=os.environ.get("TOLLWAY_URL", "http://127.0.0.1:4000"),
                        help="the gateway (TOLLWAY_URL)")
    parser.add_argument("--master-key", default=os.environ.get("TOLLWAY_MASTER_KEY"),
                        help="admin credential (TOLLWAY_MASTER_KEY)")
    parser.add_argument("--json", action="store_true", help="print the raw JSON answer")


def call(args: argparse.Namespace, method: str, path: str, body: Any = None,
         params: dict[str, Any] | None = None) -> Any:
    import httpx

    headers = {"Authorization": f"Bearer {args.master_key}"} if args.master_key else {}
    query = {k: v for k, v in (params or {}).items() if v is not None}
    try:
        response = httpx.request(method, f"{args.url.rstrip('/')}{path}", json=body, params=query or None,
                                 headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        raise AdminError(0, f"cannot reach {args.url} ({type(exc).__name__})") from None
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code >= 400:
        message = (data or {}).get("error", {}).get("message") if isinstance(data, dict) else None
        raise AdminError(response.status_code, message or response.text[:200])
    return data


def with_usd(rows: Sequence[dict[str, Any]], field: str = "spend") -> list[dict[str, Any]]:
    """Rows with ``field`` (US dollars) written as ``$0.000123`` for a table (blank when absent)."""
    def usd(value: Any) -> str | None:
        return None if value is None else f"${float(value):.6f}".rstrip("0").rstrip(".") if value else "$0"

    return [{**row, field: usd(row.get(field))} for row in rows]


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """A plain aligned text table; lists are comma-joined, None is blank."""
    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, list | tuple):
            return ",".join(str(v) for v in value)
        if isinstance(value, dict):
            return json.dumps(value, separators=(",", ":"))
        return str(value)

    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def record(data: dict[str, Any], fields: Sequence[str] | None = None) -> str:
    """One record as ``field: value`` lines."""
    names = [f for f in (fields or data.keys()) if data.get(f) not in (None, [], {})]
    width = max((len(n) for n in names), default=0)
    return "\n".join(f"{n.ljust(width)}  {table([{n: data[n]}], [n]).splitlines()[1].strip()}" for n in names)


def output(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2) if args.json else text)


def guarded(run: Any) -> Any:
    """Wrap a subcommand's ``run`` so an API error is one line on stderr and exit code 1."""
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return int(run(args))
        except AdminError as exc:
            print(f"tollway: {exc}", file=sys.stderr)
            return 1
    return wrapper


def csv_list(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


def json_object(value: str | None) -> dict[str, Any] | None:
    import argparse

    if value is None:
        return None
    try:
        data = json.loads(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a JSON object") from None
    if not isinstance(data, dict):
        raise argparse.ArgumentTypeError("expected a JSON object")
    return data


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    """Budget, limits and models, shared by keys, teams and users."""
    parser.add_argument("--models", type=csv_list, help="comma-separated allowlist (wildcards, access groups)")
    parser.add_argument("--max-budget", type=float)
    parser.add_argument("--budget-duration", help="budget period, e.g. 30d")
    parser.add_argument("--soft-budget", type=float)
    parser.add_argument("--rpm-limit", type=int)
    parser.add_argument("--tpm-limit", type=int)
    parser.add_argument("--max-parallel-requests", type=int)
    parser.add_argument("--metadata", type=json_object, help="a JSON object")


LIMIT_OPTIONS = ("models", "max_budget", "budget_duration", "soft_budget", "rpm_limit", "tpm_limit",
                 "max_parallel_requests", "metadata")


def body_of(args: argparse.Namespace, names: Sequence[str]) -> dict[str, Any]:
    """The request body: every named option the user gave."""
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
