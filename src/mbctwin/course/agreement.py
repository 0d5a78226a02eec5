"""Does a trial spec's ``published`` block say what the knowledge base says about the trial?

Hand-copied figures drift: a spec's published OS can come from another analysis than the one the
knowledge base cites, and then calibration targets and the simulator's inputs describe different
data cuts. A spec's PFS and OS figures (medians in arm order, hazard ratio) must therefore equal one
effect of the same endpoint in its ``source_id`` report, unless ``published`` names its own
``data_cut`` and ``citation``; a spec without a ``source_id`` must name them.
"""

from __future__ import annotations

from mbctwin.course.trial import Published, TrialSpec
from mbctwin.knowledge.loader import KnowledgeBase
from mbctwin.knowledge.schema import Effect

MEDIAN_TOLERANCE_MONTHS = 0.05  # rounding of a reported median
HR_TOLERANCE = 0.005  # rounding of a reported hazard ratio
ENDPOINTS = ("pfs", "os")


def published_disagreements(spec: TrialSpec, kb: KnowledgeBase) -> list[str]:
    """What in ``spec.published`` no effect of its knowledge-base source confirms (empty: it agrees)."""
    published = spec.published
    if published is None or (published.data_cut and published.citation):
        return []
    source = spec.report_source(kb)
    if source is None:
        return [f"{spec.name}: published figures without source_id need their own data_cut and citation"]
    problems = []
    for endpoint in ENDPOINTS:
        medians, hr = _figures(published, endpoint)
        if medians is None and hr is None:
            continue
        effects = [e for e in source.effects if e.endpoint == endpoint]
        if not any(_agrees(effect, medians, hr) for effect in effects):
            problems.append(
                f"{spec.name}: published {endpoint} {medians} HR {hr} matches no {endpoint} effect of {source.id}"
                " (give published.data_cut and published.citation if it comes from another analysis)"
            )
    return problems


def _figures(published: Published, endpoint: str) -> tuple[list[float | None] | None, float | None]:
    if endpoint == "pfs":
        return published.pfs_median_months, published.pfs_hr
    return published.os_median_months, published.os_hr


def _agrees(effect: Effect, medians: list[float | None] | None, hr: float | None) -> bool:
    arms = [effect.experimental.median_months, effect.control.median_months if effect.control else None]
    for stated, known in zip(medians or [], arms, strict=False):
        if stated is not None and (known is None or abs(stated - known) > MEDIAN_TOLERANCE_MONTHS):
            return False
    return hr is None or (effect.hr is not None and abs(hr - effect.hr) <= HR_TOLERANCE)
