"""Storage operations with keyword-only arguments; callers own the transaction (commit or roll back)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mbctwin.case.models import Case
from mbctwin.engine.contract import Plan
from mbctwin.store.tables import ApiKeyRow, CaseRow, CaseVersionRow, PlanRow, SimulationRow

KEY_PREFIX = "mbc"


def _new_id() -> str:
    return str(uuid.uuid4())


def create_case(*, session: Session, case: Case) -> CaseVersionRow:
    """Store a new case as version 1."""
    row = CaseRow(id=_new_id(), latest_version=1)
    session.add(row)
    version = CaseVersionRow(case_id=row.id, version=1, data=case.model_dump(mode="json"))
    session.add(version)
    session.flush()
    return version


def update_case(*, session: Session, case_id: str, case: Case) -> CaseVersionRow | None:
    """Add a new version; earlier versions stay readable. ``None`` when the case does not exist.

    The version number comes from one atomic ``UPDATE … RETURNING`` issued first, so concurrent
    updates queue on the row (PostgreSQL) or the write lock (SQLite) instead of racing on a stale read.
    """
    bump = (
        update(CaseRow)
        .where(CaseRow.id == case_id)
        .values(latest_version=CaseRow.latest_version + 1)
        .returning(CaseRow.latest_version)
    )
    number = session.execute(bump, execution_options={"synchronize_session": False}).scalar_one_or_none()
    if number is None:
        return None
    version = CaseVersionRow(case_id=case_id, version=number, data=case.model_dump(mode="json"))
    session.add(version)
    session.flush()
    return version


def get_case(*, session: Session, case_id: str, version: int | None = None) -> CaseVersionRow | None:
    """One version of a case (the latest when ``version`` is None)."""
    if version is None:
        row = session.get(CaseRow, case_id)
        if row is None:
            return None
        version = row.latest_version
    return session.get(CaseVersionRow, (case_id, version))


def list_cases(*, session: Session, limit: int = 50, offset: int = 0) -> tuple[list[CaseVersionRow], int]:
    """The latest version of each case, oldest case first, and the total number of cases."""
    query = (
        select(CaseVersionRow)
        .join(CaseRow, (CaseRow.id == CaseVersionRow.case_id) & (CaseRow.latest_version == CaseVersionRow.version))
        .order_by(CaseRow.created_at, CaseRow.id)
        .limit(limit)
        .offset(offset)
    )
    total = session.scalar(select(func.count()).select_from(CaseRow)) or 0
    return list(session.scalars(query)), total


def save_plan(*, session: Session, plan: Plan, case_id: str, case_version: int) -> PlanRow:
    """Store a plan beside the case version it was made from."""
    row = PlanRow(
        id=_new_id(),
        case_id=case_id,
        case_version=case_version,
        engine_version=plan.engine_version,
        knowledge_base_version=plan.knowledge_base_version,
        data=plan.model_dump(mode="json"),
    )
    session.add(row)
    session.flush()
    return row


def get_plan(*, session: Session, plan_id: str) -> PlanRow | None:
    return session.get(PlanRow, plan_id)


def create_simulation(*, session: Session, kind: str, parameters: dict[str, Any], seed: int) -> SimulationRow:
    """Record a queued simulation run; the runner updates its status and result."""
    row = SimulationRow(id=_new_id(), kind=kind, parameters=parameters, seed=seed, status="queued", progress=0.0)
    session.add(row)
    session.flush()
    return row


def update_simulation(
    *, session: Session, simulation_id: str, status: str, progress: float, result: dict[str, Any] | None = None
) -> SimulationRow | None:
    row = session.get(SimulationRow, simulation_id)
    if row is not None:
        row.status, row.progress, row.result = status, progress, result
        session.flush()
    return row


def get_simulation(*, session: Session, simulation_id: str) -> SimulationRow | None:
    return session.get(SimulationRow, simulation_id)


def _digest(salt: str, secret: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode(), hashlib.sha256).hexdigest()


def create_api_key(*, session: Session, name: str) -> tuple[ApiKeyRow, str]:
    """A new key ``mbc_<prefix>_<secret>``; the returned plain key is never stored."""
    prefix, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_hex(16)
    row = ApiKeyRow(id=_new_id(), name=name, prefix=prefix, salt=salt, digest=_digest(salt, secret))
    session.add(row)
    session.flush()
    return row, f"{KEY_PREFIX}_{prefix}_{secret}"


def verify_api_key(*, session: Session, key: str) -> ApiKeyRow | None:
    """The key's row when ``key`` matches a stored digest (constant-time comparison), else None."""
    head, _, rest = key.partition("_")
    prefix, _, secret = rest.partition("_")
    if head != KEY_PREFIX or not prefix or not secret:
        return None
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
    if row is None or not hmac.compare_digest(row.digest, _digest(row.salt, secret)):
        return None
    return row
