"""Jobs beyond one machine: the service hands claimed jobs to an existing Dask scheduler (a real
``LocalCluster`` over TCP here, its worker in another process writing to the same database), and a
job run there gives exactly the result of the in-process worker pool for the same parameters and seed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mbctwin.service.app import create_app
from mbctwin.service.jobs import JobSettings
from mbctwin.service.settings import Settings
from mbctwin.store import repo

from .test_simulations import _body, wait_finished

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def scheduler_address() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None, host="127.0.0.1", protocol="tcp"
    ) as cluster:
        yield cluster.scheduler_address


def _client_of(database: Path, jobs: JobSettings) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{database}", jobs=jobs))
    with app.state.sessions() as session:
        _, key = repo.create_api_key(session=session, name="tests")
        session.commit()
    with TestClient(app, headers={"X-API-Key": key}) as client:
        yield client


@pytest.fixture
def on_dask(tmp_path: Path, scheduler_address: str) -> Iterator[TestClient]:
    yield from _client_of(tmp_path / "dask.db", JobSettings(scheduler=scheduler_address, workers=2))


@pytest.fixture
def in_process(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client_of(tmp_path / "threads.db", JobSettings(scheduler="thread", workers=1))


def test_a_job_run_on_a_dask_scheduler_equals_the_in_process_run(on_dask: TestClient, in_process: TestClient) -> None:
    remote_ids = [on_dask.post("/v1/simulations", json=_body()).json()["id"] for _ in range(2)]
    local_id = in_process.post("/v1/simulations", json=_body()).json()["id"]
    remote = [wait_finished(on_dask, job_id, timeout=120) for job_id in remote_ids]
    local = wait_finished(in_process, local_id)
    assert [job["status"] for job in remote] == ["done", "done"]
    assert remote[0]["result"] == remote[1]["result"] == local["result"]
    assert remote[0]["progress"] == 1.0
