"""A readable terminal view of a plan (rich)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mbctwin.engine.contract import Dosing, Plan
from mbctwin.engine.families import grouped, members_text, separation


def _systemic_table(plan: Plan) -> Table:
    table = Table(title="Systemic therapy (ranked)", show_lines=False, expand=True)
    table.add_column("#", justify="right", width=3)
    table.add_column("Regimen", style="bold")
    table.add_column("Dose")
    table.add_column("Why")
    table.add_column("Evidence")
    table.add_column("Level", width=10)
    for option in plan.systemic:
        trials = [e for e in option.evidence if e.finding]
        evidence = "\n".join(f"{e.source}: {e.finding}" for e in trials[:2])
        guidelines = ", ".join(e.source for e in option.evidence if not e.finding)
        doses = Text("\n").join(_dose_text(d) for d in option.dosing)
        cited = (evidence or guidelines) + (f"\nESMO-MCBS score {option.mcbs.score}" if option.mcbs else "")
        table.add_row(str(option.rank), option.regimen, doses, option.why, cited, option.level or "")
    return table


def mcbs_lines(plan: Plan) -> list[str]:
    """Each ESMO-MCBS source once with the ranks it scores: the table keeps only the score, and the
    scale and scorecard (version, ESMO's own or a table citing it) would repeat on every row."""
    ranks: dict[tuple[str, str, str], list[str]] = {}
    for option in plan.systemic:
        if m := option.mcbs:
            ranks.setdefault((m.score, m.scale, m.source_text), []).append(str(option.rank))
    return [f"rank {', '.join(r)}: score {score} ({scale}); {source}" for (score, scale, source), r in ranks.items()]


def family_lines(plan: Plan) -> list[str]:
    """One line per family of options (in the rank of its best member): its members as words and, for a
    family of several, what the evidence says about each ("ribociclib: MONALEESA-2 OS ... HR 0.76")."""
    lines = []
    for group in grouped(plan.systemic):
        ranks = ", ".join(str(o.rank) for o in group)
        line = f"{group[0].family}: {members_text(group)} (rank {ranks})"
        if len(group) > 1:
            line += "".join(
                f"\n    {' + '.join(d.replace('_', ' ') for d in o.drugs)} - {separation(o)}" for o in group
            )
        lines.append(line)
    return lines


def _dose_text(entry: Dosing) -> Text:
    """``paclitaxel 80 mg/m² IV, weekly`` with the adjustment, when any, in yellow below it."""
    text = Text(f"{entry.drug.replace('_', ' ')} {entry.dose}, {entry.schedule}")
    if entry.adjustment:
        text.append(f"\n  ⚠ {entry.adjustment}", style="yellow")
    return text


def _list_panel(title: str, rows: list[str], style: str = "") -> Panel:
    return Panel("\n".join(f"• {r}" for r in rows), title=title, border_style=style, expand=True)


def render_plan(plan: Plan, console: Console) -> None:
    header = Text.assemble(
        (f"{plan.subtype}", "bold"),
        f"  HER2 {plan.her2_category}  ·  line {plan.line}  ·  ",
        f"endocrine: {plan.endocrine_resistance.replace('_', ' ')}  ·  goals: ",
        ", ".join(g.replace("_", " ") for g in plan.goals),
    )
    parts: list = [header]
    if plan.urgent:
        parts.append(_list_panel("URGENT", [f"{u.code}: {u.action}" for u in plan.urgent], "bold red"))
    if plan.warnings:
        parts.append(_list_panel("Check these values", plan.warnings, "yellow"))
    parts.append(_systemic_table(plan) if plan.systemic else Text("No systemic therapy: best supportive care."))
    if plan.systemic:
        parts.append(_list_panel("Families of options (what separates their members)", family_lines(plan), "blue"))
    if scored := mcbs_lines(plan):
        parts.append(_list_panel("ESMO-MCBS scores (ESMO Magnitude of Clinical Benefit Scale)", scored))
    if plan.assumptions:
        parts.append(_list_panel("Assumed (missing from the case)", plan.assumptions, "magenta"))
    if plan.local:
        parts.append(
            _list_panel("Local treatment", [f"{x.modality} → {x.site}: {x.regimen} ({x.why})" for x in plan.local])
        )
    if plan.supportive:
        parts.append(
            _list_panel("Supportive care", [f"{', '.join(s.drugs or s.classes)}: {s.why}" for s in plan.supportive])
        )
    if plan.not_recommended:
        parts.append(
            _list_panel("Not recommended", [f"{', '.join(n.drugs)}: {n.why}" for n in plan.not_recommended], "yellow")
        )
    if plan.tests_needed:
        parts.append(
            _list_panel("Tests that would change the plan", [f"{t.test}: {t.why}" for t in plan.tests_needed], "cyan")
        )
    parts += [Panel(plan.explanation, title="For the patient"), Text(plan.disclaimer, style="italic dim")]
    console.print(Panel(Group(*parts), title=f"mbctwin plan · {plan.case_id}"))
