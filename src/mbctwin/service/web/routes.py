"""Server-rendered pages under ``/ui``: sign-in, case form, plan, history, version comparison, reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from mbctwin.cascade import io
from mbctwin.case.fhir import bundle_to_draft
from mbctwin.case.io import example_case, example_names, load_mapping, parse_case
from mbctwin.case.models import Case
from mbctwin.case.vocabulary import known_drugs
from mbctwin.engine.contract import Plan
from mbctwin.engine.plan import build_plan
from mbctwin.errors import CaseError, FieldProblem, MbctwinError
from mbctwin.report.format import evidence_url, human
from mbctwin.report.render import html_to_pdf, plan_context, render_html
from mbctwin.service.web import auth, cascade_view, form, present, views
from mbctwin.service.web.outlooks import Outlooks
from mbctwin.store import repo
from mbctwin.store.repo import Actor
from mbctwin.store.tables import CaseVersionRow, PlanRow

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["human"] = human
templates.env.filters["display"] = form.display
templates.env.tests["blank_pair"] = lambda row: row[1] in (None, []) and row[2] in (None, [])
templates.env.globals.update(
    anchor=form.anchor,
    lookup=form.lookup,
    evidence_url=evidence_url,
    groups=form.GROUPS,
    form=form,
    because_words=views.because_words,
)
router = APIRouter(prefix="/ui", include_in_schema=False)
User = Annotated[Actor, Depends(auth.require_user)]


class PageNotFound(Exception):
    """A missing case or plan: answered with a page, not the API's JSON."""


def not_found_page(request: Request, error: Exception) -> HTMLResponse:
    back = "/ui/history" if auth.current_actor(request) else "/ui/login"
    return _page(request, "message.html", status=404, title="Not found", message=str(error), back=back)


def same_origin(request: Request) -> None:
    """Refuse a form post announced from another site (the cookie is SameSite=Strict as well)."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(status_code=403, detail="cross-site form post refused")


Posted = Annotated[None, Depends(same_origin)]


def _page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    if "user" not in context:
        actor = auth.current_actor(request)
        context["user"] = actor.key_name if actor else None
    context.setdefault("auth_on", request.app.state.settings.auth)
    return templates.TemplateResponse(request, name, context, status_code=status)


def _writer(request: Request, actor: Actor) -> None:
    if not actor.can("write"):
        raise HTTPException(status_code=403, detail="this API key may read but not write (no 'write' scope)")


def _valid_id(value: str) -> str:
    if not value or len(value) > 64 or not all(c.isalnum() or c == "-" for c in value):
        raise PageNotFound("No such page: the link is malformed.")
    return value


# --- sign-in ---------------------------------------------------------------------------------------------------


@router.get("", response_class=RedirectResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/ui/case", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/ui/case") -> Response:
    if auth.current_actor(request) is not None:
        return RedirectResponse(auth.safe_next(next), status_code=303)
    return _page(request, "login.html", next=auth.safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, _: Posted, api_key: Annotated[str, Form()] = "", next: Annotated[str, Form()] = ""
) -> Response:
    response = RedirectResponse(auth.safe_next(next), status_code=303)
    if auth.sign_in(request, response, api_key):
        return response
    error = "That key was not accepted. Paste the whole key printed by “mbc apikey create”."
    return _page(request, "login.html", status=401, next=auth.safe_next(next), error=error, user=None)


@router.get("/signed-in", response_class=HTMLResponse)
def signed_in(request: Request, user: User) -> HTMLResponse:
    """Where a sign-in opened from an expired form lands: go back to the form's tab and submit again."""
    return _page(request, "signed_in.html")


@router.post("/logout")
def logout(request: Request, _: Posted) -> RedirectResponse:
    response = RedirectResponse("/ui/login", status_code=303)
    auth.sign_out(request, response)
    return response


# --- case form -------------------------------------------------------------------------------------------------


def _case_page(
    request: Request,
    data: dict[str, Any],
    problems: list[FieldProblem] | None = None,
    *,
    status: int = 200,
    notes: list[str] | None = None,
    case_id: str = "",
    title: str = "New case",
    expired: bool = False,
) -> HTMLResponse:
    problems = problems or []
    data = form.normalise(data)
    return _page(
        request,
        "case.html",
        status=status,
        data=data,
        problems=problems,
        errors=form.field_errors(problems, data),
        notes=notes or [],
        examples=example_names(),
        case_id=case_id,
        title=title,
        drug_names=sorted(known_drugs()),
        expired=expired,
    )


