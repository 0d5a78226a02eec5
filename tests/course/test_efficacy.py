"""Regimen PFS comes from the knowledge base's trial arms, matched by drugs, subtype and line."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from mbctwin.course.efficacy import (
    INFORMATIVE_HR,
    EfficacyTable,
    arm_results,
    implied_shape,
    weibull_scale,
)
from mbctwin.course.params import CourseParams
from mbctwin.knowledge.eligibility import class_members
from mbctwin.knowledge.loader import KnowledgeBase


@pytest.fixture(scope="module")
def table(kb: KnowledgeBase) -> EfficacyTable:
    params = CourseParams.from_file()
    return EfficacyTable.for_params(kb, params)


def _arm_median(kb: KnowledgeBase, source: str, role: str, index: int = 0) -> float:
    effect = [e for e in kb.sources[source].effects if e.endpoint == "pfs"][index]
    return getattr(effect, role).median_months


def test_exact_arm_gives_the_published_median(kb: KnowledgeBase, table: EfficacyTable) -> None:
    found = table.lookup(frozenset({"tucatinib", "trastuzumab", "capecitabine"}), "HR-/HER2+", 3)
    assert found.median_months == _arm_median(kb, "her2climb", "experimental")
    assert found.sources == ("her2climb",)


def test_missing_median_follows_from_hazard_ratio(kb: KnowledgeBase) -> None:
    """MONALEESA-2's ribociclib median was not reached at the first analysis: control median x HR^(-1/k)."""
    shape = CourseParams.from_file().weibull_shape
    effect = next(e for e in kb.sources["monaleesa2"].effects if e.endpoint == "pfs")
    derived = next(a for a in arm_results(kb, shape) if a.source_id == "monaleesa2" and a.derived)
    assert derived.median_months == pytest.approx(effect.control.median_months * effect.hr ** (-1 / shape))


def test_a_reported_median_beats_one_derived_from_an_earlier_analysis(kb: KnowledgeBase, table: EfficacyTable) -> None:
    updated = [e for e in kb.sources["monaleesa2"].effects if e.endpoint == "pfs"][1]
    found = table.lookup(frozenset({"letrozole", "ribociclib"}), "HR+/HER2-", 1)
    assert found.median_months == updated.experimental.median_months


def test_a_trial_with_both_medians_and_a_hazard_ratio_fixes_its_weibull_shape(kb: KnowledgeBase) -> None:
    """Under proportional hazards HR = (m_ctrl / m_exp)^k; CLEOPATRA: 18.5 vs 12.4 months, HR 0.62."""
    effect = next(e for e in kb.sources["cleopatra"].effects if e.endpoint == "pfs")
    ratio = effect.control.median_months / effect.experimental.median_months
    k = implied_shape(effect)
    assert k == pytest.approx(math.log(effect.hr) / math.log(ratio))
    assert ratio**k == pytest.approx(effect.hr)


def test_a_near_null_trial_does_not_inform_the_shape(kb: KnowledgeBase, table: EfficacyTable) -> None:
    """PEARL (HR 1.13, medians 7.5 vs 10.0): no shape; its capecitabine uses the course default."""
    effect = next(e for e in kb.sources["pearl"].effects if e.endpoint == "pfs")
    assert implied_shape(effect) is None
    assert table.lookup(frozenset({"capecitabine"}), "HR+/HER2-", 1).shape is None


def test_an_experimental_arm_carries_its_hazard_ratio_and_a_control_arm_none(table: EfficacyTable) -> None:
    """What a regimen achieved against its trial's control (course model: carry-over to the next line)."""
    experimental = table.lookup(frozenset({"tucatinib", "trastuzumab", "capecitabine"}), "HR-/HER2+", 3)
    control = table.lookup(frozenset({"trastuzumab", "capecitabine"}), "HR-/HER2+", 3)
    unmatched = table.lookup(frozenset({"utidelone"}), "HR-/HER2+", 3)
    assert (experimental.hr_vs_control, control.hr_vs_control, unmatched.hr_vs_control) == (0.54, 1.0, 1.0)


