"""Read-only queries for the history pages (listing plans per case); writes go through ``mbctwin.store.repo``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mbctwin.store.tables import CaseRow, CaseVersionRow, PlanRow


@dataclass(frozen=True)
class HistoryRow:
    case_id: str
    label: str
    versions: int
    updated: datetime
    summary: str
    plan_id: str | None
    plan_subtype: str | None
    plan_first: str | None
    urgent: int


def _summary(data: dict[str, Any]) -> str:
    sites = ", ".join(m["site"].replace("_", " ") for m in data.get("metastases", []))
    return f"{data.get('age')} y {data.get('sex')}, ECOG {data.get('ecog')}; {sites}"


def history(session: Session, limit: int = 200) -> list[HistoryRow]:
    """Cases with their latest version and latest plan, most recently changed first."""
    latest = (
        select(CaseVersionRow)
        .join(CaseRow, (CaseRow.id == CaseVersionRow.case_id) & (CaseRow.latest_version == CaseVersionRow.version))
        .order_by(CaseVersionRow.created_at.desc())
        .limit(limit)
    )
    rows = []
    for version in session.scalars(latest):
        plan = session.scalars(
            select(PlanRow).where(PlanRow.case_id == version.case_id).order_by(PlanRow.created_at.desc()).limit(1)
        ).first()
        data = plan.data if plan else {}
        first = data.get("systemic", [{}])[0].get("regimen") if data.get("systemic") else None
        rows.append(
            HistoryRow(
                version.case_id,
                str(version.data.get("id") or version.case_id),
                version.version,
                version.created_at,
                _summary(version.data),
                plan.id if plan else None,
                data.get("subtype"),
                first,
                len(data.get("urgent", [])),
            )
        )
    return rows


def plans_of(session: Session, case_id: str) -> list[PlanRow]:
    return list(session.scalars(select(PlanRow).where(PlanRow.case_id == case_id).order_by(PlanRow.created_at.desc())))


def versions_of(session: Session, case_id: str) -> list[CaseVersionRow]:
    return list(
        session.scalars(
            select(CaseVersionRow).where(CaseVersionRow.case_id == case_id).order_by(CaseVersionRow.version)
        )
    )


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """``{"tumor": {"er": "positive"}}`` -> ``{"tumor.er": "positive"}``; list items numbered."""
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out |= flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(data, list) and data and all(isinstance(v, dict) for v in data):
        out = {}
        for i, value in enumerate(data):
            out |= flatten(value, f"{prefix}.{i}")
        return out
    return {prefix: data}


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any, bool]]:
    """Every field of either version: (field, old value, new value, changed)."""
    a, b = flatten(old), flatten(new)
    keys = list(dict.fromkeys([*a, *b]))
    return [(k, a.get(k), b.get(k), a.get(k) != b.get(k)) for k in keys]
