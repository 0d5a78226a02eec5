"""The simulation job queue in the database: claim, progress, finish, cancel, and recovery after a crash.

A job is ``queued`` → ``running`` → ``done`` | ``failed`` | ``cancelled``. A runner takes a job with one
conditional ``UPDATE`` (so two runners never take the same job) and receives a fresh ``claim`` token;
every later write names that token, so a runner that lost its job (the service restarted and re-queued
it) changes nothing. Recovery re-queues a running job whose runner is gone, from its stored parameters
and seed (the same seed gives the same result), or fails it with a reason after ``max_attempts``.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mbctwin.store.tables import SimulationRow, utcnow

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")
_REQUEUE: dict[str, Any] = {"status": "queued", "progress": 0.0, "claim": None, "runner": None}


@dataclass(frozen=True)
class Claim:
    """A job taken by a runner: what to run and the token that later writes must name."""

    job_id: str
    token: str
    kind: str
    parameters: dict[str, Any]
    seed: int


def new_boot() -> str:
    """A random id for one start of the service, shared by its workers (a reused pid is a different runner)."""
    return uuid.uuid4().hex[:12]


def runner_id(boot: str) -> str:
    """This process as a runner of the service start ``boot``: host, pid and boot id."""
    return f"{socket.gethostname()}|{os.getpid()}|{boot}"


def runner_alive(runner: str | None, updated_at: datetime | None, *, me: str, lease: timedelta) -> bool:
    """Whether the runner that holds a job may still be working on it.

    This process: yes. Another process on this host: while its pid exists. Another host: while the job
    was written to within ``lease`` (progress is written at least every few seconds).
    """
    if runner is None:
        return False
    if runner == me:
        return True
    host, _, rest = runner.partition("|")
    pid = rest.partition("|")[0]
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    moment = updated_at if updated_at is None or updated_at.tzinfo else updated_at.replace(tzinfo=UTC)
    return moment is not None and utcnow() - moment < lease


def active_for_key(*, session: Session, key_id: str | None) -> int:
    """Queued and running jobs submitted with one key."""
    query = select(func.count()).select_from(SimulationRow).where(SimulationRow.status.in_(ACTIVE))
    return session.scalar(query.where(SimulationRow.key_id == key_id)) or 0


def active_patient_years(*, session: Session) -> float:
    """Patient-years of every queued and running job (all tenants: they share the workers)."""
    query = select(func.coalesce(func.sum(SimulationRow.patient_years), 0.0)).where(SimulationRow.status.in_(ACTIVE))
    return float(session.scalar(query) or 0.0)


def lock_queue(*, session: Session) -> None:
    """Serialise admission checks: PostgreSQL takes a transaction advisory lock; SQLite's write lock,
    taken by the insert that precedes the check, already does."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(0x6D6263 + 1)))


def claim_next(*, session: Session, runner: str) -> Claim | None:
    """Take the oldest queued job for ``runner`` (committed here), or None when nothing is queued."""
    candidates = session.scalars(
        select(SimulationRow.id).where(SimulationRow.status == "queued").order_by(SimulationRow.created_at).limit(8)
    ).all()
    for job_id in candidates:
        token = str(uuid.uuid4())
        taken = session.execute(
            update(SimulationRow)
            .where(SimulationRow.id == job_id, SimulationRow.status == "queued")
            .values(
                status="running",
                claim=token,
                runner=runner,
                progress=0.0,
                attempts=SimulationRow.attempts + 1,
                started_at=utcnow(),
                updated_at=utcnow(),
            ),
            execution_options={"synchronize_session": False},
        )
        session.commit()
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            row = session.get(SimulationRow, job_id)
            assert row is not None
            session.refresh(row)
            return Claim(job_id, token, row.kind, dict(row.parameters), row.seed)
    return None


