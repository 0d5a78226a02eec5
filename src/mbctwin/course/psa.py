r"""Probabilistic sensitivity analysis (PSA): outcome distributions under parameter uncertainty.

Each draw *d* takes the child ``SeedSequence(seed).spawn(draws)[d]``; two grandchildren of it
draw the parameters and seed the simulation, so a draw's result depends on nothing but its own
seed — identical whatever the scheduler, the number of workers or how draws are grouped.

What is uncertain (``knowledge/data/course/uncertainty.yaml``):

* **Regimen efficacy.** Every PFS effect of the knowledge base is perturbed in a copy of the
  knowledge base that the model reads (the engine policy keeps the published one, so
  decisions do not move). With :math:`z_1, z_2 \sim N(0, 1)`, the reference arm (the control
  arm, or the only arm with a median) is multiplied by :math:`r = e^{\sigma_m z_1}`; the hazard
  ratio becomes :math:`HR^* = HR\,e^{s\,se\,z_2}` with
  :math:`se = (\ln hi - \ln lo) / (2 \cdot 1.96)` from its 95 % CI, and the experimental median
  :math:`m_e^* = m_e\,r\,(HR^*/HR)^{-1/k}` — the relation ``efficacy.py`` uses to fill a missing
  median, so filled and reported medians move alike. An effect with no HR CI draws its
  experimental arm on its own with :math:`\sigma_m`.
* **Structural parameters.** Listed fields of :class:`CourseParams` get a beta (probabilities) or
  lognormal (positive values) draw for every number they hold, whatever the shape of the field
  (numbers, lists, nested tables); a dotted name (``checkpoint_long_survivors.fraction``) draws that
  part of a field alone, so a switch's thresholds stay fixed while its assumed numbers vary. The
  drawn values are validated again as ``CourseParams``. Fields not listed, and the
  background-mortality life tables, stay fixed.

Per draw: median OS, mean life-years, mean QALYs, % alive at 1, 2 and 5 years and the first-line
median PFS, as :meth:`CourseResult.outcomes` defines them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mbctwin.case.models import Case
from mbctwin.course.cohort import from_case
from mbctwin.course.efficacy import implied_shape
from mbctwin.course.model import CourseModel
from mbctwin.course.params import CourseParams, course_file_text, parse_yaml
from mbctwin.course.policy import Drugs, EnginePolicy, Planner, Policy, parse_policy
from mbctwin.course.result import CourseResult
from mbctwin.engine.contract import Plan
from mbctwin.engine.plan import build_plan
from mbctwin.errors import FieldProblem, UncertaintyError
from mbctwin.knowledge.loader import KnowledgeBase, load_kb
from mbctwin.knowledge.schema import Effect
from mbctwin.parallel import map_tasks
from mbctwin.results import Result, figure_of, new_axes, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Z_975 = 1.96
FIXED_PREFIX = "background_mortality"  # life tables are never drawn
OUTCOMES = (
    "os_median_months",
    "life_years_mean",
    "qalys_mean",
    "alive_1y_percent",
    "alive_2y_percent",
    "alive_5y_percent",
    "pfs_first_line_median_months",
)
LABELS = {
    "os_median_months": "median OS (months)",
    "life_years_mean": "mean life-years",
    "qalys_mean": "mean QALYs",
    "alive_1y_percent": "alive at 1 year (%)",
    "alive_2y_percent": "alive at 2 years (%)",
    "alive_5y_percent": "alive at 5 years (%)",
    "pfs_first_line_median_months": "first-line median PFS (months)",
}
Progress = Callable[[int, int], None]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Cited(_Strict):
    source: list[str] = Field(default_factory=list)
    note: str | None = None

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _says_where_from(self) -> _Cited:
        if not self.source and not self.note:
            raise ValueError("give a source (ids of knowledge/data/sources) or a note saying it is an assumption")
        return self


class Spread(_Cited):
    """The distribution applied to every number of one ``CourseParams`` field."""

    distribution: Literal["beta", "lognormal"]
    sample_size: float | None = Field(default=None, gt=0)
    relative_sd: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_measure(self) -> Spread:
        if (self.sample_size is None) == (self.relative_sd is None):
            raise ValueError("give exactly one of sample_size (beta only) or relative_sd")
        if self.distribution == "lognormal" and self.relative_sd is None:
            raise ValueError("lognormal needs relative_sd")
        return self


class Setting(_Cited):
    value: float = Field(ge=0)


class EfficacyUncertainty(_Strict):
    hazard_ratio_se_scale: Setting
    median_relative_sd: Setting


class Uncertainty(_Strict):
    """``uncertainty.yaml``: efficacy settings and a spread per uncertain parameter field."""

    efficacy: EfficacyUncertainty
    parameters: dict[str, Spread] = Field(default_factory=dict)

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> Uncertainty:
        """The packaged file, or a user's YAML of the same shape; errors name every bad field."""
        return cls.from_dict(parse_yaml(course_file_text("uncertainty.yaml", path), UncertaintyError, "uncertainty"))

    @classmethod
    def from_dict(cls, raw: Any) -> Uncertainty:
        if not isinstance(raw, dict):
            raise UncertaintyError([FieldProblem("uncertainty", "expected a mapping with efficacy and parameters")])
        listed = raw.get("parameters")
        problems = [
            FieldProblem(f"parameters.{name}", problem)
            for name in (listed if isinstance(listed, dict) else {})
            if (problem := _field_problem(str(name)))
        ]
        try:
            loaded = cls.model_validate(raw)
        except ValidationError as error:
            problems += [FieldProblem(".".join(map(str, e["loc"])), e["msg"]) for e in error.errors()]
        if problems:
            raise UncertaintyError(problems)
        return loaded

    def without_spread(self) -> Uncertainty:
        """The same fields with zero spread: every draw is the base model (a wiring check)."""
        zero = {"relative_sd": 0.0, "sample_size": None}
        return Uncertainty(
            efficacy=EfficacyUncertainty(
                hazard_ratio_se_scale=self.efficacy.hazard_ratio_se_scale.model_copy(update={"value": 0.0}),
                median_relative_sd=self.efficacy.median_relative_sd.model_copy(update={"value": 0.0}),
            ),
            parameters={name: spread.model_copy(update=zero) for name, spread in self.parameters.items()},
        )


