"""The demo exchange's content: Jiangmen organisations, people, products, samples and evidence documents."""

from __future__ import annotations

import calendar
import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from compliance.identifiers import make_resident_id, make_uscc

# Districts and county-level cities of Jiangmen (GB/T 2260), used for coverage and for sample people.
JIANGMEN = "440700"
DISTRICTS = {"440703": "蓬江区", "440704": "江海区", "440705": "新会区", "440781": "台山市",
             "440783": "开平市", "440784": "鹤山市", "440785": "恩平市"}

# USCC bodies: registration authority (9 enterprise, 1 public institution, 3 judicial), kind, region, code.
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

# The demo citizen, a flexibly employed resident of Pengjiang district whose payment record is in the release.
CITIZEN_ID = make_resident_id("44070319880612452")

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


@dataclass(frozen=True)
class Col:
    """One column: its field-dictionary entry and how the sample fills it."""

    name: str
    type: str
    description: str
    make: Callable[[random.Random, int], object]
    pi: bool = False
    sensitive: bool = False


def field_dictionary(columns: list[Col]) -> list[dict]:
    return [dict(name=c.name, type=c.type, description=c.description, pi=c.pi, sensitive=c.sensitive)
            for c in columns]


def sample_csv(columns: list[Col], rows: int, seed: int) -> bytes:
    """A UTF-8 CSV whose header and value types follow the columns; the same seed gives the same bytes."""
    rng = random.Random(seed)  # nosec B311 # repeatable demo data from a seed, not a secret
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in columns])
    for i in range(rows):
        writer.writerow([c.make(rng, i) for c in columns])
    return out.getvalue().encode("utf-8")


SURNAMES = "陈李黄梁张吴林伍甄关谭区余冯赵"
GIVEN = "伟芳敏静强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲志文嘉颖"
MOBILE_PREFIXES = ("133", "135", "136", "137", "138", "139", "150", "152", "158", "159", "180", "186", "188")


def person_name(rng: random.Random, _i: int) -> str:
    return rng.choice(SURNAMES) + "*" + rng.choice(GIVEN)


def resident_id(rng: random.Random, i: int) -> str:
    body = (rng.choice(list(DISTRICTS)) + f"{rng.randint(1965, 2000)}{rng.randint(1, 12):02d}"
            f"{rng.randint(1, 28):02d}" + f"{(i * 37 + 11) % 1000:03d}")
    return make_resident_id(body)


def resident_id_partly_masked(rng: random.Random, i: int) -> str:
    """Every third ID is already masked at source; the rest are valid and must be caught by the scan."""
    value = resident_id(rng, i)
    return value[:6] + "*" * 8 + value[14:] if i % 3 == 2 else value


def mobile(rng: random.Random, _i: int) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randint(0, 99_999_999):08d}"


def enterprise_uscc(rng: random.Random, i: int) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    code = "".join(rng.choice(alphabet) for _ in range(6)) + alphabet[i % 31]
    return make_uscc("91" + rng.choice(list(DISTRICTS)) + "MA" + code)


def pick(*values: object) -> Callable[[random.Random, int], object]:
    return lambda rng, _i: rng.choice(values)


def month(year: int) -> Callable[[random.Random, int], str]:
    return lambda _rng, i: f"{year + i // 12}-{i % 12 + 1:02d}"


def day(year: int) -> Callable[[random.Random, int], str]:
    return lambda rng, _i: f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def integer(low: int, high: int) -> Callable[[random.Random, int], int]:
    return lambda rng, _i: rng.randint(low, high)


def decimal(low: float, high: float, places: int = 2) -> Callable[[random.Random, int], str]:
    return lambda rng, _i: f"{rng.uniform(low, high):.{places}f}"


def serial(prefix: str) -> Callable[[random.Random, int], str]:
    return lambda _rng, i: f"{prefix}{i + 1:05d}"


TOWNS = ("会城街道", "双水镇", "三江镇", "睦洲镇", "大鳌镇", "沙堆镇", "古井镇", "崖门镇", "大泽镇", "司前镇")
INSURANCES = ("企业职工基本养老保险", "城乡居民基本养老保险", "职工基本医疗保险", "失业保险", "工伤保险")
EMPLOYERS = ("江门市某某五金制品有限公司", "鹤山市某某纺织有限公司", "台山市某某水产有限公司", "个体工商户",
             "灵活就业", "开平市某某卫浴有限公司", "江门市某某摩托车配件厂")
INDUSTRIES = ("制造业", "批发和零售业", "住宿和餐饮业", "交通运输业", "农林牧渔业", "建筑业")

