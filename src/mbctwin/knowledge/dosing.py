"""Dose data of the knowledge base: which schedule a drug follows in a regimen, and its text.

The structured records (``knowledge/data/dosing``) are what a cost model reads; the text
rendered here is what a plan shows (contract ``dosing`` strings). Both are built once when
the knowledge base loads, so a plan pays only dictionary look-ups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mbctwin.knowledge.schema import Administration, DaySpan, DrugLabel, LabAdjustment, LabRange, Schedule

ROUTE_TEXT = {"iv": "IV", "oral": "orally", "sc": "SC", "im": "IM"}
TIMES_TEXT = {1: "once daily", 2: "twice daily", 3: "three times daily", 4: "four times daily"}
TIMES = "\u00d7"  # multiplication sign, as in the contract example "bilirubin 3.2 x ULN"
LAB_TEXT = {
    "bilirubin_x_uln": ("bilirubin", f" {TIMES} ULN"),
    "alt_x_uln": ("ALT", f" {TIMES} ULN"),
    "creatinine_clearance_ml_min": ("creatinine clearance", " mL/min"),
    "neutrophils_10e9_l": ("neutrophils", f" {TIMES} 10⁹/L"),
    "lvef_percent": ("LVEF", " %"),
    "age": ("age", ""),
}


@dataclass(frozen=True)
class DoseText:
    """The contract strings of one schedule: ``dose`` and ``schedule``."""

    dose: str
    schedule: str


@dataclass(frozen=True)
class DoseBook:
    """Every schedule and label of the knowledge base, indexed for the engine and cost models."""

    schedules: dict[str, Schedule] = field(default_factory=dict)
    labels: dict[str, DrugLabel] = field(default_factory=dict)
    default: dict[str, Schedule] = field(default_factory=dict)  # drug -> its default schedule
    specific: dict[tuple[str, str], Schedule] = field(default_factory=dict)  # (regimen, drug) -> schedule
    text: dict[str, DoseText] = field(default_factory=dict)  # schedule id -> rendered strings

    @classmethod
    def of(cls, schedules: list[Schedule], labels: list[DrugLabel]) -> DoseBook:
        specific = {(regimen, s.drug): s for s in schedules for regimen in s.regimens}
        return cls(
            schedules={s.id: s for s in schedules},
            labels={label.drug: label for label in labels},
            default={s.drug: s for s in schedules if s.default},
            specific=specific,
            text={s.id: render_schedule(s) for s in schedules},
        )

    def schedule(self, drug: str, regimen: str | None = None) -> Schedule | None:
        """The schedule ``drug`` follows in ``regimen`` (its default outside a named regimen)."""
        if regimen is not None and (regimen, drug) in self.specific:
            return self.specific[(regimen, drug)]
        return self.default.get(drug)


def amount_text(amount: float, dose: Administration) -> str:
    """``80 mg/m²``, ``6 mg/kg``, ``600 mg`` or ``AUC 5 mg/mL·min``."""
    number = f"{amount:,g}"
    if dose.basis == "auc":
        return f"AUC {number} mg/mL·min"
    return number + {"per_m2": " mg/m²", "per_kg": " mg/kg", "flat": " mg"}[dose.basis]


def _administration_text(dose: Administration) -> str:
    text = f"{amount_text(dose.amount, dose)} {ROUTE_TEXT[dose.route]}"
    if dose.route == "oral" or dose.times_per_day > 1:
        text += f" {TIMES_TEXT[dose.times_per_day]}"
    if dose.max_mg is not None:
        text += f" (at most {dose.max_mg:,g} mg)"
    if dose.basis == "auc":
        text += " (Calvert formula)"
    return text


def _days_text(days: Sequence[int | DaySpan]) -> str:
    parts = [str(d) if isinstance(d, int) else f"{d.first}-{d.last}" for d in days]
    if len(parts) == 1:
        word = "day" if isinstance(days[0], int) else "days"
        return f"{word} {parts[0]}"
    return "days " + ", ".join(parts[:-1]) + f" and {parts[-1]}"


def _cycle_text(doses: list[Administration], cycle_days: int) -> str:
    """``days 1-14 of a 21-day cycle``, ``every 21 days`` or ``continuously (28-day cycles)``."""
    days = sorted({d for dose in doses for d in dose.day_numbers})
    if days == list(range(1, cycle_days + 1)):
        return f"continuously ({cycle_days}-day cycles)" if cycle_days > 1 else "continuously"
    if days == [1]:
        return "weekly" if cycle_days == 7 else f"every {cycle_days} days"
    return f"{_days_text(_given_on(doses))} of a {cycle_days}-day cycle"


def _given_on(doses: list[Administration]) -> Sequence[int | DaySpan]:
    """The days as the data spells them (spans kept) when one administration holds them all."""
    if len(doses) == 1:
        return doses[0].days
    return sorted({d for dose in doses for d in dose.day_numbers})


def render_schedule(schedule: Schedule) -> DoseText:
    """The contract's ``dose`` and ``schedule`` strings, loading doses first."""
    dose = "; ".join(_administration_text(d) for d in schedule.doses)
    cycle = _cycle_text(schedule.doses, schedule.cycle_days)
    if schedule.first_cycle is None:
        return DoseText(dose=dose, schedule=cycle)
    loading = "; ".join(_administration_text(d) for d in schedule.first_cycle)
    first_days = _given_on(schedule.first_cycle)
    if first_days != _given_on(schedule.doses):
        cycle = f"cycle 1: {_days_text(first_days)}; then {cycle}"
    if loading == dose:
        return DoseText(dose=dose, schedule=cycle)
    return DoseText(dose=f"{loading} in cycle 1, then {dose}", schedule=cycle)


def lab_text(lab: str, value: float) -> str:
    """``bilirubin 3.2 x ULN`` — the lab and the case's value, as a plan states them."""
    name, unit = LAB_TEXT[lab]
    return f"{name} {value:g}{unit}"


def _bound_text(band: LabRange) -> str:
    """The band the label names, e.g. ``> 1.25-2 x ULN`` or ``< 30 mL/min``."""
    _, unit = LAB_TEXT[band.lab]
    bounds = [
        (">", band.gt),
        ("≥", band.gte),
        ("<", band.lt),
        ("≤", band.lte),
    ]
    return " and ".join(f"{sign} {value:g}{unit}" for sign, value in bounds if value is not None)


def adjustment_text(adjustment: LabAdjustment, values: dict[str, float], schedule: Schedule | None) -> str:
    """``bilirubin 3.2 x ULN (> 3 x ULN): 50 % dose (40 mg/m²)`` — lab, value, band and action."""
    labs = "; ".join(f"{lab_text(b.lab, values[b.lab])} ({_bound_text(b)})" for b in adjustment.when)
    if adjustment.action == "avoid":
        return f"{labs}: {adjustment.label_says}"
    if adjustment.action == "delay":
        return f"{labs}: delay — {adjustment.label_says}"
    return f"{labs}: {_reduced_dose(adjustment, schedule)} — {adjustment.label_says}"


def _reduced_dose(adjustment: LabAdjustment, schedule: Schedule | None) -> str:
    doses = schedule.doses if schedule else []
    if adjustment.dose_amount is not None:
        unit = amount_text(adjustment.dose_amount, doses[0]) if doses else f"{adjustment.dose_amount:g}"
        return f"start at {unit}"
    percent = adjustment.dose_percent or 0.0
    if len(doses) == 1:
        return f"{percent:g} % dose ({amount_text(doses[0].amount * percent / 100, doses[0])})"
    return f"{percent:g} % dose"
