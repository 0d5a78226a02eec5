"""``mbc apikey create``: a new API key, printed once; only its salted hash is stored."""

from __future__ import annotations

from typing import Annotated

import typer

from mbctwin.cli._console import err

app = typer.Typer(help="Manage API keys for the HTTP service.", no_args_is_help=True)


@app.command("create")
def create_command(
    name: Annotated[str, typer.Option(help="Who or what the key is for (e.g. 'tumour-board-app').")],
    database_url: Annotated[str | None, typer.Option(help="SQLAlchemy URL (default as for `mbc serve`).")] = None,
) -> None:
    """Create a key and print it alone on stdout: it cannot be shown again."""
    from mbctwin.store import repo
    from mbctwin.store.db import default_url, make_engine, migrate, session_factory

    engine = make_engine(database_url or default_url())
    migrate(engine)
    with session_factory(engine)() as session:
        row, key = repo.create_api_key(session=session, name=name)
        session.commit()
    engine.dispose()
    err.print(f"Created API key '{row.name}' ({row.prefix}); store it now, it is not kept in readable form.")
    typer.echo(key)
