r"""Cost and discounted-QALY accrual on a simulated course: per patient, per line, vectorised.

The simulator is not touched: costs are read off what it already records (``CourseResult.lines``:
patient, regimen, start and stop month of every line and of best supportive care; ``events``: the care
actions new sites triggered; ``patients``: death and follow-up), so a run that does not ask for costs
pays nothing, and a run that does costs one pass over its line records grouped by regimen (a Python
loop over the few distinct regimens and dose days, NumPy over patients).

For every line on regimen *R* from month :math:`a` to :math:`b` (progression, death or the horizon):

* **drug acquisition**: each drug's schedule (the knowledge base's dose data, ``schedule_of``) gives
  doses on given days of a cycle of :math:`L` days; a dose on day :math:`d` is paid at
  :math:`a + (d - 1) + kL` days for every cycle :math:`k` started before :math:`b` (a loading
  ``first_cycle`` replaces cycle 0). The amount is the dose times the patient's body-surface area,
  weight or 1 (``basis``), times doses per day; oral drugs cost the cheapest price per mg of their packs,
  parenteral drugs whole vials (the cheapest combination covering the dose) unless the price set shares
  vials. AUC-dosed drugs (carboplatin) need a renal function the model does not simulate: not priced.
* **administration**: a parenteral first attendance on day 1 of each cycle (single or multiple drug),
  a subsequent attendance on the other parenteral days, or an oral-chemotherapy delivery per cycle
  for regimens whose drugs are all oral and not all endocrine; when the price set prices an
  ``injection``, subcutaneous and intramuscular doses cost one injection each dose day instead (and
  the regimen's oral drugs their oral delivery);
* **monitoring**: per cycle and a flow per month on treatment;
* **adverse events**: at the start of the line, the expected cost :math:`\sum_e p_e c_e` of grade >= 3
  events from the rates ``ae_rates`` gives for the regimen's drug set (proportions; expected values,
  not draws: less noise);
* **best supportive care**: a flow per month on the supportive-care records;
* **end of life**: once at death; **care actions**: once when triggered, then every ``every_days``
  until death or the horizon.

Every amount is discounted in continuous time (``discount.py``) and also summed undiscounted. QALYs
are the same flows of the line's utility (``regimen_kind.regimen_utility``; the undiscounted sum equals
the simulator's own QALYs, tested).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

import numpy as np
import pandas as pd

from mbctwin.case.vocabulary import vocabulary
from mbctwin.course import discount
from mbctwin.course.params import Utilities
from mbctwin.course.prices import BodySize, Pack, PriceSet
from mbctwin.course.regimen_kind import regimen_utility
from mbctwin.course.result import BEST_SUPPORTIVE_CARE, CourseResult, regimen_drugs

DAYS_PER_MONTH = 365.25 / 12.0
CATEGORIES = (
    "drugs",
    "administration",
    "monitoring",
    "adverse_events",
    "supportive_care",
    "end_of_life",
    "care_actions",
)
PARENTERAL = frozenset({"iv", "sc", "im"})
INJECTED = frozenset({"sc", "im"})


class Dose(Protocol):
    """What the cost model reads of one administration (``knowledge.schema.Administration``)."""

    @property
    def amount(self) -> float: ...

    @property
    def basis(self) -> str: ...

    @property
    def route(self) -> str: ...

    @property
    def times_per_day(self) -> int: ...

    @property
    def max_mg(self) -> float | None: ...

    @property
    def day_numbers(self) -> tuple[int, ...]: ...


class Schedule(Protocol):
    """What the cost model reads of a drug's schedule (``knowledge.schema.Schedule``)."""

    @property
    def cycle_days(self) -> int: ...

    @property
    def doses(self) -> Sequence[Dose]: ...

    @property
    def first_cycle(self) -> Sequence[Dose] | None: ...


ScheduleOf = Callable[[tuple[str, ...], str], Schedule | None]


@dataclass(frozen=True)
class BodySizes:
    """Per-patient body-surface area (m²) and weight (kg)."""

    bsa_m2: np.ndarray
    weight_kg: np.ndarray

    @classmethod
    def draw(cls, body: BodySize, patients: int, seed: np.random.SeedSequence) -> BodySizes:
        """One standard normal per patient for both (comonotone), truncated by clipping to each ``clip``."""
        z = np.random.default_rng(seed).standard_normal(patients)
        bsa = np.clip(body.bsa_m2.mean + body.bsa_m2.sd * z, *body.bsa_m2.clip)
        weight = np.clip(body.weight_kg.mean + body.weight_kg.sd * z, *body.weight_kg.clip)
        return cls(bsa, weight)


