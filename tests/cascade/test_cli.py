"""``mbc cascade run | stats | plot`` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from mbctwin.cli import app
from tests.cascade._small import SMALL

runner = CliRunner()
FAST = SMALL | {
    "diffusion_mesenchymal": 2e-3,
    "survival_single": 1.0,
    "survival_cluster": 1.0,
    "circulation_time": 5,
    "grid_size": 21,
    "initial_points": 21,
    "initial_cells": 84,
    "vessel_exclusion_points": 30,
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("cascade")
    config = tmp / "fast.yaml"
    config.write_text(yaml.safe_dump(FAST))
    out = tmp / "run"
    args = [
        "cascade",
        "run",
        "--config",
        str(config),
        "--steps",
        "200",
        "--seed",
        "5",
        "--out",
        str(out),
        "--save-every",
        "50",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


def test_run_writes_frames_events_config_and_seed(run_dir: Path) -> None:
    assert len(list((run_dir / "frames").glob("step_*.npz"))) == 4
    assert (run_dir / "seed.txt").read_text().strip() == "5"
    assert json.loads((run_dir / "config.json").read_text())["grid_size"] == 21
    events = pq.read_table(run_dir / "events.parquet").to_pylist()
    assert {e["kind"] for e in events} <= {"intravasation", "arrival", "survivor", "colonisation"}
    assert any(e["kind"] == "intravasation" for e in events)


def test_stats_prints_only_json_with_one_record_per_saved_step(run_dir: Path) -> None:
    result = runner.invoke(app, ["cascade", "stats", str(run_dir), "--format", "json"])
    assert result.exit_code == 0
    records = json.loads(result.stdout)["records"]
    assert [r["step"] for r in records] == [50, 100, 150, 200]
    assert all(isinstance(v, int | float) for r in records for v in r.values())
    assert {"primary_mean_dist_centre", "grid2_n_total", "cum_lost_cells", "primary_points_ecm_below_0.5"} <= set(
        records[0]
    )


def test_plot_writes_pngs_a_gif_and_the_series(run_dir: Path) -> None:
    result = runner.invoke(app, ["cascade", "plot", str(run_dir)])
    assert result.exit_code == 0, result.output
    names = {p.name for p in (run_dir / "plots").iterdir()}
    assert {"frames.gif", "series.png", "step_0000050.png"} <= names


@pytest.mark.parametrize(
    ("config", "field"),
    [({"mmp2_diffusion": 0.01}, "mmp2_diffusion"), ({"survival_single": -1}, "survival_single"), ({"grid": 3}, "grid")],
)
def test_bad_config_exits_2_naming_the_field_without_traceback(tmp_path: Path, config: dict, field: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    args = ["cascade", "run", "--config", str(path), "--steps", "5", "--seed", "1", "--out", str(tmp_path / "o")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert field in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert not (tmp_path / "o").exists()


def test_stats_on_a_folder_that_is_not_a_run_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["cascade", "stats", str(tmp_path)])
    assert result.exit_code == 2
    assert "DIR" in result.stderr
    assert result.stdout == ""
