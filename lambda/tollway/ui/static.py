"""The UI's assets, shipped in the package and served gzip-compressed when the browser accepts it."""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from importlib import resources

from starlette.responses import Response

from tollway.errors import NotFoundError

_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


@lru_cache(maxsize=16)
def _load(name: str) -> tuple[bytes, bytes, str] | None:
    """(raw, gzipped, etag) of an asset, None if there is none by that name."""
    if "/" in name or name.startswith(".") or not any(name.endswith(ext) for ext in _TYPES):
        return None
    asset = resources.files("tollway.ui").joinpath("static", name)
    if not asset.is_file():
        return None
    raw = asset.read_bytes()
    return raw, gzip.compress(raw, compresslevel=9, mtime=0), hashlib.sha256(raw).hexdigest()[:16]


def asset_response(name: str, accept_encoding: str, if_none_match: str | None = None, *,
                   cache: str = "public, max-age=300") -> Response:
    found = _load(name)
    if found is None:
        raise NotFoundError(f"No UI asset '{name}'.", code="ui_asset_not_found")
    raw, packed, etag = found
    media_type = next(kind for ext, kind in _TYPES.items() if name.endswith(ext))
    headers = {"etag": f'"{etag}"', "cache-control": cache, "vary": "accept-encoding",
               "x-content-type-options": "nosniff"}
    if if_none_match == f'"{etag}"':
        return Response(status_code=304, headers=headers)
    if "gzip" in accept_encoding.lower():
        return Response(packed, media_type=media_type, headers={**headers, "content-encoding": "gzip"})
    return Response(raw, media_type=media_type, headers=headers)
