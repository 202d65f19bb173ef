"""What an ApplyGuardrail answer means: pass, block with the policy as category, or Bedrock's masking."""

from __future__ import annotations

from tollway.guardrails.integrations.bedrock import verdict


def _answer(assessment: dict, outputs: list[str]) -> dict:  # type: ignore[type-arg]
    return {"action": "GUARDRAIL_INTERVENED", "outputs": [{"text": t} for t in outputs], "assessments": [assessment]}


def test_no_intervention_passes() -> None:
    result = verdict({"action": "NONE", "outputs": [], "assessments": []}, ["hello"])
    assert result.blocked is None and not result.rewrites and not result.flagged


def test_blocked_policies_name_the_category() -> None:
    content = {"contentPolicy": {"filters": [{"type": "PROMPT_ATTACK", "confidence": "HIGH", "action": "BLOCKED"}]}}
    assert verdict(_answer(content, ["sorry"]), ["x"]).blocked == "content:PROMPT_ATTACK"
    words = {"wordPolicy": {"customWords": [{"match": "foo", "action": "BLOCKED"}], "managedWordLists": []}}
    assert verdict(_answer(words, ["sorry"]), ["x"]).blocked == "word"


def test_anonymized_only_honours_the_masked_texts_per_part() -> None:
    pii = {"sensitiveInformationPolicy": {"piiEntities": [{"match": "a@b.co", "type": "EMAIL", "action": "ANONYMIZED"}],
                                          "regexes": []}}
    result = verdict(_answer(pii, ["keep", "mail {EMAIL}"]), ["keep", "mail a@b.co"])
    assert result.blocked is None and result.rewrites == {1: "mail {EMAIL}"}
    assert result.flagged == [("sensitive_information:EMAIL", "mask")]


def test_masking_that_cannot_be_mapped_back_blocks_rather_than_leaks() -> None:
    pii = {"sensitiveInformationPolicy": {"piiEntities": [{"type": "EMAIL", "action": "ANONYMIZED"}], "regexes": []}}
    assert verdict(_answer(pii, ["joined {EMAIL}"]), ["one", "two a@b.co"]).blocked == "sensitive_information:EMAIL"


def test_log_only_records_without_acting() -> None:
    topic = {"topicPolicy": {"topics": [{"name": "Finance", "type": "DENY", "action": "BLOCKED"}]}}
    result = verdict(_answer(topic, ["no"]), ["x"], log_only=True)
    assert result.blocked is None and result.flagged == [("topic:Finance", "log")]
