"""Cost accrual on fixed regimen schedules, price-set validation, and `mbc cea` end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from mbctwin.cli import app
from mbctwin.course.costs import DAYS_PER_MONTH, BodySizes, Rates, accrue
from mbctwin.course.params import CourseParams
from mbctwin.course.policy import Policy, parse_policy
from mbctwin.course.prices import PriceSet
from mbctwin.course.result import BEST_SUPPORTIVE_CARE, CourseResult
from mbctwin.errors import PriceFileError

CASE = Path(__file__).parents[2] / "src/mbctwin/case/examples/hr-positive-first-line.yaml"


@dataclass(frozen=True)
class Dose:
    amount: float
    basis: str
    route: str
    days: tuple[int, ...]
    times_per_day: int = 1
    max_mg: float | None = None

    @property
    def day_numbers(self) -> tuple[int, ...]:
        return self.days


@dataclass(frozen=True)
class Schedule:
    cycle_days: int
    doses: list[Dose]
    first_cycle: list[Dose] | None = None


@dataclass
class Book:
    schedules: dict[str, Schedule] = field(default_factory=dict)

    def __call__(self, drugs: tuple[str, ...], drug: str) -> Schedule | None:
        return self.schedules.get(drug)


def _prices(**changes: object) -> PriceSet:
    raw = yaml.safe_load(PriceSet.from_file().model_dump_json())
    raw["packs"] = [
        {
            "drug": "trastuzumab_deruxtecan",
            "units": 1,
            "strength_mg": 100,
            "price": 1000.0,
            "source": "ncc_2023_24",
            "locator": "test",
        },
        {
            "drug": "letrozole",
            "units": 28,
            "strength_mg": 2.5,
            "price": 28.0,
            "source": "ncc_2023_24",
            "locator": "test",
        },
    ]
    raw.update(changes)
    return PriceSet.from_dict(raw)


def _result(rows: list[tuple[int, str, float, float, str]], os_months: list[float], died: list[bool]) -> CourseResult:
    lines = pd.DataFrame(rows, columns=["patient", "regimen", "start_months", "stop_months", "event"])
    lines["line"] = 1
    patients = pd.DataFrame({"patient": range(len(os_months)), "os_months": os_months, "died": died, "qalys": 0.0})
    return CourseResult(patients, lines, 10.0, "test")


def _months(days: float) -> float:
    return days / DAYS_PER_MONTH


def test_a_weight_based_infusion_every_21_days_costs_whole_vials_per_cycle_started():
    prices = _prices()
    book = Book({"trastuzumab_deruxtecan": Schedule(21, [Dose(5.4, "per_kg", "iv", (1,))])})
    bodies = BodySizes(np.array([1.7]), np.array([70.0]))  # 378 mg: 4 vials of 100 mg
    result = _result([(0, "trastuzumab_deruxtecan", 0.0, _months(63.0), "progression")], [_months(63.0)], [False])
    costed = accrue(result, prices, CourseParams.from_file().utilities, bodies, book, Rates(0.0, 0.0))
    row = costed.patients.iloc[0]
    assert row["costs_drugs_undiscounted"] == pytest.approx(3 * 4 * 1000.0)  # days 0, 21, 42 before day 63
    first = prices.total(prices.administration.parenteral_first_single)
    assert row["costs_administration_undiscounted"] == pytest.approx(3 * first)
    monitoring = 3 * prices.total(prices.monitoring.per_cycle) + _months(63.0) * prices.total(
        prices.monitoring.per_month
    )
    assert row["costs_monitoring_undiscounted"] == pytest.approx(monitoring)


def test_a_labels_cap_limits_each_administration():
    prices = _prices(vial_sharing=True)
    capped = Schedule(21, [Dose(6.0, "per_kg", "iv", (1,), max_mg=300.0)])
    bodies = BodySizes(np.array([1.7, 1.7]), np.array([40.0, 90.0]))  # 240 mg, and 540 mg capped at 300 mg
    rows = [
        (0, "trastuzumab_deruxtecan", 0.0, _months(20.0), "death"),
        (1, "trastuzumab_deruxtecan", 0.0, _months(20.0), "death"),
    ]
    result = _result(rows, [_months(20.0)] * 2, [True, True])
    book = Book({"trastuzumab_deruxtecan": capped})
    costed = accrue(result, prices, CourseParams.from_file().utilities, bodies, book, Rates(0.0, 0.0))
    assert costed.patients["costs_drugs_undiscounted"].tolist() == pytest.approx([240.0 * 10.0, 300.0 * 10.0])


def test_the_knowledge_bases_dose_data_price_a_cycle_of_ribociclib_and_letrozole_at_list_price():
    from mbctwin.course.cea import knowledge_schedules
    from mbctwin.knowledge.loader import load_kb

    prices = PriceSet.from_file()
    bodies = BodySizes(np.array([1.7]), np.array([70.0]))
    result = _result([(0, "letrozole + ribociclib", 0.0, _months(28.0), "progression")], [_months(40.0)], [False])
    costed = accrue(result, prices, CourseParams.from_file().utilities, bodies, knowledge_schedules(load_kb()))
    ribociclib = next(p for p in prices.packs if p.drug == "ribociclib")  # 63 x 200 mg: 21 days at 600 mg
    letrozole = next(p for p in prices.packs if p.drug == "letrozole")  # 28 x 2.5 mg
    assert costed.unpriced == {}
    assert costed.patients.iloc[0]["costs_drugs_undiscounted"] == pytest.approx(ribociclib.price + letrozole.price)


def test_vial_sharing_charges_the_milligrams_given():
    prices = _prices(vial_sharing=True)
    book = Book({"trastuzumab_deruxtecan": Schedule(21, [Dose(5.4, "per_kg", "iv", (1,))])})
    bodies = BodySizes(np.array([1.7]), np.array([70.0]))
    result = _result([(0, "trastuzumab_deruxtecan", 0.0, _months(20.0), "death")], [_months(20.0)], [True])
    costed = accrue(result, prices, CourseParams.from_file().utilities, bodies, book, Rates(0.0, 0.0))
    assert costed.patients.iloc[0]["costs_drugs_undiscounted"] == pytest.approx(378.0 * 10.0)


def test_a_daily_oral_drug_costs_each_day_on_treatment_and_discounting_lowers_it():
    prices = _prices()
    book = Book({"letrozole": Schedule(28, [Dose(2.5, "flat", "oral", tuple(range(1, 29)))])})
    bodies = BodySizes(np.array([1.7, 1.7]), np.array([70.0, 70.0]))
    stop = _months(100.0)
    rows = [(0, "letrozole", 0.0, stop, "progression"), (1, "letrozole", 12.0, 12.0 + stop, "progression")]
    result = _result(rows, [stop, 12.0 + stop], [False, False])
    undiscounted = accrue(result, prices, CourseParams.from_file().utilities, bodies, book, Rates(0.0, 0.0))
    discounted = accrue(result, prices, CourseParams.from_file().utilities, bodies, book, Rates(0.035, 0.035))
    assert undiscounted.patients["costs_drugs"].tolist() == pytest.approx([100.0, 100.0])  # 100 days at 1 a day
    late, early = discounted.patients["costs_drugs"].iloc[1], discounted.patients["costs_drugs"].iloc[0]
    assert late == pytest.approx(early / 1.035)  # the same course a year later is worth 1 / 1.035
    assert undiscounted.patients["costs_administration"].sum() == 0.0  # endocrine only: no delivery cost


def test_a_loading_first_cycle_replaces_cycle_zero():
    prices = _prices()
    loading = Schedule(21, [Dose(100.0, "flat", "iv", (1,))], first_cycle=[Dose(200.0, "flat", "iv", (1,))])
    book = Book({"trastuzumab_deruxtecan": loading})
    bodies = BodySizes(np.array([1.7]), np.array([70.0]))
    result = _result([(0, "trastuzumab_deruxtecan", 0.0, _months(43.0), "death")], [_months(43.0)], [True])
    costed = accrue(result, prices, CourseParams.from_file().utilities, bodies, book, Rates(0.0, 0.0))
    assert costed.patients.iloc[0]["costs_drugs_undiscounted"] == pytest.approx(2000.0 + 1000.0 + 1000.0)


def test_intramuscular_doses_cost_an_injection_and_the_oral_partner_its_delivery():
    prices = _prices()
    book = Book(
        {
            "fulvestrant": Schedule(28, [Dose(500.0, "flat", "im", (1,))]),
            # a non-endocrine oral stand-in (the test price set has packs for this drug and letrozole only)
            "trastuzumab_deruxtecan": Schedule(28, [Dose(100.0, "flat", "oral", tuple(range(1, 22)))]),
        }
    )
    bodies = BodySizes(np.array([1.7]), np.array([70.0]))
    result = _result([(0, "fulvestrant + trastuzumab_deruxtecan", 0.0, _months(56.0), "death")], [3.0], [True])
    admin = prices.administration
    costed = accrue(result, prices, CourseParams.from_file().utilities, bodies, book, Rates(0.0, 0.0))
    expected = 2 * (prices.total(admin.injection) + prices.total(admin.oral_cycle))  # days 0 and 28
    assert costed.patients.iloc[0]["costs_administration_undiscounted"] == pytest.approx(expected)
    without = _prices(administration={**admin.model_dump(), "injection": []})
    costed = accrue(result, without, CourseParams.from_file().utilities, bodies, book, Rates(0.0, 0.0))
    expected = 2 * prices.total(admin.parenteral_first_single)  # no injection price: a day-unit attendance
    assert costed.patients.iloc[0]["costs_administration_undiscounted"] == pytest.approx(expected)


def test_unscheduled_or_unpriced_drugs_are_reported_not_guessed():
    prices = _prices()
    bodies = BodySizes(np.array([1.7]), np.array([70.0]))
    book = Book({"capecitabine": Schedule(21, [Dose(1000.0, "per_m2", "oral", tuple(range(1, 15)), 2)])})
    result = _result([(0, "capecitabine + eribulin", 0.0, 3.0, "death")], [3.0], [True])
    costed = accrue(result, prices, CourseParams.from_file().utilities, bodies, book, Rates(0.0, 0.0))
    assert set(costed.unpriced) == {"capecitabine", "eribulin"}
    assert costed.patients.iloc[0]["costs_drugs"] == 0.0


def test_grade_3_adverse_events_cost_their_expected_value_at_the_start_of_each_line():
    prices = _prices()
    bodies = BodySizes(np.array([1.7, 1.7]), np.array([70.0, 70.0]))
    rows = [(0, "letrozole + ribociclib", 0.0, 6.0, "progression"), (1, "letrozole + ribociclib", 12.0, 20.0, "death")]
    result = _result(rows, [30.0, 20.0], [False, True])
    rates = {frozenset({"ribociclib", "letrozole"}): {"febrile_neutropenia": 0.015, "leukopenia": 0.21}}
    costed = accrue(result, prices, CourseParams.from_file().utilities, bodies, Book(), Rates(0.035, 0.0), rates)
    admission = prices.total(prices.adverse_events["febrile_neutropenia"])
    review = prices.total(prices.adverse_events["leukopenia"])  # an extra clinic review and blood count
    expected = 0.015 * admission + 0.21 * review
    assert costed.patients["costs_adverse_events_undiscounted"].tolist() == pytest.approx([expected] * 2)
    assert costed.patients["costs_adverse_events"].iloc[1] == pytest.approx(expected / 1.035)


def test_the_knowledge_base_gives_each_regimen_its_trial_arms_grade_3_rates():
    from mbctwin.course.cea import knowledge_adverse_events
    from mbctwin.knowledge.loader import load_kb

    rates = knowledge_adverse_events(load_kb())
    ribociclib = rates[frozenset({"ribociclib", "letrozole"})]
    assert ribociclib["febrile_neutropenia"] == pytest.approx(0.015)  # MONALEESA-2 safety abstract
    assert rates[frozenset({"letrozole"})]["leukopenia"] < ribociclib["leukopenia"]
    assert all(0 <= p <= 1 for events in rates.values() for p in events.values())


def test_supportive_care_qalys_and_life_years_accrue_as_flows():
    prices = _prices()
    utilities = CourseParams.from_file().utilities
    bodies = BodySizes(np.array([1.7]), np.array([70.0]))
    result = _result([(0, BEST_SUPPORTIVE_CARE, 0.0, 24.0, "death")], [24.0], [True])
    costed = accrue(result, prices, utilities, bodies, Book(), Rates(0.035, 0.035))
    row = costed.patients.iloc[0]
    per_month = prices.total(prices.supportive_care_per_month)
    assert per_month == pytest.approx(13964 / 12)  # PSSRU 2024: final year of people who died with cancer
    assert row["costs_supportive_care_undiscounted"] == pytest.approx(24 * per_month)
    assert row["qalys_undiscounted"] == pytest.approx(2 * utilities.progressed)
    assert row["qalys"] == pytest.approx(utilities.progressed * (1 - 1.035**-2) / np.log(1.035))
    assert row["life_years"] == 2.0
    assert row["life_years_discounted"] == pytest.approx((1 - 1.035**-2) / np.log(1.035))


def test_a_new_bone_metastasis_costs_radiotherapy_once_and_denosumab_every_4_weeks():
    prices = PriceSet.from_file()
    utilities = CourseParams.from_file().utilities
    bodies = BodySizes(np.array([1.7]), np.array([70.0]))
    result = _result([(0, BEST_SUPPORTIVE_CARE, 0.0, 12.0, "death")], [12.0], [True])
    actions = ["radiotherapy (bone)", "bone_modifying_agent"]
    result = CourseResult(
        result.patients, result.lines, 10.0, "test", pd.DataFrame({"patient": [0, 0], "months": 2.0, "action": actions})
    )
    costed = accrue(result, prices, utilities, bodies, Book(), Rates(0.0, 0.0))
    doses = len(np.arange(2.0, 12.0, _months(28)))  # from month 2 until death at month 12
    radiotherapy = prices.total(prices.care_actions["radiotherapy (bone)"].once)
    denosumab = prices.unit_costs["denosumab_120mg_vial"].cost + prices.total(prices.administration.injection)
    assert doses == 11
    assert costed.patients.iloc[0]["costs_care_actions"] == pytest.approx(radiotherapy + doses * denosumab)


def test_undiscounted_qalys_equal_the_simulators_own(engine_course):
    result, params = engine_course
    bodies = BodySizes.draw(PriceSet.from_file().body_size, len(result.patients), np.random.SeedSequence(1))
    costed = accrue(result, PriceSet.from_file(), params.utilities, bodies, Book())
    assert costed.patients["qalys_undiscounted"].to_numpy() == pytest.approx(result.patients["qalys"].to_numpy())
    assert (costed.patients["qalys"] <= costed.patients["qalys_undiscounted"] + 1e-12).all()


def test_body_sizes_are_drawn_from_the_cited_distribution():
    body = PriceSet.from_file().body_size
    drawn = BodySizes.draw(body, 20_000, np.random.SeedSequence(5))
    assert drawn.bsa_m2.mean() == pytest.approx(body.bsa_m2.mean, abs=0.01)
    assert drawn.weight_kg.std() == pytest.approx(body.weight_kg.sd, rel=0.05)
    assert np.corrcoef(drawn.bsa_m2, drawn.weight_kg)[0, 1] > 0.99


def test_the_packaged_price_set_cites_every_number():
    prices = PriceSet.from_file()
    assert prices.currency == "GBP"
    assert prices.discount.costs.value == 0.035
    assert all(p.source and p.locator for p in prices.packs)
    assert any("2019" in item for item in prices.off_year())


@pytest.mark.parametrize("price_set", ["uk_nhs_2025", "us_payer_2018"])
def test_every_packaged_price_set_loads_by_id_and_lists_its_gaps(price_set):
    from mbctwin.course.prices import packaged_price_sets

    assert price_set in packaged_price_sets()
    prices = PriceSet.load(price_set)
    assert prices == PriceSet.packaged(price_set)
    assert all(p.source and p.locator for p in prices.packs)
    assert prices.gaps()  # what costs 0 is said, not hidden
    assert not set(prices.gaps()) & {p.drug for p in prices.packs}


def test_the_default_price_set_leaves_no_unlisted_gap():
    """Every cost the accrual reads with the packaged knowledge base (administration, monitoring, best
    supportive care, end of life; each scheduled drug, each adverse event with rates, each care action the
    rules can trigger) has a value in the default set or an entry in its not_priced list."""
    from mbctwin.course.cea import cost_items
    from mbctwin.knowledge.loader import load_kb

    prices = PriceSet.from_file()
    drugs, events, actions = cost_items(load_kb())
    assert {"letrozole", "paclitaxel"} <= drugs
    assert "febrile_neutropenia" in events
    assert "radiotherapy (bone)" in actions
    assert prices.unlisted(drugs, events, actions) == []
    assert all(why.strip() for why in prices.not_priced.values())


def test_an_unlisted_gap_is_reported_by_name():
    raw = yaml.safe_load(PriceSet.from_file().model_dump_json())
    del raw["at_zero"]["end_of_life"], raw["not_priced"]["paclitaxel"]
    raw["care_actions"].pop("radiotherapy (bone)")
    prices = PriceSet.from_dict(raw)
    assert prices.unlisted(["paclitaxel", "letrozole"], ["febrile_neutropenia"], ["radiotherapy (bone)"]) == [
        "end_of_life",
        "paclitaxel",
        "radiotherapy (bone)",
    ]


def test_an_item_at_zero_is_listed_with_its_reason_not_as_a_gap():
    """``at_zero`` says why an item costs nothing (included in a priced item, or no cost to the NHS): it leaves
    the unlisted and the gaps, and is reported with its reason."""
    prices = PriceSet.from_file()
    zeros = prices.zeros()
    assert zeros["end_of_life"].startswith("included in supportive_care_per_month: ")
    assert zeros["drainage"].startswith("included in interventional (pleura): ")
    assert prices.at_zero["clinical_trial_referral"].included_in is None
    assert not set(zeros) & set(prices.gaps())
    assert prices.unlisted([], [], ["drainage", "clinical_trial_referral"]) == []
    assert prices.total(prices.end_of_life) == 0
    assert "drainage" not in prices.care_actions


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"included_in": "analgesia", "note": "x"}, "does not price"),  # analgesia is in not_priced
        ({"included_in": "nowhere", "note": "x"}, "does not price"),
        ({"note": "   "}, "note"),
        ({"note": "x", "source": "ncc_2023_24"}, "source and locator"),
        ({"note": "x", "source": "unread_2030", "locator": "p. 1"}, "unknown sources"),
    ],
)
def test_a_bad_at_zero_entry_is_refused(entry, message):
    raw = yaml.safe_load(PriceSet.from_file().model_dump_json())
    raw["at_zero"]["hydration_twice"] = entry
    with pytest.raises(PriceFileError) as error:
        PriceSet.from_dict(raw)
    assert any(message in f"{p.field} {p.message}" for p in error.value.problems), error.value.problems


@pytest.mark.parametrize("item", ["hydration", "analgesia", "supportive_care_per_month"])
def test_an_item_cannot_be_at_zero_and_priced_or_unpriced(item):
    raw = yaml.safe_load(PriceSet.from_file().model_dump_json())
    raw["at_zero"][item] = {"note": "free"}
    with pytest.raises(PriceFileError) as error:
        PriceSet.from_dict(raw)
    assert any("keep one" in p.message for p in error.value.problems)


def test_an_unknown_packaged_price_set_is_an_error_naming_the_field():
    with pytest.raises(PriceFileError) as error:
        PriceSet.packaged("nowhere_2030")
    assert error.value.problems[0].field == "prices"


@pytest.mark.parametrize(
    ("change", "field_name"),
    [
        ({"currency": "pounds"}, "currency"),
        ({"discount": {"costs": {"value": 2, "source": "ncc_2023_24", "locator": "x"}}}, "discount"),
        (
            {
                "packs": [
                    {
                        "drug": "letrozole",
                        "units": 0,
                        "strength_mg": 2.5,
                        "price": 1,
                        "source": "ncc_2023_24",
                        "locator": "x",
                    }
                ]
            },
            "packs.0.units",
        ),
    ],
)
def test_a_bad_price_set_names_the_field(change, field_name):
    raw = yaml.safe_load(PriceSet.from_file().model_dump_json())
    raw.update(change)
    with pytest.raises(PriceFileError) as error:
        PriceSet.from_dict(raw)
    assert any(p.field.startswith(field_name) for p in error.value.problems)


def test_mbc_cea_prints_only_json_with_the_contract(tmp_path):
    runner = CliRunner()
    args = ["cea", str(CASE), "--strategies", "engine,fixed:letrozole;fulvestrant", "--patients", "200", "--seed", "3"]
    done = runner.invoke(app, [*args, "--format", "json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["currency"] == "GBP"
    assert set(data["discount"]) == {"costs", "qalys"}
    assert data["price_set_zeros"]["end_of_life"].startswith("included in supportive_care_per_month")
    statuses = {s["status"] for s in data["strategies"]}
    assert statuses <= {"reference", "on_frontier", "dominated", "extendedly_dominated"}
    assert "reference" in statuses
    for s in data["strategies"]:
        assert {"name", "costs", "qalys", "life_years", "status", "icer", "undiscounted"} <= set(s)
        if s["status"] == "on_frontier":
            ref = next(r for r in data["strategies"] if r["name"] == s["compared_with"])
            assert s["icer"] == (s["costs"] - ref["costs"]) / (s["qalys"] - ref["qalys"])
        else:
            assert s["icer"] is None


def test_mbc_cea_refuses_a_bad_price_file_naming_the_field(tmp_path):
    bad = yaml.safe_load(PriceSet.from_file().model_dump_json())
    bad["price_year"] = "last year"
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump(bad))
    runner = CliRunner()
    done = runner.invoke(
        app, ["cea", str(CASE), "--strategies", "engine,none", "--prices", str(path), "--format", "json"]
    )
    assert done.exit_code == 2
    assert done.stdout == ""
    assert "price_year" in done.stderr


@pytest.fixture(scope="module")
def engine_course() -> tuple[CourseResult, CourseParams]:
    from mbctwin.case.io import read_case
    from mbctwin.course.cohort import from_case
    from mbctwin.course.model import CourseModel
    from mbctwin.course.policy import EnginePolicy

    params = CourseParams.from_file()
    result = CourseModel(params=params, policy=EnginePolicy()).simulate(from_case(read_case(CASE), 400), seed=2)
    return result, params


def _psa_strategies() -> dict[str, Policy]:
    return {t: parse_policy(t) for t in ("fixed:letrozole+palbociclib;fulvestrant", "fixed:letrozole;fulvestrant")}


def test_probabilistic_cea_gives_one_row_per_draw_and_curves_that_sum_to_one(tmp_path):
    from mbctwin.case.io import read_case
    from mbctwin.course.cea import run_cea
    from mbctwin.results import Result

    result = run_cea(read_case(CASE), _psa_strategies(), patients=60, years=5.0, seed=4, draws=2)
    assert result.psa is not None
    assert list(result.psa.table["draw"]) == [0, 1]
    assert result.psa.acceptability.sum(axis=1) == pytest.approx(np.ones(len(result.psa.thresholds)))
    partial = result.to_dict()["psa"]["evppi_per_patient"]["20000"]
    assert set(partial) >= {"utilities", "frailty_variance"}
    assert partial["utilities"] is None  # two draws cannot fit a spline of three utilities: not estimable
    _check_result_object(result, tmp_path)
    assert isinstance(result, Result)


def _check_result_object(result, folder):
    """The CEA as a Result: the summary holds each strategy's figures of the JSON, save writes that JSON
    and the PSA's draws, plots and page, and the plots draw on given Axes."""
    from matplotlib.figure import Figure

    data = result.to_dict()
    summary = result.summary
    assert list(summary.index) == [s["name"] for s in data["strategies"]]
    for s in data["strategies"]:
        row = summary.loc[s["name"]]
        assert (row["costs"], row["qalys"], row["status"]) == (s["costs"], s["qalys"], s["status"])
        assert [row[f"nmb {t}"] for t in s["nmb"]] == list(s["nmb"].values())
    saved = {p.name for p in result.save(folder)}
    assert saved == {"summary.json", "cea_draws.parquet", "cea_plane.png", "cea_acceptability.png", "cea.html"}
    assert json.loads((folder / "summary.json").read_text()) == json.loads(json.dumps(data))
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "cea_draws.parquet"), result.psa.table)
    assert "<img" in (folder / "cea.html").read_text()
    ax = Figure().subplots()
    assert result.plot_acceptability(ax) is ax
    assert result.plot_ce_plane().figure is not ax.figure


