"""Parameters of the cascade simulator: frozen, validated, with the published defaults.

Values are dimensionless as in Franssen et al. (2019) [1]_ and MetaSpread; the physical value
behind each one is given in its ``Field`` description, derived from the scales of the spec:
Δt = 1e-3 ≈ 40 s, so the time unit is τ = 4·10⁴ s (1 day ≈ 2,160 steps); Δx = 5e-3 ≈ 10 µm, so
the length unit is L = 0.2 cm. A diffusion coefficient D is D·L²/τ = D · 1e-6 cm² s⁻¹, a rate
k is k/τ = k · 2.5e-5 s⁻¹. MMP-2 and ECM are in units of reference densities (not converted).

References
----------
.. [1] Franssen LC, Lorenzi T, Burgess AEF, Chaplain MAJ. A mathematical framework for modelling the
   metastatic spread of cancer. Bull Math Biol 81:1965-2010 (2019). doi:10.1007/s11538-019-00597-x
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mbctwin.errors import CascadeConfigError, FieldProblem

SEPARATOR = "; "


def _prob(default: float, description: str) -> Any:
    return Field(default, ge=0.0, le=1.0, description=description)


class CascadeConfig(BaseModel):
    """Every parameter of one cascade simulation (defaults: MetaSpread 2024.0.6 = Franssen et al. 2019).

    Examples
    --------
    >>> CascadeConfig(grid_size=41).lam
    40.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Space and time.
    grids: int = Field(3, ge=2, le=16, description="Grid 1 is the primary site, grids 2..G secondary sites.")
    grid_size: int = Field(201, ge=11, le=4001, description="Points per side: 201 points ≈ 2 mm at 10 µm a point.")
    dt: float = Field(1e-3, gt=0, description="Δt_a, dimensionless; ≈ 40 s.")
    dx: float = Field(5e-3, gt=0, description="Δx_a, dimensionless; ≈ 10 µm (one cell).")
    # Cell movement (values of [1] as MetaSpread uses them).
    diffusion_mesenchymal: float = Field(1e-4, ge=0, description="D_M; 1e-10 cm² s⁻¹ (its dimensional value).")
    diffusion_epithelial: float = Field(5e-5, ge=0, description="D_E; 5e-11 cm² s⁻¹.")
    haptotaxis_mesenchymal: float = Field(5e-4, ge=0, description="Φ_M; 5e-10 cm² s⁻¹ per unit ECM density.")
    haptotaxis_epithelial: float = Field(5e-4, ge=0, description="Φ_E; 5e-10 cm² s⁻¹ per unit ECM density.")
    # MMP-2 and ECM (values of [1] as MetaSpread uses them).
    mmp2_diffusion: float = Field(1e-3, ge=0, description="D_m; 1e-9 cm² s⁻¹.")
    mmp2_production: float = Field(0.195, ge=0, description="Θ, MMP-2 made per mesenchymal cell; 4.9e-6 s⁻¹.")
    mmp2_decay: float = Field(0.1, ge=0, description="Λ, MMP-2 decay; 2.5e-6 s⁻¹ (half-life ≈ 3.2 days).")
    ecm_degradation_cells: float = Field(1.0, ge=0, description="Γ₁, ECM degraded per mesenchymal cell; 2.5e-5 s⁻¹.")
    ecm_degradation_mmp2: float = Field(1.0, ge=0, description="Γ₂, ECM degraded per unit MMP-2; 2.5e-5 s⁻¹.")
    ecm_uses_updated_mmp2: bool = Field(False, description="True reproduces MetaSpread (w uses m^{n+1}).")
    negative_probabilities: Literal["clip", "metaspread"] = Field(
        "clip", description="'clip': clip to 0 and renormalise (paper); 'metaspread': pass on unclipped."
    )
    # Proliferation: T_M = 2000 steps ≈ 22 h, T_E = 3000 ≈ 33 h (MetaSpread defaults; its docs swap them).
    doubling_time_mesenchymal: int = Field(2000, ge=1, description="T_M in steps (≈ 22 h).")
    doubling_time_epithelial: int = Field(3000, ge=1, description="T_E in steps (≈ 33 h).")
    carrying_capacity: int = Field(4, ge=1, le=127, description="Q, cells a grid point can hold.")
    # Initial tumour (MetaSpread defaults).
    initial_points: int = Field(97, ge=1, description="Points of the initial disc around the centre.")
    initial_cells: int = Field(388, ge=0, description="Cells placed on the disc (97 x Q).")
    mesenchymal_fraction: float = _prob(0.6, "Share of mesenchymal cells at the start (233 of 388).")
    # Vasculature: MetaSpread code defaults (8 normal + 2 ruptured primary; its docs say 2 + 8).
    normal_vessels_primary: int = Field(8, ge=0, description="Normal vessel points: only mesenchymal cells enter.")
    ruptured_vessels_primary: int = Field(2, ge=0, description="Ruptured vessel points: any cell enters.")
    vessels_secondary: tuple[int, ...] = Field((10, 10), description="Vessel points on each secondary grid.")
    vessel_exclusion_points: int = Field(200, ge=0, description="No primary vessel on the points nearest the centre.")
    border_strip: int = Field(2, ge=1, description="No vessel within this many points of the edge.")
    circulation_time: int = Field(180, ge=1, description="T_V in steps (≈ 2 h).")
    detach_prob: float = _prob(0.5, "Each cell of a cluster detaches: 1 - MetaSpread's dissagreggation_prob.")
    survival_single: float = _prob(5e-4, "P_s, a single circulating cell survives.")
    survival_cluster: float = _prob(0.025, "P_C, a cluster of ≥ 2 cells survives.")
    extravasation_probs: tuple[float, ...] = Field(
        (0.75, 0.25), description="Destination probability of each secondary grid."
    )

    @property
    def lam(self) -> float:
        """λ = Δt/Δx², the factor of every movement probability."""
        return self.dt / self.dx**2

    @property
    def diffusion_number(self) -> float:
        """D_m Δt/Δx²: the explicit scheme is stable below 0.25 in two dimensions."""
        return self.mmp2_diffusion * self.lam

    @model_validator(mode="after")
    def _check(self) -> CascadeConfig:
        problems = [*self._stability_problems(), *self._layout_problems()]
        if problems:
            raise ValueError(SEPARATOR.join(f"[{field}] {message}" for field, message in problems))
        return self

    def _stability_problems(self) -> list[tuple[str, str]]:
        out = []
        if self.diffusion_number >= 0.25:
            out.append(("mmp2_diffusion", f"diffusion number D_m·Δt/Δx² = {self.diffusion_number:g} ≥ 0.25 (unstable)"))
        for name, d in (
            ("diffusion_mesenchymal", self.diffusion_mesenchymal),
            ("diffusion_epithelial", self.diffusion_epithelial),
        ):
            if 4 * self.lam * d > 1:
                out.append((name, f"movement probability 4·λ·D = {4 * self.lam * d:g} > 1 at the start"))
        return out

    def _layout_problems(self) -> list[tuple[str, str]]:
        out = []
        n_secondary = self.grids - 1
        if len(self.vessels_secondary) != n_secondary:
            out.append(("vessels_secondary", f"needs {n_secondary} entries (grids - 1)"))
        if len(self.extravasation_probs) != n_secondary:
            out.append(("extravasation_probs", f"needs {n_secondary} entries (grids - 1)"))
        elif any(p < 0 for p in self.extravasation_probs) or abs(sum(self.extravasation_probs) - 1) > 1e-9:
            out.append(("extravasation_probs", "must be ≥ 0 and sum to 1"))
        if self.initial_cells > self.initial_points * self.carrying_capacity:
            out.append(("initial_cells", "more than initial_points x carrying_capacity"))
        free = (self.grid_size - 2 * self.border_strip) ** 2 - self.vessel_exclusion_points
        n_primary = self.normal_vessels_primary + self.ruptured_vessels_primary
        if self.initial_points > self.grid_size**2 or free < n_primary:
            out.append(("grid_size", "too small for the initial tumour and the primary vessels"))
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CascadeConfig:
        """Validate a mapping; every problem becomes a :class:`CascadeConfigError` naming the field."""
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise CascadeConfigError([p for e in error.errors() for p in _problems(e)]) from None

    @classmethod
    def from_file(cls, path: str | Path) -> CascadeConfig:
        """Read a YAML or JSON file (by suffix); unknown keys are errors."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (OSError, ValueError, yaml.YAMLError) as error:
            raise CascadeConfigError([FieldProblem(str(path), f"cannot read: {error}")]) from None
        if not isinstance(data, dict):
            raise CascadeConfigError([FieldProblem(str(path), "must be a mapping of parameter names to values")])
        return cls.from_dict(data)


def _problems(error: Any) -> list[FieldProblem]:
    """Field problems of one pydantic error; model-level checks carry ``[field]`` in each message."""
    message = str(error["msg"]).removeprefix("Value error, ")
    field = ".".join(str(p) for p in error["loc"])
    if not message.startswith("["):
        return [FieldProblem(field or "config", message)]
    return [FieldProblem(*part[1:].split("] ", 1)) for part in message.split(SEPARATOR)]
