"""Format-neutral text views: read and rewrite the text of a request, response or stream event in any wire format.

One view per format (OpenAI Chat Completions, Anthropic Messages, the Responses API, legacy completions,
embeddings, and the canonical typed objects). Each offers ``parts(obj)`` (the text parts, each with a role and
a location) and ``replace(obj, part, text)``; a stream event's view yields its text deltas the same way. Code that
reads or rewrites text (guardrails) is written once against ``TextView`` and handed the view of the format at hand.
"""

from tollway.views.base import TextPart, TextView

__all__ = ["TextPart", "TextView"]
