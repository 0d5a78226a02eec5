r"""Shared frailty: patients differ in the pace of their disease on every line, not line by line.

Each virtual patient carries one hazard multiplier :math:`Z \sim \mathrm{Gamma}(1/\theta, \theta)`
(mean 1, variance :math:`\theta`) for all her lines and for best supportive care, so that a disease
that is slow on one line tends to be slow on the next. Without it, overall survival is a sum of
independent line durations, too narrow a distribution: a trial's PFS gain turned into an OS hazard
ratio far stronger than published (PALOMA-3 0.60 vs 0.81).

Published PFS medians and hazard ratios describe whole trial populations, frail and robust patients
together, so the per-patient law is chosen such that the *population* (marginal) law reproduces
them. With a Weibull baseline :math:`H_0(t) = c\,(t/m)^k` and gamma frailty, the population survival
is (Vaupel, Manton & Stallard, Demography 1979;16:439-454, doi:10.2307/2061224; equation number
not checked: the paper's text was not readable here)

.. math:: \bar S(t) = \bigl(1 + \theta H_0(t)\bigr)^{-1/\theta},

whose median is :math:`m` when :math:`c = (2^\theta - 1)/\theta` (:math:`\ln 2` as
:math:`\theta \to 0`, the plain Weibull). The marginal laws of two arms are no longer proportional,
so a trial's Weibull shape :math:`k` is the one at which a Cox model fitted to the two population
curves gives the published hazard ratio: the large-sample limit :math:`\beta^*` of the Cox estimator
under non-proportional hazards solves (Struthers & Kalbfleisch, Biometrika 1986;73:363-369; equation
number not checked)

.. math:: \int_0^\tau f_e(t)\,dt - \int_0^\tau \frac{e^{\beta} \bar S_e(t)}{e^{\beta} \bar S_e(t)
          + \bar S_c(t)} \bigl(f_e(t) + f_c(t)\bigr)\,dt = 0

for equal arms, :math:`f = -d\bar S/dt`, followed until :math:`\tau`, when 5 % of the control arm
is still progression-free.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
from scipy.optimize import brentq

FOLLOWED_UNTIL = 0.05  # control-arm survival at which the large-sample Cox integral stops
GRID = 4000
NEGLIGIBLE = 1e-6  # a variance below this is no frailty (and would underflow the formulas)


def draw_frailty(rng: np.random.Generator, theta: float, n: int) -> np.ndarray:
    """``n`` patients' multipliers, Gamma(1/θ, θ); ones (and no draw) when θ is negligible."""
    return rng.gamma(1.0 / theta, theta, n) if theta > NEGLIGIBLE else np.ones(n)


def median_constant(theta: float) -> float:
    """:math:`c` such that the population median of :math:`H_0(t) = c (t/m)^k` is :math:`m`."""
    return math.expm1(theta * math.log(2.0)) / theta if theta > NEGLIGIBLE else math.log(2.0)


def population_survival(t: np.ndarray, median: float, shape: float, theta: float) -> np.ndarray:
    """:math:`\\bar S(t)` of a Weibull law with the given population median under gamma frailty."""
    hazard = median_constant(theta) * (t / median) ** shape
    if theta <= NEGLIGIBLE:
        return np.exp(-hazard)
    return np.exp(-np.log1p(theta * hazard) / theta)


def cox_limit(medians: tuple[float, float], shape: float, theta: float) -> float:
    """Large-sample Cox hazard ratio, experimental vs control, of two population curves (docstring)."""
    experimental, control = medians
    end = _time_at(FOLLOWED_UNTIL, control, shape, theta)
    t = np.linspace(0.0, end, GRID)
    s_e = population_survival(t, experimental, shape, theta)
    s_c = population_survival(t, control, shape, theta)
    f_e, f_c = -np.diff(s_e), -np.diff(s_c)  # event mass per grid step
    mid_e, mid_c = (s_e[1:] + s_e[:-1]) / 2, (s_c[1:] + s_c[:-1]) / 2

    def score(beta: float) -> float:
        weight = math.exp(beta) * mid_e / (math.exp(beta) * mid_e + mid_c)
        return float(f_e.sum() - (weight * (f_e + f_c)).sum())

    return math.exp(brentq(score, -10.0, 10.0))


def _time_at(survival: float, median: float, shape: float, theta: float) -> float:
    """Time at which the population survival of a law falls to ``survival``."""
    hazard = math.expm1(-theta * math.log(survival)) / theta if theta > NEGLIGIBLE else -math.log(survival)
    return median * (hazard / median_constant(theta)) ** (1.0 / shape)


@cache  # a few dozen trials, solved again by every simulation and Dask worker otherwise
def shape_for_hazard_ratio(
    medians: tuple[float, float], hazard_ratio: float, theta: float, bounds: tuple[float, float]
) -> float:
    """The Weibull shape at which two arms with these population medians show ``hazard_ratio`` in a
    Cox model; the nearer bound when no shape in ``bounds`` reaches it."""
    low, high = bounds
    target = math.log(hazard_ratio)

    def gap(shape: float) -> float:
        return math.log(cox_limit(medians, shape, theta)) - target

    at_low, at_high = gap(low), gap(high)
    if at_low * at_high > 0:
        return low if abs(at_low) < abs(at_high) else high
    return brentq(gap, low, high, xtol=1e-4)
