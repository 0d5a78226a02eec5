"""In-silico trials: the spec format, its errors, and what a run reports."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from mbctwin.course.trial import TrialReport, TrialSpec, investigational_drugs, run_trial, trial_year
from mbctwin.errors import TrialSpecError
from mbctwin.knowledge.loader import KnowledgeBase

TRIALS = Path(str(resources.files("mbctwin.course").joinpath("trials")))
SHIPPED = sorted(TRIALS.glob("*.yaml"))


def test_at_least_six_pivotal_trials_ship() -> None:
    assert len(SHIPPED) >= 6


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_specs_are_valid_and_carry_published_figures(path: Path) -> None:
    spec = TrialSpec.from_file(path)
    assert spec.published is not None
    assert spec.published.os_hr is not None


def _spec(tmp_path: Path, **changes: object) -> Path:
    raw = yaml.safe_load((TRIALS / "ascent.yaml").read_text())
    raw.update(changes)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"patients_per_arm": 0}, "patients_per_arm"),
        ({"colour": "red"}, "colour"),
        ({"arms": [{"name": "x", "drugs": ["aspirinx"]}, {"name": "y", "drugs": ["eribulin"]}]}, "arms.0.drugs"),
        ({"subsequent_therapy": "maybe"}, "subsequent_therapy"),
    ],
)
def test_bad_specs_name_the_field(tmp_path: Path, changes: dict, field: str) -> None:
    with pytest.raises(TrialSpecError) as caught:
        TrialSpec.from_file(_spec(tmp_path, **changes))
    assert field in {p.field for p in caught.value.problems}


def test_bad_template_case_is_refused_before_running(tmp_path: Path) -> None:
    raw = yaml.safe_load((TRIALS / "ascent.yaml").read_text())
    raw["population"]["case"]["ecog"] = 9
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(TrialSpecError, match=r"population\.case\.ecog"):
        TrialSpec.from_file(path)


def test_trial_run_reports_arms_hazard_ratios_and_published_figures(kb: KnowledgeBase) -> None:
    spec = TrialSpec.from_file(TRIALS / "ascent.yaml")
    report = run_trial(spec, seed=3, kb=kb)
    assert [a.name for a in report.arms] == [a.name for a in spec.arms]
    hr, low, high = report.os_hr
    assert low < hr < high < 1  # sacituzumab govitecan beats chemotherapy
    assert report.arms[0].os_median_months > report.arms[1].os_median_months
    assert report.to_dict()["published"]["os_hr"] == spec.published.os_hr
    assert run_trial(spec, seed=3, kb=kb) == report
    assert TrialReport.from_dict(report.to_dict()) == report


def test_overall_survival_is_not_read_from_the_knowledge_base(kb: KnowledgeBase, monkeypatch) -> None:
    """Removing every OS effect leaves trial OS unchanged: it emerges from the chain of lines."""
    spec = TrialSpec.from_file(TRIALS / "her2climb.yaml")
    before = run_trial(spec, seed=1, kb=kb)
    stripped_sources = {
        sid: source.model_copy(update={"effects": [e for e in source.effects if e.endpoint != "os"]})
        for sid, source in kb.sources.items()
    }
    stripped = KnowledgeBase(**{**kb.__dict__, "sources": stripped_sources})
    assert run_trial(spec, seed=1, kb=stripped).arms == before.arms


def test_investigational_agents_and_era(kb: KnowledgeBase) -> None:
    spec = TrialSpec.from_file(TRIALS / "monaleesa2.yaml")
    assert {"ribociclib", "palbociclib", "abemaciclib"} <= investigational_drugs(spec)
    assert "letrozole" not in investigational_drugs(spec)
    assert trial_year(TrialSpec.from_file(TRIALS / "her2climb.yaml"), kb) == kb.sources["her2climb"].year


def test_every_held_out_validation_spec_parses() -> None:
    """The held-out trials of benchmarks/course_validation.py stay valid specs with published figures."""
    folder = Path(__file__).resolve().parents[2] / "benchmarks" / "validation_trials"
    specs = sorted(folder.glob("*.yaml"))
    assert len(specs) >= 8
    for path in specs:
        spec = TrialSpec.from_file(path)
        assert spec.published is not None, path.name
        assert spec.published.os_median_months, path.name


def test_a_simulated_trial_reproduces_the_pfs_hazard_ratio_of_its_source(kb: KnowledgeBase) -> None:
    """HER2CLIMB's medians (7.8 vs 5.6 months) alone would imply HR 0.75 at the default shape; the
    trial-fitted shape gives back its published PFS HR of 0.54 (large arms, so sampling error is small)."""
    spec = TrialSpec.from_file(TRIALS / "her2climb.yaml")
    spec = spec.model_copy(update={"patients_per_arm": 4000, "subsequent_therapy": "none"})
    effect = next(e for e in kb.sources["her2climb"].effects if e.endpoint == "pfs")
    hr, low, high = run_trial(spec, seed=2, kb=kb).pfs_hr
    assert low <= effect.hr <= high
    assert abs(hr - effect.hr) < 0.05
