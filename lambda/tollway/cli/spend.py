"""``tollway spend report|logs``: spend from the admin API, as a table, ``--csv`` or ``--json``.

Talks to ``--url`` (or ``TOLLWAY_URL``, default http://127.0.0.1:4000) with ``TOLLWAY_MASTER_KEY``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

REPORT_COLUMNS = ("spend", "requests", "errors", "prompt_tokens", "completion_tokens", "cached_tokens")
LOG_COLUMNS = ("ended_at", "request_id", "model", "provider", "team_id", "key_digest", "status",
               "prompt_tokens", "completion_tokens", "cost")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("spend", help="spend reports and logs")
    commands = parser.add_subparsers(dest="spend_command", required=True)
    report = commands.add_parser("report", help="spend grouped by team, model, key, user, provider or day")
    report.add_argument("--group-by", default="team",
                        choices=("team", "model", "key", "user", "provider", "day"))
    logs = commands.add_parser("logs", help="recent spend logs")
    logs.add_argument("--limit", type=int, default=50)
    for name in ("team-id", "key-digest", "user-id", "model"):
        logs.add_argument(f"--{name}")
    for sub in (report, logs):
        sub.add_argument("--start-date", help="YYYY-MM-DD (UTC)")
        sub.add_argument("--end-date", help="YYYY-MM-DD (UTC)")
        sub.add_argument("--url", default=os.environ.get("TOLLWAY_URL", "http://127.0.0.1:4000"))
        output = sub.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true", help="print the raw JSON")
        output.add_argument("--csv", action="store_true", help="print CSV")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import httpx

    params: dict[str, Any] = {k: v for k, v in (("start_date", args.start_date), ("end_date", args.end_date)) if v}
    if args.spend_command == "report":
        path, params["group_by"] = "/spend/report", args.group_by
    else:
        path, params["limit"] = "/spend/logs", args.limit
        params.update({k: getattr(args, k) for k in ("team_id", "key_digest", "user_id", "model")
                       if getattr(args, k)})
    key = os.environ.get("TOLLWAY_MASTER_KEY", "")
    try:
        response = httpx.get(args.url.rstrip("/") + path, params=params, timeout=30,
                             headers={"authorization": f"Bearer {key}"} if key else {})
    except httpx.HTTPError as exc:
        print(f"error: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 2
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    if response.status_code != 200:
        print(f"error: {body.get('error', {}).get('message') or response.text}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(body, indent=2))
        return 0
    columns: tuple[str, ...]
    if args.spend_command == "report":
        columns = (args.group_by, *REPORT_COLUMNS)
        rows = [*body["rows"], {args.group_by: "TOTAL", **body["total"]}]
    else:
        columns, rows = LOG_COLUMNS, body["data"]
    print(render(rows, columns, as_csv=args.csv), end="")
    return 0


def render(rows: list[dict[str, Any]], columns: tuple[str, ...], *, as_csv: bool) -> str:
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    if as_csv:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(cells)
        return out.getvalue()
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".") or "0"
    return str(value)