@dataclass(frozen=True)
class Rates:
    costs: float
    qalys: float


@dataclass
class CostedCourse:
    """Per-patient totals (``patients``: discounted and undiscounted costs by category, QALYs, life-years)
    and what could not be priced (drug -> reason)."""

    patients: pd.DataFrame
    unpriced: dict[str, str] = field(default_factory=dict)

    def means(self) -> dict[str, float]:
        return {str(k): float(v) for k, v in self.patients.drop(columns="patient").mean().items()}


@dataclass
class _Ledger:
    """Running per-patient sums, discounted and not."""

    patients: int
    sums: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, name: str, patient: np.ndarray, discounted: np.ndarray, undiscounted: np.ndarray) -> None:
        for key, values in ((name, discounted), (f"{name}_undiscounted", undiscounted)):
            total = np.bincount(patient, weights=np.broadcast_to(values, patient.shape), minlength=self.patients)
            self.sums[key] = self.sums.get(key, 0.0) + total


def accrue(
    result: CourseResult,
    prices: PriceSet,
    utilities: Utilities,
    bodies: BodySizes,
    schedule_of: ScheduleOf,
    rates: Rates | None = None,
    ae_rates: Mapping[frozenset[str], Mapping[str, float]] | None = None,
) -> CostedCourse:
    """Costs, QALYs and life-years of every patient of ``result`` under ``prices``."""
    rates = rates or Rates(prices.discount.costs.value, prices.discount.qalys.value)
    n = len(result.patients)
    ledger = _Ledger(n)
    for category in CATEGORIES:
        ledger.add(category, np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))
    unpriced: dict[str, str] = {}
    lines = result.lines
    for label, rows in lines.groupby("regimen", sort=True):
        patient = rows["patient"].to_numpy(dtype=np.int64)
        start, stop = rows["start_months"].to_numpy(), rows["stop_months"].to_numpy()
        if label == BEST_SUPPORTIVE_CARE:
            _flow(
                ledger,
                "supportive_care",
                patient,
                prices.total(prices.supportive_care_per_month),
                start,
                stop,
                rates.costs,
            )
            _flow(ledger, "qalys", patient, utilities.progressed / 12.0, start, stop, rates.qalys)
            continue
        drugs = regimen_drugs(str(label))
        line = _Line(patient, start, stop, rates, ledger)
        _regimen_costs(line, drugs, prices, bodies, schedule_of, unpriced)
        utility = regimen_utility(drugs, utilities) / 12.0
        _flow(ledger, "qalys", patient, utility, start, stop, rates.qalys)
        expected = _expected_adverse_events(prices, (ae_rates or {}).get(frozenset(drugs), {}))
        ledger.add(
            "adverse_events", patient, discount.point(expected, start, rates.costs), np.full(start.shape, expected)
        )
    _end_of_life(ledger, result, prices, rates)
    _care_actions(ledger, result, prices, rates)
    return CostedCourse(_frame(ledger, result, rates.qalys), unpriced)


def _expected_adverse_events(prices: PriceSet, rates: Mapping[str, float]) -> float:
    """:math:`\\sum_e p_e c_e` over the regimen's grade >= 3 event rates (proportions of patients)."""
    known = prices.adverse_events
    return float(sum(p * prices.total(known[event]) for event, p in rates.items() if event in known))


@dataclass(frozen=True)
class _Line:
    patient: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    rates: Rates
    ledger: _Ledger

    def repeated(self, name: str, amount: np.ndarray | float, offset_days: float, period_days: float) -> None:
        offset, period = offset_days / DAYS_PER_MONTH, period_days / DAYS_PER_MONTH
        discounted = discount.repeated(amount, self.start, self.stop, offset, period, self.rates.costs)
        undiscounted = discount.repeated(amount, self.start, self.stop, offset, period, 0.0)
        self.ledger.add(name, self.patient, discounted, undiscounted)

    def once(self, name: str, amount: np.ndarray | float, offset_days: float) -> None:
        """Paid at ``start + offset`` when the line lasts that long (a loading dose of cycle 0)."""
        offset = offset_days / DAYS_PER_MONTH
        given = np.where(self.stop - self.start > offset, np.asarray(amount, dtype=float), 0.0)
        self.ledger.add(name, self.patient, discount.point(given, self.start + offset, self.rates.costs), given)


