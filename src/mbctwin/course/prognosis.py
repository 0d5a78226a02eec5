r"""Prognostic factors that published PFS figures average over: presentation and age.

A trial's median PFS is an average over the patients it enrolled, early relapsers and older women
included. Applying a population hazard ratio on top of it would count those patients twice, so
these factors only say who fares better or worse than the population the figures describe:

.. math:: m_i = \frac{HR(x_i)}{\overline{HR}_{ref}}, \qquad
          HR(x) = HR_{DFI}(x) \cdot HR_{age}(x)

* a simulated population (an in-silico trial, an ``mbc cohort`` population) is its own
  reference, :math:`\overline{HR}_{ref}` = its mean, so its average hazard is the published one;
* a single patient ("what will happen to this patient") is compared with a published MBC
  population mix (``prognostic_reference``: Lobbezoo 2015 presentations, ESME ages).

Categories (hazard ratios in ``structure.yaml``, cited there): de novo disease and recurrence after
24 months or more are the reference; recurrence within 24 months of the primary has HR 2.15
(EMBRACE); a recurrence of unknown interval gets the reference mix's average over recurrences.
Age over 60 has HR 1.10 (ESME). The multiplier is fixed for the course, as the covariates are
values at the diagnosis of metastatic disease.
"""

from __future__ import annotations

import numpy as np

from mbctwin.case.models import Case
from mbctwin.course.cohort import Cohort
from mbctwin.course.params import CourseParams

SHORT_INTERVAL_MONTHS = 24
OLDER_THAN = 60


def relative_risk(params: CourseParams, cohort: Cohort) -> np.ndarray:
    """Each patient's hazard multiplier for presentation and age, shape (n,)."""
    hr = params.prognostic_hr
    presentation = np.array([_presentation_hr(case, params) for case in cohort.templates])[cohort.template]
    raw = presentation * np.where(cohort.age > OLDER_THAN, hr.age_over_60, 1.0)
    reference = raw.mean() if cohort.population else _reference_mean(params)
    return raw / reference


def _presentation_hr(case: Case, params: CourseParams) -> float:
    short = params.prognostic_hr.recurrent_dfi_under_24_months
    if case.presentation != "recurrent":
        return 1.0
    if case.disease_free_interval_months is None:
        mix = params.prognostic_reference
        recurrent = mix.recurrent_dfi_under_24_months + mix.recurrent_dfi_24_months_or_more
        return (mix.recurrent_dfi_under_24_months * short + mix.recurrent_dfi_24_months_or_more) / recurrent
    return short if case.disease_free_interval_months < SHORT_INTERVAL_MONTHS else 1.0


def _reference_mean(params: CourseParams) -> float:
    hr, mix = params.prognostic_hr, params.prognostic_reference
    short = mix.recurrent_dfi_under_24_months * hr.recurrent_dfi_under_24_months
    presentation = mix.de_novo + mix.recurrent_dfi_24_months_or_more + short
    age = 1 - mix.age_over_60 + mix.age_over_60 * hr.age_over_60
    return presentation * age