def _field_problem(name: str) -> str | None:
    field_name, *inner = name.split(".")
    if field_name not in CourseParams.model_fields:
        return f"not a parameter of structure.yaml; known: {', '.join(CourseParams.model_fields)}"
    if field_name.startswith(FIXED_PREFIX):
        return "background-mortality life tables stay fixed"
    if inner:
        try:
            _part(_packaged_parameters(), name)
        except (KeyError, TypeError):
            return f"{field_name} has no part {'.'.join(inner)}"
    return None


@cache
def _packaged_parameters() -> dict[str, Any]:
    """The packaged structure.yaml as plain data, read once: the parts a dotted name may point to (read only)."""
    return CourseParams.from_file().model_dump()


def _part(data: dict[str, Any], name: str) -> Any:
    """The value at a dotted name of the parameters' dump (``checkpoint_long_survivors.fraction``)."""
    value: Any = data
    for key in name.split("."):
        value = value[key]
    return value


def _replace_part(data: dict[str, Any], name: str, value: Any) -> None:
    *outer, last = name.split(".")
    holder = _part(data, ".".join(outer)) if outer else data
    holder[last] = value


# --- structural parameters ---------------------------------------------------------------------


def draw_params(params: CourseParams, uncertainty: Uncertainty, rng: np.random.Generator) -> CourseParams:
    """A copy of ``params`` with every listed field drawn from its distribution."""
    data = params.model_dump()
    for name, spread in uncertainty.parameters.items():
        _replace_part(data, name, _perturb(_part(data, name), spread, rng, f"parameters.{name}"))
    try:
        return CourseParams.model_validate(data)
    except ValidationError as error:
        raise UncertaintyError.from_validation(error) from None  # the drawn values break the parameters' rules


