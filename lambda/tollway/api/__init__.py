"""The HTTP front doors: routes, request parsing, error envelopes, SSE."""