def _flow(
    ledger: _Ledger, name: str, patient: np.ndarray, per_month: float, start: np.ndarray, stop: np.ndarray, rate: float
) -> None:
    """A constant flow per month over each row's [start, stop), discounted at ``rate`` and not."""
    ledger.add(name, patient, discount.flow(per_month, start, stop, rate), discount.flow(per_month, start, stop, 0.0))


def _regimen_costs(
    line: _Line,
    drugs: tuple[str, ...],
    prices: PriceSet,
    bodies: BodySizes,
    schedule_of: ScheduleOf,
    unpriced: dict[str, str],
) -> None:
    """Acquisition, administration and monitoring of one regimen's lines."""
    schedules = {d: schedule_of(drugs, d) for d in drugs}
    for drug, schedule in schedules.items():
        if schedule is None:
            unpriced.setdefault(drug, "no dose schedule in the knowledge base")
            continue
        _acquisition(line, drug, schedule, prices, bodies, unpriced)
    known = {d: s for d, s in schedules.items() if s is not None}
    if not known:
        return
    _administration(line, known, prices)
    cycle = max(s.cycle_days for s in known.values())
    per_cycle = prices.total(prices.monitoring.per_cycle)
    if per_cycle:
        line.repeated("monitoring", per_cycle, 0.0, cycle)
    _flow(
        line.ledger,
        "monitoring",
        line.patient,
        prices.total(prices.monitoring.per_month),
        line.start,
        line.stop,
        line.rates.costs,
    )


def _acquisition(
    line: _Line, drug: str, schedule: Schedule, prices: PriceSet, bodies: BodySizes, unpriced: dict[str, str]
) -> None:
    packs = prices.packs_of(drug)
    if not packs:
        unpriced.setdefault(drug, prices.not_priced.get(drug, "no pack price in the price set"))
        return
    regular_from = 0.0
    if schedule.first_cycle:
        regular_from = float(schedule.cycle_days)
        for dose in schedule.first_cycle:
            cost = _dose_cost(dose, packs, prices.vial_sharing, bodies, line.patient, unpriced, drug)
            for day in dose.day_numbers:
                line.once("drugs", cost, day - 1.0)
    for dose in schedule.doses:
        cost = _dose_cost(dose, packs, prices.vial_sharing, bodies, line.patient, unpriced, drug)
        for day in dose.day_numbers:
            line.repeated("drugs", cost, regular_from + day - 1.0, schedule.cycle_days)


def _dose_cost(
    dose: Dose,
    packs: list[Pack],
    vial_sharing: bool,
    bodies: BodySizes,
    patient: np.ndarray,
    unpriced: dict[str, str],
    drug: str,
) -> np.ndarray | float:
    """Cost of one day's dose for each row's patient (0 when the basis cannot be priced)."""
    if dose.basis == "auc":
        unpriced.setdefault(drug, "AUC dosing needs a renal function the model does not simulate")
        return 0.0
    factor = {"per_m2": bodies.bsa_m2[patient], "per_kg": bodies.weight_kg[patient]}.get(dose.basis, 1.0)
    each = dose.amount * np.asarray(factor, dtype=float)
    if dose.max_mg is not None:  # a label's cap on one administration (datopotamab deruxtecan: 540 mg)
        each = np.minimum(each, dose.max_mg)
    if dose.route not in PARENTERAL or vial_sharing:
        return each * dose.times_per_day * min(p.price_per_mg for p in packs)
    return _vial_cost(tuple((p.strength_mg, p.price_per_unit) for p in packs), each) * dose.times_per_day


def _vial_cost(vials: tuple[tuple[float, float], ...], amount: np.ndarray | float) -> np.ndarray:
    """Cheapest whole-vial combination covering each amount: a covering knapsack on a grid of the
    smallest vial / 100 mg, solved once per vial set and amount range (cached), looked up per patient."""
    mg = np.atleast_1d(np.asarray(amount, dtype=float))
    step = min(size for size, _ in vials) / 100.0
    top = math.ceil(float(mg.max(initial=0.0)) / step) + 1
    table = _cover_table(vials, step, max(top, 1))
    return table[np.ceil(mg / step - 1e-9).astype(np.int64)].reshape(np.shape(amount))


@cache
def _cover_table(vials: tuple[tuple[float, float], ...], step: float, top: int) -> np.ndarray:
    """``table[i]``: least cost of vials holding at least ``i * step`` mg."""
    cost = np.full(top + 1, np.inf)
    cost[0] = 0.0
    for i in range(1, top + 1):
        cost[i] = min(price + cost[max(0, i - math.floor(size / step + 1e-9))] for size, price in vials)
    return cost


