"""Every page and form path of the web interface through TestClient."""

from __future__ import annotations

import re
import time

import pytest
import yaml
from fastapi.testclient import TestClient

from mbctwin.case.io import example_case, example_names
from mbctwin.service.web import auth
from mbctwin.store import repo
from tests.web.conftest import as_json, fhir_example, valid_form


def _plan_id(response) -> str:
    assert response.status_code == 303, response.text[:500]
    location = response.headers["location"]
    assert re.fullmatch(r"/ui/plans/[0-9a-f-]{36}", location)
    return location.rsplit("/", 1)[1]


# --- sign-in ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/ui/case", "/ui/history", "/ui/plans/abc", "/ui/cases/abc"])
def test_pages_redirect_to_sign_in(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/login?next=")


def test_a_form_posted_without_a_session_is_kept_and_asks_to_sign_in(app, anonymous: TestClient) -> None:
    response = anonymous.post("/ui/case", data=valid_form())
    assert response.status_code == 401
    assert 'id="session-expired"' in response.text
    assert 'href="/ui/login?next=/ui/signed-in"' in response.text
    assert 'value="63"' in response.text  # the age typed in is still in the form
    assert 'value="letrozole"' in response.text
    with app.state.sessions() as session:
        assert repo.history(session=session, tenant="default") == []  # nothing was stored


def test_sign_in_sets_a_strict_httponly_cookie(anonymous: TestClient, api_key: str) -> None:
    page = anonymous.get("/ui/login")
    assert page.status_code == 200
    assert '<label for="api_key">API key</label>' in page.text
    response = anonymous.post("/ui/login", data={"api_key": api_key, "next": "/ui/history"})
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/history"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{auth.COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    assert api_key not in cookie
    assert anonymous.get("/ui/history").status_code == 200


def test_wrong_key_is_refused(anonymous: TestClient) -> None:
    response = anonymous.post("/ui/login", data={"api_key": "mbc_nope_nope", "next": "/ui/case"})
    assert response.status_code == 401
    assert "not accepted" in response.text
    assert "set-cookie" not in response.headers


def test_forged_cookie_is_ignored(anonymous: TestClient) -> None:
    anonymous.cookies.set(auth.COOKIE, "forged.value.here")
    assert anonymous.get("/ui/case").status_code == 303


def test_next_cannot_leave_the_site(anonymous: TestClient, api_key: str) -> None:
    response = anonymous.post("/ui/login", data={"api_key": api_key, "next": "https://evil.example/"})
    assert response.headers["location"] == "/ui/case"


def test_sign_out_clears_the_cookie(client: TestClient) -> None:
    response = client.post("/ui/logout")
    assert response.status_code == 303
    assert f'{auth.COOKIE}=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    assert client.get("/ui/case").status_code == 303


def test_cross_site_post_is_refused(client: TestClient) -> None:
    response = client.post("/ui/case", data=valid_form(), headers={"origin": "https://evil.example"})
    assert response.status_code == 403


def test_no_auth_needs_no_sign_in(demo: TestClient) -> None:
    page = demo.get("/ui/case")
    assert page.status_code == 200
    assert "Sign out" not in page.text
    assert demo.get("/").headers["location"] == "/ui/case"


# --- case form -------------------------------------------------------------------------------------------------


def test_case_form_labels_every_input(client: TestClient) -> None:
    html = client.get("/ui/case").text
    ids = re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html)
    inputs = [i for i in ids if "__i__" not in i]
    assert len(inputs) > 60
    labelled = set(re.findall(r'<label[^>]*for="([^"]+)"', html))
    assert [i for i in inputs if i not in labelled] == []
    for legend in (
        "Tumour biology",
        "Metastases",
        "Symptoms",
        "Labs",
        "Biomarkers",
        "Treatment history",
        "Comorbidities",
        "Preferences",
    ):
        assert f"<h2>{legend}</h2>" in html


