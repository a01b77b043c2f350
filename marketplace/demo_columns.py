"""The demo's generated content: Jiangmen places, synthetic people and enterprises, and the columns (with their
value generators) of every demo product's sample and releases. Deterministic: the same seed, the same bytes."""

from __future__ import annotations

import calendar
import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass

from compliance.identifiers import make_resident_id, make_uscc

# Districts and county-level cities of Jiangmen (GB/T 2260), used for coverage and for sample people.
JIANGMEN = "440700"
DISTRICTS = {"440703": "蓬江区", "440704": "江海区", "440705": "新会区", "440781": "台山市",
             "440783": "开平市", "440784": "鹤山市", "440785": "恩平市"}

# USCC bodies: registration authority (9 enterprise, 1 public institution, 3 judicial), kind, region, code.

# The demo citizen, a flexibly employed resident of Pengjiang district whose payment record is in the release.
CITIZEN_ID = make_resident_id("44070319880612452")


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
