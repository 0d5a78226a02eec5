"""Words for people: the plain-language explanation and the markdown report of a plan."""

from __future__ import annotations

from mbctwin.engine.contract import Dosing, Plan

PLAIN_CLASS = {
    "aromatase_inhibitor": "a hormone-blocking pill (aromatase inhibitor)",
    "serm": "a hormone-blocking pill (tamoxifen-like)",
    "serd": "a drug that breaks down the oestrogen receptor",
    "ovarian_function_suppression": "an injection that switches off the ovaries",
    "cdk4_6_inhibitor": "a targeted pill that slows cancer-cell division (CDK4/6 inhibitor)",
    "pi3k_inhibitor": "a targeted pill against the PIK3CA change in the tumour",
    "akt_inhibitor": "a targeted pill against the AKT pathway",
    "mtor_inhibitor": "a targeted pill (mTOR inhibitor)",
    "anti_her2_antibody": "an antibody against HER2",
    "anti_her2_adc": "an antibody that carries chemotherapy to HER2 on cancer cells",
    "anti_her2_tki": "a HER2-blocking pill",
    "trop2_adc": "an antibody that carries chemotherapy to TROP2 on cancer cells",
    "parp_inhibitor": "a PARP-inhibitor pill for inherited BRCA changes",
    "immune_checkpoint_inhibitor": "immunotherapy",
    "ntrk_inhibitor": "a targeted pill for an NTRK gene fusion",
    "antiangiogenic": "a drug against tumour blood vessels",
}
PLAIN_GROUP = {"chemotherapy": "chemotherapy"}
PLAIN_LOCAL = {
    "radiotherapy": "radiotherapy",
    "stereotactic_radiosurgery": "precise, high-dose radiotherapy (radiosurgery)",
    "whole_brain_radiotherapy": "radiotherapy to the whole brain",
    "surgery": "an operation",
    "interventional": "a procedure",
}


def _describe(classes: list[str]) -> str:
    words = [PLAIN_CLASS[c] for c in classes if c in PLAIN_CLASS]
    if any(c in classes for c in ("taxane", "anthracycline", "antimetabolite", "platinum", "other_chemotherapy")):
        words.append("chemotherapy")
    return " with ".join(dict.fromkeys(words)) or "anticancer medicine"


def explanation(plan: Plan) -> str:
    """A few sentences a patient can read; no jargon without its meaning."""
    parts = [
        f"Your breast cancer has spread (metastatic breast cancer); its type is {plan.subtype}. "
        f"This plan is for treatment line {plan.line}."
    ]
    if plan.urgent:
        parts.append(
            "Some problems need attention straight away: "
            + ", ".join(u.code.replace("_", " ") for u in plan.urgent)
            + "."
        )
    if plan.systemic:
        first = plan.systemic[0]
        parts.append(f"The first suggestion is {first.regimen}: {_describe(first.classes)}.")
        if len(plan.systemic) > 1:
            parts.append(f"There are {len(plan.systemic) - 1} other options if this one is not suitable.")
    else:
        parts.append("Anticancer medicines are not expected to help now; the focus is on comfort and quality of life.")
    for item in plan.local:
        parts.append(f"For the {item.site.replace('_', ' ')}, {PLAIN_LOCAL[item.modality]} is suggested ({item.why}).")
    if plan.tests_needed:
        parts.append("Some tests could change the plan: " + ", ".join(t.test for t in plan.tests_needed) + ".")
    parts.append("Your care team will discuss these choices with you; this summary does not replace that talk.")
    return " ".join(parts)


def _dose_line(entry: Dosing) -> str:
    """An indented bullet under its option: drug, dose, schedule, adjustment and source."""
    line = f"    - {entry.drug.replace('_', ' ')}: {entry.dose}, {entry.schedule}"
    if entry.adjustment:
        line += f" — **adjusted:** {entry.adjustment}"
    return line + (f" ({entry.source})" if entry.source else "")


def markdown(plan: Plan) -> str:
    """A printable report of the plan."""
    lines = [
        f"# Treatment plan for case `{plan.case_id}`",
        "",
        f"**Subtype** {plan.subtype} (HER2 {plan.her2_category}) · **line** {plan.line} · "
        f"**endocrine resistance** {plan.endocrine_resistance.replace('_', ' ')}",
        f"**Goals** {', '.join(g.replace('_', ' ') for g in plan.goals)}",
        "",
    ]
    if plan.urgent:
        lines += ["## Urgent", ""] + [f"- **{u.code}**: {u.action}" for u in plan.urgent] + [""]
    if plan.warnings:
        lines += ["## Check these values", ""] + [f"- {w}" for w in plan.warnings] + [""]
    lines += ["## Systemic therapy", ""]
    if not plan.systemic:
        lines.append("No systemic anticancer therapy: best supportive care.")
    for option in plan.systemic:
        evidence = "; ".join(f"{e.source}" + (f" ({e.finding})" if e.finding else "") for e in option.evidence)
        lines.append(
            f"{option.rank}. **{option.regimen}** — {option.why}. Level: {option.level or 'n/a'}. Evidence: {evidence}"
        )
        lines += [_dose_line(entry) for entry in option.dosing]
    lines.append("")
    if plan.local:
        lines += ["## Local treatment", ""]
        lines += [f"- {x.modality.replace('_', ' ')} to {x.site}: {x.regimen} — {x.why}" for x in plan.local] + [""]
    if plan.supportive:
        lines += ["## Supportive care", ""]
        lines += [
            f"- {', '.join(s.drugs or s.classes)}: {s.why}" + (f" ({s.notes})" if s.notes else "")
            for s in plan.supportive
        ] + [""]
    if plan.not_recommended:
        lines += ["## Not recommended", ""]
        lines += [f"- {', '.join(n.drugs)}: {n.why}" for n in plan.not_recommended] + [""]
    if plan.tests_needed:
        lines += ["## Tests that would change the plan", ""]
        lines += [f"- {t.test}: {t.why}" for t in plan.tests_needed] + [""]
    lines += ["## For the patient", "", plan.explanation, "", f"*{plan.disclaimer}*", ""]
    return "\n".join(lines)
