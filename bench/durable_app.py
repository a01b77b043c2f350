"""The second baseline of the delivery benchmark: the smallest Flask app that does what every delivery call must,
commit two rows durably before it answers (the exchange's subject-access line and usage line).

    DURABLE_DATABASE_URL=sqlite:////tmp/d.db gunicorn -w 2 --chdir bench durable_app:app

With the exchange's own durability settings (RELIABILITY.md): SQLite in WAL mode with synchronous=FULL, each
transaction taking the write lock up front (BEGIN IMMEDIATE), as the exchange's unit of work does; PostgreSQL with
its defaults (fsync and synchronous_commit on). Plain DB-API (sqlite3, psycopg) and no ORM: its requests per
second are the ceiling that committing per call puts on any delivery endpoint on this machine at this moment,
whatever the code in front of the commit costs.
"""

import os
import sqlite3
from datetime import UTC, datetime

from flask import Flask, jsonify

URL = os.environ["DURABLE_DATABASE_URL"]
TABLE = ("CREATE TABLE IF NOT EXISTS durable_lines (id {key}, kind TEXT NOT NULL, contract_id INTEGER NOT NULL, "
         "created_at TEXT NOT NULL, detail TEXT NOT NULL)")

app = Flask(__name__)
_connection = None


def connect():
    if URL.startswith("sqlite:///"):
        db = sqlite3.connect(URL.removeprefix("sqlite:///"), isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=15000"):
            db.execute(f"PRAGMA {pragma}")
        return db
    import psycopg

    return psycopg.connect(URL)


def prepare() -> None:
    """Create the table, once, before the workers start (two workers racing to create it would collide)."""
    db = connect()
    db.execute(TABLE.format(key="INTEGER PRIMARY KEY" if isinstance(db, sqlite3.Connection)
                            else "BIGSERIAL PRIMARY KEY"))
    db.commit()
    db.close()


def connection():
    global _connection
    if _connection is None:
        _connection = connect()
    return _connection


@app.get("/")
def commit_two_lines():
    db = connection()
    now = datetime.now(UTC).isoformat()
    sqlite = isinstance(db, sqlite3.Connection)
    marker = "?" if sqlite else "%s"
    if sqlite:
        db.execute("BEGIN IMMEDIATE")
    for kind in ("access", "usage"):
        db.execute(f"INSERT INTO durable_lines (kind, contract_id, created_at, detail) VALUES "  # nosec B608 # fixed
                   f"({marker}, {marker}, {marker}, {marker})", (kind, 1, now, '{"fields": ["a", "b"]}'))
    if sqlite:
        db.execute("COMMIT")
    else:
        db.commit()
    return jsonify(committed=2)
