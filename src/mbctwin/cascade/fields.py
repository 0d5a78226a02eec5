r"""MMP-2 and ECM fields: explicit finite differences on whole arrays.

Zero-flux boundaries use a ghost point equal to the border value (``m[-1] = m[0]``), the
finite-volume form: the flux through the edge is zero, so with Λ = 0 and no source the
plain sum of ``m`` is conserved to rounding. MetaSpread mirrors instead (``m[-1] = m[1]``),
which conserves a trapezoid-weighted sum; the two differ only once MMP-2 reaches the edge.

A run updates its fields in place with a :class:`FieldScratch` made once: a step then asks the
allocator for no grid-sized array. Fresh grid-sized temporaries cost more than the arithmetic
whenever the C allocator hands them back to the kernel between steps (new zeroed pages every
step), which depends on the process's allocation history rather than on this code.
"""

from __future__ import annotations

import numpy as np

from mbctwin.cascade.config import CascadeConfig
from mbctwin.cascade.state import Cells


class FieldScratch:
    """Work arrays of the field update for grids of ``shape = (n_grids, W, H)``, reused every step.

    Every operation writes into one of these (``out=``), so a step allocates nothing grid-sized.
    Views of the first ``k`` grids serve updates of ``k`` grids; ``mesenchymal`` holds the M cells
    per point (:func:`count_mesenchymal`).
    """

    def __init__(self, shape: tuple[int, ...]) -> None:
        grids, width, height = shape
        self.laplacian = np.empty(shape)
        self.term = np.empty(shape)
        self.factor = np.empty(shape)
        self.mesenchymal = np.zeros(shape)
        self.flux_x = np.empty((grids, width - 1, height))
        self.flux_y = np.empty((grids, width, height - 1))


def laplacian_zero_flux(m: np.ndarray, scratch: FieldScratch | None = None) -> np.ndarray:
    r"""Five-point sum :math:`\sum_4 m_{nb} - 4m` over the last two axes, ghost = border value.

    Written as the sum of the four fluxes, so each interior flux is added to one point and
    subtracted from its neighbour: the total is conserved exactly in exact arithmetic.
    With ``scratch`` the result is a view of its ``laplacian`` array, valid until its next use.
    """
    scratch = scratch or FieldScratch(m.shape)
    k = m.shape[0]
    lap = scratch.laplacian[:k]
    lap.fill(0.0)
    flux_x = np.subtract(m[..., 1:, :], m[..., :-1, :], out=scratch.flux_x[:k])
    lap[..., :-1, :] += flux_x
    lap[..., 1:, :] -= flux_x
    flux_y = np.subtract(m[..., :, 1:], m[..., :, :-1], out=scratch.flux_y[:k])
    lap[..., :, :-1] += flux_y
    lap[..., :, 1:] -= flux_y
    return lap


def update_mmp2(
    m: np.ndarray, n_mesenchymal: np.ndarray, cfg: CascadeConfig, scratch: FieldScratch | None = None
) -> np.ndarray:
    r"""One explicit step of MMP-2 diffusion, decay and production by mesenchymal cells.

    .. math:: m^{n+1}_{ij} = m^n_{ij} + \frac{D_m \Delta t_a}{\Delta x_a^2}
              \left(m^n_{i+1,j} + m^n_{i-1,j} + m^n_{i,j+1} + m^n_{i,j-1} - 4 m^n_{ij}\right)
              + \Delta t_a \Theta M^n_{ij} - \Delta t_a \Lambda m^n_{ij}

    Franssen et al. (2019) Bull Math Biol 81:1965-2010, the discretised MMP-2 equation (equation
    number not checked here; MetaSpread implements the same scheme). Stable while ``cfg.diffusion_number < 0.25``,
    which :class:`CascadeConfig` enforces.

    Parameters
    ----------
    m : float64 (n_grids, W, H)
    n_mesenchymal : (n_grids, W, H), M cells per point (:math:`M^n`), integer or float
    scratch : work arrays; the result is then a view of ``scratch.laplacian`` (a new array without)
    """
    scratch = scratch or FieldScratch(m.shape)
    term = scratch.term[: m.shape[0]]
    out = laplacian_zero_flux(m, scratch)
    out *= cfg.diffusion_number
    out += np.multiply(m, 1.0 - cfg.dt * cfg.mmp2_decay, out=term)
    out += np.multiply(n_mesenchymal, cfg.dt * cfg.mmp2_production, out=term)
    return out


