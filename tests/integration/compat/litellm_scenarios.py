"""LiteLLM's own admin client and CLI driven against a gateway: run in a subprocess, never imported by pytest.

``python litellm_scenarios.py client|cli URL KEY`` with ``tests/.litellm`` (LiteLLM, pinned) on
``PYTHONPATH``; prints one JSON object: step name -> ``{"ok": true, "value": ...}`` or
``{"ok": false, "error": ...}``. Each step is what a LiteLLM user runs, unmodified: the client's
methods (``litellm.proxy.client``), and the ``litellm-proxy`` CLI's commands through click (the same
``cli`` object the console script runs; one process for every command, since importing LiteLLM
costs seconds). A step records its failure and the scenario goes on, so one break shows as one
failed test.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from typing import Any

Results = dict[str, dict[str, Any]]


def _step(results: Results, name: str, action: Callable[[], Any]) -> Any:
    try:
        value = action()
    except Exception as exc:  # a failed step is a result, reported to the test
        response = getattr(exc, "response", None)
        detail = getattr(response, "text", "") if response is not None else ""
        results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc} {detail}"[:2000],
                         "trace": traceback.format_exc()[-2000:]}
        return None
    results[name] = {"ok": True, "value": value}
    return value


def client_scenario(url: str, key: str) -> Results:
    from litellm.proxy.client import Client, UsersManagementClient

    client = Client(base_url=url, api_key=key)
    users = UsersManagementClient(base_url=url, api_key=key)
    results: Results = {}
    http = client.http.request

    _step(results, "teams.create", lambda: http("POST", "/team/new", json={
        "team_id": "lt-team", "team_alias": "LiteLLM team", "models": ["metered"], "max_budget": 10}))
    _step(results, "teams.info", lambda: http("GET", "/team/info?team_id=lt-team"))
    _step(results, "teams.update", lambda: http("POST", "/team/update", json={"team_id": "lt-team",
                                                                               "max_budget": 20}))
    _step(results, "teams.member_add", lambda: http("POST", "/team/member_add", json={
        "team_id": "lt-team", "member": {"user_id": "lt-member", "role": "user"}}))
    _step(results, "teams.list", lambda: client.teams.list())
    _step(results, "teams.list_v2", lambda: client.teams.list_v2(page=1, page_size=10, team_alias="litellm"))
    _step(results, "teams.get_available", lambda: client.teams.get_available())

    made = _step(results, "keys.generate", lambda: client.keys.generate(
        models=["metered"], key_alias="lt-key", team_id="lt-team", duration="1d"))
    raw = made["key"] if isinstance(made, dict) else "sk-missing"
    _step(results, "keys.info", lambda: client.keys.info(key=raw))
    _step(results, "keys.list", lambda: client.keys.list(return_full_object=True, team_id="lt-team"))
    _step(results, "keys.update", lambda: client.keys.update(key=raw, key_alias="lt-key-renamed"))
    _step(results, "keys.generate_another", lambda: client.keys.generate(key_alias="lt-other"))
    _step(results, "keys.delete", lambda: client.keys.delete(keys=[raw]))
    _step(results, "keys.delete_by_alias", lambda: client.keys.delete(key_aliases=["lt-other"]))

    _step(results, "users.create", lambda: users.create_user({"user_id": "lt-user", "user_email": "lt@example.com",
                                                              "user_role": "internal_user", "teams": ["lt-team"]}))
    _step(results, "users.list", lambda: users.list_users())
    _step(results, "users.get", lambda: users.get_user(user_id="lt-user"))
    _step(results, "users.get_v2", lambda: users.get_user_v2(user_id="lt-user"))
    _step(results, "users.update", lambda: http("POST", "/user/update", json={"user_id": "lt-user",
                                                                               "user_alias": "LT"}))
    _step(results, "users.delete", lambda: users.delete_user(["lt-user"]))

    _step(results, "models.list", lambda: client.models.list())
    _step(results, "models.info", lambda: client.models.info())
    _step(results, "models.get_by_name", lambda: client.models.get(model_name="metered"))
    _step(results, "models.get_by_id", lambda: client.models.get(model_id="metered-1"))
    _step(results, "model_groups.info", lambda: client.model_groups.info())
    _step(results, "credentials.list", lambda: client.credentials.list())
    return results


def cli_scenario(url: str, key: str) -> Results:
    from click.testing import CliRunner
    from litellm.proxy.client.cli import cli

    runner = CliRunner()
    results: Results = {}

    def run(*args: str) -> str:
        outcome = runner.invoke(cli, ["--base-url", url, "--api-key", key, *args], catch_exceptions=True)
        if outcome.exit_code != 0:
            raise RuntimeError(f"exit {outcome.exit_code}: {outcome.output[-1500:]} {outcome.exception!r}")
        return outcome.stdout

    def as_json(*args: str) -> Any:
        return json.loads(run(*args))

    _step(results, "http.team_new", lambda: as_json("http", "request", "POST", "/team/new", "-j",
                                                    json.dumps({"team_id": "cli-team", "team_alias": "CLI team"})))
    _step(results, "keys.generate", lambda: as_json("keys", "generate", "--models", "metered", "--key-alias",
                                                    "cli-key", "--team-id", "cli-team", "--duration", "1d"))
    _step(results, "keys.list", lambda: as_json("keys", "list", "--team-id", "cli-team", "--format", "json"))
    _step(results, "keys.list_table", lambda: run("keys", "list", "--team-id", "cli-team"))
    _step(results, "keys.delete", lambda: as_json("keys", "delete", "--key-aliases", "cli-key"))
    _step(results, "teams.list", lambda: run("teams", "list"))
    _step(results, "teams.available", lambda: run("teams", "available"))
    _step(results, "users.create", lambda: as_json("users", "create", "--email", "cli@example.com", "--team",
                                                   "cli-team", "--max-budget", "5"))
    _step(results, "users.list", lambda: run("users", "list"))
    created = results["users.create"].get("value") or {}
    user_id = str(created.get("user_id", "missing"))
    _step(results, "users.get", lambda: as_json("users", "get", "--id", user_id))
    _step(results, "users.delete", lambda: as_json("users", "delete", user_id))
    _step(results, "models.list", lambda: run("models", "list", "--format", "json"))
    _step(results, "models.info", lambda: as_json("models", "info", "--format", "json"))
    _step(results, "models.info_table", lambda: run("models", "info"))
    _step(results, "models.get", lambda: as_json("models", "get", "--name", "metered"))
    _step(results, "model_groups.list", lambda: as_json("model-groups", "list", "--format", "json"))
    _step(results, "model_groups.list_table", lambda: run("model-groups", "list"))
    _step(results, "credentials.list", lambda: as_json("credentials", "list", "--format", "json"))
    return results


if __name__ == "__main__":
    kind, base_url, api_key = sys.argv[1:4]
    scenario = client_scenario if kind == "client" else cli_scenario
    print(json.dumps(scenario(base_url, api_key), default=str))
