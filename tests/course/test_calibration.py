"""Calibration: the tolerance checks on synthetic figures, the runner on small trials, the HTML report.

Whether the model meets the targets is not asserted here (that belongs to the calibration of the
model itself); these tests check that the comparison and the report are right.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mbctwin.course.calibration import (
    CalibrationResult,
    ReplicatedTarget,
    SiteCalibration,
    TrialCalibration,
    calibrate,
    check_hazard_ratio,
    check_median,
    check_site,
    check_trial,
    replicated_targets,
    shipped_trials,
)
from mbctwin.course.populations import SiteTargets, run_cohort
from mbctwin.course.trial import ArmOutcomes, ArmSummary, Published, TrialReport, TrialSpec, run_trial
from mbctwin.knowledge.loader import KnowledgeBase
from mbctwin.report.calibration import render_calibration_html, write_calibration_report

TRIALS = {path.stem: path for path in shipped_trials()}


# --- tolerance checks on synthetic inputs -------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "passed"),
    [(50.0, True), (57.4, True), (42.6, True), (57.6, False), (42.4, False), (None, False)],
)
def test_median_within_fifteen_percent(model: float | None, passed: bool) -> None:
    check = check_median(model, 50.0, "T", "arm")
    assert check.passed is passed
    assert check.accepted == pytest.approx((42.5, 57.5))
    assert check.kind == "os_median"
    if model is not None:
        assert check.deviation == pytest.approx((model - 50) / 50)


def test_median_exactly_on_the_edge_passes() -> None:
    assert check_median(57.5, 50.0).passed
    assert check_median(42.5, 50.0).passed


@pytest.mark.parametrize(
    ("model", "passed", "why"),
    [
        ((0.70, 0.55, 0.90), True, "published inside CI, |diff| 0.06"),
        ((0.70, 0.55, 0.74), False, "CI does not contain 0.76"),
        ((0.95, 0.80, 1.10), False, "CI does not contain 0.76"),
        ((0.62, 0.40, 0.95), False, "CI contains 0.76 but |diff| 0.14 > 0.12"),
        ((0.89, 0.60, 1.30), False, "CI contains 0.76 but |diff| 0.13 > 0.12"),
        ((0.88, 0.60, 1.30), True, "|diff| exactly 0.12"),
    ],
)
def test_hazard_ratio_rule(model: tuple[float, float, float], passed: bool, why: str) -> None:
    check = check_hazard_ratio(model, 0.76, "T")
    assert check.passed is passed, why
    assert check.model_ci == model[1:]
    assert check.deviation == pytest.approx(model[0] - 0.76)


def test_site_point_and_band_targets() -> None:
    assert check_site(45.0, 38.9).passed
    assert not check_site(47.0, 38.9).passed  # 8.1 points above
    assert not check_site(30.0, 38.9).passed
    band = (53.9, 66.2)  # luminal B .. luminal A
    assert check_site(60.0, band).deviation == 0.0
    assert check_site(47.0, band).passed  # 6.9 below the band
    assert check_site(74.0, band).passed
    assert not check_site(75.0, band).passed
    assert check_site(75.0, (66.2, 53.9)).deviation == pytest.approx(75.0 - 66.2)  # order of the band is free
    assert check_site(60.0, band).accepted == pytest.approx((45.9, 74.2))


def _report(
    medians: list[float | None],
    hr: list[float],
    published: dict | None,
    name: str = "SYNTH",
    arms: tuple[ArmOutcomes, ...] = (),
) -> TrialReport:
    names = [arm.name for arm in arms] or [f"arm {i}" for i in range(len(medians))]
    summaries = tuple(ArmSummary(n, 10, None, m) for n, m in zip(names, medians, strict=True))
    stated = None if published is None else Published.model_validate(published)
    return TrialReport(name, summaries, (1.0, 1.0, 1.0), (hr[0], hr[1], hr[2]), stated, outcomes=arms)


def test_check_trial_reads_the_published_block() -> None:
    published = {"os_median_months": [20.0, 15.0], "os_hr": 0.7}
    checks = check_trial(_report([21.0, 18.0], [0.72, 0.55, 0.9], published))
    assert [(c.kind, c.item, c.passed) for c in checks] == [
        ("os_median", "arm 0", True),
        ("os_median", "arm 1", False),  # +20 %
        ("os_hr", "OS HR", True),
    ]
    assert all(c.group == "SYNTH" for c in checks)


def test_check_trial_skips_targets_that_were_not_published() -> None:
    checks = check_trial(_report([21.0, None], [0.72, 0.55, 0.9], {"os_median_months": [20.0, None]}))
    assert [c.kind for c in checks] == ["os_median"]
    assert check_trial(_report([21.0, 18.0], [0.72, 0.55, 0.9], None)) == []


def test_not_reached_median_fails_with_no_deviation() -> None:
    (check, _) = check_trial(_report([None, 15.0], [0.5, 0.3, 0.8], {"os_median_months": [20.0, 15.0]}))
    assert not check.passed
    assert check.deviation is None


# --- a synthetic result for the report --------------------------------------------------------


def _arm(name: str, scale: float, rng: np.random.Generator) -> ArmOutcomes:
    times = rng.exponential(scale, 80)
    events = times < 60
    pfs = times * 0.4
    return ArmOutcomes(name, np.minimum(times, 60), events, pfs, np.ones(80, bool))


def _synthetic() -> CalibrationResult:
    rng = np.random.default_rng(0)
    trials = []
    for name, published, simulated, hr in (
        ("ALPHA", [30.0, 20.0], [31.0, 26.0], (0.66, 0.5, 0.9)),
        ("BETA", [12.0, 7.0], [12.5, 7.2], (0.5, 0.35, 0.7)),
    ):
        arms = (_arm("experimental", simulated[0] / np.log(2), rng), _arm("control", simulated[1] / np.log(2), rng))
        report = _report(simulated, list(hr), {"os_median_months": published, "os_hr": hr[0] + 0.02}, name, arms)
        trials.append(TrialCalibration(name, name.lower(), 7, 80, report, tuple(check_trial(report)), "paper"))
    sites = []
    for subtype, targets, simulated in (
        ("HR+/HER2-", {"bone": (53.9, 66.2), "brain": (10.1, 15.1)}, {"bone": 58.0, "brain": 30.0}),
        ("triple-negative", {"bone": 45.1, "brain": 23.1}, {"bone": 40.0, "brain": 20.0}),
    ):
        checks = tuple(check_site(simulated[s], t, subtype, s) for s, t in targets.items())
        sites.append(SiteCalibration(subtype, "recurrent", 500, 3, simulated, checks))
    return CalibrationResult("0.0.test", "kb-test", 1, 0.5, "2025-01-01 00:00 UTC", tuple(trials), tuple(sites))


def test_result_counts_and_json() -> None:
    result = _synthetic()
    counts = result.counts()
    assert counts["targets"] == 10
    assert counts["targets_met"] == 8  # ALPHA control +30 %, HR+/HER2- brain 14.9 points above the band
    assert counts["trials"] == 2
    assert counts["trials_met"] == 1
    assert counts["subtypes_met"] == 1
    assert {(c.group, c.item) for c in result.missed} == {("ALPHA", "control"), ("HR+/HER2-", "brain")}
    data = json.loads(json.dumps(result.to_dict()))
    assert data["counts"] == counts
    assert len(data["targets"]) == 10
    assert data["targets"][0]["passed"] is True
    assert data["tolerances"] == {"os_median_relative": 0.15, "os_hr_absolute": 0.12, "site_percent_points": 8.0}


class _Page(HTMLParser):
    """Collects tags, images, the targets table's rows and every external reference."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.images: list[str] = []
        self.svgs = 0
        self.rows = 0
        self.in_targets = False
        self.external: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag not in {"meta", "img", "br", "link"}:
            self.stack.append(tag)
        if tag == "img":
            self.images.append(found.get("src", ""))
        if tag == "svg":
            self.svgs += 1
        if tag == "table" and found.get("id") == "targets":
            self.in_targets = True
        if tag == "tr" and self.in_targets and "thead" not in self.stack:
            self.rows += 1
        for key in ("src", "href"):
            if key in found and not str(found[key]).startswith(("data:", "#")):
                self.external.append(found[key])

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1:] == [tag], f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()
        if tag == "table":
            self.in_targets = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_report_is_one_self_contained_html_file_with_every_plot_and_the_table(tmp_path: Path) -> None:
    result = _synthetic()
    path = write_calibration_report(result, tmp_path / "out" / "calibration.html")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    page = _Page()
    page.feed(html)
    page.close()
    assert page.stack == []  # every element closed, properly nested
    assert len(page.images) == 4  # medians, forest, Kaplan-Meier, sites
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    assert page.external == []
    assert page.rows == result.total
    text = " ".join(" ".join(page.text).split())
    assert "8 of 10 targets met" in text
    assert text.count("✗ missed") == 2
    assert "not a substitute for a multidisciplinary tumour board" in text
    for what_was_run in ("seed 1", "scale 0.5", "mbctwin 0.0.test", "2025-01-01 00:00 UTC"):
        assert what_was_run in text


