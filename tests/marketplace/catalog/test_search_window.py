"""PostgreSQL's id window over the newest matches (search_index.plan_candidates): wherever the window is
drawn, a search answers what it would without one, in one statement, and leaves the planner as it was."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import event, select, text

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


def _window(monkeypatch, after: int, **settings: str) -> None:
    """Every search looks at listing ids above `after` first, whatever the estimates say (and with `settings`
    for its candidates, as plan_candidates would change them)."""
    def planned(terms, limit, session):
        plan = PLAN(terms, limit, session)
        before = dict(session.execute(text("SELECT name, setting FROM pg_settings WHERE name = ANY(:names)"),
                                      {"names": list(settings)}).all())
        if settings:
            search_index._configure(session, settings)
        return dataclasses.replace(plan, after=after, restore={**plan.restore, **before})

    monkeypatch.setattr(search_index, "plan_candidates", planned)


def _newest() -> list[int]:
    return db.session.scalars(select(Listing.id).order_by(Listing.id.desc())).all()


@pytest.mark.parametrize("q", ["陈皮", "electricity", "电力 负荷"])
def test_a_window_with_too_few_matches_looks_below_it_in_the_same_statement(monkeypatch, windows, q):
    expected = _answer(q=q)
    _window(monkeypatch, after=_newest()[0])  # an empty window: nothing is newer than the newest
    windows.clear()
    assert _answer(q=q) == expected
    assert windows == [True], "one statement: the window, then the older listings"


@pytest.mark.parametrize("q", ["electricity", "电力 负荷", "陈皮"])
@pytest.mark.parametrize("sort", [None, "newest", "price_asc"])
@pytest.mark.parametrize("at", [1, 2, 3, 4, 5])
def test_any_window_gives_the_same_page(monkeypatch, windows, q, sort, at):
    expected = _answer(q=q, sort=sort)
    _window(monkeypatch, after=_newest()[at], enable_indexscan="off", enable_seqscan="off")
    assert _answer(q=q, sort=sort) == expected
    assert windows[-1] is True


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
    assert windows == [True]


def test_the_planner_settings_are_put_back_after_the_candidates(monkeypatch, candidates):
    names = ["jit", "enable_indexscan", "enable_seqscan", "enable_hashjoin", "enable_mergejoin"]

    def settings() -> list[str]:
        return [db.session.scalar(text(f"SELECT current_setting('{name}')")) for name in names]  # noqa: S608

    before = settings()
    _window(monkeypatch, after=_newest()[2], **{name: "off" for name in names})
    _answer(q="electricity")
    assert settings() == before


def test_a_search_sends_one_statement_before_its_candidates(shelf_app, candidates):
    sent: list[str] = []

    def record(_connection, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        _answer(q="electricity")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    searching = [statement for statement in sent if "catalog_search" in statement or "set_config" in statement]
    assert len(searching) <= 4, "statistics, settings, candidates, settings back: no EXPLAIN, no second count"
    assert not any(statement.lstrip().upper().startswith("EXPLAIN") for statement in sent)


@pytest.mark.parametrize("q", ["electricity", "陈皮", "电力 负荷", "社保 loan", "energy"])
def test_planned_from_the_statistics_the_answer_is_the_planner_free_one(monkeypatch, candidates, q):
    """With statistics (ANALYZE), plan_candidates estimates, picks a way and maybe a window: the same page."""
    db.session.execute(text("ANALYZE catalog_search"))
    plan = PLAN(search.Query(q=q).terms, 4, db.session)
    search_index.unplan(plan, db.session)
    assert (plan.first, plan.last) == (min(_newest()), max(_newest()))
    planned = _answer(q=q)
    monkeypatch.setattr(search_index, "plan_candidates", lambda terms, limit, session: search_index.Plan())
    unplanned = _answer(q=q)
    assert (planned[0], planned[2]) == (unplanned[0], unplanned[2])
    if planned[2]:
        assert planned == unplanned, "exact: the same total and facets too"
