r"""Biased random walk with haptotaxis, for all cells at once, and capacity-limited moves.

Direction order everywhere: 0 stay, 1 left (x-1), 2 right (x+1), 3 down (y-1), 4 up (y+1).

Capacity: MetaSpread moves the cells one by one in a random order, and a move into a point
holding Q cells fails. We draw all directions at once, give every mover a random priority
(a random permutation: the same law as the random order) and decide each move exactly as the
sequential update in that order would: a mover succeeds iff its target holds fewer than Q
cells *at its turn*, counting the moves of higher-priority movers into and out of that point.
Those counts depend only on higher-priority movers, so a fixed-point iteration over whole
arrays settles in (longest chain of dependent moves + 1) rounds, usually 1-3.
What still differs from MetaSpread: directions are drawn before any cell moves (its cells see
the same ECM, which does not change during movement, so the law is identical), and
intravasation clusters leave before the others move (see ``vasculature``).
"""

from __future__ import annotations

import numpy as np

from mbctwin.cascade.config import CascadeConfig
from mbctwin.cascade.state import Cells

STEP_X = np.array([0, -1, 1, 0, 0], dtype=np.int32)
STEP_Y = np.array([0, 0, 0, -1, 1], dtype=np.int32)


def raw_probabilities(w: np.ndarray, cells: Cells, cfg: CascadeConfig) -> np.ndarray:
    r"""Movement probabilities before any clipping, float64 (n, 5).

    .. math:: P_{left/right} = \lambda\left(D_k \mp \frac{\Phi_k}{4}(w_{x+1,y} - w_{x-1,y})\right),\quad
              P_{down/up} = \lambda\left(D_k \mp \frac{\Phi_k}{4}(w_{x,y+1} - w_{x,y-1})\right),\quad
              P_{stay} = 1 - \sum P

    Franssen et al. (2019), movement probabilities of the discrete cells (equation number not
    checked here), λ = Δt/Δx².
    A direction off the grid gets 0 and, on that border, the other direction keeps only its
    diffusive part λD_k (no one-sided gradient), as MetaSpread does.
    """
    size = cfg.grid_size
    mes = cells.mesenchymal
    diff = np.where(mes, cfg.diffusion_mesenchymal, cfg.diffusion_epithelial) * cfg.lam
    hapt = np.where(mes, cfg.haptotaxis_mesenchymal, cfg.haptotaxis_epithelial) * (cfg.lam / 4)
    g, x, y = cells.grid, cells.x, cells.y
    p = np.empty((len(cells), 5))
    for axis, (coord, dx, dy) in enumerate(((x, 1, 0), (y, 0, 1))):
        low, high = coord > 0, coord < size - 1
        ahead = w[g, np.minimum(x + dx, size - 1), np.minimum(y + dy, size - 1)]
        behind = w[g, np.maximum(x - dx, 0), np.maximum(y - dy, 0)]
        grad = np.where(low & high, hapt * (ahead - behind), 0.0)
        p[:, 1 + 2 * axis] = np.where(low, diff - grad, 0.0)
        p[:, 2 + 2 * axis] = np.where(high, diff + grad, 0.0)
    p[:, 0] = 1.0 - p[:, 1:].sum(axis=1)
    return p


def final_probabilities(raw: np.ndarray, mode: str) -> np.ndarray:
    """'clip': negative entries to 0, stay = 1 - moves (≥ 0), rows renormalised (the paper's intent).

    'metaspread': the raw values, negative ones included (see :func:`draw_directions`).
    """
    if mode == "metaspread":
        return raw
    p = np.maximum(raw, 0.0)
    p[:, 0] = np.maximum(1.0 - p[:, 1:].sum(axis=1), 0.0)
    return p / p.sum(axis=1, keepdims=True)


# MetaSpread's candidate order (Mesa 2.1.2 von Neumann neighbourhood): left, down, stay, up, right.
METASPREAD_ORDER = np.array([1, 3, 0, 4, 2])


def draw_directions(p: np.ndarray, u: np.ndarray, mode: str = "clip") -> np.ndarray:
    """One direction per cell from its probabilities and a uniform ``u``; int (n,).

    'clip' (non-negative rows): the first direction whose running sum exceeds ``u``.
    'metaspread': what ``random.choices(candidates, weights)`` does in MetaSpread: running sums in
    its candidate order, then a binary search (``bisect_right`` on indices 0..3) for ``u`` times
    the total. With a negative weight the running sums are not monotone and the search lands on
    a neighbouring direction: the mass shift the spec describes, reproduced exactly.
    """
    if mode != "metaspread":
        return np.argmax(u[:, None] < np.cumsum(p, axis=1), axis=1)
    cum = np.cumsum(p[:, METASPREAD_ORDER], axis=1)
    x = u * cum[:, -1]
    lo, hi = np.zeros(u.size, dtype=np.int64), np.full(u.size, 4, dtype=np.int64)
    for _ in range(3):  # ceil(log2(5)) halvings settle every row
        active = lo < hi
        mid = (lo + hi) // 2
        left = x < cum[np.arange(u.size), mid]
        hi = np.where(active & left, mid, hi)
        lo = np.where(active & ~left, mid + 1, lo)
    return METASPREAD_ORDER[lo]


def targets(cells: Cells, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Target coordinates; off-grid directions have probability 0, so they stay on the grid."""
    return cells.x + STEP_X[direction], cells.y + STEP_Y[direction]


def resolve_moves(
    origin: np.ndarray, target: np.ndarray, rank: np.ndarray, occupancy: np.ndarray, capacity: int
) -> np.ndarray:
    """Which moves succeed under sequential updating in increasing ``rank``; bool (n_movers,).

    Parameters
    ----------
    origin, target : int64 (n_movers,), flat point indices (origin != target)
    rank : int64 (n_movers,), distinct priorities (lower moves first)
    occupancy : int (n_points,), cells per point before anyone moves
    """
    n = origin.size
    ok = np.ones(n, dtype=bool)
    if n == 0:
        return ok
    scale = np.int64(n + 1)
    event_key = np.concatenate((target * scale + rank, origin * scale + rank))
    order = np.argsort(event_key, kind="stable")
    sorted_keys = event_key[order]
    query = np.searchsorted(sorted_keys, target * scale + rank, side="left")
    start = np.searchsorted(sorted_keys, target * scale, side="left")
    base = occupancy[target]
    for _ in range(n + 1):
        delta = np.concatenate((ok, -ok.astype(np.int64)))[order].astype(np.int64)
        before = np.concatenate(([0], np.cumsum(delta)))
        new_ok = base + before[query] - before[start] < capacity
        if np.array_equal(new_ok, ok):
            break
        ok = new_ok
    return ok
