"""Guardrails: checks and rewrites of the text going to and coming from a model, on every front door.

Configured in LiteLLM's schema (a top-level ``guardrails:`` list, see ``config``); attached by default
(``default_on``), per team, per key and per request; a config or team may make one mandatory. The request
pipeline calls three hooks (``hooks.pre_call``, ``hooks.post_call``, ``hooks.stream``) with the object at
hand and its format's text view (``tollway.views``), so each guardrail is written once for every format.

    Guardrail (base) .... apply(subject, session) -> Result
    ├── TextGuardrail ... findings(text) per text part: pii/phi, keywords, regex (block, mask or log)
    ├── prompt_injection  heuristic score over the input (+ optional judge model)
    ├── limits .......... request bytes, input tokens, messages, output tokens (clamp), response characters
    ├── bedrock ......... Amazon Bedrock ApplyGuardrail (boto3, in a thread)
    └── presidio ........ a Presidio analyzer/anonymizer over HTTP

Nothing here is imported by the Lambda handler at import time; a guardrail type's module is imported
only when a config names it.
"""
