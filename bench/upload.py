"""Upload a big file to the vidjil-api service, cut it halfway, resume it: memory and speed.

    python bench/upload.py                    # 2 GiB, cut at 50%, the API alone on loopback
    python bench/upload.py --size 512M --cut 0.3
    python bench/upload.py --through-lab      # a real lab (`vidjil up`: proxy, hub, API)
    python bench/upload.py --json             # the figures as JSON (tests/api read them)

The file is generated on the fly (1 MiB blocks, each one different), never stored
on the client side.  The first request announces the whole file and is cut at
``--cut`` (the socket is closed mid-body); the client then asks the committed
offset and sends the rest from there, then finishes with the sha256.  Printed:
throughput of each phase, the API process's resident memory (sampled every
50 ms, and the kernel's high-water mark), and whether the stored file's sha256
is the generated file's.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
BLOCK = 1 << 20
PREFIX = "/services/vidjil-api"
_BASE = b"".join(b"@read%07d\nACGTTGCA" % i + b"\n+\n" + b"IIIIIIII" + b"\n"
                 for i in range(BLOCK // 30 + 1))[:BLOCK]


def block(index: int) -> bytes:
    """Block ``index`` of the generated file (the same bytes at every call)."""
    return index.to_bytes(8, "little") + _BASE[8:]


def generated(start: int, end: int):
    """The bytes of the generated file from ``start`` to ``end``, in pieces of at most 1 MiB."""
    position = start
    while position < end:
        index, skip = divmod(position, BLOCK)
        piece = block(index)[skip:skip + end - position]
        yield piece
        position += len(piece)


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(text[:-1]) * units[text[-1].upper()]) if text[-1].upper() in units \
        else int(text)


class MemoryWatch:
    """Resident memory of one process, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.05) -> None:
        self.process = psutil.Process(pid)
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.every)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def high_water_mark(self) -> int:
        """The kernel's peak resident size of the process (VmHWM), in bytes."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0


def put(url: str, token: str, upload_id: str, offset: int, end: int, size: int,
        cut_at: int | None = None) -> float:
    """Send bytes ``offset``..``end`` in one request; with ``cut_at``, hang up there. Seconds."""
    parsed = urlparse(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=600)
    connection.putrequest("PUT", f"{parsed.path}{PREFIX}/uploads/{upload_id}?offset={offset}")
    connection.putheader("Authorization", f"token {token}")
    connection.putheader("Content-Type", "application/octet-stream")
    connection.putheader("Content-Length", str(end - offset))
    connection.endheaders()
    began = time.perf_counter()
    stop = cut_at if cut_at is not None else end
    for piece in generated(offset, stop):
        connection.send(piece)
    if cut_at is not None:
        connection.sock.close()  # the network goes away mid-request
    else:
        reply = connection.getresponse()
        body = reply.read()
        if reply.status != 200:
            raise RuntimeError(f"PUT at {offset}: {reply.status} {body[:300]!r}")
    connection.close()
    return time.perf_counter() - began


def committed(api: requests.Session, url: str, upload_id: str, until: float = 120.0) -> int:
    """The committed offset once the cut request has ended (what the client resumes from)."""
    deadline = time.monotonic() + until
    while time.monotonic() < deadline:
        state = api.get(f"{url}{PREFIX}/uploads/{upload_id}").json()
        if not state["receiving"]:
            return state["offset"]
        time.sleep(0.2)
    raise RuntimeError(f"upload {upload_id} still receiving after {until} s")


def serve_alone(workdir: Path) -> tuple[subprocess.Popen, str, str, int]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tests" / "api"))
    process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "api" / "serve_api.py"),
                                str(workdir / "data")], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, text=True)
    url, token = process.stdout.readline().split()
    return process, url, token, process.pid


def serve_lab(workdir: Path):
    sys.path.insert(0, str(ROOT / "tests" / "lab"))
    from lab_harness import ADMIN, HubSession, start_lab

    lab = start_lab(workdir / "data", admin=ADMIN)
    admin = HubSession(lab.url)
    assert admin.login(*ADMIN), lab.diagnostics()
    token = admin.new_token(ADMIN[0])
    api = next(child for child in psutil.Process(lab.process.pid).children(recursive=True)
               if "vidjil_kernel.api" in " ".join(child.cmdline()))
    return lab, lab.url, token, api.pid


def run(size: int, cut: float, through_lab: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-upload-", dir=ROOT) as tmp:
        workdir = Path(tmp)
        server, url, token, pid = (serve_lab if through_lab else serve_alone)(workdir)
        try:
            return _measure(url, token, pid, size, cut)
        finally:
            if through_lab:
                server.stop()
            else:
                server.kill()
                server.wait()


def _measure(url: str, token: str, pid: int, size: int, cut: float) -> dict:
    began = time.perf_counter()
    expected = hashlib.sha256()
    for piece in generated(0, size):
        expected.update(piece)
    hash_seconds = time.perf_counter() - began
    api = requests.Session()
    api.headers["Authorization"] = f"token {token}"
    patient = api.post(f"{url}{PREFIX}/sets", json={"kind": "patient", "last_name": "Bench"})
    patient.raise_for_status()
    upload = api.post(f"{url}{PREFIX}/uploads", json={
        "set_id": patient.json()["id"], "filename": "big.fastq", "size": size})
    upload.raise_for_status()
    upload_id = upload.json()["id"]
    baseline = psutil.Process(pid).memory_info().rss
    with MemoryWatch(pid) as memory:
        cut_at = int(size * cut)
        first = put(url, token, upload_id, 0, size, size, cut_at=cut_at)
        resumed_at = committed(api, url, upload_id)
        second = put(url, token, upload_id, resumed_at, size, size)
        began = time.perf_counter()
        finish = api.post(f"{url}{PREFIX}/uploads/{upload_id}/finish",
                          json={"sha256": expected.hexdigest()})
        finish_seconds = time.perf_counter() - began
    return {
        "size_bytes": size, "cut_at": cut_at, "resumed_at": resumed_at,
        "first_mb_s": cut_at / first / 1e6, "second_mb_s": (size - resumed_at) / second / 1e6,
        "overall_mb_s": size / (first + second + finish_seconds) / 1e6,
        "finish_seconds": finish_seconds, "client_hash_seconds": hash_seconds,
        "finish_status": finish.status_code, "sha256_ok": finish.status_code == 200 and
        finish.json()["sha256"] == expected.hexdigest(),
        "api_rss_before_mb": baseline / 2**20, "api_rss_peak_mb": memory.peak / 2**20,
        "api_rss_high_water_mark_mb": memory.high_water_mark() / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="2G", help="file size (e.g. 2G, 500M)")
    parser.add_argument("--cut", type=float, default=0.5, help="where the first request is cut")
    parser.add_argument("--through-lab", action="store_true",
                        help="upload through a real lab (`vidjil up`) instead of the API alone")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = run(parse_size(args.size), args.cut, args.through_lab)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"upload of {figures['size_bytes'] / 2**30:.2f} GiB "
          f"({'through the lab' if args.through_lab else 'to the API alone'}), cut at "
          f"{figures['cut_at'] / 2**20:.0f} MiB, resumed at "
          f"{figures['resumed_at'] / 2**20:.0f} MiB")
    print(f"  throughput: {figures['first_mb_s']:.0f} MB/s before the cut, "
          f"{figures['second_mb_s']:.0f} MB/s after; {figures['overall_mb_s']:.0f} MB/s overall "
          f"(finish: {figures['finish_seconds']:.2f} s)")
    print(f"  API resident memory: {figures['api_rss_before_mb']:.0f} MB before, peak "
          f"{figures['api_rss_peak_mb']:.0f} MB sampled, high-water mark "
          f"{figures['api_rss_high_water_mark_mb']:.0f} MB")
    print(f"  sha256 of the stored file: {'matches' if figures['sha256_ok'] else 'DIFFERS'}")


if __name__ == "__main__":
    main()