def test_both_arms_of_a_trial_share_its_shape(table: EfficacyTable) -> None:
    experimental = table.lookup(frozenset({"tucatinib", "trastuzumab", "capecitabine"}), "HR-/HER2+", 3)
    control = table.lookup(frozenset({"trastuzumab", "capecitabine"}), "HR-/HER2+", 3)
    assert experimental.shape == control.shape
    assert experimental.shape is not None
    assert experimental.shape > 1.5  # HER2CLIMB: HR 0.54 for 7.8 vs 5.6 months


def test_ovarian_suppression_is_ignored_when_matching(table: EfficacyTable) -> None:
    plain = table.lookup(frozenset({"letrozole", "ribociclib"}), "HR+/HER2-", 1)
    with_ofs = table.lookup(frozenset({"letrozole", "ribociclib", "goserelin"}), "HR+/HER2-", 1)
    assert plain == with_ofs


def test_line_matters_for_the_same_drug(table: EfficacyTable) -> None:
    first = table.lookup(frozenset({"fulvestrant"}), "HR+/HER2-", 1).median_months
    later = table.lookup(frozenset({"fulvestrant"}), "HR+/HER2-", 3).median_months
    assert first > 2 * later


def test_subtype_of_the_trial_population_is_respected(table: EfficacyTable) -> None:
    found = table.lookup(frozenset({"paclitaxel"}), "triple-negative", 1)
    assert "keynote355" in found.sources


def test_unmatched_regimen_uses_the_cited_fallback(table: EfficacyTable) -> None:
    params = CourseParams.from_file()
    found = table.lookup(frozenset({"utidelone"}), "HR+/HER2-", 2)
    assert found.median_months == params.fallback_pfs_months["chemotherapy"][1]
    assert found.how.startswith("fallback")


def test_efficacy_reads_structured_populations_never_labels(kb: KnowledgeBase) -> None:
    """Rewording every population and arm label (here into misleading text) changes no lookup; changing the
    structured eligibility does."""

    def relabelled(source):  # type: ignore[no-untyped-def]
        effects = [
            e.model_copy(
                update={
                    "population": "triple-negative with brain metastases",
                    "experimental": e.experimental.model_copy(update={"label": "chemotherapy"}),
                }
            )
            for e in source.effects
        ]
        return source.model_copy(update={"effects": effects})

    params = CourseParams.from_file()
    reworded = replace(kb, sources={sid: relabelled(source) for sid, source in kb.sources.items()})
    before, after = EfficacyTable.for_params(kb, params), EfficacyTable.for_params(reworded, params)
    for drugs, subtype, line in [
        ({"pembrolizumab", "paclitaxel"}, "triple-negative", 1),
        ({"tucatinib", "trastuzumab", "capecitabine"}, "HR-/HER2+", 3),
        ({"ribociclib", "letrozole"}, "HR+/HER2-", 1),
    ]:
        assert after.lookup(frozenset(drugs), subtype, line) == before.lookup(frozenset(drugs), subtype, line)
    her2climb = kb.sources["her2climb"]
    unstated = [
        e.model_copy(update={"eligibility": e.eligibility.model_copy(update={"brain_metastases": None})})
        for e in her2climb.effects
    ]
    moved = replace(kb, sources={**kb.sources, "her2climb": her2climb.model_copy(update={"effects": unstated})})
    regimen = frozenset({"tucatinib", "trastuzumab", "capecitabine"})
    with_brain = before.lookup(regimen, "HR-/HER2+", 3, True)
    assert with_brain.how == "her2climb experimental arm"  # the brain-metastasis analysis alone
    assert EfficacyTable.for_params(moved, params).lookup(regimen, "HR-/HER2+", 3, True) != with_brain


def test_weibull_scale_reproduces_the_median() -> None:
    for shape in (0.8, 1.0, 1.5):
        scale = weibull_scale(12.0, shape)
        assert scale * math.log(2) ** (1 / shape) == pytest.approx(12.0)