def test_valid_submit_shows_the_plan(client: TestClient) -> None:
    plan_id = _plan_id(client.post("/ui/case", data=valid_form()))
    page = client.get(f"/ui/plans/{plan_id}")
    assert page.status_code == 200
    assert "HR+/HER2-" in page.text
    assert 'class="option card first"' in page.text
    assert "https://pubmed.ncbi.nlm.nih.gov/" in page.text
    assert 'data-site="bone"' in page.text
    assert 'data-site="lung"' in page.text
    assert 'id="panel-patient"' in page.text
    assert "not a substitute for a multidisciplinary tumour board" in page.text


def test_invalid_submit_names_the_field_inline(client: TestClient) -> None:
    form = valid_form() | {"age": "7", "tumor.her2_ihc": "4+"}
    response = client.post("/ui/case", data=form)
    assert response.status_code == 422
    html = response.text
    assert 'id="f-age-err"' in html
    assert "greater than or equal to 18" in html
    assert 'id="f-tumor-her2_ihc-err"' in html
    assert re.search(r'id="f-age"[^>]*aria-invalid="true"', html)
    assert 'value="63"' not in html
    assert 'value="7"' in html
    assert "2 problems to fix" in html


def test_bad_drug_in_a_history_row(client: TestClient) -> None:
    form = valid_form() | {"prior_therapies.0.drugs": "letrozol"}
    response = client.post("/ui/case", data=form)
    assert response.status_code == 422
    assert 'id="f-prior_therapies-0-drugs-err"' in response.text
    assert "unknown drug" in response.text


def test_missing_site_and_blank_rows(client: TestClient) -> None:
    form = valid_form()
    for key in [k for k in form if k.startswith("metastases.")]:
        form[key] = ""
    response = client.post("/ui/case", data=form)
    assert response.status_code == 422
    assert 'id="f-metastases-err"' in response.text


def test_contradiction_lands_on_every_field_involved(client: TestClient) -> None:
    form = valid_form() | {"tumor.er_percent": "0"}
    response = client.post("/ui/case", data=form)
    assert response.status_code == 422
    assert 'id="f-tumor-er-err"' in response.text
    assert 'id="f-tumor-er_percent-err"' in response.text
    assert "contradicts" in response.text


@pytest.mark.parametrize("name", example_names())
def test_example_loads_into_the_form(client: TestClient, name: str) -> None:
    case = example_case(name)
    html = client.get(f"/ui/case?example={name}").text
    assert f'value="{case.age}"' in html
    assert 'name="metastases.0.site"' in html
    assert re.search(rf'<option value="{case.metastases[0].site}" selected>', html)


def test_unknown_example(client: TestClient) -> None:
    response = client.get("/ui/case?example=nope")
    assert response.status_code == 404
    assert "unknown example" in response.text


def test_fhir_upload_fills_the_form(client: TestClient) -> None:
    response = client.post("/ui/case/upload", files={"file": ("bundle.json", fhir_example(), "application/json")})
    assert response.status_code == 200, response.text[:400]
    assert "Imported FHIR Bundle" in response.text
    assert re.search(r'<option value="bone" selected>', response.text)


def test_fhir_upload_with_missing_fields_shows_them(client: TestClient) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": []}
    response = client.post("/ui/case/upload", files={"file": ("b.json", as_json(bundle), "application/json")})
    assert response.status_code == 422
    assert 'id="f-age-err"' in response.text


def test_broken_upload(client: TestClient) -> None:
    response = client.post("/ui/case/upload", files={"file": ("x.json", b"{not json", "application/json")})
    assert response.status_code == 422
    assert "not valid JSON" in response.text


def test_case_file_upload(client: TestClient) -> None:
    text = yaml.safe_dump(example_case("her2-positive-brain").model_dump(mode="json")).encode()
    response = client.post("/ui/case/upload", files={"file": ("case.yaml", text, "application/yaml")})
    assert response.status_code == 200
    assert "Loaded case file" in response.text
    assert 'value="trastuzumab_deruxtecan"' in response.text


# --- plan, history, versions, reports --------------------------------------------------------------------------