@router.get("/case", response_class=HTMLResponse)
def case_page(
    request: Request,
    user: User,
    example: str | None = None,
    case_id: Annotated[str | None, Query(alias="case")] = None,
) -> HTMLResponse:
    if example:
        try:
            data = example_case(example).model_dump(mode="json")
        except CaseError as error:
            return _case_page(request, {}, error.problems, status=404)
        return _case_page(
            request,
            data,
            notes=[f"Loaded the bundled example “{example}”. Review, then make the plan."],
            title=f"Example: {example}",
        )
    if case_id:
        with request.app.state.sessions() as session:
            version = repo.get_case(session=session, tenant=user.tenant, case_id=_valid_id(case_id))
        if version is None:
            raise PageNotFound("No stored case has this id.")
        title = f"Edit case (new version {version.version + 1})"
        return _case_page(
            request,
            version.data,
            case_id=case_id,
            title=title,
            notes=["Saving makes a new version of this case; earlier versions stay in the history."],
        )
    return _case_page(request, {"metastases": [{}]})


def _store(session: Session, actor: Actor, case: Case, plan: Plan, case_id: str) -> PlanRow:
    version: CaseVersionRow | None = None
    if case_id:
        version = repo.update_case(session=session, actor=actor, case_id=case_id, case=case)
    if version is None:
        version = repo.create_case(session=session, actor=actor, case=case)
    row = repo.save_plan(session=session, actor=actor, plan=plan, case_id=version.case_id, case_version=version.version)
    session.commit()
    return row


def _submit(request: Request, actor: Actor | None, data: dict[str, Any], case_id: str) -> Response:
    """Validate, plan and store (in a worker thread: none of it runs on the event loop)."""
    title = "Edit case" if case_id else "New case"
    if actor is None:  # the session ended while the form was being filled: keep every entry
        return _case_page(request, data, status=401, case_id=case_id, title=title, expired=True)
    _writer(request, actor)
    try:
        case = parse_case(data)
    except CaseError as error:
        return _case_page(request, data, error.problems, status=422, case_id=case_id, title=title)
    plan = build_plan(case, request.app.state.kb)
    with request.app.state.sessions() as session:
        row = _store(session, actor, case, plan, _valid_id(case_id) if case_id else "")
    return RedirectResponse(f"/ui/plans/{row.id}", status_code=303)


@router.post("/case", response_class=HTMLResponse)
async def submit_case(request: Request, _: Posted) -> Response:
    """Valid: store the case (a new version when editing) and its plan, then show the plan. Invalid: the form
    again. Signed out meanwhile: the form again with every entry kept, asking to sign in."""
    submitted = await request.form()
    data = form.case_data(submitted)
    case_id = str(submitted.get("case_id", "")).strip()[:64]
    actor = await run_in_threadpool(auth.current_actor, request)
    return await run_in_threadpool(_submit, request, actor, data, case_id)


