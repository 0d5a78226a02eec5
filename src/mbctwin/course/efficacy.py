r"""Progression-free survival per regimen and line, read from the knowledge base's trial effects.

The knowledge base is the one source of truth: a regimen's time-to-progression distribution is
fitted to the published median PFS of the trial arm that gave that regimen to a comparable
population (same drugs, subtype and line). Where an arm's median was not reached or not
reported but the other arm's median and the hazard ratio are, the missing median follows from
proportional hazards under a Weibull law with shape :math:`k`:

.. math:: S(t) = \exp(-(t/\lambda)^k), \quad \mathrm{median} = \lambda (\ln 2)^{1/k},
          \quad \mathrm{median}_{exp} = \mathrm{median}_{ctrl} \cdot HR^{-1/k}

Matching, in order of preference: (1) an arm with exactly the regimen's drugs; (2) a
"choice" arm listing alternatives whose classes equal the regimen's (e.g. placebo + NSAI for
letrozole); (3) an arm whose fixed drugs plus one of its ``partner_choice`` regimens are the
regimen (KEYNOTE-355's pembrolizumab with paclitaxel); (4) a physician's-choice arm whose partner
choices or listed alternatives include the regimen (ASCENT's control for eribulin). Among matches,
arms whose population (the effect's structured ``eligibility``: subtypes, brain metastases) includes
the patient and her line are preferred; the median of the preferred medians is used. Ovarian
suppression (goserelin etc.) is ignored when matching. An arm that gave its drugs with a partner
(``partner_choice`` or ``partner_unlisted``) never matches those drugs alone, and an arm of a
biomarker-selected trial matches only a patient whose case records the marker as altered. A targeted
drug or checkpoint inhibitor that no arm matches takes the best-fitting single-agent chemotherapy arm
(an assumption: no more than chemotherapy); other unmatched regimens take the fallback table. Only
structured fields are read: never an effect's ``population`` label or an arm's ``label``.

When the chosen arm treated other lines than the patient's (a first-line trial for a fourth
line), its median is scaled by ``ratio`` per line of distance: real-world time on treatment
falls by about a quarter with each later line (``pfs_ratio_per_line`` in the course structure).

The Weibull shape is fitted to the trial too, where it can be: a trial that reports both medians
and the hazard ratio fixes the shape at which the three agree under proportional hazards,

.. math:: HR = (\mathrm{median}_{ctrl} / \mathrm{median}_{exp})^{k}
          \quad\Rightarrow\quad k = \ln HR / \ln(\mathrm{median}_{ctrl} / \mathrm{median}_{exp}),

so both arms of the simulated trial reproduce its medians *and* its hazard ratio (a common
shape of 0.85 would turn CLEOPATRA's medians 18.5 vs 12.4 into HR 0.71, not the published
0.62). With a shared frailty (``frailty.py``) the medians and the hazard ratio are those of the
population curves, and the shape is solved numerically so that a Cox model fitted to them gives
the published hazard ratio (a median filled from the HR keeps the formula above, an approximation
there). Near-null trials (HR >= 0.9, a 95 % CI that reaches 1, or medians within 20 %) do not
inform the shape and use the course default, as do regimens without such a trial.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TypeVar, cast

import numpy as np

from mbctwin.case.vocabulary import vocabulary
from mbctwin.course.frailty import NEGLIGIBLE, median_constant, shape_for_hazard_ratio
from mbctwin.course.params import CourseParams
from mbctwin.knowledge.eligibility import class_members
from mbctwin.knowledge.loader import KnowledgeBase
from mbctwin.knowledge.schema import Effect

Median = TypeVar("Median", float, np.ndarray)
BACKGROUND_CLASSES = frozenset({"ovarian_function_suppression"})
ALL_SUBTYPES = 4  # HR+/HER2-, HR+/HER2+, HR-/HER2+, triple-negative
SHAPE_RANGE = (0.6, 3.0)  # per-patient shapes outside it are clipped (assumption); population curves under
# frailty are flatter than each patient's (HER2CLIMB: 2.7 per patient at frailty variance 0.5)
INFORMATIVE_HR = 0.9  # a trial informs the shape only if its HR is below this ...
INFORMATIVE_MEDIAN_RATIO = 1.2  # ... and its medians differ by at least this factor
FALLBACK_SOURCES = ("course_structure",)


@dataclass(frozen=True)
class ArmResult:
    """One arm's PFS median with where it came from."""

    median_months: float
    source_id: str
    line: int
    line_max: int | None
    subtypes: frozenset[str]
    drugs: frozenset[str]
    how: str
    brain_only: bool = False  # the trial enrolled only patients with brain metastases (DESTINY-Breast12)
    shape: float | None = None  # Weibull shape implied by the trial's medians and HR
    derived: bool = False  # median not reported: filled from the other arm and the HR
    hr_vs_control: float | None = None  # an experimental arm's PFS HR against its trial's control
    partners: frozenset[frozenset[str]] = frozenset()  # the arm's partner_choice regimens
    prior_required: frozenset[str] = frozenset()  # classes/groups its trial required before (eligibility)
    prior_excluded: frozenset[str] = frozenset()  # classes/groups its trial excluded before
    partner_unlisted: bool = False  # the arm added a partner whose list was not read
    markers: frozenset[str] = frozenset()  # biomarkers its trial required altered, every one (MSI-high)
    markers_any: frozenset[str] = frozenset()  # biomarkers of which its trial required one altered

    def admits_exposure(self, exposed: frozenset[str]) -> bool:
        """Whether a patient who received these vocabulary classes before would have been eligible."""
        return all(_covers(name, exposed) for name in self.prior_required) and not any(
            _covers(name, exposed) for name in self.prior_excluded
        )

    def admits_markers(self, altered: frozenset[str]) -> bool:
        """Whether a patient with these altered biomarkers belongs to the trial's biomarker-selected population:
        a trial that enrolled only carriers (KEYNOTE-158's MSI-high cohort) says nothing of other patients,
        and a marker the virtual patient's case does not record as altered counts as absent."""
        return self.markers <= altered and (not self.markers_any or bool(self.markers_any & altered))


