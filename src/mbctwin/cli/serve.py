"""``mbc serve``: run the HTTP service (creating and migrating the database first)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from mbctwin.cli._console import err

LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    no_auth: Annotated[bool, typer.Option("--no-auth", help="Local demo only: no API key (loopback hosts).")] = False,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL; default MBC_DATABASE_URL or SQLite in the user data folder.")
    ] = None,
    jwt_issuer: Annotated[str | None, typer.Option(help="EHR issuer accepted for CDS Hooks JWTs.")] = None,
    jwks_file: Annotated[Path | None, typer.Option(help="JWKS file with that issuer's public keys.")] = None,
    cascade_runs: Annotated[
        Path | None, typer.Option(help="Folder of `mbc cascade run --out` folders shown by the cascade viewer.")
    ] = None,
    job_workers: Annotated[int, typer.Option(min=1, max=64, help="Simulation jobs run at once.")] = 1,
    job_scheduler: Annotated[
        str, typer.Option(help="process (worker processes here), thread, or tcp://HOST:PORT (a Dask scheduler).")
    ] = "process",
    jobs_per_key: Annotated[int, typer.Option(min=1, max=1000, help="Queued + running jobs per API key.")] = 4,
    job_budget: Annotated[
        float, typer.Option(min=1, help="Queued + running patient-years (patients x years) of all jobs together.")
    ] = 20_000_000.0,
    shutdown_grace: Annotated[float, typer.Option(min=0, help="Seconds running jobs get to stop at shutdown.")] = 10.0,
) -> None:
    """Serve the decision engine over HTTP (OpenAPI at /docs). Authentication is on by default."""
    import uvicorn

    from mbctwin.service.app import create_app
    from mbctwin.service.jobs import JobSettings
    from mbctwin.service.logs import configure_logging
    from mbctwin.service.settings import Settings

    if no_auth and not is_loopback(host):
        err.print(f"[bold red]--no-auth refused[/] on {host}: only a loopback host (127.0.0.1, ::1) runs without keys.")
        raise typer.Exit(2)
    if no_auth:
        err.print("[yellow]Warning:[/] authentication is OFF (--no-auth): a local demo only, never with real data.")
    if job_scheduler not in ("process", "thread") and not job_scheduler.startswith("tcp://"):
        err.print(f"[bold red]--job-scheduler {job_scheduler}[/]: use process, thread or tcp://HOST:PORT")
        raise typer.Exit(2)
    configure_logging()
    jobs = JobSettings(
        scheduler=job_scheduler,
        workers=job_workers,
        per_key=jobs_per_key,
        patient_years=job_budget,
        shutdown_grace_s=shutdown_grace,
    )
    settings = Settings(
        database_url=database_url or "",
        auth=not no_auth,
        jwt_issuer=jwt_issuer,
        jwks_file=jwks_file,
        cascade_runs=cascade_runs,
        jobs=jobs,
    )
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        access_log=False,
        log_level="info",
        log_config=None,
        timeout_graceful_shutdown=int(shutdown_grace) + 5,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
