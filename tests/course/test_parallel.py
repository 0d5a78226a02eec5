"""Dask runs give exactly the serial results (each block, each replicate keeps its own seed)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from mbctwin.case.io import example_case
from mbctwin.course.availability import packaged_availability
from mbctwin.course.cohort import from_case
from mbctwin.course.model import BLOCK_SIZE, CourseModel
from mbctwin.course.policy import EnginePolicy
from mbctwin.knowledge.loader import KnowledgeBase
from mbctwin.parallel import map_tasks

pytest.importorskip("dask.distributed")


def test_course_on_a_local_dask_cluster_equals_the_serial_run(kb: KnowledgeBase) -> None:
    """Also for a dated cohort: the calendar and approval years travel with each chunk."""
    calendar = np.linspace(2010.0, 2016.0, 2 * BLOCK_SIZE + 100)
    dated = EnginePolicy(kb, availability=packaged_availability())
    runs = []
    for model, years in ((CourseModel(kb=kb), None), (CourseModel(kb=kb, policy=dated), calendar)):
        cohort = replace(from_case(example_case("hr-positive-first-line"), 2 * BLOCK_SIZE + 100), calendar=years)
        serial = model.simulate(cohort, years=6, seed=21, blocks_per_chunk=1)
        parallel = model.simulate(cohort, years=6, seed=21, blocks_per_chunk=1, scheduler="dask")
        assert serial.patients.equals(parallel.patients)
        assert serial.lines.equals(parallel.lines)
        assert serial.events.equals(parallel.events)
        runs.append(serial)
    assert not runs[0].lines.equals(runs[1].lines)  # the dated cohort was treated differently


def test_unknown_scheduler_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scheduler"):
        map_tasks(abs, [1, -2], scheduler="mpi")
