"""Outlooks (simulated survival for patients like a case) computed in the background, with progress.

An outlook takes seconds, so a page never waits for one: the first visit starts the simulation on a
single background thread and shows its progress; the page reloads itself when it is ready. Results are
kept per plan and price set (a few per process; the same seed gives the same curves, so recomputing is
harmless); an outlook with a price set carries its costs tab.
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

    def ready(self, plan_id: str, price_set: str | None = None) -> Outlook | None:
        with self._lock:
            return self._ready.get(_key(plan_id, price_set))

    def state(self, plan_id: str, case: Case | None = None, price_set: str | None = None) -> OutlookState:
        """Where the outlook of ``plan_id`` (priced with ``price_set``, if any) stands; given the ``case``, one
        not yet started is started."""
        key = _key(plan_id, price_set)
        with self._lock:
            if key in self._ready:
                return OutlookState("ready", 1.0, self._ready[key])
            if key in self._failed:
                return OutlookState("failed", error=self._failed[key])
            if key not in self._running and case is not None:
                self._progress[key] = 0.0
                self._running[key] = self._pool.submit(self._simulate, plan_id, case, price_set)
            return OutlookState("running", self._progress.get(key, 0.0))

    def wait(self, plan_id: str, case: Case, price_set: str | None = None) -> Outlook:
        """The outlook, computed now if needed (reports and tests)."""
        key = _key(plan_id, price_set)
        self.state(plan_id, case, price_set)
        with self._lock:
            future = self._running.get(key)
        if future is not None:
            return future.result()
        found = self.ready(plan_id, price_set)
        if found is None:
            raise RuntimeError(f"outlook failed: {self._failed.get(key, 'unknown error')}")
        return found

    def _simulate(self, plan_id: str, case: Case, price_set: str | None = None) -> Outlook:
        key = _key(plan_id, price_set)

        def progress(fraction: float) -> None:
            self._progress[key] = round(fraction, 3)

        try:
            outlook = simulate_outlook(case, self.kb, progress=progress, price_set=price_set)
        except Exception as error:  # reported on the page by type; never logged with its message (case data)
            log.warning("outlook for plan %s failed: %s", plan_id, type(error).__name__)
            with self._lock:
                self._failed[key] = type(error).__name__
                self._running.pop(key, None)
            raise
        with self._lock:
            self._ready[key] = outlook
            while len(self._ready) > KEEP:
                self._ready.popitem(last=False)
            self._running.pop(key, None)
            self._progress.pop(key, None)
        return outlook

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _key(plan_id: str, price_set: str | None) -> str:
    return plan_id if price_set is None else f"{plan_id}|{price_set}"
