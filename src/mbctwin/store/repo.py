"""Storage operations with keyword-only arguments; callers own the transaction (commit or roll back).

Every read of patient data takes the caller's ``tenant`` and every write an :class:`Actor` (the key
that writes, and its tenant): one tenant never sees another's cases, and each write is audited with
the key that made it. Audit records hold ids and actions only, never case content.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from mbctwin.case.models import Case
from mbctwin.engine.contract import Plan
from mbctwin.store.tables import (
    DEFAULT_TENANT,
    ApiKeyRow,
    AuditRow,
    CaseRow,
    CaseVersionRow,
    PlanRow,
    SimulationRow,
    TenantRow,
    WebSessionRow,
    utcnow,
)

KEY_PREFIX = "mbc"
SCOPES = ("read", "write", "admin")
DEFAULT_SCOPES = ("read", "write")
LAST_USED_RESOLUTION = timedelta(minutes=1)  # last use is written at most this often per key
LABEL_LENGTH = 128


@dataclass(frozen=True)
class Actor:
    """Who is calling: the key (None for the local demo without authentication), its tenant and scopes."""

    tenant: str
    key_id: str | None
    key_name: str
    scopes: frozenset[str]
    request_id: str = ""

    @classmethod
    def of_key(cls, row: ApiKeyRow, request_id: str = "") -> Actor:
        return cls(row.tenant_id, row.id, row.name, frozenset(row.scopes.split(",")), request_id)

    @classmethod
    def demo(cls, request_id: str = "") -> Actor:
        return cls(DEFAULT_TENANT, None, "local demo", frozenset(SCOPES), request_id)

    def can(self, scope: str) -> bool:
        return scope in self.scopes


def _new_id() -> str:
    return str(uuid.uuid4())


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite returns stored times without their zone; every stored time is UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


# --- audit --------------------------------------------------------------------------------------------------


def audit(*, session: Session, actor: Actor, action: str, target_type: str = "", target_id: str = "") -> None:
    """Record who did what to which record (committed with the write it describes)."""
    session.add(
        AuditRow(
            tenant_id=actor.tenant,
            key_id=actor.key_id,
            key_name=actor.key_name[:100],
            action=action,
            target_type=target_type,
            target_id=target_id,
            request_id=actor.request_id[:64],
        )
    )


def list_audit(*, session: Session, tenant: str, limit: int = 100, offset: int = 0) -> tuple[list[AuditRow], int]:
    """The tenant's audit records, newest first, and their total."""
    query = select(AuditRow).where(AuditRow.tenant_id == tenant).order_by(AuditRow.id.desc())
    total = session.scalar(select(func.count()).select_from(AuditRow).where(AuditRow.tenant_id == tenant)) or 0
    return list(session.scalars(query.limit(limit).offset(offset))), total


# --- cases and plans ----------------------------------------------------------------------------------------


def _label(case: Case) -> str:
    return (case.id or "")[:LABEL_LENGTH]


def create_case(*, session: Session, actor: Actor, case: Case) -> CaseVersionRow:
    """Store a new case as version 1 of the actor's tenant."""
    now = utcnow()
    row = CaseRow(
        id=_new_id(),
        tenant_id=actor.tenant,
        label=_label(case),
        latest_version=1,
        created_at=now,
        updated_at=now,
        created_by=actor.key_id,
    )
    session.add(row)
    version = CaseVersionRow(
        case_id=row.id, version=1, data=case.model_dump(mode="json"), created_at=now, created_by=actor.key_id
    )
    session.add(version)
    audit(session=session, actor=actor, action="case.create", target_type="case", target_id=row.id)
    session.flush()
    return version


