"""End to end in a real browser: Debian's chromium driven by Playwright against ``mbc serve`` on 127.0.0.1.

Screenshots of every page go to ``$MBC_SCREENSHOTS`` (default: ``<tmp>/mbctwin-web-screenshots``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from mbctwin.report.render import CHROMIUM_ARGS
from mbctwin.store import repo
from mbctwin.store.db import make_engine, migrate, session_factory
from tests.web._browser import missing, require_browser

SHOTS = Path(os.environ.get("MBC_SCREENSHOTS") or Path(tempfile.gettempdir()) / "mbctwin-web-screenshots")
pytestmark = pytest.mark.skipif(missing() is not None and os.environ.get("CI") != "true", reason=str(missing()))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mbc serve exited with {process.returncode}: {process.stderr.read()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """``mbc serve`` with authentication on a temporary SQLite file, and one API key."""
    require_browser()
    url = f"sqlite:///{tmp_path_factory.mktemp('web-e2e') / 'e2e.db'}"
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine)() as session:
        _, key = repo.create_api_key(session=session, name="e2e-clinician")
        session.commit()
    engine.dispose()
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "mbctwin",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database-url",
        url,
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(f"{base}/healthz", process)
        yield {"base": base, "key": key}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


@pytest.fixture(scope="module")
def browser(server: dict[str, str]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def context(browser: Any, server: dict[str, str]) -> Iterator[Any]:
    """One signed-in browser profile for the module (signed in through the form, as a person would)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, base_url=server["base"])
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    page.goto("/ui/history")
    assert "/ui/login" in page.url
    page.screenshot(path=SHOTS / "01-sign-in.png")
    page.get_by_label("API key").fill(server["key"])
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/ui/login" not in url)
    assert page.url.endswith("/ui/history")
    page.close()
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    page.close()
    assert errors == [], f"JavaScript errors: {errors}"


def _submit(page: Any) -> None:
    page.locator("#make-plan").click()
    page.wait_for_load_state()


