"""Images in chat content, for providers that need bytes instead of a URL.

``data:`` URIs are decoded; http(s) URLs are fetched safely: only http and https, a size
cap, a timeout, at most three redirects (each re-checked), an ``image/*`` content type,
and never a private, loopback, link-local or otherwise non-public address (SSRF).
``TOLLWAY_IMAGE_FETCH_ALLOW_PRIVATE=1`` lifts the address check (local development, tests).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import os
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from tollway.errors import InvalidRequestError
from tollway.providers.transport import http_client

MAX_IMAGE_BYTES = 20 * 1024 * 1024
FETCH_TIMEOUT = 10.0
MAX_REDIRECTS = 3


@dataclass(frozen=True)
class Image:
    media_type: str
    data: bytes

    @property
    def base64(self) -> str:
        return base64.b64encode(self.data).decode()


def parse_data_uri(url: str) -> Image:
    """Decode ``data:<media type>;base64,<data>``; a 400 naming the problem otherwise."""
    header, sep, payload = url.partition(",")
    if not sep or not header.startswith("data:") or not header.endswith(";base64"):
        raise InvalidRequestError("Image data URIs must look like 'data:image/png;base64,<data>'.",
                                  param="messages", code="invalid_image")
    media_type = header[5:-7] or "application/octet-stream"
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequestError("The image data URI is not valid base64.", param="messages",
                                  code="invalid_image") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidRequestError(f"The image exceeds {MAX_IMAGE_BYTES} bytes.", param="messages", code="invalid_image")
    return Image(media_type, data)


async def load_image(url: str) -> Image:
    """The image at ``url`` (a data URI or a public http(s) URL) as bytes with its media type."""
    if url.startswith("data:"):
        return parse_data_uri(url)
    for _ in range(MAX_REDIRECTS + 1):
        await _check_public(url)
        try:
            async with http_client().stream("GET", url, timeout=httpx.Timeout(FETCH_TIMEOUT),
                                            follow_redirects=False) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code != 200:
                    raise _bad(f"fetching the image failed with HTTP {response.status_code}")
                media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if not media_type.startswith("image/"):
                    raise _bad(f"the URL does not point to an image (content-type '{media_type or 'none'}')")
                data = bytearray()
                async for piece in response.aiter_bytes():
                    data += piece
                    if len(data) > MAX_IMAGE_BYTES:
                        raise _bad(f"the image exceeds {MAX_IMAGE_BYTES} bytes")
                return Image(media_type, bytes(data))
        except httpx.HTTPError as exc:
            raise _bad(f"the image could not be fetched ({type(exc).__name__})") from None
    raise _bad("too many redirects")


async def _check_public(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _bad("only http(s) URLs and data URIs are accepted")
    if os.environ.get("TOLLWAY_IMAGE_FETCH_ALLOW_PRIVATE") == "1":
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443,
                                                             type=socket.SOCK_STREAM)
    except OSError:
        raise _bad(f"the host '{parts.hostname}' could not be resolved") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise _bad("the URL points to a private or reserved address")


def _bad(reason: str) -> InvalidRequestError:
    return InvalidRequestError(f"Invalid image URL: {reason}.", param="messages", code="invalid_image")
