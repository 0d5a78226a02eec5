"""Outlooks (simulated survival for patients like a case) computed in the background, with progress.

An outlook takes seconds, so a page never waits for one: the first visit starts the simulation on a
single background thread and shows its progress; the page reloads itself when it is ready. Results are
kept per plan (a few per process; the same seed gives the same curves, so recomputing is harmless).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from mbctwin.case.models import Case
from mbctwin.knowledge.loader import KnowledgeBase
from mbctwin.report.outlook import Outlook, simulate_outlook

log = logging.getLogger("mbctwin.service.web")
KEEP = 16


@dataclass(frozen=True)
class OutlookState:
    """``ready`` with the outlook, ``running`` with the fraction done, or ``failed`` with the error type."""

    state: str
    progress: float = 0.0
    outlook: Outlook | None = None
    error: str = ""


class Outlooks:
    """One background thread; results and progress per plan id."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mbc-outlook")
        self._lock = threading.Lock()
        self._ready: OrderedDict[str, Outlook] = OrderedDict()
        self._running: dict[str, Future[Outlook]] = {}
        self._progress: dict[str, float] = {}
        self._failed: dict[str, str] = {}

    def ready(self, plan_id: str) -> Outlook | None:
        with self._lock:
            return self._ready.get(plan_id)

    def state(self, plan_id: str, case: Case | None = None) -> OutlookState:
        """Where the outlook of ``plan_id`` stands; given the ``case``, one not yet started is started."""
        with self._lock:
            if plan_id in self._ready:
                return OutlookState("ready", 1.0, self._ready[plan_id])
            if plan_id in self._failed:
                return OutlookState("failed", error=self._failed[plan_id])
            if plan_id not in self._running and case is not None:
                self._progress[plan_id] = 0.0
                self._running[plan_id] = self._pool.submit(self._simulate, plan_id, case)
            return OutlookState("running", self._progress.get(plan_id, 0.0))

    def wait(self, plan_id: str, case: Case) -> Outlook:
        """The outlook, computed now if needed (reports and tests)."""
        self.state(plan_id, case)
        with self._lock:
            future = self._running.get(plan_id)
        if future is not None:
            return future.result()
        found = self.ready(plan_id)
        if found is None:
            raise RuntimeError(f"outlook failed: {self._failed.get(plan_id, 'unknown error')}")
        return found

    def _simulate(self, plan_id: str, case: Case) -> Outlook:
        def progress(fraction: float) -> None:
            self._progress[plan_id] = round(fraction, 3)

        try:
            outlook = simulate_outlook(case, self.kb, progress=progress)
        except Exception as error:  # reported on the page by type; never logged with its message (case data)
            log.warning("outlook for plan %s failed: %s", plan_id, type(error).__name__)
            with self._lock:
                self._failed[plan_id] = type(error).__name__
                self._running.pop(plan_id, None)
            raise
        with self._lock:
            self._ready[plan_id] = outlook
            while len(self._ready) > KEEP:
                self._ready.popitem(last=False)
            self._running.pop(plan_id, None)
            self._progress.pop(plan_id, None)
        return outlook

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
