"""Service load: sustained plans per second and latency of ``POST /v1/plans`` on 127.0.0.1.

Starts ``mbc serve`` on a free port with a temporary SQLite file (authentication on, one key),
sends the same random valid cases as ``plan_latency.py`` from concurrent clients (bounded by a
request count and a time limit), and prints the ratio to the in-process engine on the same cases.
Every request both plans and stores (case + plan, one transaction with a durable commit).

    python benchmarks/service_load.py [--requests 600] [--clients 8] [--seconds 60] [--seed 7] [--database-url URL]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from mbctwin.case.io import parse_case
from mbctwin.engine.plan import build_plan
from mbctwin.knowledge.loader import load_kb
from plan_latency import random_case


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(url: str, port: int) -> subprocess.Popen[bytes]:
    mbc = [sys.executable, "-m", "mbctwin"]
    return subprocess.Popen(
        [*mbc, "serve", "--port", str(port), "--database-url", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _key(url: str) -> str:
    mbc = [sys.executable, "-m", "mbctwin", "apikey", "create", "--name", "bench", "--database-url", url]
    return subprocess.run(mbc, capture_output=True, text=True, check=True).stdout.strip()


def _wait(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def _client(base: str, key: str, cases: list[dict[str, Any]], deadline: float, out: list[float]) -> None:
    with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30) as client:
        for case in cases:
            if time.monotonic() > deadline:
                return
            start = time.perf_counter()
            response = client.post("/v1/plans", json=case)
            response.raise_for_status()
            out.append(time.perf_counter() - start)


def load(base: str, key: str, cases: list[dict[str, Any]], clients: int, seconds: float) -> tuple[np.ndarray, float]:
    """Latencies (s) of every completed request and the wall time of the whole run."""
    deadline = time.monotonic() + seconds
    results: list[list[float]] = [[] for _ in range(clients)]
    threads = [
        threading.Thread(target=_client, args=(base, key, cases[i::clients], deadline, results[i]))
        for i in range(clients)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return np.array([x for r in results for x in r]), time.perf_counter() - start


def in_process_rate(cases: list[dict[str, Any]]) -> float:
    kb = load_kb()
    parsed = [parse_case(c) for c in cases]
    start = time.perf_counter()
    for case in parsed:
        build_plan(case, kb)
    return len(parsed) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="e.g. a PostgreSQL URL; default a temporary SQLite file")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    cases = [parse_case(random_case(rng, i)).model_dump(mode="json") for i in range(args.requests)]
    with tempfile.TemporaryDirectory() as folder:
        url, port = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}", _free_port()
        key = _key(url)
        server = _start(url, port)
        try:
            _wait(f"http://127.0.0.1:{port}")
            load(f"http://127.0.0.1:{port}", key, cases[:20], 2, 10)  # warm-up
            latencies, wall = load(f"http://127.0.0.1:{port}", key, cases, args.clients, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)
    rate, engine = len(latencies) / wall, in_process_rate(cases)
    p50, p95 = np.percentile(latencies * 1000, [50, 95])
    print(
        f"service: {len(latencies)} plans in {wall:.1f} s with {args.clients} clients: {rate:.0f} plans/s, "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (plan + store, {url.split(':')[0]}, one worker)"
    )
    print(f"in-process engine: {engine:.0f} plans/s; service / in-process = {rate / engine:.2f}")


if __name__ == "__main__":
    main()