def update_case(*, session: Session, actor: Actor, case_id: str, case: Case) -> CaseVersionRow | None:
    """Add a new version; earlier versions stay readable. ``None`` when the tenant has no such case.

    The version number comes from one atomic ``UPDATE … RETURNING`` issued first, so concurrent
    updates queue on the row (PostgreSQL) or the write lock (SQLite) instead of racing on a stale read.
    """
    now = utcnow()
    bump = (
        update(CaseRow)
        .where(CaseRow.id == case_id, CaseRow.tenant_id == actor.tenant)
        .values(latest_version=CaseRow.latest_version + 1, label=_label(case), updated_at=now)
        .returning(CaseRow.latest_version)
    )
    number = session.execute(bump, execution_options={"synchronize_session": False}).scalar_one_or_none()
    if number is None:
        return None
    version = CaseVersionRow(
        case_id=case_id, version=number, data=case.model_dump(mode="json"), created_at=now, created_by=actor.key_id
    )
    session.add(version)
    audit(session=session, actor=actor, action="case.update", target_type="case", target_id=case_id)
    session.flush()
    return version


def get_case(*, session: Session, tenant: str, case_id: str, version: int | None = None) -> CaseVersionRow | None:
    """One version of one of the tenant's cases (the latest when ``version`` is None)."""
    query = (
        select(CaseVersionRow)
        .join(CaseRow, CaseRow.id == CaseVersionRow.case_id)
        .where(CaseRow.id == case_id, CaseRow.tenant_id == tenant)
    )
    if version is None:
        query = query.where(CaseVersionRow.version == CaseRow.latest_version)
    else:
        query = query.where(CaseVersionRow.version == version)
    return session.scalars(query).first()


def list_cases(*, session: Session, tenant: str, limit: int = 50, offset: int = 0) -> tuple[list[CaseVersionRow], int]:
    """The latest version of each of the tenant's cases, oldest case first, and their total."""
    query = (
        select(CaseVersionRow)
        .join(CaseRow, (CaseRow.id == CaseVersionRow.case_id) & (CaseRow.latest_version == CaseVersionRow.version))
        .where(CaseRow.tenant_id == tenant)
        .order_by(CaseRow.created_at, CaseRow.id)
        .limit(limit)
        .offset(offset)
    )
    total = session.scalar(select(func.count()).select_from(CaseRow).where(CaseRow.tenant_id == tenant)) or 0
    return list(session.scalars(query)), total


def save_plan(*, session: Session, actor: Actor, plan: Plan, case_id: str, case_version: int) -> PlanRow:
    """Store a plan beside the case version it was made from."""
    row = PlanRow(
        id=_new_id(),
        tenant_id=actor.tenant,
        case_id=case_id,
        case_version=case_version,
        engine_version=plan.engine_version,
        knowledge_base_version=plan.knowledge_base_version,
        data=plan.model_dump(mode="json"),
        created_by=actor.key_id,
    )
    session.add(row)
    audit(session=session, actor=actor, action="plan.create", target_type="plan", target_id=row.id)
    session.flush()
    return row


def get_plan(*, session: Session, tenant: str, plan_id: str) -> PlanRow | None:
    return session.scalars(select(PlanRow).where(PlanRow.id == plan_id, PlanRow.tenant_id == tenant)).first()


def plan_with_case(*, session: Session, tenant: str, plan_id: str) -> tuple[PlanRow, CaseVersionRow] | None:
    """A plan and the case version it was made from, in one query."""
    query = (
        select(PlanRow, CaseVersionRow)
        .join(
            CaseVersionRow,
            (CaseVersionRow.case_id == PlanRow.case_id) & (CaseVersionRow.version == PlanRow.case_version),
        )
        .where(PlanRow.id == plan_id, PlanRow.tenant_id == tenant)
    )
    found = session.execute(query).first()
    return (found[0], found[1]) if found else None


@dataclass(frozen=True)
class HistoryItem:
    """One case in the history list: its latest version and its latest plan (if any)."""

    case: CaseRow
    version: CaseVersionRow
    plan: PlanRow | None


