"""``mbc apikey create|list|revoke|rotate``: API keys of tenants, with scopes, expiry and last use.

A new key is printed once, as the last line on stdout; only its salted hash is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from mbctwin.cli._console import err, print_json

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

app = typer.Typer(help="Manage API keys for the HTTP service.", no_args_is_help=True)
DatabaseUrl = Annotated[str | None, typer.Option(help="SQLAlchemy URL (default as for `mbc serve`).")]
Expires = Annotated[int | None, typer.Option("--expires-days", min=1, max=3650, help="Days until the key expires.")]
CLI_ACTOR = "mbc apikey (command line)"


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    from mbctwin.store.db import default_url, make_engine, migrate, session_factory

    engine = make_engine(database_url or default_url())
    migrate(engine)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _expiry(days: int | None) -> datetime | None:
    return datetime.now(UTC) + timedelta(days=days) if days else None


def _audit(session: Session, tenant: str, action: str, key_id: str) -> None:
    from mbctwin.store import repo

    actor = repo.Actor(tenant, None, CLI_ACTOR, frozenset())
    repo.audit(session=session, actor=actor, action=action, target_type="api_key", target_id=key_id)


@app.command("create")
def create_command(
    name: Annotated[str, typer.Option(help="Who or what the key is for (e.g. 'tumour-board-app').")],
    tenant: Annotated[str, typer.Option(help="The organisation whose data the key sees (created if new).")] = "default",
    scopes: Annotated[str, typer.Option(help="Comma-separated: read, write, admin.")] = "read,write",
    expires_days: Expires = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a key and print it as the last line on stdout: it cannot be shown again."""
    from mbctwin.store import repo

    if not tenant.strip() or len(tenant) > 64 or not all(c.isalnum() or c in "-_." for c in tenant):
        err.print(f"[bold red]--tenant[/] {tenant!r}: use 1-64 letters, digits, '-', '_' or '.'")
        raise typer.Exit(2)
    try:
        wanted = repo.parse_scopes(scopes.split(","))
    except ValueError as error:
        err.print(f"[bold red]--scopes[/]: {error}")
        raise typer.Exit(2) from None
    with _session(database_url) as session:
        row, key = repo.create_api_key(
            session=session, name=name, tenant=tenant, scopes=wanted, expires_at=_expiry(expires_days)
        )
        _audit(session, tenant, "api_key.create", row.id)
        session.commit()
    err.print(
        f"Created API key '{row.name}' ({row.prefix}) of tenant '{tenant}' with scopes {','.join(wanted)}; "
        "store it now, it is not kept in readable form."
    )
    typer.echo(key)


def _when(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat(timespec="seconds")


@app.command("list")
def list_command(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's keys.")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Every key as JSON: prefix, name, tenant, scopes, created, expires, last used, revoked (no secrets)."""
    from mbctwin.store import repo

    with _session(database_url) as session:
        rows = repo.list_api_keys(session=session, tenant=tenant)
        listing = [
            {
                "id": r.id,
                "prefix": r.prefix,
                "name": r.name,
                "tenant": r.tenant_id,
                "scopes": r.scopes.split(","),
                "created_at": _when(r.created_at),
                "expires_at": _when(r.expires_at),
                "last_used_at": _when(r.last_used_at),
                "revoked_at": _when(r.revoked_at),
                "active": repo.key_is_active(r),
            }
            for r in rows
        ]
    print_json(listing)


@app.command("revoke")
def revoke_command(
    key: Annotated[str, typer.Argument(help="The key's prefix (as `mbc apikey list` shows) or id.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a key at once: its API calls and web sessions stop working."""
    from mbctwin.store import repo

    with _session(database_url) as session:
        row = repo.revoke_api_key(session=session, ref=key)
        if row is None:
            err.print(f"[bold red]no key[/] with prefix or id {key!r}")
            raise typer.Exit(1)
        _audit(session, row.tenant_id, "api_key.revoke", row.id)
        session.commit()
    err.print(f"Revoked API key '{row.name}' ({row.prefix}).")


@app.command("rotate")
def rotate_command(
    key: Annotated[str, typer.Argument(help="The key's prefix (as `mbc apikey list` shows) or id.")],
    expires_days: Expires = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a key and print its successor (same name, tenant and scopes) as the last line on stdout."""
    from mbctwin.store import repo

    with _session(database_url) as session:
        rotated = repo.rotate_api_key(session=session, ref=key, expires_at=_expiry(expires_days))
        if rotated is None:
            err.print(f"[bold red]no key[/] with prefix or id {key!r}")
            raise typer.Exit(1)
        old, new, plain = rotated
        _audit(session, new.tenant_id, "api_key.rotate", new.id)
        session.commit()
    err.print(f"Revoked '{old.name}' ({old.prefix}); its successor is {new.prefix}. Store it now.")
    typer.echo(plain)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="apikey")
