"""Re-identification risk of a sample claimed de-identified (PI-04): quasi-identifiers, k-anonymity, uniqueness."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from compliance.facts import ProductFacts
from compliance.opinions import Opinion, Problem, joined, message, percent, pi_labels, rows_share
from compliance.pi_scan import ScanReport
from compliance.samples import Sample

# GB/T 37964-2019 leaves the threshold to the publisher; k = 5 and 5% sample uniqueness are the usual bars
# for a release to parties outside the controller's control, as a data product is.
MIN_K = 5
MAX_UNIQUE_SHARE = 0.05

# Column names that identify a person on their own (the scan finds ID, mobile, card and e-mail values).
DIRECT_NAMES = frozenset(
    {"name", "full_name", "person_name", "customer_name", "patient_name", "姓名", "客户姓名", "患者姓名",
     "passport", "passport_no", "护照号", "身份证号", "身份证号码", "手机号", "手机号码", "电话"}
)  # fmt: skip
# Tokens of column names that are well-known quasi-identifiers (Sweeney: birth date, sex, postcode).
QUASI_TOKENS = frozenset(
    {"age", "birth", "birthday", "dob", "birthdate", "gender", "sex", "postcode", "zip", "zipcode", "postal",
     "region", "district", "county", "city", "province", "address", "street", "occupation", "job",
     "profession", "ethnicity", "ethnic", "race", "nationality", "marital", "education"}
)  # fmt: skip
QUASI_CHINESE = ("年龄", "出生", "生日", "性别", "邮编", "邮政编码", "地址", "住址", "地区", "区域", "区县",
                 "省份", "城市", "街道", "职业", "民族", "婚姻", "学历", "籍贯")  # fmt: skip
_TOKEN = re.compile(r"[a-z]+")


def _tokens(name: str) -> set[str]:
    # "birthDate" and "birth_date" both give "birth"; camel case is split before lowering.
    return set(_TOKEN.findall(re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()))


def is_quasi_name(name: str) -> bool:
    """Whether a column name reads as a well-known quasi-identifier (age, sex, postcode, region, …)."""
    return bool(_tokens(name) & QUASI_TOKENS) or any(word in name for word in QUASI_CHINESE)


def direct_identifiers(facts: ProductFacts, sample: Sample, scan: ScanReport | None) -> dict[str, str]:
    """Columns that identify a person directly, each with how it was found: "scan", "dictionary" or "name".

    The field dictionary's `direct` flag overrides the name: `"direct": false` clears a column named "name"
    that holds, say, product names.
    """
    found: dict[str, str] = {}
    personal = scan.personal_columns() if scan else {}
    for column in sample.columns:
        direct = (facts.dictionary_entry(column) or {}).get("direct")
        if column in personal:
            found[column] = "scan"
        elif direct:
            found[column] = "dictionary"
        elif direct is None and column.strip().lower() in DIRECT_NAMES:
            found[column] = "name"
    return found


_DIRECT_REASONS = {
    "dictionary": ("is marked a direct identifier in the field dictionary", "在字段字典中标记为直接标识符"),
    "name": (
        "is named like a direct identifier (a name, ID or phone number)",
        "的名称表明其为直接标识符（姓名、证件号或电话）",
    ),
}


def quasi_identifiers(facts: ProductFacts, sample: Sample, direct: set[str]) -> list[str]:
    """Quasi-identifier columns: the dictionary's `quasi` flag where given, else PI-marked or QI-named."""
    chosen: list[str] = []
    for column in sample.columns:
        if column in direct:
            continue
        entry = facts.dictionary_entry(column) or {}
        quasi = entry.get("quasi")
        if quasi is None:
            quasi = bool(entry.get("pi")) or is_quasi_name(column)
        if quasi:
            chosen.append(column)
    return chosen


@dataclass
class Anonymity:
    """Equivalence classes of the sample's rows on the quasi-identifiers."""

    quasi_identifiers: list[str]
    rows: int
    k: int
    classes: int
    unique_rows: int
    rows_below_k: int

    @property
    def unique_share(self) -> float:
        return self.unique_rows / self.rows if self.rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "quasi_identifiers": self.quasi_identifiers,
            "rows": self.rows,
            "k": self.k,
            "equivalence_classes": self.classes,
            "unique_rows": self.unique_rows,
            "unique_share": round(self.unique_share, 4),
            f"rows_in_classes_below_{MIN_K}": self.rows_below_k,
        }


