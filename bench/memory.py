"""Memory sizing: peak RSS and CPU time per request of the Lambda handler, and what they mean per memory size.

Lambda gives a function CPU in proportion to its memory (1,769 MB = one vCPU), which cannot be
emulated here; what can be measured is the work itself. ``sizing()`` runs the Mangum handler in a fresh
interpreter (the stack's environment: table names, the loopback DynamoDB, the bench upstream) and
reports its peak RSS and the CPU time of init, the first request and the warm requests. The projection
``cpu_ms x 1769 / memory_mb`` is the least wall time a CPU-bound request takes at each size.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import coldstart
from contenders import MASTER_KEY, TABLE_NAMES, TABLE_PREFIX, chat_body
from procs import ROOT
from setup_env import VENV_PY

FULL_VCPU_MB = 1769
SIZES_MB = (256, 512, 1024)

PROBE = r"""
import json, resource, sys, time
event = json.loads(sys.argv[1])
warm = int(sys.argv[2])
c0 = time.process_time()
import tollway.handler
c1 = time.process_time()
first = tollway.handler.handler(event, None)
c2 = time.process_time()
statuses = [first["statusCode"]]
for _ in range(warm):
    statuses.append(tollway.handler.handler(event, None)["statusCode"])
c3 = time.process_time()
print(json.dumps({"statuses": sorted(set(statuses)), "init_cpu_ms": (c1 - c0) * 1000,
                  "first_cpu_ms": (c2 - c1) * 1000, "warm_cpu_ms": (c3 - c2) * 1000 / max(1, warm),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def sizing(config: Path, ddb_endpoint: str, warm: int = 50, runs: int = 3) -> dict[str, Any]:
    event = coldstart.rest_event("/v1/chat/completions", chat_body("bench-0"),
                                 {"Authorization": f"Bearer {MASTER_KEY}"})
    env = {**os.environ, "TOLLWAY_CONFIG": str(config), "AWS_ENDPOINT_URL": ddb_endpoint,
           "TOLLWAY_LOG_LEVEL": "WARNING", "AWS_LAMBDA_FUNCTION_NAME": "bench", "AWS_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           **{f"TOLLWAY_TABLE_{t.upper()}": f"{TABLE_PREFIX}{t}" for t in TABLE_NAMES}}
    samples = []
    for _ in range(runs):
        done = subprocess.run([str(VENV_PY), "-c", PROBE, json.dumps(event), str(warm)], capture_output=True,
                              text=True, env=env, timeout=300, check=False, cwd=ROOT)
        if done.returncode != 0:
            return {"ok": False, "problem": done.stderr[-600:]}
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    best = min(samples, key=lambda s: s["warm_cpu_ms"])
    result: dict[str, Any] = {"ok": best["statuses"] == [200], **{k: round(v, 1) for k, v in best.items()
                                                                     if isinstance(v, float)}}
    result["projected_ms"] = {
        size: {"init": round(best["init_cpu_ms"] * FULL_VCPU_MB / size),
               "first": round(best["first_cpu_ms"] * FULL_VCPU_MB / size),
               "warm": round(best["warm_cpu_ms"] * FULL_VCPU_MB / size, 1)}
        for size in SIZES_MB}
    print(f"  memory: peak RSS {result.get('peak_rss_mb')} MB, CPU init {result.get('init_cpu_ms')} ms, first "
          f"{result.get('first_cpu_ms')} ms, warm {result.get('warm_cpu_ms')} ms/request", flush=True)
    return result
