"""One validation-error hierarchy: every bad input raises an :class:`InputError` subclass naming its
kind and each bad field, and every command says which input failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mbctwin import errors
from mbctwin.cascade.config import CascadeConfig
from mbctwin.case.io import example_case
from mbctwin.cli import app
from mbctwin.course.trial import TRIALS

runner = CliRunner()


def _kinds() -> list[type[errors.InputError]]:
    return [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.InputError)]


def test_every_input_kind_has_its_own_name() -> None:
    kinds = [c for c in _kinds() if c is not errors.InputError]
    assert len(kinds) >= 10
    assert len({c.input_kind for c in kinds}) == len(kinds)
    assert errors.CascadeConfigError in kinds  # the cascade's twin is folded in


def test_a_pydantic_error_becomes_one_problem_per_field(tmp_path: Path) -> None:
    path = tmp_path / "cascade.yaml"
    path.write_text(yaml.safe_dump({"grid_size": -3, "colour": "red"}))
    with pytest.raises(errors.CascadeConfigError) as caught:
        CascadeConfig.from_file(path)
    assert {"grid_size", "colour"} <= {p.field for p in caught.value.problems}


def _invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_commands_name_the_input_that_failed(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(yaml.safe_dump(example_case("hr-positive-first-line").model_dump(mode="json")))
    bad_case = tmp_path / "bad_case.yaml"
    bad_case.write_text(yaml.safe_dump({**yaml.safe_load(case.read_text()), "ecog": 8}))
    bad_uncertainty = tmp_path / "uncertainty.yaml"
    bad_uncertainty.write_text(json.dumps({"efficacy": {}, "parameters": {}}))
    spec = yaml.safe_load((TRIALS / "ascent.yaml").read_text())
    bad_spec = tmp_path / "spec.yaml"
    bad_spec.write_text(yaml.safe_dump({**spec, "patients_per_arm": 0}))
    expectations = [
        (("plan", str(bad_case)), "Invalid case", "ecog"),
        (("psa", str(bad_case)), "Invalid case", "ecog"),
        (
            ("psa", str(case), "--uncertainty", str(bad_uncertainty), "--draws", "1"),
            "Invalid uncertainty file",
            "efficacy",
        ),
        (("trial", str(bad_spec)), "Invalid trial spec", "patients_per_arm"),
        (("cohort", "--subtype", "luminal-Z"), "Invalid option", "subtype"),
        (("cohort", "--subtype", "TNBC", "--treated-from", "1850"), "Invalid option", "--treated-from"),
    ]
    for args, headline, field in expectations:
        code, stdout, stderr = _invoke(*args, "--format", "json")
        assert (code, stdout) == (2, ""), args
        assert headline in stderr, (args, stderr)
        assert field in stderr, (args, stderr)
