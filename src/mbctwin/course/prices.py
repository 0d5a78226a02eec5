"""Price sets for cost-effectiveness analysis: one country, one currency, one price year, every number cited.

A price set (``knowledge/data/course/costs/*.yaml``, or a user's file of the same shape) holds

* ``sources``: the documents the numbers were read in (citation, URL, locator);
* ``unit_costs``: named unit costs (an NHS reference cost of a chemotherapy delivery, a CT scan, ...),
  each with its source, locator and the date of the price;
* ``packs``: drug packs (units per pack, mg per unit, price per pack) from a public list-price source;
* what the model charges and how often, as lists of *components* ``{unit: <unit cost id>, count: n}``:
  ``administration`` (an oral cycle, a parenteral first attendance with one or several drugs, a
  subsequent attendance, an injection), ``monitoring`` per cycle and per month on treatment,
  ``supportive_care_per_month`` (best supportive care), ``end_of_life`` (once, at death),
  ``adverse_events`` (per grade >= 3 event, by event name) and ``care_actions`` (what a local or
  supportive action costs, once or every so many days, whether the starting state or a new site calls
  for it);
* ``at_zero``: items charged nothing on purpose, each with its reason: ``included_in`` names the priced
  item whose cost already holds it (pricing both would count it twice), or, without it, the item costs
  the perspective nothing (with a ``source`` when one says so);
* ``discount`` rates, ``thresholds`` (per QALY) and ``body_size`` (body-surface area and weight of the
  costed population, drawn per virtual patient).

A count other than 1 that is not read in a source is an assumption and must say so (``note``).
Loading is cheap and happens only when costs are asked for; a bad file raises
:class:`~mbctwin.errors.PriceFileError` naming each bad field (``mbc cea`` exits with code 2).
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mbctwin.case.vocabulary import vocabulary
from mbctwin.course.params import parse_yaml
from mbctwin.errors import FieldProblem, PriceFileError
from mbctwin.knowledge.schema import AdverseEvent

DEFAULT_PRICE_SET = "uk_nhs_2025.yaml"
NonNegative = Annotated[float, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceSource(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    citation: str
    url: str | None = None
    locator: str | None = None


class _Cited(_Strict):
    """A number read in ``source`` at ``locator``; ``price_date`` (YYYY or YYYY-MM) when it is a price."""

    source: str
    locator: str
    price_date: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2})?$")
    note: str | None = None


class UnitCost(_Cited):
    cost: NonNegative
    code: str | None = None


class Pack(_Cited):
    """A pack of ``units`` units (tablets, vials, syringes) of ``strength_mg`` mg each, at ``price``."""

    drug: str
    units: Annotated[int, Field(gt=0)]
    strength_mg: Annotated[float, Field(gt=0)]
    price: NonNegative

    @property
    def price_per_mg(self) -> float:
        return self.price / (self.units * self.strength_mg)

    @property
    def price_per_unit(self) -> float:
        return self.price / self.units


class Component(_Strict):
    """``count`` times the unit cost ``unit``; a count other than 1 needs a note saying where it comes from."""

    unit: str
    count: Annotated[float, Field(gt=0)] = 1.0
    note: str | None = None

    @model_validator(mode="after")
    def _count_explained(self) -> Component:
        if self.count != 1 and not self.note:
            raise ValueError(f"count {self.count:g} of {self.unit}: say where it comes from (note)")
        return self


Components = list[Component]


class Administration(_Strict):
    oral_cycle: Components = Field(default_factory=list)
    parenteral_first_single: Components = Field(default_factory=list)
    parenteral_first_multiple: Components = Field(default_factory=list)
    parenteral_subsequent: Components = Field(default_factory=list)
    injection: Components = Field(default_factory=list)


class Monitoring(_Strict):
    per_cycle: Components = Field(default_factory=list)
    per_month: Components = Field(default_factory=list)


class CareAction(_Strict):
    """A local or supportive action a new site triggers: ``once`` when it starts, and ``each`` every
    ``every_days`` from then on while the patient is followed."""

    once: Components = Field(default_factory=list)
    each: Components = Field(default_factory=list)
    every_days: Annotated[float, Field(gt=0)] | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _period_with_each(self) -> CareAction:
        if bool(self.each) != (self.every_days is not None):
            raise ValueError("give every_days exactly when each is given")
        return self


class AtZero(_Strict):
    """An item charged nothing on purpose. ``included_in`` names the priced item of the set whose cost already
    holds it (an end-of-life cost inside a best-supportive-care flow, a drainage inside a priced intervention);
    without it the item costs the perspective nothing (a trial's drugs are the sponsor's). ``note`` says why;
    ``source`` and ``locator`` cite it when a source was read."""

    included_in: str | None = None
    note: Annotated[str, Field(min_length=1, pattern=r"\S")]
    source: str | None = None
    locator: str | None = None

    @model_validator(mode="after")
    def _locator_with_source(self) -> AtZero:
        if (self.source is None) != (self.locator is None):
            raise ValueError("give source and locator together")
        return self

    def reason(self) -> str:
        return f"included in {self.included_in}: {self.note}" if self.included_in else self.note


class Rate(_Cited):
    value: Annotated[float, Field(ge=0, lt=1)]


class Discount(_Strict):
    costs: Rate
    qalys: Rate


class Normal(_Cited):
    """A normal distribution truncated to ``clip`` (mean and SD as read or derived, see ``note``)."""

    mean: Annotated[float, Field(gt=0)]
    sd: NonNegative
    clip: tuple[float, float]

    @model_validator(mode="after")
    def _clip_around_mean(self) -> Normal:
        low, high = self.clip
        if not low < self.mean < high:
            raise ValueError(f"clip {self.clip} must hold the mean {self.mean:g}")
        return self


class BodySize(_Strict):
    """Body-surface area (m²) and weight (kg), drawn with one shared standard normal per patient
    (comonotone: a heavier patient has a larger BSA; an assumption)."""

    bsa_m2: Normal
    weight_kg: Normal


class Thresholds(_Cited):
    per_qaly: list[Annotated[float, Field(gt=0)]] = Field(min_length=1)


class PriceSet(_Strict):
    name: str
    country: str
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    price_year: Annotated[int, Field(ge=1990, le=2100)]
    perspective: str
    vial_sharing: bool = False
    discount: Discount
    thresholds: Thresholds
    body_size: BodySize
    sources: list[PriceSource] = Field(min_length=1)
    unit_costs: dict[str, UnitCost] = Field(default_factory=dict)
    packs: list[Pack] = Field(default_factory=list)
    administration: Administration = Field(default_factory=Administration)
    monitoring: Monitoring = Field(default_factory=Monitoring)
    supportive_care_per_month: Components = Field(default_factory=list)
    end_of_life: Components = Field(default_factory=list)
    adverse_events: dict[AdverseEvent, Components] = Field(default_factory=dict)
    care_actions: dict[str, CareAction] = Field(default_factory=dict)
    at_zero: dict[str, AtZero] = Field(default_factory=dict)  # item -> why it costs nothing (included in ...)
    not_priced: dict[str, str] = Field(default_factory=dict)  # item -> why it could not be priced

    @model_validator(mode="after")
    def _references_resolve(self) -> PriceSet:
        known = {s.id for s in self.sources}
        cited = [*self.unit_costs.values(), *self.packs, self.discount.costs, self.discount.qalys, self.thresholds]
        cited += [self.body_size.bsa_m2, self.body_size.weight_kg]
        sources = {c.source for c in cited} | {z.source for z in self.at_zero.values() if z.source is not None}
        missing = sorted(sources - known)
        if missing:
            raise ValueError(f"unknown sources {missing}; list them under sources")
        unknown = sorted({c.unit for c in self._components()} - set(self.unit_costs))
        if unknown:
            raise ValueError(f"components name unknown unit costs {unknown}")
        priced = self._priced()
        twice = sorted(set(self.at_zero) & (priced | set(self.not_priced)))
        if twice:
            raise ValueError(f"{twice} at zero and also priced or in not_priced; keep one")
        dangling = sorted(
            f"{item} -> {z.included_in}"
            for item, z in self.at_zero.items()
            if z.included_in is not None and z.included_in not in priced
        )
        if dangling:
            raise ValueError(f"at_zero items included in what the set does not price: {dangling}")
        return self

    def _fields(self) -> dict[str, Components]:
        """The accrual's fixed fields by name (administration groups, monitoring, best supportive care, end of life)."""
        return {
            **{name: getattr(self.administration, name) for name in Administration.model_fields},
            "monitoring_per_cycle": self.monitoring.per_cycle,
            "monitoring_per_month": self.monitoring.per_month,
            "supportive_care_per_month": self.supportive_care_per_month,
            "end_of_life": self.end_of_life,
        }

    def _priced(self) -> set[str]:
        """Names of the items the set gives a cost: fields with components, adverse events, care actions."""
        fields = {name for name, components in self._fields().items() if components}
        return fields | set(self.adverse_events) | set(self.care_actions)

    def _components(self) -> list[Component]:
        groups = [*self.administration.model_dump().keys()]
        parts = [c for g in groups for c in getattr(self.administration, g)]
        parts += [*self.monitoring.per_cycle, *self.monitoring.per_month, *self.supportive_care_per_month]
        parts += [*self.end_of_life, *(c for cs in self.adverse_events.values() for c in cs)]
        parts += [c for a in self.care_actions.values() for c in (*a.once, *a.each)]
        return parts

    def total(self, components: Components) -> float:
        """Cost of a list of components."""
        return sum(self.unit_costs[c.unit].cost * c.count for c in components)

    def packs_of(self, drug: str) -> list[Pack]:
        return [p for p in self.packs if p.drug == drug]

    def gaps(self) -> dict[str, str]:
        """What the set leaves unpriced besides single drugs (best supportive care, end of life, injections,
        other events...): reported beside every result, since they cost 0 there."""
        drugs = set(vocabulary().drugs)
        return {item: why for item, why in self.not_priced.items() if item not in drugs}

    def zeros(self) -> dict[str, str]:
        """What the set charges nothing for on purpose, with the reason (``included in X: ...``)."""
        return {item: zero.reason() for item, zero in self.at_zero.items()}

    def unlisted(self, drugs: Iterable[str], events: Iterable[str], actions: Iterable[str]) -> list[str]:
        """What the accrual reads that this set neither prices nor lists in ``not_priced`` or ``at_zero``: the
        administration, monitoring, best supportive care and end-of-life fields (by field name), and the given
        ``drugs`` (those with a dose schedule), grade >= 3 ``events`` (those with rates) and care ``actions``
        (those the rules can trigger). Empty for a complete set: every zero is then said, not silent."""
        listed = set(self.not_priced) | set(self.at_zero)
        missing = [name for name, components in self._fields().items() if not components and name not in listed]
        missing += sorted(d for d in set(drugs) if not self.packs_of(d) and d not in listed)
        missing += sorted(e for e in set(events) if e not in self.adverse_events and e not in listed)
        missing += sorted(a for a in set(actions) if a not in self.care_actions and a not in listed)
        return missing

    def off_year(self) -> list[str]:
        """Items whose price date is not the set's price year (reported beside the results)."""
        dated: dict[str, _Cited] = {f"unit_costs.{k}": v for k, v in self.unit_costs.items()}
        dated.update({f"packs.{p.drug} {p.strength_mg:g} mg": p for p in self.packs})
        return sorted(
            f"{name} ({item.price_date})"
            for name, item in dated.items()
            if item.price_date is not None and not item.price_date.startswith(str(self.price_year))
        )

    @classmethod
    def packaged(cls, price_set: str) -> PriceSet:
        """A price set shipped with the knowledge base, by id (``uk_nhs_2025``; see :func:`packaged_price_sets`)."""
        if price_set not in packaged_price_sets():
            raise PriceFileError([FieldProblem("prices", f"no packaged price set {price_set!r}")])
        return cls.from_dict(
            yaml.safe_load(_packaged_folder().joinpath(f"{price_set}.yaml").read_text(encoding="utf-8"))
        )

    @classmethod
    def load(cls, choice: str | Path | None = None) -> PriceSet:
        """The default set, a packaged one by id (``us_payer_2018``) or a YAML file by path."""
        if choice is not None and not Path(choice).exists() and str(choice) in packaged_price_sets():
            return cls.packaged(str(choice))
        return cls.from_file(choice)

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> PriceSet:
        """The packaged default price set, or a user's YAML; errors name every bad field."""
        if path is None:
            raw_text = _packaged_folder().joinpath(DEFAULT_PRICE_SET).read_text(encoding="utf-8")
        else:
            try:
                raw_text = Path(path).read_text(encoding="utf-8")
            except OSError as error:
                raise PriceFileError([FieldProblem("prices", f"cannot read {path}: {error.strerror}")]) from None
        return cls.from_dict(parse_yaml(raw_text, PriceFileError, "prices"))

    @classmethod
    def from_dict(cls, raw: Any) -> PriceSet:
        if not isinstance(raw, dict):
            raise PriceFileError([FieldProblem("prices", "expected a mapping (name, currency, price_year, ...)")])
        try:
            return cls.model_validate(raw)
        except ValidationError as error:
            raise PriceFileError.from_validation(error, root="prices") from None


def _packaged_folder() -> Traversable:
    return resources.files("mbctwin.knowledge").joinpath("data", "course", "costs")


def packaged_price_sets() -> list[str]:
    """Ids of the price sets shipped with the knowledge base (file names without ``.yaml``), sorted."""
    return sorted(f.name.removesuffix(".yaml") for f in _packaged_folder().iterdir() if f.name.endswith(".yaml"))
