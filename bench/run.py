"""``make bench``: Tollway next to LiteLLM and a bare passthrough, same machine, same run.

Phases (``--only`` picks some): ``load`` (every server under the same load scenarios, one at
a time, plus DynamoDB round trips for Tollway), ``store`` (metered req/s and RSS on the SQLite
store after 10k, 100k and 1M stored spend logs), ``paths`` (stream CPU per request with the body
passed through vs translated, per front door), ``imports``, ``coldstart``, ``sizes``,
``profile`` (py-spy on Tollway under load), ``guardrails`` (the built-in guardrails' CPU per request),
``tracing`` (CPU per request with OpenTelemetry on vs off). Results go to bench/results/latest.json and a
Markdown table to bench/results/latest.md; ``--update-doc`` also rewrites the generated
section of BENCHMARKS.md. Everything listens on 127.0.0.1 and every load loop is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import contenders
import footprint
import guardrails_bench
import report
import scenarios
import setup_env
import store_scale
import tracing_cost
from procs import BENCH, ROOT, Proc

RESULTS = BENCH / "results"
PHASES = ("load", "store", "paths", "imports", "coldstart", "sizes", "profile", "layer", "memory", "guardrails",
          "tracing")


def _stop_all(procs: list[Proc]) -> None:
    for proc in reversed(procs):
        proc.stop()


def load_phase(results: dict[str, Any], upstream: str, ddb: str, config: Path, d: scenarios.Durations,
               procs: list[Proc], do_profile: bool) -> None:
    targets: dict[str, Any] = {}
    results["targets"] = targets

    def measure(target: contenders.Target, extra: dict[str, Any] | None = None) -> None:
        print(f"bench: {target.name}", flush=True)
        entry: dict[str, Any] = {"notes": target.notes, **(extra or {})}
        targets[target.name] = entry
        try:
            entry["scenarios"] = scenarios.run_scenarios(target, d)
        except Exception as exc:  # one broken contender must not lose the others' figures
            entry["error"] = f"{type(exc).__name__}: {exc}"
            print(f"  {target.name}: FAILED {entry['error'][:400]}", flush=True)
        if target.proc is not None:
            entry["peak_rss_mb"] = target.proc.peak_rss_mb()

    def server(name: str, start: Callable[[], contenders.Target],
               then: Callable[[contenders.Target], None] = measure) -> None:
        """Start one contender, run ``then`` on it, always stop it; a start failure is recorded, not fatal."""
        try:
            target = start()
        except Exception as exc:
            targets[name] = {"error": f"did not start: {exc}"[:800]}
            print(f"bench: {name} did not start: {str(exc)[:400]}", flush=True)
            return
        assert target.proc is not None
        procs.append(target.proc)
        try:
            then(target)
        finally:
            target.proc.stop()

    measure(contenders.Target("direct", upstream, direct_upstream=upstream))
    server("floor", lambda: contenders.start_passthrough(upstream, "httpx"))
    server("floor-aiohttp", lambda: contenders.start_passthrough(upstream, "aiohttp"))

    def bare(target: contenders.Target) -> None:
        measure(target)
        if do_profile:
            print("bench: profiling tollway-nostore under c=16 load", flush=True)
            results.setdefault("profile", {})["tollway-nostore"] = scenarios.profile(target, RESULTS)

    # the app with no store: master key, no DynamoDB at all (like for like with LiteLLM without a DB)
    server("tollway-nostore", lambda: contenders.start_tollway_nostore(config), bare)
    # experiment: the same, with httpx sending through aiohttp (what the transport recommendation would buy)
    server("tollway-nostore-aiohttp", lambda: contenders.start_tollway_nostore(config, aiohttp=True))

    # `tollway serve` with the master key only (spend logged to DynamoDB)
    counts = RESULTS / "ddb-tollway.json"

    def master(target: contenders.Target) -> None:
        measure(target)
        _ddb(targets["tollway"], target, counts, d)

    server("tollway", lambda: contenders.start_tollway("tollway", config, ddb, counts), master)

    # a virtual key: key lookup, budgets, rate limits and spend on, on the embedded SQLite store
    # (what `tollway serve` uses without AWS)

    def metered(target: contenders.Target) -> None:
        key, why = contenders.virtual_key(target)
        status: dict[str, Any] = {"virtual_key": why}
        if key is None:
            targets[target.name] = {"notes": [why], "available": False}
            print(f"bench: tollway-metered not available: {why}", flush=True)
            return
        target.key = key
        active, detail = contenders.metering_active(target, key)
        status.update(available=True, metering_active=active, metering=detail)
        target.notes.append(detail)
        measure(target, status)
        if do_profile:
            print("bench: profiling tollway (virtual key) under c=16 load", flush=True)
            results.setdefault("profile", {})["tollway-metered"] = scenarios.profile(target, RESULTS)

    server("tollway-metered", lambda: contenders.start_tollway("tollway-metered", config, None, None), metered)
    server("litellm", lambda: contenders.start_litellm(config))


def paths_phase(results: dict[str, Any], upstream: str, d: scenarios.Durations, procs: list[Proc]) -> None:
    """The same upstream stream passed through vs translated, per front door (no store: the path's own cost)."""
    print("bench: stream CPU per request, passthrough vs translated", flush=True)
    config = contenders.write_paths_config(upstream, RESULTS / "config-paths.yaml")
    try:
        target = contenders.start_tollway_nostore(config, ready_model="path-openai", name="tollway-paths")
    except Exception as exc:
        results["stream_paths"] = {"error": f"did not start: {exc}"[:800]}
        return
    assert target.proc is not None
    procs.append(target.proc)
    try:
        results["stream_paths"] = scenarios.stream_paths(target, d)
    except Exception as exc:  # the other phases' figures still count
        results["stream_paths"] = {"error": f"{type(exc).__name__}: {exc}"[:800]}
        print(f"  stream paths FAILED {exc}", flush=True)
    finally:
        target.proc.stop()


def _ddb(entry: dict[str, Any], target: contenders.Target, counts: Path, d: scenarios.Durations) -> None:
    try:
        entry["dynamodb"] = scenarios.dynamodb_round_trips(target, counts, d.ddb_requests)
        print(f"  {target.name:>16} DynamoDB round trips/request: "
              f"{ {k: v['per_request'] for k, v in entry['dynamodb'].items()} }", flush=True)
    except Exception as exc:
        entry["dynamodb"] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"  {target.name}: DynamoDB count FAILED {exc}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(PHASES), help=f"comma-separated phases from {PHASES}")
    parser.add_argument("--quick", action="store_true", help="short durations (development only)")
    parser.add_argument("--update-doc", action="store_true", help="rewrite the generated section of BENCHMARKS.md")
    parser.add_argument("--litellm-size", action="store_true",
                        help="measure LiteLLM's layer size (~600 MB of downloads, ~3 min) instead of the cached value")
    args = parser.parse_args()
    phases = set(args.only.split(","))
    unknown = phases - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {sorted(unknown)}")
    d = scenarios.Durations.quick() if args.quick else scenarios.Durations()
    started = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)

    if phases - {"paths"}:  # the stream-path comparison is Tollway alone: no contender to install
        setup_env.ensure_litellm()
        setup_env.ensure_tools()
        setup_env.ensure_aiohttp()
    results: dict[str, Any] = {"started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "machine": setup_env.machine(), "quick": args.quick, "phases": sorted(phases),
                               "loadavg_start": [round(x, 2) for x in os.getloadavg()]}
    procs: list[Proc] = []
    try:
        upstream_proc, upstream = contenders.start_upstream()
        procs.append(upstream_proc)
        moto_proc, ddb = contenders.start_moto()
        procs.append(moto_proc)
        config = contenders.write_config(upstream, RESULTS / "config.yaml")
        contenders.ensure_tables(ddb)
        if "load" in phases:
            load_phase(results, upstream, ddb, config, d, procs, do_profile="profile" in phases)
        if "store" in phases:
            print("bench: store scale (SQLite; metered req/s and RSS by stored spend logs)", flush=True)
            results["store_scale"] = store_scale.run(config, store_scale.SIZES if not args.quick
                                                     else (10_000, 100_000), duration=2.0 if args.quick else 4.0)
        if "paths" in phases:
            paths_phase(results, upstream, d, procs)
        if "imports" in phases:
            print("bench: import times (fresh interpreter each)", flush=True)
            results["imports"] = footprint.import_times(runs=3 if args.quick else 5, slow_runs=2)
        if "coldstart" in phases:
            print("bench: emulated Lambda cold starts (awslambdaric + local Runtime API)", flush=True)
            results["coldstart"] = footprint.cold_starts(config, ddb, runs=1 if args.quick else 3,
                                                         slow_runs=1 if args.quick else 2)
            results["coldstart_primed"] = footprint.primed_cold_starts(config, ddb, runs=1 if args.quick else 3)
        if "guardrails" in phases:
            print("bench: built-in guardrails' CPU per request on a 4k-token prompt", flush=True)
            results["guardrails"] = {**guardrails_bench.run(requests=100 if args.quick else 300),
                                     "stream": guardrails_bench.run_stream(answers=5 if args.quick else 20)}
            print(f"  guardrails: {results['guardrails']['cpu_ms_p50']} ms CPU p50 (target <= 1 ms)", flush=True)
        if "sizes" in phases:
            print("bench: package sizes (manylinux2014_aarch64 wheels, Python 3.11)", flush=True)
            results["sizes"] = footprint.sizes(measure_litellm=args.litellm_size)
        if "memory" in phases:
            import memory

            print("bench: memory sizing (peak RSS, CPU per request)", flush=True)
            results["memory"] = memory.sizing(config, ddb, warm=20 if args.quick else 50)
        if "layer" in phases:
            import layer_check

            print("bench: the layer alone (chat + Vertex token refresh, no project venv)", flush=True)
            results["layer_check"] = layer_check.check()
            print(f"  layer check ok={results['layer_check'].get('ok')}", flush=True)
        if "tracing" in phases:
            print("bench: tracing CPU per request, off vs on (OTLP to a loopback sink)", flush=True)
            results["tracing"] = tracing_cost.cases(requests=200 if args.quick else 1000,
                                                    upstream_base=contenders.upstream_base(upstream, "bench-0"))
            print(f"  {results['tracing']}", flush=True)
    except Exception:
        traceback.print_exc()
        results["fatal"] = traceback.format_exc()[-2000:]
    finally:
        _stop_all(procs)
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    results["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=1))
    table = report.render(results)
    (RESULTS / "latest.md").write_text(table)
    if args.update_doc:
        report.update_doc(ROOT / "BENCHMARKS.md", table)
    print(table)
    print(f"bench: done in {results['elapsed_s']} s; results in {RESULTS.relative_to(ROOT)}/latest.{{json,md}}")
    return 1 if "fatal" in results else 0


if __name__ == "__main__":
    sys.exit(main())
