"""A store of one's own for a test module: a unique table prefix, its tables created."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def fresh_tables(tag: str) -> Iterator[str]:
    """``TOLLWAY_TABLE_PREFIX`` set to a new ``<tag><8 hex>-`` for the block, its tables created (in the store
    the environment names: DynamoDB, or the embedded SQLite one); the prefix."""
    from tollway.storage import client

    prefix = f"{tag}{uuid.uuid4().hex[:8]}-"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOLLWAY_TABLE_PREFIX", prefix)
        client.ensure_tables()
        yield prefix