def test_session_cookie_flags(context: Any) -> None:
    cookie = next(c for c in context.cookies() if c["name"] == "mbc_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"


def test_fill_the_form_and_see_a_plan(page: Any) -> None:
    page.goto("/ui/case")
    page.screenshot(path=SHOTS / "02-case-empty.png", full_page=True)
    page.get_by_label("Age (years)").fill("58")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Menopausal status").select_option("post")
    page.get_by_label("ECOG performance status").select_option("1")
    page.get_by_label("Presentation").select_option("de_novo")
    page.get_by_label("ER", exact=True).select_option("positive")
    page.get_by_label("PR", exact=True).select_option("positive")
    page.get_by_label("HER2 IHC").select_option("0")
    page.locator("#f-metastases-0-site").select_option("bone")
    page.locator("#f-metastases-0-count").fill("3")
    page.locator("#f-metastases-0-symptomatic").check()
    page.get_by_role("button", name="+ Add site").click()  # the row is added by app.js and takes focus
    assert page.evaluate("document.activeElement.id") == "f-metastases-1-site"
    page.keyboard.press("Tab")
    page.locator("#f-metastases-1-site").select_option("liver")
    page.locator("#f-metastases-1-count").fill("2")
    page.get_by_label("Pain score (0\u201310)").fill("5")
    _submit(page)
    assert "/ui/plans/" in page.url
    assert page.get_by_role("heading", name="Systemic therapy, ranked").is_visible()
    assert page.locator("article.option").count() >= 1
    assert page.locator("article.option a[href^='https://pubmed.ncbi.nlm.nih.gov/']").count() >= 1
    page.screenshot(path=SHOTS / "03-plan.png", full_page=True)
    page.get_by_role("tab", name="Clinician plan").focus()
    page.keyboard.press("ArrowRight")  # keyboard-operable tabs
    assert page.locator("#panel-patient").is_visible()
    assert not page.locator("#panel-clinician").is_visible()
    page.screenshot(path=SHOTS / "04-plan-patient-tab.png")


def test_body_map_marks_sites(page: Any) -> None:
    page.goto("/ui/case?example=frail-cord-compression")
    _submit(page)
    assert page.locator(".urgent").is_visible()
    assert "Urgent" in page.locator(".urgent h2").inner_text()
    bone = page.locator("svg.body-map [data-site='bone']")
    assert bone.count() == 1
    assert bone.get_attribute("data-symptomatic") == "true"
    assert bone.locator("text").text_content() == "10+"
    assert "symptomatic" in page.locator("#map-legend li[data-site='bone']").inner_text()
    box = bone.bounding_box()
    assert box is not None
    assert box["width"] > 10
    page.locator(".plan-side").screenshot(path=SHOTS / "05-body-map.png")
    page.screenshot(path=SHOTS / "06-plan-urgent.png", full_page=True)
    page.get_by_role("link", name="Outlook").click()
    page.locator("#outlook-bar").wait_for()  # the simulation's progress is shown, then the outlook
    page.locator(".chart-wide svg.outlook-chart").wait_for(timeout=90_000)
    alternatives = page.locator("dt", has_text="came first").count()
    assert alternatives >= 1
    assert page.locator(".chart-wide svg.outlook-chart polyline").count() == 2 + alternatives  # OS, PFS, alternatives
    page.screenshot(path=SHOTS / "12-outlook.png", full_page=True)


def test_bad_input_shows_inline_error(page: Any) -> None:
    page.goto("/ui/case?example=her2-positive-brain")
    page.get_by_label("Age (years)").fill("7")
    page.locator("#f-prior_therapies-0-drugs").fill("docetaxel, trastuzumabb")
    _submit(page)
    assert "/ui/case" in page.url
    assert "greater than or equal to 18" in page.locator("#f-age-err").inner_text()
    assert "unknown drug" in page.locator("#f-prior_therapies-0-drugs-err").inner_text()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    page.locator("#error-summary a[href='#f-age']").click()
    page.screenshot(path=SHOTS / "07-case-errors.png", full_page=True)


def test_fhir_import_then_plan(page: Any) -> None:
    bundle = resources.files("mbctwin.case").joinpath("examples", "fhir", "her2-positive-de-novo-brain.json")
    page.goto("/ui/case")
    with resources.as_file(bundle) as path:
        page.locator("#upload-file").set_input_files(str(path))
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state()
    assert "Imported FHIR Bundle" in page.locator(".alert-info").inner_text()
    assert page.locator("#f-metastases-0-site").input_value() != ""
    page.screenshot(path=SHOTS / "08-fhir-import.png", full_page=True)
    _submit(page)
    assert "/ui/plans/" in page.url
    assert page.locator("svg.body-map [data-site='brain']").count() == 1


def test_report_download(page: Any, tmp_path: Path) -> None:
    page.goto("/ui/case?example=hr-positive-first-line")
    _submit(page)
    with page.expect_download() as info:
        page.locator("#download-pdf").click()
    pdf = tmp_path / "report.pdf"
    info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 20_000
    with page.expect_download() as info:
        page.get_by_role("link", name="Report (HTML)").click()
    html = tmp_path / "report.html"
    info.value.save_as(html)
    page.goto(html.as_uri())
    assert page.locator("svg.body-map [data-site='lung']").count() == 1
    page.screenshot(path=SHOTS / "09-report.png", full_page=True)


def test_history_and_versions(page: Any) -> None:
    page.goto("/ui/history")
    assert page.locator("table.history tbody tr").count() >= 3
    page.screenshot(path=SHOTS / "10-history.png", full_page=True)
    page.locator("table.history a", has_text="Edit").first.click()
    page.get_by_label("ECOG performance status").select_option("2")
    _submit(page)
    page.get_by_role("link", name="Versions").click()
    assert page.locator("#changed-h ~ table tr.changed", has_text="ecog").count() == 1
    page.screenshot(path=SHOTS / "11-versions.png", full_page=True)


def _signed_in(browser: Any, server: dict[str, str]) -> Any:
    """A browser profile of its own, signed in through the form (signing it out leaves the shared one alone)."""
    ctx = browser.new_context(base_url=server["base"])
    page = ctx.new_page()
    page.goto("/ui/login")
    page.get_by_label("API key").fill(server["key"])
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/ui/login" not in url)
    return ctx, page


def test_sign_out(browser: Any, server: dict[str, str]) -> None:
    ctx, page = _signed_in(browser, server)
    page.goto("/ui/case")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(lambda url: "/ui/login" in url)
    page.goto("/ui/case")
    assert "/ui/login" in page.url
    ctx.close()


WIDTHS = {"phone": (375, 740), "tablet": (768, 1024), "desktop": (1280, 900)}
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def _fits(page: Any, name: str, width: str) -> None:
    """No sideways scrolling, the header's controls on screen; a screenshot for docs/web.md."""
    assert page.evaluate(OVERFLOW) <= 0, f"{name} scrolls sideways at {width}"
    viewport = page.viewport_size
    for control in ("button:has-text('Sign out')", "nav[aria-label='Main'] a >> nth=-1"):
        box = page.locator(control).bounding_box()
        assert box is not None, f"{control} hidden on {name} at {width}"
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= viewport["width"], f"{control} off screen on {name} at {width}"
    page.screenshot(path=SHOTS / f"{name}-{width}.png", full_page=True)


def test_every_page_fits_phone_tablet_and_desktop(page: Any) -> None:
    page.goto("/ui/case?example=frail-cord-compression")
    _submit(page)
    plan = page.url.removeprefix(page.url.split("/ui/")[0])
    page.goto(f"{plan}/outlook")
    page.locator(".chart-wide svg.outlook-chart").wait_for(timeout=90_000)
    page.goto(plan)
    versions = page.get_by_role("link", name="Versions").get_attribute("href")
    pages = {
        "case": "/ui/case?example=her2-positive-brain",
        "plan": plan,
        "outlook": f"{plan}/outlook",
        "history": "/ui/history",
        "versions": versions,
    }
    for width, (w, h) in WIDTHS.items():
        page.set_viewport_size({"width": w, "height": h})
        for name, url in pages.items():
            page.goto(url)
            _fits(page, name, width)
        if width == "phone":  # the last page shown: the outlook's narrow chart keeps its text legible
            page.goto(pages["outlook"])
            assert page.locator(".chart-narrow svg.outlook-chart").is_visible()
            assert page.locator(".chart-wide").is_hidden()


def test_history_search_finds_a_case_by_its_label(page: Any) -> None:
    page.goto("/ui/case?example=her2-positive-brain")
    page.get_by_label("Case label").fill("search-me-42")
    _submit(page)
    page.goto("/ui/history")
    page.get_by_label("Find a case by label or id").fill("SEARCH-me")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "q=" in url)
    assert page.locator("table.history .case-label").all_inner_texts() == ["search-me-42"]


