"""What a simulation returns: per-patient and per-line frames, and the summary people read."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mbctwin.case.models import SITES
from mbctwin.course import survival
from mbctwin.course.regimen_kind import is_chemotherapy, is_cytotoxic
from mbctwin.results import Result, figure_of

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PROGRESSION, DEATH, CENSORED = 0, 1, 2
EVENT_NAMES = np.array(["progression", "death", "censored"])
SUMMARY_SITES = ("bone", "liver", "lung", "brain")
BEST_SUPPORTIVE_CARE = "best supportive care"
REGIMEN_JOIN = " + "  # the ``regimen`` column of the lines table names a regimen by its drugs


def regimen_label(drugs: tuple[str, ...]) -> str:
    return REGIMEN_JOIN.join(drugs)


def regimen_drugs(label: str) -> tuple[str, ...]:
    """The drugs of a ``regimen`` label of the lines table (the inverse of :func:`regimen_label`)."""
    return tuple(label.split(REGIMEN_JOIN))


PRESENTATION = "presentation"  # care actions of the plan for the patient's state at the start of her course
NEW_SITE = "new_site"  # care actions that new sites triggered at a progression
EVENT_COLUMNS = ("patient", "months", "action", "cause")


@dataclass
class BlockOutcome:
    """Arrays collected while one block runs; combined into frames at the end."""

    offset: int
    lines: list[tuple[np.ndarray, ...]] = field(default_factory=list)
    qalys: np.ndarray | None = None
    end: np.ndarray | None = None
    died: np.ndarray | None = None
    site_time: np.ndarray | None = None
    events: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)

    def record(
        self,
        active: np.ndarray,
        line: np.ndarray,
        regimen: np.ndarray,
        start: np.ndarray,
        duration: np.ndarray,
        kind: np.ndarray,
    ) -> None:
        rows = np.flatnonzero(active)
        self.lines.append(
            (
                rows + self.offset,
                line[rows].copy(),
                regimen[rows].copy(),
                start[rows].copy(),
                start[rows] + duration[rows],
                kind[rows].copy(),
            )
        )

    def add_events(
        self,
        rows: np.ndarray,
        months: np.ndarray,
        change: np.ndarray,
        actions: list[tuple[str, ...]],
        cause: str = NEW_SITE,
    ) -> None:
        """Care actions triggered at ``months`` for block rows ``rows``; ``change`` indexes ``actions``
        (one loop step per distinct state change and action, never per patient); ``cause``: the
        patient's state at the start (``PRESENTATION``) or new sites (``NEW_SITE``)."""
        for index, names in enumerate(actions):
            members = change == index
            count = int(members.sum())
            for name in names:
                self.events.append(
                    (
                        rows[members] + self.offset,
                        months[members],
                        np.full(count, name, dtype=object),
                        np.full(count, cause, dtype=object),
                    )
                )

    def add_utility(self, active: np.ndarray, duration: np.ndarray, utility: np.ndarray) -> None:
        gained = np.where(active, duration * utility / 12.0, 0.0)
        self.qalys = gained if self.qalys is None else self.qalys + gained

    def finish(self, t: np.ndarray, done: np.ndarray, site_time: np.ndarray) -> None:
        self.end = t
        self.site_time = site_time
        last_kind = np.full(t.shape[0], CENSORED)
        for rows, _line, _reg, _start, _stop, kind in self.lines:
            last_kind[rows - self.offset] = kind
        self.died = done & (last_kind == DEATH)


