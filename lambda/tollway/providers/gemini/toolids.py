"""Tool call ids for Gemini, which has none of its own.

An id is ``call_<24 hex>``, derived from the response id, the candidate, the call's position,
name and arguments, so it is the same in a stream and on every re-read of one answer. When
Gemini attaches a ``thoughtSignature`` to a function call (thinking models require it back
on the next turn), it rides inside the id as ``_ts_<urlsafe base64>``: clients echo ids
verbatim, so the signature returns without any client cooperation. The id stays within
``[A-Za-z0-9_-]``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

_PREFIX = "call_"
_SEP = "_ts_"


def tool_call_id(response_id: str, candidate: int, position: int, name: str, args: str, *,
                 signature: str | None = None) -> str:
    digest = hashlib.sha256(f"{response_id}|{candidate}|{position}|{name}|{args}".encode()).hexdigest()[:24]
    call_id = f"{_PREFIX}{digest}"
    if signature:
        call_id += _SEP + signature.replace("+", "-").replace("/", "_").rstrip("=")
    return call_id


def signature_of(call_id: str) -> str | None:
    """The thought signature carried by one of our ids (standard base64), or None."""
    if not call_id.startswith(_PREFIX) or _SEP not in call_id:
        return None
    encoded = call_id.partition(_SEP)[2]
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError):
        return None
    return base64.b64encode(raw).decode()
