"""Cross-border transfer (XB-01): the 2024 Provisions on Promoting and Regulating Cross-Border Data Flows as a table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compliance.facts import ProductFacts
from compliance.opinions import Opinion, message
from compliance.pi_scan import ScanReport
from compliance.samples import Sample
from compliance.vocabulary import SECURITY_LEVELS, label

# What the provider must do before data leaves the country, by the most demanding row that matches.
MECHANISMS: dict[str, dict[str, str]] = {
    "prohibited": message("not permitted", "不得出境"),
    "security_assessment": message(
        "a data-export security assessment declared to the Cyberspace Administration of China",
        "向国家网信部门申报数据出境安全评估",
    ),
    "standard_contract_or_certification": message(
        "a PI export standard contract filed with the provincial cyberspace office, or PI protection certification",
        "订立个人信息出境标准合同并向省级网信部门备案，或通过个人信息保护认证",
    ),
    "exempt": message("no declaration, contract or certification", "免予申报安全评估、订立标准合同或认证"),
}
OUTCOMES = {"prohibited": "fail", "security_assessment": "flag", "standard_contract_or_certification": "flag",
            "exempt": "pass"}  # fmt: skip


@dataclass(frozen=True)
class TransferRule:
    """One row: when it matches (None = any) and the mechanism it requires, with the article it cites."""

    code: str
    mechanism: str
    basis: dict[str, str]
    levels: frozenset[str] | None = None
    holds_pi: bool | None = None
    sensitive: bool | None = None
    # Persons counted cumulatively since 1 January of the current year; min inclusive, max exclusive.
    min_subjects: int | None = None
    max_subjects: int | None = None

    def matches(self, level: str, holds_pi: bool, sensitive: bool, subjects: int | None) -> bool:
        if self.levels is not None and level not in self.levels:
            return False
        if self.holds_pi is not None and holds_pi != self.holds_pi:
            return False
        if self.sensitive is not None and sensitive != self.sensitive:
            return False
        if self.min_subjects is not None and (subjects is None or subjects < self.min_subjects):
            return False
        return self.max_subjects is None or (subjects is not None and subjects < self.max_subjects)


_ART_7 = message("Provisions art. 7(2)", "《促进和规范数据跨境流动规定》第七条第（二）项")
_ART_8 = message("Provisions art. 8", "《促进和规范数据跨境流动规定》第八条")
_ART_5 = message("Provisions art. 5(4)", "《促进和规范数据跨境流动规定》第五条第（四）项")
_ART_3 = message("Provisions art. 3", "《促进和规范数据跨境流动规定》第三条")
_DSL = message("DSL art. 21; GB/T 43697-2024", "《数据安全法》第二十一条；GB/T 43697-2024")

# First match wins, so rows go from the most to the least demanding. A product that holds sensitive PI is
# counted as if every person's sensitive PI leaves: the declarations do not split the count.
TRANSFER_RULES: tuple[TransferRule, ...] = (
    TransferRule("core_data", "prohibited", _DSL, levels=frozenset({"core"})),
    TransferRule("important_data", "security_assessment", _ART_7, levels=frozenset({"important"})),
    TransferRule("sensitive_10k", "security_assessment", _ART_7, holds_pi=True, sensitive=True, min_subjects=10_000),
    TransferRule("pi_1m", "security_assessment", _ART_7, holds_pi=True, sensitive=False, min_subjects=1_000_000),
    TransferRule("sensitive_under_10k", "standard_contract_or_certification", _ART_8, holds_pi=True, sensitive=True,
                 min_subjects=1, max_subjects=10_000),
    TransferRule("pi_100k_1m", "standard_contract_or_certification", _ART_8, holds_pi=True, sensitive=False,
                 min_subjects=100_000, max_subjects=1_000_000),
    TransferRule("pi_under_100k", "exempt", _ART_5, holds_pi=True, sensitive=False, max_subjects=100_000),
    TransferRule("no_pi", "exempt", _ART_3, holds_pi=False),
)  # fmt: skip


def transfer_inputs(facts: ProductFacts, scan: ScanReport | None) -> tuple[str, bool, bool, int | None]:
    """(level, holds PI, holds sensitive PI, persons per year) from the declarations and the scan."""
    subjects = facts.pi_subjects
    holds_pi = bool(facts.holds_pi or (scan and scan.personal_columns()) or (subjects or 0) > 0)
    sensitive = bool(
        facts.sensitive_pi
        or any(e.get("sensitive") for e in facts.field_dictionary)
        or (scan and scan.sensitive_columns())
    )
    if holds_pi and subjects == 0:
        subjects = None  # PI of no one contradicts holding PI: the count is as good as undeclared
    return facts.security_level, holds_pi, sensitive and holds_pi, subjects


def required_mechanism(level: str, holds_pi: bool, sensitive: bool, subjects: int | None) -> TransferRule | None:
    """The first matching row, or None when the number of persons is needed and undeclared."""
    return next((r for r in TRANSFER_RULES if r.matches(level, holds_pi, sensitive, subjects)), None)


def check_xb_01(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    level, holds_pi, sensitive, subjects = transfer_inputs(facts, scan)
    details: dict[str, Any] = {
        "security_level": level,
        "holds_pi": holds_pi,
        "sensitive_pi": sensitive,
        "pi_subjects": subjects,
        "counted_over": "calendar_year",
    }
    rule = required_mechanism(level, holds_pi, sensitive, subjects)
    if rule is None:
        return Opinion(
            "fail",
            message(
                "Declare how many persons' personal information may go abroad in a calendar year: the 2024 "
                "Provisions set the mechanism by that number (100,000 and 1,000,000 persons; 10,000 for "
                "sensitive personal information).",
                "请申报每个自然年度可能向境外提供个人信息的人数：《促进和规范数据跨境流动规定》按人数确定出境机制"
                "（10万人、100万人；敏感个人信息1万人）。",
            ),
            details,
        )
    details.update(rule=rule.code, mechanism=rule.mechanism, basis=rule.basis)
    why_en, why_zh = _why(rule, level, sensitive, subjects)
    mechanism = MECHANISMS[rule.mechanism]
    # Operators of critical information infrastructure need an assessment for any PI (art. 7(1)); the
    # declarations do not say whether the provider is one.
    ciio_en = (
        ""
        if rule.mechanism in ("prohibited", "security_assessment")
        else " A reviewer confirms that the provider is not a critical information infrastructure operator."
    )
    ciio_zh = "" if not ciio_en else "由审核员确认提供方不是关键信息基础设施运营者。"
    if rule.mechanism == "prohibited":
        text = message(
            f"Delivery abroad of {why_en} is {mechanism['en']} ({rule.basis['en']}).",
            f"{why_zh}{mechanism['zh']}（{rule.basis['zh']}）。",
        )
    else:
        text = message(
            f"Delivery abroad of {why_en} requires {mechanism['en']} ({rule.basis['en']}).{ciio_en}",
            f"向境外交付{why_zh}，须{mechanism['zh']}（{rule.basis['zh']}）。{ciio_zh}",
        )
    return Opinion(OUTCOMES[rule.mechanism], text, details)


def _why(rule: TransferRule, level: str, sensitive: bool, subjects: int | None) -> tuple[str, str]:
    if rule.levels is not None:
        return (
            f"{label(SECURITY_LEVELS, level, 'en').lower()}",
            f"{label(SECURITY_LEVELS, level, 'zh')}",
        )
    if not rule.holds_pi:
        return "data without personal information or important data", "不含个人信息和重要数据的数据"
    kind_en = "sensitive personal information" if sensitive else "personal information"
    kind_zh = "敏感个人信息" if sensitive else "个人信息"
    return (
        f"{kind_en} of {subjects:,} persons a year (counted from 1 January)",
        f"每年 {subjects:,} 人的{kind_zh}（自当年1月1日起累计）",
    )
