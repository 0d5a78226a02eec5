"""The model against the public OS targets (shared spec course-targets.md §2), at published sizes.

Overall survival is not an input, so these are checks of the whole chain of lines. One run of a
trial at its published size is a noisy draw (a hazard ratio's 95 % CI spans about ±0.2), so each
trial runs ten times (``mbc calibrate --replicates 10 --seed 1``) and the mean is judged, as the
calibration report does; five runs were too few (MONALEESA-2's experimental arm, about 13 % short
over 20 runs, crossed the 15 % line at five runs when its population gained the published de novo
share). Every arm's mean must land within the ±20 % that unseen trials are held to, and the mean
hazard ratio within 0.25 of the published one; and every target must meet the full tolerance
(±15 %, published HR inside the mean 95 % CI and within 0.12). Two sit near the edge (docs/course.md):
HER2CLIMB's OS HR (0.77 vs 0.66 over 20 runs; 0.82 before the carry-over of a cytotoxic regimen's
benefit) and MONALEESA-2's experimental arm (about 13 % short).
"""

from __future__ import annotations

import pytest

from mbctwin.course.calibration import CalibrationResult, ReplicatedTarget, calibrate
from mbctwin.knowledge.loader import KnowledgeBase


@pytest.fixture(scope="module")
def result(kb: KnowledgeBase) -> CalibrationResult:
    return calibrate(seed=1, kb=kb, sites=False, replicates=10)


def _by_trial(result: CalibrationResult) -> dict[str, list[ReplicatedTarget]]:
    trials: dict[str, list[ReplicatedTarget]] = {}
    for target in result.replicated():
        trials.setdefault(target.check.group, []).append(target)
    return trials


def test_every_trial_mean_within_the_unseen_trial_tolerance(result: CalibrationResult) -> None:
    trials = _by_trial(result)
    assert len(trials) == 6
    for name, targets in trials.items():
        for target in targets:
            check = target.check
            assert check.model is not None, (name, check.item, "median OS not reached")
            if check.kind == "os_hr":
                assert abs(check.model - check.published) <= 0.25, (name, check.model)
            else:
                assert abs(check.model / check.published - 1) <= 0.20, (name, check.item, check.model)


def test_every_target_meets_the_full_tolerance(result: CalibrationResult) -> None:
    missed = [(t.check.group, t.check.item, t.check.model) for t in result.replicated() if not t.check.passed]
    assert not missed
