"""CascadeConfig: published defaults, files in, errors that name the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mbctwin.cascade.config import CascadeConfig, CascadeConfigError


def test_defaults_are_the_published_values() -> None:
    cfg = CascadeConfig()
    assert (cfg.grids, cfg.grid_size, cfg.lam) == (3, 201, pytest.approx(40.0))
    assert cfg.diffusion_number == pytest.approx(0.04)
    n_mes = round(cfg.mesenchymal_fraction * cfg.initial_cells)
    assert (cfg.initial_points, cfg.initial_cells, n_mes) == (97, 388, 233)
    assert (cfg.normal_vessels_primary, cfg.ruptured_vessels_primary, cfg.vessels_secondary) == (8, 2, (10, 10))


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_from_file_reads_yaml_and_json(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"c{suffix}"
    data = {"grid_size": 41, "extravasation_probs": [0.5, 0.5]}
    path.write_text(json.dumps(data) if suffix == ".json" else yaml.safe_dump(data))
    cfg = CascadeConfig.from_file(path)
    assert (cfg.grid_size, cfg.extravasation_probs) == (41, (0.5, 0.5))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        pytest.param({"mmp2_diffusion": 0.00625}, "mmp2_diffusion", id="diffusion_number_0.25"),
        pytest.param({"diffusion_mesenchymal": 0.01}, "diffusion_mesenchymal", id="move_probability_above_1"),
        pytest.param({"survival_single": 1.5}, "survival_single", id="probability_above_1"),
        pytest.param({"extravasation_probs": [0.5, 0.4]}, "extravasation_probs", id="not_summing_to_1"),
        pytest.param({"vessels_secondary": [10]}, "vessels_secondary", id="wrong_length"),
        pytest.param({"gridsize": 41}, "gridsize", id="unknown_key"),
    ],
)
def test_bad_settings_name_the_field(data: dict, field: str) -> None:
    with pytest.raises(CascadeConfigError) as info:
        CascadeConfig.from_dict(data)
    assert field in [p.field for p in info.value.problems]


def test_config_is_frozen() -> None:
    with pytest.raises(ValueError, match="frozen"):
        CascadeConfig().grid_size = 3  # type: ignore[misc]


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("[1, 2]")
    with pytest.raises(CascadeConfigError, match="mapping"):
        CascadeConfig.from_file(tmp_path / "c.yaml")


def test_every_model_level_problem_is_reported() -> None:
    with pytest.raises(CascadeConfigError) as info:
        CascadeConfig.from_dict({"mmp2_diffusion": 0.01, "vessels_secondary": [1], "extravasation_probs": [1.0]})
    assert {p.field for p in info.value.problems} == {"mmp2_diffusion", "vessels_secondary", "extravasation_probs"}
