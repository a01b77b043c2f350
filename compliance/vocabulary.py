"""Controlled vocabularies for products, as ordered code -> {"zh", "en"} label tables."""

from __future__ import annotations

from collections.abc import Mapping

Vocabulary = Mapping[str, Mapping[str, str]]


def _vocab(*entries: tuple[str, str, str]) -> dict[str, dict[str, str]]:
    return {code: {"zh": zh, "en": en} for code, zh, en in entries}


# Sector codes follow the industry split of GB/T 43697-2024 (数据安全技术 数据分类分级规则).
SECTORS = _vocab(
    ("finance", "金融", "Finance"),
    ("energy", "能源", "Energy"),
    ("health", "医疗健康", "Health"),
    ("transport", "交通运输", "Transport"),
    ("agriculture", "农业", "Agriculture"),
    ("government", "政务", "Government"),
    ("industry", "工业", "Industry"),
    ("commerce", "商贸流通", "Commerce"),
    ("telecom", "电信", "Telecommunications"),
    ("education", "教育", "Education"),
    ("social_security", "社会保障", "Social security"),
    ("natural_resources", "自然资源", "Natural resources"),
    ("culture_tourism", "文化旅游", "Culture and tourism"),
    ("other", "其他", "Other"),
)

PRODUCT_TYPES = _vocab(
    ("dataset", "数据集", "Dataset"),
    ("api", "数据接口", "Data API"),
    ("report", "数据报告", "Data report"),
    ("index", "数据指数", "Data index"),
    ("model", "数据模型", "Data model"),
    ("application", "数据应用", "Data application"),
)

SCENARIOS = _vocab(
    ("credit_support", "授信辅助", "Credit support"),
    ("post_loan_warning", "贷后预警", "Post-loan warning"),
    ("anti_fraud", "反欺诈", "Anti-fraud"),
    ("supply_chain_finance", "供应链金融", "Supply-chain finance"),
    ("insurance_underwriting", "保险核保", "Insurance underwriting"),
    ("precision_agriculture", "精准农业", "Precision agriculture"),
    ("traceability", "产品溯源", "Product traceability"),
    ("public_health", "公共卫生", "Public health"),
    ("drug_safety", "药品安全监测", "Drug safety monitoring"),
    ("energy_management", "能效管理", "Energy management"),
    ("urban_governance", "城市治理", "Urban governance"),
    ("research", "科学研究", "Scientific research"),
)

# Scenarios where a buyer may judge creditworthiness, so the PBoC credit-reporting rules apply (FIN-01).
CREDIT_SCENARIOS = frozenset({"credit_support", "post_loan_warning", "supply_chain_finance"})

SOURCE_TYPES = _vocab(
    ("self_generated", "自行生产", "Self-generated"),
    ("licensed", "授权获取", "Licensed from a third party"),
    ("public_collection", "公开采集", "Publicly collected"),
    ("public_data", "公共数据授权运营", "Public data under authorized operation"),
)

DELIVERY_MODES = _vocab(
    ("file", "文件交付", "File delivery"),
    ("api", "接口调用", "API calls"),
    ("aggregate", "可用不可见（仅聚合）", "Usable but invisible (aggregates only)"),
)

SECURITY_LEVELS = _vocab(
    ("general", "一般数据", "General data"),
    ("important", "重要数据", "Important data"),
    ("core", "核心数据", "Core data"),
)

PRICE_MODES = _vocab(
    ("free", "免费", "Free"),
    ("one_off", "一次性", "One-off"),
    ("subscription", "订阅", "Subscription"),
    ("per_call", "按次计费", "Per call"),
    ("negotiable", "面议", "Negotiable"),
)

RIGHTS = _vocab(
    ("holding", "数据资源持有权", "Data resource holding right"),
    ("processing", "数据加工使用权", "Data processing and use right"),
    ("operating", "数据产品经营权", "Data product operating right"),
)

UPDATE_FREQUENCIES = _vocab(
    ("realtime", "实时", "Real time"),
    ("daily", "每日", "Daily"),
    ("weekly", "每周", "Weekly"),
    ("monthly", "每月", "Monthly"),
    ("quarterly", "每季度", "Quarterly"),
    ("yearly", "每年", "Yearly"),
    ("once", "一次性", "Once"),
)

FIELD_TYPES = _vocab(
    ("string", "文本", "Text"),
    ("integer", "整数", "Integer"),
    ("decimal", "小数", "Decimal"),
    ("date", "日期", "Date"),
    ("datetime", "日期时间", "Date and time"),
    ("boolean", "布尔", "Boolean"),
)

# Legal bases for processing personal information a buyer may state (PIPL art. 13); "not_personal" when none is held.
LEGAL_BASES = _vocab(
    ("not_personal", "不涉及个人信息", "No personal information"),
    ("consent", "个人同意", "The individual's consent"),
    ("contract", "订立、履行个人作为一方当事人的合同所必需", "Necessary for a contract with the individual"),
    ("legal_duty", "履行法定职责或者法定义务所必需", "Necessary for a legal duty or obligation"),
    ("public_health", "应对突发公共卫生事件或紧急情况所必需", "Necessary for a public-health emergency"),
    ("public_interest", "为公共利益实施新闻报道、舆论监督", "News reporting and supervision in the public interest"),
    ("disclosed", "处理已合法公开的个人信息", "Information already lawfully made public"),
    ("other_law", "法律、行政法规规定的其他情形", "Other cases laid down by law"),
)

# Where the buyer will receive the data; "abroad" brings in the cross-border rules (XB-01).
DELIVERY_REGIONS = _vocab(
    ("domestic", "境内", "Within mainland China"),
    ("abroad", "境外", "Outside mainland China"),
)

# The personal-information types the scanner detects (DOMAIN.md §5), named as messages show them.
PI_TYPES = _vocab(
    ("cn_resident_id", "居民身份证号码", "resident ID numbers"),
    ("cn_mobile", "手机号码", "mobile numbers"),
    ("bank_card", "银行卡号", "bank card numbers"),
    ("uscc", "统一社会信用代码", "unified social credit codes"),
    ("email", "电子邮箱地址", "e-mail addresses"),
)


def label(vocab: Vocabulary, code: str, lang: str) -> str:
    """Return the label of `code` in `lang` ("zh" or "en"); an unknown code is shown as itself."""
    entry = vocab.get(code)
    if entry is None:
        return code
    return entry.get(lang, entry["en"])
