"""Store scale: metered requests per second and RSS of ``tollway serve`` on its SQLite store as the
number of stored spend logs grows (10k, 100k, 1M by default).

The rows are seeded straight through the SQLite backend (``SQLiteStore.put_raw``, the items
``SpendRepo.record_ops`` builds, spread over 30 days), not through HTTP, in a separate process.
After each seeding step a fresh ``tollway serve`` opens the data dir, a virtual key with a budget
and rate limits is made, c=16 load runs on ``bench-0`` for a fixed time and the server's peak RSS
is read. Run alone: ``.venv/bin/python bench/store_scale.py run --sizes 10000,100000``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import contenders
from procs import BENCH, ROOT, Proc
from scenarios import loadgen
from setup_env import VENV_PY

SIZES = (10_000, 100_000, 1_000_000)
BATCH = 10_000
DAYS = 30


def seed(data_dir: Path, start: int, stop: int) -> None:
    """Store spend logs ``start``..``stop``-1 (a separate process runs this: its memory is not the server's)."""
    sys.path.insert(0, str(ROOT / "lambda"))
    from tollway.storage.spend_repo import SpendRepo
    from tollway.storage.sqlite import SQLiteStore
    from tollway.storage.tables import SPEND, physical_name

    store = SQLiteStore(data_dir, purge_interval=None)
    repo = SpendRepo(store)
    now = time.time()
    for first in range(start, stop, BATCH):
        items = []
        for n in range(first, min(stop, first + BATCH)):
            ended = now - (n % DAYS) * 86400 - n % 86400
            record = {"request_id": f"seed-{n}", "ended_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ended))
                      + f".{n % 1000:03d}Z", "team_id": f"team-{n % 50}", "key_digest": f"key-{n % 500}",
                      "model": "bench-0", "provider": "openai", "status": "success", "cost": 0.000123,
                      "prompt_tokens": 20, "completion_tokens": 9, "latency_ms": 12.5}
            log_put = repo.record_ops(record, expires_at=None)[0]
            items.append(log_put.item)  # type: ignore[union-attr]
        store.put_raw(physical_name(SPEND), SPEND, items)
    store.close()


def _seed_to(data_dir: Path, start: int, stop: int) -> float:
    began = time.monotonic()
    subprocess.run([str(VENV_PY), str(Path(__file__)), "seed", "--data-dir", str(data_dir), "--start", str(start),
                    "--stop", str(stop)], check=True, timeout=3600, cwd=str(BENCH))
    return time.monotonic() - began


def _serve(config: Path, data_dir: Path) -> contenders.Target:
    return contenders.start_tollway("tollway-store-scale", config, None, None, data_dir=data_dir, fresh=False)


def run(config: Path, sizes: tuple[int, ...] = SIZES, duration: float = 4.0) -> dict[str, Any]:
    data_dir = BENCH / "results" / "data-store-scale"
    shutil.rmtree(data_dir, ignore_errors=True)
    stored = 0
    key: str | None = None
    out: dict[str, Any] = {"sizes": {}}
    for size in sizes:
        seconds = _seed_to(data_dir, stored, size)
        stored = size
        db = data_dir / "tollway.db"
        target = _serve(config, data_dir)
        assert target.proc is not None
        try:
            if key is None:  # made once: it is stored in the data dir like the logs
                key, why = contenders.virtual_key(target)
                if key is None:
                    raise RuntimeError(why)
            target.key = key
            loadgen(target, "bench-0", concurrency=8, duration=0.5, warmup=0.3)  # warm
            result = loadgen(target, "bench-0", concurrency=16, duration=duration, warmup=0.5)
            entry = {"seed_s": round(seconds, 1), "db_mb": round(db.stat().st_size / 2**20, 1),
                     "rps": result["rps"], "errors": result["errors"], "p50_ms": result["latency_ms"].get("p50"),
                     "p99_ms": result["latency_ms"].get("p99"), "peak_rss_mb": target.proc.peak_rss_mb(),
                     "cpu_ms_per_request": result.get("cpu_ms_per_request")}
        finally:
            target.proc.stop()
        out["sizes"][str(size)] = entry
        print(f"  store-scale {size:>9,} logs: {entry['rps']:>7.1f} req/s  p99 {entry['p99_ms']} ms  "
              f"RSS {entry['peak_rss_mb']} MB  db {entry['db_mb']} MB  (seeded in {entry['seed_s']} s)", flush=True)
    rates = [e["rps"] for e in out["sizes"].values()]
    out["flat_within_pct"] = round(100 * (max(rates) - min(rates)) / max(rates), 1) if rates else None
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("seed", "run"))
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--stop", type=int, default=0)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--duration", type=float, default=4.0)
    args = parser.parse_args()
    if args.action == "seed":
        seed(args.data_dir, args.start, args.stop)
        return 0
    procs: list[Proc] = []
    try:
        upstream_proc, upstream = contenders.start_upstream()
        procs.append(upstream_proc)
        config = contenders.write_config(upstream, BENCH / "results" / "config-store-scale.yaml")
        result = run(config, tuple(int(s) for s in args.sizes.split(",")), args.duration)
    finally:
        for proc in procs:
            proc.stop()
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
