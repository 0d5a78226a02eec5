r"""MMP-2 and ECM fields: explicit finite differences on whole arrays.

Zero-flux boundaries use a ghost point equal to the border value (``m[-1] = m[0]``), the
finite-volume form: the flux through the edge is zero, so with Λ = 0 and no source the
plain sum of ``m`` is conserved to rounding. MetaSpread mirrors instead (``m[-1] = m[1]``),
which conserves a trapezoid-weighted sum; the two differ only once MMP-2 reaches the edge.
"""

from __future__ import annotations

import numpy as np

from mbctwin.cascade.config import CascadeConfig


def laplacian_zero_flux(m: np.ndarray) -> np.ndarray:
    r"""Five-point sum :math:`\sum_4 m_{nb} - 4m` over the last two axes, ghost = border value.

    Written as the sum of the four fluxes, so each interior flux is added to one point and
    subtracted from its neighbour: the total is conserved exactly in exact arithmetic.
    """
    lap = np.zeros_like(m)
    flux_x = m[..., 1:, :] - m[..., :-1, :]
    lap[..., :-1, :] += flux_x
    lap[..., 1:, :] -= flux_x
    flux_y = m[..., :, 1:] - m[..., :, :-1]
    lap[..., :, :-1] += flux_y
    lap[..., :, 1:] -= flux_y
    return lap


def update_mmp2(m: np.ndarray, n_mesenchymal: np.ndarray, cfg: CascadeConfig) -> np.ndarray:
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
    n_mesenchymal : int (n_grids, W, H), M cells per point (:math:`M^n`)
    """
    out = laplacian_zero_flux(m)
    out *= cfg.diffusion_number
    out += (1.0 - cfg.dt * cfg.mmp2_decay) * m
    out += (cfg.dt * cfg.mmp2_production) * n_mesenchymal
    return out


def update_ecm(w: np.ndarray, m: np.ndarray, n_mesenchymal: np.ndarray, cfg: CascadeConfig) -> np.ndarray:
    r"""Degrade the ECM by mesenchymal cells and MMP-2.

    .. math:: w^{n+1}_{ij} = w^n_{ij}\left(1 - \Delta t_a(\Gamma_1 M^n_{ij} + \Gamma_2 m_{ij})\right)

    Franssen et al. (2019), the discretised ECM equation (number not checked), with ``m = m^n`` as in the
    paper's scheme; MetaSpread uses ``m^{n+1}`` (``cfg.ecm_uses_updated_mmp2=True``; the caller
    passes the field to use). Why the clip: the factor is negative only if
    Δt(Γ₁Q + Γ₂m) > 1, far outside the defaults; then ECM is fully degraded, never negative.
    The ECM never increases because every factor is ≤ 1.

    Parameters
    ----------
    w, m : float64 (n_grids, W, H)
    n_mesenchymal : int (n_grids, W, H)
    """
    factor = 1.0 - cfg.dt * (cfg.ecm_degradation_cells * n_mesenchymal + cfg.ecm_degradation_mmp2 * m)
    return w * np.clip(factor, 0.0, 1.0)


def step_fields(
    m: np.ndarray, w: np.ndarray, n_mesenchymal: np.ndarray, cfg: CascadeConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Advance both fields one step; returns new ``(m, w)`` for the grids given."""
    m_new = update_mmp2(m, n_mesenchymal, cfg)
    w_new = update_ecm(w, m_new if cfg.ecm_uses_updated_mmp2 else m, n_mesenchymal, cfg)
    return m_new, w_new