def test_report_without_sites_leaves_out_the_site_plot() -> None:
    result = _synthetic()
    result = CalibrationResult(
        result.version, result.knowledge_base_version, 1, 1.0, result.date, result.trials, sites=()
    )
    page = _Page()
    page.feed(render_calibration_html(result))
    assert len(page.images) == 3


# --- the runner on small real trials ------------------------------------------------------------


def test_runner_on_one_small_trial_reproduces_run_trial(kb: KnowledgeBase) -> None:
    result = calibrate(scale=0.15, seed=5, kb=kb, specs=[TRIALS["ascent"]], sites=False)
    (trial,) = result.trials
    spec = TrialSpec.from_file(TRIALS["ascent"])
    assert trial.name == spec.name
    assert trial.patients_per_arm == round(spec.patients_per_arm * 0.15)
    assert [c.kind for c in trial.checks] == ["os_median", "os_median", "os_hr"]
    assert [c.published for c in trial.checks] == [*spec.published.os_median_months, spec.published.os_hr]
    expected_seed = int(np.random.SeedSequence(5).spawn(2)[0].spawn(1)[0].generate_state(1)[0])
    assert trial.seed == expected_seed
    small = spec.model_copy(update={"patients_per_arm": trial.patients_per_arm})
    assert run_trial(small, seed=trial.seed, kb=kb) == trial.report  # the stated seed repeats the run
    assert [a.os_months.size for a in trial.report.outcomes] == [trial.patients_per_arm] * 2
    assert (result.seed, result.scale, result.knowledge_base_version) == (5, 0.15, kb.version)


