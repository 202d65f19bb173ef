"""``bedrock:ApplyGuardrail`` on exactly the Bedrock guardrails the config names; the violations dashboard row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import Synth, as_list, render, statements, synth

P, R, A = "${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}"
CONFIG = """
model_list:
  - model_name: m
    litellm_params: {model: mock/m}
guardrails:
  - guardrail_name: in-region
    litellm_params: {guardrail: bedrock, mode: pre_call, guardrailIdentifier: gr-abc123, guardrailVersion: "2",
                     aws_region_name: eu-west-1}
  - guardrail_name: stack-region
    litellm_params: {guardrail: bedrock_guardrails, mode: post_call, guardrailIdentifier: gr-def456}
  - guardrail_name: by-arn
    litellm_params: {guardrail: bedrock, guardrailIdentifier: "arn:aws:bedrock:us-west-2:111122223333:guardrail/gr-x9"}
  - guardrail_name: same-again
    litellm_params: {guardrail: bedrock, mode: during_call, guardrailIdentifier: gr-abc123, aws_region_name: eu-west-1}
  - guardrail_name: pii
    litellm_params: {guardrail: pii, mode: pre_call, default_on: true}
  - guardrail_name: presidio
    litellm_params: {guardrail: presidio, presidio_analyzer_api_base: "http://presidio.internal:5002"}
"""


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    folder = tmp_path_factory.mktemp("guardrails")
    path = Path(folder) / "config.yaml"
    path.write_text(CONFIG)
    return synth(folder, config=str(path), streaming="false")


def test_apply_guardrail_only_on_configured_guardrails(guarded: Synth) -> None:
    [statement] = [s for s in statements(guarded) if s.get("Sid") == "ApplyConfiguredGuardrails"]
    assert as_list(statement["Action"]) == ["bedrock:ApplyGuardrail"]
    resources = as_list(statement["Resource"])
    assert len(resources) == 3 and set(resources) == {
        f"arn:{P}:bedrock:eu-west-1:{A}:guardrail/gr-abc123",
        f"arn:{P}:bedrock:{R}:{A}:guardrail/gr-def456",
        "arn:aws:bedrock:us-west-2:111122223333:guardrail/gr-x9",
    }
    others = [s for s in statements(guarded) if s.get("Sid") != "ApplyConfiguredGuardrails"]
    assert not any("bedrock:ApplyGuardrail" in as_list(s["Action"]) for s in others)


def test_no_guardrail_permission_without_bedrock_guardrails(buffered: Synth) -> None:
    assert not any("bedrock:ApplyGuardrail" in as_list(s["Action"]) for s in statements(buffered))


def _dashboard_widgets(s: Synth) -> dict[str, dict[str, Any]]:
    (dashboard,) = s.resources("AWS::CloudWatch::Dashboard").values()
    body = json.loads(render(dashboard["Properties"]["DashboardBody"]))
    return {w["properties"]["title"]: w for w in body["widgets"] if "title" in w["properties"]}


def test_dashboard_shows_violations_by_the_emitted_dimension_sets(guarded: Synth,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The widgets read exactly the sets ``guardrails.record.emit`` writes: (Guardrail, Action) and (Team)."""
    from tollway.guardrails.record import emit

    widgets = _dashboard_widgets(guarded)
    by_action = widgets["Guardrail violations by guardrail and action"]["properties"]["metrics"]
    by_team = widgets["Guardrail violations by team"]["properties"]["metrics"]
    assert [m[0]["expression"] for m in by_action] == [
        "SEARCH('{Tollway,Action,Guardrail} MetricName=\"GuardrailViolations\"', 'Sum', 300)"]
    assert [m[0]["expression"] for m in by_team] == [
        "SEARCH('{Tollway,Team} MetricName=\"GuardrailViolations\"', 'Sum', 300)"]

    capsys.readouterr()
    emit("pii", "mask", "team-a")
    (line,) = capsys.readouterr().out.splitlines()
    (directive,) = json.loads(line)["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Tollway"
    assert [m["Name"] for m in directive["Metrics"]] == ["GuardrailViolations"]
    assert sorted(sorted(dims) for dims in directive["Dimensions"]) == [["Action", "Guardrail"], ["Team"]]


def test_no_guardrail_widgets_without_guardrails(buffered: Synth) -> None:
    assert not any("Guardrail" in title for title in _dashboard_widgets(buffered))
