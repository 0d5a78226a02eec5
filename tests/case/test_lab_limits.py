"""Lab hard limits: impossible values are errors naming the field; implausible ones pass (plan warns)."""

from __future__ import annotations

import pytest

from mbctwin.errors import CaseError
from tests.conftest import case_with


@pytest.mark.parametrize(
    ("lab", "value"),
    [
        ("bilirubin_x_uln", 0),
        ("bilirubin_x_uln", 150),
        ("alt_x_uln", -1),
        ("creatinine_clearance_ml_min", 400),
        ("lvef_percent", 2),
        ("lvef_percent", 95),
        ("neutrophils_10e9_l", 250),
        ("hba1c_percent", 30),
    ],
)
def test_impossible_lab_values_are_errors_naming_the_field(lab: str, value: float) -> None:
    with pytest.raises(CaseError) as error:
        case_with(labs={lab: value})
    assert {p.field for p in error.value.problems} == {f"labs.{lab}"}


@pytest.mark.parametrize(
    ("lab", "value"),
    [("bilirubin_x_uln", 40), ("lvef_percent", 15), ("neutrophils_10e9_l", 0.2), ("alt_x_uln", 80)],
)
def test_implausible_but_possible_values_are_accepted(lab: str, value: float) -> None:
    assert getattr(case_with(labs={lab: value}).labs, lab) == value
