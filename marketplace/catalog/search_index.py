"""The database's own full-text index over catalog_search: FTS5 on SQLite, tsvector + GIN on PostgreSQL.

The terms come from catalog.text on both, so both databases match the same listings. Ranking is each
engine's own, weighted by field (title > provider and scenarios > field names > description): FTS5's bm25
on SQLite, ts_rank on PostgreSQL. The DDL runs when the table is created (tests, `db create_all`) and is
repeated verbatim in the migration that introduced it.
"""

from __future__ import annotations

import math

from sqlalchemy import DDL, Float, Integer, column, event, text
from sqlalchemy.sql import Subquery

from marketplace.catalog.models import SearchDocument

# Field weights, highest first: title, tags (provider, scenarios, sector), field dictionary, description.
WEIGHTS = (10.0, 5.0, 3.0, 1.0)

SQLITE_DDL = (
    "CREATE VIRTUAL TABLE catalog_fts USING fts5(title_terms, tag_terms, field_terms, text_terms, "
    "content='catalog_search', content_rowid='listing_id', tokenize='unicode61', detail='column')",
    "CREATE TRIGGER catalog_search_ai AFTER INSERT ON catalog_search BEGIN "
    "INSERT INTO catalog_fts(rowid, title_terms, tag_terms, field_terms, text_terms) "
    "VALUES (new.listing_id, new.title_terms, new.tag_terms, new.field_terms, new.text_terms); END",
    "CREATE TRIGGER catalog_search_ad AFTER DELETE ON catalog_search BEGIN "
    "INSERT INTO catalog_fts(catalog_fts, rowid, title_terms, tag_terms, field_terms, text_terms) "
    "VALUES ('delete', old.listing_id, old.title_terms, old.tag_terms, old.field_terms, old.text_terms); END",
    "CREATE TRIGGER catalog_search_au AFTER UPDATE ON catalog_search BEGIN "
    "INSERT INTO catalog_fts(catalog_fts, rowid, title_terms, tag_terms, field_terms, text_terms) "
    "VALUES ('delete', old.listing_id, old.title_terms, old.tag_terms, old.field_terms, old.text_terms); "
    "INSERT INTO catalog_fts(rowid, title_terms, tag_terms, field_terms, text_terms) "
    "VALUES (new.listing_id, new.title_terms, new.tag_terms, new.field_terms, new.text_terms); END",
)
SQLITE_DROP = ("DROP TABLE IF EXISTS catalog_fts",)

# The terms become tsvector lexemes as they are ("陈皮:1"): PostgreSQL's parser never sees or re-splits them,
# and each carries a position, which is what setweight's field weights attach to.
_FIELD_VECTOR = "setweight(CAST(regexp_replace({column}, '(\\S+)', '\\1:1', 'g') AS tsvector), '{weight}')"
POSTGRES_DDL = (
    "ALTER TABLE catalog_search ADD COLUMN document tsvector GENERATED ALWAYS AS ("
    + " || ".join(_FIELD_VECTOR.format(column=column, weight=weight) for column, weight in (
        ("title_terms", "A"), ("tag_terms", "B"), ("field_terms", "C"), ("text_terms", "D")))
    + ") STORED",
    "CREATE INDEX ix_catalog_search_document ON catalog_search USING gin (document)",
    # Rows hold ~1.7 kB of term strings beside the TOASTed tsvector, so a bitmap heap scan over the GIN
    # index's matches reads a heap page per match; toasting every value past 128 bytes keeps a row to ~0.1 kB
    # (heap 1.7 GB → 135 MB at 10^6 listings). Its own migration (PostgreSQL only) follows c2e1fbdd8194's.
    "ALTER TABLE catalog_search SET (toast_tuple_target = 128)",
)