def _covers(name: str, exposed: frozenset[str]) -> bool:
    """A class, or a group (``endocrine``) any of whose classes, is among the exposed classes."""
    return name in exposed or bool(vocabulary().groups.get(name, frozenset()) & exposed)


@dataclass(frozen=True)
class Efficacy:
    median_months: float
    sources: tuple[str, ...]
    how: str
    shape: float | None = None  # None: the course default
    hr_vs_control: float = 1.0  # PFS HR of the supporting arm against its trial's control (1: a control arm)


def implied_shape(effect: Effect, frailty: float = 0.0) -> float | None:
    """The Weibull shape at which the effect's reported medians and hazard ratio agree (module docstring);
    ``frailty``: the variance of the shared frailty the population curves average over."""
    exp = effect.experimental.median_months
    ctrl = effect.control.median_months if effect.control else None
    if effect.hr is None or not exp or not ctrl:
        return None
    uncertain = effect.hr_ci95 is not None and effect.hr_ci95[1] >= 1  # the CI reaches no effect
    if uncertain or effect.hr >= INFORMATIVE_HR or exp / ctrl < INFORMATIVE_MEDIAN_RATIO:
        return None
    if frailty > NEGLIGIBLE:
        return shape_for_hazard_ratio((exp, ctrl), effect.hr, frailty, SHAPE_RANGE)
    low, high = SHAPE_RANGE
    return min(max(math.log(effect.hr) / math.log(ctrl / exp), low), high)


def _core(drugs: frozenset[str] | list[str]) -> frozenset[str]:
    vocab = vocabulary()
    return frozenset(d for d in drugs if not set(vocab.drugs[d].classes) & BACKGROUND_CLASSES)


def _medians(effect: Effect, shape: float) -> tuple[float | None, float | None]:
    """(experimental, control) medians, filling one from the other and the HR when missing."""
    exp = effect.experimental.median_months
    ctrl = effect.control.median_months if effect.control else None
    if effect.hr is not None:
        if exp is None and ctrl is not None:
            exp = ctrl * effect.hr ** (-1 / shape)
        elif ctrl is None and exp is not None and effect.control is not None:
            ctrl = exp * effect.hr ** (1 / shape)
    return exp, ctrl


