"""``tollway users``: users (role, budgets, models) from a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tollway.cli import admin_http as http

if TYPE_CHECKING:
    import argparse

COLUMNS = ("user_id", "user_email", "user_role", "models", "max_budget", "budget_duration", "rpm_limit")
USER_OPTIONS = (*http.LIMIT_OPTIONS, "user_email", "user_role")
ROLES = ("proxy_admin", "proxy_admin_viewer", "internal_user")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("users", help="users")
    commands = parser.add_subparsers(dest="users_command", required=True)
    for name in ("new", "update"):
        sub = commands.add_parser(name, help=f"{name} user")
        sub.add_argument("user_id", nargs="?" if name == "new" else None)
        sub.add_argument("--email", dest="user_email")
        sub.add_argument("--role", dest="user_role", choices=ROLES)
        http.add_limit_options(sub)
        if name == "new":
            sub.add_argument("--teams", type=http.csv_list, help="comma-separated team ids to join")
            sub.add_argument("--no-key", action="store_true", help="do not create a first key")
    listing = commands.add_parser("list", help="list users")
    listing.add_argument("--role", choices=ROLES)
    listing.add_argument("--page", type=int, default=1)
    listing.add_argument("--page-size", type=int, default=100)
    commands.add_parser("info", help="a user, its keys and teams").add_argument("user_id")
    commands.add_parser("delete", help="delete users (and their keys)").add_argument("user_ids", nargs="+")
    for sub in commands.choices.values():
        http.add_common(sub)
    parser.set_defaults(func=http.guarded(run))


def run(args: argparse.Namespace) -> int:
    command = args.users_command
    if command == "new":
        body = {"user_id": args.user_id, **http.body_of(args, USER_OPTIONS), "teams": args.teams or [],
                "auto_create_key": not args.no_key}
        data = http.call(args, "POST", "/user/new", {k: v for k, v in body.items() if v is not None})
        text = http.record(data, [*COLUMNS, "teams", "key"])
        if data.get("key"):
            text += "\n(save the key now: it is not shown again)"
    elif command == "update":
        data = http.call(args, "POST", "/user/update", {"user_id": args.user_id, **http.body_of(args, USER_OPTIONS)})
        text = http.record(data["data"], COLUMNS)  # LiteLLM's {user_id, data}
    elif command == "list":
        data = http.call(args, "GET", "/user/list", params={"role": args.role, "page": args.page,
                                                            "page_size": args.page_size})
        text = http.table(data["users"], COLUMNS) + f"\n{data['total']} user(s)"
    elif command == "info":
        data = http.call(args, "GET", "/user/info", params={"user_id": args.user_id})
        keys = http.table(data["keys"], ("token", "key_name", "key_alias", "team_id", "blocked"))
        teams = http.table(data["teams"], ("team_id", "role"))
        text = f"{http.record(data['user_info'], COLUMNS)}\n\nteams:\n{teams}\n\nkeys:\n{keys}"
    else:
        data = http.call(args, "POST", "/user/delete", {"user_ids": args.user_ids})
        text = f"deleted {data} user(s)"  # LiteLLM answers the count
    http.output(args, data, text)
    return 0
