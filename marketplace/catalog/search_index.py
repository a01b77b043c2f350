"""The database's own full-text index over catalog_search: FTS5 on SQLite, tsvector + GIN on PostgreSQL.

The terms come from catalog.text on both, so both databases match the same listings. Ranking is each
engine's own, weighted by field (title > provider and scenarios > field names > description): FTS5's bm25
on SQLite, ts_rank on PostgreSQL. The DDL runs when the table is created (tests, `db create_all`) and is
repeated verbatim in the migration that introduced it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

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


def _score(terms: list[str], dialect: str, row: str, title: str | None = None) -> str:
    """SQL of the relevance score: each term adds the weight of the best field holding it.

    The same arithmetic on both databases (engine rankings such as bm25 and ts_rank differ, and cost a
    document decompression per match). Term lists are space-separated, so ' term ' marks a whole term; a
    candidate holds every term somewhere, so a term in none of the short fields is in the description.
    CASE looks no further than the first field holding the term: on PostgreSQL every term string is TOASTed
    (a read of the TOAST table each), so a term in the title costs one read, not three. `title`, when given,
    is the padded title read once for all the terms (each CASE would otherwise read it again)."""
    find = "strpos({field}, {needle})" if dialect == "postgresql" else "instr({field}, {needle})"
    parts = []
    for i, _term in enumerate(terms):
        whens = []
        for name, weight in zip(FIELDS[:-1], WEIGHTS[:-1], strict=True):
            padded = title if title and name == "title_terms" else f"(' ' || {row}.{name} || ' ')"
            whens.append(f"WHEN {find.format(field=padded, needle=f':t{i}')} > 0 THEN {weight:g}")
        parts.append(f"CASE {' '.join(whens)} ELSE {WEIGHTS[-1]:g} END")
    return " + ".join(parts)


def _tsquery(terms: list[str]) -> str:
    # Terms are letters, digits and CJK only (catalog.text), so quoting them as lexemes is safe.
    return " & ".join(f"'{term}'" for term in terms)


def candidates(terms: list[str], dialect: str, limit: int, *, after: int | None = None,
               scored: bool = True) -> Subquery:
    """The newest `limit` listings holding every term, scored (0 unless `scored`): (listing_id, score).

    Bounding the candidates bounds the work of a query however many listings a common term matches;
    search.py tells the caller when the matches were more (counts are then scaled estimates). `after` (from
    plan_candidates, PostgreSQL only) looks first at listing ids above it only, and below it only when the
    window held fewer than `limit`: the answer is the same either way, in one statement."""
    params: dict[str, object] = {f"t{i}": f" {term} " for i, term in enumerate(terms)} if scored else {}
    if dialect == "postgresql":
        # The term strings ride along from the match's own heap visit: no second lookup of the rows to score.
        fields = "listing_id" + (", " + ", ".join(FIELDS[:-1]) if scored else "")
        match = f"SELECT {fields} FROM catalog_search WHERE document @@ CAST(:tsquery AS tsquery)"  # noqa: S608  # nosec B608 # constants and :placeholders only, values bound
        if after is None:
            matched = f"{match} ORDER BY listing_id DESC LIMIT :limit"
        else:
            # The older listings only when the window came up short (its estimate was high): a LIMIT of 0 never
            # runs its scan. Every match in the window is newer than every older one, so together they are the
            # newest `limit`, as without the window.
            matched = (f"WITH newest AS MATERIALIZED ({match} AND listing_id > :after "  # noqa: S608  # nosec B608 # constants and :placeholders only, values bound
                       "ORDER BY listing_id DESC LIMIT :limit) "
                       f"SELECT * FROM newest UNION ALL ({match} AND listing_id <= :after "
                       "ORDER BY listing_id DESC LIMIT :limit - (SELECT count(*) FROM newest))")
            params["after"] = after
        params["tsquery"] = _tsquery(terms)
        if scored:
            # OFFSET 0 keeps the padded title a value of its own, read from the TOAST table once per candidate
            # (social insurance at 10^6: 59 → 49 ms under load); tag and field terms stay lazy, read by a
            # CASE only for a term the title lacks.
            sql = (f"SELECT m.listing_id AS listing_id, {_score(terms, dialect, 'm', 'p.title')} AS score "  # noqa: S608  # nosec B608 # constants and :placeholders only, values bound
                   f"FROM ({matched}) AS m "
                   "CROSS JOIN LATERAL (SELECT ' ' || m.title_terms || ' ' AS title OFFSET 0) AS p")
        else:
            sql = f"SELECT m.listing_id AS listing_id, 0 AS score FROM ({matched}) AS m"  # noqa: S608  # nosec B608 # constants and :placeholders only, values bound
    else:
        matched = ("SELECT rowid AS listing_id FROM catalog_fts WHERE catalog_fts MATCH :match "
                   "ORDER BY rowid DESC LIMIT :limit")
        params["match"] = " ".join(f'"{term}"' for term in terms)
        # Only constants and :placeholders are formatted into the SQL; the terms themselves are bound parameters.
        sql = (f"SELECT s.listing_id AS listing_id, {_score(terms, dialect, 's')} AS score "  # noqa: S608  # nosec B608 # constants and :placeholders only, values bound
               f"FROM ({matched}) AS m JOIN catalog_search AS s ON s.listing_id = m.listing_id")
        if not scored:
            sql = f"SELECT m.listing_id AS listing_id, 0 AS score FROM ({matched}) AS m"  # noqa: S608  # nosec B608 # constants and :placeholders only, values bound
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
# The planner's share for a word its statistics do not list (DEFAULT_TS_MATCH_SEL in ts_selfuncs.c).
UNLISTED_SHARE = 0.005
# The planner settings plan_candidates may change, for the candidates' statement only.
# JIT compiles a statement whose estimate passes jit_above_cost, and the window's fallback below it (which
# a full window never runs) is estimated at every older match: 35 ms of compiling for a 20 ms statement.
SETTINGS = ("jit", "enable_bitmapscan", "enable_indexscan", "enable_seqscan", "enable_hashjoin", "enable_mergejoin")
BACKWARD_WALK = ("jit", "enable_bitmapscan")
BITMAP_ONLY = ("jit", "enable_indexscan", "enable_seqscan", "enable_hashjoin", "enable_mergejoin")


@dataclass(frozen=True)
class Plan:
    """What plan_candidates knows and chose for one text search on PostgreSQL.

    `after` is candidates' id window (None: everywhere); `first` and `last` the lowest and highest listing
    ids; `estimate` how many listings hold the one term by the statistics (None when they do not list it,
    or for several terms); `restore` the planner settings changed for the candidates and their values before."""
    after: int | None = None
    first: int | None = None
    last: int | None = None
    estimate: int | None = None
    restore: dict[str, str] = field(default_factory=dict)


def _statistics(terms: list[str], session) -> tuple:
    """One round trip: the listings' row estimate, lowest and highest id, each term's share of the listings
    in the tsvector statistics (None when unlisted), the least listed share (None without statistics), and
    the planner settings as they are."""
    shares = ", ".join(f"s.f[array_position(s.e, :w{i})]" for i in range(len(terms)))
    settings = ", ".join(f"current_setting('{name}')" for name in SETTINGS)
    # The statistics of a tsvector column: the most common lexemes (a text[] as anyarray) and their shares, then
    # the least and the greatest share (ts_typanalyze.c). What EXPLAIN would say, without planning a statement.
    sql = (f"SELECT c.reltuples, (SELECT min(listing_id) FROM catalog_search), "  # noqa: S608  # nosec B608 # constants and :placeholders only, values bound
           f"(SELECT max(listing_id) FROM catalog_search), {shares}, s.f[cardinality(s.f) - 1], {settings} "
           "FROM pg_class AS c LEFT JOIN LATERAL (SELECT CAST(CAST(most_common_elems AS text) AS text[]) AS e, "
           "most_common_elem_freqs AS f FROM pg_stats WHERE schemaname = current_schema() "
           "AND tablename = 'catalog_search' AND attname = 'document') AS s ON true "
           "WHERE c.oid = CAST('catalog_search' AS regclass)")
    return tuple(session.execute(text(sql), {f"w{i}": term for i, term in enumerate(terms)}).one())


def plan_candidates(terms: list[str], limit: int, session) -> Plan:
    """On PostgreSQL, pick the cheaper way to the newest `limit` matches for this transaction (unplan puts the
    planner back), and the listing id above which to look for them first (candidates' `after`).

    The planner underrates the per-row cost of matching a tsvector, so for a term in a few percent of the
    listings it walks the key backwards through tens of thousands of rows where the GIN bitmap is 5×
    faster; for a term in a fifth of them the backward walk is as fast. Decided from the same statistics the
    planner estimates from, read in one statement with the id span (an EXPLAIN per term cost a round trip
    and a planning each).

    The GIN index cannot hand out its matches newest first, so an unbounded bitmap visits the heap for
    every match (社保: 54,000 at 10^6 listings). By the same estimate the newest `limit` lie in the newest
    limit / fraction ids: with an id window 1.5× that, PostgreSQL ANDs the GIN bitmap with a primary-key
    range and visits only the matches inside it. The newest 1,001 at 10^6 listings: 社保 260 → 15 ms (the
    backward walk was 130 ms), 电力 负荷 217–276 → 18 ms, 电 45 → 35 ms."""
    row = _statistics(terms, session)
    listed, first, last = row[:3]
    shares, least = row[3:3 + len(terms)], row[3 + len(terms)]
    before = dict(zip(SETTINGS, row[4 + len(terms):], strict=True))
    if least is None or not listed or listed <= 0 or last is None:  # never analyzed: the planner's own choices
        return Plan(first=first, last=last)
    # As the planner: an unlisted word is rarer than the least listed one, and words are independent.
    known = [share if share is not None else min(UNLISTED_SHARE, least / 2) for share in shares]
    estimate = round(listed * shares[0]) if len(terms) == 1 and shares[0] is not None else None
    matches = listed * math.prod(known)
    if len(terms) > 1:
        # The planner takes words as independent (电力 负荷: 4,387 for 34,720 at 10^6) and the rarest word alone
        # is the most there can be (电力: 50,967). Their geometric mean (14,953) is within 2.5× for the words
        # that go together (电力 负荷, social insurance); for words that avoid each other (社保 loan: 1,786)
        # the window comes up short and candidates looks below it too.
        matches = math.sqrt(matches * listed * min(known))
    if matches < 1:
        return Plan(first=first, last=last, estimate=estimate)
    backward = limit / (matches / listed) * BACKWARD_ROW_US
    # Matches per id rather than per listing: delisted listings leave gaps in the ids.
    width = math.ceil(WINDOW_MARGIN * limit * (last - first + 1) / matches)
    unbounded = matches * BITMAP_MATCH_US
    # A rarer word's window is wide and saves few heap visits: 陈皮 (5,000 at 10^6) took 25 ms through a
    # 300,000-id key range where its whole bitmap takes a few.
    windowed = width * KEY_RANGE_US + min(matches, WINDOW_MARGIN * limit) * BITMAP_MATCH_US
    if matches * GIN_POSTING_US + min(unbounded, windowed) >= backward:
        changed = BACKWARD_WALK
        after = None
    else:
        # On a small catalog it would otherwise scan the table, decompressing every tsvector. Without index
        # scans the join to the listings became a scan of all of them (45 ms at 10^5): nested loops it is.
        changed = BITMAP_ONLY
        after = last - width if windowed < unbounded and last - width >= first else None
    _configure(session, {name: "off" for name in changed})
    return Plan(after=after, first=first, last=last, estimate=estimate,
                restore={name: before[name] for name in changed})


def _configure(session, settings: dict[str, str]) -> None:
    """Planner settings for the rest of the transaction, all in one statement."""
    calls = ", ".join(f"set_config(:n{i}, :v{i}, true)" for i in range(len(settings)))
    params = {}
    for i, (name, value) in enumerate(settings.items()):
        params[f"n{i}"], params[f"v{i}"] = name, value
    session.execute(text(f"SELECT {calls}"), params)  # noqa: S608


def unplan(plan: Plan, session) -> None:
    """Back to the planner's own choices for the rest of the transaction, after the candidates.

    plan_candidates' settings are for that one statement: left on, a min/max over the key became a bitmap
    scan of the whole table (250 ms at 10^6 listings), and the page's loading lost its index scans."""
    if plan.restore:
        _configure(session, plan.restore)


def count(terms: list[str], dialect: str, session, *, examined: int, oldest: int, plan: Plan | None = None) -> int:
    """How many listings hold every term; asked only when there are more than the candidates.

    SQLite counts its FTS5 doclists exactly in a few milliseconds. PostgreSQL would have to visit every
    matching row (a common word at a million listings is seconds), so it estimates from what plan_candidates
    read already, with no statement of its own. For one term the statistics' share is within about 1%. The
    statistics know nothing better for several terms than independent words (80% off) nor for a word they
    do not list than 0.5% of the listings, so there the share of the examined matches among the newest
    listings (ids from `oldest` up) is extended to the whole catalog. The response says the figure is not
    exact. plan_candidates' id window changes nothing here: the examined are the newest matches either way."""
    if dialect != "postgresql":
        return session.execute(text("SELECT count(*) FROM catalog_fts WHERE catalog_fts MATCH :match"),
                               {"match": " ".join(f'"{term}"' for term in terms)}).scalar()
    if plan is not None and plan.estimate is not None:
        return plan.estimate
    if plan is None or plan.first is None or plan.last is None:
        first, last = session.execute(text("SELECT min(listing_id), max(listing_id) FROM catalog_search")).one()
    else:
        first, last = plan.first, plan.last
    # Listings added since plan_candidates looked are among the examined: the span reaches them.
    last = max(last, oldest)
    return round(examined * (last - first + 1) / max(1, last - oldest + 1))


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

