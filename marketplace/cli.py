"""Command-line set-up and upkeep: `flask --app app orgs|users|clients|housekeeping|demo|compliance|audit`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from marketplace.backup import backup, restore
from marketplace.errors import DomainError


def _emit(payload: dict) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, default=str))


def _fail(exc: DomainError) -> None:
    _emit({"error": exc.title, "detail": exc.detail, "errors": exc.errors})
    sys.exit(1)


orgs = AppGroup("orgs", help="Organisations.")
users = AppGroup("users", help="Users.")
clients = AppGroup("clients", help="OAuth clients for the API.")
demo = AppGroup("demo", help="The demo exchange.")
compliance_cli = AppGroup("compliance", help="Compliance tools.")
audit_cli = AppGroup("audit", help="The audit log.")
log_cli = AppGroup("log", help="The certificate transparency log.")


@orgs.command("create")
@click.option("--name", required=True)
@click.option("--name-en", default="")
@click.option("--uscc", required=True)
@click.option("--kind", required=True, type=click.Choice(["provider", "buyer", "reviewer", "exchange"]))
def create_org(name, name_en, uscc, kind):
    """Create an approved organisation; prints it as JSON."""
    from marketplace.accounts import services

    try:
        org = services.create_organization(name=name, name_en=name_en, uscc=uscc, kind=kind)
    except DomainError as exc:
        _fail(exc)
    _emit({"id": org.id, "name": org.name, "uscc": org.uscc, "kind": org.kind, "state": org.state})


@users.command("create")
@click.argument("email")
@click.option("--org", "org_uscc", help="USCC of the user's organisation.")
@click.option("--role", required=True,
              type=click.Choice(["broker", "buyer", "reviewer", "admin", "finance", "subject"]))
@click.option("--name", default="")
@click.option("--id-number", default=None, help="Resident ID number (data subjects).")
@click.option("--org-admin", is_flag=True, help="Make the user their organisation's admin.")
def create_user(email, org_uscc, role, name, id_number, org_admin):
    """Create a user; the password is read from standard input."""
    from marketplace.accounts import services

    password = sys.stdin.readline().rstrip("\n")
    try:
        user = services.create_user(email=email, name=name, password=password, role=role, org_uscc=org_uscc,
                                    id_number=id_number, is_org_admin=org_admin)
    except DomainError as exc:
        _fail(exc)
    _emit({"id": user.id, "email": user.email, "role": user.role, "org_id": user.org_id})


@clients.command("create")
@click.option("--user", "email", required=True)
@click.option("--scopes", default="", help="Space- or comma-separated; default: all the user's role allows.")
@click.option("--name", default="cli")
def create_client(email, scopes, name):
    """Create an API client acting for USER; prints its id and secret (shown once)."""
    from marketplace.accounts import services

    try:
        user = services.user_by_email(email)
        client, secret = services.create_client(name=name, scopes=scopes.replace(",", " ").split() or None,
                                                actor=user)
    except DomainError as exc:
        _fail(exc)
    _emit({"client_id": client.client_id, "client_secret": secret, "scope": client.scope})


@click.command("housekeeping")
def housekeeping():
    """Time-driven transitions: register products whose notice ended; expire certificates, access requests and
    contracts; repair missed payment events; resend undelivered webhooks. Idempotent."""
    from marketplace.consent import services as consent
    from marketplace.notifications import delivery
    from marketplace.payments import services as payments
    from marketplace.registration import certificates, services
    from marketplace.trading import services as trading

    logged = certificates.log_unlogged_certificates()
    registered = services.register_due_products()
    _emit({**registered, "expired": certificates.expire_due_certificates(), "logged": logged,
           **trading.expire_due(), **consent.expire_due(), "payments": payments.reconcile(),
           **delivery.retry_undelivered()})


@demo.command("load")
def demo_load():
    """Build (or top up) the demo exchange; prints and stores the demo accounts' generated passwords."""
    from marketplace import demo as demo_module

    _emit(demo_module.load())


@compliance_cli.command("scan")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (stable contract).")
def compliance_scan(path, as_json):
    """Scan a CSV, XLSX or JSON-lines file for personal information, streaming it."""
    from rich.console import Console

    from compliance.pi_scan import scan_file
    from compliance.readers import SampleError

    errors = Console(stderr=True)
    try:
        size = path.stat().st_size
        # Only a file that takes a while earns a bar; it goes to stderr so that --json stays one object.
        if size >= 16 * 1024 * 1024 and errors.is_terminal:
            report = _scan_with_progress(path, size, errors)
        else:
            report = scan_file(path)
    except (SampleError, OSError) as exc:
        message = exc.message["en"] if isinstance(exc, SampleError) else f"cannot read {path}: {exc.strerror}"
        errors.print(f"error: {message}", markup=False, highlight=False)
        sys.exit(2)
    if as_json:
        _emit(report.to_dict())
        return
    _print_summary(path, report)


def _scan_with_progress(path: Path, size: int, console):
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    from compliance.pi_scan import scan_file

    columns = ("{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(path.name, total=size)
        return scan_file(path, on_progress=lambda done, total: progress.update(task, completed=done))


def _print_summary(path: Path, report) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{path.name}: {report.rows_scanned:,} rows")
    for heading in ("column", "type", "rows", "share", "examples (masked)"):
        table.add_column(heading, justify="right" if heading in ("rows", "share") else "left")
    for entry in report.column_summary():
        for pi_type, found in entry["types"].items():
            table.add_row(entry["column"], pi_type, f"{found['rows']:,}", f"{found['share']:.1%}",
                          ", ".join(found["examples"]))
    console = Console()
    console.print(table)
    if not report.counts:
        console.print("No personal information found.")
    if report.truncated:
        console.print(f"Only the first {len(report.findings):,} findings are listed one by one; counts are complete.")


@audit_cli.command("verify")
def audit_verify():
    """Recompute the audit hash chain; exits 1 naming the first bad entry."""
    from marketplace.audit import verify_chain

    report = verify_chain()
    _emit({"entries": report.entries, "ok": report.ok, "first_bad_seq": report.first_bad_seq,
           "problem": report.problem})
    if not report.ok:
        sys.exit(1)


@log_cli.command("audit")
def log_audit():
    """Recompute the tree from its leaves and walk the audit chain; exits 1 naming the first bad entry."""
    from marketplace.audit import verify_chain
    from marketplace.registration.transparency import audit_log

    tree, chain = audit_log(), verify_chain()
    _emit({"ok": tree.ok and chain.ok, "log": {"leaves": tree.leaves, "ok": tree.ok, "problem": tree.problem},
           "audit": {"entries": chain.entries, "ok": chain.ok, "first_bad_seq": chain.first_bad_seq,
                     "problem": chain.problem}})
    if not (tree.ok and chain.ok):
        sys.exit(1)


@click.group("payments")
def payments_cli():
    """Payments upkeep."""


@payments_cli.command("reconcile")
@click.option("--days", default=3, show_default=True, help="How far back to replay Stripe's events.")
def payments_reconcile(days):
    """Repair missed Stripe webhooks: replay recent events and re-read every open PaymentIntent. Idempotent."""
    from marketplace.payments import services

    report = services.reconcile(days=days)
    _emit(report)
    if report.get("error"):
        sys.exit(1)


def register(app: Flask) -> None:
    for command in (orgs, users, clients, housekeeping, demo, compliance_cli, audit_cli, log_cli, payments_cli,
                    backup, restore):
        app.cli.add_command(command)
