"""Counts DynamoDB round trips inside a gateway process, for the benchmarks only.

With ``TOLLWAY_BENCH_AIOHTTP`` naming a folder that holds aiohttp, it also installs the transport
experiment of aiohttp_transport.py. The counter is active only when ``TOLLWAY_BENCH_DDB_COUNTS``
names a file (bench/run.py puts this folder on ``PYTHONPATH`` of the Tollway servers it starts).
Every botocore DynamoDB client created in the process gets a ``before-send`` hook, which fires
once per HTTP attempt (retries included), i.e. once per round trip, and ``before-call`` /
``after-call`` hooks that add up the wall time spent in each API call (``<op>.ms``), so the
cost of the DynamoDB stand-in can be told apart from the gateway's own. Creating
``<file>.req`` asks for a snapshot: a daemon thread then writes the counts by operation to
``<file>`` as JSON and removes the request (a thread, not a signal, because an idle event loop
may sit on a signal). Nothing in lambda/ knows about it.
"""

from __future__ import annotations

import os

_PATH = os.environ.get("TOLLWAY_BENCH_DDB_COUNTS")
_AIOHTTP = os.environ.get("TOLLWAY_BENCH_AIOHTTP")

if _AIOHTTP:  # the transport experiment (aiohttp_transport.py): aiohttp's folder goes last, shadowing nothing
    import sys

    sys.path.append(_AIOHTTP)
    from aiohttp_transport import install as _install_aiohttp

    _install_aiohttp()

if _PATH:
    import collections
    import json
    import threading
    import time

    _counts: collections.Counter[str] = collections.Counter()
    _lock = threading.Lock()

    _times: dict[str, float] = collections.defaultdict(float)

    def _count(event_name: str = "", **_: object) -> None:
        with _lock:
            _counts[event_name.rsplit(".", 1)[-1]] += 1
        # returning None matters: a value returned from before-send replaces the HTTP call

    def _started(context: dict[str, object] | None = None, **_: object) -> None:
        if context is not None:
            context["bench_started"] = time.perf_counter()

    def _finished(event_name: str = "", context: dict[str, object] | None = None, **_: object) -> None:
        started = (context or {}).get("bench_started")
        if isinstance(started, float):
            with _lock:
                _times[event_name.rsplit(".", 1)[-1] + ".ms"] += (time.perf_counter() - started) * 1000

    def _install() -> None:
        import botocore.session

        original = botocore.session.Session.create_client

        def create_client(self, service_name, *args, **kwargs):  # type: ignore[no-untyped-def]
            client = original(self, service_name, *args, **kwargs)
            if service_name == "dynamodb":
                client.meta.events.register("before-send.dynamodb", _count)
                client.meta.events.register("before-call.dynamodb", _started)
                client.meta.events.register("after-call.dynamodb", _finished)
            return client

        botocore.session.Session.create_client = create_client  # type: ignore[method-assign]

    def _serve(path: str) -> None:
        request = f"{path}.req"
        while True:
            time.sleep(0.25)
            if not os.path.exists(request):
                continue
            with _lock:
                data = {**_counts, **{k: round(v, 3) for k, v in _times.items()}}
            with open(f"{path}.tmp", "w") as out:
                json.dump(data, out)
            os.replace(f"{path}.tmp", path)
            os.remove(request)

    _install()
    threading.Thread(target=_serve, args=(_PATH,), name="bench-ddb-counts", daemon=True).start()