def test_trials_get_different_child_seeds_and_same_seed_same_result(kb: KnowledgeBase) -> None:
    specs = [TRIALS["her2climb"], TRIALS["keynote355"]]
    first = calibrate(scale=0.1, seed=2, kb=kb, specs=specs, sites=False)
    again = calibrate(scale=0.1, seed=2, kb=kb, specs=specs, sites=False)
    assert len({t.seed for t in first.trials}) == 2
    assert [t.report for t in first.trials] == [t.report for t in again.trials]
    assert first.checks == again.checks


def test_a_trial_report_keeps_the_outcomes_its_medians_come_from(kb: KnowledgeBase, tmp_path: Path) -> None:
    spec = TrialSpec.from_file(TRIALS["ascent"])
    spec = spec.model_copy(update={"patients_per_arm": 30})
    report = run_trial(spec, seed=4, kb=kb)
    arms = report.outcomes
    assert [a.name for a in arms] == [a.name for a in spec.arms]
    from mbctwin.course import survival

    for arm, summary in zip(arms, report.arms, strict=True):
        assert arm.os_months.shape == arm.os_event.shape == arm.pfs_months.shape == (30,)
        assert round(survival.km_median(arm.os_months, arm.os_event)[0], 1) == summary.os_median_months
    assert list(report.summary["os_median_months"]) == [a.os_median_months for a in report.arms]
    saved = {p.name for p in report.save(tmp_path)}
    assert saved == {"summary.json", "patients.parquet", "km.png"}
    assert TrialReport.from_dict(json.loads((tmp_path / "summary.json").read_text())) == report
    assert len(pd.read_parquet(tmp_path / "patients.parquet")) == 60


def test_site_cohort_is_held_to_the_published_table(kb: KnowledgeBase) -> None:
    result = calibrate(scale=0.05, seed=4, kb=kb, specs=[], sites=["HR+/HER2-"])
    assert result.trials == ()
    (cohort,) = result.sites
    assert (cohort.patients, cohort.presentation) == (100, "recurrent")
    targets = SiteTargets.from_file()
    assert {c.item: c.published for c in cohort.checks} == targets.published()["HR+/HER2-"]
    assert isinstance(cohort.checks[0].published, tuple)  # the luminal A - luminal B band
    assert {c.tolerance for c in cohort.checks} == {f"±{targets.tolerance_points:g} points"}
    summary = run_cohort("HR+/HER2-", presentation="recurrent", patients=100, seed=cohort.seed, kb=kb).to_dict()
    assert cohort.site_ever_percent == summary["site_ever_percent"]
    assert [c.passed for c in cohort.checks] == [
        check_site(summary["site_ever_percent"][c.item], c.published).passed for c in cohort.checks
    ]


