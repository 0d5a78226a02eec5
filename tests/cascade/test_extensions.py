"""Organs, lymphatics, receptor flags and treatments: equations of each mechanism and behaviour on small grids."""

from __future__ import annotations

import numpy as np
import pytest

from mbctwin.cascade import vasculature
from mbctwin.cascade.extensions import (
    ASSIGNED,
    ER,
    HER2,
    KAPLAN_SITE_PERCENT,
    RESISTANT,
    ExtendedCascadeModel,
    ExtendedConfig,
    Lymphatics,
    Organ,
    Therapy,
    assign_traits,
    colonisation_probabilities,
    default_organs,
    division_odds,
    seeding_weights,
)
from mbctwin.cascade.model import CascadeModel, initial_state, spawn
from mbctwin.cascade.state import Cells

from ._small import small

FAST = {"doubling_time_mesenchymal": 40, "doubling_time_epithelial": 40}
ROOM = {"initial_cells": 18} | FAST  # half-full tumour: daughters fit


def _run(ext: ExtendedConfig, steps: int, seed: int = 1, save_every: int | None = None):
    return ExtendedCascadeModel(ext).run(steps, seed=seed, save_every=save_every or steps)


# --- defaults and reproducibility ----------------------------------------------------------------------


def test_nothing_configured_reproduces_the_core_model():
    core = CascadeModel(small()).run(600, seed=3, save_every=200)
    ext = _run(ExtendedConfig(core=small()), 600, seed=3, save_every=200)
    for a, b in zip(core.final.cells.columns(), ext.final.cells.columns(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert [{k: r[k] for k in core.records[0]} for r in ext.records] == core.records
    assert ext.events == core.events


def test_core_cells_carry_no_traits_and_take_concat_keep_them():
    cells = Cells.build([0, 0], [1, 2], [1, 2], [True, False])
    assert cells.traits.dtype == np.uint8
    assert not cells.traits.any()
    flagged = Cells(cells.grid, cells.x, cells.y, cells.mesenchymal, np.array([ER, HER2], dtype=np.uint8))
    both = flagged.concat(flagged.take(np.array([1])))
    np.testing.assert_array_equal(both.traits, [ER, HER2, HER2])


def test_same_seed_same_extended_run():
    ext = ExtendedConfig(
        core=small(**FAST),
        organs=default_organs(),
        lymphatics=Lymphatics(entry_prob=0.5),
        er_fraction=0.5,
        resistant_fraction=0.2,
        therapies=(Therapy(kind="chemotherapy", start_step=50, exposure_steps=50, cycle_steps=100),),
    )
    a, b = _run(ext, 400, seed=9), _run(ext, 400, seed=9)
    assert a.records == b.records
    np.testing.assert_array_equal(a.final.cells.traits, b.final.cells.traits)


# --- organs ------------------------------------------------------------------------------------------------


def test_organ_grids_layout_and_names():
    ext = ExtendedConfig(core=small(), organs=default_organs(), lymphatics=Lymphatics())
    cfg = ext.cascade
    assert cfg.grids == 6
    assert cfg.extravasation_probs[-1] == 0.0
    assert ext.grid_names() == ["primary", "bone", "lung", "liver", "brain", "lymph_node"]
    assert ExtendedConfig(core=small()).cascade == small()


def test_seeding_weights_are_the_normalised_site_table():
    ext = ExtendedConfig(subtype="triple-negative", organs=default_organs())
    expected = np.array([KAPLAN_SITE_PERCENT[o]["triple-negative"] for o in ("bone", "lung", "liver", "brain")])
    np.testing.assert_allclose(seeding_weights(ext), expected / expected.sum())
    user = Organ(name="skin", tropism={"default": 1.0})
    assert seeding_weights(ExtendedConfig(organs=(user,)))[0] == 1.0


def test_extravasation_multiplier_scales_colonisation():
    organs = tuple(o.model_copy(update={"extravasation": 0.5}) if o.name == "brain" else o for o in default_organs())
    ext = ExtendedConfig(organs=organs)
    full = colonisation_probabilities(ExtendedConfig(organs=default_organs()))
    np.testing.assert_allclose(colonisation_probabilities(ext), full * [1, 1, 1, 0.5])


def test_organ_matrix_density_sets_the_starting_ecm_of_its_grid():
    organs = tuple(o.model_copy(update={"ecm_density": 0.6}) if o.name == "bone" else o for o in default_organs())
    run = ExtendedCascadeModel(ExtendedConfig(core=small(), organs=organs)).start(seed=2)
    names = ExtendedConfig(core=small(), organs=organs).grid_names()
    assert np.all(run.state.w[names.index("bone")] == 0.6)
    assert np.all(run.state.w[names.index("lung")] == 1.0)
    assert np.all(run.state.w[0] == 1.0)


def test_brain_seeding_rarer_than_bone_for_hr_positive_her2_negative():
    ext = ExtendedConfig(core=small(), subtype="HR+/HER2-", organs=default_organs())
    cfg = ext.cascade
    _, rng = spawn(4)
    state = initial_state(cfg, rng["setup"])
    grid, vessel = vasculature.choose_destinations(200_000, state.vessels, cfg, rng["circulation"])
    counts = np.bincount(grid, minlength=cfg.grids)
    bone, brain = counts[1], counts[4]
    assert brain < bone / 3
    assert brain / bone == pytest.approx(
        KAPLAN_SITE_PERCENT["brain"]["HR+/HER2-"] / KAPLAN_SITE_PERCENT["bone"]["HR+/HER2-"], rel=0.05
    )
    np.testing.assert_array_equal(state.vessels.grid[vessel], grid)


def test_failed_extravasation_removes_new_cells_and_flags_are_drawn():
    ext = ExtendedConfig(er_fraction=0.7, her2_fraction=0.2, resistant_fraction=0.1)
    n = 40_000
    cells = Cells.build(np.repeat([0, 1], n // 2), np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool))
    stay = np.array([1.0, 0.0])
    out, failed = assign_traits(cells, ext, stay, np.random.default_rng(0))
    assert failed == n // 2
    assert (out.grid == 0).all()
    t = out.traits
    assert ((t & ASSIGNED) > 0).all()
    assert ((t & ER) > 0).mean() == pytest.approx(0.7, abs=0.02)
    assert ((t & HER2) > 0).mean() == pytest.approx(0.2, abs=0.02)
    assert ((t & RESISTANT) > 0).mean() == pytest.approx(0.1, abs=0.02)
    again, failed = assign_traits(out, ext, stay, np.random.default_rng(1))
    assert failed == 0
    assert again is out


def test_organ_growth_blocks_divisions():
    organs = (Organ(name="bone", tropism={"default": 1}, growth=0.25),)
    ext = ExtendedConfig(core=small(grids=2, vessels_secondary=(10,), extravasation_probs=(1.0,)), organs=organs)
    cells = Cells.build([0, 1], [5, 5], [5, 5], [True, True])
    ok, die = division_odds(cells, np.arange(2), ext, np.array([1.0, 0.25]), 10)
    np.testing.assert_allclose(ok, [1.0, 0.25])
    np.testing.assert_allclose(die, [0, 0])


# --- treatments: equations ----------------------------------------------------------------------------


def test_chemotherapy_dose_schedule():
    t = Therapy(kind="chemotherapy", start_step=10, cycle_steps=100, exposure_steps=5, cycles=2)
    active = [s for s in range(0, 400) if t.active(s)]
    assert active == [*range(10, 15), *range(110, 115)]
    assert Therapy(kind="endocrine", start_step=5, end_step=8).active(7)
    assert not Therapy(kind="endocrine", start_step=5, end_step=8).active(8)


def test_division_odds_by_receptor_and_resistance():
    ext = ExtendedConfig(
        therapies=(
            Therapy(kind="endocrine", inhibition=0.7),
            Therapy(kind="anti_her2"),
            Therapy(kind="chemotherapy", kill=0.4),
        )
    )
    flags = np.array([ER, ER | RESISTANT, 0, HER2, ER | HER2], dtype=np.uint8)
    cells = Cells(*Cells.build(np.zeros(5), np.zeros(5), np.zeros(5), np.zeros(5)).columns(), flags)
    ok, die = division_odds(cells, np.arange(5), ext, np.ones(ext.cascade.grids), 0)
    np.testing.assert_allclose(ok, [0.3, 1.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(die, [0.4, 0.0, 0.4, 0.4, 0.4])


# --- treatments: behaviour ----------------------------------------------------------------------------


def test_surgery_stops_intravasation_from_the_primary():
    ext = ExtendedConfig(core=small(), organs=default_organs(), therapies=(Therapy(kind="surgery", start_step=700),))
    result = _run(ext, 3000, seed=2, save_every=100)
    steps = [e["step"] for e in result.events if e["kind"] == "intravasation"]
    assert steps
    assert max(steps) <= 700
    assert all(r["cells_primary"] == 0 for r in result.records if r["step"] > 700)
    assert result.records[-1]["ext_surgery_removed"] > 0


def test_chemotherapy_reduces_dividing_cells():
    core = small(**ROOM)
    chemo = Therapy(kind="chemotherapy", start_step=0, kill=1.0, exposure_steps=1000, cycle_steps=1000, cycles=1)
    untreated = _run(ExtendedConfig(core=core), 300)
    treated = _run(ExtendedConfig(core=core, therapies=(chemo,)), 300)
    assert treated.records[-1]["ext_chemo_killed"] >= 10
    assert treated.records[-1]["cells_primary"] < 18 < untreated.records[-1]["cells_primary"]


def test_resistant_fraction_survives_chemotherapy_and_radiotherapy():
    core = small(**FAST)
    chemo = Therapy(kind="chemotherapy", start_step=0, kill=1.0, exposure_steps=1000, cycle_steps=1000, cycles=1)
    result = _run(ExtendedConfig(core=core, resistant_fraction=0.3, therapies=(chemo,)), 100)
    run = ExtendedCascadeModel(ExtendedConfig(core=core)).start(1)
    final = result.final.cells
    assert len(final) > 0
    assert ((final.traits & RESISTANT) > 0).all()
    radio = Therapy(kind="radiotherapy", start_step=1, grid=1)
    after = _run(ExtendedConfig(core=small(), resistant_fraction=0.5, therapies=(radio,)), 2).final.cells
    assert 0 < len(after) < len(run.state.cells)
    assert ((after.traits & RESISTANT) > 0).all()


def test_radiotherapy_clears_only_its_region():
    radio = Therapy(kind="radiotherapy", start_step=1, grid=1, x=5, y=5, radius=1.0)
    final = _run(ExtendedConfig(core=small(), therapies=(radio,)), 2).final
    assert len(final.cells) > 0
    near = (final.cells.x - 5) ** 2 + (final.cells.y - 5) ** 2 <= 1
    assert final.counters["ext_radiotherapy_removed"] > 0
    assert final.counters["ext_radiotherapy_removed"] >= 12
    assert near.sum() < final.counters["ext_radiotherapy_removed"]


def test_endocrine_therapy_stops_er_positive_growth():
    core = small(**ROOM)
    endo = ExtendedConfig(core=core, er_fraction=1.0, therapies=(Therapy(kind="endocrine"),))
    treated, untreated = _run(endo, 200), _run(endo.model_copy(update={"therapies": ()}), 200)
    assert treated.records[-1]["ext_divisions_blocked"] > 0
    assert treated.records[-1]["cells_primary"] <= 18 < untreated.records[-1]["cells_primary"]


# --- lymphatics --------------------------------------------------------------------------------------------


def test_lymphatic_entry_and_node_to_blood():
    lym = Lymphatics(vessels=40, entry_prob=1.0, node_to_blood_prob=0.5)
    ext = ExtendedConfig(core=small(), organs=default_organs(), lymphatics=lym)
    result = _run(ext, 400, seed=5, save_every=50)
    last = result.records[-1]
    assert last["ext_lymph_entered"] > 0
    assert last["ext_node_to_blood"] > 0
    assert last["ext_lymph_entered"] == last["ext_lymph_lost"] + last["ext_node_to_blood"] + last["cells_lymph_node"]


def test_lymph_node_cells_grow():
    lym = Lymphatics(vessels=40, entry_prob=1.0, node_to_blood_prob=0.0)
    result = _run(ExtendedConfig(core=small(**FAST), lymphatics=lym), 300, seed=5)
    last = result.records[-1]
    assert last["cells_lymph_node"] > last["ext_lymph_entered"] - last["ext_lymph_lost"]


def test_no_lymphatic_entry_when_probability_is_zero():
    result = _run(ExtendedConfig(core=small(), lymphatics=Lymphatics(entry_prob=0.0)), 300)
    assert result.records[-1]["cells_lymph_node"] == 0