def arm_results(kb: KnowledgeBase, shape: float, frailty: float = 0.0) -> list[ArmResult]:
    """Every PFS arm of the knowledge base with a usable median."""
    results = []
    for source in kb.sources.values():
        for effect in source.effects:
            if effect.endpoint != "pfs":
                continue
            subtypes = frozenset(effect.eligibility.subtypes)
            brain_only = effect.eligibility.brain_metastases == "required"
            exp, ctrl = _medians(effect, shape)
            trial_shape = implied_shape(effect, frailty)
            for arm, median, role in ((effect.experimental, exp, "experimental"), (effect.control, ctrl, "control")):
                if arm is None or median is None:
                    continue
                own_lines = arm.line is not None
                results.append(
                    ArmResult(
                        median_months=median,
                        source_id=source.id,
                        line=arm.line if arm.line is not None else effect.line,
                        line_max=arm.line_max if own_lines else effect.line_max,
                        subtypes=subtypes,
                        drugs=_core(arm.drugs),
                        how=f"{source.id} {role} arm",
                        brain_only=brain_only,
                        shape=trial_shape,
                        derived=arm.median_months is None,
                        hr_vs_control=effect.hr if role == "experimental" else None,
                        partners=frozenset(_core(p) for p in arm.partner_choice),
                        prior_required=frozenset(effect.eligibility.prior_required),
                        prior_excluded=frozenset(effect.eligibility.prior_excluded),
                        partner_unlisted=arm.partner_unlisted,
                        markers=frozenset(effect.eligibility.biomarkers),
                        markers_any=frozenset(effect.eligibility.biomarkers_any),
                    )
                )
    return results


def _match_kind(arm: ArmResult, drugs: frozenset[str]) -> int | None:
    """0..3 = the matching rule that applies (lower is better), None = no match (module docstring)."""
    vocab = vocabulary()
    if arm.drugs == drugs and not arm.partners and not arm.partner_unlisted:  # an arm with a partner is not
        return 0  # its fixed drugs alone (KEYNOTE-355's pembrolizumab came with chemotherapy)
    if arm.drugs and drugs < arm.drugs and vocab.classes_of(sorted(arm.drugs)) == vocab.classes_of(sorted(drugs)):
        return 1
    if arm.drugs and arm.drugs < drugs and drugs - arm.drugs in arm.partners:
        return 2
    chemo = {d for c in vocab.groups["chemotherapy"] for d in vocab.classes[c]}
    listed = len(drugs) == 1 and drugs <= chemo and drugs < arm.drugs
    if (not arm.drugs and drugs in arm.partners) or listed:
        return 3
    return None


def _kind_in_trial(arm: ArmResult, drugs: frozenset[str], prefer: frozenset[str]) -> int | None:
    """``_match_kind``, where an in-silico trial's own choice arm ("tamoxifen or NSAI + goserelin") that
    lists the regimen also matches, as rule 1."""
    kind = _match_kind(arm, drugs)
    if kind is None and arm.source_id in prefer and drugs < arm.drugs:
        return 1
    return kind


def _line_offset(arm: ArmResult, line: int) -> int:
    """Lines between the patient and the arm's population: > 0 later than it, < 0 earlier."""
    if arm.line == 0:
        return 0
    top = arm.line_max if arm.line_max is not None else 9
    return line - top if line > top else min(line - arm.line, 0)


def _fits(arm: ArmResult, subtype: str, line: int, brain: bool) -> tuple[bool, bool, int, int]:
    """(population compatible, brain metastases not specifically studied, distance of the line from
    the arm's range, width of the range).

    A population limited to the patient's line (FALCON, first line only) beats one that mixes
    lines (CAPItello-291, first line onwards). A brain-metastasis trial or cohort speaks only for
    patients with brain metastases, and for them before any other (HER2CLIMB's brain-metastasis
    patients: PFS HR 0.48 against 0.54 overall)."""
    subtype_ok = (not arm.subtypes or subtype in arm.subtypes) and (brain or not arm.brain_only)
    top = arm.line_max if arm.line_max is not None else 9
    return subtype_ok, brain and not arm.brain_only, abs(_line_offset(arm, line)), top - arm.line if arm.line else 9


