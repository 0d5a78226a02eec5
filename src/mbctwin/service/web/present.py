"""What the history pages show, built from rows the repository returns (no queries here)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mbctwin.store.repo import HistoryItem
from mbctwin.store.tables import CaseVersionRow


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
    sites = ", ".join(str(m.get("site", "?")).replace("_", " ") for m in data.get("metastases", []))
    return f"{data.get('age')} y {data.get('sex')}, ECOG {data.get('ecog')}; {sites}"


def history_row(item: HistoryItem) -> HistoryRow:
    """One line of the history table: the case, its latest version and its latest plan."""
    data = item.plan.data if item.plan else {}
    systemic = data.get("systemic") or []
    updated = item.case.updated_at or item.version.created_at
    return HistoryRow(
        case_id=item.case.id,
        label=item.case.label or item.case.id,
        versions=item.version.version,
        updated=updated if updated.tzinfo else updated.replace(tzinfo=UTC),
        summary=_summary(item.version.data),
        plan_id=item.plan.id if item.plan else None,
        plan_subtype=data.get("subtype"),
        plan_first=systemic[0].get("regimen") if systemic else None,
        urgent=len(data.get("urgent", [])),
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


def comparison(versions: Sequence[CaseVersionRow], a: int | None, b: int | None) -> dict[str, Any]:
    """Versions ``a`` and ``b`` of a case side by side (default: the last two), with how many fields differ."""
    numbers = [v.version for v in versions]
    b = b if b in numbers else numbers[-1]
    a = a if a in numbers else max([n for n in numbers if n < b] or [b])
    old, new = (next(v for v in versions if v.version == n) for n in (a, b))
    rows = diff(old.data, new.data)
    label = json.dumps(new.data.get("id")).strip('"')
    return {"a": a, "b": b, "old": old, "new": new, "rows": rows, "changed": sum(r[3] for r in rows), "label": label}
