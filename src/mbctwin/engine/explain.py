"""Words for people: the plain-language explanation and the markdown report of a plan.

The explanation follows the contract (§2): it fits the patient (a man has no ovaries), names drugs
as words, explains every technical word it uses, and keeps to short sentences (Flesch-Kincaid grade
8 or lower, tested over every bundled and test vignette).
"""

from __future__ import annotations

from mbctwin.case.models import Case
from mbctwin.case.vocabulary import vocabulary
from mbctwin.engine.contract import Dosing, Mcbs, Plan, SystemicOption

PLAIN_CLASS = {
    "aromatase_inhibitor": "a pill that lowers the body's oestrogen",
    "serm": "a pill that blocks oestrogen",
    "serd": "a medicine that breaks down the cancer's oestrogen receptor",
    "cdk4_6_inhibitor": "a pill that slows the growth of cancer cells",
    "pi3k_inhibitor": "a pill that blocks a growth signal inside cancer cells",
    "akt_inhibitor": "a pill that blocks a growth signal inside cancer cells",
    "mtor_inhibitor": "a pill that blocks a growth signal inside cancer cells",
    "anti_her2_antibody": "a drip that targets the HER2 protein",
    "anti_her2_adc": "a drip that carries chemotherapy straight to cancer cells with HER2",
    "anti_her2_tki": "a pill that blocks the HER2 protein",
    "trop2_adc": "a drip that carries chemotherapy straight to cancer cells",
    "parp_inhibitor": "a pill for cancers linked to an inherited BRCA gene change",
    "immune_checkpoint_inhibitor": "a drip that helps your immune system attack the cancer",
    "taxane": "chemotherapy",
    "anthracycline": "chemotherapy",
    "antimetabolite": "chemotherapy",
    "platinum": "chemotherapy",
    "other_chemotherapy": "chemotherapy",
    "ntrk_inhibitor": "a pill for cancers with a rare gene change",
    "antiangiogenic": "a drip that cuts the blood supply of the cancer",
}
OVARIAN_SUPPRESSION = {
    "female": "an injection that stops the ovaries from making oestrogen",
    "male": "an injection that stops the body from making sex hormones",
}
SUBTYPE_WORDS = {
    "HR+/HER2-": "Hormones help your cancer grow. It does not have extra HER2, a protein on some cancer cells.",
    "HR+/HER2+": "Hormones help your cancer grow. It also has extra HER2, a protein on some cancer cells.",
    "HR-/HER2+": "Your cancer has extra HER2, a protein on some cancer cells. Hormones do not drive it.",
    "triple-negative": (
        "Your cancer is triple-negative. Hormones and HER2, a protein on some cancer cells, do not drive it."
    ),
}
UNKNOWN_HER2 = "A test for HER2, a protein on some cancer cells, is still needed."
URGENT_WORDS = {
    "spinal_cord_compression": "pressure on the spinal cord",
    "hypercalcemia": "a high calcium level in the blood",
    "visceral_crisis": "organs that are not working well because of the cancer",
    "symptomatic_brain_metastases": "cancer in the brain that causes symptoms",
    "leptomeningeal_disease": "cancer in the thin lining of the brain and spine",
    "impending_fracture": "a bone that may break",
    "pathological_fracture": "a broken bone",
    "malignant_effusion": "fluid that has built up around the lungs or other organs",
    "biliary_obstruction": "a blocked bile duct in the liver",
    "pregnancy": "your pregnancy, so a team of cancer and pregnancy doctors will care for you and your baby",
}
PLAIN_LOCAL = {
    "radiotherapy": "radiotherapy",
    "stereotactic_radiosurgery": "precise, high-dose radiotherapy",
    "whole_brain_radiotherapy": "radiotherapy to the whole brain",
    "craniospinal_radiotherapy": "radiotherapy to the brain and spine",
    "intrathecal": "medicine given into the fluid around the spine",
    "surgery": "an operation",
    "interventional": "a small procedure",
}
ORDINAL = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def explanation(plan: Plan, case: Case) -> str:
    """A few short sentences a patient can read, with no unexplained jargon."""
    parts = [
        "Your breast cancer has spread to other parts of the body.",
        SUBTYPE_WORDS.get(plan.subtype, UNKNOWN_HER2),
        *_er_low(plan),
        f"This plan is for your {ORDINAL.get(plan.line, 'next')} treatment since the cancer spread.",
        *_urgent(plan),
        *_systemic(plan, case),
        *_local(plan),
    ]
    if case.pregnancy == "breastfeeding":
        parts.append("You will need to stop breastfeeding before treatment starts.")
    if plan.tests_needed:
        parts.append("Some more tests could change the plan.")
    parts.append("Your care team will talk with you about these choices. This summary does not replace that talk.")
    return " ".join(parts)


