"""``tollway keys import FILE``: carry keys over from a LiteLLM ``/key/list?return_full_object=true`` dump.

LiteLLM keeps only a SHA-256 digest of each key (its ``token``), so the dump holds no secret. The raw
keys come from the user's own records (``--secrets``: one ``sk-...`` per line; blank lines and ``#``
comments skipped): each is matched to its dump entry by digest, and ``/key/generate {"key": ...}``
recreates it with the entry's settings, so clients keep working unchanged. Entries without a matching
secret are skipped (listed as ``no secret``) or, with ``--new-secrets``, issued a new key (printed once).
Expired entries are skipped; a later ``expires`` becomes the remaining ``duration``. Settings Tollway
has no field for (``aliases``, ``config``, ``permissions``, ``organization_id``, ...) are not carried;
``spend`` is not carried either (Tollway counts its own). Exit code 1 if any entry failed.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tollway.cli import admin_http as http

if TYPE_CHECKING:
    import argparse

#: LiteLLM key fields ``/key/generate`` takes as they are
CARRIED = ("key_alias", "models", "max_budget", "budget_duration", "soft_budget", "rpm_limit", "tpm_limit",
           "max_parallel_requests", "team_id", "user_id", "metadata", "blocked", "tags", "budget_id")
COLUMNS = ("key_alias", "token", "status", "detail")


def register(commands: Any) -> None:
    sub = commands.add_parser("import", help="carry keys over from a LiteLLM /key/list dump")
    sub.add_argument("file", help="JSON from LiteLLM's /key/list?return_full_object=true (one page or a list)")
    sub.add_argument("--secrets", help="a file of the raw keys (sk-..., one per line) from your own records")
    sub.add_argument("--new-secrets", action="store_true", help="issue a new key for entries without a secret")
    sub.add_argument("--no-owners", action="store_true",
                     help="do not carry team_id/user_id (teams and users not created in Tollway yet)")
    sub.add_argument("--dry-run", action="store_true", help="show what would be imported, change nothing")


def entries_of(document: Any) -> list[dict[str, Any]]:
    """The key objects of a dump: ``{"keys": [...]}``, a list of such pages, or a list of key objects."""
    pages = document if isinstance(document, list) else [document]
    found: list[dict[str, Any]] = []
    for page in pages:
        if isinstance(page, dict) and isinstance(page.get("keys"), list):
            found += [k for k in page["keys"] if isinstance(k, dict)]
        elif isinstance(page, dict) and page.get("token"):
            found.append(page)
        else:
            raise ValueError("expected LiteLLM's /key/list?return_full_object=true JSON (objects with 'token')")
    return found


def secrets_of(text: str) -> dict[str, str]:
    """digest -> raw key, for every ``sk-...`` line."""
    lines = (line.strip() for line in text.splitlines())
    return {hashlib.sha256(line.encode()).hexdigest(): line for line in lines if line and not line.startswith("#")}


def body_for(entry: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """The ``/key/generate`` body for a dump entry (without the secret); None if it has expired."""
    body = {name: entry[name] for name in CARRIED if entry.get(name) not in (None, [], {})}
    metadata: dict[str, Any] = entry["metadata"] if isinstance(entry.get("metadata"), dict) else {}
    for name in ("tags", "guardrails"):  # LiteLLM keeps these in the key's metadata
        if isinstance(metadata.get(name), list) and name not in body:
            body[name] = metadata[name]
    if entry.get("expires"):
        expires = datetime.fromisoformat(str(entry["expires"]).replace("Z", "+00:00"))
        left = (expires if expires.tzinfo else expires.replace(tzinfo=UTC)) - now
        if left.total_seconds() <= 0:
            return None
        body["duration"] = f"{math.ceil(left.total_seconds())}s"
    return body


def run(args: argparse.Namespace) -> int:
    try:
        entries = entries_of(json.loads(Path(args.file).read_text()))
        secrets = secrets_of(Path(args.secrets).read_text()) if args.secrets else {}
    except (OSError, ValueError) as exc:
        raise http.AdminError(0, f"cannot read the import: {exc}") from None
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    failed = 0
    for entry in entries:
        token = str(entry.get("token") or "")
        row = {"key_alias": entry.get("key_alias"), "token": token[:12]}
        body = body_for(entry, now)
        if body is not None and args.no_owners:
            body = {k: v for k, v in body.items() if k not in ("team_id", "user_id")}
        raw = secrets.get(token)
        if body is None:
            row.update(status="skipped", detail="expired")
        elif raw is None and not args.new_secrets:
            row.update(status="skipped", detail="no secret (pass --secrets, or --new-secrets)")
        elif args.dry_run:
            row.update(status="would import", detail="same key" if raw else "new key")
        else:
            try:
                made = http.call(args, "POST", "/key/generate", {**body, **({"key": raw} if raw else {})})
                row.update(status="imported", detail="same key" if raw else f"new key {made['key']}")
            except http.AdminError as exc:
                failed += 1
                row.update(status="failed", detail=str(exc))
        rows.append(row)
    counts = {s: sum(r["status"] == s for r in rows) for s in dict.fromkeys(r["status"] for r in rows)}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items()) or "nothing to import"
    http.output(args, {"results": rows, "counts": counts}, f"{http.table(rows, COLUMNS)}\n{summary}")
    return 1 if failed else 0
