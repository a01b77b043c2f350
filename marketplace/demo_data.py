"""The demo exchange's content: Jiangmen organisations, people, products, samples and evidence documents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from compliance.identifiers import make_uscc
from marketplace.demo_columns import (
    ADR_COLUMNS,
    CHENPI_INDEX_COLUMNS,
    CITIZEN_ID,
    DISEASE_COLUMNS,
    FLEX_COLUMNS,
    JIANGMEN,
    POWER_INDEX_COLUMNS,
    POWER_LOAD_COLUMNS,
    POWER_OWNERS_COLUMNS,
    SI_PAYMENT_COLUMNS,
    SI_RAW_COLUMNS,
    SI_STATS_COLUMNS,
    Col,
    enterprise_uscc,
    field_dictionary,
    flex_release_csv,
    integer,
    month,
    sample_csv,
)

ORGANIZATIONS = [
    {"key": "exchange", "kind": "exchange", "uscc": make_uscc("12440700MB2C54176"),
     "name": "江门数据交易服务基地", "name_en": "Jiangmen Data Exchange Service Base"},
    {"key": "lawfirm", "kind": "reviewer", "uscc": make_uscc("31440000MD0178452"),
     "name": "广东某某律师事务所", "name_en": "Guangdong Moumou Law Firm"},
    {"key": "chenpi", "kind": "provider", "uscc": make_uscc("91440705MA55XH3C0"),
     "name": "江门市新会陈皮产业园运营有限公司",
     "name_en": "Xinhui Chenpi Industrial Park Operations Co., Ltd."},
    {"key": "power", "kind": "provider", "uscc": make_uscc("91440700MA4WJ6P81"),
     "name": "江门市电力数据服务有限公司", "name_en": "Jiangmen Power Data Services Co., Ltd."},
    {"key": "publicdata", "kind": "provider", "uscc": make_uscc("91440700MA7N2KD45"),
     "name": "江门市公共数据运营有限公司", "name_en": "Jiangmen Public Data Operations Co., Ltd."},
    {"key": "hospital", "kind": "provider", "uscc": make_uscc("12440700455862013"),
     "name": "江门市某某人民医院", "name_en": "Jiangmen Moumou People's Hospital"},
    {"key": "jmrcb", "kind": "buyer", "uscc": make_uscc("91440700MA52RC8B6"),
     "name": "江门农商银行", "name_en": "Jiangmen Rural Commercial Bank"},
    {"key": "moumoubank", "kind": "buyer", "uscc": make_uscc("91440703MA4UL7Q92"),
     "name": "某某银行江门分行", "name_en": "Moumou Bank, Jiangmen Branch"},
]

# Applies through the public form and waits for the exchange admin's decision.
PENDING_APPLICATION = {
    "name": "江门市五邑文旅大数据有限公司", "name_en": "Wuyi Culture and Tourism Big Data Co., Ltd.",
    "uscc": make_uscc("91440703MACK9T2E3"), "kind": "provider", "legal_representative": "司徒志强",
    "address": "广东省江门市蓬江区建设三路 99 号", "contact_phone": "0750-3201188",
    "description": "整合开平碉楼、台山侨乡等景区客流与文旅消费数据，申请成为数据商。",
    "admin_name": "司徒志强", "admin_email": "broker@wuyitour.demo",
}


# Each organisation's first member administers its membership; the exchange's reviewer does not.
USERS = [
    {"email": "admin@exchange.demo", "name": "梁嘉怡", "role": "admin", "org": "exchange"},
    {"email": "reviewer@exchange.demo", "name": "黄志伟", "role": "reviewer", "org": "exchange",
     "org_admin": False},
    {"email": "finance@exchange.demo", "name": "何嘉欣", "role": "finance", "org": "exchange", "org_admin": False},
    {"email": "reviewer@lawfirm.demo", "name": "伍思敏", "role": "reviewer", "org": "lawfirm"},
    {"email": "broker@chenpi.demo", "name": "陈柏林", "role": "broker", "org": "chenpi"},
    {"email": "broker@power.demo", "name": "李国梁", "role": "broker", "org": "power"},
    {"email": "broker@publicdata.demo", "name": "甄慧玲", "role": "broker", "org": "publicdata"},
    {"email": "broker@hospital.demo", "name": "关永康", "role": "broker", "org": "hospital"},
    {"email": "buyer@jmrcb.demo", "name": "谭家豪", "role": "buyer", "org": "jmrcb"},
    {"email": "buyer@moumoubank.demo", "name": "区颖琪", "role": "buyer", "org": "moumoubank"},
    {"email": "subject@citizen.demo", "name": "吴雅婷", "role": "subject", "org": None,
     "id_number": CITIZEN_ID},
]


COMMON = {"coverage_region": JIANGMEN, "rights": ["holding", "processing", "operating"],
          "no_onward_transfer": True, "cross_border_allowed": False, "licence_term_months": 12}


@dataclass
class ProductSpec:
    """A demo product, the broker who owns it and the state the demo leaves its latest version in."""

    key: str
    org: str
    broker: str
    target: str
    fields: dict
    columns: list[Col] | None = None
    rows: int = 30
    evidence: tuple[str, ...] = ("SRC-02",)
    decide: tuple[str, ...] = ()            # in_review: the items already decided
    fail: dict[str, str] = field(default_factory=dict)  # items a reviewer fails, with the note
    reason: str = ""                        # request_changes / reject
    objection: str = ""
    new_version: dict = field(default_factory=dict)  # registered: edited afterwards, opening version 2
    offers: tuple[dict, ...] = ()           # registered: listed in the catalog with these offers
    venue: str = "main"

    def all_fields(self) -> dict:
        fields = {**COMMON, **self.fields}
        if self.columns:
            fields["field_dictionary"] = field_dictionary(self.columns)
        return fields

    def sample(self) -> bytes | None:
        return sample_csv(self.columns, self.rows, seed=sum(map(ord, self.key))) if self.columns else None


PRODUCTS = [
    ProductSpec(
        "chenpi_index", "chenpi", "broker@chenpi.demo", "registered", {
            "name": "新会陈皮产业溯源与价格指数数据集",
            "name_en": "Xinhui Chenpi Traceability and Price Index Dataset",
            "product_type": "dataset", "sector": "agriculture",
            "scenarios": ["traceability", "supply_chain_finance"],
            "description": "汇集新会陈皮产业园一物一码溯源记录与产地收购价，按月编制新会陈皮价格指数，"
                           "支持仓单质押等供应链金融的货值评估。",
            "source_type": "self_generated",
            "source_description": "产业园溯源平台登记的柑果采摘、入仓、检测记录，"
                                  "及园区采价员每周采集的产地收购价。",
            "coverage_region": "440705", "coverage_population": "园区登记的 1,200 余家柑农与仓储企业",
            "time_range_start": "2016-01-01", "time_range_end": "2024-12-31", "scale": "约 86 万条溯源记录",
            "update_frequency": "monthly", "security_level": "general", "delivery_modes": ["file"],
            "price_mode": "subscription", "usage_scope": "仅限货值评估与溯源核验，不得转售。"},
        columns=CHENPI_INDEX_COLUMNS, rows=36, evidence=("SRC-02", "LEG-01", "LEG-02"), venue="agriculture",
        offers=(
            {"name": "年度订阅（月度指数与溯源明细）", "name_en": "Annual subscription (monthly index and records)",
             "pricing_mode": "subscription", "billing_period": "year", "price_minor": 3_600_000, "term_months": 12,
             "licence": "非独占、不可转让的使用许可", "usage_scope": "仅限货值评估与溯源核验，不得转售。"},
            {"name": "单期数据包", "name_en": "Single-period data package", "pricing_mode": "one_off",
             "price_minor": 450_000, "term_months": 6, "licence": "非独占、不可转让的使用许可"},
        ),
        new_version={"time_range_end": "2025-06-30", "scale": "约 92 万条溯源记录",
                     "description": "汇集新会陈皮产业园一物一码溯源记录与产地收购价，"
                                    "按月编制新会陈皮价格指数；2025 年起增加仓储温湿度监测字段。"}),
    ProductSpec(
        "power_credit", "power", "broker@power.demo", "registered", {
            "name": "电力看信贷——企业用电行为指数接口",
            "name_en": "Electricity-for-Credit Enterprise Power-Use Index API",
            "product_type": "api", "sector": "energy", "scenarios": ["credit_support", "post_loan_warning"],
            "description": "以企业月度用电量、同比变化、欠费记录计算生产活跃度指数，"
                           "供银行授信辅助与贷后预警，只返回指数与等级，不返回原始电费明细。",
            "source_type": "self_generated", "source_description": "供电营销系统的企业用电量与缴费记录。",
            "coverage_population": "江门市约 9.6 万户工商业用电户", "time_range_start": "2021-01-01",
            "time_range_end": "2024-12-31", "scale": "每月约 9.6 万条", "update_frequency": "monthly",
            "security_level": "general", "delivery_modes": ["api"], "price_mode": "per_call",
            "api_endpoint": "https://api.power.demo/v1/credit-index", "usage_scope": "授信辅助、贷后预警。"},
        columns=POWER_INDEX_COLUMNS, rows=30, evidence=("SRC-02", "LEG-01", "FIN-01"), venue="finance",
        offers=(
            {"name": "按次调用", "name_en": "Per call", "pricing_mode": "per_call", "price_minor": 200,
             "term_months": 12, "instant": True, "usage_scope": "授信辅助、贷后预警。"},
            {"name": "年度包（不限次）", "name_en": "Annual plan (unlimited calls)", "pricing_mode": "subscription",
             "billing_period": "year", "price_minor": 12_000_000, "term_months": 12},
        )),
    ProductSpec(
        "si_payments", "publicdata", "broker@publicdata.demo", "registered", {
            "name": "自然人参保缴费数据产品", "name_en": "Individual Social-Insurance Payment Records",
            "product_type": "dataset", "sector": "social_security", "scenarios": ["credit_support"],
            "description": "经本人单独同意，向其指定的银行提供社保（社会保险）参保缴费记录，用于个人小额贷款的授信辅助"
                           "（自然人参保缴费公共数据资产凭证）。",
            "source_type": "public_data", "source_description": "市人力资源和社会保障局社会保险缴费数据，"
                                                                 "依公共数据授权运营协议开发利用。",
            "coverage_population": "江门市参保人员约 260 万人", "time_range_start": "2019-01-01",
            "time_range_end": "2024-12-31", "scale": "约 1.1 亿条缴费记录", "update_frequency": "monthly",
            "holds_pi": True, "sensitive_pi": True, "security_level": "important",
            "delivery_modes": ["api", "aggregate"], "price_mode": "per_call",
            "api_endpoint": "https://api.publicdata.demo/v1/si-payment-certificate",
            "usage_scope": "仅限本人授权的银行用于授信辅助；原始数据不出域。"},
        columns=SI_PAYMENT_COLUMNS, rows=40,
        evidence=("SRC-02", "SRC-05", "PI-03", "PI-05", "CLS-04", "LEG-01"), venue="social_security",
        offers=(
            {"name": "按次核验（经本人同意）", "name_en": "Per verification (with the person's consent)",
             "pricing_mode": "per_call", "price_minor": 50, "term_months": 12,
             "usage_scope": "仅限本人授权的银行用于授信辅助；原始数据不出域。"},
            {"name": "金融机构合作（面议）", "name_en": "Bank partnership (negotiable)",
             "pricing_mode": "negotiable", "term_months": 36},
        )),
    ProductSpec(
        "si_flex_records", "publicdata", "broker@publicdata.demo", "registered", {
            "name": "灵活就业人员参保缴费记录（个人授权核验）",
            "name_en": "Social-insurance payment records (verified with the person's consent)",
            "product_type": "api", "sector": "social_security", "scenarios": ["credit_support"],
            "description": "灵活就业人员本人单独同意后，其指定的银行按身份证号逐人核验参保险种、累计缴费月数、"
                           "最近缴费月份、缴费基数与缴费状态，用于线上小额信用贷款（闪电贷）授信；"
                           "每次查询只返回本人同意的字段，原始数据不出域。",
            "source_type": "public_data",
            "source_description": "市人力资源和社会保障局社会保险缴费数据中以灵活就业人员身份参保的记录，"
                                  "依公共数据授权运营协议开发利用。",
            "coverage_population": "江门市以灵活就业人员身份参保者（演示数据 3,000 人）",
            "time_range_start": "2019-01-01", "time_range_end": "2025-06-30", "scale": "每人一条汇总记录",
            "update_frequency": "monthly", "holds_pi": True, "sensitive_pi": True, "security_level": "important",
            "delivery_modes": ["api"], "price_mode": "per_call",
            "usage_scope": "仅限本人授权的银行用于小额信贷授信；不得用于征信评分，不得转售。"},
        columns=FLEX_COLUMNS, rows=30,
        evidence=("SRC-02", "SRC-05", "PI-03", "PI-05", "CLS-04", "LEG-01", "FIN-01"), venue="social_security",
        offers=(
            {"name": "按次核验（经本人同意）", "name_en": "Per lookup (with the person's consent)",
             "pricing_mode": "per_call", "price_minor": 100, "term_months": 12,
             "usage_scope": "仅限本人授权的银行用于小额信贷授信；不得用于征信评分，不得转售。"},
        )),
    ProductSpec(
        "chenpi_env", "chenpi", "broker@chenpi.demo", "draft", {
            "name": "新会柑种植气象与土壤环境数据", "name_en": "Xinhui Citrus Orchard Weather and Soil Data",
            "product_type": "dataset", "sector": "agriculture", "scenarios": ["precision_agriculture"],
            "description": "（草稿）园区 42 个物联网监测点的气温、湿度、土壤墒情。"},
        evidence=()),
    ProductSpec(
        "power_owners", "power", "broker@power.demo", "draft", {
            "name": "小微企业主用电缴费明细", "name_en": "Micro-business Owners' Electricity Payments",
            "product_type": "dataset", "sector": "energy", "scenarios": ["credit_support"],
            "description": "小微企业主名下用电户的月用电量与缴费日期。", "source_type": "self_generated",
            "source_description": "供电营销系统。", "security_level": "general", "delivery_modes": ["file"],
            "price_mode": "negotiable"},
        columns=POWER_OWNERS_COLUMNS, rows=25),
    ProductSpec(
        "power_load", "power", "broker@power.demo", "in_review", {
            "name": "工业园区用电负荷月度分析报告", "name_en": "Industrial Park Monthly Load Analysis Report",
            "product_type": "report", "sector": "energy",
            "scenarios": ["energy_management", "urban_governance"],
            "description": "江门四大工业园区月最大负荷、负荷率与峰谷差分析。",
            "source_type": "self_generated",
            "source_description": "调度自动化系统负荷数据。", "time_range_start": "2023-01-01",
            "time_range_end": "2024-12-31", "update_frequency": "monthly", "security_level": "general",
            "delivery_modes": ["file"], "price_mode": "one_off"},
        columns=POWER_LOAD_COLUMNS, rows=24,
        decide=("ENT-01", "SRC-01", "SRC-02", "PI-01", "CLS-02", "USE-02")),
    ProductSpec(
        "chenpi_merchants", "chenpi", "broker@chenpi.demo", "changes_requested", {
            "name": "新会陈皮仓储商户经营数据", "name_en": "Chenpi Warehouse Merchants' Operating Data",
            "product_type": "dataset", "sector": "agriculture", "scenarios": ["supply_chain_finance"],
            "description": "园区仓储商户的在库量与月度出库量。", "source_type": "licensed",
            "source_description": "由入驻商户经园区进销存系统报送。", "security_level": "general",
            "delivery_modes": ["file"], "price_mode": "subscription"},
        columns=[Col("商户统一社会信用代码", "string", "商户统一社会信用代码", enterprise_uscc),
                 Col("统计月份", "string", "YYYY-MM", month(2024)),
                 Col("在库数量_斤", "integer", "月末在库数量（斤）", integer(2_000, 180_000)),
                 Col("出库数量_斤", "integer", "当月出库数量（斤）", integer(100, 30_000))],
        rows=24, fail={"SRC-03": "未见各商户对其经营数据对外提供的授权书，授权链条不完整。"},
        reason="请补充全部入驻商户的数据授权书（SRC-03），并在合同草案中明确禁止买方转售。"),
    ProductSpec(
        "si_stats", "publicdata", "broker@publicdata.demo", "submitted", {
            "name": "企业参保人数月度统计", "name_en": "Monthly Insured Headcount by District and Industry",
            "product_type": "index", "sector": "social_security",
            "scenarios": ["urban_governance", "research"],
            "description": "按区县、行业统计参保单位数、参保人数与缴费总额，只含聚合值。",
            "source_type": "public_data", "source_description": "市社会保险缴费数据聚合。",
            "update_frequency": "monthly", "security_level": "general", "delivery_modes": ["file"],
            "price_mode": "free"},
        columns=SI_STATS_COLUMNS, rows=30, evidence=("SRC-02", "SRC-05")),
    ProductSpec(
        "si_raw", "publicdata", "broker@publicdata.demo", "rejected", {
            "name": "灵活就业人员缴费原始明细", "name_en": "Raw Payment Records of Flexibly Employed Persons",
            "product_type": "dataset", "sector": "social_security", "scenarios": ["anti_fraud"],
            "description": "灵活就业人员逐月缴费原始明细，含姓名、身份证号、手机号。",
            "source_type": "public_data", "source_description": "社会保险缴费数据原始记录。",
            "holds_pi": True, "sensitive_pi": True, "security_level": "important", "delivery_modes": ["file"],
            "price_mode": "negotiable"},
        columns=SI_RAW_COLUMNS, rows=20, evidence=("SRC-02", "SRC-05"),
        fail={"PI-03": "未取得个人向特定接收方提供的单独同意。",
              "PI-05": "未提交个人信息保护影响评估报告。"},
        reason="原始个人缴费明细不得以文件方式对外提供（原始数据不出域），且无单独同意，不予登记。"),
    ProductSpec(
        "hospital_adr", "hospital", "broker@hospital.demo", "public_notice", {
            "name": "药品不良反应事件报告", "name_en": "Adverse Drug Reaction Event Report",
            "product_type": "report", "sector": "health", "scenarios": ["drug_safety", "research"],
            "description": "本院上报的药品不良反应事件，已去标识化，按季度汇编。",
            "source_type": "self_generated", "source_description": "医院药品不良反应监测系统上报记录。",
            "deidentified": True,
            "deidentification_method": "删除姓名、住院号；年龄按十岁分段；k-匿名（k≥5）。",
            "time_range_start": "2024-01-01", "time_range_end": "2024-12-31", "update_frequency": "quarterly",
            "security_level": "general", "delivery_modes": ["file"], "price_mode": "one_off"},
        columns=ADR_COLUMNS, rows=30, evidence=("SRC-02", "LEG-01", "SEC-01")),
    ProductSpec(
        "hospital_disease", "hospital", "broker@hospital.demo", "objection", {
            "name": "门诊疾病谱季度统计报告", "name_en": "Quarterly Outpatient Disease Spectrum Report",
            "product_type": "report", "sector": "health",
            "scenarios": ["public_health", "insurance_underwriting"],
            "description": "门诊常见病就诊人次与次均费用的季度统计。", "source_type": "self_generated",
            "source_description": "医院信息系统门诊记录聚合。", "update_frequency": "quarterly",
            "security_level": "general", "delivery_modes": ["file"], "price_mode": "one_off"},
        columns=DISEASE_COLUMNS, rows=32, evidence=("SRC-02", "SEC-01"),
        objection="该报告的部分数据来自本行员工团体体检合作项目，合作协议未约定对外交易，权属有待澄清。"),
]


@dataclass(frozen=True)
class TradeSpec:
    """A bank's access request for a listed demo product, taken as far as `target`."""

    product: str          # ProductSpec key
    offer: int            # index into that product's offers
    buyer: str            # e-mail of the requesting buyer
    target: str           # pending | awaiting_signatures | awaiting_payment | active
    request: dict


