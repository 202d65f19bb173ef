"""A gateway process for the multi-process tests: the real app under uvicorn on a loopback port.

argv: config JSON path, keys JSON path (a ``StaticLookup`` stands in for identity). Prints the URL,
then serves until killed.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tests.integration.metering.support import StaticLookup
from tests.support.servers import serve_app
from tollway.app import create_app
from tollway.config.loader import parse_config
from tollway.gateway import Gateway


def main() -> None:
    config = json.loads(Path(sys.argv[1]).read_text())
    gateway = Gateway(parse_config(config))
    gateway.auth.lookup = StaticLookup({}, Path(sys.argv[2]))
    server = serve_app(create_app(gateway))
    print(server.url, flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