def test_structure_parameters_cite_known_sources(kb: KnowledgeBase) -> None:
    from importlib import resources

    import yaml

    text = resources.files("mbctwin.knowledge").joinpath("data", "course", "structure.yaml").read_text()
    for name, entry in yaml.safe_load(text).items():
        assert "source" in entry or "note" in entry, name
        for source in entry.get("source", []):
            assert source in kb.sources, f"{name}: unknown source {source}"


def test_an_arm_from_another_line_is_scaled_per_line_of_distance(kb: KnowledgeBase) -> None:
    """SYSUCC-002 gave trastuzumab + vinorelbine in the first line; in the third line its median
    shrinks by the per-line ratio twice, and with a ratio of 1 it does not."""
    params = CourseParams.from_file()
    drugs = frozenset({"trastuzumab", "vinorelbine"})
    flat = EfficacyTable(kb, params.weibull_shape, params.fallback(), 1.0)
    scaled = EfficacyTable.for_params(kb, params)
    first = flat.lookup(drugs, "HR-/HER2+", 1).median_months
    assert flat.lookup(drugs, "HR-/HER2+", 3).median_months == pytest.approx(first)
    assert scaled.lookup(drugs, "HR-/HER2+", 3).median_months == pytest.approx(first * params.pfs_ratio_per_line**2)


def test_a_subtype_specific_trial_beats_a_mixed_population(table: EfficacyTable) -> None:
    """Third-line capecitabine in TNBC: ASCENT's TNBC control arm, not OlympiAD's HER2-negative one."""
    found = table.lookup(frozenset({"capecitabine"}), "triple-negative", 3)
    assert found.sources == ("ascent",)


def test_a_trial_reporting_two_analyses_votes_once(table: EfficacyTable, kb: KnowledgeBase) -> None:
    """Second-line T-DM1: DESTINY-Breast03 (two PFS analyses) and EMILIA pool as two trials."""
    found = table.lookup(frozenset({"trastuzumab_emtansine"}), "HR-/HER2+", 2)
    db03 = [e.control.median_months for e in kb.sources["destiny_breast03"].effects if e.endpoint == "pfs"]
    emilia = _arm_median(kb, "emilia", "experimental")
    assert found.median_months == pytest.approx((sum(db03) / len(db03) + emilia) / 2)


def test_an_arm_may_count_its_own_lines(table: EfficacyTable) -> None:
    """PEARL's capecitabine arm counts chemotherapy lines 1-2; its endocrine arm lines 2-3."""
    assert "pearl" in table.lookup(frozenset({"capecitabine"}), "HR+/HER2-", 1).sources
    assert "pearl" in table.lookup(frozenset({"palbociclib", "fulvestrant"}), "HR+/HER2-", 3).sources


def test_a_brain_metastasis_trial_speaks_only_for_patients_with_brain_metastases(table: EfficacyTable) -> None:
    without = table.lookup(frozenset({"trastuzumab_deruxtecan"}), "HR-/HER2+", 2, False)
    with_brain = table.lookup(frozenset({"trastuzumab_deruxtecan"}), "HR-/HER2+", 2, True)
    assert "destiny_breast12" not in without.sources
    assert "destiny_breast03" in without.sources
    assert with_brain.sources == ("destiny_breast12",)


def test_an_uncertain_hazard_ratio_does_not_inform_the_shape(kb: KnowledgeBase) -> None:
    """EMBRACE's PFS HR 0.87 has a 95 % CI reaching 1 (0.71-1.05): too uncertain to fix a shape."""
    effect = next(e for e in kb.sources["embrace"].effects if e.endpoint == "pfs")
    assert effect.hr < INFORMATIVE_HR
    assert effect.hr_ci95[1] >= 1
    assert implied_shape(effect) is None


def test_brain_metastasis_patients_get_the_brain_metastasis_analysis_first(table: EfficacyTable) -> None:
    """HER2CLIMB reports its brain-metastasis patients apart (7.6 vs 5.4 months, HR 0.48)."""
    drugs = frozenset({"tucatinib", "trastuzumab", "capecitabine"})
    assert table.lookup(drugs, "HR-/HER2+", 3, True).median_months == 7.6
    assert table.lookup(drugs, "HR-/HER2+", 3, False).median_months == 7.8


