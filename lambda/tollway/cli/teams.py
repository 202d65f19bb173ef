"""``tollway teams``: teams and their members from a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tollway.cli import admin_http as http

if TYPE_CHECKING:
    import argparse

COLUMNS = ("team_id", "team_alias", "models", "max_budget", "budget_duration", "rpm_limit", "tpm_limit", "blocked")
TEAM_OPTIONS = (*http.LIMIT_OPTIONS, "team_alias")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("teams", help="teams and members")
    commands = parser.add_subparsers(dest="teams_command", required=True)
    for name in ("new", "update"):
        sub = commands.add_parser(name, help=f"{name} team")
        sub.add_argument("team_id", nargs="?" if name == "new" else None)
        sub.add_argument("--alias", dest="team_alias")
        http.add_limit_options(sub)
    commands.add_parser("list", help="list teams")
    commands.add_parser("info", help="a team, its members and keys").add_argument("team_id")
    commands.add_parser("delete", help="delete teams (and their keys)").add_argument("team_ids", nargs="+")
    add = commands.add_parser("add-member", help="add a user to a team")
    remove = commands.add_parser("remove-member", help="remove a user from a team")
    for sub in (add, remove):
        sub.add_argument("team_id")
        sub.add_argument("user_id")
    add.add_argument("--role", choices=("user", "admin"), default="user")
    for sub in commands.choices.values():
        http.add_common(sub)
    parser.set_defaults(func=http.guarded(run))


def run(args: argparse.Namespace) -> int:
    command = args.teams_command
    if command in ("new", "update"):
        body = {"team_id": args.team_id, **http.body_of(args, TEAM_OPTIONS)}
        data = http.call(args, "POST", f"/team/{command}", {k: v for k, v in body.items() if v is not None})
        text = http.record(data["data"] if command == "update" else data, COLUMNS)  # update: LiteLLM's {team_id, data}
    elif command == "list":
        data = http.call(args, "GET", "/team/list")
        text = http.table(data, COLUMNS)
    elif command == "info":
        data = http.call(args, "GET", "/team/info", params={"team_id": args.team_id})
        members = http.table(data["team_info"].get("members_with_roles", []), ("user_id", "role"))
        keys = http.table(data["keys"], ("token", "key_name", "key_alias", "user_id", "blocked"))
        text = f"{http.record(data['team_info'], COLUMNS)}\n\nmembers:\n{members}\n\nkeys:\n{keys}"
    elif command == "delete":
        data = http.call(args, "POST", "/team/delete", {"team_ids": args.team_ids})
        text = f"deleted {len(data['deleted_teams'])} team(s)"
    elif command == "add-member":
        data = http.call(args, "POST", "/team/member_add", {
            "team_id": args.team_id, "member": {"user_id": args.user_id, "role": args.role}})
        text = http.table(data["members_with_roles"], ("user_id", "role"))
    else:
        data = http.call(args, "POST", "/team/member_delete", {"team_id": args.team_id, "user_id": args.user_id})
        text = http.table(data["members_with_roles"], ("user_id", "role"))
    http.output(args, data, text)
    return 0
