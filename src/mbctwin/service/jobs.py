"""Simulation jobs outside the request path: admission limits, a bounded worker pool, cancellation,
recovery after a crash and a bounded shutdown.

Jobs live in the database (``mbctwin.store.jobs``); workers take them from there. Three engines:

- ``process`` (default): ``workers`` long-lived processes at a lower CPU priority (``nice``), so that
  simulations never hold the request handlers' interpreter lock and requests stay fast while jobs run.
  A worker whose service was killed notices that its parent is gone at its next progress write and exits.
- ``thread``: the same loop in threads of the service process (tests, small installations).
- ``tcp://HOST:PORT``: an existing Dask scheduler runs the jobs (beyond one machine); a dispatcher thread
  here claims jobs and submits each as a Dask task, at most ``workers`` at a time.

Shutdown is bounded: workers stop at their next progress write, and whatever still runs after
``shutdown_grace_s`` is terminated; its job goes back to the queue and restarts from its seed later.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from mbctwin.store import jobs
from mbctwin.store.db import make_engine, session_factory

log = logging.getLogger("mbctwin.service.jobs")
Progress = Callable[[int, int], None]
POLL_S = 1.0  # an idle worker looks for queued jobs this often (and at once when woken)
PROGRESS_EVERY_S = 0.5  # progress writes at most this often; they also carry cancellation and liveness
MONITOR_EVERY_S = 5.0
WORKER_NICE = 10
LEASE = timedelta(minutes=10)  # a job of another host is stale when not written to for this long


class _Stop(Exception):
    """Raised inside a job's progress callback to end it early; the subclass says why."""


class _Cancelled(_Stop):
    """Cancelled on request, or taken from this runner by a recovery: write nothing more."""


class _ShuttingDown(_Stop):
    """The service is stopping: put the job back in the queue."""


class _Orphaned(_Stop):
    """The service that started this worker process is gone: exit without writing."""


