"""Classification and grading (CLS-01, CLS-02): the level the data suggests against the level declared."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from compliance.facts import ProductFacts
from compliance.opinions import Opinion, Problem, joined, message, pi_labels
from compliance.pi_scan import ScanReport
from compliance.samples import Sample
from compliance.vocabulary import SECTORS, SECURITY_LEVELS, label

# Levels in ascending order of protection (GB/T 43697-2024 §5: 一般数据, 重要数据, 核心数据).
LEVELS = ("general", "important", "core")
# GB/T 43697-2024 annex G counts personal information "of a certain scale" among the factors of important
# data; the exchange takes 100,000 persons, the threshold above which cross-border rules also bite.
PI_VOLUME_IMPORTANT = 100_000
PI_SECTORS = frozenset({"health", "finance"})


@dataclass(frozen=True)
class LevelRule:
    """One row of the suggestion table: a reason that lifts the suggestion to at least `level`."""

    code: str
    level: str
    # The reason in English and Chinese when it holds for these facts and scan, else None.
    reason: Callable[[ProductFacts, ScanReport | None], Problem | None]


def _scan_sensitive(scan: ScanReport | None) -> list[str]:
    return sorted({t for types in (scan.sensitive_columns() if scan else {}).values() for t in types})


def _sensitive_found(facts: ProductFacts, scan: ScanReport | None) -> Problem | None:
    types = _scan_sensitive(scan)
    if not types:
        return None
    return (
        f"the sample holds sensitive personal information ({pi_labels(types, 'en')})",
        f"样例含有敏感个人信息（{pi_labels(types, 'zh')}）",
    )


def _sensitive_declared(facts: ProductFacts, scan: ScanReport | None) -> Problem | None:
    if _scan_sensitive(scan):
        return None  # already the reason above, in stronger words
    columns = [str(e.get("name")) for e in facts.field_dictionary if e.get("sensitive")]
    if columns:
        return (
            f"the field dictionary marks {', '.join(columns)} sensitive personal information",
            f"字段字典将 {'、'.join(columns)} 标记为敏感个人信息",
        )
    if facts.sensitive_pi:
        return ("the product declares sensitive personal information", "产品申报含有敏感个人信息")
    return None


def _sector_with_pi(facts: ProductFacts, scan: ScanReport | None) -> Problem | None:
    if facts.sector not in PI_SECTORS or not (facts.holds_pi or (scan and scan.personal_columns())):
        return None
    return (
        f"{label(SECTORS, facts.sector, 'en').lower()} data holding personal information",
        f"{label(SECTORS, facts.sector, 'zh')}领域数据含有个人信息",
    )


def _pi_volume(facts: ProductFacts, scan: ScanReport | None) -> Problem | None:
    if facts.pi_subjects is None or facts.pi_subjects <= PI_VOLUME_IMPORTANT:
        return None
    return (
        f"personal information of {facts.pi_subjects:,} persons, more than {PI_VOLUME_IMPORTANT:,}",
        f"涉及 {facts.pi_subjects:,} 人的个人信息，超过 {PI_VOLUME_IMPORTANT:,} 人",
    )


# Core data is never suggested: only the state's catalogues make data core, and CLS-02 refuses it anyway.
LEVEL_RULES: tuple[LevelRule, ...] = (
    LevelRule("sensitive_pi_found", "important", _sensitive_found),
    LevelRule("sensitive_pi_declared", "important", _sensitive_declared),
    LevelRule("sector_with_pi", "important", _sector_with_pi),
    LevelRule("pi_volume", "important", _pi_volume),
)


def suggest_level(facts: ProductFacts, scan: ScanReport | None) -> tuple[str, list[dict[str, Any]]]:
    """The lowest level the data allows and the reasons, one per rule that holds."""
    level, reasons = "general", []
    for rule in LEVEL_RULES:
        reason = rule.reason(facts, scan)
        if reason is None:
            continue
        level = max(level, rule.level, key=LEVELS.index)
        reasons.append({"code": rule.code, "level": rule.level, "message": message(*reason)})
    return level, reasons


def check_cls_01(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    problems: list[Problem] = []
    if facts.security_level not in SECURITY_LEVELS:
        problems.append(("No valid security level is declared.", "未申报有效的数据级别。"))
    if facts.sector not in SECTORS:
        problems.append(("No valid sector is declared.", "未申报有效的行业领域。"))
    if problems:
        return Opinion("fail", joined(problems))
    declared = facts.security_level
    suggested, reasons = suggest_level(facts, scan)
    details = {"declared_level": declared, "suggested_level": suggested, "reasons": reasons}
    why_en = "; ".join(r["message"]["en"] for r in reasons)
    why_zh = "；".join(r["message"]["zh"] for r in reasons)
    if LEVELS.index(declared) < LEVELS.index(suggested):
        return Opinion(
            "flag",
            message(
                f"The declared level is {label(SECURITY_LEVELS, declared, 'en').lower()} but the data suggests at "
                f"least {label(SECURITY_LEVELS, suggested, 'en').lower()} under GB/T 43697-2024: {why_en}. "
                "A reviewer checks whether it is important data.",
                f"申报级别为{label(SECURITY_LEVELS, declared, 'zh')}，但按 GB/T 43697-2024 数据至少应为"
                f"{label(SECURITY_LEVELS, suggested, 'zh')}：{why_zh}。由审核员判断是否属于重要数据。",
            ),
            details,
        )
    basis_en = f" (the data suggests at least {suggested}: {why_en})" if reasons else ""
    basis_zh = f"（数据提示至少为{label(SECURITY_LEVELS, suggested, 'zh')}：{why_zh}）" if reasons else ""
    return Opinion(
        None,
        message(
            f"Declared: {label(SECURITY_LEVELS, declared, 'en')}, {label(SECTORS, facts.sector, 'en')}"
            f"{basis_en}; a reviewer confirms the grading.",
            f"申报：{label(SECURITY_LEVELS, declared, 'zh')}，{label(SECTORS, facts.sector, 'zh')}"
            f"{basis_zh}；由审核员确认分级。",
        ),
        details,
    )


def check_cls_02(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    if facts.security_level == "core":
        return Opinion("fail", message("Core data cannot be registered or traded.", "核心数据不得登记或交易。"))
    return Opinion("pass", message("The product is not declared core data.", "产品未申报为核心数据。"))
