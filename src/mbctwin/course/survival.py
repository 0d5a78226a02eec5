"""Survival statistics; the only module that imports lifelines."""

from __future__ import annotations

import warnings

import numpy as np
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.utils import median_survival_times


def _none_if_inf(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)


def km_median(durations: np.ndarray, events: np.ndarray) -> tuple[float | None, float | None, float | None]:
    """Kaplan-Meier median with its 95 % CI; ``None`` where not reached."""
    fitter = KaplanMeierFitter().fit(durations, events)
    ci = median_survival_times(fitter.confidence_interval_)
    return (_none_if_inf(fitter.median_survival_time_), _none_if_inf(ci.iloc[0, 0]), _none_if_inf(ci.iloc[0, 1]))


def km_survival_at(durations: np.ndarray, events: np.ndarray, times: list[float]) -> list[float]:
    fitter = KaplanMeierFitter().fit(durations, events)
    return [float(v) for v in fitter.survival_function_at_times(times).to_numpy()]


def km_curve(durations: np.ndarray, events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(times, survival, lower, upper) for plotting."""
    fitter = KaplanMeierFitter().fit(durations, events)
    ci = fitter.confidence_interval_survival_function_
    return (
        fitter.survival_function_.index.to_numpy(),
        fitter.survival_function_.iloc[:, 0].to_numpy(),
        ci.iloc[:, 0].to_numpy(),
        ci.iloc[:, 1].to_numpy(),
    )


def cox_hazard_ratio(durations: np.ndarray, events: np.ndarray, experimental: np.ndarray) -> tuple[float, float, float]:
    """Hazard ratio of the experimental group vs the rest, with its 95 % CI (Cox model)."""
    import pandas as pd

    frame = pd.DataFrame({"T": durations, "E": events.astype(int), "arm": experimental.astype(int)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = CoxPHFitter().fit(frame, duration_col="T", event_col="E")
    summary = fitter.summary.loc["arm"]
    return (float(summary["exp(coef)"]), float(summary["exp(coef) lower 95%"]), float(summary["exp(coef) upper 95%"]))