def _administration(line: _Line, schedules: Mapping[str, Schedule], prices: PriceSet) -> None:
    """Attendances for parenteral days (first of the cycle, subsequent) or an oral delivery per cycle.

    When the price set prices an ``injection``, subcutaneous and intramuscular doses cost one injection
    on their days instead of a parenteral attendance (unless an intravenous attendance falls on the same
    day of the same cycle, where the injection is given), and the regimen's other drugs are charged as if
    the injected drugs were not there (an oral delivery per cycle for oral drugs that are not all
    endocrine). Without an ``injection`` price every sc/im day is a parenteral attendance, as before."""
    admin = prices.administration
    attended = PARENTERAL - INJECTED if admin.injection else PARENTERAL
    injected = _dose_days(schedules, INJECTED) if admin.injection else {}
    parenteral = {d: s for d, s in schedules.items() if any(x.route in attended for x in s.doses)}
    days = _dose_days(parenteral, attended)
    if parenteral:
        cycle = max(s.cycle_days for s in parenteral.values())
        for (offset, period), count in sorted(days.items()):
            if offset == 0.0 and period == cycle:
                first = admin.parenteral_first_multiple if count > 1 else admin.parenteral_first_single
                line.repeated("administration", prices.total(first), offset, period)
            else:
                line.repeated("administration", prices.total(admin.parenteral_subsequent), offset, period)
    else:
        oral = {d: s for d, s in schedules.items() if not any(x.route in PARENTERAL for x in s.doses)}
        if oral and not all("endocrine" in vocabulary().classes_of([d]) for d in oral):
            line.repeated(
                "administration", prices.total(admin.oral_cycle), 0.0, max(s.cycle_days for s in oral.values())
            )
    for offset, period in sorted(set(injected) - set(days)):
        line.repeated("administration", prices.total(admin.injection), offset, period)


def _dose_days(schedules: Mapping[str, Schedule], routes: frozenset[str]) -> dict[tuple[float, float], int]:
    """(day offset, cycle length) of every dose given by one of ``routes`` -> how many drugs are given then."""
    days: dict[tuple[float, float], int] = {}
    for schedule in schedules.values():
        for dose in schedule.doses:
            if dose.route in routes:
                for day in dose.day_numbers:
                    key = (day - 1.0, float(schedule.cycle_days))
                    days[key] = days.get(key, 0) + 1
    return days


def _end_of_life(ledger: _Ledger, result: CourseResult, prices: PriceSet, rates: Rates) -> None:
    died = result.patients["died"].to_numpy()
    patient = result.patients["patient"].to_numpy(dtype=np.int64)[died]
    amount = prices.total(prices.end_of_life)
    months = result.patients["os_months"].to_numpy()[died]
    ledger.add("end_of_life", patient, discount.point(amount, months, rates.costs), np.full(months.shape, amount))


def _care_actions(ledger: _Ledger, result: CourseResult, prices: PriceSet, rates: Rates) -> None:
    end = result.patients["os_months"].to_numpy()
    for action, rows in result.events.groupby("action", sort=True):
        priced = prices.care_actions.get(str(action))
        if priced is None:
            continue
        patient = rows["patient"].to_numpy(dtype=np.int64)
        months = rows["months"].to_numpy()
        once = prices.total(priced.once)
        ledger.add("care_actions", patient, discount.point(once, months, rates.costs), np.full(months.shape, once))
        if priced.every_days is not None:
            each, period = prices.total(priced.each), priced.every_days / DAYS_PER_MONTH
            stop = end[patient]
            discounted = discount.repeated(each, months, stop, 0.0, period, rates.costs)
            ledger.add("care_actions", patient, discounted, discount.repeated(each, months, stop, 0.0, period, 0.0))


def _frame(ledger: _Ledger, result: CourseResult, qaly_rate: float) -> pd.DataFrame:
    frame = pd.DataFrame({"patient": result.patients["patient"].to_numpy()})
    for suffix in ("", "_undiscounted"):
        parts = {f"costs_{c}{suffix}": ledger.sums[f"{c}{suffix}"] for c in CATEGORIES}
        frame = frame.assign(**parts)
        frame[f"costs{suffix}"] = sum(parts.values())
        frame[f"qalys{suffix}"] = ledger.sums.get(f"qalys{suffix}", np.zeros(len(frame)))
    months = result.patients["os_months"].to_numpy()
    frame["life_years"] = months / 12.0
    frame["life_years_discounted"] = discount.flow(1.0 / 12.0, 0.0, months, qaly_rate)
    return frame
