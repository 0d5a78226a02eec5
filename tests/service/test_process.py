"""`mbc serve` as a real process: an end-to-end HTTP round trip, and kill -9 under write load loses nothing."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import BASE_CASE, case_values_in

WRITERS = 6
LOAD_SECONDS = 1.5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _mbc(*args: str) -> list[str]:
    return [sys.executable, "-m", "mbctwin", *args]


def _create_key(url: str) -> str:
    done = subprocess.run(
        _mbc("apikey", "create", "--name", "e2e", "--database-url", url),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


@contextmanager
def _server(url: str, log: Path | None = None) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``mbc serve`` with its default job engine (one worker process); its log appended to ``log``."""
    port = _free_port()
    with open(log or os.devnull, "ab") as stderr:
        process = subprocess.Popen(
            _mbc("serve", "--host", "127.0.0.1", "--port", str(port), "--database-url", url),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process)
        yield process, base
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


def _wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"mbc serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("mbc serve did not become healthy in 30 s")


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    return url, _create_key(url)


def test_end_to_end_over_http(database: tuple[str, str]) -> None:
    url, key = database
    with _server(url) as (_, base), httpx.Client(base_url=base, headers={"X-API-Key": key}) as client:
        created = client.post("/v1/plans", json=BASE_CASE)
        assert created.status_code == 201
        assert client.get(f"/v1/plans/{created.json()['id']}").json()["plan"] == created.json()["plan"]
        assert client.post("/v1/plans", json={**BASE_CASE, "ecog": 9}).status_code == 422
        assert httpx.get(f"{base}/v1/cases").status_code == 401


def _write_until_killed(base: str, key: str, acknowledged: list[str], stop: threading.Event) -> None:
    with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=5) as client:
        while not stop.is_set():
            try:
                response = client.post("/v1/cases", json=BASE_CASE)
            except httpx.TransportError:
                return
            if response.status_code == 201:
                acknowledged.append(response.json()["id"])


JOB = {"patients": 30_000, "years": 5, "seed": 3}
FINISHED = {"done", "failed", "cancelled"}


def _jobs(client: httpx.Client, ids: list[str]) -> dict[str, dict[str, Any]]:
    return {i: client.get(f"/v1/simulations/{i}").json() for i in ids}


def _wait_running(client: httpx.Client, ids: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(job["status"] == "running" for job in _jobs(client, ids).values()):
            return
        time.sleep(0.2)
    pytest.fail("no job started running")


def _all_cases(client: httpx.Client) -> set[str]:
    listing = client.get("/v1/cases", params={"limit": 500}).json()
    stored = {item["id"] for item in listing["items"]}
    for offset in range(500, listing["total"], 500):
        page = client.get("/v1/cases", params={"limit": 500, "offset": offset}).json()
        stored |= {item["id"] for item in page["items"]}
    return stored


def test_kill_9_with_jobs_running_under_write_load(database: tuple[str, str], tmp_path: Path) -> None:
    """kill -9 while a job runs and clients write: every acknowledged write survives; after the restart
    every job is queued, running again, done or failed with a reason, and all of them finish."""
    url, key = database
    log = tmp_path / "serve.log"
    acknowledged: list[str] = []
    stop = threading.Event()
    with _server(url, log) as (process, base):
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=10) as client:
            body = {"case": BASE_CASE, **JOB}
            ids = [client.post("/v1/simulations", json=body).json()["id"] for _ in range(3)]
            _wait_running(client, ids)
        writers = [
            threading.Thread(target=_write_until_killed, args=(base, key, acknowledged, stop)) for _ in range(WRITERS)
        ]
        for thread in writers:
            thread.start()
        time.sleep(LOAD_SECONDS)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        stop.set()
        for thread in writers:
            thread.join(timeout=10)
    assert len(acknowledged) > 20, "too little load to test anything"
    with sqlite3.connect(tmp_path / "served.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with _server(url, log) as (_, base), httpx.Client(base_url=base, headers={"X-API-Key": key}) as client:
        assert set(acknowledged) <= _all_cases(client)
        after = _jobs(client, ids)
        for job in after.values():
            assert job["status"] in {"queued", "running", "done"} or (job["status"] == "failed" and job["error"])
        deadline = time.monotonic() + 240
        while not all(j["status"] in FINISHED for j in after.values()) and time.monotonic() < deadline:
            time.sleep(0.5)
            after = _jobs(client, ids)
    assert [j["status"] for j in after.values()] == ["done"] * 3, after
    assert len({json.dumps(j["result"], sort_keys=True) for j in after.values()}) == 1  # same seed, same result
    assert max(j["attempts"] for j in after.values()) >= 2  # the interrupted job ran again from its seed
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    assert case_values_in(lines) == []