for _statement in SQLITE_DDL:
    event.listen(SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in SQLITE_DROP:
    event.listen(SearchDocument.__table__, "after_drop", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_DDL:
    event.listen(SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


FIELDS = ("title_terms", "tag_terms", "field_terms", "text_terms")


def _score(terms: list[str], dialect: str) -> str:
    """SQL of the relevance score: each term adds the weight of the best field holding it.

    The same arithmetic on both databases (engine rankings such as bm25 and ts_rank differ, and cost a
    document decompression per match). Term lists are space-separated, so ' term ' marks a whole term; a
    candidate holds every term somewhere, so a term in none of the short fields is in the description."""
    find = "strpos({field}, {needle})" if dialect == "postgresql" else "instr({field}, {needle})"
    parts = []
    for i, _term in enumerate(terms):
        whens = []
        for field, weight in zip(FIELDS[:-1], WEIGHTS[:-1], strict=True):
            padded = "(' ' || s." + field + " || ' ')"
            whens.append(f"WHEN {find.format(field=padded, needle=f':t{i}')} > 0 THEN {weight:g}")
        parts.append(f"CASE {' '.join(whens)} ELSE {WEIGHTS[-1]:g} END")
    return " + ".join(parts)


def candidates(terms: list[str], dialect: str, limit: int, *, after: int | None = None) -> Subquery:
    """The newest `limit` listings holding every term, scored: (listing_id, score).

    Bounding the candidates bounds the work of a query however many listings a common term matches;
    search.py tells the caller when the matches were more (counts are then scaled estimates). `after` (from
    plan_candidates, PostgreSQL only) looks only at listing ids above it: the caller asks again without it
    when the window held `limit` or fewer, so the result is the same either way."""
    params = {f"t{i}": f" {term} " for i, term in enumerate(terms)}
    if dialect == "postgresql":
        # Terms are letters, digits and CJK only (catalog.text), so quoting them as lexemes is safe.
        window = "AND listing_id > :after " if after is not None else ""
        matched = ("SELECT listing_id FROM catalog_search WHERE document @@ CAST(:tsquery AS tsquery) "  # noqa: S608
                   f"{window}ORDER BY listing_id DESC LIMIT :limit")
        params["tsquery"] = " & ".join(f"'{term}'" for term in terms)
        if after is not None:
            params["after"] = after
    else:
        matched = ("SELECT rowid AS listing_id FROM catalog_fts WHERE catalog_fts MATCH :match "
                   "ORDER BY rowid DESC LIMIT :limit")
        params["match"] = " ".join(f'"{term}"' for term in terms)
    # Only constants and :placeholders are formatted into the SQL; the terms themselves are bound parameters.
    sql = (f"SELECT s.listing_id AS listing_id, {_score(terms, dialect)} AS score "  # noqa: S608
           f"FROM ({matched}) AS m JOIN catalog_search AS s ON s.listing_id = m.listing_id")
    statement = text(sql).bindparams(limit=limit, **params)
    return statement.columns(column("listing_id", Integer), column("score", Float)).subquery("hits")


# PostgreSQL cost model for "the newest N matches": walking the primary key backwards costs a tsvector
# check per row (about 7 µs, the planner thinks far less); a bitmap costs a GIN posting per match (about
# 0.18 µs: 电's 187k postings take 34 ms at 10^6) and a heap visit per match it keeps (about 1 µs on the
# narrow heap). With the id window below it keeps only about WINDOW_MARGIN × N, for a key range of about
# 0.03 µs an id (27,500 ids: 0.8 ms). Measured on this schema; see bench/catalog_bench.py.
BACKWARD_ROW_US, GIN_POSTING_US, BITMAP_MATCH_US, KEY_RANGE_US = 7.0, 0.18, 1.0, 0.03
# How much wider than the estimate of where the newest N matches start the bitmap's id window is drawn.
WINDOW_MARGIN = 1.5


def plan_candidates(terms: list[str], limit: int, session) -> int | None:
    """On PostgreSQL, pick the cheaper way to the newest `limit` matches for this transaction; returns the
    listing id above which to look for them (candidates' `after`), or None for everywhere.

    The planner underrates the per-row cost of matching a tsvector, so for a term in a few percent of the
    listings it walks the key backwards through tens of thousands of rows where the GIN bitmap is 5×
    faster; for a term in a fifth of them the backward walk is as fast. Decided from its own row estimate.

    The GIN index cannot hand out its matches newest first, so an unbounded bitmap visits the heap for
    every match (社保: 54,000 at 10^6 listings). By the same estimate the newest `limit` lie in the newest
    limit / fraction ids: with an id window 1.5× that, PostgreSQL ANDs the GIN bitmap with a primary-key
    range and visits only the matches inside it. The newest 1,001 at 10^6 listings: 社保 260 → 15 ms (the
    backward walk was 130 ms), 电力 负荷 217–276 → 18 ms, 电 45 → 35 ms."""
    matches = count(terms, "postgresql", session)
    if len(terms) > 1 and matches:
        # The planner takes words as independent (电力 负荷: 4,387 for 34,720 at 10^6) and the rarest word alone
        # is the most there can be (电力: 50,967). Their geometric mean (14,953) is within 2.5× for the words
        # that go together (电力 负荷, social insurance); for words that avoid each other (社保 loan: 1,786)
        # the window is too narrow and the search asks again without it.
        matches = math.isqrt(matches * min(count([term], "postgresql", session) for term in terms))
    listed, first, last = session.execute(text(
        "SELECT (SELECT reltuples FROM pg_class WHERE relname = 'catalog_search'), "
        "min(listing_id), max(listing_id) FROM catalog_search")).one()
    if not matches or not listed or listed <= 0 or last is None:
        return None
    backward = limit / (matches / listed) * BACKWARD_ROW_US
    # Matches per id rather than per listing: delisted listings leave gaps in the ids.
    width = math.ceil(WINDOW_MARGIN * limit * (last - first + 1) / matches)
    unbounded = matches * BITMAP_MATCH_US
    # A rarer word's window is wide and saves few heap visits: 陈皮 (5,000 at 10^6) took 25 ms through a
    # 300,000-id key range where its whole bitmap takes a few.
    windowed = width * KEY_RANGE_US + min(matches, WINDOW_MARGIN * limit) * BITMAP_MATCH_US
    if matches * GIN_POSTING_US + min(unbounded, windowed) >= backward:
        session.execute(text("SET LOCAL enable_bitmapscan = off"))
        return None
    # On a small catalog it would otherwise scan the table, decompressing every tsvector. Without index
    # scans the join to the listings became a scan of all of them (45 ms at 10^5): nested loops it is.
    session.execute(text("SET LOCAL enable_indexscan = off"))
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_hashjoin = off"))
    session.execute(text("SET LOCAL enable_mergejoin = off"))
    return last - width if windowed < unbounded and last - width >= first else None


def unplan(session) -> None:
    """Back to the planner's own choices for the rest of the transaction, after the candidates.

    plan_candidates' settings are for that one statement: left on, count's min/max over the key became a
    bitmap scan of the whole table (250 ms at 10^6 listings), and the page's loading lost its index scans."""
    session.execute(text("SELECT set_config(name, reset_val, true) FROM pg_settings "
                         "WHERE name IN ('enable_bitmapscan', 'enable_indexscan', 'enable_seqscan', "
                         "'enable_hashjoin', 'enable_mergejoin')"))


def count(terms: list[str], dialect: str, session, *, examined: int = 0, oldest: int | None = None) -> int:
    """How many listings hold every term; asked only when there are more than the candidates.

    SQLite counts its FTS5 doclists exactly in a few milliseconds. PostgreSQL would have to visit every
    matching row (a common word at a million listings is seconds), so it estimates: for one term the
    planner's figure from the tsvector statistics is within about 1%; for several it assumes the words
    independent and was 80% off, so there the share of the examined matches among the newest listings
    (ids from `oldest` up) is extended to the whole catalog. The response says the figure is not exact.
    plan_candidates' id window changes nothing here: search.py only keeps a windowed answer that holds more
    than the candidates, and those are then the newest matches of all, as without it."""
    if dialect != "postgresql":
        return session.execute(text("SELECT count(*) FROM catalog_fts WHERE catalog_fts MATCH :match"),
                               {"match": " ".join(f'"{term}"' for term in terms)}).scalar()
    if len(terms) > 1 and examined and oldest is not None:
        first, last = session.execute(text("SELECT min(listing_id), max(listing_id) FROM catalog_search")).one()
        return round(examined * (last - first + 1) / max(1, last - oldest + 1))
    tsquery = " & ".join(f"'{term}'" for term in terms)
    plan = session.execute(text("EXPLAIN (FORMAT JSON) SELECT 1 FROM catalog_search "
                                "WHERE document @@ CAST(:tsquery AS tsquery)"), {"tsquery": tsquery}).scalar()
    return int(plan[0]["Plan"]["Plan Rows"])


def hits(terms: list[str], dialect: str) -> Subquery:
    """Every listing holding every term (no bound, no score): the plain match, for plans and checks."""
    return candidates(terms, dialect, limit=2**31 - 1)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For migration comparisons: the engine-side index lives outside the models (FTS5 tables, the tsvector)."""
    if type_ == "table" and name and name.startswith("catalog_fts"):
        return False
    if type_ == "column" and name == "document" and getattr(obj, "table", None) is not None \
            and obj.table.name == "catalog_search":
        return False
    if type_ == "index" and name == "ix_catalog_search_document":
        return False
    return True