def record_progress(*, session: Session, claim: Claim, progress: float) -> bool:
    """Write progress; False when the job was cancelled or taken from this runner (then stop working on it)."""
    changed = session.execute(
        update(SimulationRow)
        .where(
            SimulationRow.id == claim.job_id,
            SimulationRow.claim == claim.token,
            SimulationRow.status == "running",
            SimulationRow.cancel_requested.is_(False),
        )
        .values(progress=progress, updated_at=utcnow())
    )
    session.commit()
    return changed.rowcount == 1  # type: ignore[attr-defined]


def finish(
    *,
    session: Session,
    claim: Claim,
    status: str,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    """Record the end of a claimed job (done, failed, or cancelled when a cancel was requested)."""
    values: dict[str, Any] = {"status": status, "result": result, "error": error, "finished_at": utcnow()}
    if status == "done":
        values["progress"] = 1.0
    changed = session.execute(
        update(SimulationRow)
        .where(SimulationRow.id == claim.job_id, SimulationRow.claim == claim.token, SimulationRow.status == "running")
        .values(**values, updated_at=utcnow())
    )
    session.commit()
    return changed.rowcount == 1  # type: ignore[attr-defined]


def settle_cancelled(*, session: Session, claim: Claim) -> None:
    """A runner stopped because a cancel was requested: mark the job cancelled (no-op if it lost the claim)."""
    finish(session=session, claim=claim, status="cancelled", error="cancelled on request")


def request_cancel(*, session: Session, tenant: str, job_id: str) -> SimulationRow | None:
    """Cancel a job of the tenant: a queued one at once, a running one at its runner's next progress write."""
    row = session.scalars(
        select(SimulationRow).where(SimulationRow.id == job_id, SimulationRow.tenant_id == tenant)
    ).first()
    if row is None or row.status in FINISHED:
        return row
    if row.status == "queued":
        row.status, row.error, row.finished_at = "cancelled", "cancelled on request", utcnow()
    else:
        row.cancel_requested = True
    session.flush()
    return row


def recover(
    *, session: Session, alive: Callable[[str | None, datetime | None], bool], max_attempts: int
) -> tuple[int, int]:
    """Re-queue running jobs whose runner is gone (or fail them after ``max_attempts``): (re-queued, failed).

    A job interrupted again and again (say, it kills its worker) must not loop forever.
    """
    requeued = failed = 0
    for row in session.scalars(select(SimulationRow).where(SimulationRow.status == "running")).all():
        if alive(row.runner, row.updated_at):
            continue
        if row.cancel_requested:
            row.status, row.error, row.finished_at = "cancelled", "cancelled on request", utcnow()
        elif row.attempts >= max_attempts:
            row.status, row.finished_at = "failed", utcnow()
            row.error = f"interrupted {row.attempts} times (the service stopped while it ran); not retried again"
            failed += 1
        else:
            for name, value in _REQUEUE.items():
                setattr(row, name, value)
            requeued += 1
    session.commit()
    return requeued, failed


def release(*, session: Session, claim: Claim) -> None:
    """Put a job its runner stopped for a shutdown back in the queue; a shutdown does not count as an attempt."""
    session.execute(
        update(SimulationRow)
        .where(SimulationRow.id == claim.job_id, SimulationRow.claim == claim.token, SimulationRow.status == "running")
        .values(**_REQUEUE, attempts=SimulationRow.attempts - 1, updated_at=utcnow())
    )
    session.commit()


def release_boot(*, session: Session, boot: str) -> int:
    """Put every running job of the runners of one service start (``boot``, the last part of their ids)
    back in the queue: a shutdown that had to stop its workers. They restart from their seed."""
    changed = session.execute(
        update(SimulationRow)
        .where(SimulationRow.runner.endswith("|" + boot, autoescape=True), SimulationRow.status == "running")
        .values(**_REQUEUE, attempts=SimulationRow.attempts - 1, updated_at=utcnow())
    )
    session.commit()
    return int(changed.rowcount)  # type: ignore[attr-defined]
