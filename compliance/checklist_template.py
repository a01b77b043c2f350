"""The compliance checklist as versioned data: items, their applicability rules and the default template."""

from __future__ import annotations

from dataclasses import dataclass, field

from compliance.facts import FACT_NAMES
from compliance.rules import Rule, validate_rule
from compliance.vocabulary import CREDIT_SCENARIOS

KINDS = ("auto", "mixed", "human")
ALWAYS = {"zh": "始终适用", "en": "always"}


@dataclass(frozen=True)
class ChecklistItem:
    """One checklist item; `when` is None for an item that always applies."""

    code: str
    title: dict[str, str]
    evidence: dict[str, str]
    # The legal or rulebook citation, as each language cites it.
    basis: dict[str, str]
    kind: str
    when: Rule | None = None
    # An automatic "fail" of a blocking item stops the broker from submitting.
    blocking: bool = False
    when_text: dict[str, str] = field(default_factory=lambda: dict(ALWAYS))


@dataclass(frozen=True)
class Template:
    """A version of the checklist; items keep their order, which is the order reviewers see."""

    version: str
    items: tuple[ChecklistItem, ...]

    def __post_init__(self) -> None:
        # Checked when a template is built, so a mistyped rule fails at load rather than mid-review.
        codes = [i.code for i in self.items]
        if len(codes) != len(set(codes)):
            raise ValueError(f"template {self.version}: duplicate item codes")
        for item in self.items:
            if item.kind not in KINDS:
                raise ValueError(f"{item.code}: kind {item.kind!r} is not one of {KINDS}")
            if item.when is not None:
                validate_rule(item.when, FACT_NAMES)

    def item(self, code: str) -> ChecklistItem:
        """The item with `code`; KeyError when this version has none."""
        for candidate in self.items:
            if candidate.code == code:
                return candidate
        raise KeyError(code)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.items)


def _item(
    code: str,
    kind: str,
    title: tuple[str, str],
    evidence: tuple[str, str],
    basis: tuple[str, str],
    *,
    when: Rule | None = None,
    when_text: tuple[str, str] | None = None,
    blocking: bool = False,
) -> ChecklistItem:
    return ChecklistItem(
        code=code,
        title={"zh": title[0], "en": title[1]},
        evidence={"zh": evidence[0], "en": evidence[1]},
        basis={"zh": basis[0], "en": basis[1]},
        kind=kind,
        when=when,
        blocking=blocking,
        when_text={"zh": when_text[0], "en": when_text[1]} if when_text else dict(ALWAYS),
    )


_HOLDS_PI = {"field": "holds_pi", "eq": True}
_HOLDS_PI_TEXT = ("产品含有个人信息", "the product holds personal information")

