"""Evaluating a checklist template against a product: applicability, automatic outcomes, blocking failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from compliance.checklist_template import DEFAULT_TEMPLATE, ChecklistItem, Template
from compliance.classification import check_cls_01, check_cls_02
from compliance.crossborder import check_xb_01
from compliance.declaration_checks import check_ent_01, check_prc_01, check_src_01, check_src_02, check_use_03
from compliance.facts import ProductFacts
from compliance.opinions import Check, Opinion, message
from compliance.pi_scan import ScanReport, scan_rows
from compliance.quality import check_qlt_01
from compliance.reidentification import check_pi_04
from compliance.rules import rule_holds
from compliance.sample_checks import check_pi_01, check_pi_02, check_use_02
from compliance.samples import Sample

__all__ = [
    "AUTO_CHECKS",
    "DEFAULT_TEMPLATE",
    "ChecklistItem",
    "ItemResult",
    "ProductFacts",
    "Template",
    "blocking_failures",
    "evaluate",
    "is_applicable",
]

# Keyed by item code, so a new template version can add items without code: they go to a reviewer.
AUTO_CHECKS: dict[str, Check] = {
    "ENT-01": check_ent_01,
    "SRC-01": check_src_01,
    "SRC-02": check_src_02,
    "PI-01": check_pi_01,
    "PI-02": check_pi_02,
    "PI-04": check_pi_04,
    "CLS-01": check_cls_01,
    "CLS-02": check_cls_02,
    "XB-01": check_xb_01,
    "USE-02": check_use_02,
    "USE-03": check_use_03,
    "QLT-01": check_qlt_01,
    "PRC-01": check_prc_01,
}


@dataclass
class ItemResult:
    """The automatic result for one item; outcome None means a reviewer decides without a system opinion."""

    code: str
    applicable: bool
    outcome: str | None
    blocking: bool
    message: dict[str, str]
    details: dict[str, Any] = field(default_factory=dict)


def is_applicable(item: ChecklistItem, facts: ProductFacts) -> bool:
    """Whether `item` applies to a product with `facts`."""
    return item.when is None or rule_holds(item.when, facts)


def _reviewer_decides(item: ChecklistItem) -> Opinion:
    if item.kind == "human":
        return Opinion(None, message("A reviewer decides on the evidence.", "由审核员根据证明材料判定。"))
    return Opinion(None, message("No automatic check; a reviewer decides.", "无自动检查，由审核员判定。"))


def _not_applicable(item: ChecklistItem) -> ItemResult:
    return ItemResult(
        code=item.code,
        applicable=False,
        outcome=None,
        blocking=False,
        message=message(
            f"Not applicable: applies only when {item.when_text['en']}.",
            f"不适用：仅在{item.when_text['zh']}时适用。",
        ),
    )


def evaluate(
    facts: ProductFacts,
    *,
    sample: Sample | None,
    scan: ScanReport | None,
    template: Template = DEFAULT_TEMPLATE,
) -> list[ItemResult]:
    """One result per template item, in template order; scans the sample itself when no scan is given."""
    if scan is None and sample is not None:
        scan = scan_rows(sample.columns, sample.rows)
    results: list[ItemResult] = []
    for item in template.items:
        if not is_applicable(item, facts):
            results.append(_not_applicable(item))
            continue
        check = AUTO_CHECKS.get(item.code)
        opinion = check(facts, sample, scan) if check else _reviewer_decides(item)
        results.append(
            ItemResult(
                code=item.code,
                applicable=True,
                outcome=opinion.outcome,
                blocking=opinion.outcome == "fail" and item.blocking,
                message=opinion.message,
                details=opinion.details,
            )
        )
    return results


def blocking_failures(results: list[ItemResult]) -> list[ItemResult]:
    """The results that stop submission."""
    return [r for r in results if r.blocking]
