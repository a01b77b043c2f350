"""Data quality of a sample (QLT-01): null rate per column, duplicate rows, freshness of the date columns."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from compliance.facts import ProductFacts
from compliance.opinions import Opinion, Problem, joined, message, percent
from compliance.pi_scan import ScanReport
from compliance.samples import Sample
from compliance.vocabulary import UPDATE_FREQUENCIES, label

NULL_RATE_LIMIT = 0.5
DUPLICATE_SHARE_LIMIT = 0.01
# How old the newest data may be, per declared update frequency, before the product counts as stale:
# the period plus a margin for publication delay. A one-off ("once") product has no schedule to miss.
MAX_AGE_DAYS: dict[str, int] = {
    "realtime": 2,
    "daily": 7,
    "weekly": 21,
    "monthly": 62,
    "quarterly": 185,
    "yearly": 400,
}
# Placeholders exports write for a missing value; they are as empty as an empty cell.
NULL_TOKENS = frozenset({"null", "none", "nan", "n/a", "\\n"})
# A birth date says nothing about how current the data is.
_BIRTH = re.compile(r"birth|\bdob\b|出生|生日", re.IGNORECASE)

_DATE = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})|([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日")


def parse_date(value: str) -> date | None:
    """The calendar date a date or ISO date-time cell names, or None (a date-time keeps its own wall date)."""
    text = value.strip()
    m = _DATE.fullmatch(text)
    if m:
        year, month, day = (int(g) for g in m.groups() if g is not None)
        try:
            return date(year, month, day)
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _is_null(cell: str | None) -> bool:
    return cell is None or cell.strip().casefold() in NULL_TOKENS


@dataclass
class Freshness:
    """The newest past date per date column and how it compares with the declarations and today."""

    today: date
    latest_by_column: dict[str, date]
    future_values: int
    time_range_end: date | None
    update_frequency: str

    @property
    def latest(self) -> date | None:
        return max(self.latest_by_column.values(), default=None)

    @property
    def latest_column(self) -> str | None:
        latest = self.latest
        return next((c for c, d in self.latest_by_column.items() if d == latest), None)

    @property
    def max_age_days(self) -> int | None:
        return MAX_AGE_DAYS.get(self.update_frequency)

    @property
    def stale(self) -> bool:
        """Whether the newest data or the declared end is older than the update frequency allows."""
        limit = self.max_age_days
        return limit is not None and any(
            d is not None and (self.today - d).days > limit for d in (self.latest, self.time_range_end)
        )

    def problems(self) -> list[Problem]:
        latest, limit, end = self.latest, self.max_age_days, self.time_range_end
        frequency_en = label(UPDATE_FREQUENCIES, self.update_frequency, "en").lower()
        frequency_zh = label(UPDATE_FREQUENCIES, self.update_frequency, "zh")
        problems: list[Problem] = []
        if latest is not None and limit is not None and (self.today - latest).days > limit:
            age = (self.today - latest).days
            problems.append(
                (
                    f"The newest date in the sample, {latest} (column {self.latest_column}), is {age} days "
                    f"before {self.today}; data updated {frequency_en} should be at most {limit} days old.",
                    f"样例中最新的日期为 {latest}（字段 {self.latest_column}），距 {self.today} 已 {age} 天；"
                    f"更新频率为{frequency_zh}的数据不应超过 {limit} 天。",
                )
            )
        if end is not None and limit is not None and (self.today - end).days > limit:
            age = (self.today - end).days
            problems.append(
                (
                    f"The declared time range ends {end}, {age} days before {self.today}; data updated "
                    f"{frequency_en} should reach at most {limit} days back.",
                    f"申报的时间范围截至 {end}，距 {self.today} 已 {age} 天；"
                    f"更新频率为{frequency_zh}的数据不应超过 {limit} 天。",
                )
            )
        if latest is not None and end is not None and latest > end:
            problems.append(
                (
                    f"The sample holds dates up to {latest} (column {self.latest_column}), after the declared "
                    f"end of the time range, {end}.",
                    f"样例中的日期晚至 {latest}（字段 {self.latest_column}），晚于申报的时间范围截止日 {end}。",
                )
            )
        elif latest is not None and end is not None and limit is not None and (end - latest).days > limit:
            gap = (end - latest).days
            problems.append(
                (
                    f"The newest date in the sample, {latest}, is {gap} days before the declared end of the "
                    f"time range, {end}.",
                    f"样例中最新的日期 {latest} 比申报的时间范围截止日 {end} 早 {gap} 天。",
                )
            )
        return problems

    def to_dict(self) -> dict[str, Any]:
        latest, end = self.latest, self.time_range_end
        return {
            "today": self.today.isoformat(),
            "date_columns": {c: d.isoformat() for c, d in self.latest_by_column.items()},
            "latest": latest.isoformat() if latest else None,
            "age_days": (self.today - latest).days if latest else None,
            "future_values": self.future_values,
            "time_range_end": end.isoformat() if end else None,
            "update_frequency": self.update_frequency,
            "max_age_days": self.max_age_days,
            "stale": self.stale,
        }


def measure_freshness(facts: ProductFacts, sample: Sample, column_types: dict[str, str]) -> Freshness:
    """The newest date up to today in each date column; birth dates and PI-marked columns are left out."""
    today = facts.reference_date()
    latest_by_column: dict[str, date] = {}
    future = 0
    for column, type_ in column_types.items():
        entry = facts.dictionary_entry(column)
        if type_ not in ("date", "datetime") or _BIRTH.search(column) or (entry and entry.get("pi")):
            continue
        dates = [d for d in (parse_date(v) for v in sample.column_values(column) if v) if d is not None]
        future += sum(d > today for d in dates)
        past = [d for d in dates if d <= today]
        if past:
            latest_by_column[column] = max(past)
    end = parse_date(facts.time_range_end) if facts.time_range_end else None
    return Freshness(today, latest_by_column, future, end, facts.update_frequency)


def check_qlt_01(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    if sample is None:
        return Opinion(None, message("No sample to measure.", "无样例可供度量。"))
    if not sample.rows:
        return Opinion("flag", message("The sample has no data rows.", "样例没有数据行。"))
    rows = len(sample.rows)
    null_rates = {c: round(sum(map(_is_null, sample.column_values(c))) / rows, 4) for c in sample.columns}
    counts = Counter(tuple(r) for r in sample.rows)
    duplicates = rows - len(counts)
    freshness = measure_freshness(facts, sample, sample.column_types())
    details = {
        "rows": rows,
        "null_rates": null_rates,
        "duplicate_rows": duplicates,
        "duplicate_share": round(duplicates / rows, 4),
        "freshness": freshness.to_dict(),
    }
    problems: list[Problem] = []
    for column, rate in null_rates.items():
        if rate > NULL_RATE_LIMIT:
            problems.append(
                (
                    f"Column {column} is empty in {percent(round(rate * rows), rows)} of the rows.",
                    f"字段 {column} 的空值率为 {percent(round(rate * rows), rows)}。",
                )
            )
    if duplicates / rows > DUPLICATE_SHARE_LIMIT:
        problems.append(
            (
                f"{duplicates} of {rows} rows ({percent(duplicates, rows)}) repeat an earlier row.",
                f"{rows} 行中有 {duplicates} 行（{percent(duplicates, rows)}）与之前的行重复。",
            )
        )
    problems += freshness.problems()
    if problems:
        return Opinion("flag", joined(problems), details)
    if freshness.latest is None:
        when_en, when_zh = "the sample has no date column to measure freshness", "样例无日期字段，未度量时效性"
    else:
        when_en = f"the newest date is {freshness.latest}"
        when_zh = f"最新日期为 {freshness.latest}"
    return Opinion(
        "pass",
        message(
            f"No column is more than half empty, at most 1% of rows repeat, and {when_en}.",
            f"无空值率超过一半的字段，重复行不超过 1%，{when_zh}。",
        ),
        details,
    )
