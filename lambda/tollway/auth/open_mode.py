"""Open mode (no master key: every caller is an admin) is for one machine only.

``tollway serve`` refuses it on a host other than loopback unless explicitly allowed
(``--allow-open`` or ``TOLLWAY_ALLOW_OPEN=1``); and even then an anonymous caller cannot
create or promote admin users or admin IAM mappings (``rbac.require_role_grant``): those
would be lasting admin credentials that outlive open mode once a master key is set.
"""

from __future__ import annotations

import ipaddress
import os

ALLOW_ENV = "TOLLWAY_ALLOW_OPEN"


def is_loopback(host: str) -> bool:
    if host.strip().lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_by_env() -> bool:
    return os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes")


def host_refusal(host: str, *, allow: bool) -> str | None:
    """Why open mode may not listen on ``host`` (None: it may)."""
    if is_loopback(host) or allow or allowed_by_env():
        return None
    return (f"no master key is configured, so every caller would be an admin; refusing to listen on {host}. "
            "Set TOLLWAY_MASTER_KEY (or general_settings.master_key), listen on 127.0.0.1, or pass "
            f"--allow-open (or {ALLOW_ENV}=1) if this network is trusted.")
