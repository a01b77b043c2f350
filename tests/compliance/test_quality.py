"""Tests for QLT-01: null rates, duplicate rows and freshness measured on the sample."""

from datetime import date

import pytest

from compliance.facts import ProductFacts
from compliance.quality import MAX_AGE_DAYS, check_qlt_01, parse_date
from compliance.samples import Sample

TODAY = date(2025, 7, 1)


def _sample(columns, rows):
    return Sample("csv", list(columns), [list(r) for r in rows])


def _facts(**changes):
    return ProductFacts(today=TODAY, **changes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-30", date(2025, 6, 30)),
        ("2025/6/3", date(2025, 6, 3)),
        ("2025年6月3日", date(2025, 6, 3)),
        ("2025-06-30T23:10:00+08:00", date(2025, 6, 30)),
        ("2025-06-30 08:00:00Z", date(2025, 6, 30)),
        ("2025-02-30", None),
        ("June 2025", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("cells", "rate", "flagged"),
    [
        (["a", "b", "c", "d"], 0.0, False),
        (["a", None, "c", None], 0.5, False),  # exactly half is not more than half
        (["a", None, None, None], 0.75, True),
        (["a", "NULL", "n/a", "NaN"], 0.75, True),  # export placeholders count as empty
        ([None, None, None, None], 1.0, True),
    ],
)
def test_null_rate_per_column(cells, rate, flagged):
    sample = _sample(["k", "v"], [[str(i), c] for i, c in enumerate(cells)])
    opinion = check_qlt_01(_facts(), sample, None)
    assert opinion.details["null_rates"] == {"k": 0.0, "v": rate}
    assert (opinion.outcome == "flag") is flagged
    if flagged:
        assert f"Column v is empty in {rate:.0%} of the rows." in opinion.message["en"]
        assert f"字段 v 的空值率为 {rate:.0%}。" in opinion.message["zh"]


@pytest.mark.parametrize(
    ("rows", "duplicates", "flagged"),
    [
        (200, 0, False),
        (200, 2, False),  # 1% exactly is tolerated
        (200, 3, True),
        (10, 1, True),
    ],
)
def test_duplicate_rows_count_and_share(rows, duplicates, flagged):
    data = [[str(i), "x"] for i in range(rows - duplicates)] + [["0", "x"]] * duplicates
    opinion = check_qlt_01(_facts(), _sample(["k", "v"], data), None)
    assert opinion.details["duplicate_rows"] == duplicates
    assert opinion.details["duplicate_share"] == round(duplicates / rows, 4)
    assert (opinion.outcome == "flag") is flagged
    if flagged:
        assert opinion.message["en"].startswith(f"{duplicates} of {rows} rows (")


def _dated(*days, column="stat_date"):
    return _sample(["k", column], [[str(i), d] for i, d in enumerate(days)])


@pytest.mark.parametrize(
    ("frequency", "latest", "stale"),
    [
        ("daily", "2025-06-24", False),  # 7 days
        ("daily", "2025-06-23", True),  # 8 days
        ("weekly", "2025-06-10", False),
        ("weekly", "2025-06-09", True),
        ("monthly", "2025-04-30", False),  # 62 days
        ("monthly", "2025-04-29", True),
        ("quarterly", "2025-01-01", False),
        ("quarterly", "2024-12-27", True),
        ("yearly", "2024-05-28", False),  # 399 days
        ("yearly", "2024-05-26", True),
        ("once", "2010-01-01", False),  # a one-off product has no schedule to fall behind
        ("", "2010-01-01", False),
    ],
)
def test_freshness_against_today_by_update_frequency(frequency, latest, stale):
    opinion = check_qlt_01(_facts(update_frequency=frequency), _dated("2009-01-01", latest), None)
    freshness = opinion.details["freshness"]
    assert freshness["latest"] == latest
    assert freshness["age_days"] == (TODAY - date.fromisoformat(latest)).days
    assert freshness["max_age_days"] == MAX_AGE_DAYS.get(frequency)
    assert freshness["stale"] is stale
    assert (opinion.outcome == "flag") is stale
    if stale:
        age = (TODAY - date.fromisoformat(latest)).days
        assert opinion.message["en"] == (
            f"The newest date in the sample, {latest} (column stat_date), is {age} days before 2025-07-01; "
            f"data updated {frequency} should be at most {MAX_AGE_DAYS[frequency]} days old."
        )


def test_declared_time_range_end_older_than_the_frequency_allows_is_stale():
    opinion = check_qlt_01(_facts(update_frequency="monthly", time_range_end="2024-12-31"), _dated("2025-06-15"), None)
    assert opinion.outcome == "flag"
    assert opinion.details["freshness"]["stale"] is True
    assert "The declared time range ends 2024-12-31, 182 days before 2025-07-01" in opinion.message["en"]
    # The sample's newest date lies after the declared end: the declaration is out of date.
    assert "after the declared end of the time range, 2024-12-31." in opinion.message["en"]


def test_sample_far_short_of_the_declared_end_is_flagged():
    opinion = check_qlt_01(_facts(update_frequency="monthly", time_range_end="2025-06-30"), _dated("2025-01-31"), None)
    assert opinion.outcome == "flag"
    assert "The newest date in the sample, 2025-01-31, is 150 days before the declared end" in opinion.message["en"]


def test_fresh_sample_within_the_declared_range_passes():
    opinion = check_qlt_01(
        _facts(update_frequency="monthly", time_range_end="2025-06-30"), _dated("2025-05-31", "2025-06-30"), None
    )
    assert opinion.outcome == "pass"
    assert opinion.message["en"].endswith("and the newest date is 2025-06-30.")
    assert opinion.details["freshness"]["time_range_end"] == "2025-06-30"


def test_birth_dates_future_dates_and_pi_columns_do_not_count_for_freshness():
    sample = _sample(
        ["birth_date", "valid_until", "visit_day", "stat_date"],
        [
            ["1990-01-01", "2030-01-01", "2025-06-30", "2025-06-29"],
            ["1985-05-05", "2031-01-01", "2025-06-01", "2025-06-28"],
        ],
    )
    facts = _facts(update_frequency="daily", field_dictionary=[{"name": "visit_day", "pi": True}])
    freshness = check_qlt_01(facts, sample, None).details["freshness"]
    assert freshness["date_columns"] == {"stat_date": "2025-06-29"}
    assert freshness["future_values"] == 2
    assert freshness["stale"] is False


def test_today_defaults_to_the_day_of_evaluation():
    opinion = check_qlt_01(ProductFacts(update_frequency="daily"), _dated(date.today().isoformat()), None)
    assert opinion.details["freshness"]["today"] == date.today().isoformat()
    assert opinion.outcome == "pass"


def test_no_sample_and_empty_sample():
    assert check_qlt_01(_facts(), None, None).outcome is None
    assert check_qlt_01(_facts(), _sample(["a"], []), None).outcome == "flag"
