"""``tollway keys``: virtual keys from a terminal (generate, list, info, update, block, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tollway.cli import admin_http as http
from tollway.cli import keys_import

if TYPE_CHECKING:
    import argparse

COLUMNS = ("token", "key_name", "key_alias", "team_id", "user_id", "models", "max_budget", "expires", "blocked")
KEY_OPTIONS = (*http.LIMIT_OPTIONS, "key_alias", "duration", "team_id", "user_id", "project_id", "tags")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("keys", help="virtual keys")
    commands = parser.add_subparsers(dest="keys_command", required=True)
    for name in ("generate", "update"):
        sub = commands.add_parser(name, help=f"{name} a key")
        if name == "update":
            sub.add_argument("key", help="the key or its token")
        sub.add_argument("--alias", dest="key_alias")
        sub.add_argument("--duration", help="expiry from now, e.g. 30d")
        sub.add_argument("--team", dest="team_id")
        sub.add_argument("--user", dest="user_id")
        sub.add_argument("--project", dest="project_id")
        sub.add_argument("--tags", type=http.csv_list)
        http.add_limit_options(sub)
    listing = commands.add_parser("list", help="list keys")
    listing.add_argument("--team", dest="team_id")
    listing.add_argument("--user", dest="user_id")
    listing.add_argument("--page", type=int, default=1)
    listing.add_argument("--size", type=int, default=100)
    for name in ("info", "block", "unblock", "regenerate"):
        commands.add_parser(name, help=f"{name} a key").add_argument("key", help="the key or its token")
    commands.add_parser("delete", help="delete keys").add_argument("keys", nargs="+")
    keys_import.register(commands)
    for sub in commands.choices.values():
        http.add_common(sub)
    parser.set_defaults(func=http.guarded(run))


def run(args: argparse.Namespace) -> int:
    command = args.keys_command
    if command == "import":
        return keys_import.run(args)
    if command == "generate":
        data = http.call(args, "POST", "/key/generate", http.body_of(args, KEY_OPTIONS))
        text = http.record(data, ["key", *COLUMNS]) + "\n(save the key now: it is not shown again)"
    elif command == "update":
        data = http.call(args, "POST", "/key/update", {"key": args.key, **http.body_of(args, KEY_OPTIONS)})
        text = http.record(data, COLUMNS)
    elif command == "list":
        data = http.call(args, "GET", "/key/list", params={
            "team_id": args.team_id, "user_id": args.user_id, "page": args.page, "size": args.size,
            "return_full_object": "true"})
        text = http.table(data["keys"], COLUMNS) + f"\n{data['total_count']} key(s), page {data['current_page']}" \
            f" of {data['total_pages']}"
    elif command == "info":
        data = http.call(args, "GET", "/key/info", params={"key": args.key})
        text = http.record(data["info"])
    elif command in ("block", "unblock"):
        data = http.call(args, "POST", f"/key/{command}", {"key": args.key})
        text = http.record(data, COLUMNS)
    elif command == "regenerate":
        data = http.call(args, "POST", "/key/regenerate", {"key": args.key})
        text = http.record(data, ["key", *COLUMNS]) + "\n(the old key no longer works; save the new one now)"
    else:
        data = http.call(args, "POST", "/key/delete", {"keys": args.keys})
        text = f"deleted {len(data['deleted_keys'])} key(s)"
    http.output(args, data, text)
    return 0