def history(*, session: Session, tenant: str, search: str = "", limit: int = 200) -> list[HistoryItem]:
    """The tenant's cases, most recently changed first, with their latest version and latest plan.

    Two queries whatever the number of cases: the cases with their latest versions, then the latest
    plan of each of those cases. ``search`` matches the stored id or the case label (case-insensitive).
    """
    query = (
        select(CaseRow, CaseVersionRow)
        .join(
            CaseVersionRow, (CaseVersionRow.case_id == CaseRow.id) & (CaseVersionRow.version == CaseRow.latest_version)
        )
        .where(CaseRow.tenant_id == tenant)
        .order_by(CaseRow.updated_at.desc(), CaseRow.id)
        .limit(limit)
    )
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(func.lower(CaseRow.label).like(pattern, escape="\\"), func.lower(CaseRow.id).like(pattern, escape="\\"))
        )
    rows = session.execute(query).all()
    latest = _latest_plans(session, tenant, [case.id for case, _ in rows])
    return [HistoryItem(case, version, latest.get(case.id)) for case, version in rows]


def _latest_plans(session: Session, tenant: str, case_ids: list[str]) -> dict[str, PlanRow]:
    if not case_ids:
        return {}
    newest = (
        select(PlanRow.case_id, func.max(PlanRow.created_at).label("at"))
        .where(PlanRow.tenant_id == tenant, PlanRow.case_id.in_(case_ids))
        .group_by(PlanRow.case_id)
        .subquery()
    )
    query = select(PlanRow).join(newest, (PlanRow.case_id == newest.c.case_id) & (PlanRow.created_at == newest.c.at))
    return {row.case_id: row for row in session.scalars(query)}


def versions_and_plans(*, session: Session, tenant: str, case_id: str) -> tuple[list[CaseVersionRow], list[PlanRow]]:
    """Every version of one of the tenant's cases (oldest first) and its plans (newest first): two queries."""
    versions = session.scalars(
        select(CaseVersionRow)
        .join(CaseRow, CaseRow.id == CaseVersionRow.case_id)
        .where(CaseRow.id == case_id, CaseRow.tenant_id == tenant)
        .order_by(CaseVersionRow.version)
    ).all()
    if not versions:
        return [], []
    plans = session.scalars(
        select(PlanRow)
        .where(PlanRow.case_id == case_id, PlanRow.tenant_id == tenant)
        .order_by(PlanRow.created_at.desc())
    ).all()
    return list(versions), list(plans)


# --- simulations --------------------------------------------------------------------------------------------


def create_simulation(
    *, session: Session, actor: Actor, kind: str, parameters: dict[str, Any], seed: int, patient_years: float = 0.0
) -> SimulationRow:
    """Record a queued simulation job; a runner claims it, records progress and the result."""
    row = SimulationRow(
        id=_new_id(),
        tenant_id=actor.tenant,
        key_id=actor.key_id,
        kind=kind,
        parameters=parameters,
        seed=seed,
        patient_years=patient_years,
        status="queued",
        progress=0.0,
    )
    session.add(row)
    audit(session=session, actor=actor, action="simulation.create", target_type="simulation", target_id=row.id)
    session.flush()
    return row


def get_simulation(*, session: Session, tenant: str, simulation_id: str) -> SimulationRow | None:
    query = select(SimulationRow).where(SimulationRow.id == simulation_id, SimulationRow.tenant_id == tenant)
    return session.scalars(query).first()


# --- tenants and API keys -----------------------------------------------------------------------------------


def ensure_tenant(*, session: Session, tenant: str) -> TenantRow:
    """The tenant, created when it does not exist yet."""
    row = session.get(TenantRow, tenant)
    if row is None:
        row = TenantRow(id=tenant)
        session.add(row)
        session.flush()
    return row


def _digest(salt: str, secret: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode(), hashlib.sha256).hexdigest()


def parse_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """Scopes in their canonical order; an unknown scope is a ValueError naming it."""
    given = {s.strip() for s in scopes if s.strip()}
    unknown = sorted(given - set(SCOPES))
    if unknown or not given:
        raise ValueError(
            f"unknown scope(s) {unknown}: choose from {', '.join(SCOPES)}" if unknown else "no scope given"
        )
    return tuple(s for s in SCOPES if s in given)