DEFAULT_TEMPLATE = Template(
    version="2026.1",
    items=(
        _item(
            "ENT-01",
            "mixed",
            ("提供方为依法设立的主体", "Provider is a lawful entity"),
            ("营业执照、统一社会信用代码（校验通过）", "Business licence, USCC (checksum-valid)"),
            ("上海数据交易所相关指引（主体合规）；大连数据交易规则", "SDE guideline (主体合规); Dalian rules"),
        ),
        _item(
            "ENT-02",
            "mixed",
            ("近三年无数据相关违法违规记录", "No record of data-related violations in 3 years"),
            ("签署的承诺书", "Signed commitment"),
            ("大连数据交易规则", "Dalian rules"),
        ),
        _item(
            "ENT-03",
            "human",
            ("已建立数据安全管理制度", "Data-security management in place"),
            ("管理制度、责任人、等级保护备案", "Policies, responsible person, 等保 (MLPS) filing"),
            ("《数据安全法》第四章；上海数据交易所相关指引", "DSL ch. 4; SDE guideline"),
        ),
        _item(
            "SRC-01",
            "mixed",
            ("已说明每个数据集的来源", "Source of every dataset described"),
            ("来源类型及说明", "Source type and description"),
            ("《数据安全法》第三十三条", "DSL art. 33"),
        ),
        _item(
            "SRC-02",
            "auto",
            ("已签署数据来源合法性承诺", "Source-legality commitment signed"),
            ("承诺书", "Commitment document"),
            ("大连数据交易规则第六条", "Dalian art. 6"),
            blocking=True,
        ),
        _item(
            "SRC-03",
            "human",
            ("授权链条完整", "Authorization chain complete"),
            ("上游许可、授权同意记录", "Upstream licences, consents"),
            ("《数据安全法》第三十二条；深圳数据交易所不予登记情形", "DSL art. 32; Shenzhen refusal grounds"),
            when={"field": "source_type", "ne": "self_generated"},
            when_text=("数据来源不是自行生产", "the data source is not self-generated"),
        ),
        _item(
            "SRC-04",
            "human",
            ("公开采集（爬取）数据已审查", "Publicly collected (crawled) data reviewed"),
            ("采集范围、robots 协议遵守情况", "Crawl scope, robots compliance"),
            ("律师事务所合规指引", "law-firm guidance"),
            when={"field": "source_type", "eq": "public_collection"},
            when_text=("数据来源为公开采集", "the data source is public collection"),
        ),
        _item(
            "SRC-05",
            "mixed",
            ("具备公共数据授权运营依据", "Public-data authorized-operation basis"),
            ("授权运营协议", "Authorized-operation agreement"),
            (
                "《公共数据资源登记管理暂行办法》（2025）",
                "Interim Measures for Public Data Resource Registration (公共数据资源登记管理暂行办法, 2025)",
            ),
            when={"field": "source_type", "eq": "public_data"},
            when_text=(
                "数据来源为公共数据授权运营",
                "the data source is public data under authorized operation",
            ),
        ),
        _item(
            "SRC-06",
            "mixed",
            ("无未解决的权属争议", "No unresolved ownership dispute"),
            ("权属声明；公示期无异议", "Ownership statement; clean public notice"),
            ("深圳数据交易所不予登记情形", "Shenzhen refusal grounds"),
        ),
        _item(
            "PI-01",
            "auto",
            ("样例已完成个人信息扫描", "Sample scanned for personal information"),
            ("样例文件", "Sample file"),
            (
                "《个人信息保护法》第四条；GB 11643-1999《公民身份号码》（校验码）",
                "PIPL art. 4; GB 11643 (ID checksum)",
            ),
            blocking=True,
        ),
        _item(
            "PI-02",
            "mixed",
            ("已识别敏感个人信息", "Sensitive personal information identified"),
            ("标注个人信息及敏感个人信息的字段字典", "Field dictionary with PI / sensitive flags"),
            (
                "《个人信息保护法》第二十八条（金融账户、医疗健康、生物识别、行踪轨迹、不满十四周岁未成年人的个人信息）",
                "PIPL art. 28 (financial accounts, health, biometrics, location, minors)",
            ),
            when=_HOLDS_PI,
            when_text=_HOLDS_PI_TEXT,
        ),
        _item(
            "PI-03",
            "mixed",
            (
                "向特定接收方提供个人信息已取得单独同意",
                "Separate consent for providing PI to a named recipient",
            ),
            ("同意文本、同意记录", "Consent text, consent records"),
            ("《个人信息保护法》第二十三条、第二十九条", "PIPL art. 23, 29"),
            when=_HOLDS_PI,
            when_text=_HOLDS_PI_TEXT,
        ),
        _item(
            "PI-04",
            "mixed",
            ("去标识化充分", "De-identification adequate"),
            (
                "去标识化方法；样例的重识别风险（唯一性）",
                "Method; re-identification risk on the sample (uniqueness)",
            ),
            (
                "《深圳市数据交易管理暂行办法》；GB/T 37964-2019《信息安全技术 个人信息去标识化指南》",
                "Shenzhen measures; GB/T 37964",
            ),
            when={"field": "deidentified", "eq": True},
            when_text=("产品声明已去标识化", "the product claims to be de-identified"),
        ),
        _item(
            "PI-05",
            "human",
            ("已开展个人信息保护影响评估", "PI protection impact assessment done"),
            ("个人信息保护影响评估报告", "PIA report"),
            (
                "《个人信息保护法》第五十五条；GB/T 39335-2020《信息安全技术 个人信息安全影响评估指南》",
                "PIPL art. 55; GB/T 39335",
            ),
            when=_HOLDS_PI,
            when_text=_HOLDS_PI_TEXT,
        ),
        _item(
            "CLS-01",
            "mixed",
            ("已申报分类分级", "Classification and grading declared"),
            ("级别（一般、重要、核心）；行业领域", "Level: general / important / core; sector"),
            (
                "《数据安全法》第二十一条；GB/T 43697-2024《数据安全技术 数据分类分级规则》",
                "DSL art. 21; GB/T 43697-2024",
            ),
        ),
        _item(
            "CLS-02",
            "auto",
            ("不含核心数据", "Core data excluded"),
            ("声明", "Statement"),
            (
                "GB/T 43697-2024《数据安全技术 数据分类分级规则》；深圳数据交易所不予登记情形",
                "GB/T 43697; Shenzhen refusal grounds",
            ),
            blocking=True,
        ),
        _item(
            "CLS-03",
            "mixed",
            ("已对照目录识别重要数据", "Important data identified against catalogues"),
            ("声明", "Statement"),
            ("GB/T 43697-2024《数据安全技术 数据分类分级规则》附录G", "GB/T 43697 annex G"),
        ),
        _item(
            "CLS-04",
            "human",
            ("已开展重要数据风险评估", "Important-data risk assessment"),
            ("年度风险评估报告", "Annual risk-assessment report"),
            ("《数据安全法》第三十条", "DSL art. 30"),
            when={"field": "security_level", "eq": "important"},
            when_text=("数据级别为重要数据", "the security level is important"),
        ),
        _item(
            "XB-01",
            "mixed",
            ("符合数据出境规则", "Cross-border transfer rules met"),
            ("买方所在地、个人信息规模", "Buyer location, PI volume"),
            (
                "《促进和规范数据跨境流动规定》（2024）：累计向境外提供100万人以上个人信息或1万人以上敏感个人信息的，"
                "申报数据出境安全评估；10万人以上、不满100万人的，订立个人信息出境标准合同或通过个人信息保护认证；"
                "《个人信息保护法》第三十九条",
                "Provisions on Promoting and Regulating Cross-Border Data Flows (促进和规范数据跨境流动规定, 2024): "
                "security assessment ≥1,000,000 persons' PI or ≥10,000 sensitive; standard contract or "
                "certification 100,000–1,000,000; PIPL art. 39",
            ),
            when={"field": "cross_border_allowed", "eq": True},
            when_text=("允许向境外交付", "delivery abroad is allowed"),
        ),
        _item(
            "USE-01",
            "human",
            ("已说明应用场景", "Use scenarios stated"),
            ("场景清单及目标买方类型", "Scenario list and intended buyer types"),
            ("广州数据交易所原则（无场景不登记）；“数据二十条”", "GZDE principle; 数据二十条"),
        ),
        _item(
            "USE-02",
            "auto",
            ("产品说明、字段字典与样例一致", "Product description, field dictionary and sample agree"),
            ("数据说明书、字段字典、样例", "Product description (说明书), schema, sample"),
            ("上海数据交易所数据产品说明书", "SDE 数据说明书"),
            blocking=True,
        ),
        _item(
            "USE-03",
            "auto",
            ("接口可访问", "API reachable"),
            ("接口地址及测试调用结果", "Endpoint and test call result"),
            ("北部湾大数据交易中心指引", "Beibu Gulf guide"),
            when={"field": "delivery_modes", "contains": "api"},
            when_text=("交付方式包含接口调用", "delivery includes API calls"),
        ),
        _item(
            "QLT-01",
            "mixed",
            ("已度量数据质量", "Data quality measured"),
            ("样例的空值率、重复率、时效性", "Null rate, duplicates, freshness on the sample"),
            ("数据交易所通行做法", "exchange practice"),
        ),
        _item(
            "LEG-01",
            "human",
            ("第三方合规评估或法律意见书", "Third-party compliance assessment / legal opinion"),
            ("律师事务所出具的报告", "Report from a law firm"),
            (
                "上海数据交易所双重审核（律师事务所合规评估、交易所审核）；大连数据交易规则第五条；"
                "DB4403/T 564-2024（深圳市地方标准）",
                "SDE double vetting; Dalian art. 5; DB4403/T 564-2024",
            ),
        ),
        _item(
            "LEG-02",
            "human",
            ("使用要求及合同草案", "Usage requirements and draft contract"),
            ("使用限制、合同样本", "Usage restrictions, contract sample"),
            ("大连数据交易规则第六条", "Dalian art. 6"),
        ),
        _item(
            "LEG-03",
            "mixed",
            ("不属于禁止交易目录", "Not on the prohibited-trading list"),
            ("无需提交", "None"),
            ("广东省数据流通交易相关管理办法（征求意见稿）", "Guangdong draft measures"),
        ),
        _item(
            "FIN-01",
            "human",
            ("遵守征信业务边界", "Credit-reporting boundary respected"),
            ("买方是否用于评价信用状况", "Whether buyers use it to judge creditworthiness"),
            (
                "《征信业务管理办法》（中国人民银行，2021）",
                "PBoC Measures for Credit Reporting Business (征信业务管理办法, 2021)",
            ),
            when={"field": "scenarios", "intersects": sorted(CREDIT_SCENARIOS)},
            when_text=("应用场景包含信贷类场景", "the use scenarios include a credit scenario"),
        ),
        _item(
            "SEC-01",
            "human",
            ("符合行业监管规则（医疗、金融等）", "Sector rules (health, finance…)"),
            ("行业主管部门审批", "Sector approvals"),
            ("GB/T 39725-2020《信息安全技术 健康医疗数据安全指南》", "GB/T 39725 (health data)"),
            when={"field": "sector", "in": ["health", "finance"]},
            when_text=("行业领域为医疗健康或金融", "the sector is health or finance"),
        ),
        _item(
            "PRC-01",
            "mixed",
            ("定价合法", "Pricing lawful"),
            ("定价方式；公共数据的指导价", "Price mode; guide price for public data"),
            ("“数据二十条”", "数据二十条"),
        ),
    ),
)
