"""One way to spread independent tasks over workers: serially, on a local Dask cluster, or on an
existing Dask scheduler. The only module that imports Dask.

Tasks carry their own seeds (spawned with ``numpy.random.SeedSequence`` by the caller), so the
results are identical whichever scheduler runs them and in whatever order they finish.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@contextmanager
def _client(scheduler: str) -> Iterator[Any]:
    from dask.distributed import Client, LocalCluster

    if scheduler == "dask":
        workers = max(1, min(os.cpu_count() or 1, 8))
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", host="127.0.0.1"
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
    elif scheduler.startswith("tcp://"):
        with Client(scheduler) as client:
            yield client
    else:
        raise ValueError(f"unknown scheduler {scheduler!r}: use 'dask' (local cluster) or tcp://HOST:PORT")


def dask_client(scheduler: str) -> Any:
    """A Dask client for ``scheduler`` (``"dask"`` or ``tcp://HOST:PORT``), as a context manager; the
    service's job runner submits jobs through it."""
    return _client(scheduler)


def map_tasks(
    function: Callable[[Item], Result],
    items: Sequence[Item],
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """``[function(item) for item in items]``, in input order, on the chosen scheduler."""
    if scheduler is None:
        results = []
        for done, item in enumerate(items, start=1):
            results.append(function(item))
            if progress:
                progress(done, len(items))
        return results
    from dask.distributed import as_completed

    with _client(scheduler) as client:
        futures = client.map(function, list(items), pure=False)
        for done, _ in enumerate(as_completed(futures), start=1):
            if progress:
                progress(done, len(items))
        return client.gather(futures)
