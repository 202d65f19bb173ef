"""Same-wire passthrough: the client's body goes upstream as sent when the deployment speaks its format.

``wire`` holds the request as the client sent it (``WireRequest``), ``answers`` the upstream's
answer as it was received (``NativeResponse``, ``NativeEvent``), ``readers`` the small per-format
readers that take usage out of a body or a stream without re-serialising it, and ``sse`` the raw
event splitter. The pipeline decides per attempt whether a deployment takes the wire natively
(``Provider.speaks``) or through the canonical model (docs/architecture.md).
"""