# --- products ------------------------------------------------------------------------------------------
CHENPI_INDEX_COLUMNS = [
    Col("溯源码", "string", "一物一码溯源编码", serial("XHCP-2023-")),
    Col("柑果产地", "string", "新会区镇街", pick(*TOWNS)),
    Col("采摘日期", "date", "柑果采摘日期", day(2016)),
    Col("陈化年限", "integer", "入仓陈化年数", integer(3, 15)),
    Col("等级", "string", "陈皮等级", pick("特级", "一级", "二级")),
    Col("收购价_元每斤", "decimal", "产地收购价（元/斤）", decimal(180, 2600)),
    Col("价格指数", "decimal", "新会陈皮价格指数（2019 年 = 100）", decimal(95, 168)),
    Col("检测合格", "boolean", "农残及黄曲霉毒素检测是否合格", pick("是", "是", "是", "否")),
]
POWER_INDEX_COLUMNS = [
    Col("enterprise_uscc", "string", "Enterprise unified social credit code", enterprise_uscc),
    Col("stat_month", "string", "Month (YYYY-MM)", month(2023)),
    Col("industry", "string", "Industry category", pick(*INDUSTRIES)),
    Col("kwh_total", "integer", "Electricity consumed in the month (kWh)", integer(12_000, 980_000)),
    Col("kwh_yoy_pct", "decimal", "Year-on-year change (%)", decimal(-35, 48, 1)),
    Col("arrears", "boolean", "Bill overdue at month end", pick("false", "false", "false", "true")),
    Col("power_index", "decimal", "Production activity index 0-100", decimal(20, 99, 1)),
    Col("stability_grade", "string", "Consumption stability grade", pick("A", "B", "C")),
]
POWER_LOAD_COLUMNS = [
    Col("园区", "string", "工业园区", pick("江门高新区", "鹤山工业城", "台山工业新城", "开平翠山湖新区")),
    Col("统计月份", "string", "YYYY-MM", month(2023)),
    Col("最大负荷_万千瓦", "decimal", "月最大负荷（万千瓦）", decimal(8, 95)),
    Col("平均负荷率", "decimal", "平均负荷率", decimal(0.45, 0.92, 3)),
    Col("峰谷差_万千瓦", "decimal", "峰谷差（万千瓦）", decimal(1, 30)),
]
POWER_OWNERS_COLUMNS = [
    Col("户号", "string", "用电户号", serial("JMYD")),
    # Resident IDs in a column the broker forgot to mark personal: the scan blocks submission.
    Col("户主证件号", "string", "户主证件号码", resident_id),
    Col("月用电量_千瓦时", "integer", "月用电量", integer(300, 9000)),
    Col("缴费日期", "date", "缴费日期", day(2024)),
]
SI_PAYMENT_COLUMNS = [
    Col("姓名", "string", "参保人姓名（脱敏）", person_name, pi=True),
    Col("身份证号", "string", "公民身份号码", resident_id_partly_masked, pi=True, sensitive=True),
    Col("手机号", "string", "预留手机号码", mobile, pi=True),
    Col("参保险种", "string", "险种", pick(*INSURANCES)),
    Col("参保单位", "string", "参保单位或身份", pick(*EMPLOYERS)),
    Col("缴费月份", "string", "YYYY-MM", month(2022)),
    Col("缴费基数_元", "decimal", "月缴费基数（元）", decimal(4588, 18000)),
    Col("个人缴费_元", "decimal", "个人缴费金额（元）", decimal(367, 1440)),
    Col("连续缴费月数", "integer", "截至当月连续缴费月数", integer(6, 240)),
    Col("缴费状态", "string", "正常 / 中断 / 补缴", pick("正常", "正常", "正常", "中断", "补缴")),
]
# One row per flexibly employed person: every cell relates to that person, so every field is personal; the ID
# number and the contribution base (which reveals income) are sensitive (PIPL art. 28, GB/T 35273 annex B).
FLEX_INSURANCES = ("企业职工基本养老保险", "职工基本医疗保险", "企业职工基本养老保险、职工基本医疗保险")
FLEX_STATES = ("正常缴费", "正常缴费", "正常缴费", "正常缴费", "暂停缴费", "补缴")
FLEX_LATEST_MONTHS = ("2025-06", "2025-05", "2025-04", "2025-03", "2024-12", "2024-09")


def full_name(rng: random.Random, _i: int) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def flex_resident_id(rng: random.Random, _i: int) -> str:
    """A Jiangmen resident ID of a working-age person: district, a real birth date 1965-2004, any sequence."""
    year, month = rng.randint(1965, 2004), rng.randint(1, 12)
    birth = f"{year}{month:02d}{rng.randint(1, calendar.monthrange(year, month)[1]):02d}"
    return make_resident_id(rng.choice(list(DISTRICTS)) + birth + f"{rng.randint(0, 999):03d}")