def _perturb(value: Any, spread: Spread, rng: np.random.Generator, path: str) -> Any:
    """Every number inside ``value`` drawn, the shape kept (dicts, lists, tuples)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {k: _perturb(v, spread, rng, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_perturb(v, spread, rng, f"{path}.{i}") for i, v in enumerate(value))
    if isinstance(value, int | float):
        drawn = _draw_number(float(value), spread, rng, path)
        return round(drawn) if isinstance(value, int) else drawn
    return value


def _draw_number(value: float, spread: Spread, rng: np.random.Generator, path: str) -> float:
    if spread.distribution == "lognormal":
        assert spread.relative_sd is not None  # Spread's validator: lognormal needs relative_sd
        if value <= 0:
            raise UncertaintyError([FieldProblem(path, f"lognormal needs positive values, got {value:g}")])
        return value * math.exp(spread.relative_sd * rng.standard_normal())
    if not 0 <= value <= 1:
        raise UncertaintyError([FieldProblem(path, f"beta needs values in [0, 1], got {value:g}")])
    if value in (0.0, 1.0) or spread.relative_sd == 0:
        return value
    if spread.sample_size is not None:
        n = spread.sample_size
    else:
        assert spread.relative_sd is not None  # Spread's validator: exactly one of the two
        variance = (spread.relative_sd * value) ** 2
        if variance == 0:  # a relative SD too small to represent
            return value
        if variance >= value * (1 - value):
            limit = math.sqrt((1 - value) / value)
            raise UncertaintyError(
                [FieldProblem(path, f"relative_sd must be below {limit:.3g} for the value {value:g}")]
            )
        n = value * (1 - value) / variance - 1
    return float(rng.beta(value * n, (1 - value) * n))


def flat_values(params: CourseParams, uncertainty: Uncertainty) -> dict[str, float]:
    """The numbers of the uncertain fields as ``field.key.index`` columns."""
    columns: dict[str, float] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}")
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                walk(v, f"{path}.{i}")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            columns[path] = float(value)

    data = params.model_dump()
    for name in uncertainty.parameters:
        walk(_part(data, name), name)
    return columns


# --- regimen efficacy --------------------------------------------------------------------------


def draw_kb(kb: KnowledgeBase, efficacy: EfficacyUncertainty, shape: float, rng: np.random.Generator) -> KnowledgeBase:
    """A copy of ``kb`` whose PFS effects are perturbed (three normals per effect, in file order)."""
    sources = {}
    for source_id, source in kb.sources.items():
        if any(e.endpoint == "pfs" for e in source.effects):
            effects = [_perturb_effect(e, efficacy, shape, rng) if e.endpoint == "pfs" else e for e in source.effects]
            source = source.model_copy(update={"effects": effects})
        sources[source_id] = source
    return dataclasses.replace(kb, sources=sources)


def hr_log_se(effect: Effect) -> float | None:
    """Standard error of ln HR from the reported 95 % CI; ``None`` without a CI."""
    if effect.hr is None or effect.hr_ci95 is None:
        return None
    low, high = effect.hr_ci95
    return (math.log(high) - math.log(low)) / (2 * Z_975)


def _perturb_effect(effect: Effect, efficacy: EfficacyUncertainty, shape: float, rng: np.random.Generator) -> Effect:
    z_reference, z_hr, z_own = rng.standard_normal(3)
    sd_median = efficacy.median_relative_sd.value
    reference = math.exp(sd_median * z_reference)
    se = hr_log_se(effect)
    hr = effect.hr
    if effect.control is None:
        experimental = reference
    elif se is not None and effect.hr is not None:
        hr = effect.hr * math.exp(efficacy.hazard_ratio_se_scale.value * se * z_hr)
        # the trial's own shape without frailty, so that the drawn HR and medians keep agreeing: the
        # population curves under a shared frailty move with the HR almost as a plain Weibull does
        # (Cox limit within 0.01 of the drawn HR; the per-patient shape would miss by up to 0.06)
        experimental = reference * (hr / effect.hr) ** (-1 / (implied_shape(effect) or shape))
    else:
        experimental = math.exp(sd_median * z_own)
    update: dict[str, Any] = {"hr": hr, "experimental": _scaled(effect.experimental, experimental)}
    if effect.control is not None:
        update["control"] = _scaled(effect.control, reference)
    return effect.model_copy(update=update)


def _scaled(arm: Any, factor: float) -> Any:
    if arm.median_months is None:
        return arm
    return arm.model_copy(update={"median_months": arm.median_months * factor})


# --- running draws -----------------------------------------------------------------------------


def draw_seeds(seed: int, draws: int) -> list[tuple[np.random.SeedSequence, np.random.SeedSequence]]:
    """(parameter seed, simulation seed) of each draw: two grandchildren of its spawned child."""
    return [_grandchildren(child) for child in np.random.SeedSequence(seed).spawn(draws)]


def _grandchildren(child: np.random.SeedSequence) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    """What ``child.spawn(2)`` would give, without mutating ``child`` (tasks may run twice)."""
    first, second = (
        np.random.SeedSequence(child.entropy, spawn_key=(*child.spawn_key, i), pool_size=child.pool_size)
        for i in (0, 1)
    )
    return first, second


_ANSWERS: dict[str, dict[bytes, Any]] = {}  # run token -> (kind, case digest) -> drugs or plan, per process
_KEPT_RUNS = 4


@dataclass(frozen=True)
class _Memoised:
    """A policy answering each distinct case once per process for all the draws of one run
    (``token``): decisions do not depend on drawn parameters, and a policy is a function of the
    case, so the results are those of the wrapped policy. Engine plans are kept the same way and
    serve both the engine's choice and the care new sites trigger (built by the wrapped policy, or
    with the published ``kb`` for other policies). Dask workers keep the answers between the tasks
    of a run; only the last few runs are kept."""

    policy: Policy
    kb: KnowledgeBase
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __call__(self, case: Case) -> Drugs | None:
        policy = self.policy
        if isinstance(policy, EnginePolicy):  # its choice comes from the plan kept below
            return self._memo(b"drugs", case, lambda c: policy.choose(self.plan_for(c)))
        return self._memo(b"drugs", case, self.policy)

    def plan_for(self, case: Case) -> Plan:
        policy = self.policy
        return self._memo(b"plan", case, policy.plan_for if isinstance(policy, Planner) else self._build)

    def _build(self, case: Case) -> Plan:
        return build_plan(case, self.kb)

    def _memo(self, kind: bytes, case: Case, compute: Callable[[Case], Any]) -> Any:
        if self.token not in _ANSWERS:
            while len(_ANSWERS) >= _KEPT_RUNS:
                del _ANSWERS[next(iter(_ANSWERS))]
            _ANSWERS[self.token] = {}
        answers = _ANSWERS[self.token]
        key = kind + hashlib.blake2b(case.model_dump_json().encode(), digest_size=16).digest()
        if key not in answers:
            answers[key] = compute(case)
        return answers[key]

    def __str__(self) -> str:
        return str(self.policy)


SeedPair = tuple[np.random.SeedSequence, np.random.SeedSequence]  # (parameter seed, simulation seed)


@dataclass(frozen=True)
class DrawSetup:
    """What every draw of a probabilistic analysis starts from: the case, cohort size and horizon, the
    base parameters and knowledge base, and what is uncertain (PSA and probabilistic CEA extend it)."""

    case: Case
    patients: int
    years: float
    params: CourseParams
    kb: KnowledgeBase
    uncertainty: Uncertainty

    def drawn(self, seeds: SeedPair) -> tuple[CourseParams, KnowledgeBase]:
        """The draw's parameters and knowledge-base efficacy, both from its parameter seed."""
        rng = np.random.default_rng(seeds[0])
        params = draw_params(self.params, self.uncertainty, rng)
        return params, draw_kb(self.kb, self.uncertainty.efficacy, params.weibull_shape, rng)