@dataclass(frozen=True)
class CourseResult(Result):
    """``patients``: one row per patient; ``lines``: one row per line (or supportive-care period);
    ``events``: one row per care action (patient, months, action, cause): those of the plan at the start
    (``cause`` ``presentation``, month 0) and those new sites triggered later (``new_site``)."""

    patients: pd.DataFrame
    lines: pd.DataFrame
    years: float
    policy: str
    events: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(EVENT_COLUMNS)))

    @classmethod
    def combine(cls, outcomes: list[BlockOutcome], registry: Any, years: float, policy: str) -> CourseResult:
        parts = [np.concatenate(column) for column in zip(*(row for o in outcomes for row in o.lines), strict=True)]
        names = np.array([regimen_label(d) for d in registry.drugs] + [BEST_SUPPORTIVE_CARE], dtype=object)
        lines = pd.DataFrame(
            {
                "patient": parts[0],
                "line": parts[1],
                "regimen": names[parts[2]],
                "start_months": parts[3],
                "stop_months": parts[4],
                "event": EVENT_NAMES[parts[5]],
            }
        ).sort_values(["patient", "start_months"], kind="stable", ignore_index=True)
        site_time = np.concatenate([o.site_time for o in outcomes])
        patients = pd.DataFrame(
            {
                "patient": np.arange(site_time.shape[0]),
                "os_months": np.concatenate([o.end for o in outcomes]),
                "died": np.concatenate([o.died for o in outcomes]),
                "qalys": np.concatenate([o.qalys for o in outcomes]),
            }
        )
        patients["life_years"] = patients["os_months"] / 12.0
        for i, site in enumerate(SITES):
            patients[f"{site}_months"] = site_time[:, i]
        return cls(patients, lines, years, policy, _events(outcomes))

    def line_pfs(self, line: int) -> tuple[np.ndarray, np.ndarray]:
        """(durations, event) of the given line; event = progression or death."""
        rows = self.lines[(self.lines["line"] == line) & (self.lines["regimen"] != BEST_SUPPORTIVE_CARE)]
        return ((rows["stop_months"] - rows["start_months"]).to_numpy(), (rows["event"] != "censored").to_numpy())

    def site_ever_percent(self) -> dict[str, float]:
        return {s: round(float(self.patients[f"{s}_months"].notna().mean() * 100), 1) for s in SUMMARY_SITES}

    def outcomes(self) -> dict[str, float]:
        """The headline outcomes, unrounded (NaN: a median not reached) — their one definition, which
        :meth:`to_dict`, :attr:`summary` and the PSA (:mod:`mbctwin.course.psa`) share.

        ``os_median_months`` with its 95 % CI (Kaplan-Meier), ``alive_*_percent`` (Kaplan-Meier at 1,
        2 and 5 years), ``life_years_mean`` and ``qalys_mean`` (per patient) and the median PFS of
        the first line given.
        """
        os_t, os_e = self.patients["os_months"].to_numpy(), self.patients["died"].to_numpy()
        median, low, high = survival.km_median(os_t, os_e)
        alive = survival.km_survival_at(os_t, os_e, [12.0, 24.0, 60.0])
        durations, events = self.line_pfs(self.first_line)
        pfs = survival.km_median(durations, events)[0] if durations.size else None
        return {
            "os_median_months": _nan_if_none(median),
            "os_median_ci95_low": _nan_if_none(low),
            "os_median_ci95_high": _nan_if_none(high),
            "life_years_mean": float(self.patients["life_years"].mean()),
            "qalys_mean": float(self.patients["qalys"].mean()),
            "alive_1y_percent": alive[0] * 100,
            "alive_2y_percent": alive[1] * 100,
            "alive_5y_percent": alive[2] * 100,
            "pfs_first_line_median_months": _nan_if_none(pfs),
        }

    @property
    def first_line(self) -> int:
        """The metastatic line the simulation started at (1 unless the case had earlier lines)."""
        return int(self.lines["line"].min()) if len(self.lines) else 1

    @property
    def summary(self) -> pd.DataFrame:
        """The headline outcomes (:meth:`outcomes`), one row each, unrounded."""
        values = self.outcomes()
        return pd.DataFrame({"value": list(values.values())}, index=pd.Index(list(values), name="outcome"))

    def to_dict(self) -> dict[str, Any]:
        """The figures of ``mbc simulate --format json`` (months unless stated), rounded for reading."""
        outcome = self.outcomes()
        pfs = {}
        for line in range(self.first_line, self.first_line + 4):
            durations, events = self.line_pfs(line)
            if durations.size >= 20:
                pfs[str(line)] = _round(survival.km_median(durations, events)[0])
        return {
            "patients": len(self.patients),
            "years": self.years,
            "policy": self.policy,
            "os_median_months": _round_known(outcome["os_median_months"]),
            "os_median_ci95": [_round_known(outcome[f"os_median_ci95_{end}"]) for end in ("low", "high")],
            "alive_percent": {f"{y}y": round(outcome[f"alive_{y}y_percent"], 1) for y in (1, 2, 5)},
            "pfs_median_months_by_line": pfs,
            "site_ever_percent": self.site_ever_percent(),
            "site_percent_by_year": self.site_percent_by_year(),
            "time_on_line_months_mean": self.time_on_line(self.first_line),
            "chemotherapy_months_mean": self.months_on(is_chemotherapy),
            "cytotoxic_months_mean": self.months_on(is_cytotoxic),
            "qalys_mean": round(outcome["qalys_mean"], 3),
            "life_years_mean": round(outcome["life_years_mean"], 3),
            "first_line_regimens": self._first_line_mix(self.first_line),
            "care_actions_percent": self.care_actions_percent(),
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """Per patient, per line, and per care action a new site triggered."""
        return {"patients": self.patients, "lines": self.lines, "events": self.events}

    def figures(self) -> dict[str, Figure]:
        return {name: figure_of(draw()) for name, draw in self._plots().items()}

    def _plots(self) -> dict[str, Callable[[], Axes]]:
        return {"survival": self.plot_survival, "swimmer": self.plot_swimmer, "sites": self.plot_sites}

    def plot_survival(self, ax: Axes | None = None) -> Axes:
        """Kaplan-Meier overall survival and first-line PFS with 95 % confidence bands."""
        from mbctwin.course import plot

        return plot.plot_survival(self, ax)

    def plot_swimmer(self, patients: int = 40, ax: Axes | None = None) -> Axes:
        """One bar per patient, one coloured segment per line (grey: supportive care)."""
        from mbctwin.course import plot

        return plot.plot_swimmer(self, patients, ax)

    def plot_sites(self, ax: Axes | None = None) -> Axes:
        """Cumulative share of patients with each metastatic site over time."""
        from mbctwin.course import plot

        return plot.plot_sites(self, ax)

    def site_percent_by_year(self, years: tuple[int, ...] = (1, 2, 5)) -> dict[str, dict[str, float]]:
        """Share of all patients who have had each site by 1, 2 and 5 years (at start included)."""
        return {
            site: {f"{y}y": round(float((self.patients[f"{site}_months"] <= 12.0 * y).mean() * 100), 1) for y in years}
            for site in SUMMARY_SITES
        }

    def time_on_line(self, first_line: int, count: int = 4) -> dict[str, float]:
        """Mean months on each systemic line among the patients who received it (censoring included)."""
        systemic = self.lines[self.lines["regimen"] != BEST_SUPPORTIVE_CARE]
        months = (systemic["stop_months"] - systemic["start_months"]).groupby(systemic["line"]).mean()
        lines = [line for line in range(first_line, first_line + count) if line in months]
        return {str(line): round(float(months[line]), 1) for line in lines}

    def months_on(self, kind: Callable[[tuple[str, ...]], bool]) -> float:
        """Mean months per patient on regimens of a kind (``regimen_kind.is_chemotherapy``, ...)."""
        names = [n for n in self.lines["regimen"].unique() if n != BEST_SUPPORTIVE_CARE]
        rows = self.lines[self.lines["regimen"].isin([n for n in names if kind(regimen_drugs(n))])]
        return round(float((rows["stop_months"] - rows["start_months"]).sum()) / max(len(self.patients), 1), 2)

    def care_actions_percent(self) -> dict[str, float]:
        """Share of patients for whom a new site triggered each local or supportive action."""
        later = self.events[self.events["cause"] == NEW_SITE]
        reached = later.drop_duplicates(["patient", "action"])["action"].value_counts()
        return {str(name): round(float(count) / len(self.patients) * 100, 1) for name, count in reached.items()}

    def _first_line_mix(self, line: int) -> dict[str, float]:
        rows = self.lines[self.lines["line"] == line]["regimen"].value_counts(normalize=True)
        return {name: round(float(share) * 100, 1) for name, share in rows.head(5).items()}


def _events(outcomes: list[BlockOutcome]) -> pd.DataFrame:
    columns = list(zip(*(event for o in outcomes for event in o.events), strict=True))
    if not columns:
        empty = (np.empty(0, np.int64), np.empty(0), np.empty(0, object), np.empty(0, object))
        return pd.DataFrame(dict(zip(EVENT_COLUMNS, empty, strict=True)))
    frame = pd.DataFrame({name: np.concatenate(column) for name, column in zip(EVENT_COLUMNS, columns, strict=True)})
    return frame.sort_values(["patient", "months", "action"], kind="stable", ignore_index=True)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _round_known(value: float) -> float | None:
    """One decimal, or ``None`` for NaN (a median not reached)."""
    return None if math.isnan(value) else round(value, 1)


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None else value
