"""Online backup and restore of the exchange's database: `flask --app app backup` and `flask --app app restore`.

SQLite is copied with its online backup API (one read transaction: a consistent snapshot while the app keeps
writing, WAL lets writers go on); PostgreSQL with `pg_dump --format=custom` (one repeatable-read snapshot) and
restored with `pg_restore`. Blobs under MARKETPLACE_FILES_DIR and the signing key are files, copied separately;
blobs in an S3 bucket (MARKETPLACE_S3_BUCKET) are kept by the bucket's versioning or replication, not copied here.
The output says which holds the blobs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404 # pg_dump and pg_restore, run with argument lists, never through a shell
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import func, inspect, select, table
from sqlalchemy.engine import URL

from marketplace import storage
from marketplace.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Rows a fresh, migrated database already holds (the chain and log heads): restoring over them loses nothing.
SEEDED_TABLES = {"audit_head", "log_head"}


def _emit(payload: dict) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, default=str))


def _fail(message: str, **extra) -> None:
    _emit({"error": message, **extra})
    sys.exit(1)


def row_counts() -> dict[str, int]:
    """Rows of every table in the connected database (not only the models': whatever the schema holds)."""
    names = sorted(inspect(db.engine).get_table_names())
    return {name: db.session.scalar(select(func.count()).select_from(table(name))) for name in names}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _private_file(path: Path) -> None:
    """Create an empty file only the owner reads: a backup holds password hashes and contracts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _publish(partial: Path, target: Path) -> None:
    """Move the finished copy into place atomically, so a crash never leaves a half backup under the real name."""
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _sqlite_path() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        _fail(f"cannot back up or restore this SQLite database: {database!r}")
    return Path(database)


def _libpq(url: URL) -> tuple[str, dict]:
    """A libpq connection URI without the password (it would show in `ps`), and the environment carrying it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return conninfo, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        _fail(f"{name} not found on PATH: install the PostgreSQL client of the server's major version or newer")
    return path


def _run(argv: list[str], env: dict) -> None:
    # An argument list (no shell) naming a binary found by shutil.which; the password travels in PGPASSWORD.
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if done.returncode != 0:
        _fail(f"{Path(argv[0]).name} failed with exit status {done.returncode}", stderr=done.stderr.strip())


def backup_sqlite(source: Path, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    _private_file(partial)
    src = sqlite3.connect(source, timeout=15)
    dst = sqlite3.connect(partial)
    try:
        # pages=-1 copies every page in one step under one read transaction: a consistent snapshot, and in WAL
        # mode the app's writers are not held up meanwhile.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        _fail("the copy failed SQLite's integrity check", detail=check)
    _publish(partial, target)


def backup_postgresql(url: URL, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    _private_file(partial)
    conninfo, env = _libpq(url)
    _run([_tool("pg_dump"), "--format=custom", f"--file={partial}", f"--dbname={conninfo}"], env)
    _publish(partial, target)


def restore_sqlite(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        check = src.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            _fail("the backup failed SQLite's integrity check; nothing was changed", detail=check)
        dst = sqlite3.connect(target, timeout=15)
        try:
            # The backup API replaces the destination's pages in one transaction: all of the copy or none of it.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()


def restore_postgresql(source: Path, url: URL) -> None:
    conninfo, env = _libpq(url)
    # One transaction (all or nothing); --clean drops what a migrated but empty schema already holds; objects are
    # owned by the restoring role, and grants of roles this cluster may not have are left out.
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", f"--dbname={conninfo}", str(source)], env)


def _kind_of(path: Path) -> str | None:
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    return None


def _default_path(kind: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = "db" if kind == "sqlite" else "pgdump"
    return Path(current_app.instance_path) / "backups" / f"exchange-{stamp}.{suffix}"


@click.command("backup")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the copy; default instance/backups/exchange-<UTC timestamp>.db (.pgdump).")
def backup(output):
    """Copy the database while the app runs (SQLite backup API, or pg_dump); prints path, bytes and sha256."""
    kind = db.engine.dialect.name
    if kind not in ("sqlite", "postgresql"):
        _fail(f"no backup method for {kind}")
    target = (output or _default_path(kind)).resolve()
    started = time.monotonic()
    if kind == "sqlite":
        backup_sqlite(_sqlite_path(), target)
    else:
        backup_postgresql(db.engine.url, target)
    _emit({"database": kind, "path": str(target), "bytes": target.stat().st_size, "sha256": _sha256(target),
           "seconds": round(time.monotonic() - started, 3), "files": _files_note()})


def _files_note() -> dict:
    """Where the blobs are and what keeps them: this command copies the database only."""
    where = storage.describe()
    if where["backend"] != "s3":
        return {**where, "copied": False, "note": "copy this directory after the database backup"}
    note = "objects stay in the bucket: its versioning or replication is their backup"
    if where["versioning"] != "Enabled":
        note += "; versioning is not enabled on it, so a deleted or overwritten object cannot be recovered"
    return {**where, "copied": False, "note": note}


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
def restore(file, force):
    """Restore a `backup` FILE into the configured database (the app stopped), then run the log and audit-chain
    verifiers. Refuses a database that holds data unless --force."""
    kind = db.engine.dialect.name
    found = _kind_of(file)
    if found != kind:
        _fail(f"{file} is not a {kind} backup" + (f" (it is a {found} one)" if found else ""))
    # The models' tables only: full-text shadow tables and alembic_version hold rows in an empty database too.
    occupied = {name: rows for name, rows in row_counts().items()
                if rows and name in db.metadata.tables and name not in SEEDED_TABLES}
    db.session.remove()
    if occupied and not force:
        _fail("the database already holds data; pass --force to replace it", tables=occupied)
    db.engine.dispose()
    started = time.monotonic()
    if kind == "sqlite":
        restore_sqlite(file, _sqlite_path())
    else:
        restore_postgresql(file, db.engine.url)
    db.engine.dispose()  # pooled connections may have cached the old schema

    from marketplace.audit import verify_chain
    from marketplace.registration.transparency import audit_log

    tree, chain = audit_log(), verify_chain()
    counts = row_counts()
    _emit({"ok": tree.ok and chain.ok, "database": kind, "path": str(file.resolve()), "sha256": _sha256(file),
           "seconds": round(time.monotonic() - started, 3), "tables": len(counts), "rows": sum(counts.values()),
           "log": {"leaves": tree.leaves, "ok": tree.ok, "problem": tree.problem},
           "audit": {"entries": chain.entries, "ok": chain.ok, "first_bad_seq": chain.first_bad_seq,
                     "problem": chain.problem}})
    if not (tree.ok and chain.ok):
        sys.exit(1)