Setup = TypeVar("Setup", bound=DrawSetup)
DrawRow = Callable[[Setup, int, SeedPair], dict[str, float]]


@dataclass(frozen=True)
class _Task(Generic[Setup]):
    """Consecutive draws travelling together to a worker; ``run_draw`` is a module-level function."""

    run_draw: DrawRow[Setup]
    setup: Setup
    draws: tuple[int, ...]
    seeds: tuple[SeedPair, ...]


def _run_task(task: _Task[Setup]) -> list[dict[str, float]]:
    """On a worker (or here): the task's draws."""
    return [task.run_draw(task.setup, i, seeds) for i, seeds in zip(task.draws, task.seeds, strict=True)]


def run_draws(
    run_draw: DrawRow[Setup],
    setup: Setup,
    draws: int,
    seed: int,
    scheduler: str | None = None,
    draws_per_task: int | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """``run_draw(setup, d, draw_seeds(seed, draws)[d])`` for every draw, here or on a Dask scheduler (one
    draw a task here, about eight tasks on Dask unless ``draws_per_task``): one row per draw, by draw.
    ``progress`` is called with (draws done, draws)."""
    seeds = draw_seeds(seed, draws)
    size = draws_per_task or (1 if scheduler is None else max(1, -(-draws // 8)))
    tasks = [
        _Task(run_draw, setup, tuple(range(start, min(start + size, draws))), tuple(seeds[start : start + size]))
        for start in range(0, draws, size)
    ]
    done = map_tasks(
        _run_task,
        tasks,
        scheduler=scheduler,
        progress=(lambda d, t: progress(d * draws // t, draws)) if progress else None,
    )
    return pd.DataFrame([row for rows in done for row in rows]).sort_values("draw", ignore_index=True)


@dataclass(frozen=True)
class _Setup(DrawSetup):
    policy: Policy


def outcomes(result: CourseResult) -> dict[str, float]:
    """The per-draw outcomes: :data:`OUTCOMES` of :meth:`CourseResult.outcomes` (unrounded; NaN = not reached)."""
    every = result.outcomes()
    return {name: every[name] for name in OUTCOMES}


def run_draw(
    setup: _Setup, index: int, seeds: tuple[np.random.SeedSequence, np.random.SeedSequence]
) -> dict[str, float]:
    """One draw: parameters and efficacy from ``seeds[0]``, the simulation seeded with ``seeds[1]``."""
    params, kb = setup.drawn(seeds)
    model = CourseModel(params=params, policy=setup.policy, kb=kb)
    result = model.simulate(from_case(setup.case, setup.patients), years=setup.years, seed=seeds[1])
    return {"draw": index, **outcomes(result), **flat_values(params, setup.uncertainty)}


@dataclass(frozen=True)
class PsaResult(Result):
    """A probabilistic sensitivity analysis: one row per draw in ``table`` (outcomes, then the drawn
    parameter values) and how it was run (``settings``: draws, patients, years, policy, seed,
    uncertain parameters, efficacy spreads)."""

    table: pd.DataFrame
    settings: dict[str, Any]

    @property
    def summary(self) -> pd.DataFrame:
        """Mean, median, 2.5 and 97.5 percentiles and draws not reached of each outcome."""
        return pd.DataFrame.from_dict(summarize(self.table), orient="index").rename_axis("outcome")

    def to_dict(self) -> dict[str, Any]:
        """The figures of ``mbc psa --format json``."""
        return {**self.settings, "outcomes": summarize(self.table)}

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"draws": self.table}

    def figures(self) -> dict[str, Figure]:
        """``psa_outcomes`` (a histogram per outcome) and ``psa_qalys`` (QALYs against life-years)."""
        grid = new_figure((14, 6.5))
        axes = grid.subplots(2, 4).flat
        for ax, outcome in zip(axes, OUTCOMES, strict=False):
            self.plot_outcome_histogram(outcome, ax)
        self.plot_qaly_life_years(axes[-1])
        grid.suptitle(f"Probabilistic sensitivity analysis: {len(self.table)} draws (median, 95 % interval)")
        return {"psa_outcomes": grid, "psa_qalys": figure_of(self.plot_qaly_life_years())}

    def plot_outcome_histogram(self, outcome: str, ax: Axes | None = None) -> Axes:
        """Histogram of one outcome over the draws, with its median and 95 % interval."""
        ax = new_axes(ax)
        values = self.table[outcome].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if values.size:
            ax.hist(values, bins=min(30, max(5, values.size // 4)), color="C0", alpha=0.8)
            for q, style in ((2.5, ":"), (50, "-"), (97.5, ":")):
                ax.axvline(np.percentile(values, q), color="k", linestyle=style, linewidth=1)
        ax.set(xlabel=LABELS.get(outcome, outcome), ylabel="draws")
        ax.grid(alpha=0.3)
        return ax

    def plot_qaly_life_years(self, ax: Axes | None = None) -> Axes:
        """Mean QALYs against mean life-years, one point per draw."""
        ax = new_axes(ax)
        ax.scatter(self.table["life_years_mean"], self.table["qalys_mean"], s=12, alpha=0.7)
        ax.set(xlabel="mean life-years", ylabel="mean QALYs", title=f"PSA: {len(self.table)} draws")
        ax.grid(alpha=0.3)
        return ax


def summarize(table: pd.DataFrame) -> dict[str, dict[str, float | int | None]]:
    """Mean, median and 2.5/97.5 percentiles of each outcome over the draws where it is defined."""
    stats: dict[str, dict[str, float | int | None]] = {}
    for name in OUTCOMES:
        values = table[name].to_numpy(dtype=float)
        known = values[np.isfinite(values)]
        if known.size == 0:
            stats[name] = {"mean": None, "median": None, "p2_5": None, "p97_5": None, "not_reached": len(values)}
            continue
        low, mid, high = np.percentile(known, [2.5, 50, 97.5])
        stats[name] = {
            "mean": round(float(known.mean()), 3),
            "median": round(float(mid), 3),
            "p2_5": round(float(low), 3),
            "p97_5": round(float(high), 3),
            "not_reached": int(values.size - known.size),
        }
    return stats


def run_psa(
    case: Case,
    draws: int = 100,
    patients: int = 1000,
    years: float = 10.0,
    policy: Policy | str = "engine",
    seed: int = 0,
    uncertainty: Uncertainty | None = None,
    params: CourseParams | None = None,
    kb: KnowledgeBase | None = None,
    scheduler: str | None = None,
    draws_per_task: int | None = None,
    progress: Progress | None = None,
) -> PsaResult:
    """``draws`` simulations of ``patients`` copies of ``case``, each with its own parameter draw.

    Parameters
    ----------
    case
        The patient whose likely course is simulated.
    draws, patients, years
        Parameter draws, virtual patients per draw, and years of follow-up.
    policy
        As :func:`mbctwin.simulate`.
    seed
        Draw *d* uses the child ``SeedSequence(seed).spawn(draws)[d]``: same seed, same table.
    uncertainty, params, kb
        What is uncertain and how (default: ``knowledge/data/course/uncertainty.yaml``), the base
        parameters and knowledge base (default: the packaged ones).
    scheduler
        ``None`` runs here, ``"dask"`` on a local cluster, ``"tcp://HOST:PORT"`` on an existing one
        (``mbctwin.parallel``); results are identical.
    draws_per_task
        Only how draws travel (default: one at a time here, about eight tasks on Dask).
    progress
        Called with (draws done, draws).

    Returns
    -------
    PsaResult
        One row per draw (outcomes, drawn values); ``summary`` gives each outcome's distribution.

    Raises
    ------
    UncertaintyError
        Naming the field of the uncertainty file whose spread cannot be drawn.

    Examples
    --------
    >>> from mbctwin import example_case, run_psa
    >>> psa = run_psa(example_case("hr-positive-first-line"), draws=2, patients=60, years=2, seed=3)
    >>> len(psa.table), list(psa.summary.columns)
    (2, ['mean', 'median', 'p2_5', 'p97_5', 'not_reached'])
    """
    kb = kb or load_kb()
    uncertainty = uncertainty or Uncertainty.from_file()
    params = params or CourseParams.from_file()
    chosen = parse_policy(policy, kb) if isinstance(policy, str) else policy
    draw_params(params, uncertainty, np.random.default_rng(0))  # value errors surface here, not on a worker
    setup = _Setup(case, patients, years, params, kb, uncertainty, policy=_Memoised(chosen, kb))
    table = run_draws(run_draw, setup, draws, seed, scheduler, draws_per_task, progress)
    settings = {
        "draws": draws,
        "patients": patients,
        "years": years,
        "policy": str(chosen),
        "seed": seed,
        "uncertain_parameters": list(uncertainty.parameters),
        "efficacy": {
            "hazard_ratio_se_scale": uncertainty.efficacy.hazard_ratio_se_scale.value,
            "median_relative_sd": uncertainty.efficacy.median_relative_sd.value,
        },
    }
    return PsaResult(table, settings)
