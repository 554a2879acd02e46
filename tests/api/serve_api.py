"""Serve the API app alone on a loopback port, in a process of its own (to measure it).

    python tests/api/serve_api.py DATA_DIR

prints ``<url> <token>`` (a lab admin's token) on its first line, then serves
until killed.  Tokens come from ``api_harness.TokenTable`` (no hub); the job
runner is not started, so the process holds only what uploads need.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from api_harness import LoopbackServer, start_api


def main(data_dir: str) -> None:
    app, tokens, _ = start_api(Path(data_dir), disk_min_free_gb=1)
    token = tokens.add("bench", admin=True)
    with LoopbackServer(app) as server:
        print(server.url, token, flush=True)
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1])
