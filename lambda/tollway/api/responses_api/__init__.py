"""OpenAI's Responses API in front of any model: request items in, typed events and response objects out."""
