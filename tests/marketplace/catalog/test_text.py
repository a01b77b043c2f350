"""Search terms: Chinese as unigrams and bigrams, other scripts as folded words, the same at index and query time."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from marketplace.catalog.text import query_terms, terms


def test_chinese_runs_become_bigrams_and_short_fields_keep_unigrams():
    assert terms("新会陈皮", unigrams=False) == ["新会", "会陈", "陈皮"]
    assert terms("新会陈皮", unigrams=True) == ["新", "会", "陈", "皮", "新会", "会陈", "陈皮"]
    assert terms("电 费", unigrams=False) == ["电", "费"], "a lone character is kept even in long text"


def test_queries_of_one_two_and_more_characters():
    assert query_terms("电") == ["电"]
    assert query_terms("社保") == ["社保"]
    assert query_terms("电力负荷") == ["电力", "负荷"], "words first: 力负 straddles two words"
    assert query_terms("陈皮溯源") == ["陈皮", "溯源"]
    assert query_terms("电力的负荷") == ["电力", "负荷"], "particles go"
    assert query_terms("的") == ["的"]


def test_mixed_scripts_width_case_and_plurals_fold_the_same_way():
    assert query_terms("社保 Loans") == ["社保", "loan"]
    assert terms("ＡＰＩ数据 Credit-Index", unigrams=False) == ["api", "数据", "credit", "index"]
    assert query_terms("class") == ["class"], "a double s is not a plural"
    assert query_terms("  ,，。!!") == []


@given(st.text(max_size=60))
def test_every_query_term_of_a_text_is_an_index_term_of_it(text):
    # Whatever a user types, searching for a listing's own title finds it.
    assert set(query_terms(text)) <= set(terms(text, unigrams=True))
