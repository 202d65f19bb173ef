"""OTLP/HTTP protobuf span export that writes the wire bytes directly.

The SDK's encoder builds one protobuf message object per span, attribute and value, copies them
into their parents and serializes the tree: with Tollway's five spans per request that is about as
much CPU as creating the spans. ``encode_spans`` writes the same ``ExportTraceServiceRequest``
(opentelemetry-proto's ``trace_service.proto``; decoded equal to the SDK encoder's output, as
the tests check) straight to bytes. ``SpanExporter`` is the SDK's ``OTLPSpanExporter`` (endpoint,
headers, timeout, compression, retries all as the SDK resolves them) with only the encoding swapped.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult

from tollway.observability.spans import UNSET_STATUS, RecordedSpan

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
    from opentelemetry.trace import Link, SpanContext

_pack_fixed64 = struct.Struct("<Q").pack
_pack_double = struct.Struct("<d").pack
_pack_fixed32 = struct.Struct("<I").pack
#: ``Span.start_time_unix_nano`` and ``end_time_unix_nano`` (fields 7 and 8, fixed64) in one call
_pack_times = struct.Struct("<BQBQ").pack
#: ``Span.flags`` bits (opentelemetry-proto ``SpanFlags``)
_HAS_IS_REMOTE, _IS_REMOTE = 0x100, 0x200
_SMALL = [bytes((n,)) for n in range(128)]
#: tag bytes of length-delimited fields 1..15 (``(field << 3) | 2``)
_L = [bytes((field << 3 | 2,)) for field in range(16)]
#: by field tag, encoded attribute fields by their (key, value) item, for string and string-tuple values seen
#: lately: model names, routes, operations, finish reasons repeat on every request; bounded, emptied when full
_CACHE_SIZE = 4096
_item_fields: dict[bytes, dict[tuple[str, Any], bytes]] = {}
_keys: dict[str, bytes] = {}
#: span names seen lately, as their encoded field (bounded as above)
_names: dict[str, bytes] = {}
#: attributes whose value differs on every span: encoded each time, never cached
_UNIQUE = frozenset(("tollway.request_id",))
#: the last trace id encoded and its bytes (a request's spans share one, and are usually exported together)
_last_trace: tuple[int, bytes] = (0, bytes(16))


def _varint(value: int) -> bytes:
    if 0 <= value < 0x80:
        return _SMALL[value]
    if 0 < value < 0x4000:  # two bytes: span and attribute lengths, HTTP statuses, most token counts
        return bytes((value & 0x7F | 0x80, value >> 7))
    value &= 0xFFFFFFFFFFFFFFFF  # int64 negatives as their two's complement, as protobuf writes them
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field (string, bytes, message), written even when empty."""
    size = len(payload)
    return tag + (_SMALL[size] if size < 0x80 else _varint(size)) + payload


def _text(tag: bytes, value: str | None) -> bytes:
    """A proto3 string field: left out when empty, as protobuf leaves out defaults."""
    return _field(tag, value.encode()) if value else b""


def _uint(tag: bytes, value: int | None) -> bytes:
    return tag + _varint(value) if value else b""


def _any_value(value: Any) -> bytes:
    """``AnyValue``: the oneof member is written even when it holds its default (0, "", false)."""
    if value is None:
        return b""
    if isinstance(value, bool):
        return b"\x10\x01" if value else b"\x10\x00"
    if isinstance(value, str):
        return _field(b"\x0a", value.encode())
    if isinstance(value, int):
        return b"\x18" + _varint(value)
    if isinstance(value, float):
        return b"\x21" + _pack_double(value)
    if isinstance(value, bytes):
        return _field(b"\x3a", value)
    if isinstance(value, Sequence):
        return _field(b"\x2a", b"".join([_field(b"\x0a", _any_value(item)) for item in value]))
    if isinstance(value, Mapping):
        return _field(b"\x32", b"".join([_field(b"\x0a", _key_value(str(k), v)) for k, v in value.items()]))
    raise TypeError(f"an attribute value of type {type(value).__name__} has no OTLP encoding")


def _key_value(key: str, value: Any) -> bytes:
    return _field(b"\x0a", key.encode()) + _field(b"\x12", _any_value(value))


def _attributes(tag: bytes, attributes: Mapping[str, Any] | None) -> bytes:
    """The ``KeyValue`` fields of ``attributes``: string-valued ones looked up whole, in one pass in C.

    A ``(key, value)`` item is its own cache key: only string and string-tuple values are cached, and no
    number, bool or other tuple is equal to one of those, so a hit is always the same attribute.
    """
    if not attributes:
        return b""
    cache = _item_fields.get(tag)
    if cache is None:
        cache = _item_fields[tag] = {}
    items = attributes.items()
    try:
        found = list(map(cache.get, items))
    except TypeError:  # an unhashable value (a list): each attribute the long way
        found = [None] * len(items)
    if None in found:  # numbers, request ids, values not seen yet
        found = [encoded or _attribute(tag, cache, key, value)
                 for encoded, (key, value) in zip(found, items, strict=True)]
    return b"".join(found)  # type: ignore[arg-type]  # no None is left


