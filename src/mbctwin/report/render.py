"""Render a case and its plan as one printable HTML document; print it to PDF with Debian's Chromium."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from mbctwin.case.models import Case
from mbctwin.engine.contract import Plan
from mbctwin.errors import MbctwinError
from mbctwin.knowledge.loader import KnowledgeBase, load_kb
from mbctwin.report.bodymap import body_map_svg, site_marks
from mbctwin.report.format import case_summary, evidence_table, evidence_url, human
from mbctwin.report.outlook import Outlook, simulate_outlook
from mbctwin.report.outlook_view import outlook_view

PDF_TIMEOUT_S = 90
# Headless Chromium with no network of its own and a throw-away profile (the PDF printer; the browser tests).
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)


class ChromiumMissing(MbctwinError):
    """No ``chromium`` executable on PATH, so no PDF can be printed."""


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("mbctwin.report", "templates"), autoescape=select_autoescape())
    env.filters["human"] = human
    env.globals["evidence_url"] = evidence_url
    return env


def plan_context(case: Case, plan: Plan, map_width: int) -> dict[str, Any]:
    """What the report and the web plan page show of a case and its plan: summary, body map, sites, evidence."""
    return {
        "case": case,
        "plan": plan,
        "summary": case_summary(case),
        "body_map": Markup(body_map_svg(case, width=map_width)),
        "marks": site_marks(case),
        "evidence": evidence_table(plan),
    }


def render_html(case: Case, plan: Plan, *, generated: datetime | None = None, outlook: Outlook | None = None) -> str:
    """The report as one HTML document with inline CSS and SVG: no external file is needed to view or print it."""
    css = resources.files("mbctwin.report").joinpath("templates", "report.css").read_text(encoding="utf-8")
    template = _environment().get_template("report.html")
    return template.render(
        **plan_context(case, plan, map_width=180),
        css=Markup(css),
        outlook=outlook,
        outlook_svg=Markup(outlook.svg) if outlook else None,
        outlook_view=outlook_view(outlook) if outlook else None,
        costs=outlook.costs.html() if outlook and outlook.costs else None,
        generated=(generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
    )


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise ChromiumMissing(
            "PDF output needs Chromium: install Debian's package (apt-get install -y chromium), "
            "or write --out report.html"
        )
    return path


def html_to_pdf(html: str, out: Path) -> Path:
    """Print ``html`` to ``out`` with ``chromium --headless --print-to-pdf`` (no network, throw-away profile)."""
    browser = chromium_path()
    out = Path(out).resolve()
    with tempfile.TemporaryDirectory(prefix="mbc-report-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        command = [
            browser,
            *CHROMIUM_ARGS,
            "--no-pdf-header-footer",
            f"--user-data-dir={tmp}/profile",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=PDF_TIMEOUT_S, check=False)
    if done.returncode != 0 or not out.exists() or out.stat().st_size == 0:
        raise MbctwinError(f"chromium could not print the PDF (exit {done.returncode}): {done.stderr.strip()[-400:]}")
    return out


def write_report(
    case: Case,
    plan: Plan,
    out: Path,
    *,
    kb: KnowledgeBase | None = None,
    outlook: bool = True,
    progress: Callable[[str, float], None] | None = None,
) -> Path:
    """Write ``out`` as HTML, or as PDF when its suffix is ``.pdf``; ``outlook`` adds the simulated curves.

    ``progress(stage, fraction)`` hears about the slow steps (the outlook simulation, the PDF printing)."""
    report = progress or (lambda _stage, _fraction: None)
    out = Path(out)
    simulated = None
    if outlook:
        simulated = simulate_outlook(case, kb or load_kb(), progress=lambda f: report("simulating the outlook", f))
    html = render_html(case, plan, outlook=simulated)
    if out.suffix.lower() == ".pdf":
        report("printing the PDF", 1.0)
        return html_to_pdf(html, out)
    out.write_text(html, encoding="utf-8")
    return out
