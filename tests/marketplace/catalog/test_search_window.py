"""PostgreSQL's id window over the newest matches (search_index.plan_candidates): wherever the window is
drawn, a search answers what it would without one."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from marketplace.catalog import search, search_index
from marketplace.catalog.models import Listing
from marketplace.extensions import db
from tests.fixtures import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="the id window is PostgreSQL's: FTS5 on SQLite reads "
                                                         "its matches newest first without one")
PLAN = search_index.plan_candidates


@pytest.fixture
def candidates(shelf_app, monkeypatch):
    """Three candidates per search, so the shelf's six listings can be more than a search examines."""
    monkeypatch.setitem(shelf_app[0].config, "MARKETPLACE_SEARCH_CANDIDATES", 3)


@pytest.fixture
def windows(candidates):
    """For each candidate search sent from now on, whether it had the id window."""
    sent: list[bool] = []

    def record(_connection, _cursor, statement, *_args):
        if "AS tsquery)" in statement and "ORDER BY listing_id DESC" in statement:
            sent.append("listing_id > " in statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield sent
    event.remove(db.engine, "before_cursor_execute", record)


def _answer(**kw):
    page = search.search_listings(search.Query(**kw))
    return [listing.id for listing in page.items], page.total, page.exact, page.facets


def _window(monkeypatch, after: int) -> None:
    """Every search looks only at listing ids above `after` first, whatever the estimates say."""
    def planned(terms, limit, session):
        PLAN(terms, limit, session)  # the plan it would pick (SET LOCAL), with this window instead
        return after

    monkeypatch.setattr(search_index, "plan_candidates", planned)


def _newest() -> list[int]:
    return db.session.scalars(select(Listing.id).order_by(Listing.id.desc())).all()


@pytest.mark.parametrize("q", ["陈皮", "electricity", "电力 负荷"])
def test_a_window_with_too_few_matches_is_asked_again_without_it(monkeypatch, windows, q):
    expected = _answer(q=q)
    _window(monkeypatch, after=_newest()[0])  # an empty window: nothing is newer than the newest
    windows.clear()
    assert _answer(q=q) == expected
    assert windows == [True, False], "the windowed search first, then the whole index"


def test_a_window_holding_more_than_the_candidates_is_the_answer(monkeypatch, windows):
    expected = _answer(q="electricity")  # in all six listings, three examined
    assert expected[2] is False
    _window(monkeypatch, after=_newest()[4])  # the newest four: one more than the candidates
    windows.clear()
    assert _answer(q="electricity") == expected, "the same page, estimated total and facets"
    assert windows == [True]
    _window(monkeypatch, after=_newest()[3])  # the newest three: as many as the candidates, so no proof
    windows.clear()
    assert _answer(q="electricity") == expected
    assert windows == [True, False]
