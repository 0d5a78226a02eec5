"""Service load: sustained plans per second and latency of ``POST /v1/plans`` on 127.0.0.1, first on an
idle service, then while ``--jobs`` large simulation jobs from ``--job-keys`` keys are queued and running.

Starts ``mbc serve`` on a free port with a temporary SQLite file (authentication on), sends the same
random valid cases as ``plan_latency.py`` from concurrent clients (bounded by a request count and a
time limit), counts every non-2xx answer as an error, and prints the ratio to the in-process engine on
the same cases. Every request both plans and stores (case + plan, one transaction with a durable commit).
The jobs run in the service's worker process (default engine), separate from the request handlers.

    python benchmarks/service_load.py [--requests 600] [--clients 8] [--seconds 60] [--seed 7]
        [--jobs 20] [--job-keys 5] [--job-patients 100000] [--job-years 10] [--database-url URL]
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


def _key(url: str, name: str = "bench") -> str:
    mbc = [sys.executable, "-m", "mbctwin", "apikey", "create", "--name", name, "--database-url", url]
    return subprocess.run(mbc, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]


def _wait(base: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def _client(
    base: str, key: str, cases: list[dict[str, Any]], deadline: float, out: list[float], errors: list[str]
) -> None:
    with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30) as client:
        for case in cases:
            if time.monotonic() > deadline:
                return
            start = time.perf_counter()
            try:
                response = client.post("/v1/plans", json=case)
            except httpx.HTTPError as error:
                errors.append(type(error).__name__)
                continue
            if response.status_code != 201:
                errors.append(str(response.status_code))
                continue
            out.append(time.perf_counter() - start)


def load(
    base: str, key: str, cases: list[dict[str, Any]], clients: int, seconds: float
) -> tuple[np.ndarray, float, list[str]]:
    """Latencies (s) of every successful request, the wall time of the whole run, and the errors."""
    deadline = time.monotonic() + seconds
    results: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    threads = [
        threading.Thread(target=_client, args=(base, key, cases[i::clients], deadline, results[i], errors))
        for i in range(clients)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return np.array([x for r in results for x in r]), time.perf_counter() - start, errors


def queue_jobs(base: str, keys: list[str], jobs: int, patients: int, years: float) -> list[tuple[str, str]]:
    """Queue ``jobs`` course simulations spread over ``keys``; (key, job id) of each accepted one."""
    case = parse_case(random_case(np.random.default_rng(0), 0)).model_dump(mode="json")
    queued = []
    for n in range(jobs):
        key = keys[n % len(keys)]
        body = {"case": case, "patients": patients, "years": years, "seed": n}
        response = httpx.post(f"{base}/v1/simulations", json=body, headers={"X-API-Key": key}, timeout=30)
        if response.status_code != 202:
            raise SystemExit(f"job {n} refused: {response.status_code} {response.text[:200]}")
        queued.append((key, response.json()["id"]))
    return queued


def job_states(base: str, queued: list[tuple[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key, job in queued:
        status = httpx.get(f"{base}/v1/simulations/{job}", headers={"X-API-Key": key}, timeout=30).json()["status"]
        counts[status] = counts.get(status, 0) + 1
    return counts


def report(label: str, latencies: np.ndarray, wall: float, errors: list[str], clients: int, url: str) -> float:
    rate = len(latencies) / wall
    p50, p95 = np.percentile(latencies * 1000, [50, 95])
    print(
        f"service{label}: {len(latencies)} plans in {wall:.1f} s with {clients} clients: {rate:.0f} plans/s, "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, {len(errors)} errors (plan + store, {url.split(':')[0]}, one worker)"
    )
    return rate


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
    parser.add_argument("--jobs", type=int, default=20, help="large simulation jobs queued during the second run")
    parser.add_argument("--job-keys", type=int, default=5, help="keys the jobs are spread over (4 jobs per key max)")
    parser.add_argument("--job-patients", type=int, default=100_000)
    parser.add_argument("--job-years", type=float, default=10.0)
    parser.add_argument("--database-url", help="e.g. a PostgreSQL URL; default a temporary SQLite file")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    cases = [parse_case(random_case(rng, i)).model_dump(mode="json") for i in range(args.requests)]
    with tempfile.TemporaryDirectory() as folder:
        url, port = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}", _free_port()
        key = _key(url)
        job_keys = [_key(url, f"jobs-{n}") for n in range(args.job_keys)]
        base = f"http://127.0.0.1:{port}"
        server = _start(url, port)
        try:
            _wait(base)
            load(base, key, cases[:20], 2, 10)  # warm-up
            idle = load(base, key, cases, args.clients, args.seconds)
            queued = queue_jobs(base, job_keys, args.jobs, args.job_patients, args.job_years)
            time.sleep(2.0)  # the worker takes the first job
            busy = load(base, key, cases, args.clients, args.seconds)
            states = job_states(base, queued)
        finally:
            server.terminate()
            server.wait(timeout=60)
    rate, engine = report(" (idle)", *idle, args.clients, url), in_process_rate(cases)
    report(
        f" ({args.jobs} jobs of {args.job_patients:,} patients x {args.job_years:g} years from {args.job_keys} keys)",
        *busy,
        args.clients,
        url,
    )
    print(f"jobs at the end of the second run: {dict(sorted(states.items()))}")
    print(f"in-process engine: {engine:.0f} plans/s; idle service / in-process = {rate / engine:.2f}")


if __name__ == "__main__":
    main()
