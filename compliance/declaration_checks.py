"""Automatic opinions on checklist items decided by the broker's declarations alone."""

from __future__ import annotations

from compliance.facts import ProductFacts
from compliance.identifiers import uscc_is_valid
from compliance.opinions import Opinion, Problem, joined, message
from compliance.pi_scan import ScanReport
from compliance.samples import Sample
from compliance.vocabulary import PRICE_MODES, label


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


def check_use_03(facts: ProductFacts, sample: Sample | None, scan: ScanReport | None) -> Opinion:
    # Decided on the result of reachability.check_endpoint, run beforehand: evaluating never calls out.
    endpoint, result = facts.api_endpoint.strip(), facts.api_check
    if not endpoint:
        return Opinion("fail", message("Declare the API endpoint.", "请填写接口地址。"))
    details = {"api_endpoint": endpoint, "api_check": result}
    if result is None or result.get("url", endpoint) != endpoint:
        return Opinion(
            None,
            message(
                f"The API endpoint {endpoint} has not been checked yet.", f"接口地址 {endpoint} 尚未检查。"
            ),
            details,
        )
    status, elapsed = result.get("status"), round(float(result.get("elapsed_ms") or 0))
    if result.get("reachable") and status is not None and status < 500:
        return Opinion(
            "pass",
            message(
                f"The API endpoint {endpoint} answered HTTP {status} in {elapsed} ms.",
                f"接口地址 {endpoint} 在 {elapsed} 毫秒内返回 HTTP {status}。",
            ),
            details,
        )
    if status is not None:
        return Opinion(
            "fail",
            message(
                f"The API endpoint {endpoint} answered HTTP {status}, a server error.",
                f"接口地址 {endpoint} 返回 HTTP {status}（服务器错误）。",
            ),
            details,
        )
    error = result.get("error") or "no answer"
    return Opinion(
        "fail",
        message(
            f"The API endpoint {endpoint} could not be reached: {error}.",
            f"无法访问接口地址 {endpoint}：{error}。",
        ),
        details,
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
