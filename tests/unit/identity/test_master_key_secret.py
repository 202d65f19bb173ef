"""The master key from Secrets Manager (the secret named in ``TOLLWAY_MASTER_KEY_SECRET``)."""

from __future__ import annotations

import asyncio

import pytest

from tollway.auth.authenticator import Authenticator
from tollway.errors import AuthenticationError


def test_master_key_is_read_from_secrets_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    with moto.mock_aws():
        arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="tollway/master", SecretString="sk-from-secrets-manager")["ARN"]
        monkeypatch.setenv("TOLLWAY_MASTER_KEY_SECRET", arn)
        monkeypatch.delenv("TOLLWAY_MASTER_KEY", raising=False)
        auth = Authenticator.from_settings("sk-config-value")  # the secret wins over the config
        ok = asyncio.run(auth.authenticate({"authorization": "Bearer sk-from-secrets-manager"}))
        assert ok.kind == "master_key" and ok.role == "proxy_admin"
        with pytest.raises(AuthenticationError):
            asyncio.run(auth.authenticate({"authorization": "Bearer sk-config-value"}))
