r"""The patient-course microsimulation: lines of therapy, progression, new sites, death.

Every patient of a block advances together, one line per iteration, with NumPy arrays:

* time to progression on a line ~ Weibull(k, λ) with λ fitted to the regimen's published
  median PFS (``efficacy.py``), hazard multiplied by prognostic hazard ratios and by the
  patient's shared frailty (``frailty.py``: one gamma multiplier for all her lines, with λ set so
  that the population median stays the published one);
* a PFS event is death with probability ``death_at_progression``; otherwise the patient
  progresses, may acquire new metastatic sites (subtype tropism), and receives a next line
  with the subtype's ``next_line_probability`` (the policy chooses it) or best supportive care;
* on best supportive care, time to death ~ exponential with median ``bsc_median_months``;
* a cytotoxic regimen (chemotherapy, antibody-drug conjugate, with or without targeted partners) that
  beat its trial's control with PFS hazard ratio :math:`h` leaves the hazard of whatever follows its
  progression (the next line or supportive care) multiplied by :math:`h^c`, ``benefit_carryover``
  (:meth:`_BlockRunner._carry_after`);
* with ``checkpoint_long_survivors`` on (the packaged structure.yaml), a triple-negative patient whose
  line with a PD-1/PD-L1 inhibitor held for at least ``SHORT_RESPONSE_MONTHS`` becomes a long survivor
  with probability :math:`f`; every disease hazard after that line is multiplied by :math:`r`
  (:meth:`_BlockRunner._long_survivors`);
* background mortality competes throughout (life-table hazard at the current age).

Overall survival is never an input: it emerges from this chain.

Reproducibility: patients are split into fixed blocks of ``BLOCK_SIZE``; block *b* draws from
``SeedSequence(seed).spawn(n_blocks)[b]``, so results do not depend on how blocks are grouped
into chunks or spread over workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from mbctwin.case.derived import line as case_line
from mbctwin.case.models import Case
from mbctwin.case.vocabulary import vocabulary
from mbctwin.course.cohort import SITE_INDEX, Cohort
from mbctwin.course.efficacy import Efficacy, EfficacyTable, weibull_scale
from mbctwin.course.frailty import draw_frailty
from mbctwin.course.params import CourseParams
from mbctwin.course.policy import EnginePolicy, Policy
from mbctwin.course.prognosis import relative_risk
from mbctwin.course.regimen_kind import has_checkpoint_inhibitor, is_cytotoxic, regimen_utility
from mbctwin.course.result import CENSORED, DEATH, PRESENTATION, PROGRESSION, BlockOutcome, CourseResult
from mbctwin.course.rows import unique_rows
from mbctwin.course.state import SHORT_RESPONSE_MONTHS, CareActions, RegimenRegistry, StateDecider, state_keys
from mbctwin.knowledge.eligibility import altered_biomarkers
from mbctwin.knowledge.loader import KnowledgeBase, load_kb

BLOCK_SIZE = 2048
Progress = Callable[[int, int], None]


@dataclass
class _Block:
    """Mutable per-block state arrays, shape (n,) unless noted."""

    cohort: Cohort
    max_lines: int
    risk: np.ndarray  # presentation and age hazard multiplier (prognosis.relative_risk) times the frailty
    t: np.ndarray = field(init=False)
    done: np.ndarray = field(init=False)
    line: np.ndarray = field(init=False)
    regimen: np.ndarray = field(init=False)
    history: np.ndarray = field(init=False)  # (n, max_lines) regimen ids, -1 = none
    short: np.ndarray = field(init=False)  # (n, max_lines) progression within 6 months
    sites: np.ndarray = field(init=False)
    site_time: np.ndarray = field(init=False)  # (n, n_sites) months when a site appeared; 0 = at start
    cytotoxic_before: np.ndarray = field(init=False)  # cytotoxic metastatic lines before the simulated course
    start_line: np.ndarray = field(init=False)  # the line each patient's simulated course began with
    carry: np.ndarray = field(init=False)  # hazard multiplier the last regimen leaves on what follows it
    durable: np.ndarray = field(init=False)  # long survivors' multiplier on every later disease hazard
    long_survivor_rng: np.random.Generator | None = None  # its own stream, when the switch is on

    def __post_init__(self) -> None:
        n = self.cohort.size
        self.t = np.zeros(n)
        self.done = np.zeros(n, dtype=bool)
        self.line = np.zeros(n, dtype=np.int16)
        self.regimen = np.full(n, -1, dtype=np.int32)
        self.history = np.full((n, self.max_lines), -1, dtype=np.int32)
        self.short = np.zeros((n, self.max_lines), dtype=bool)
        self.sites = self.cohort.sites.copy()
        self.site_time = np.where(self.sites, 0.0, np.nan)
        per_template = np.array([_cytotoxic_lines(case) for case in self.cohort.templates])
        self.cytotoxic_before = per_template[self.cohort.template]
        self.carry = np.ones(n)
        self.durable = np.ones(n)


@dataclass(frozen=True)
class CourseModel:
    """Simulate cohorts under a policy; the model holds configuration only (fitter style)."""

    params: CourseParams = field(default_factory=CourseParams.from_file)
    policy: Policy = field(default_factory=EnginePolicy)
    kb: KnowledgeBase = field(default_factory=load_kb)
    first_line_sources: frozenset[str] = frozenset()  # an in-silico trial's own report: its arms' PFS first
    template_policies: tuple[tuple[int, Policy], ...] = ()  # (template index, policy) pairs overriding ``policy``

    def simulate(
        self,
        cohort: Cohort,
        years: float = 10.0,
        seed: int | np.random.SeedSequence | None = None,
        first_line: np.ndarray | None = None,
        registry: RegimenRegistry | None = None,
        blocks_per_chunk: int = 8,
        progress: Progress | None = None,
        scheduler: str | None = None,
    ) -> CourseResult:
        """Run every patient for ``years``; ``first_line`` (regimen ids) overrides line-1 choices.

        ``scheduler``: ``None`` runs here; ``"dask"`` (a local cluster) or ``"tcp://HOST:PORT"`` runs
        chunks of blocks on Dask workers — identical results, since every block keeps its seed.
        """
        registry = registry or RegimenRegistry()
        risk = relative_risk(self.params, cohort)
        sequence = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        n_blocks = -(-cohort.size // BLOCK_SIZE)
        children = sequence.spawn(n_blocks)
        chunks = [
            _Chunk(
                self,
                cohort,
                start,
                min(start + blocks_per_chunk, n_blocks),
                children,
                first_line,
                risk,
                tuple(registry.drugs),
                years * 12.0,
            )
            for start in range(0, n_blocks, blocks_per_chunk)
        ]
        if scheduler is None:
            shared = _Shared.build(self, cohort, registry)
            outcomes = []
            for chunk in chunks:
                outcomes += chunk.run(shared)
                if progress:
                    progress(min(chunk.stop * BLOCK_SIZE, cohort.size), cohort.size)
        else:
            from mbctwin.parallel import map_tasks

            done = map_tasks(
                _run_chunk,
                chunks,
                scheduler=scheduler,
                progress=(lambda d, t: progress(d * cohort.size // t, cohort.size)) if progress else None,
            )
            outcomes = [o for chunk_outcomes, names in done for o in _remap(chunk_outcomes, names, registry)]
        return CourseResult.combine(outcomes, registry, years, str(self.policy))


@dataclass(frozen=True)
class _Shared:
    """What blocks of one run share: regimen ids, memoised decisions and the efficacy table."""

    registry: RegimenRegistry
    decider: StateDecider
    efficacy: EfficacyTable
    care: CareActions
    first_line_sources: frozenset[str]
    exposure_classes: tuple[str, ...]  # classes whose earlier use changes a regimen's efficacy (bit order)
    altered: tuple[frozenset[str], ...]  # per template: the biomarkers its case records as altered
    checkpoint_responsive: np.ndarray  # per template: in the population of the long-survivor switch (bool)

    @classmethod
    def build(cls, model: CourseModel, cohort: Cohort, registry: RegimenRegistry) -> _Shared:
        efficacy = EfficacyTable.for_params(model.kb, model.params)
        decider = StateDecider(cohort.templates, model.policy, registry, model.kb, dict(model.template_policies))
        care = CareActions(decider)
        altered = tuple(altered_biomarkers(t) for t in cohort.templates)
        switch = model.params.checkpoint_long_survivors
        responsive = np.array(
            [
                s == "triple-negative" and switch.pd_l1.of(t)
                for s, t in zip(cohort.subtype, cohort.templates, strict=True)
            ],
            dtype=bool,
        )
        return cls(
            registry,
            decider,
            efficacy,
            care,
            model.first_line_sources,
            efficacy.exposure_classes(),
            altered,
            responsive,
        )


@dataclass(frozen=True)
class _Chunk:
    """Blocks ``start <= b < stop`` of a run: a unit of work that can travel to a Dask worker."""

    model: CourseModel
    cohort: Cohort
    start: int
    stop: int
    seeds: list[np.random.SeedSequence]
    first_line: np.ndarray | None
    risk: np.ndarray
    known: tuple[tuple[str, ...], ...]
    horizon: float

    def run(self, shared: _Shared) -> list[BlockOutcome]:
        outcomes = []
        for b in range(self.start, self.stop):
            index = slice(b * BLOCK_SIZE, min((b + 1) * BLOCK_SIZE, self.cohort.size))
            given = self.first_line[index] if self.first_line is not None else None
            runner = _BlockRunner(self.model.params, shared, self.horizon)
            outcomes.append(
                runner.run(
                    self.cohort.take(index), np.random.default_rng(self.seeds[b]), given, self.risk[index], index.start
                )
            )
        return outcomes


def _run_chunk(chunk: _Chunk) -> tuple[list[BlockOutcome], list[tuple[str, ...]]]:
    """On a worker: a fresh registry that starts from the caller's known regimens."""
    registry = RegimenRegistry()
    for drugs in chunk.known:
        registry.intern(drugs)
    outcomes = chunk.run(_Shared.build(chunk.model, chunk.cohort, registry))
    return outcomes, registry.drugs