def _synthetic_run(exp: float | None, ctrl: float, hr: tuple[float, float, float]) -> TrialCalibration:
    report = _report([exp, ctrl], list(hr), {"os_median_months": [20.0, 10.0], "os_hr": 0.5})
    return TrialCalibration("SYNTH", "synth", 1, 10, report, tuple(check_trial(report)))


def test_replicated_targets_judge_the_mean_and_count_the_runs() -> None:
    runs = [
        _synthetic_run(24.0, 10.0, (0.45, 0.30, 0.62)),  # experimental +20 %: missed on its own
        _synthetic_run(18.0, 12.0, (0.70, 0.55, 0.90)),  # control +20 %, HR 0.70: both missed
        _synthetic_run(21.0, 9.0, (0.50, 0.40, 0.65)),
    ]
    exp, ctrl, hr = replicated_targets(runs)
    assert isinstance(exp, ReplicatedTarget)
    assert (exp.runs, exp.runs_met, exp.check.model, exp.check.passed) == (3, 2, 21.0, True)
    assert (ctrl.runs_met, ctrl.check.model) == (2, pytest.approx(31 / 3))
    assert ctrl.check.passed  # mean 10.33: +3 %
    assert hr.runs_met == 2
    assert hr.check.model == pytest.approx(0.55)
    assert hr.check.model_ci == (pytest.approx(0.4167, abs=1e-3), pytest.approx(0.7233, abs=1e-3))
    assert hr.check.passed
    far = replicated_targets([_synthetic_run(20.0, 10.0, (0.70, 0.60, 0.80))] * 2)[2]
    assert (far.runs_met, far.check.passed) == (0, False)
    unreached = replicated_targets([_synthetic_run(None, 10.0, (0.5, 0.4, 0.6)), runs[2]])[0]
    assert unreached.check.model is None
    assert not unreached.check.passed


def test_replicates_keep_the_headline_run_and_add_seeded_runs(kb: KnowledgeBase) -> None:
    spec = [TRIALS["ascent"]]
    single = calibrate(scale=0.1, seed=3, kb=kb, specs=spec, sites=False)
    result = calibrate(scale=0.1, seed=3, kb=kb, specs=spec, sites=False, replicates=3)
    assert result.trials[0].report == single.trials[0].report  # the headline run does not move
    assert single.replicated() == []
    assert single.runs_per_trial == 1
    assert result.runs_per_trial == 3
    assert len({r.seed for r in (*result.trials, *result.replicates)}) == 3
    assert [r.replicate for r in result.replicates] == [1, 2]
    assert all(
        r.report.outcomes == () for r in result.replicates
    )  # survival curves are drawn from the headline run only
    targets = result.replicated()
    assert [t.check.item for t in targets] == [c.item for c in result.trials[0].checks]
    runs = [result.trials[0], *result.replicates]
    medians = [run.report.arms[0].os_median_months for run in runs]
    if None not in medians:
        assert targets[0].check.model == pytest.approx(np.mean(medians))
    assert targets[2].runs_met == sum(run.checks[2].passed for run in runs)
    assert result.counts()["expected_trial_targets_met"] == sum(t.check.passed for t in targets)
    again = calibrate(scale=0.1, seed=3, kb=kb, specs=spec, sites=False, replicates=3)
    assert [r.report for r in again.replicates] == [r.report for r in result.replicates]
    html = render_calibration_html(result)
    calendar = result.trials[0].report.calendar
    assert calendar is not None
    assert f"{calendar.entry_years[0]}\u2013{calendar.entry_years[1]}; {calendar.cutoff_year};" in html
    assert 'id="replicated"' in html
    assert "Over 3 runs per trial" in html
    assert 'id="replicated"' not in render_calibration_html(single)
    assert len(result.to_dict()["replicated_targets"]) == 3


def test_bad_arguments_are_refused(kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="scale"):
        calibrate(scale=0, kb=kb, sites=False)
    with pytest.raises(ValueError, match="replicates"):
        calibrate(kb=kb, specs=[], sites=False, replicates=0)
    with pytest.raises(ValueError, match="no site targets"):
        calibrate(kb=kb, specs=[], sites=["luminal C"])