def ecm_factor(
    m: np.ndarray, n_mesenchymal: np.ndarray, cfg: CascadeConfig, scratch: FieldScratch | None = None
) -> np.ndarray:
    r"""The factor :math:`1 - \Delta t_a(\Gamma_1 M^n_{ij} + \Gamma_2 m_{ij})` on the ECM, clipped to [0, 1].

    Why the clip: the factor is negative only if Δt(Γ₁Q + Γ₂m) > 1, far outside the defaults;
    then ECM is fully degraded, never negative. The ECM never increases because every factor is ≤ 1.
    With ``scratch`` the result is a view of its ``factor`` array.
    """
    scratch = scratch or FieldScratch(m.shape)
    k = m.shape[0]
    factor = np.multiply(n_mesenchymal, cfg.ecm_degradation_cells, out=scratch.factor[:k])
    factor += np.multiply(m, cfg.ecm_degradation_mmp2, out=scratch.term[:k])
    factor *= cfg.dt
    np.subtract(1.0, factor, out=factor)
    return np.clip(factor, 0.0, 1.0, out=factor)


def update_ecm(w: np.ndarray, m: np.ndarray, n_mesenchymal: np.ndarray, cfg: CascadeConfig) -> np.ndarray:
    r"""Degrade the ECM by mesenchymal cells and MMP-2 (a new array).

    .. math:: w^{n+1}_{ij} = w^n_{ij}\left(1 - \Delta t_a(\Gamma_1 M^n_{ij} + \Gamma_2 m_{ij})\right)

    Franssen et al. (2019), the discretised ECM equation (number not checked), with ``m = m^n`` as in the
    paper's scheme; MetaSpread uses ``m^{n+1}`` (``cfg.ecm_uses_updated_mmp2=True``; the caller
    passes the field to use). See :func:`ecm_factor`.

    Parameters
    ----------
    w, m : float64 (n_grids, W, H)
    n_mesenchymal : (n_grids, W, H), integer or float
    """
    return w * ecm_factor(m, n_mesenchymal, cfg)


def advance_fields(
    m: np.ndarray, w: np.ndarray, n_mesenchymal: np.ndarray, cfg: CascadeConfig, scratch: FieldScratch
) -> None:
    """Advance both fields one step in place (``m``, ``w`` may be views of a run's state)."""
    m_new = update_mmp2(m, n_mesenchymal, cfg, scratch)
    w *= ecm_factor(m_new if cfg.ecm_uses_updated_mmp2 else m, n_mesenchymal, cfg, scratch)
    m[...] = m_new


def step_fields(
    m: np.ndarray, w: np.ndarray, n_mesenchymal: np.ndarray, cfg: CascadeConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Advance both fields one step; returns new ``(m, w)`` for the grids given (inputs unchanged)."""
    m_new, w_new = m.copy(), w.copy()
    advance_fields(m_new, w_new, n_mesenchymal, cfg, FieldScratch(m.shape))
    return m_new, w_new


def count_mesenchymal(cells: Cells, first_grid: int, counts: np.ndarray) -> np.ndarray:
    """M cells per point of grids ``first_grid, first_grid + 1, …`` written into ``counts`` (k, W, H).

    Every cell must lie on one of those grids (the active block: a grid is active once it holds a cell).
    """
    size = counts.shape[-1]
    mesenchymal = cells.take(cells.mesenchymal)
    counts.fill(0.0)
    np.add.at(counts.reshape(-1), mesenchymal.flat(size) - first_grid * size * size, 1.0)
    return counts
