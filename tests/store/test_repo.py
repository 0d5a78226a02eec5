"""Repository behaviour: versioned cases, plans with their versions, simulations, hashed API keys."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from mbctwin.engine.plan import build_plan
from mbctwin.store import jobs, repo
from mbctwin.store.db import default_url, migrate, normalise_url, session_factory
from mbctwin.store.repo import Actor
from mbctwin.store.tables import ApiKeyRow
from tests.conftest import case_with

ME = Actor("default", None, "tests", frozenset({"read", "write"}))
T = ME.tenant


def test_migration_creates_every_table_and_is_idempotent(engine: Engine) -> None:
    migrate(engine)  # a second start must be a no-op
    tables = set(inspect(engine).get_table_names())
    assert {"cases", "case_versions", "plans", "simulations", "api_keys", "alembic_version"} <= tables


def test_update_makes_a_new_version_and_keeps_the_old(session: Session) -> None:
    first = repo.create_case(session=session, actor=ME, case=case_with(ecog=1))
    second = repo.update_case(session=session, actor=ME, case_id=first.case_id, case=case_with(ecog=2))
    session.commit()
    assert second is not None
    assert second.version == 2
    assert repo.get_case(session=session, tenant=T, case_id=first.case_id, version=1).data["ecog"] == 1
    assert repo.get_case(session=session, tenant=T, case_id=first.case_id).data["ecog"] == 2
    rows, total = repo.list_cases(session=session, tenant=T)
    assert total == 1
    assert [r.version for r in rows] == [2]


def test_unknown_case_is_none(session: Session) -> None:
    assert repo.update_case(session=session, actor=ME, case_id="nope", case=case_with()) is None
    assert repo.get_case(session=session, tenant=T, case_id="nope") is None
    assert repo.get_case(session=session, tenant=T, case_id="nope", version=3) is None


def test_plan_keeps_engine_and_knowledge_base_versions(session: Session) -> None:
    case = case_with()
    version = repo.create_case(session=session, actor=ME, case=case)
    plan = build_plan(case)
    row = repo.save_plan(session=session, actor=ME, plan=plan, case_id=version.case_id, case_version=version.version)
    session.commit()
    stored = repo.get_plan(session=session, tenant=T, plan_id=row.id)
    assert stored is not None
    assert (stored.engine_version, stored.knowledge_base_version) == (plan.engine_version, plan.knowledge_base_version)
    assert stored.data == plan.model_dump(mode="json")


def test_simulation_job_records_parameters_seed_and_status(session: Session) -> None:
    row = repo.create_simulation(session=session, actor=ME, kind="course", parameters={"n": 100, "years": 5}, seed=7)
    session.commit()
    claim = jobs.claim_next(session=session, runner="test|1|x")
    assert claim is not None
    assert claim.job_id == row.id
    assert jobs.finish(session=session, claim=claim, status="done", result={"ok": True})
    stored = repo.get_simulation(session=session, tenant=T, simulation_id=row.id)
    assert (stored.parameters, stored.seed, stored.status, stored.result, stored.attempts) == (
        {"n": 100, "years": 5},
        7,
        "done",
        {"ok": True},
        1,
    )


def test_api_keys_are_hashed_at_rest_and_verified(session: Session) -> None:
    row, key = repo.create_api_key(session=session, name="board")
    session.commit()
    stored = session.scalars(select(ApiKeyRow)).one()
    assert key not in {stored.digest, stored.salt, stored.prefix}
    assert key.split("_")[-1] not in stored.digest
    assert repo.verify_api_key(session=session, key=key).id == row.id


@pytest.mark.parametrize("key", ["", "mbc", "mbc_x", "other_abc_def", "mbc_000000000000_wrong"])
def test_wrong_keys_are_refused(session: Session, key: str) -> None:
    repo.create_api_key(session=session, name="board")
    assert repo.verify_api_key(session=session, key=key) is None


def test_rolled_back_write_leaves_nothing(engine: Engine) -> None:
    with session_factory(engine)() as session:
        repo.create_case(session=session, actor=ME, case=case_with())
        session.rollback()
        assert repo.list_cases(session=session, tenant=T) == ([], 0)


def test_plain_postgres_urls_use_psycopg() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_concurrent_updates_get_distinct_versions(engine: Engine) -> None:
    sessions = session_factory(engine)
    with sessions() as session:
        case_id = repo.create_case(session=session, actor=ME, case=case_with()).case_id
        session.commit()

    def bump(ecog: int) -> int:
        with sessions() as session:
            row = repo.update_case(session=session, actor=ME, case_id=case_id, case=case_with(ecog=ecog))
            session.commit()
            return row.version

    with ThreadPoolExecutor(max_workers=4) as pool:
        versions = sorted(pool.map(bump, [i % 5 for i in range(12)]))
    assert versions == list(range(2, 14))


def test_database_url_from_environment_else_user_data_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MBC_DATABASE_URL", "postgresql://u@h/db")
    assert default_url() == "postgresql://u@h/db"
    monkeypatch.delenv("MBC_DATABASE_URL")
    assert default_url().startswith("sqlite:///")
    assert default_url().endswith("mbctwin.sqlite3")
