"""Command-line tasks: `flask --app wsgi users|labels|bookings|ledger|reference|demo …`."""

from __future__ import annotations

import getpass
import time
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade
from werkzeug.serving import run_simple

from marketplace import clock
from marketplace.accounts import service
from marketplace.billing.fec import write_fec
from marketplace.billing.invoices import invoice_terms
from marketplace.billing.ledger import trial_balance, unbalanced_entries
from marketplace.billing.money import format_euros
from marketplace.bookings.models import Booking
from marketplace.bookings.operations import tick
from marketplace.dbtypes import utcnow
from marketplace.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.identifiers import is_valid_siren
from marketplace.labels.operations import expire_lapsed_labels
from marketplace.reference import sync_reference_data
from marketplace.resources import sync_resources
from marketplace.search.backend import SearchBackend
from marketplace.search.sync import LOADER_EXTENSION, OfferLoader

users_cli = AppGroup("users", help="Manage user accounts.")
labels_cli = AppGroup("labels", help="Provider labels.")
bookings_cli = AppGroup("bookings", help="Bookings: requests, quotes, agreements, deliveries.")
ledger_cli = AppGroup("ledger", help="The journal: trial balance and exports for accountants.")
reference_cli = AppGroup("reference", help="Regions, departments and categories.")
demo_cli = AppGroup("demo", help="Demo data for trying the marketplace.")
search_cli = AppGroup("search", help="The offer search index.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="", help="Full name (defaults to the email).")
@click.option("--password", envvar="ADMIN_PASSWORD", help="Asked for when not given.")
def create_admin(email: str, name: str, password: str | None) -> None:
    """Create an administrator account."""
    if not password:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password (again): ") != password:
            raise click.ClickException("The passwords differ.")
    try:
        user = service.create_admin(db.session(), email, password, name)
    except ValidationFailed as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Administrator {user.email} created.")


@labels_cli.command("expire")
def expire_labels() -> None:
    """Turn labels past their validity date into expired ones (run daily)."""
    lapsed = expire_lapsed_labels(db.session(), current_app.extensions["mailer"], clock.today())
    db.session.commit()
    click.echo(f"{len(lapsed)} label(s) expired.")


@bookings_cli.command("tick")
def bookings_tick() -> None:
    """Fire the timed transitions that are due (run every few minutes; several workers may).

    Unanswered requests and quotes expire; deliveries nobody disputed are confirmed.
    """
    mailer, terms = current_app.extensions["mailer"], invoice_terms(current_app.config)
    fired = tick(db.session(), mailer, utcnow(), terms)  # confirmations may auto-invoice
    db.session.commit()
    for booking_id, name in fired:
        booking = db.session.get(Booking, booking_id)  # in the session already: no query
        click.echo(f"{booking.reference if booking else booking_id}: {name}")
    click.echo(f"{len(fired)} transition(s) fired.")


DAY = click.DateTime(formats=["%Y-%m-%d"])


@ledger_cli.command("trial-balance")
@click.option("--until", type=DAY, help="Last day counted (YYYY-MM-DD); default: all entries.")
def ledger_trial_balance(until: datetime | None) -> None:
    """Print debits, credits and balance per account, and the totals (which must agree)."""
    balance = trial_balance(db.session(), until.date() if until else None)

    def euros(cents: int) -> str:
        return format_euros(cents, "en").rjust(16)

    for account in balance.accounts:
        name = f"{account.account:<6} {account.name[:44]:<44}"
        amounts = (account.debit_cents, account.credit_cents, account.balance_cents)
        click.echo(name + "".join(euros(cents) for cents in amounts))
    click.echo(f"{'Total':<51}{euros(balance.debit_cents)}{euros(balance.credit_cents)}")
    broken = unbalanced_entries(db.session())
    if broken or not balance.balanced:
        listed = ", ".join(map(str, broken[:20]))
        raise click.ClickException(f"The journal is corrupt: unbalanced entries {listed}.")


@ledger_cli.command("export-fec")
@click.option("--until", type=DAY, required=True, help="Closing date (YYYY-MM-DD).")
@click.option("--out", default=".", show_default=True, help="Folder to write the file into.")
@click.option("--siren", help="The platform's SIREN (default: the PLATFORM_SIREN setting).")
def ledger_export_fec(until: datetime, out: str, siren: str | None) -> None:
    """Write the FEC (fichier des écritures comptables) of every entry up to --until."""
    siren = siren or current_app.config.get("PLATFORM_SIREN", "")
    if not is_valid_siren(siren or ""):
        raise click.ClickException("Set PLATFORM_SIREN (or --siren) to the platform's SIREN.")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    path = write_fec(db.session(), siren, until.date(), folder)
    click.echo(f"FEC written: {path}")


@reference_cli.command("sync")
def sync_reference() -> None:
    """Insert or update regions, departments, categories and the curated resources."""
    sync_reference_data(db.session())
    count = sync_resources(db.session())
    db.session.commit()
    click.echo(f"Reference data is up to date ({count} resources).")


def _seed() -> None:
    from marketplace.demo import format_logins, seed_demo, seed_demo_billing, seed_demo_offers
    from marketplace.search.sync import reindex

    sync_reference_data(db.session())
    mailer = current_app.extensions["mailer"]
    summary = seed_demo(db.session(), mailer, clock.today())
    created, present = seed_demo_offers(db.session(), clock.today())
    for key, (made, found) in seed_demo_billing(db.session(), mailer, clock.today()).items():
        summary.created[key] += made
        summary.already_present[key] += found
    db.session.commit()
    backend = _search_backend()
    backend.apply_settings()
    indexed = reindex(db.session(), backend, clock.today(), loader=_search_loader())
    db.session.commit()
    click.echo(format_logins(summary))
    click.echo(f"Offers: {created} created, {present} already present; {indexed} indexed.")


@demo_cli.command("seed")
def seed() -> None:
    """Create the demo accounts, providers, labels, offers and programmes (idempotent)."""
    _seed()


@demo_cli.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def run_demo(host: str, port: int) -> None:
    """Apply migrations, seed the demo data, print the logins and serve the app."""
    upgrade()
    _seed()
    click.echo(f"\nCroissance Connectée is running at http://{host}:{port}/  (Ctrl+C to stop)\n")
    # Flask refuses app.run() inside its own CLI; werkzeug's server is what `flask run` uses.
    # It needs the app itself (its threads have no app context): current_app is typed as Flask,
    # though it is a LocalProxy.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    run_simple(host, port, app, threaded=True)


def _search_backend() -> SearchBackend:
    return current_app.extensions["search"]


def _search_loader() -> OfferLoader:
    """The offer loader the factory handed to search (the catalogue's)."""
    return current_app.extensions[LOADER_EXTENSION]


@search_cli.command("settings")
def search_settings() -> None:
    """Create the index if needed and apply its settings (searchable, filters, synonyms…)."""
    _search_backend().apply_settings()
    click.echo("Search settings applied.")


@search_cli.command("sync")
@click.option("--watch", type=float, default=0, help="Keep running, polling every N seconds.")
def search_sync(watch: float) -> None:
    """Apply pending index jobs from the outbox (with retries); a worker with --watch."""
    from marketplace.search.sync import process_outbox

    while True:
        while True:
            report = process_outbox(
                db.session(), _search_backend(), clock.today(), loader=_search_loader()
            )
            db.session.commit()
            if report.jobs:
                click.echo(
                    f"{report.jobs} job(s): {report.upserted} indexed, {report.deleted} removed"
                    + (f", failed: {report.error}" if report.failed else "")
                )
            if not report.jobs or report.failed:
                break
        if not watch:
            return
        time.sleep(watch)


@search_cli.command("reindex")
def search_reindex() -> None:
    """Rebuild the index from the database (searches never see a half-built index)."""
    from marketplace.search.sync import reindex

    backend = _search_backend()
    backend.apply_settings()
    count = reindex(db.session(), backend, clock.today(), loader=_search_loader())
    db.session.commit()
    click.echo(f"Index rebuilt: {count} offer(s).")


@search_cli.command("check")
def search_check() -> None:
    """Report offers missing from the index, stale in it, or there when they should not be."""
    from marketplace.search.sync import check

    report = check(db.session(), _search_backend(), clock.today(), loader=_search_loader())
    for name in ("missing", "stale", "extra"):
        ids = getattr(report, name)
        click.echo(f"{name}: {len(ids)}" + (f" ({', '.join(map(str, ids[:20]))})" if ids else ""))
    if not report.clean:
        raise SystemExit(1)


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Run each job once, then exit (1 if one failed).")
def worker_command(once: bool) -> None:
    """Run the background jobs: search outbox relay, booking timers, label expiry.

    Each job runs on its interval (WORKER_*_INTERVAL); several workers may run at once on
    PostgreSQL. SIGTERM or SIGINT: the current job finishes, then the worker exits 0.
    """
    from marketplace.worker import Worker, install_signal_handlers, jobs_from_config, serve_metrics

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    worker = Worker(app, jobs_from_config(app))
    if once:
        raise SystemExit(0 if worker.run_once() else 1)
    if app.config["WORKER_METRICS_PORT"]:
        serve_metrics(app.config["WORKER_METRICS_PORT"])
    install_signal_handlers(worker)
    worker.run_forever()


def register(app: Flask) -> None:
    groups = (users_cli, labels_cli, bookings_cli, ledger_cli, reference_cli, demo_cli, search_cli)
    for group in groups:
        app.cli.add_command(group)
    app.cli.add_command(worker_command)