def test_an_expired_session_keeps_the_form(browser: Any, server: dict[str, str]) -> None:
    """Signed out in another tab while filling the form: the entries survive and the page asks to sign in."""
    ctx, page = _signed_in(browser, server)
    page.goto("/ui/case?example=hr-positive-first-line")
    page.get_by_label("Age (years)").fill("71")
    other = ctx.new_page()
    other.goto("/ui/case")
    other.get_by_role("button", name="Sign out").click()
    other.wait_for_url(lambda url: "/ui/login" in url)
    _submit(page)
    assert page.locator("#session-expired").is_visible()
    assert page.get_by_label("Age (years)").input_value() == "71"
    page.screenshot(path=SHOTS / "case-session-expired-desktop.png")
    ctx.close()


def test_an_options_mcbs_score_reads_as_words_beside_its_evidence_on_a_phone(page: Any) -> None:
    """Score and scale in text (no colour-only badge), before the evidence, the long source wrapped."""
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/ui/case?example=hr-positive-first-line")
    _submit(page)
    line = page.locator("#mcbs-1")
    assert line.is_visible()
    assert "score 4 (non-curative scale 1\u20135; 4\u20135 = substantial benefit)" in line.inner_text()
    assert line.get_by_role("link").get_attribute("href", timeout=1_000).startswith("https://")
    evidence = page.locator("article.option.first details.evidence").first.bounding_box()
    box = line.bounding_box()
    assert box is not None
    assert evidence is not None
    assert box["y"] < evidence["y"]
    assert page.evaluate(OVERFLOW) <= 0
    line.screenshot(path=SHOTS / "13-plan-mcbs-phone.png")