def test_edit_makes_a_new_version_and_history_shows_the_change(client: TestClient) -> None:
    first = _plan_id(client.post("/ui/case", data=valid_form()))
    plan_page = client.get(f"/ui/plans/{first}").text
    case_id = re.search(r"/ui/case\?case=([0-9a-f-]{36})", plan_page).group(1)
    edit = client.get(f"/ui/case?case={case_id}")
    assert "new version 2" in edit.text
    _plan_id(client.post("/ui/case", data=valid_form() | {"case_id": case_id, "ecog": "2"}))
    history = client.get("/ui/history").text
    assert case_id in history
    versions = client.get(f"/ui/cases/{case_id}").text
    assert "v1" in versions
    assert "v2" in versions
    assert re.search(r'<tr class="changed"><td><code>ecog</code></td><td>1</td><td>2</td>', versions)


def test_history_is_latest_first(client: TestClient) -> None:
    _plan_id(client.post("/ui/case", data=valid_form() | {"id": "older-case"}))
    _plan_id(client.post("/ui/case", data=valid_form() | {"id": "newer-case"}))
    html = client.get("/ui/history").text
    assert html.index("newer-case") < html.index("older-case")


def test_unknown_ids_are_404(client: TestClient) -> None:
    missing = client.get("/ui/plans/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert "No stored plan has this id." in missing.text
    assert client.get("/ui/cases/not..valid").status_code == 404
    assert client.get("/ui/case?case=00000000-0000-0000-0000-000000000000").status_code == 404


def outlook_ready(client: TestClient, plan_id: str, timeout: float = 60) -> None:
    """Poll the outlook's status (as the progress page does) until it is simulated."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/ui/plans/{plan_id}/outlook/status").json()
        assert status["state"] != "failed", status
        if status["state"] == "ready":
            return
        time.sleep(0.05)
    raise AssertionError("the outlook was not ready in time")


def test_html_report_download(client: TestClient) -> None:
    plan_id = _plan_id(client.post("/ui/case", data=valid_form()))
    waiting = client.get(f"/ui/plans/{plan_id}/report.html")  # the outlook is simulated first, with progress
    assert waiting.status_code == 303
    assert waiting.headers["location"] == f"/ui/plans/{plan_id}/outlook?then=html"
    outlook_ready(client, plan_id)
    response = client.get(f"/ui/plans/{plan_id}/report.html")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    assert "<svg" in response.text
    assert "Evidence" in response.text
    assert "ESMO-MCBS score 4" in response.text  # letrozole + ribociclib, first line (MONALEESA-2)
    assert "<link" not in response.text


def test_pdf_report_without_chromium_is_a_clear_message(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    plan_id = _plan_id(client.post("/ui/case", data=valid_form()))
    outlook_ready(client, plan_id)
    response = client.get(f"/ui/plans/{plan_id}/report.pdf")
    assert response.status_code == 503
    assert "apt-get install -y chromium" in response.text


def test_static_assets_are_served(client: TestClient) -> None:
    for name in ("app.css", "app.js", "favicon.svg"):
        assert client.get(f"/ui/static/{name}").status_code == 200
    html = client.get("/ui/case").text
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://cdn" not in html


def test_outlook_shows_progress_then_rounded_figures_with_intervals(client: TestClient) -> None:
    plan_id = _plan_id(client.post("/ui/case", data=valid_form()))
    first = client.get(f"/ui/plans/{plan_id}/outlook")
    assert first.status_code == 200
    assert '<progress id="outlook-bar"' in first.text  # never a page that hangs for seconds
    outlook_ready(client, plan_id)
    page = client.get(f"/ui/plans/{plan_id}/outlook")
    assert '<svg class="outlook-chart"' in page.text
    assert "Median overall survival" in page.text
    assert "not a prediction for this patient" in page.text
    assert 'id="cross-trial"' in page.text
    assert "not a head-to-head comparison" in page.text
    assert page.text.count("95 % CI") >= 2  # the recommended option and each alternative carry an interval
    assert not re.search(r"\d\.\d{3}", page.text.split('id="num-h"')[1].split("</section>")[0])  # no 3 decimals
    assert client.get(f"/ui/plans/{plan_id}/outlook").text == page.text  # cached, same seed


def test_choosing_a_price_set_adds_the_costs_tab_to_the_outlook_and_the_report(client: TestClient) -> None:
    plan_id = _plan_id(client.post("/ui/case", data=valid_form()))
    assert client.get(f"/ui/plans/{plan_id}/outlook?prices=no_such_set").status_code == 404
    waiting = client.get(f"/ui/plans/{plan_id}/report.html?prices=uk_nhs_2025")
    assert waiting.headers["location"] == f"/ui/plans/{plan_id}/outlook?then=html&prices=uk_nhs_2025"
    progress = client.get(f"/ui/plans/{plan_id}/outlook?prices=uk_nhs_2025")
    assert 'data-status="/ui/plans/' in progress.text
    assert "/outlook/status?prices=uk_nhs_2025" in progress.text
    deadline = time.monotonic() + 120
    while client.get(f"/ui/plans/{plan_id}/outlook/status?prices=uk_nhs_2025").json()["state"] != "ready":
        assert time.monotonic() < deadline, "the priced outlook was not ready in time"
        time.sleep(0.1)
    page = client.get(f"/ui/plans/{plan_id}/outlook?prices=uk_nhs_2025").text
    table = page.split('class="grid-table r-grid costs-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + 3  # header, the recommended option and the two next-ranked ones
    assert "(recommended)" in table
    assert "GBP" in table
    assert "reference (least costly)" in table
    assert "Priced at 0 on purpose: end_of_life: included in supportive_care_per_month" in page
    report = client.get(f"/ui/plans/{plan_id}/report.html?prices=uk_nhs_2025").text
    assert "Costs (simulated)" in report
    assert 'data-price-set="uk_nhs_2025"' in report
    outlook_ready(client, plan_id)
    unpriced = client.get(f"/ui/plans/{plan_id}/outlook").text  # without a price set: no costs, only the chooser
    assert 'id="costs-tab"' in unpriced
    assert "costs-table" not in unpriced


def _statements(app, client: TestClient, path: str) -> int:
    from sqlalchemy import event

    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(app.state.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(app.state.engine, "before_cursor_execute", count)
    return len(seen)


def test_history_costs_the_same_queries_for_3_or_12_cases(app, client: TestClient) -> None:
    for _ in range(3):
        _plan_id(client.post("/ui/case", data=valid_form()))
    few = _statements(app, client, "/ui/history")
    for _ in range(9):
        _plan_id(client.post("/ui/case", data=valid_form()))
    assert _statements(app, client, "/ui/history") == few
    assert _statements(app, client, "/ui/history?q=nothing-matches") <= few


def test_history_search_by_label_or_id(client: TestClient) -> None:
    labelled = {**valid_form(), "id": "Tumour-Board 17"}
    _plan_id(client.post("/ui/case", data=labelled))
    _plan_id(client.post("/ui/case", data=valid_form()))
    found = client.get("/ui/history", params={"q": "board 17"}).text
    assert found.count('class="case-label"') == 1
    assert "Tumour-Board 17" in found
    assert 'id="no-match"' in client.get("/ui/history", params={"q": "zzz"}).text


def test_plan_page_groups_families_and_gives_the_rationale_in_words(client: TestClient) -> None:
    from mbctwin.engine.plan import build_plan
    from mbctwin.service.web.views import families

    plan = build_plan(example_case("frail-cord-compression"))
    groups = families(plan)
    assert sum(len(g.options) for g in groups) == len(plan.systemic)
    assert len(groups) < len(plan.systemic)  # letrozole and exemestane share a family
    assert all(g.differences[o.rank] for g in groups for o in g.options[1:])  # each sibling says how it differs
    html = client.get(client.post("/ui/case", data=valid_form()).headers["location"]).text
    assert html.count("data-family=") >= 1
    assert "=True" not in html
    assert "=False" not in html
    assert "hormone-receptor positive" in html


def test_warnings_come_first_and_every_card_carries_its_doses(client: TestClient) -> None:
    implausible = {**valid_form(), "age": "99", "menopausal_status": "pre", "labs.lvef_percent": "5"}
    html = client.get(f"/ui/plans/{_plan_id(client.post('/ui/case', data=implausible))}").text
    assert 'id="warnings"' in html
    assert html.index('id="warnings"') < html.index("Systemic therapy, ranked")
    assert "LVEF 5" in html.split('id="warnings"')[1].split("</section>")[0]
    cards = html.split('<article class="option card')[1:]
    assert cards
    assert all('class="dosing"' in card for card in cards)


def test_the_report_shows_warnings_first_and_doses(client: TestClient) -> None:
    from mbctwin.engine.plan import build_plan
    from mbctwin.report.render import render_html
    from tests.conftest import case_with

    case = case_with(age=99, menopausal_status="pre", labs={"lvef_percent": 5})
    plan = build_plan(case)
    html = render_html(case, plan)
    assert plan.warnings
    assert html.index('id="r-warnings"') < html.index("Systemic therapy options")
    assert html.count('class="r-dosing"') == len([o for o in plan.systemic if o.dosing])


def _stored_plan(client: TestClient, api_key: str, plan_id: str):
    """The plan the page renders, read back through the API (the contract, not the HTML)."""
    from mbctwin.engine.contract import Plan

    response = client.get(f"/v1/plans/{plan_id}", headers={"X-API-Key": api_key})
    assert response.status_code == 200, response.text[:300]
    return Plan.model_validate(response.json()["plan"])


def _option_html(html: str, rank: int) -> str:
    """The part of the plan page that belongs to the option of this rank (its card or its sibling block)."""
    start = html.index(f'id="opt-{rank}"')
    following = html.find('id="opt-', start + 1)
    return html[start : following if following > 0 else len(html)]


def test_plan_page_shows_each_options_esmo_mcbs_with_its_scale_and_source(client: TestClient, api_key: str) -> None:
    plan_id = _plan_id(client.post("/ui/case", data=valid_form()))
    plan = _stored_plan(client, api_key, plan_id)
    scored = [o for o in plan.systemic if o.mcbs]
    unscored = [o for o in plan.systemic if not o.mcbs]
    assert scored
    assert unscored  # so the test also sees an option without a score
    html = client.get(f"/ui/plans/{plan_id}").text
    assert html.count('class="mcbs"') == len(scored)  # one line per scored option, none empty
    for option in scored:
        part = _option_html(html, option.rank)
        line = part.split(f'id="mcbs-{option.rank}"')[1].split("</p>")[0]
        assert f"score {option.mcbs.score}" in line
        assert "non-curative scale 1\u20135; 4\u20135 = substantial benefit" in line
        assert f'href="{option.mcbs.source}"' in line
        assert "v1.1" in line  # the scorecard read, with its version
        assert part.index(f'id="mcbs-{option.rank}"') < part.index("Evidence (")  # beside its evidence
    for option in unscored:
        assert "MCBS" not in _option_html(html, option.rank)


def test_the_report_shows_mcbs_scores_and_the_plans_assumptions() -> None:
    from markupsafe import escape

    from mbctwin.engine.plan import build_plan
    from mbctwin.report.render import render_html

    case = example_case("triple-negative-first-line")  # no labs: the plan assumes normal organ function
    plan = build_plan(case)
    html = render_html(case, plan)
    assert plan.assumptions
    section = html.split('id="r-assumptions"')[1].split("</section>")[0]
    assert html.index('id="r-assumptions"') < html.index("Systemic therapy options")
    assert all(str(escape(a)) in section for a in plan.assumptions)
    scored = [o for o in plan.systemic if o.mcbs]
    assert scored
    assert html.count('class="r-mcbs"') == len(scored)
    for option in scored:
        line = html.split(f'id="r-mcbs-{option.rank}"')[1].split("</p>")[0]
        assert f"score {option.mcbs.score}" in line
        assert "non-curative scale" in line
        assert option.mcbs.source in line  # printed: a PDF reader sees the address


def test_a_report_without_assumptions_or_scores_says_nothing_about_them() -> None:
    from mbctwin.engine.plan import build_plan
    from mbctwin.report.render import render_html

    case = example_case("her2-positive-brain")
    plan = build_plan(case)
    assert not plan.assumptions
    assert not any(o.mcbs for o in plan.systemic)
    body = render_html(case, plan).split("<body>")[1]  # the inline style sheet names every class
    assert "r-assumptions" not in body
    assert "MCBS" not in body