def test_probabilistic_cea_on_a_local_dask_cluster_equals_the_serial_run():
    pytest.importorskip("dask.distributed")
    from mbctwin.case.io import read_case
    from mbctwin.course.cea_psa import run_cea_psa
    from mbctwin.knowledge.loader import load_kb

    args = (read_case(CASE), _psa_strategies(), 2, 20, 2.0, 11, PriceSet.from_file(), CourseParams.from_file())
    serial = run_cea_psa(*args, load_kb())
    parallel = run_cea_psa(*args, load_kb(), scheduler="dask")
    pd.testing.assert_frame_equal(serial.table, parallel.table)
    assert serial.evpi == parallel.evpi


COST_MODULES = ("cea", "cea_psa", "cea_plot", "costs", "prices", "economics", "evppi", "discount")


@pytest.mark.parametrize("command", [["plan", str(CASE)], ["simulate", str(CASE), "--patients", "20"]])
def test_commands_that_do_not_ask_for_costs_never_import_the_cost_modules(command):
    """The cost data and code load only inside `mbc cea` (start-up budget of the CLI)."""
    script = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from mbctwin.cli import app\n"
        f"done = CliRunner().invoke(app, {command!r})\n"
        "assert done.exit_code == 0, done.output\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('mbctwin.course.'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert not loaded & {f"mbctwin.course.{name}" for name in COST_MODULES}