class EfficacyTable:
    """PFS medians by (drugs, subtype, line, brain metastases, classes received before), memoised; built once
    per knowledge base."""

    def __init__(
        self,
        kb: KnowledgeBase,
        shape: float,
        fallback: dict[tuple[str, int], float],
        ratio: float = 1.0,
        frailty: float = 0.0,
        by_prior_exposure: bool = False,
    ):
        self._arms = arm_results(kb, shape, frailty)
        self._fallback = fallback
        self._ratio = ratio
        self.by_prior_exposure = by_prior_exposure
        self.lookup = cache(self._lookup)

    @classmethod
    def for_params(cls, kb: KnowledgeBase, params: CourseParams) -> EfficacyTable:
        """The table the course model reads with these structural parameters."""
        return cls(
            kb,
            params.weibull_shape,
            params.fallback(),
            params.pfs_ratio_per_line,
            params.frailty_variance,
            params.efficacy_by_prior_exposure,
        )

    def exposure_classes(self) -> tuple[str, ...]:
        """The vocabulary classes some trial's eligibility required or excluded before (groups expanded): the
        only earlier exposures a lookup can tell apart, so the model keys patients by these alone."""
        if not self.by_prior_exposure:
            return ()
        vocab = vocabulary()
        names = {n for arm in self._arms for n in arm.prior_required | arm.prior_excluded}
        return tuple(sorted({c for n in names for c in vocab.groups.get(n, frozenset({n}))}))

    def _lookup(
        self,
        drugs: frozenset[str],
        subtype: str,
        line: int,
        brain: bool = False,
        prefer: frozenset[str] = frozenset(),
        exposed: frozenset[str] = frozenset(),
        altered: frozenset[str] = frozenset(),
    ) -> Efficacy:
        """``prefer``: sources whose arms come first when they fit the subtype (an in-silico trial's own
        report for its randomised line, so the simulated trial starts from its published PFS); ``exposed``:
        the vocabulary classes the patient received before (read only with ``by_prior_exposure``), so that
        a regimen after a class takes the trial that enrolled patients after that class (abemaciclib +
        fulvestrant after a CDK4/6 inhibitor: postMONARCH, 6.0 months, not MONARCH 2's 16.4); ``altered``: the
        biomarkers the patient's case records as altered, since an arm of a biomarker-selected trial serves
        only patients of its population (``ArmResult.admits_markers``)."""
        core = _core(drugs)
        kinds = ((arm, _kind_in_trial(arm, core, prefer)) for arm in self._arms)
        found = self._best_fit(kinds, core, subtype, line, brain, prefer, exposed, altered)
        if found is None and not vocabulary().classes_of(sorted(core)) & {"chemotherapy", "endocrine"}:
            found = self._best_fit(self._single_chemotherapy_arms, core, subtype, line, brain, exposed=exposed)
        return found or self._from_fallback(core, line)

    def _best_fit(
        self,
        kinds: Iterable[tuple[ArmResult, int | None]],
        core: frozenset[str],
        subtype: str,
        line: int,
        brain: bool,
        prefer: frozenset[str] = frozenset(),
        exposed: frozenset[str] = frozenset(),
        altered: frozenset[str] = frozenset(),
    ) -> Efficacy | None:
        """The pooled efficacy of the matching arms (``kind`` not None) that fit the patient best."""
        scored = []
        for arm, kind in kinds:
            if kind is None or not arm.admits_markers(altered):
                continue
            subtype_ok, unspecific, distance, width = _fits(arm, subtype, line, brain)
            prior_ok = not self.by_prior_exposure or arm.admits_exposure(exposed)
            alternatives = len(arm.drugs - core)  # a choice arm listing fewer alternatives is closer
            breadth = len(arm.subtypes) or ALL_SUBTYPES  # a TNBC-only trial beats a HER2-negative one
            other = arm.source_id not in prefer
            key = (not subtype_ok, other, not prior_ok, unspecific, distance, kind, breadth, width, alternatives)
            scored.append((key, arm))
        if not scored:
            return None
        best = min(key for key, _ in scored)
        chosen = _reported_first([arm for key, arm in scored if key == best])
        return Efficacy(
            self._pooled(chosen, line, prefer),
            tuple(a.source_id for a in chosen),
            "; ".join(a.how for a in chosen),
            _pooled_shape(chosen),
            _pooled_hr_vs_control(chosen),
        )

    @cached_property
    def _single_chemotherapy_arms(self) -> list[tuple[ArmResult, int | None]]:
        """The arms that match some single-agent chemotherapy, each with its best matching rule (found once
        per table): what a targeted drug or checkpoint inhibitor with no trial arm for the patient
        (pembrolizumab alone in triple-negative disease) is credited, so that it gets no more than
        chemotherapy in her population and line (an assumption, module docstring and docs/course.md) and
        never the endocrine medians of the ``other`` fallback."""
        singles = [frozenset({drug}) for drug in sorted(class_members("chemotherapy"))]
        kinds = (
            (arm, min((k for d in singles if (k := _match_kind(arm, d)) is not None), default=None))
            for arm in self._arms
        )
        return [(arm, kind) for arm, kind in kinds if kind is not None]

    def _pooled(self, arms: list[ArmResult], line: int, own: frozenset[str] = frozenset()) -> float:
        """Median over trials of each trial's median (a trial reporting two analyses votes once), moved by
        ``pfs_ratio_per_line`` for lines outside the trial's. An in-silico trial's own report (``own``) is
        the median of the mixture of lines it enrolled, so every patient of that mixture takes it unmoved
        (PALOMA-3: 0 to >= 3 earlier lines for advanced disease, 9.5 vs 4.6 months overall)."""

        def median(arm: ArmResult) -> float:
            offset = 0 if arm.source_id in own else _line_offset(arm, line)
            return arm.median_months * self._ratio**offset

        by_trial = _by_trial(arms, median)
        return statistics.median(statistics.median(values) for values in by_trial)

    def _from_fallback(self, drugs: frozenset[str], line: int) -> Efficacy:
        group = "chemotherapy" if "chemotherapy" in vocabulary().classes_of(sorted(drugs)) else "other"
        key = (group, min(line, 3))
        median = self._fallback.get(key) or self._fallback[("other", 3)]
        return Efficacy(median, FALLBACK_SOURCES, f"fallback for {group} at line {line}")