def _attribute(tag: bytes, cache: dict[tuple[str, Any], bytes], key: str, value: Any) -> bytes:
    """One ``KeyValue`` field, cached when its value is a string or a tuple of strings (model names, routes,
    operations, finish reasons repeat on every request; counts, costs and request ids do not)."""
    kind = type(value)
    if kind is int or kind is float:
        number = b"\x18" + _varint(value) if kind is int else b"\x21" + _pack_double(value)
        pair = (_keys.get(key) or _key_field(key)) + _SMALL[len(number)] + number  # the key, then the value's tag
        return tag + _SMALL[len(pair)] + pair if len(pair) < 0x80 else _field(tag, pair)
    encoded = _field(tag, _key_value(key, value))
    if (kind is str and key not in _UNIQUE) or (kind is tuple and all(type(item) is str for item in value)):
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[key, value] = encoded
    return encoded


def _key_field(key: str) -> bytes:
    """``KeyValue.key`` of ``key`` and the tag of ``KeyValue.value`` after it, encoded once (attribute names are
    few)."""
    if len(_keys) >= _CACHE_SIZE:
        _keys.clear()
    found = _keys[key] = _field(b"\x0a", key.encode()) + b"\x12"
    return found


def _flags(context: SpanContext | None) -> bytes:
    return _pack_fixed32(_HAS_IS_REMOTE | (_IS_REMOTE if context is not None and context.is_remote else 0))


def _link(link: Link) -> bytes:
    context = link.context
    return (_field(_L[1], context.trace_id.to_bytes(16, "big")) + _field(_L[2], context.span_id.to_bytes(8, "big"))
            + _attributes(_L[4], link.attributes) + _uint(b"\x28", link.dropped_attributes) + b"\x35" + _flags(context))


#: ``Span.kind`` field by SDK kind (SDK INTERNAL=0, SERVER=1, ...; proto INTERNAL=1, SERVER=2, ...)
_KINDS = [b"\x30" + _varint(kind + 1) for kind in range(5)]
#: ``Span.flags`` (field 16, fixed32) for a local parent or none, and for a remote parent
_LOCAL_FLAGS, _REMOTE_FLAGS = b"\x85\x01" + _pack_fixed32(_HAS_IS_REMOTE), b"\x85\x01" + _pack_fixed32(
    _HAS_IS_REMOTE | _IS_REMOTE)
_UNSET_STATUS = b"\x7a\x00"


def _sdk_fields(span: ReadableSpan) -> tuple[Any, ...]:
    """An SDK span's fields as ``RecordedSpan.wire_fields`` gives them, then its links and dropped counts."""
    context = span.get_span_context()
    assert context is not None  # a finished SDK span always has one
    parent = span.parent
    return (context.trace_id, context.span_id, context.trace_state, parent.span_id if parent is not None else None,
            parent is not None and parent.is_remote, span.name, span.kind, span.start_time, span.end_time,
            span.attributes, span.events, span.status, span.links, span.dropped_attributes, span.dropped_events,
            span.dropped_links)


def _name(name: str) -> bytes:
    """``Span.name``, encoded once per name seen lately."""
    found = _names.get(name)
    if found is None:
        if len(_names) >= _CACHE_SIZE:
            _names.clear()
        found = _names[name] = _field(_L[5], name.encode())
    return found


def _span(span: ReadableSpan) -> bytes:
    """One ``Span`` as a ``ScopeSpans.spans`` field."""
    if type(span) is RecordedSpan:  # Tollway's own: its fields in one call, nothing dropped, no links
        (trace_id, span_id, trace_state, parent_id, parent_remote, name, kind, start, end, attributes, events,
         status) = span.wire_fields()
        links: Sequence[Link] = ()
        dropped_attributes = dropped_events = dropped_links = 0
    else:
        (trace_id, span_id, trace_state, parent_id, parent_remote, name, kind, start, end, attributes, events,
         status, links, dropped_attributes, dropped_events, dropped_links) = _sdk_fields(span)
    global _last_trace
    last_id, trace_bytes = _last_trace
    if trace_id != last_id:
        trace_bytes = trace_id.to_bytes(16, "big")
        _last_trace = (trace_id, trace_bytes)
    out = [b"\x0a\x10", trace_bytes, b"\x12\x08", span_id.to_bytes(8, "big")]
    if trace_state:
        out.append(_text(_L[3], ",".join([f"{k}={v}" for k, v in trace_state.items()])))
    if parent_id is not None:
        out += (b"\x22\x08", parent_id.to_bytes(8, "big"))
    if name:
        out.append(_names.get(name) or _name(name))
    out.append(_KINDS[kind._value_])
    if start and end:
        out.append(_pack_times(0x39, start, 0x41, end))
    elif start:
        out.append(b"\x39" + _pack_fixed64(start))
    elif end:
        out.append(b"\x41" + _pack_fixed64(end))
    if attributes:
        out.append(_attributes(_L[9], attributes))
    if dropped_attributes:
        out.append(_uint(b"\x50", dropped_attributes))
    if events:
        out += [_field(_L[11], b"\x09" + _pack_fixed64(event.timestamp) + _text(_L[2], event.name)
                       + _attributes(_L[3], event.attributes) + _uint(b"\x20", event.dropped_attributes))
                for event in events]
    if dropped_events:
        out.append(_uint(b"\x60", dropped_events))
    if links:
        out += [_field(_L[13], _link(link)) for link in links]
    if dropped_links:
        out.append(_uint(b"\x70", dropped_links))
    if status is UNSET_STATUS:  # a recorded span's unless one was set
        out.append(_UNSET_STATUS)
    elif status.status_code._value_ or status.description:
        out.append(_field(_L[15], _text(_L[2], status.description) + _uint(b"\x18", status.status_code._value_)))
    else:
        out.append(_UNSET_STATUS)
    out.append(_REMOTE_FLAGS if parent_remote else _LOCAL_FLAGS)
    return _field(_L[2], b"".join(out))  # ``ScopeSpans.spans``