TRADES = [
    # The rural commercial bank subscribes to the power index for credit support: signed, paid by transfer, active.
    TradeSpec("power_credit", 1, "buyer@jmrcb.demo", "active", {
        "scenario": "credit_support", "purpose": "小微企业授信前核验经营活跃度（用电行为）",
        "legal_basis": "not_personal", "term_months": 12, "expected_volume": "约 3,000 家企业/年",
        "delivery_region": "domestic", "responsible_person": "谭家豪", "responsible_contact": "0750-3188001"}),
    # Another bank asks for the chenpi index for warehouse-receipt finance; the park has yet to decide.
    TradeSpec("chenpi_index", 0, "buyer@moumoubank.demo", "pending", {
        "scenario": "supply_chain_finance", "purpose": "陈皮仓单质押的货值评估",
        "legal_basis": "not_personal", "term_months": 12, "expected_volume": "每月查询约 200 次",
        "delivery_region": "domestic", "responsible_person": "区颖琪", "responsible_contact": "0750-3366002"}),
    # 闪电贷: the rural commercial bank checks applicants' payment records, each with the person's own consent.
    TradeSpec("si_flex_records", 0, "buyer@jmrcb.demo", "active", {
        "scenario": "credit_support", "purpose": "闪电贷：线上小额信用贷款授信前，经申请人本人同意核验其参保缴费情况",
        "legal_basis": "consent", "term_months": 12, "expected_volume": "每月约 1,500 次核验",
        "delivery_region": "domestic", "responsible_person": "谭家豪", "responsible_contact": "0750-3188001"}),
]


@dataclass(frozen=True)
class ReleaseSpec:
    """A release the product's broker publishes once (the loader skips a product that has any release)."""

    product: str          # ProductSpec key
    filename: str
    notes: str
    make: Callable[[], bytes]


RELEASES = [
    ReleaseSpec("si_flex_records", "flex-payment-records-2025-06.csv", "2025 年 6 月数据（演示：3,000 名参保人）",
                lambda: flex_release_csv(include=((CITIZEN_ID, "吴雅婷"),))),
]


@dataclass(frozen=True)
class ConsentSpec:
    """A bank asks a person, under its contract for `product`, for consent; left for the person to decide."""

    product: str          # ProductSpec key
    buyer: str            # e-mail of the asking buyer
    subject: str          # e-mail of the data subject
    categories: tuple[str, ...]
    retention_days: int
    purpose_text: str


CONSENTS = [
    ConsentSpec("si_flex_records", "buyer@jmrcb.demo", "subject@citizen.demo",
                ("姓名", "参保险种", "缴费月数", "最近缴费月份", "月缴费基数", "缴费状态"), 90,
                "申请江门农商银行“闪电贷”线上小额信用贷款时，核验您的社保参保缴费情况，用于授信审批。"),
]