def _reported_first(arms: list[ArmResult]) -> list[ArmResult]:
    """Within a trial, a reported median beats one derived from an earlier analysis's HR
    (MONALEESA-2: median not reached at the first analysis, 25.3 months at the update)."""
    reported = {a.source_id for a in arms if not a.derived}
    return [a for a in arms if not a.derived or a.source_id not in reported]


def _pooled_shape(arms: list[ArmResult]) -> float | None:
    """Geometric mean over trials of the trial-implied shapes (one vote per trial); None if no trial implies one."""
    shaped = [a for a in arms if a.shape is not None]
    return _geometric_mean_by_trial(shaped, lambda arm: cast(float, arm.shape)) if shaped else None


def _pooled_hr_vs_control(arms: list[ArmResult]) -> float:
    """Geometric mean over trials of each arm's PFS hazard ratio against its control (1 for a control arm)."""
    return _geometric_mean_by_trial(arms, lambda arm: arm.hr_vs_control or 1.0)


def _geometric_mean_by_trial(arms: list[ArmResult], value: Callable[[ArmResult], float]) -> float:
    """Geometric mean of the trials' geometric means of ``value`` (one vote per trial)."""
    by_trial = _by_trial(arms, lambda arm: math.log(value(arm)))
    return math.exp(statistics.fmean(statistics.fmean(logs) for logs in by_trial))


def _by_trial(arms: list[ArmResult], value: Callable[[ArmResult], float]) -> list[list[float]]:
    """``value`` of the arms grouped by trial, so that pooling gives each trial one vote."""
    groups: dict[str, list[float]] = {}
    for arm in arms:
        groups.setdefault(arm.source_id, []).append(value(arm))
    return list(groups.values())


def weibull_scale(median: Median, shape: Median, frailty: float = 0.0) -> Median:
    """λ such that the population median of Weibull(k, λ) times a gamma frailty of variance ``frailty``
    equals ``median`` (numbers, or arrays of medians and shapes; ``frailty.median_constant``)."""
    return median / median_constant(frailty) ** (1 / shape)
