"""Format-neutral text views: read and rewrite the text of a request, response or stream event in any wire format.

One view per format (OpenAI Chat Completions, Anthropic Messages, the Responses API, legacy completions,
embeddings, and the canonical typed objects). Each offers ``parts(obj)`` (the text parts, each with a role and
a location) and ``replace(obj, part, text)``; a stream event's view yields its text deltas the same way. Code that
reads or rewrites text (guardrails) is written once against ``TextView`` and handed the view of the format at hand.
Reasoning text is read on a ``Reasoning`` channel; text a signature covers (Anthropic thinking) is ``signed``:
checked, never rewritten.
"""

from tollway.views.base import Reasoning, TextPart, TextView

__all__ = ["Reasoning", "TextPart", "TextView"]