def test_a_preferred_source_gives_the_median_when_it_fits(table: EfficacyTable) -> None:
    """An in-silico PALOMA-3 starts from PALOMA-3's own arms, not from PEARL's narrower-line palbociclib arm."""
    drugs = frozenset({"palbociclib", "fulvestrant"})
    plain = table.lookup(drugs, "HR+/HER2-", 2)
    own = table.lookup(drugs, "HR+/HER2-", 2, False, frozenset({"paloma3"}))
    assert plain.sources == ("pearl",)
    assert own.sources == ("paloma3",)
    assert own.median_months == 9.5
    assert table.lookup(frozenset({"fulvestrant"}), "HR+/HER2-", 2, False, frozenset({"paloma3"})).median_months == 4.6
    unrelated = table.lookup(drugs, "HR+/HER2-", 2, False, frozenset({"cleopatra"}))
    assert unrelated == plain  # a preferred report without these drugs changes nothing


def test_a_trials_own_choice_arm_matches_each_of_its_regimens(table: EfficacyTable) -> None:
    """MONALEESA-7's arms list "tamoxifen or NSAI + goserelin": for the trial itself, letrozole + goserelin
    is one of them (13.0 months); for other patients the class rule keeps it from matching letrozole alone."""
    own = frozenset({"monaleesa7"})
    control = table.lookup(frozenset({"letrozole", "goserelin"}), "HR+/HER2-", 1, False, own)
    experimental = table.lookup(frozenset({"ribociclib", "letrozole", "goserelin"}), "HR+/HER2-", 1, False, own)
    assert (control.sources, control.median_months) == (("monaleesa7",), 13.0)
    assert (experimental.sources, experimental.median_months) == (("monaleesa7",), 23.8)
    assert "monaleesa7" not in table.lookup(frozenset({"letrozole", "goserelin"}), "HR+/HER2-", 1).sources


def test_a_biomarker_selected_trial_speaks_only_for_carriers(table: EfficacyTable) -> None:
    """KEYNOTE-158 enrolled MSI-high tumours only: its pembrolizumab arm serves a patient whose case records
    MSI-high, and nobody else (an untested marker counts as absent)."""
    pembrolizumab = frozenset({"pembrolizumab"})
    carrier = table.lookup(pembrolizumab, "triple-negative", 2, altered=frozenset({"msi_high"}))
    assert carrier.sources == ("keynote158_msi",)
    assert "keynote158_msi" not in table.lookup(pembrolizumab, "triple-negative", 2).sources


def test_an_arm_that_adds_a_partner_is_not_its_fixed_drugs_alone(table: EfficacyTable) -> None:
    """KEYNOTE-355's and ASCENT-04's arms gave pembrolizumab with chemotherapy (listed, and unlisted): neither
    stands for pembrolizumab alone, while pembrolizumab with a listed partner still takes KEYNOTE-355."""
    alone = table.lookup(frozenset({"pembrolizumab"}), "triple-negative", 1)
    assert not {"keynote355", "ascent04"} & set(alone.sources)
    assert "keynote355" in table.lookup(frozenset({"pembrolizumab", "paclitaxel"}), "triple-negative", 1).sources


@pytest.mark.parametrize(("subtype", "line"), [("triple-negative", 2), ("triple-negative", 4), ("HR+/HER2-", 2)])
def test_a_targeted_drug_without_a_trial_is_credited_single_agent_chemotherapy(
    kb: KnowledgeBase, table: EfficacyTable, subtype: str, line: int
) -> None:
    """A checkpoint inhibitor alone with no arm for the patient takes the best-fitting single-agent
    chemotherapy arm of her population and line, never the endocrine ``other`` fallback."""
    found = table.lookup(frozenset({"pembrolizumab"}), subtype, line)
    assert not found.how.startswith("fallback")
    chemotherapy = class_members("chemotherapy")
    supporting = [a for a in arm_results(kb, 1.0) if a.source_id in found.sources and a.how in found.how]
    assert supporting
    for arm in supporting:
        assert (arm.drugs or frozenset().union(*arm.partners)) <= chemotherapy
