"""The database's own full-text index over catalog_search: FTS5 on SQLite, tsvector + GIN on PostgreSQL.

The terms come from catalog.text on both, so both databases match the same listings. Ranking is each
engine's own, weighted by field (title > provider and scenarios > field names > description): FTS5's bm25
on SQLite, ts_rank on PostgreSQL. The DDL runs when the table is created (tests, `db create_all`) and is
repeated verbatim in the migration that introduced it.
"""

from __future__ import annotations

from sqlalchemy import DDL, Float, Integer, bindparam, column, event, text
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
)

for _statement in SQLITE_DDL:
    event.listen(SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in SQLITE_DROP:
    event.listen(SearchDocument.__table__, "after_drop", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_DDL:
    event.listen(SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


def hits(terms: list[str], dialect: str) -> Subquery:
    """Listings holding every term, with a relevance score (higher is better): (listing_id, score)."""
    if dialect == "postgresql":
        # Terms are letters, digits and CJK only (catalog.text), so quoting them as lexemes is safe.
        tsquery = " & ".join(f"'{term}'" for term in terms)
        weights = "{" + ",".join(str(w / WEIGHTS[0]) for w in reversed(WEIGHTS)) + "}"
        statement = text(
            "SELECT listing_id, ts_rank(CAST(:weights AS real[]), document, CAST(:tsquery AS tsquery)) AS score "
            "FROM catalog_search WHERE document @@ CAST(:tsquery AS tsquery)"
        ).bindparams(bindparam("tsquery", tsquery), bindparam("weights", weights))
    else:
        match = " ".join(f'"{term}"' for term in terms)
        statement = text(
            "SELECT rowid AS listing_id, -bm25(catalog_fts, :w0, :w1, :w2, :w3) AS score "
            "FROM catalog_fts WHERE catalog_fts MATCH :match"
        ).bindparams(match=match, w0=WEIGHTS[0], w1=WEIGHTS[1], w2=WEIGHTS[2], w3=WEIGHTS[3])
    columns = statement.columns(column("listing_id", Integer), column("score", Float))
    return columns.subquery("hits")


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