def _resource(resource: Resource) -> bytes:
    return _attributes(_L[1], resource.attributes)


def _scope(scope: InstrumentationScope | None) -> bytes:
    if scope is None:
        return b""
    return _text(_L[1], scope.name) + _text(_L[2], scope.version) + _attributes(_L[3], scope.attributes)


def _group(groups: dict[int, tuple[Resource, dict[int, tuple[InstrumentationScope | None, list[bytes]]]]],
           resource: Resource, scope: InstrumentationScope | None) -> list[bytes]:
    """The encoded spans of ``resource`` and ``scope`` (a new group for a pair not seen yet)."""
    scopes = groups.setdefault(id(resource), (resource, {}))[1]
    return scopes.setdefault(id(scope), (scope, []))[1]


def encode_spans(spans: Sequence[ReadableSpan]) -> bytes:
    """One ``ExportTraceServiceRequest``: spans grouped by resource, then by instrumentation scope.

    Groups are keyed by object identity (one tracer provider shares one resource and one scope per
    tracer), so no resource is hashed per span; equal resources held twice would only make two groups.
    """
    groups: dict[int, tuple[Resource, dict[int, tuple[InstrumentationScope | None, list[bytes]]]]] = {}
    last: object = None  # the recorder of the previous span: usually every span's
    encoded: list[bytes] = []
    for span in spans:
        if type(span) is RecordedSpan:
            if span.recorder is not last:
                last = span.recorder
                encoded = _group(groups, last.resource, last.scope)
        else:
            last = None
            encoded = _group(groups, span.resource, span.instrumentation_scope)
        encoded.append(_span(span))
    out = []
    for resource, scopes in groups.values():
        body = [_field(_L[1], _resource(resource))]
        for scope, encoded in scopes.values():
            body.append(_field(_L[2], _field(_L[1], _scope(scope)) + b"".join(encoded)
                               + _text(_L[3], scope.schema_url if scope is not None else None)))
        body.append(_text(_L[3], resource.schema_url))
        out.append(_field(_L[1], b"".join(body)))
    return b"".join(out)


class SpanExporter(OTLPSpanExporter):
    """The SDK's OTLP/HTTP exporter (configuration, transport, retries) with ``encode_spans`` above.

    To a plain-HTTP endpoint on loopback (a local collector: the ADOT layer on Lambda, a sidecar) it posts
    through the SDK's urllib3 transport instead of its requests one: half the CPU per export, and nothing
    that transport leaves out applies there (proxies from the environment, a ``.netrc``, TLS settings).
    """

    def __init__(self, endpoint: str | None = None, **kwargs: Any) -> None:
        if "_transport" not in kwargs and "session" not in kwargs and _plain_loopback(endpoint):
            try:
                from opentelemetry.exporter.http.transport._urllib3 import Urllib3HTTPTransport

                kwargs["_transport"] = Urllib3HTTPTransport()
            except ImportError:  # another SDK's layout: its own transport
                pass
        super().__init__(endpoint=endpoint, **kwargs)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._shutdown:
            return SpanExportResult.FAILURE
        with self._metrics.export_operation(len(spans)) as result:
            sent = self._client.export(encode_spans(spans))
            if not sent.success:
                result.error = sent.error
                return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS


def _plain_loopback(endpoint: str | None) -> bool:
    """Whether spans go to ``http://`` on loopback (``endpoint``, else the OTLP environment, as the SDK reads it),
    with no credential provider configured for the requests session."""
    import os
    from urllib.parse import urlsplit

    if os.environ.get("OTEL_PYTHON_EXPORTER_OTLP_HTTP_TRACES_CREDENTIAL_PROVIDER") or os.environ.get(
            "OTEL_PYTHON_EXPORTER_OTLP_HTTP_CREDENTIAL_PROVIDER"):
        return False
    url = endpoint or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT") or "http://localhost:4318"
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
