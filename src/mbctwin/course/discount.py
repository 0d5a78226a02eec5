r"""Continuous-time discounting of costs and QALYs, in closed form (no cycles, no half-cycle correction).

An annual rate :math:`r` (3.5 % for costs and QALYs in England, the price set's default) corresponds to the continuous
force of interest :math:`\delta = \ln(1 + r)`, so that :math:`e^{-\delta t} = (1 + r)^{-t}` at whole
years, as in discrete annual discounting. The simulator's clock is in months, hence the monthly force
:math:`\delta_m = \ln(1 + r) / 12`. Three closed forms cover every cost and QALY of the model
(e.g. Gray, Clarke, Wolstenholme & Wordsworth, *Applied Methods of Cost-effectiveness Analysis in
Health Care*, 2011, ch. 2):

* a flow at a constant rate :math:`c` per month between months :math:`a` and :math:`b` (a QALY flow,
  best supportive care, monitoring): :math:`\int_a^b c\,e^{-\delta_m t}\,dt = c\,(e^{-\delta_m a} -
  e^{-\delta_m b}) / \delta_m` (:func:`flow`);
* a one-off amount :math:`c` at month :math:`t` (end-of-life care, a radiotherapy course):
  :math:`c\,e^{-\delta_m t}` (:func:`point`);
* an amount repeated every :math:`L` months from month :math:`a + d` while before :math:`b` (a dose on
  day :math:`d` of every cycle): with :math:`n = \lceil (b - a - d) / L \rceil` repetitions (none when
  :math:`b - a \le d`), :math:`c\,e^{-\delta_m (a + d)}\,(1 - e^{-\delta_m n L}) / (1 - e^{-\delta_m L})`
  (:func:`repeated`), a geometric series.

Every function takes NumPy arrays (one value per patient-line), so accrual never loops over patients.
A rate of 0 gives the undiscounted amounts (the limits of the same formulas).
"""

from __future__ import annotations

import math

import numpy as np

MONTHS_PER_YEAR = 12.0


def monthly_force(annual_rate: float) -> float:
    """:math:`\\delta_m = \\ln(1 + r) / 12`, the continuous monthly force of an annual rate ``r``."""
    if annual_rate <= -1:
        raise ValueError(f"an annual discount rate must exceed -1, got {annual_rate}")
    return math.log1p(annual_rate) / MONTHS_PER_YEAR


def point(amount: np.ndarray | float, months: np.ndarray | float, annual_rate: float) -> np.ndarray:
    """Present value of ``amount`` paid at ``months``."""
    return np.asarray(amount, dtype=float) * np.exp(-monthly_force(annual_rate) * np.asarray(months, dtype=float))


def flow(
    rate_per_month: np.ndarray | float, start: np.ndarray | float, stop: np.ndarray | float, annual_rate: float
) -> np.ndarray:
    """Present value of a constant flow of ``rate_per_month`` from ``start`` to ``stop`` (months)."""
    start, stop = np.asarray(start, dtype=float), np.asarray(stop, dtype=float)
    delta = monthly_force(annual_rate)
    if delta == 0:
        return np.asarray(rate_per_month, dtype=float) * (stop - start)
    return np.asarray(rate_per_month, dtype=float) * (np.exp(-delta * start) - np.exp(-delta * stop)) / delta


def occurrences(start: np.ndarray, stop: np.ndarray, offset: float, period: float) -> np.ndarray:
    """How many of the times ``start + offset + k * period`` (k = 0, 1, ...) fall before ``stop``."""
    room = np.asarray(stop, dtype=float) - np.asarray(start, dtype=float) - offset
    return np.where(room > 0, np.ceil(room / period), 0.0)


def repeated(
    amount: np.ndarray | float,
    start: np.ndarray | float,
    stop: np.ndarray | float,
    offset: float,
    period: float,
    annual_rate: float,
) -> np.ndarray:
    """Present value of ``amount`` paid at ``start + offset``, then every ``period`` months, before ``stop``."""
    start = np.asarray(start, dtype=float)
    count = occurrences(start, np.asarray(stop, dtype=float), offset, period)
    delta = monthly_force(annual_rate)
    if delta == 0:
        return np.asarray(amount, dtype=float) * count
    first = np.exp(-delta * (start + offset))
    return np.asarray(amount, dtype=float) * first * -np.expm1(-delta * count * period) / -math.expm1(-delta * period)
