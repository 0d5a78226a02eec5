"""Virtual cohorts (``mbc cohort``): cited definitions, drawing, reproducibility, site calibration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from mbctwin.case.derived import Derived
from mbctwin.case.models import SITES
from mbctwin.course.cohort import EFFICACY_SUBTYPE
from mbctwin.course.params import SUBTYPES
from mbctwin.course.populations import (
    CohortDefinitions,
    SiteTargets,
    build_cohort,
    de_novo_percent,
    run_cohort,
)
from mbctwin.course.result import SUMMARY_SITES
from mbctwin.errors import OptionError, PopulationError
from mbctwin.knowledge.loader import KnowledgeBase

PACKAGED = Path(__file__).resolve().parents[2] / "src/mbctwin/knowledge/data/course"


@pytest.fixture(scope="module")
def definitions() -> CohortDefinitions:
    return CohortDefinitions.from_file()


@pytest.fixture(scope="module")
def targets() -> SiteTargets:
    """The project's own shipped table (not the shared spec)."""
    return SiteTargets.from_file()


def test_every_figure_cites_a_knowledge_base_source(
    definitions: CohortDefinitions, targets: SiteTargets, kb: KnowledgeBase
) -> None:
    cited = definitions.source_ids() | {targets.source}
    assert cited - set(kb.sources) == set()
    assert "kaplan2016_relapse_sites" in cited


def test_templates_are_valid_cases_of_their_subtype(definitions: CohortDefinitions) -> None:
    assert set(definitions.subtypes) == set(SUBTYPES)
    for name in SUBTYPES:
        derived = Derived.of(definitions.template(name)).subtype
        assert EFFICACY_SUBTYPE.get(derived, derived) == name


@pytest.mark.parametrize(
    ("alias", "name"),
    [("tnbc", "triple-negative"), ("HR-/HER2 unknown", "triple-negative"), ("hr+/her2-", "HR+/HER2-")],
)
def test_subtype_names_and_aliases(definitions: CohortDefinitions, alias: str, name: str) -> None:
    assert definitions.resolve(alias) == name


def test_unknown_subtype_and_presentation_name_the_option() -> None:
    with pytest.raises(OptionError) as subtype_error:
        build_cohort("luminal-Z", "any", 10, 1)
    assert subtype_error.value.problems[0].field == "subtype"
    assert "triple-negative" in subtype_error.value.problems[0].message
    with pytest.raises(OptionError) as presentation_error:
        build_cohort("HR+/HER2-", "relapsed", 10, 1)
    assert presentation_error.value.problems[0].field == "presentation"
    assert "de_novo" in presentation_error.value.problems[0].message


def test_a_bad_definition_file_names_the_field(tmp_path: Path) -> None:
    raw = yaml.safe_load((PACKAGED / "cohorts.yaml").read_text())
    raw["subtypes"]["HR+/HER2-"]["age"]["mean"] = 7
    raw["subtypes"]["triple-negative"]["template"]["ecog"] = 9
    path = tmp_path / "cohorts.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(PopulationError) as error:
        CohortDefinitions.from_file(path)
    assert "subtypes.HR+/HER2-.age.mean" in str(error.value)
    raw["subtypes"]["HR+/HER2-"]["age"]["mean"] = 66
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(PopulationError, match=r"subtypes\.triple-negative\.template\.ecog"):
        CohortDefinitions.from_file(path)


def test_recurrent_start_sites_are_the_target_centre_times_the_first_site_ratio(
    definitions: CohortDefinitions, targets: SiteTargets
) -> None:
    """The derivation written in cohorts.yaml holds for the numbers shipped beside it."""
    ratio = definitions.shared.recurrent_first_over_ever.p
    for name in SUBTYPES:
        bands = targets.bands(name)
        shipped = definitions.subtypes[name].sites.recurrent.p
        for site in SUMMARY_SITES:
            assert shipped[site] == pytest.approx(bands[site].centre / 100 * ratio[site], abs=0.0011)


def test_presentation_sets_the_de_novo_share(definitions: CohortDefinitions) -> None:
    for name in SUBTYPES:
        published = definitions.subtypes[name].de_novo_share.value * 100
        assert de_novo_percent(build_cohort(name, "any", 4000, 3)) == pytest.approx(published, abs=2.5)
        assert de_novo_percent(build_cohort(name, "de_novo", 200, 3)) == 100.0
        assert de_novo_percent(build_cohort(name, "recurrent", 200, 3)) == 0.0


def test_drawn_patients_follow_the_definition(definitions: CohortDefinitions) -> None:
    spec, shared = definitions.subtypes["HR+/HER2-"], definitions.shared
    cohort = build_cohort("HR+/HER2-", "de_novo", 6000, 5, definitions)
    assert cohort.age.mean() == pytest.approx(spec.age.mean, abs=0.6)
    assert np.bincount(cohort.ecog, minlength=3)[2] / cohort.size == pytest.approx(shared.ecog.p[2], abs=0.015)
    bone = cohort.sites[:, SITES.index("bone")].mean()
    assert bone == pytest.approx(spec.sites.de_novo.p["bone"], abs=0.02)
    assert cohort.sites.any(axis=1).all()  # the fallback site: nobody starts without disease
    status = np.array([t.menopausal_status for t in cohort.templates])[cohort.template]
    assert (status == "pre").mean() == pytest.approx(spec.premenopausal_share.value, abs=0.02)
    assert cohort.age[status == "pre"].max() <= cohort.age[status == "post"].min()
    her2 = np.array([t.tumor.her2_ihc for t in cohort.templates])[cohort.template]
    assert (her2 == "1+").mean() == pytest.approx(spec.her2_low_share.value, abs=0.02)
    assert {Derived.of(t).subtype for t in cohort.templates} == {"HR+/HER2-"}


def test_same_seed_same_cohort_and_summary() -> None:
    first = build_cohort("HR-/HER2+", "any", 500, 9)
    again = build_cohort("HR-/HER2+", "any", 500, 9)
    assert np.array_equal(first.sites, again.sites)
    assert np.array_equal(first.age, again.age)
    assert first.templates == again.templates
    summary = run_cohort("HR-/HER2+", presentation="any", patients=200, seed=4, years=5).to_dict()
    assert summary == run_cohort("HR-/HER2+", presentation="any", patients=200, seed=4, years=5).to_dict()
    assert summary["subtype"] == "HR-/HER2+"
    assert summary["presentation"] == "any"
    assert set(summary["site_ever_percent"]) == {"bone", "liver", "lung", "brain"}
    assert summary["qalys_mean"] > 0
    other = run_cohort("HR-/HER2+", presentation="any", patients=200, seed=5, years=5).to_dict()
    assert other["site_ever_percent"] != summary["site_ever_percent"]


@pytest.mark.parametrize("subtype", SUBTYPES)
def test_recurrent_cohort_meets_the_published_site_targets(
    subtype: str, targets: SiteTargets, kb: KnowledgeBase
) -> None:
    """Course targets §3: site_ever_percent within ±8 points of Kaplan 2016, read from the shipped
    site_targets.yaml. 1,200 patients: a binomial SE of at most 1.5 points against an 8-point band."""
    run = run_cohort(subtype, "recurrent", patients=1200, seed=2, kb=kb)
    measured = run.result.site_ever_percent()
    for site, band in targets.bands(subtype).items():
        assert band.contains(measured[site]), f"{subtype} {site}: {measured[site]} outside {band.low}-{band.high}"
