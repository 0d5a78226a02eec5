"""Replicates on Dask equal the serial runs, seed by seed."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mbctwin.cascade.config import CascadeConfig
from mbctwin.cascade.model import CascadeModel, run_replicates
from mbctwin.cli import app

pytest.importorskip("dask.distributed")


def test_replicates_on_dask_equal_serial_runs() -> None:
    config = CascadeConfig(grid_size=41)
    parallel = run_replicates(config, 60, [1, 2, 3], save_every=30, scheduler="dask")
    for seed, result in zip([1, 2, 3], parallel, strict=True):
        serial = CascadeModel(config).run(60, seed=seed, save_every=30)
        assert result.records == serial.records
        assert result.events == serial.events


def test_replicates_command_prints_one_run_per_seed() -> None:
    result = CliRunner().invoke(app, ["cascade", "replicates", "--steps", "20", "--seeds", "4,5"])
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)["runs"]
    assert [r["seed"] for r in runs] == [4, 5]
    bad = CliRunner().invoke(app, ["cascade", "replicates", "--steps", "20", "--seeds", "x"])
    assert bad.exit_code == 2
