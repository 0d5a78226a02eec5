"""Tenants, key scopes and lifetimes, web sessions, the audit log, and persistent jobs.

Existing keys and rows move to the tenant ``default`` (created here) with scopes ``read,write``;
case labels and update times are filled from the latest version; jobs get their patient-years.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)
DEFAULT = "default"


def _tenant_column() -> sa.Column:
    return sa.Column("tenant_id", sa.String(64), nullable=False, server_default=DEFAULT)


def _tenant_key(batch: object, name: str) -> None:
    """The tenant foreign key on PostgreSQL. SQLite would have to rebuild each table (and fail on the rows
    that reference it), so there the repository's tenant handling is the only guard."""
    if op.get_bind().dialect.name != "sqlite":
        batch.create_foreign_key(name, "tenants", ["tenant_id"], ["id"])  # type: ignore[attr-defined]


def _new_tables() -> None:
    tenants = op.create_table(
        "tenants",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", _TIME, nullable=False, server_default=sa.func.now()),
    )
    op.bulk_insert(tenants, [{"id": DEFAULT}])
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.String(36), sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME, nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(36), nullable=True),
        sa.Column("key_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target_type", sa.String(20), nullable=False, server_default=""),
        sa.Column("target_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("request_id", sa.String(64), nullable=False, server_default=""),
    )
    op.create_index("ix_audit_tenant_at", "audit_log", ["tenant_id", "at"])


def _case_columns() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(_tenant_column())
        batch.add_column(sa.Column("label", sa.String(128), nullable=False, server_default=""))
        batch.add_column(sa.Column("updated_at", _TIME, nullable=True))
        batch.add_column(sa.Column("created_by", sa.String(36), nullable=True))
        _tenant_key(batch, "fk_cases_tenant")
    with op.batch_alter_table("case_versions") as batch:
        batch.add_column(sa.Column("created_by", sa.String(36), nullable=True))
    with op.batch_alter_table("plans") as batch:
        batch.add_column(_tenant_column())
        batch.add_column(sa.Column("created_by", sa.String(36), nullable=True))
        _tenant_key(batch, "fk_plans_tenant")
    op.create_index("ix_plans_case", "plans", ["case_id", "created_at"])


def _key_and_job_columns() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(_tenant_column())
        batch.add_column(sa.Column("scopes", sa.String(64), nullable=False, server_default="read,write"))
        for name in ("expires_at", "last_used_at", "revoked_at"):
            batch.add_column(sa.Column(name, _TIME, nullable=True))
        _tenant_key(batch, "fk_api_keys_tenant")
    with op.batch_alter_table("simulations") as batch:
        batch.add_column(_tenant_column())
        batch.add_column(sa.Column("key_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("patient_years", sa.Float, nullable=False, server_default="0"))
        batch.add_column(sa.Column("error", sa.Text, nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("claim", sa.String(36), nullable=True))
        batch.add_column(sa.Column("runner", sa.String(200), nullable=True))
        batch.add_column(sa.Column("started_at", _TIME, nullable=True))
        batch.add_column(sa.Column("finished_at", _TIME, nullable=True))
        _tenant_key(batch, "fk_simulations_tenant")
    op.create_index("ix_simulations_status", "simulations", ["status"])
    op.create_index("ix_simulations_key_status", "simulations", ["key_id", "status"])


def _backfill() -> None:
    """Labels and update times from each case's latest version; patient-years from each job's parameters."""
    bind = op.get_bind()
    cases = sa.table("cases", sa.column("id"), sa.column("label"), sa.column("latest_version"), sa.column("updated_at"))
    versions = sa.table(
        "case_versions", sa.column("case_id"), sa.column("version"), sa.column("data", sa.JSON), sa.column("created_at")
    )
    latest = sa.select(versions.c.case_id, versions.c.data, versions.c.created_at).join(
        cases, (cases.c.id == versions.c.case_id) & (cases.c.latest_version == versions.c.version)
    )
    for case_id, data, created_at in bind.execute(latest).all():
        label = str((data or {}).get("id") or "")[:128]
        bind.execute(sa.update(cases).where(cases.c.id == case_id).values(label=label, updated_at=created_at))
    jobs = sa.table("simulations", sa.column("id"), sa.column("parameters", sa.JSON), sa.column("patient_years"))
    for job_id, parameters in bind.execute(sa.select(jobs.c.id, jobs.c.parameters)).all():
        years = float((parameters or {}).get("patients", 0)) * float((parameters or {}).get("years", 0))
        bind.execute(sa.update(jobs).where(jobs.c.id == job_id).values(patient_years=years))
    op.create_index("ix_cases_tenant_updated", "cases", ["tenant_id", "updated_at"])


def upgrade() -> None:
    _new_tables()
    _case_columns()
    _key_and_job_columns()
    _backfill()


def downgrade() -> None:
    raise NotImplementedError("0002 adds tenants and audit records; restore a backup to go back")