def _remap(outcomes: list[BlockOutcome], names: list[tuple[str, ...]], registry: RegimenRegistry) -> list[BlockOutcome]:
    """Translate a worker's regimen ids into the caller's registry (supportive care stays -1)."""
    to_global = np.array([registry.intern(drugs) for drugs in names] + [-1], dtype=np.int32)
    for outcome in outcomes:
        outcome.lines = [
            (rows, line, to_global[regimen], start, stop, kind)
            for rows, line, regimen, start, stop, kind in outcome.lines
        ]
    return outcomes


@dataclass
class _BlockRunner:
    params: CourseParams
    shared: _Shared
    horizon: float

    def run(
        self, cohort: Cohort, rng: np.random.Generator, first_line: np.ndarray | None, risk: np.ndarray, offset: int
    ) -> BlockOutcome:
        # the long survivors' draws come from a stream of their own: the main draws stay as they were
        survivors = rng.spawn(1)[0] if self.params.checkpoint_long_survivors.on else None
        block = _Block(
            cohort,
            self.params.max_lines,
            risk * draw_frailty(rng, self.params.frailty_variance, cohort.size),
            long_survivor_rng=survivors,
        )
        outcome = BlockOutcome(offset=offset)
        block.line[:] = np.array([case_line(t) for t in cohort.templates])[cohort.template]
        block.start_line = block.line.copy()
        block.regimen[:] = self._decide(block, np.ones(cohort.size, dtype=bool))
        if first_line is not None:
            block.regimen[:] = np.where(first_line >= 0, first_line, block.regimen)
        self._presentation_care(block, outcome)
        for _ in range(self.params.max_lines + 2):
            if block.done.all():
                break
            self._advance(block, rng, outcome)
        outcome.finish(block.t, block.done, block.site_time)
        return outcome

    def _decide(self, block: _Block, who: np.ndarray) -> np.ndarray:
        c = block.cohort
        keys = state_keys(c.template[who], c.ecog[who], block.sites[who], block.history[who], block.short[who])
        if not keys.shape[0]:
            return np.empty(0, dtype=np.int32)
        years = None if c.calendar is None else np.floor(c.calendar[who] + block.t[who] / 12.0).astype(np.int64)
        return self.shared.decider.decide(keys, years)

    def _pfs_law(self, block: _Block) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Published median PFS of each patient's current regimen at its line, the Weibull shape its
        trial implies (NaN median on supportive care; the course default shape where no trial fixes
        one) and its PFS hazard ratio against that trial's control (1 on supportive care)."""
        template = np.asarray(block.cohort.template, dtype=np.int64)  # each template has one subtype
        brain = block.sites[:, SITE_INDEX["brain"]]
        own = self.shared.first_line_sources
        first = (block.line == block.start_line) & bool(own)  # only an in-silico trial's own report tells lines apart
        exposure = self._exposure(block)
        combos = np.column_stack([block.regimen, template, self._efficacy_line(block), brain, first, exposure])
        unique, inverse = unique_rows(combos)
        default = self.params.weibull_shape
        laws = np.array(
            [
                (np.nan, default, 1.0)
                if r < 0
                else _law(
                    self.shared.efficacy.lookup(
                        frozenset(self.shared.registry.drugs[r]),
                        block.cohort.subtype[s],
                        int(line),
                        bool(b),
                        own if f else frozenset(),
                        self._classes_of_bits(int(bits)),
                        self.shared.altered[s],
                    ),
                    default,
                )
                for r, s, line, b, f, bits in unique
            ]
        ).reshape(-1, 3)
        laws = laws[inverse]
        return laws[:, 0], laws[:, 1], laws[:, 2]

    def _exposure(self, block: _Block) -> np.ndarray:
        """Bit mask per patient of the classes received before the current line (template history in any
        setting, then the simulated lines), over the classes some trial's eligibility names (zero when
        efficacy ignores prior exposure)."""
        classes = self.shared.exposure_classes
        if not classes:
            return np.zeros(block.cohort.size, dtype=np.int64)
        bit = {name: 1 << i for i, name in enumerate(classes)}
        vocab = vocabulary()

        def mask(drugs: list[str] | tuple[str, ...]) -> int:
            return sum(bit[c] for c in {c for d in drugs for c in vocab.drugs[d].classes} if c in bit)

        templates = np.array(
            [mask([d for p in t.prior_therapies for d in p.drugs]) for t in block.cohort.templates], dtype=np.int64
        )
        regimens = np.array([mask(drugs) for drugs in self.shared.registry.drugs] + [0], dtype=np.int64)
        received = np.bitwise_or.reduce(regimens[block.history], axis=1)
        return templates[block.cohort.template] | received

    def _classes_of_bits(self, bits: int) -> frozenset[str]:
        return frozenset(name for i, name in enumerate(self.shared.exposure_classes) if bits >> i & 1)

    def _efficacy_line(self, block: _Block) -> np.ndarray:
        """The line a regimen's trial would count: cytotoxic regimens (chemotherapy, antibody-drug
        conjugates) enrol by prior cytotoxic lines (DESTINY-Breast04: after 1-2 chemotherapy lines),
        whatever the endocrine lines before; other regimens count every line."""
        cytotoxic = self._regimen_flags(is_cytotoxic)
        cytotoxic_line = block.cytotoxic_before + cytotoxic[block.history].sum(axis=1) + 1
        return np.where(cytotoxic[block.regimen], cytotoxic_line, block.line)

    def _regimen_flags(self, predicate: Callable[[tuple[str, ...]], bool]) -> np.ndarray:
        """``predicate`` of every known regimen, plus a trailing False that index -1 (none) reads."""
        return np.array([predicate(drugs) for drugs in self.shared.registry.drugs] + [False])

    def _hazard_multiplier(self, block: _Block, on_line: np.ndarray) -> np.ndarray:
        """Prognostic hazard ratios. Trial PFS already averages over liver disease (about half of
        trial patients), so liver metastases scale only the hazard on supportive care; trials
        enrol ECOG 0-1 and few brain metastases, so those two scale both; presentation and age
        scale both relative to the population (``prognosis.py``)."""
        hr = self.params.prognostic_hr
        multiplier = block.risk * np.where(block.cohort.ecog >= 2, hr.ecog_2_or_more, 1.0)
        multiplier = multiplier * np.where(block.sites[:, SITE_INDEX["brain"]], hr.brain_metastases, 1.0)
        liver = np.where(block.sites[:, SITE_INDEX["liver"]] & ~on_line, hr.liver_metastases, 1.0)
        return multiplier * liver

    def _advance(self, block: _Block, rng: np.random.Generator, outcome: BlockOutcome) -> None:
        """One line for everyone still alive and followed: draw, resolve, record, move on."""
        n, p = block.cohort.size, self.params
        draws = rng.random((4, n))  # fixed consumption per iteration keeps blocks reproducible
        site_draws = rng.random((n, block.sites.shape[1]))
        on_line = ~block.done & (block.regimen >= 0)
        on_bsc = ~block.done & (block.regimen < 0)
        multiplier = self._hazard_multiplier(block, on_line) * block.carry * block.durable
        median, k, hr_vs_control = self._pfs_law(block)
        theta = p.frailty_variance
        scale = weibull_scale(np.nan_to_num(median, nan=1.0), k, theta)
        disease = np.where(
            on_line,
            scale * (-np.log(draws[0]) / multiplier) ** (1 / k),
            weibull_scale(p.bsc_median_months, 1.0, theta) * -np.log(draws[0]) / multiplier,  # exponential
        )
        age = block.cohort.age + block.t / 12.0
        rate = p.background_rate(age, block.cohort.female)
        background = np.divide(-np.log(draws[1]), rate, out=np.full(n, np.inf), where=rate > 0)
        remaining = self.horizon - block.t
        duration = np.minimum(np.minimum(disease, background), remaining)
        censored = remaining <= np.minimum(disease, background)
        died_in_line = ~censored & ((background < disease) | on_bsc | (draws[2] < p.death_at_progression))
        progressed = on_line & ~censored & ~died_in_line
        active = on_line | on_bsc
        kind = np.where(censored, CENSORED, np.where(died_in_line, DEATH, PROGRESSION))
        outcome.record(active, block.line, block.regimen, block.t, duration, kind)
        outcome.add_utility(active, duration, self._utility(block, on_line))
        block.t = np.where(active, block.t + duration, block.t)
        block.done |= active & (censored | died_in_line)
        block.carry = np.where(progressed, self._carry_after(block, hr_vs_control), block.carry)
        self._long_survivors(block, progressed & (duration >= SHORT_RESPONSE_MONTHS))
        self._progress(block, progressed, (site_draws, draws[3]), duration, outcome)

    def _carry_after(self, block: _Block, hr_vs_control: np.ndarray) -> np.ndarray:
        """Hazard multiplier on what follows each patient's current regimen, :math:`h^c` for a cytotoxic
        one. A regimen that shrinks the disease more leaves less of it at progression, so the course
        after it is slower. Published OS minus PFS medians, experimental vs control arm, after
        cytotoxic regimens: HER2CLIMB 14.1 vs 11.8 months, CLEOPATRA 38.0 vs 28.4, KEYNOTE-355 13.3 vs
        10.5, ASCENT 6.5 vs 5.0, DESTINY-Breast04 13.5 vs 11.7, EMILIA 21.3 vs 18.7 (DESTINY-Breast03
        23.6 vs 35.5, where most controls later got the experimental drug); after first-line endocrine
        + CDK4/6 regimens, which mostly hold disease still, no consistent gap (MONALEESA-2 38.6 vs
        35.4, MONARCH 3 38.6 vs 38.9, MONALEESA-7 34.9 vs 35.0, PALOMA-2 29.1 vs 36.7). :math:`c` is
        calibrated (structure.yaml), not published."""
        debulking = self._regimen_flags(is_cytotoxic)[block.regimen]
        return np.where(debulking, hr_vs_control**self.params.benefit_carryover, 1.0)

    def _long_survivors(self, block: _Block, responded: np.ndarray) -> None:
        r"""Long survivors after a PD-1/PD-L1 inhibitor in triple-negative disease (``checkpoint_long_survivors``).

        A triple-negative patient who progresses after a line with an immune checkpoint inhibitor that
        held at least ``SHORT_RESPONSE_MONTHS`` (a responder) becomes a long survivor with probability
        :math:`f`; from then on every disease hazard of hers (later lines, supportive care) is multiplied by
        :math:`r`: :math:`h_{\text{after}}(t) = r \, h(t)` for long survivors, :math:`h(t)` for everyone else.
        The line's own PFS stays the published one (the trial's curve already holds its responders).
        Only a line up to ``max_line`` in a PD-L1-positive tumour qualifies, the population in which the
        survival benefit was shown (structure.yaml). Cited: KEYNOTE-355 CPS >= 10 (Cortes, NEJM 2022)
        estimated 18-month OS 58.3 % with pembrolizumab + chemotherapy vs 44.7 % with chemotherapy;
        :math:`f` and :math:`r` are assumptions calibrated jointly (structure.yaml). The draw comes from a
        stream of its own, so patients of other subtypes or regimens keep exactly the outcomes they have
        with the switch off."""
        switch = self.params.checkpoint_long_survivors
        if block.long_survivor_rng is None:  # the switch is off
            return
        draws = block.long_survivor_rng.random(block.cohort.size)  # fixed consumption per iteration
        ici = self._regimen_flags(has_checkpoint_inhibitor)[block.regimen]
        qualifies = self.shared.checkpoint_responsive[block.cohort.template]
        early = block.line <= switch.max_line if switch.max_line is not None else True
        chosen = responded & ici & qualifies & early & (draws < switch.fraction)
        block.durable = np.where(chosen, switch.hazard_ratio, block.durable)

    def _utility(self, block: _Block, on_line: np.ndarray) -> np.ndarray:
        u = self.params.utilities
        on_drug = np.array([regimen_utility(drugs, u) for drugs in self.shared.registry.drugs] + [u.progressed])
        return np.where(on_line, on_drug[block.regimen], u.progressed)

    def _progress(
        self,
        block: _Block,
        progressed: np.ndarray,
        draws: tuple[np.ndarray, np.ndarray],
        duration: np.ndarray,
        outcome: BlockOutcome,
    ) -> None:
        """New sites, history, next line or supportive care for patients who progressed."""
        new = self._new_sites(block, progressed, draws[0])
        slot = np.clip(block.line - 1, 0, self.params.max_lines - 1)
        rows = np.flatnonzero(progressed)
        block.history[rows, slot[rows]] = block.regimen[rows]
        block.short[rows, slot[rows]] = duration[rows] < SHORT_RESPONSE_MONTHS
        self._care_events(block, new, outcome)
        block.line = np.where(progressed, block.line + 1, block.line)
        treat = progressed & (draws[1] < self._next_line(block)) & (block.line <= self.params.max_lines)
        block.regimen = np.where(progressed, -1, block.regimen).astype(np.int32)
        if treat.any():
            block.regimen[treat] = self._decide(block, treat)

    def _next_line(self, block: _Block) -> np.ndarray:
        """P(another line) after progression on the line just finished, by subtype (attrition)."""
        finished = block.line - 1
        by_template = np.stack([self.params.next_line(subtype, finished) for subtype in block.cohort.subtype])
        return by_template[block.cohort.template, np.arange(block.cohort.size)]

    def _presentation_care(self, block: _Block, outcome: BlockOutcome) -> None:
        """Local and supportive care of the plan for each patient's state at the start (month 0), so that a
        bone metastasis present from the start is treated and costed like one that appears later."""
        c = block.cohort
        keys = state_keys(c.template, c.ecog, block.sites, block.history, block.short)
        change, actions = self.shared.care.present(keys)
        outcome.add_events(np.arange(c.size), block.t.copy(), change, actions, cause=PRESENTATION)

    def _care_events(self, block: _Block, new: np.ndarray, outcome: BlockOutcome) -> None:
        """Local and supportive care the engine adds because of the new sites (radiosurgery, ...)."""
        rows = np.flatnonzero(new.any(axis=1))
        if rows.size == 0:
            return
        c = block.cohort

        def keys(sites: np.ndarray) -> np.ndarray:
            return state_keys(c.template[rows], c.ecog[rows], sites, block.history[rows], block.short[rows])

        change, actions = self.shared.care.triggered(keys(block.sites[rows] & ~new[rows]), keys(block.sites[rows]))
        outcome.add_events(rows, block.t[rows], change, actions)

    def _new_sites(self, block: _Block, progressed: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
        """Each absent site appears with its subtype's per-progression probability (tropism)."""
        table = self.params.new_site_probability
        probability = np.zeros((len(block.cohort.subtype), block.sites.shape[1]))
        for t, subtype in enumerate(block.cohort.subtype):
            for site, p in table[subtype].items():
                probability[t, SITE_INDEX[site]] = p
        new = progressed[:, None] & ~block.sites & (uniforms < probability[block.cohort.template])
        block.site_time = np.where(new, block.t[:, None], block.site_time)
        block.sites |= new
        return new


def _law(efficacy: Efficacy, default_shape: float) -> tuple[float, float, float]:
    return efficacy.median_months, efficacy.shape or default_shape, efficacy.hr_vs_control


def _cytotoxic_lines(case: Case) -> int:
    """Cytotoxic lines for metastatic disease a case has already received."""
    return sum(
        1
        for p in case.prior_therapies
        if p.setting == "metastatic" and p.ended_because != "ongoing" and is_cytotoxic(tuple(p.drugs))
    )
