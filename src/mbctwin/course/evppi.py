r"""Partial EVPI of a parameter group by nonparametric regression (Strong, Oakley & Brennan 2014).

Strong M, Oakley JE, Brennan A. Estimating multiparameter partial expected value of perfect
information from a probabilistic sensitivity analysis sample: a nonparametric regression approach.
*Med Decis Making* 2014;34(3):311-326. Their method: the net benefit of strategy *d* in draw *n* is
:math:`NB_d^{(n)} = g_d(\phi^{(n)}) + \varepsilon^{(n)}`, where :math:`\phi` is the parameter group of
interest and :math:`g_d(\phi) = E[NB_d \mid \phi]`. Regressing the PSA's net benefits on :math:`\phi`
estimates :math:`g_d`, and then (their estimator; equation number not checked here)

.. math::
    EVPPI(\phi) \approx \frac{1}{N}\sum_n \max_d \hat g_d(\phi^{(n)})
    - \max_d \frac{1}{N}\sum_n \hat g_d(\phi^{(n)}).

They fit :math:`g_d` with a generalised additive model (few parameters) or a Gaussian process. Here
:math:`g_d` is an **additive penalised regression spline** (a GAM with identity link), written for
this project: each parameter gets a cubic truncated-power basis with knots at its quantiles, the
knot coefficients are shrunk by a ridge penalty :math:`\lambda`, and :math:`\lambda` is chosen by
generalised cross-validation (Craven & Wahba 1979) on a grid. Incremental net benefits against the
first strategy are regressed (the first strategy's is 0), which removes the noise they share.
Limits: additive, so interactions between parameters of a group are missed; with many parameters
and few draws the fit is noisy — use at least a few hundred draws. A group is **not estimable**
(``None``) when the draws cannot even fit its unpenalised part (an intercept and a cubic per
parameter): fewer draws than ``2 + 3 * parameters``.
"""

from __future__ import annotations

import numpy as np

KNOTS = 6
PENALTIES = np.logspace(-4, 4, 17)


def _basis(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unpenalised columns, penalised knot columns) of one parameter, standardised."""
    x = np.asarray(values, dtype=float)
    spread = x.std()
    if spread == 0:
        return np.empty((x.size, 0)), np.empty((x.size, 0))
    z = (x - x.mean()) / spread
    knots = np.unique(np.quantile(z, np.linspace(0, 1, KNOTS + 2)[1:-1]))
    plain = np.column_stack([z, z**2, z**3])
    return plain, np.maximum(z[:, None] - knots[None, :], 0.0) ** 3


def design(parameters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Design matrix of the additive model (intercept first) and the 0/1 penalty of each column."""
    x = np.asarray(parameters, dtype=float)
    x = x.reshape(x.shape[0], -1)
    columns, penalised = [np.ones((x.shape[0], 1))], [np.zeros(1)]
    for j in range(x.shape[1]):
        plain, knots = _basis(x[:, j])
        columns += [plain, knots]
        penalised += [np.zeros(plain.shape[1]), np.ones(knots.shape[1])]
    return np.hstack(columns), np.concatenate(penalised)


def fit_additive(parameters: np.ndarray, response: np.ndarray) -> np.ndarray:
    """Fitted values of ``response`` (draws,) or (draws, k) on ``parameters`` (draws, p), GCV-chosen."""
    matrix, penalty = design(parameters)
    y = np.asarray(response, dtype=float)
    y2 = y.reshape(y.shape[0], -1)
    n = matrix.shape[0]
    gram, cross = matrix.T @ matrix, matrix.T @ y2
    scale = np.trace(gram) / gram.shape[0]  # penalties relative to the data's own scale
    best: tuple[float, np.ndarray] | None = None
    for lam in PENALTIES:
        system = gram + lam * scale * np.diag(penalty) + 1e-10 * scale * np.eye(gram.shape[0])
        coefficients = np.linalg.solve(system, cross)
        fitted = matrix @ coefficients
        hat_trace = np.trace(np.linalg.solve(system, gram))
        if hat_trace >= n - 1:
            continue
        score = n * float(((y2 - fitted) ** 2).sum()) / (n - hat_trace) ** 2
        if best is None or score < best[0]:
            best = (score, fitted)
    fitted = best[1] if best is not None else np.repeat(y2.mean(axis=0, keepdims=True), n, axis=0)
    return fitted.reshape(y.shape)


def estimable(draws: int, parameters: int) -> bool:
    """Whether ``draws`` can fit the unpenalised part of the additive model of ``parameters`` parameters."""
    return draws >= 2 + 3 * parameters


def evppi(net_benefit: np.ndarray, parameters: np.ndarray) -> float | None:
    """Partial EVPI per patient of the parameter group ``parameters`` (draws, p) given NB draws (draws, d);
    ``None`` when there are too few draws for the group (``estimable``)."""
    nb = np.asarray(net_benefit, dtype=float)
    group = np.asarray(parameters, dtype=float).reshape(nb.shape[0], -1)
    if not estimable(nb.shape[0], group.shape[1]):
        return None
    if nb.shape[1] < 2:
        return 0.0
    incremental = nb[:, 1:] - nb[:, :1]
    fitted = np.column_stack([np.zeros(nb.shape[0]), fit_additive(group, incremental)])
    value = float(fitted.max(axis=1).mean() - fitted.mean(axis=0).max())
    return max(value, 0.0)