def _read_upload(name: str, raw: bytes) -> tuple[Any, list[str]]:
    """A FHIR Bundle or a case file as (case mapping, notes); CaseError when it cannot be read at all."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CaseError([FieldProblem("file", "not a UTF-8 text file")]) from None
    suffix = Path(name).suffix.lower() or ".yaml"
    content = load_mapping(text, ".json" if suffix == ".json" or text.lstrip().startswith("{") else ".yaml")
    if isinstance(content, dict) and content.get("resourceType") == "Bundle":
        draft = bundle_to_draft(content)
        notes = [
            f"Imported FHIR Bundle “{name}”: {len(draft.unmapped)} element(s) not mapped, "
            f"{len(draft.inferred)} value(s) inferred — check them before making the plan."
        ]
        notes += [f"Inferred {i.field} = {human(i.value)}: {i.how}" for i in draft.inferred]
        notes += [f"Not imported: {u.resource} \u2013 {u.element}: {u.reason}" for u in draft.unmapped]
        return draft.data, notes
    if not isinstance(content, dict):
        raise CaseError([FieldProblem("file", "expected a case (a mapping of fields) or a FHIR Bundle")])
    return content, [f"Loaded case file “{name}”. Review, then make the plan."]


def _upload_page(request: Request, actor: Actor | None, name: str, raw: bytes) -> HTMLResponse:
    """Parse, map, validate and render an upload (in a worker thread)."""
    if actor is None:
        return _case_page(request, {}, status=401, expired=True)
    try:
        data, notes = _read_upload(name, raw)
    except CaseError as error:
        return _case_page(request, {"metastases": [{}]}, error.problems, status=422)
    try:
        parse_case(data)
    except CaseError as error:
        return _case_page(request, data, error.problems, status=422, notes=notes, title="Imported case")
    return _case_page(request, data, notes=notes, title="Imported case")


@router.post("/case/upload", response_class=HTMLResponse)
async def upload_case(request: Request, _: Posted, file: Annotated[UploadFile, File()]) -> HTMLResponse:
    """Fill the form from a FHIR R4 Bundle or a YAML/JSON case file; problems are shown next to their fields."""
    raw = await file.read()
    actor = await run_in_threadpool(auth.current_actor, request)
    return await run_in_threadpool(_upload_page, request, actor, (file.filename or "upload")[:200], raw)


# --- plan, reports ---------------------------------------------------------------------------------------------


def _load(request: Request, actor: Actor, plan_id: str) -> tuple[PlanRow, Plan, Case]:
    with request.app.state.sessions() as session:
        found = repo.plan_with_case(session=session, tenant=actor.tenant, plan_id=_valid_id(plan_id))
        if found is None:
            raise PageNotFound("No stored plan has this id.")
        session.expunge_all()
    row, version = found
    return row, Plan.model_validate(row.data), parse_case(version.data)


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, plan_id: str, user: User) -> HTMLResponse:
    row, plan, case = _load(request, user, plan_id)
    return _page(
        request,
        "plan.html",
        **plan_context(case, plan, map_width=190),
        row=row,
        families=views.families(plan),
        rationale=views.rationale(plan),
        outlook_ready=_outlooks(request).ready(row.id) is not None,
    )


def _outlooks(request: Request) -> Outlooks:
    return request.app.state.web_outlooks


PriceSetId = Annotated[str | None, Query(pattern="^[a-z0-9_]{1,64}$")]


def _price_set(prices: str | None) -> str | None:
    """A packaged price set id, or None; the price-set module loads only when costs are asked for."""
    if prices is None:
        return None
    from mbctwin.course.prices import packaged_price_sets

    if prices not in packaged_price_sets():
        raise PageNotFound("No packaged price set has this id.")
    return prices


@router.get("/plans/{plan_id}/outlook", response_class=HTMLResponse)
def outlook_page(
    request: Request,
    plan_id: str,
    user: User,
    then: Annotated[str | None, Query(pattern="^(html|pdf)$")] = None,
    prices: PriceSetId = None,
) -> HTMLResponse:
    """The outlook when simulated, else a progress page that reloads itself until it is. ``then``: a report
    to download once it is ready; ``prices``: a packaged price set, which adds the costs tab."""
    row, plan, case = _load(request, user, plan_id)
    chosen = _price_set(prices)
    state = _outlooks(request).state(row.id, case, chosen)
    if state.outlook is None:
        return _page(request, "outlook_progress.html", row=row, plan=plan, state=state, then=then, prices=chosen)
    outlook = state.outlook
    from mbctwin.course.prices import packaged_price_sets

    return _page(
        request,
        "outlook.html",
        row=row,
        plan=plan,
        outlook=outlook,
        chart=Markup(outlook.svg),
        narrow_chart=Markup(outlook.svg_narrow),
        view=views.outlook(outlook),
        then=then,
        prices=chosen,
        price_sets=packaged_price_sets(),
        costs=outlook.costs.html() if outlook.costs is not None else None,
    )


@router.get("/plans/{plan_id}/outlook/status")
def outlook_status(request: Request, plan_id: str, user: User, prices: PriceSetId = None) -> JSONResponse:
    row, _, case = _load(request, user, plan_id)
    state = _outlooks(request).state(row.id, case, _price_set(prices))
    return JSONResponse({"state": state.state, "progress": state.progress, "error": state.error})


def _report(
    request: Request, user: User, plan_id: str, kind: str, prices: str | None = None
) -> tuple[str, PlanRow] | RedirectResponse:
    """The report's HTML with the outlook (and its costs tab when a price set is given); while the outlook is
    still being simulated, its progress page (which starts the download when it is ready)."""
    row, plan, case = _load(request, user, plan_id)
    chosen = _price_set(prices)
    state = _outlooks(request).state(row.id, case, chosen)
    if state.outlook is None:
        priced = f"&prices={chosen}" if chosen else ""
        return RedirectResponse(f"/ui/plans/{row.id}/outlook?then={kind}{priced}", status_code=303)
    return render_html(case, plan, outlook=state.outlook), row


@router.get("/plans/{plan_id}/report.html")
def report_html(request: Request, plan_id: str, user: User, prices: PriceSetId = None) -> Response:
    report = _report(request, user, plan_id, "html", prices)
    if isinstance(report, Response):
        return report
    html, row = report
    headers = {"Content-Disposition": f'attachment; filename="mbctwin-plan-{row.id[:8]}.html"'}
    return HTMLResponse(html, headers=headers)


@router.get("/plans/{plan_id}/report.pdf")
def report_pdf(request: Request, plan_id: str, user: User, prices: PriceSetId = None) -> Response:
    import tempfile

    report = _report(request, user, plan_id, "pdf", prices)
    if isinstance(report, Response):
        return report
    html, row = report
    try:
        with tempfile.TemporaryDirectory() as tmp:
            pdf = html_to_pdf(html, Path(tmp) / "report.pdf").read_bytes()
    except MbctwinError as error:
        return _page(
            request,
            "message.html",
            status=503,
            title="PDF not available",
            message=str(error),
            back=f"/ui/plans/{row.id}",
        )
    headers = {"Content-Disposition": f'attachment; filename="mbctwin-plan-{row.id[:8]}.pdf"'}
    return Response(pdf, media_type="application/pdf", headers=headers)


# --- history ---------------------------------------------------------------------------------------------------


@router.get("/history", response_class=HTMLResponse)
def history_page(request: Request, user: User, q: Annotated[str, Query(max_length=128)] = "") -> HTMLResponse:
    """The tenant's cases, most recently changed first; ``q`` finds a case by its label or stored id."""
    search = form.clean_search(q)
    with request.app.state.sessions() as session:
        items = repo.history(session=session, tenant=user.tenant, search=search)
        rows = [present.history_row(item) for item in items]
    return _page(request, "history.html", rows=rows, q=search)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_versions(request: Request, case_id: str, user: User, a: int | None = None, b: int | None = None) -> Response:
    """Two versions of a case side by side (default: the last two), changed fields marked."""
    with request.app.state.sessions() as session:
        versions, plans = repo.versions_and_plans(session=session, tenant=user.tenant, case_id=_valid_id(case_id))
        session.expunge_all()
    if not versions:
        raise PageNotFound("No stored case has this id.")
    comparison = present.comparison(versions, a, b)
    return _page(request, "versions.html", case_id=case_id, versions=versions, plans=plans, **comparison)


