"""Automatic opinions on checklist items decided by the broker's declarations alone."""

from __future__ import annotations

from compliance.facts import ProductFacts
from compliance.identifiers import uscc_is_valid
from compliance.opinions import Opinion, Problem, joined, message, pi_labels
from compliance.pi_scan import ScanReport
from compliance.samples import Sample
from compliance.vocabulary import PRICE_MODES, SECTORS, SECURITY_LEVELS, label


def check_ent_01(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    uscc = facts.provider_uscc.strip()
    if not uscc:
        return Opinion("fail", message("No provider USCC is given.", "未提供提供方的统一社会信用代码。"))
    if not uscc_is_valid(uscc):
        return Opinion(
            "fail",
            message(
                f"Provider USCC {uscc} fails the GB 32100-2015 check.",
                f"提供方统一社会信用代码 {uscc} 未通过 GB 32100-2015 校验。",
            ),
        )
    return Opinion(
        "pass",
        message(
            f"Provider USCC {uscc} passes the GB 32100-2015 check; a reviewer confirms the business licence.",
            f"提供方统一社会信用代码 {uscc} 通过 GB 32100-2015 校验，由审核员核对营业执照。",
        ),
    )


def check_src_01(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    problems: list[Problem] = []
    if not facts.source_type:
        problems.append(("No source type is declared.", "未申报数据来源类型。"))
    if not facts.source_description.strip():
        problems.append(("The source description is empty.", "数据来源说明为空。"))
    if problems:
        return Opinion("flag", joined(problems))
    return Opinion(None, message("A reviewer judges the source description.", "由审核员判断来源说明。"))


def check_src_02(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    if facts.has_commitment:
        return Opinion(
            "pass", message("The source-legality commitment is on file.", "已提交数据来源合法性承诺书。")
        )
    return Opinion(
        "fail", message("Upload the signed source-legality commitment.", "请上传签署的数据来源合法性承诺书。")
    )


def check_cls_01(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    problems: list[Problem] = []
    if facts.security_level not in SECURITY_LEVELS:
        problems.append(("No valid security level is declared.", "未申报有效的数据级别。"))
    if facts.sector not in SECTORS:
        problems.append(("No valid sector is declared.", "未申报有效的行业领域。"))
    if problems:
        return Opinion("fail", joined(problems))
    sensitive = sorted({t for types in (scan.sensitive_columns() if scan else {}).values() for t in types})
    if sensitive and facts.security_level == "general":
        return Opinion(
            "flag",
            message(
                f"The sample holds sensitive personal information ({pi_labels(sensitive, 'en')}) but the "
                "declared level is general; a reviewer checks whether it is important data.",
                f"样例含有敏感个人信息（{pi_labels(sensitive, 'zh')}），但申报级别为一般数据，"
                "由审核员判断是否属于重要数据。",
            ),
            {"sensitive_types": sensitive},
        )
    level, sector = facts.security_level, facts.sector
    return Opinion(
        None,
        message(
            f"Declared: {label(SECURITY_LEVELS, level, 'en')}, {label(SECTORS, sector, 'en')}; "
            "a reviewer confirms the grading.",
            f"申报：{label(SECURITY_LEVELS, level, 'zh')}，{label(SECTORS, sector, 'zh')}；"
            "由审核员确认分级。",
        ),
    )


def check_cls_02(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    if facts.security_level == "core":
        return Opinion(
            "fail", message("Core data cannot be registered or traded.", "核心数据不得登记或交易。")
        )
    return Opinion("pass", message("The product is not declared core data.", "产品未申报为核心数据。"))


def check_use_03(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    return Opinion(
        None,
        message(
            "The API is not yet called automatically; a reviewer checks the endpoint and a test call.",
            "暂不自动调用接口，由审核员核查接口地址及测试调用结果。",
        ),
        {"api_endpoint": facts.api_endpoint},
    )


def check_prc_01(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    if facts.price_mode not in PRICE_MODES:
        return Opinion("flag", message("No valid price mode is declared.", "未申报有效的定价方式。"))
    return Opinion(
        None,
        message(
            f"Price mode: {label(PRICE_MODES, facts.price_mode, 'en')}; a reviewer checks the price.",
            f"定价方式：{label(PRICE_MODES, facts.price_mode, 'zh')}；由审核员核查价格。",
        ),
    )
