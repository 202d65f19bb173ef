"""cdk-nag (AwsSolutions) and cfn-lint on the synthesized templates."""

from __future__ import annotations

import json

import pytest

from cdk import lint
from tests.infra.conftest import Synth


@pytest.mark.parametrize("mode", ["streaming", "buffered", "logged", "logged_kms"])
def test_cdk_nag_has_no_unacknowledged_findings(mode: str, request: pytest.FixtureRequest) -> None:
    s: Synth = request.getfixturevalue(mode)
    report = json.loads((s.outdir / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert nag["conclusion"] == "success"
    assert nag["violations"] == []
    # the pack really ran: the design's accepted findings are there, each with a written reason
    assert nag["suppressedViolations"]
    for suppressed in nag["suppressedViolations"]:
        assert len(suppressed["reason"]) > 40, suppressed["ruleName"]


def test_cdk_nag_fails_synth_on_an_unacknowledged_finding(tmp_path, monkeypatch) -> None:
    """Without the acknowledgements synth stops: the checks are wired in, not decorative."""
    from cdk import nag
    from tests.infra.conftest import synth

    monkeypatch.setattr(nag, "acknowledge", lambda _stack: None)
    with pytest.raises(RuntimeError, match=r"ValidationFailed(.|\n)*AwsSolutions-SMG4"):
        synth(tmp_path, streaming="false")


@pytest.mark.parametrize("mode", ["streaming", "buffered", "logged", "logged_kms"])
def test_cfn_lint_passes(mode: str, request: pytest.FixtureRequest) -> None:
    s: Synth = request.getfixturevalue(mode)
    result = lint.lint(s.outdir)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_catches_a_broken_template(tmp_path) -> None:
    (tmp_path / "Bad.template.json").write_text(json.dumps({"Resources": {"T": {
        "Type": "AWS::DynamoDB::Table", "Properties": {"BillingMode": "SOMETIMES"}}}}))
    assert lint.lint(tmp_path).returncode != 0