# --- cascade viewer ----------------------------------------------------------------------------------------------


def _cascade_run(request: Request, name: str) -> Path:
    folder = cascade_view.run_dir(request.app.state.settings.resolved_cascade_runs(), name)
    if folder is None:
        raise PageNotFound("No such cascade run.")
    return folder


def _png(content: bytes) -> Response:
    return Response(content, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/cascade", response_class=HTMLResponse)
def cascade_runs(request: Request, user: User) -> HTMLResponse:
    root = request.app.state.settings.resolved_cascade_runs()
    return _page(request, "cascade_list.html", items=cascade_view.runs(root), root=root)


@router.get("/cascade/{name}", response_class=HTMLResponse)
def cascade_viewer(request: Request, name: str, user: User) -> HTMLResponse:
    folder = _cascade_run(request, name)
    return _page(request, "cascade_view.html", run=cascade_view.summary(folder), records=io.read_records(folder))


@router.get("/cascade/{name}/frames/{index}.png")
def cascade_frame(request: Request, name: str, index: int, user: User) -> Response:
    try:
        return _png(cascade_view.frame_png(_cascade_run(request, name), index))
    except IndexError:
        raise PageNotFound("No such frame.") from None


@router.get("/cascade/{name}/mmp2/{index}.png")
def cascade_mmp2(request: Request, name: str, index: int, user: User) -> Response:
    try:
        return _png(cascade_view.mmp2_png(_cascade_run(request, name), index)[0])
    except IndexError:
        raise PageNotFound("No such frame.") from None


@router.get("/cascade/{name}/series.png")
def cascade_series(request: Request, name: str, user: User) -> Response:
    return _png(cascade_view.series_png(_cascade_run(request, name)))