def create_api_key(
    *,
    session: Session,
    name: str,
    tenant: str = DEFAULT_TENANT,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    expires_at: datetime | None = None,
) -> tuple[ApiKeyRow, str]:
    """A new key ``mbc_<prefix>_<secret>`` of ``tenant`` (created when new); the plain key is never stored."""
    ensure_tenant(session=session, tenant=tenant)
    prefix, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_hex(16)
    row = ApiKeyRow(
        id=_new_id(),
        tenant_id=tenant,
        name=name,
        prefix=prefix,
        salt=salt,
        digest=_digest(salt, secret),
        scopes=",".join(parse_scopes(scopes)),
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row, f"{KEY_PREFIX}_{prefix}_{secret}"


def key_is_active(row: ApiKeyRow, now: datetime | None = None) -> bool:
    """Not revoked and not expired."""
    now = now or utcnow()
    expires = _aware(row.expires_at)
    return row.revoked_at is None and (expires is None or expires > now)


def verify_api_key(*, session: Session, key: str) -> ApiKeyRow | None:
    """The key's row when ``key`` matches a stored digest (constant-time comparison) and is active, else None.

    Refreshes ``last_used_at`` (at most once a minute, committed by the caller's transaction or not at all).
    """
    head, _, rest = key.partition("_")
    prefix, _, secret = rest.partition("_")
    if head != KEY_PREFIX or not prefix or not secret:
        return None
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
    if row is None or not hmac.compare_digest(row.digest, _digest(row.salt, secret)) or not key_is_active(row):
        return None
    touch_key(session=session, row=row)
    return row


def touch_key(*, session: Session, row: ApiKeyRow) -> None:
    now = utcnow()
    last = _aware(row.last_used_at)
    if last is None or now - last >= LAST_USED_RESOLUTION:
        session.execute(update(ApiKeyRow).where(ApiKeyRow.id == row.id).values(last_used_at=now))
        row.last_used_at = now


def list_api_keys(*, session: Session, tenant: str | None = None) -> list[ApiKeyRow]:
    """Keys (of one tenant, or all), oldest first; revoked and expired keys included, marked by their times."""
    query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)
    if tenant is not None:
        query = query.where(ApiKeyRow.tenant_id == tenant)
    return list(session.scalars(query))


def find_api_key(*, session: Session, ref: str) -> ApiKeyRow | None:
    """A key by its row id or its public prefix (as ``mbc apikey list`` shows)."""
    return session.scalar(select(ApiKeyRow).where(or_(ApiKeyRow.id == ref, ApiKeyRow.prefix == ref)))


def revoke_api_key(*, session: Session, ref: str) -> ApiKeyRow | None:
    """Revoke a key now: its API calls and its web sessions stop working. None when there is no such key."""
    row = find_api_key(session=session, ref=ref)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def rotate_api_key(
    *, session: Session, ref: str, expires_at: datetime | None = None
) -> tuple[ApiKeyRow, ApiKeyRow, str] | None:
    """Revoke a key and create its successor (same name, tenant and scopes): (old, new, plain new key)."""
    old = revoke_api_key(session=session, ref=ref)
    if old is None:
        return None
    new, key = create_api_key(
        session=session, name=old.name, tenant=old.tenant_id, scopes=old.scopes.split(","), expires_at=expires_at
    )
    return old, new, key


# --- web sessions -------------------------------------------------------------------------------------------


def create_web_session(*, session: Session, key: ApiKeyRow, lifetime: timedelta) -> WebSessionRow:
    now = utcnow()
    row = WebSessionRow(id=secrets.token_urlsafe(32), key_id=key.id, created_at=now, expires_at=now + lifetime)
    session.add(row)
    session.flush()
    return row


def web_session_key(*, session: Session, session_id: str) -> ApiKeyRow | None:
    """The key behind a live web session (not signed out, not expired, key still active), else None."""
    query = select(WebSessionRow, ApiKeyRow).join(ApiKeyRow, ApiKeyRow.id == WebSessionRow.key_id)
    found = session.execute(query.where(WebSessionRow.id == session_id)).first()
    if found is None:
        return None
    web, key = found
    expires = _aware(web.expires_at)
    if web.revoked_at is not None or (expires is not None and expires <= utcnow()) or not key_is_active(key):
        return None
    return key


def end_web_session(*, session: Session, session_id: str) -> None:
    session.execute(
        update(WebSessionRow)
        .where(WebSessionRow.id == session_id, WebSessionRow.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