def _dose_line(entry: Dosing) -> str:
    """An indented bullet under its option: drug, dose, schedule, adjustment and source."""
    line = f"    - {entry.drug.replace('_', ' ')}: {entry.dose}, {entry.schedule}"
    if entry.adjustment:
        line += f" — **adjusted:** {entry.adjustment}"
    return line + (f" ({entry.source})" if entry.source else "")


def _mcbs_line(mcbs: Mcbs) -> str:
    """An indented bullet under its option, above the doses: the score with its scale and what was read."""
    return f"    - ESMO-MCBS score {mcbs.score} ({mcbs.scale}); source: {mcbs.source_text}"


def _er_low(plan: Plan) -> list[str]:
    low = any(entry.factor == "er_low" for entry in plan.rationale)
    return [
        "Only a few of the cancer cells have hormone receptors, so it is treated like triple-negative cancer."
    ] * low


def _urgent(plan: Plan) -> list[str]:
    if not plan.urgent:
        return []
    named = [URGENT_WORDS.get(u.code, u.code.replace("_", " ")) for u in plan.urgent]
    return ["Some things need care straight away: " + "; ".join(named) + "."]


def _systemic(plan: Plan, case: Case) -> list[str]:
    if not plan.systemic:
        if any("first trimester" in s.why for s in plan.supportive):
            return ["Cancer medicines must wait until week 14 of the pregnancy, to protect the baby."]
        return ["Cancer medicines are not likely to help now. The focus is on comfort and quality of life."]
    first = plan.systemic[0]
    said = [f"The first choice is {_words(first.drugs)}.", *_drug_sentences(first, case)]
    if len(plan.systemic) > 1:
        others = len(plan.systemic) - 1
        count = "is 1 other choice" if others == 1 else f"are {others} other choices"
        said.append(f"There {count} if this one does not suit you.")
    return said


def _drug_sentences(option: SystemicOption, case: Case) -> list[str]:
    vocab = vocabulary()
    said = []
    for drug in option.drugs:
        cls = vocab.drugs[drug].classes[0]
        plain = OVARIAN_SUPPRESSION[case.sex] if cls == "ovarian_function_suppression" else PLAIN_CLASS.get(cls)
        if plain:
            said.append(f"{drug.replace('_', ' ').capitalize()} is {plain}.")
    return said


def _local(plan: Plan) -> list[str]:
    said = []
    for item in plan.local:
        site = "lining of the brain and spine" if item.site == "leptomeninges" else item.site.replace("_", " ")
        said.append(f"For the cancer in the {site}, {PLAIN_LOCAL[item.modality]} may help.")
    return list(dict.fromkeys(said))


def _words(drugs: list[str]) -> str:
    names = [d.replace("_", " ") for d in drugs]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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
    if plan.assumptions:
        lines += ["## Assumed because the case lacks it", ""] + [f"- {a}" for a in plan.assumptions] + [""]
    lines += ["## Systemic therapy", ""]
    if not plan.systemic:
        lines.append("No systemic anticancer therapy: best supportive care.")
    for option in plan.systemic:
        evidence = "; ".join(f"{e.source}" + (f" ({e.finding})" if e.finding else "") for e in option.evidence)
        lines.append(
            f"{option.rank}. **{option.regimen}** — {option.why}. Level: {option.level or 'n/a'}. Evidence: {evidence}"
        )
        lines += [_mcbs_line(option.mcbs)] if option.mcbs else []
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