FLEX_COLUMNS = [
    Col("身份证号", "string", "公民身份号码（识别参保人；仅以密钥哈希保存，交付时脱敏）", flex_resident_id,
        pi=True, sensitive=True),
    Col("姓名", "string", "参保人姓名", full_name, pi=True),
    Col("参保险种", "string", "以灵活就业人员身份参保的险种", pick(*FLEX_INSURANCES), pi=True),
    Col("缴费月数", "integer", "累计实际缴费月数", integer(6, 240), pi=True),
    Col("最近缴费月份", "string", "最近一次缴费所属月份（YYYY-MM）", pick(*FLEX_LATEST_MONTHS), pi=True),
    Col("月缴费基数", "decimal", "月缴费基数（元），反映收入水平", decimal(4588, 27501), pi=True, sensitive=True),
    Col("缴费状态", "string", "正常缴费 / 暂停缴费 / 补缴", pick(*FLEX_STATES), pi=True),
]
FLEX_RELEASE_ROWS = 3000


def flex_release_csv(rows: int = FLEX_RELEASE_ROWS, *, seed: int = 20250701,
                     include: tuple[tuple[str, str], ...] = ()) -> bytes:
    """The published payment records: `rows` distinct people with valid Jiangmen resident IDs; the people in
    `include` ((id number, name)) are among them, spread through the file. Same arguments, same bytes."""
    rng = random.Random(seed)  # nosec B311 # repeatable demo data from a seed, not a secret
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in FLEX_COLUMNS])
    placed = {rows * (n + 1) // (len(include) + 1): person for n, person in enumerate(include)}
    seen = {id_number for id_number, _name in include}
    for i in range(rows):
        cells = [c.make(rng, i) for c in FLEX_COLUMNS]
        if i in placed:
            cells[0], cells[1] = placed[i]
        else:
            while cells[0] in seen:
                cells[0] = flex_resident_id(rng, i)
            seen.add(cells[0])
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")


SI_STATS_COLUMNS = [
    Col("统计月份", "string", "YYYY-MM", month(2022)),
    Col("区县", "string", "区县名称", pick(*DISTRICTS.values())),
    Col("行业门类", "string", "国民经济行业门类", pick(*INDUSTRIES)),
    Col("参保单位数", "integer", "参保单位数", integer(120, 9800)),
    Col("参保人数", "integer", "参保人数", integer(2000, 260_000)),
    Col("缴费总额_万元", "decimal", "当月缴费总额（万元）", decimal(80, 9000)),
]
SI_RAW_COLUMNS = [
    Col("姓名", "string", "姓名", person_name, pi=True),
    Col("身份证号", "string", "公民身份号码", resident_id, pi=True, sensitive=True),
    Col("手机号", "string", "手机号码", mobile, pi=True),
    Col("缴费月份", "string", "YYYY-MM", month(2023)),
    Col("缴费金额_元", "decimal", "缴费金额（元）", decimal(600, 1900)),
]
ADR_COLUMNS = [
    Col("报告编号", "string", "不良反应报告编号", serial("ADR-2024-")),
    Col("报告日期", "date", "报告日期", day(2024)),
    Col("药品通用名", "string", "药品通用名称",
        pick("阿莫西林", "头孢曲松", "左氧氟沙星", "阿司匹林", "二甲双胍", "布洛芬", "氯吡格雷", "甲氨蝶呤")),
    Col("不良反应名称", "string", "不良反应表现", pick("皮疹", "恶心呕吐", "头晕", "肝功能异常", "过敏性休克",
                                                "胃肠道出血")),
    Col("严重程度", "string", "一般 / 严重", pick("一般", "一般", "一般", "严重")),
    Col("年龄段", "string", "十岁一组的年龄段", pick("20-29", "30-39", "40-49", "50-59", "60-69", "70-79")),
    Col("性别", "string", "性别", pick("男", "女")),
    Col("转归", "string", "痊愈 / 好转 / 未好转", pick("痊愈", "好转", "好转", "未好转")),
]
DISEASE_COLUMNS = [
    Col("季度", "string", "YYYYQn", lambda _rng, i: f"{2023 + i // 16}Q{i // 4 % 4 + 1}"),
    Col("疾病编码", "string", "ICD-10 编码", lambda _rng, i: ("J06.9", "I10", "E11.9", "K29.7")[i % 4]),
    Col("疾病名称", "string", "疾病名称", lambda _rng, i: ("急性上呼吸道感染", "原发性高血压", "2 型糖尿病",
                                                     "慢性胃炎")[i % 4]),
    Col("就诊人次", "integer", "门诊就诊人次", integer(800, 26_000)),
    Col("平均费用_元", "decimal", "次均门诊费用（元）", decimal(95, 480)),
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
