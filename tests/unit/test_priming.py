"""SnapStart priming: with ``TOLLWAY_PRIME=1`` init builds what the first request needs, with no network;
after a restore, clients and randomness are this environment's own."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROBE = textwrap.dedent("""
    import json, sys
    network = []
    sys.addaudithook(lambda event, args: network.append(event) if event in (
        "socket.connect", "socket.getaddrinfo", "socket.sendto") else None)
    import tollway.handler
    from tollway import gateway
    print(json.dumps({
        "network": network,
        "built": gateway._default is not None,
        "modules": sorted(m for m in sys.modules if m.startswith(("tollway.providers.", "boto3", "botocore.client",
                                                                 "tollway.api.routes."))),
    }))
""")
CONFIG = """
model_list:
  - model_name: gpt-4o-mini
    litellm_params: {model: mock/gpt-4o-mini}
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, api_key: sk-test, api_base: "http://127.0.0.1:9/v1"}
general_settings: {master_key: sk-prime}
"""


def _import_handler(tmp_path: Path, **env: str) -> dict:  # type: ignore[type-arg]
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    base = {"PATH": "/usr/bin:/bin", "TOLLWAY_CONFIG": str(config), "AWS_REGION": "us-east-1",
            "TOLLWAY_TABLE_IDENTITY": "t-identity", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                            env={**base, **env}, timeout=120)
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_priming_builds_the_gateway_and_adapters_without_network(tmp_path: Path) -> None:
    report = _import_handler(tmp_path, TOLLWAY_PRIME="1")
    assert report["network"] == []
    assert report["built"] is True
    assert {"tollway.providers.mock.adapter", "tollway.providers.openai.adapter"} <= set(report["modules"])
    assert "boto3" in report["modules"]  # DynamoDB's service model is loaded into the snapshot
    assert {"tollway.api.routes.anthropic", "tollway.api.routes.admin_keys"} <= set(report["modules"])  # every route


def test_without_priming_import_stays_lazy(tmp_path: Path) -> None:
    report = _import_handler(tmp_path)
    assert report["built"] is False
    assert not [m for m in report["modules"] if m.endswith(".adapter") or m.startswith("boto3")]
    assert "tollway.api.routes.admin_keys" not in report["modules"]  # admin routes load on their first request


def test_after_restore_reseeds_and_drops_clients(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tollway import gateway as gateway_module
    from tollway import priming
    from tollway.storage import client

    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    monkeypatch.setenv("TOLLWAY_CONFIG", str(config))
    monkeypatch.setattr(gateway_module, "_default", None)
    built = gateway_module.default_gateway()
    built.provider(built.config.model_list[0])
    monkeypatch.setattr(client, "_client", object())
    random.seed(1234)
    snapshot_draw = random.random()
    random.seed(1234)
    priming.after_restore()
    assert random.random() != snapshot_draw  # every restored environment draws its own numbers
    assert client._client is None
    assert built._providers == {}


def test_hooks_register_only_where_the_runtime_offers_them(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from tollway import priming

    registered = []
    fake = types.ModuleType("snapshot_restore_py")
    fake.register_after_restore = registered.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", fake)
    assert priming.register_hooks() is True
    assert registered == [priming.after_restore]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import fails: not on Lambda
    assert priming.register_hooks() is False
