"""Recording a decision: the context's list (read by the spend log), one EMF document with the
``GuardrailViolations`` metric by (Guardrail, Action) and (Team), and never the offending text."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.unit.guardrails.support import guard, session
from tollway.guardrails import record


def test_decision_goes_on_the_context_and_out_as_emf(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TOLLWAY_EMF_METRICS", "1")
    state = session()
    audited: list[dict[str, Any]] = []

    async def audit(entry: dict[str, Any]) -> None:
        audited.append(entry)

    state.audit = audit
    pii = guard("pii", name="pii-guard")
    asyncio.run(record.decision(state, pii, "EMAIL_ADDRESS", "mask"))
    asyncio.run(record.decision(state, pii, "US_SSN", "block"))
    assert state.ctx.extra["guardrails"] == [
        {"guardrail": "pii-guard", "category": "EMAIL_ADDRESS", "action": "mask", "stage": "input"},
        {"guardrail": "pii-guard", "category": "US_SSN", "action": "block", "stage": "input"}]
    assert audited == [state.ctx.extra["guardrails"][1]], "only blocks are audited"
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert len(documents) == 2
    emf = documents[1]["_aws"]["CloudWatchMetrics"][0]
    assert emf["Namespace"] == "Tollway" and emf["Metrics"] == [{"Name": "GuardrailViolations", "Unit": "Count"}]
    assert emf["Dimensions"] == [["Guardrail", "Action"], ["Team"]]
    assert documents[1]["Guardrail"] == "pii-guard" and documents[1]["Action"] == "block"
    assert documents[1]["Team"] == "t1" and documents[1]["GuardrailViolations"] == [1.0]


def test_no_emf_unless_metrics_are_on(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("TOLLWAY_EMF_METRICS", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    asyncio.run(record.decision(session(), guard("pii"), "EMAIL_ADDRESS", "log"))
    assert '"_aws"' not in capsys.readouterr().out
