"""LiteLLM's own admin client (``litellm.proxy.client``) and CLI (``litellm-proxy``) against ``tollway serve``.

LiteLLM is pinned in tests/requirements-litellm.txt and installed by ``make test`` into tests/.litellm,
outside the product's .venv; it runs in subprocesses (``litellm_scenarios.py``) with that folder on
PYTHONPATH and ``LITELLM_LOCAL_MODEL_COST_MAP`` set (no network). Each step of the scenarios is one test
here; a step is what a LiteLLM user runs, and it must succeed and parse what Tollway answered.
Without tests/.litellm the tests fail in CI (``CI`` set) and skip elsewhere, naming the make target.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.servers import free_port, wait_ready

ROOT = Path(__file__).parents[3]
LITELLM = ROOT / "tests" / ".litellm"
SCENARIOS = Path(__file__).with_name("litellm_scenarios.py")
MASTER = "sk-compat-master-key-0001"
CONFIG = {
    "model_list": [
        {"model_name": "metered", "litellm_params": {"model": "mock/metered", "input_cost_per_token": 1e-06,
                                                     "output_cost_per_token": 2e-06, "api_key": "sk-upstream-hidden"},
         "model_info": {"id": "metered-1"}},
        {"model_name": "other", "litellm_params": {"model": "mock/other"}},
    ],
    "general_settings": {"master_key": MASTER},
    "litellm_settings": {"default_internal_user_params": {"available_teams": ["lt-team", "cli-team"]}},
}

def _litellm_env(home: Path) -> dict[str, str]:
    if not (LITELLM / ".installed").exists():
        message = "LiteLLM's client is not installed in tests/.litellm: run `make tests/.litellm/.installed`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LITELLM_", "OPENAI_", "AWS_"))}
    return {**env, "PYTHONPATH": str(LITELLM), "LITELLM_LOCAL_MODEL_COST_MAP": "True", "HOME": str(home),
            "COLUMNS": "400", "NO_COLOR": "1", "TERM": "dumb"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """(the URL of a running ``tollway serve`` with its embedded store, the environment for LiteLLM)."""
    home = tmp_path_factory.mktemp("litellm-home")
    env = _litellm_env(home)
    workdir = tmp_path_factory.mktemp("serve")
    config = workdir / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    port = free_port()
    serve_env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL_DYNAMODB", "TOLLWAY_MASTER_KEY")}
    log = (workdir / "serve.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "tollway", "serve", "--config", str(config), "--port", str(port),
                                "--data-dir", str(workdir / "data")], env=serve_env, stdout=log, stderr=log, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, output=lambda: (workdir / "serve.log").read_text()[-2000:])
        yield url, env
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _scenario(kind: str, served: tuple[str, dict[str, str]]) -> dict[str, dict[str, Any]]:
    url, env = served
    done = subprocess.run([sys.executable, str(SCENARIOS), kind, url, MASTER], env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    results: dict[str, dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return results


@pytest.fixture(scope="module")
def client_results(served: tuple[str, dict[str, str]]) -> dict[str, dict[str, Any]]:
    return _scenario("client", served)


@pytest.fixture(scope="module")
def cli_results(served: tuple[str, dict[str, str]]) -> dict[str, dict[str, Any]]:
    return _scenario("cli", served)


def _value(results: dict[str, dict[str, Any]], step: str) -> Any:
    assert step in results, f"the scenario did not reach {step}"
    outcome = results[step]
    assert outcome["ok"], f"{step}: {outcome['error']}\n{outcome.get('trace', '')}"
    return outcome["value"]


CLIENT_STEPS = ["teams.create", "teams.info", "teams.update", "teams.member_add", "teams.list", "teams.list_v2",
                "teams.get_available", "keys.generate", "keys.info", "keys.list", "keys.update",
                "keys.generate_another", "keys.delete", "keys.delete_by_alias", "users.create", "users.list",
                "users.get", "users.get_v2", "users.update", "users.delete", "models.list", "models.info",
                "models.get_by_name", "models.get_by_id", "model_groups.info",
                "credentials.list"]
CLI_STEPS = ["http.team_new", "keys.generate", "keys.list", "keys.list_table", "keys.delete", "teams.list",
             "teams.available", "users.create", "users.list", "users.get", "users.delete", "models.list",
             "models.info", "models.info_table", "models.get", "model_groups.list", "model_groups.list_table",
             "credentials.list"]


@pytest.mark.parametrize("step", CLIENT_STEPS)
def test_litellm_client_step_succeeds(client_results: dict[str, dict[str, Any]], step: str) -> None:
    _value(client_results, step)


@pytest.mark.parametrize("step", CLI_STEPS)
def test_litellm_cli_step_succeeds(cli_results: dict[str, dict[str, Any]], step: str) -> None:
    _value(cli_results, step)


def test_the_client_reads_what_tollway_answers(client_results: dict[str, dict[str, Any]]) -> None:
    made = _value(client_results, "keys.generate")
    assert made["key"].startswith("sk-") and made["key_alias"] == "lt-key" and made["team_id"] == "lt-team"
    assert _value(client_results, "keys.info")["info"]["key_alias"] == "lt-key"
    assert [k["key_alias"] for k in _value(client_results, "keys.list")["keys"]] == ["lt-key"]
    assert _value(client_results, "keys.update")["key_alias"] == "lt-key-renamed"
    assert _value(client_results, "keys.delete") == {"deleted_keys": [made["key"]]}
    assert _value(client_results, "keys.delete_by_alias") == {"deleted_keys": ["lt-other"]}
    assert _value(client_results, "teams.update")["data"]["max_budget"] == 20
    assert _value(client_results, "teams.member_add")["team_alias"] == "LiteLLM team"
    assert [t["team_id"] for t in _value(client_results, "teams.list_v2")["teams"]] == ["lt-team"]
    assert "lt-team" in [t["team_id"] for t in _value(client_results, "teams.get_available")]
    assert "lt-user" in {u["user_id"] for u in _value(client_results, "users.list")}
    assert _value(client_results, "users.get")["user_info"]["user_email"] == "lt@example.com"
    v2 = _value(client_results, "users.get_v2")
    assert v2["user_id"] == "lt-user" and v2["teams"] == ["lt-team"]
    assert _value(client_results, "users.delete") == 1
    assert {m["id"] for m in _value(client_results, "models.list")} == {"metered", "other"}
    info = _value(client_results, "models.info")
    assert [m["model_name"] for m in info] == ["metered", "other"] and "sk-upstream-hidden" not in json.dumps(info)
    assert _value(client_results, "models.get_by_id")["model_name"] == "metered"
    assert _value(client_results, "models.get_by_name")["model_info"]["output_cost_per_token"] == 2e-06
    groups = {g["model_group"]: g for g in _value(client_results, "model_groups.info")}
    assert groups["metered"]["input_cost_per_token"] == 1e-06 and groups["metered"]["providers"] == ["mock"]


def test_the_cli_prints_what_tollway_answers(cli_results: dict[str, dict[str, Any]]) -> None:
    made = _value(cli_results, "keys.generate")
    assert made["key_alias"] == "cli-key"
    assert [k["key_alias"] for k in _value(cli_results, "keys.list")["keys"]] == ["cli-key"]
    assert "cli-key" in _value(cli_results, "keys.list_table")
    assert _value(cli_results, "keys.delete") == {"deleted_keys": ["cli-key"]}  # sent with "keys": null
    assert "cli-team" in _value(cli_results, "teams.available")
    assert _value(cli_results, "users.get")["user_info"]["user_email"] == "cli@example.com"
    assert _value(cli_results, "users.delete") == 1
    assert [m["model_name"] for m in _value(cli_results, "models.info")] == ["metered", "other"]
    assert "metered" in _value(cli_results, "models.info_table")
    assert _value(cli_results, "models.get")["model_info"]["id"] == "metered-1"
    assert {g["model_group"] for g in _value(cli_results, "model_groups.list")} == {"metered", "other"}


def test_the_litellm_proxy_console_script_deletes_keys(served: tuple[str, dict[str, str]]) -> None:
    """The installed ``litellm-proxy`` script itself, as a process: the call that answered 400 before
    (its client sends ``"key_aliases": null``)."""
    url, env = served
    made = httpx.post(f"{url}/key/generate", json={"key_alias": "script-key"},
                      headers={"authorization": f"Bearer {MASTER}"}).json()
    done = subprocess.run([sys.executable, str(LITELLM / "bin" / "litellm-proxy"), "--base-url", url, "--api-key",
                           MASTER, "keys", "delete", "--keys", made["key"]], env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == {"deleted_keys": [made["key"]]}
    gone = httpx.get(f"{url}/key/info", params={"key": made["key"]}, headers={"authorization": f"Bearer {MASTER}"})
    assert gone.status_code == 404
