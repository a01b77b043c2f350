"""catalog search rows toast their term strings (PostgreSQL)

Revision ID: 8bfb38eb921e
Revises: 930833948b28
Create Date: 2026-11-28 12:59:20.726070

"""
from alembic import op

# The last statement of marketplace/catalog/search_index.py's POSTGRES_DDL (copied here: revisions do not
# import app code); with c2e1fbdd8194's POSTGRES_FTS before it, the whole of it. Rows of catalog_search held
# ~1.7 kB of term strings in the heap, so a bitmap scan over the GIN index read a page per match; values
# past 128 bytes now go to TOAST. Rows already written move when rewritten: run `VACUUM FULL catalog_search`
# in a quiet hour to shrink an existing catalog at once (1.7 GB → 135 MB of heap at 10^6 listings).
POSTGRES_FTS = (
    "ALTER TABLE catalog_search SET (toast_tuple_target = 128)",
)


# revision identifiers, used by Alembic.
revision = '8bfb38eb921e'
down_revision = '930833948b28'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite's FTS5 table holds its own copy of the terms; the heap layout is PostgreSQL's
    for statement in POSTGRES_FTS:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE catalog_search RESET (toast_tuple_target)")