class StopSignal(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class JobSettings:
    """Worker pool and admission limits (``mbc serve --job-workers/--job-scheduler``)."""

    scheduler: str = "process"  # process | thread | tcp://HOST:PORT (Dask)
    workers: int = 1  # 0: queue only (another service process on the same database runs the jobs)
    per_key: int = 4  # queued + running jobs per API key
    patient_years: float = 20_000_000.0  # queued + running patient-years, all tenants together
    retry_after_s: int = 30
    shutdown_grace_s: float = 10.0
    max_attempts: int = 3


def _run_course(kb: Any, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    from mbctwin.course.simulation import simulate
    from mbctwin.service.schemas import SimulationRequest

    request = SimulationRequest.model_validate(parameters)
    result = simulate(
        request.case, patients=request.patients, years=request.years, policy=request.policy, seed=request.seed,
        kb=kb, progress=progress,
    )  # fmt: skip
    return result.to_dict()


def _run_cohort(kb: Any, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    from mbctwin.course import populations
    from mbctwin.service.schemas import CohortRequest

    request = CohortRequest.model_validate(parameters)
    options = {"seed": request.seed, "years": request.years, "kb": kb, "progress": progress}
    return populations.run_cohort(
        request.subtype, request.presentation, request.patients, treated_from=request.treated_from, **options
    ).to_dict()


WORK: dict[str, Callable[[Any, dict[str, Any], Progress], dict[str, Any]]] = {
    "course": _run_course,
    "cohort": _run_cohort,
}


class _Reporter:
    """The progress callback of one claimed job: throttled writes that also carry cancel and shutdown."""

    def __init__(self, sessions: sessionmaker[Session], claim: jobs.Claim, stop: StopSignal, parent: int | None):
        self.sessions, self.claim, self.stop, self.parent = sessions, claim, stop, parent
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if self.parent is not None and os.getppid() != self.parent:
            raise _Orphaned
        if self.stop.is_set():
            raise _ShuttingDown
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY_S:
            return
        self.last = now
        with self.sessions() as session:
            if not jobs.record_progress(session=session, claim=self.claim, progress=round(done / max(total, 1), 3)):
                raise _Cancelled


def run_claim(
    sessions: sessionmaker[Session], kb: Any, claim: jobs.Claim, stop: StopSignal, parent: int | None = None
) -> None:
    """Run one claimed job to its end: done with the summary, failed with a reason, cancelled, or re-queued."""
    try:
        result = WORK[claim.kind](kb, claim.parameters, _Reporter(sessions, claim, stop, parent))
    except _Orphaned:
        return
    except _ShuttingDown:
        with sessions() as session:
            jobs.release(session=session, claim=claim)
        return
    except _Cancelled:
        with sessions() as session:
            jobs.settle_cancelled(session=session, claim=claim)
        return
    except Exception as error:  # a failed job must say so, never hang as 'running'
        log.warning("simulation %s failed: %s", claim.job_id, type(error).__name__)  # no message: it may hold case data
        reason = f"{type(error).__name__}: {str(error)[:300]}"
        with sessions() as session:
            jobs.finish(session=session, claim=claim, status="failed", error=reason)
        return
    with sessions() as session:
        jobs.finish(session=session, claim=claim, status="done", result=result)


def work_loop(
    sessions: sessionmaker[Session], runner: str, stop: StopSignal, wake: Any, parent: int | None = None
) -> None:
    """Take queued jobs one at a time until ``stop`` is set (or the parent process is gone)."""
    from mbctwin.knowledge.loader import load_kb

    kb = load_kb()
    while not stop.is_set() and (parent is None or os.getppid() == parent):
        with sessions() as session:
            claim = jobs.claim_next(session=session, runner=runner)
        if claim is None:
            wake.wait(POLL_S)
            wake.clear()
            continue
        run_claim(sessions, kb, claim, stop, parent)


def _process_main(url: str, boot: str, stop: Any, wake: Any, parent: int) -> None:
    """Entry point of a worker process (spawned: nothing is inherited but these arguments)."""
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICE)
    engine = make_engine(url)
    try:
        work_loop(session_factory(engine), jobs.runner_id(boot), stop, wake, parent)
    finally:
        engine.dispose()


@cache
def _remote_sessions(url: str) -> sessionmaker[Session]:
    return session_factory(make_engine(url))


class _Never:
    def is_set(self) -> bool:
        return False


def run_remote(url: str, claim: jobs.Claim) -> None:
    """A Dask task: one claimed job on a Dask worker, writing to the same database."""
    from mbctwin.knowledge.loader import load_kb

    run_claim(_remote_sessions(url), load_kb(), claim, _Never())


class JobRunner:
    """The service's job engine: started with the app, stopped (within the grace period) with it."""

    def __init__(self, url: str, sessions: sessionmaker[Session], settings: JobSettings):
        self.url, self.sessions, self.settings = url, sessions, settings
        self.boot = jobs.new_boot()
        self.me = jobs.runner_id(self.boot)
        self._threads: list[threading.Thread] = []
        self._processes: list[Any] = []
        self._stopping = threading.Event()
        self._context = multiprocessing.get_context("spawn")
        self._stop: Any = self._stopping
        self._wake: Any = threading.Event()

    # -- lifecycle --------------------------------------------------------------------------------------------

    def start(self) -> None:
        self.recover()
        scheduler = self.settings.scheduler
        if scheduler == "process":
            self._stop, self._wake = self._context.Event(), self._context.Event()
            for _ in range(self.settings.workers):
                self._spawn()
        elif scheduler == "thread":
            for n in range(self.settings.workers):
                self._thread(f"mbc-job-{n}", work_loop, self.sessions, self.me, self._stopping, self._wake)
        else:
            self._thread("mbc-job-dask", self._dispatch_to_dask, scheduler)
        self._thread("mbc-job-monitor", self._monitor)

    def stop(self) -> None:
        """Bounded shutdown: ask workers to stop, wait ``shutdown_grace_s`` at most, terminate the rest,
        and put every job still marked as running here back in the queue."""
        self._stopping.set()
        self._stop.set()
        self._wake.set()
        deadline = time.monotonic() + self.settings.shutdown_grace_s
        for process in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join(2)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self.sessions() as session:
            released = jobs.release_boot(session=session, boot=self.boot)
        if released:
            log.info("shutdown: %d running job(s) put back in the queue", released)

    def notify(self) -> None:
        """A job was queued: wake an idle worker now instead of at its next poll."""
        self._wake.set()

    # -- internals --------------------------------------------------------------------------------------------

    def _thread(self, name: str, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _spawn(self) -> None:
        process = self._context.Process(
            target=_process_main,
            args=(self.url, self.boot, self._stop, self._wake, os.getpid()),
            name="mbc-job-worker",
            daemon=True,
        )
        process.start()
        self._processes.append(process)

    def recover(self) -> None:
        def alive(runner: str | None, updated: Any) -> bool:
            return jobs.runner_alive(runner, updated, me=self.me, lease=LEASE)

        with self.sessions() as session:
            requeued, failed = jobs.recover(session=session, alive=alive, max_attempts=self.settings.max_attempts)
        if requeued or failed:
            log.info("recovery: %d job(s) re-queued, %d failed after repeated interruptions", requeued, failed)
            self.notify()

    def _monitor(self) -> None:
        """Re-queue jobs of runners that died, and replace worker processes that exited."""
        while not self._stopping.wait(MONITOR_EVERY_S):
            try:
                self._replace_dead_workers()
                self.recover()
            except Exception as error:  # the monitor must outlive a database hiccup
                log.warning("job monitor: %s", type(error).__name__)

    def _replace_dead_workers(self) -> None:
        dead = [p for p in self._processes if not p.is_alive()]
        for process in dead:
            log.warning("job worker exited with code %s: starting another", process.exitcode)
            self._processes.remove(process)
            self._spawn()

    def _dispatch_to_dask(self, scheduler: str) -> None:
        from mbctwin.parallel import dask_client

        with dask_client(scheduler) as client:
            running: list[Any] = []
            while not self._stopping.is_set():
                running = [f for f in running if not f.done()]
                claim = None
                if len(running) < self.settings.workers:
                    with self.sessions() as session:
                        claim = jobs.claim_next(session=session, runner=self.me)
                if claim is None:
                    self._wake.wait(POLL_S)
                    self._wake.clear()
                    continue
                running.append(client.submit(run_remote, self.url, claim, pure=False))
            client.cancel(running)