def measure_anonymity(sample: Sample, columns: list[str]) -> Anonymity:
    """k (the smallest class size) and how many rows are alone in their class; an empty cell is a value."""
    indexes = [sample.columns.index(c) for c in columns]
    sizes = Counter(tuple(row[i] for i in indexes) for row in sample.rows)
    return Anonymity(
        quasi_identifiers=columns,
        rows=len(sample.rows),
        k=min(sizes.values(), default=0),
        classes=len(sizes),
        unique_rows=sum(1 for n in sizes.values() if n == 1),
        rows_below_k=sum(n for n in sizes.values() if n < MIN_K),
    )


def check_pi_04(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    if sample is None or not sample.rows:
        return Opinion(
            None,
            message(
                "No sample rows to measure re-identification risk; a reviewer judges the method.",
                "无样例数据可度量重识别风险，由审核员判断去标识化方法。",
            ),
        )
    direct = direct_identifiers(facts, sample, scan)
    quasi = quasi_identifiers(facts, sample, set(direct))
    problems: list[Problem] = []
    personal = scan.personal_columns() if scan else {}
    for column, how in direct.items():
        if how == "scan":
            types = personal[column]
            n, rows = max(types.values()), len(sample.rows)
            en, zh = (
                f"holds {pi_labels(types, 'en')} in {rows_share(n, rows, 'en')}",
                f"在 {rows} 行中有 {n} 行（{percent(n, rows)}）含有{pi_labels(types, 'zh')}",
            )
        else:
            en, zh = _DIRECT_REASONS[how]
        problems.append(
            (
                f"Column {column} {en}: a product claimed de-identified must not carry direct identifiers.",
                f"字段 {column} {zh}：声明已去标识化的产品不得含有直接标识符。",
            )
        )
    details: dict[str, Any] = {"direct_identifiers": direct}
    if not quasi:
        details["quasi_identifiers"] = []
        if problems:
            return Opinion("fail", joined(problems), details)
        return Opinion(
            None,
            message(
                "No quasi-identifier column found (none marked quasi or personal, none named like age, sex, "
                "postcode or region); a reviewer checks the field dictionary and the method.",
                "未发现准标识符字段（字段字典未标记，字段名也不像年龄、性别、邮编或地区），"
                "由审核员核查字段字典及去标识化方法。",
            ),
            details,
        )
    anonymity = measure_anonymity(sample, quasi)
    details.update(anonymity.to_dict())
    rows, columns_en, columns_zh = anonymity.rows, ", ".join(quasi), "、".join(quasi)
    if anonymity.k < MIN_K:
        problems.append(
            (
                f"On the quasi-identifiers {columns_en}, the smallest group of identical rows in the {rows}-row "
                f"sample has {anonymity.k} row(s): k = {anonymity.k}, below {MIN_K}.",
                f"以准标识符 {columns_zh} 分组，{rows} 行样例中最小的等价类只有 {anonymity.k} 行："
                f"k = {anonymity.k}，低于 {MIN_K}。",
            )
        )
    if anonymity.unique_share > MAX_UNIQUE_SHARE:
        problems.append(
            (
                f"{rows_share(anonymity.unique_rows, rows, 'en')} are unique on {columns_en}, above "
                f"{MAX_UNIQUE_SHARE:.0%}.",
                f"{rows} 行中有 {anonymity.unique_rows} 行（{percent(anonymity.unique_rows, rows)}）"
                f"在 {columns_zh} 上唯一，超过 {MAX_UNIQUE_SHARE:.0%}。",
            )
        )
    if problems:
        return Opinion("fail", joined(problems), details)
    return Opinion(
        "pass",
        message(
            f"On the quasi-identifiers {columns_en}, k = {anonymity.k} and "
            f"{percent(anonymity.unique_rows, rows)} of rows are unique; a reviewer confirms the method.",
            f"以准标识符 {columns_zh} 分组，k = {anonymity.k}，唯一行占 {percent(anonymity.unique_rows, rows)}；"
            "由审核员确认去标识化方法。",
        ),
        details,
    )
