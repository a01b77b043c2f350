"""Counting the SQL statements one request runs: the measure of the N+1 tests (test_statement_counts.py).

The count comes from SQLAlchemy's `before_cursor_execute` event on the app's engine, so it sees every statement
the ORM, Core or a raw `text()` sends, whichever session or connection sends it. Transaction control (BEGIN,
COMMIT, ROLLBACK, SAVEPOINT …) is left out: it is not a query, and SQLite's explicit BEGIN (marketplace/database.py)
would otherwise count on one backend only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event

from marketplace.extensions import db

_COLUMNS = re.compile(r"^(SELECT) .+? (FROM )", re.IGNORECASE)
_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|END)\b", re.IGNORECASE)


@dataclass
class Statements:
    """The statements seen while counting, in order."""

    seen: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.seen)

    def summary(self, width: int = 200) -> str:
        """One line per statement, its column list elided: what an assertion message shows."""
        lines = []
        for i, sql in enumerate(self.seen, 1):
            text = _COLUMNS.sub(r"\1 … \2", " ".join(sql.split()), count=1)
            lines.append(f"{i:3d}. {text[:width]}")
        return "\n".join(lines)


@contextmanager
def counting_statements() -> Iterator[Statements]:
    """Record every non-transaction-control statement sent on the current app's engine inside the block."""
    engine = db.engine
    statements = Statements()

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        if not _CONTROL.match(statement):
            statements.seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def count_request(client, method: str, url: str, **kwargs):
    """(response, Statements) for one request through the Flask test client.

    The test's own session is committed before counting starts, so its pending writes are not counted as the
    request's (tests.fixtures.IsolatedClient would otherwise flush them inside the counted window).
    """
    db.session.commit()
    with counting_statements() as statements:
        response = client.open(url, method=method, **kwargs)
    return response, statements
