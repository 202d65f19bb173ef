"""The admin UI on AWS: ``-c ui=true`` adds a /ui-only API (authorization NONE), optional OIDC settings in
Secrets Manager and an optional Cognito user pool; admin routes stay IAM-only and cdk-nag stays clean."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cdk.app import SynthError
from tests.infra.conftest import Synth, render, statements, synth

ISSUER = "https://login.example.com/tenant"


@pytest.fixture(scope="module")
def cognito(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synth(tmp_path_factory.mktemp("ui-cognito"), ui="true", ui_cognito="true")


@pytest.fixture(scope="module")
def oidc(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synth(tmp_path_factory.mktemp("ui-oidc"), ui="true", ui_oidc_issuer=ISSUER, ui_oidc_client_id="abc123",
                 kms="true")


def _ui_api(s: Synth) -> tuple[str, list[dict[str, Any]]]:
    (api_id,) = [k for k, v in s.resources("AWS::ApiGateway::RestApi").items()
                 if v["Properties"]["Name"].endswith("-ui")]
    methods = [m["Properties"] for m in s.resources("AWS::ApiGateway::Method").values()
               if m["Properties"]["RestApiId"] == {"Ref": api_id}]
    return api_id, methods


def _paths(s: Synth, api_id: str) -> dict[str, str]:
    resources = {k: v["Properties"] for k, v in s.resources("AWS::ApiGateway::Resource").items()
                 if v["Properties"]["RestApiId"] == {"Ref": api_id}}

    def path(ref: str) -> str:
        props = resources[ref]
        parent = props["ParentId"]
        prefix = "" if "Fn::GetAtt" in parent else path(parent["Ref"])
        return f"{prefix}/{props['PathPart']}"

    return {k: path(k) for k in resources}


def test_only_ui_paths_with_authorization_none_and_binary_passthrough(cognito: Synth) -> None:
    api_id, methods = _ui_api(cognito)
    paths = _paths(cognito, api_id)
    exposed = sorted((paths[m["ResourceId"]["Ref"]], m["HttpMethod"]) for m in methods)
    assert exposed == [("/ui", "GET"), ("/ui/{proxy+}", "GET"), ("/ui/{proxy+}", "POST")]
    assert all(m["AuthorizationType"] == "NONE" for m in methods)
    api = cognito.template["Resources"][api_id]["Properties"]
    assert api["BinaryMediaTypes"] == ["*/*"] and api["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    iam_api = [v for v in cognito.resources("AWS::ApiGateway::RestApi").values()
               if v["Properties"]["Name"] == f"tollway-{cognito.stack.settings.stage}"]
    assert len(iam_api) == 1
    others = [m for m in cognito.resources("AWS::ApiGateway::Method").values()
              if m["Properties"]["RestApiId"] != {"Ref": api_id}]
    assert others and all(m["Properties"]["AuthorizationType"] == "AWS_IAM" for m in others)
    assert any(k.startswith("UiUiUrl") for k in cognito.template["Outputs"])


def test_cognito_pool_groups_public_pkce_client_and_settings_secret(cognito: Synth) -> None:
    (pool,) = cognito.resources("AWS::Cognito::UserPool").values()
    assert pool["Properties"]["MfaConfiguration"] == "ON"
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    groups = sorted(g["Properties"]["GroupName"] for g in cognito.resources("AWS::Cognito::UserPoolGroup").values())
    assert groups == ["tollway-admins", "tollway-viewers"]
    (client,) = cognito.resources("AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]
    assert props["GenerateSecret"] is False and props["AllowedOAuthFlows"] == ["code"]
    assert render(props["CallbackURLs"][0]).endswith("/ui/sso/callback")
    secret = _settings_secret(cognito)
    text = render(secret["SecretString"])
    assert "cognito:groups" in text and "tollway-admins" in text and "/ui/sso/callback" in text
    env = _function_env(cognito)
    assert env["TOLLWAY_UI_OIDC_SECRET"] == f"tollway/{cognito.stack.settings.stage}/ui-oidc"


def test_external_issuer_settings_and_a_client_secret_to_fill_in(oidc: Synth) -> None:
    secret = _settings_secret(oidc)
    document = render(secret["SecretString"])
    assert ISSUER in document and "abc123" in document and "secretsmanager/tollway/" in document
    assert secret.get("KmsKeyId")
    names = [s["Properties"].get("Name") for s in oidc.resources("AWS::SecretsManager::Secret").values()]
    assert f"tollway/{oidc.stack.settings.stage}/ui-oidc-client-secret" in names
    assert not oidc.resources("AWS::Cognito::UserPool")
    granted = [s for s in statements(oidc) if s["Action"] == "secretsmanager:GetSecretValue"
               and "ui-oidc" in json.dumps(s["Resource"])]
    assert len(granted) == 1 and render(granted[0]["Resource"]).endswith(
        f":secret:tollway/{oidc.stack.settings.stage}/ui-oidc*")


def test_no_ui_without_the_flag(buffered: Synth) -> None:
    names = [v["Properties"]["Name"] for v in buffered.resources("AWS::ApiGateway::RestApi").values()]
    assert not [n for n in names if n.endswith("-ui")]
    assert "TOLLWAY_UI_OIDC_SECRET" not in _function_env(buffered)


@pytest.mark.parametrize(("context", "message"), [
    ({"ui": "maybe"}, "context 'ui'"),
    ({"ui": "true", "ui_oidc_issuer": ISSUER}, "go together"),
    ({"ui": "true", "ui_oidc_issuer": "http://plain.example", "ui_oidc_client_id": "x"}, "https://"),
    ({"ui_cognito": "true"}, "need 'ui=true'"),
])
def test_bad_ui_context_names_the_key(tmp_path: Path, context: dict[str, str], message: str) -> None:
    with pytest.raises(SynthError, match=message):  # one line at synth, naming the key
        synth(tmp_path, **context)


def _settings_secret(s: Synth) -> dict[str, Any]:
    (secret,) = [v["Properties"] for v in s.resources("AWS::SecretsManager::Secret").values()
                 if v["Properties"].get("Name") == f"tollway/{s.stack.settings.stage}/ui-oidc"]
    return secret


def _function_env(s: Synth) -> dict[str, Any]:
    functions = [v["Properties"] for v in s.resources("AWS::Lambda::Function").values()
                 if "Environment" in v["Properties"]]
    (gateway,) = [f for f in functions if "TOLLWAY_MASTER_KEY_SECRET" in f["Environment"]["Variables"]]
    return gateway["Environment"]["Variables"]  # type: ignore[no-any-return]


def test_sso_puts_the_signature_packages_in_the_layer_and_a_prebuilt_layer_without_them_is_refused(
        tmp_path: Path, oidc: Synth, cognito: Synth, buffered: Synth) -> None:
    from cdk.app import build_app
    from tests.infra.conftest import base_context

    assert oidc.stack.gateway.sso and cognito.stack.gateway.sso and not buffered.stack.gateway.sso
    layer = tmp_path / "layer" / "python"
    layer.mkdir(parents=True)
    context = {**base_context(), "layer_dir": str(layer.parent), "ui": "true", "ui_cognito": "true"}
    with pytest.raises(SynthError, match=r"ui_sso\.txt"):
        build_app(context, outdir=str(tmp_path / "cdk.out"))
