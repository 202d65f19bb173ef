"""Open mode (no master key): local only unless allowed, and no lasting admin credentials from it (item 10)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import serve_app
from tollway.auth.open_mode import host_refusal, is_loopback

CONFIG = "model_list:\n  - model_name: m\n    litellm_params: {model: mock/m}\n"


@pytest.fixture
def open_gateway(table_prefix: str) -> Iterator[str]:
    from tollway.app import create_app
    from tollway.config.loader import parse_config
    from tollway.gateway import Gateway

    gateway = Gateway(parse_config({"model_list": [{"model_name": "m", "litellm_params": {"model": "mock/m"}}]}))
    assert gateway.auth.open_mode
    server = serve_app(create_app(gateway))
    yield server.url
    server.stop()


def test_anonymous_callers_cannot_make_admins(open_gateway: str) -> None:
    with httpx.Client(base_url=open_gateway, timeout=30) as http:
        for role in ("proxy_admin", "proxy_admin_viewer"):
            refused = http.post("/user/new", json={"user_id": f"boss-{role}", "user_role": role})
            assert refused.status_code == 403, refused.text
            assert refused.json()["error"]["param"] == "user_role"
            assert http.get("/user/info", params={"user_id": f"boss-{role}"}).status_code == 404
        made = http.post("/user/new", json={"user_id": "dev", "user_role": "internal_user"})
        assert made.status_code == 200, made.text  # open mode still administers everything else
        promoted = http.post("/user/update", json={"user_id": "dev", "user_role": "proxy_admin"})
        assert promoted.status_code == 403 and http.get("/user/info", params={"user_id": "dev"}).json()[
            "user_info"]["user_role"] == "internal_user"
        mapping = http.post("/iam/principal/new", json={"principal_arn": "arn:aws:iam::123456789012:role/x",
                                                        "role": "proxy_admin"})
        assert mapping.status_code == 403, mapping.text
        # the user's own key is not anonymous: it acts as that internal user, not as an admin
        key = made.json()["key"]
        assert http.get("/user/list", headers={"authorization": f"Bearer {key}"}).status_code == 403


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("::1", True), ("[::1]", True),
                                                ("localhost", True), ("127.1.2.3", True), ("0.0.0.0", False),
                                                ("::", False), ("10.0.0.5", False), ("example.com", False)])
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    assert (host_refusal(host, allow=False) is None) is loopback
    assert host_refusal(host, allow=True) is None


def test_serve_refuses_open_mode_on_a_public_host(tmp_path: Path) -> None:
    config = tmp_path / "open.yaml"
    config.write_text(CONFIG)
    env = {k: v for k, v in os.environ.items() if k not in ("TOLLWAY_MASTER_KEY", "AWS_ENDPOINT_URL_DYNAMODB",
                                                            "TOLLWAY_ALLOW_OPEN")}
    result = subprocess.run([sys.executable, "-m", "tollway", "serve", "--config", str(config), "--host", "0.0.0.0",
                             "--data-dir", str(tmp_path / "data")], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2, result.stderr
    assert "refusing to listen on 0.0.0.0" in result.stderr and "--allow-open" in result.stderr
    assert not (tmp_path / "data").exists()  # refused before anything started
