"""The data-provision contract as versioned data: its clauses in zh-CN and English, the exact text both
parties sign, its hash, the usage terms as an ODRL policy, and the money arithmetic of price and fee.

The clauses follow the 2025 model data-provision contract's headings (DOMAIN.md §8). A template version is
never edited once contracts cite it: a change of wording is a new TEMPLATE_VERSION, and a contract keeps the
text it was generated with (the hash is over that exact text).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from compliance.vocabulary import DELIVERY_MODES, DELIVERY_REGIONS, LEGAL_BASES, RIGHTS, SCENARIOS, label

TEMPLATE_VERSION = "DPC-2026.1"
BASIS_POINTS = 10_000


def fee_minor(amount_minor: int, fee_bps: int) -> int:
    """The exchange's fee on an amount, in the same minor units, rounded half up (integers only, never floats)."""
    if amount_minor < 0 or fee_bps < 0:
        raise ValueError("amount and fee rate must not be negative")
    return (amount_minor * fee_bps + BASIS_POINTS // 2) // BASIS_POINTS


def contract_amount(pricing_mode: str, price_minor: int | None, billing_period: str, term_months: int) -> int:
    """What the buyer pays up front for the whole term; per-call offers are billed by usage instead."""
    if pricing_mode in ("free", "per_call"):
        return 0
    if price_minor is None:
        raise ValueError(f"a {pricing_mode} contract needs a price")
    if pricing_mode == "subscription":
        periods = term_months if billing_period == "month" else -(-term_months // 12)
        return price_minor * periods
    return price_minor


def format_money(amount_minor: int, currency: str) -> str:
    """1234550, "CNY" -> "12,345.50 CNY" (every currency the exchange takes has two decimals)."""
    return f"{Decimal(amount_minor).scaleb(-2):,.2f} {currency}"


@dataclass(frozen=True)
class Party:
    name: str
    name_en: str
    uscc: str


@dataclass(frozen=True)
class Terms:
    """Everything a contract's text and policy are made from, fixed when the request is approved."""

    number: str
    provider: Party
    buyer: Party
    exchange: Party
    product_id: int
    product_name: str
    product_name_en: str
    version_number: int
    certificate_number: str
    data_categories: tuple[str, ...]
    rights: tuple[str, ...]
    scenario: str
    purpose: str
    legal_basis: str
    delivery_modes: tuple[str, ...]
    delivery_region: str
    term_months: int
    pricing_mode: str
    billing_period: str
    price_minor: int | None
    amount_minor: int
    currency: str
    fee_bps: int
    fee_minor: int
    expected_volume: str
    responsible_person: str
    template_version: str = TEMPLATE_VERSION
    extra: dict = field(default_factory=dict)


def _price(terms: Terms, lang: str) -> str:
    zh = lang == "zh"
    if terms.pricing_mode == "free":
        return "免费" if zh else "free of charge"
    if terms.pricing_mode == "per_call":
        each = format_money(terms.price_minor or 0, terms.currency)
        return f"按次计费，每次调用 {each}，按月结算" if zh else f"{each} per call, settled monthly by metered usage"
    total = format_money(terms.amount_minor, terms.currency)
    if terms.pricing_mode == "subscription":
        each = format_money(terms.price_minor or 0, terms.currency)
        period = ("月" if terms.billing_period == "month" else "年") if zh else terms.billing_period
        return (f"订阅，每{period} {each}，合同期内合计 {total}，签署后一次付清" if zh
                else f"subscription at {each} per {period}, {total} for the term, paid in full after signing")
    return f"{total}，签署后一次付清" if zh else f"{total}, paid in full after signing"


def _values(terms: Terms, lang: str) -> dict[str, str]:
    zh = lang == "zh"
    sep = "、" if zh else ", "

    def name(party: Party) -> str:
        return party.name if zh or not party.name_en else party.name_en

    return {
        "number": terms.number,
        "provider": name(terms.provider), "provider_uscc": terms.provider.uscc,
        "buyer": name(terms.buyer), "buyer_uscc": terms.buyer.uscc,
        "exchange": name(terms.exchange),
        "product": terms.product_name if zh or not terms.product_name_en else terms.product_name_en,
        "version": str(terms.version_number),
        "certificate": terms.certificate_number,
        "categories": sep.join(terms.data_categories) or ("（无）" if zh else "(none)"),
        "rights": sep.join(label(RIGHTS, r, lang) for r in terms.rights),
        "scenario": label(SCENARIOS, terms.scenario, lang),
        "purpose": terms.purpose,
        "legal_basis": label(LEGAL_BASES, terms.legal_basis, lang),
        "delivery": sep.join(label(DELIVERY_MODES, m, lang) for m in terms.delivery_modes),
        "region": label(DELIVERY_REGIONS, terms.delivery_region, lang),
        "term": str(terms.term_months),
        "price": _price(terms, lang),
        "fee_rate": f"{Decimal(terms.fee_bps).scaleb(-2).normalize():f}%",
        "volume": terms.expected_volume or ("未说明" if zh else "not stated"),
        "responsible": terms.responsible_person,
    }


# (title zh, title en, body zh, body en); bodies are str.format templates over _values().
CLAUSES: tuple[tuple[str, str, str, str], ...] = (
    ("数据描述", "Data description",
     "提供方向需求方提供数据产品“{product}”（第 {version} 版，登记凭证编号 {certificate}），"
     "包含以下数据字段：{categories}。",
     "The provider supplies the data product \"{product}\" (version {version}, registration certificate "
     "{certificate}), holding these data fields: {categories}."),
    ("授予的权利", "Rights granted",
     "提供方授予需求方以下权利：{rights}，仅限本合同约定的用途和期限，不含所有权转移。",
     "The provider grants the buyer these rights: {rights}, only for the purpose and term of this contract; "
     "no ownership passes."),
    ("交付与验收", "Delivery and acceptance",
     "数据通过{exchange}以下列方式交付：{delivery}；交付地点：{region}。需求方应在每次交付后 5 个工作日内"
     "提出异议，逾期视为验收合格。预计使用量：{volume}。",
     "Data is delivered through {exchange} by: {delivery}; delivery location: {region}. The buyer raises any "
     "objection within 5 working days of each delivery, after which it is accepted. Expected volume: {volume}."),
    ("费用", "Fees",
     "费用：{price}。交易所按交易额的 {fee_rate} 向提供方收取服务费，从提供方应收款中扣除。",
     "Fees: {price}. The exchange charges the provider a service fee of {fee_rate} of the trade value, "
     "deducted from the provider's proceeds."),
    ("安全与保密", "Security and confidentiality",
     "双方按照《数据安全法》和约定的安全等级保护数据，采取访问控制、加密和日志审计措施，对对方的商业秘密保密。",
     "Both parties protect the data as the Data Security Law and its security level require, with access "
     "control, encryption and audit logging, and keep each other's business secrets confidential."),
    ("用途限定", "Purpose lock",
     "需求方仅可将数据用于：{scenario}（{purpose}），处理依据为：{legal_basis}。任何其他用途须另行订立合同。",
     "The buyer uses the data only for: {scenario} ({purpose}), on this legal basis: {legal_basis}. Any other "
     "purpose needs a new contract."),
    ("期限", "Term",
     "本合同自生效之日起 {term} 个月内有效；期满后交付自动停止。",
     "This contract runs for {term} months from the day it takes effect; delivery stops when it ends."),
    ("禁止转让与重新识别", "No onward transfer or re-identification",
     "需求方不得向任何第三方提供、转让或转授权数据，不得尝试重新识别已去标识化的个人。",
     "The buyer shall not provide, transfer or sublicense the data to any third party, nor attempt to "
     "re-identify any de-identified person."),
    ("审计", "Audit",
     "{exchange}记录每一次交付和访问；提供方和交易所有权审计需求方对数据的使用，需求方应予配合。",
     "{exchange} records every delivery and access; the provider and the exchange may audit the buyer's use of "
     "the data, and the buyer cooperates."),
    ("期满删除", "Deletion at end",
     "合同期满或终止后 30 日内，需求方应删除全部数据及其副本，并向提供方出具删除证明。",
     "Within 30 days of the contract ending or being terminated, the buyer deletes all the data and its copies "
     "and gives the provider a certificate of deletion."),
    ("违约责任", "Liability",
     "任何一方违反本合同，应赔偿对方因此遭受的直接损失；需求方超出用途或转让数据的，提供方可立即终止合同。",
     "A party in breach compensates the other's direct losses; if the buyer exceeds the purpose or transfers the "
     "data, the provider may terminate the contract at once."),
    ("争议解决", "Disputes",
     "因本合同产生的争议，双方协商解决；协商不成的，提交{exchange}所在地人民法院诉讼解决。合同责任人：{responsible}。",
     "Disputes under this contract are settled by negotiation, failing which by the people's court where "
     "{exchange} sits. Person responsible: {responsible}."),
)


def render(terms: Terms, lang: str) -> str:
    """The contract text in one language ("zh" or "en")."""
    values = _values(terms, lang)
    zh = lang == "zh"
    head = (f"数据提供合同 {terms.number}（模板 {terms.template_version}）\n"
            f"提供方：{values['provider']}（统一社会信用代码 {terms.provider.uscc}）\n"
            f"需求方：{values['buyer']}（统一社会信用代码 {terms.buyer.uscc}）\n"
            f"见证方：{values['exchange']}\n" if zh else
            f"Data provision contract {terms.number} (template {terms.template_version})\n"
            f"Provider: {values['provider']} (USCC {terms.provider.uscc})\n"
            f"Buyer: {values['buyer']} (USCC {terms.buyer.uscc})\n"
            f"Witness: {values['exchange']}\n")
    body = []
    for i, (title_zh, title_en, text_zh, text_en) in enumerate(CLAUSES, start=1):
        title, text = (title_zh, text_zh) if zh else (title_en, text_en)
        heading = f"第{i}条 {title}" if zh else f"{i}. {title}"
        body.append(f"{heading}\n{text.format_map(values)}")
    return head + "\n" + "\n\n".join(body) + "\n"


def canonical_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def document(terms: Terms, policy: dict) -> str:
    """The exact text both parties sign: the Chinese text, the English text, and the ODRL policy as an annex.

    The Chinese text governs; the annex is the machine-readable form of the same usage terms."""
    return (render(terms, "zh") + "\n----\n" + render(terms, "en")
            + "\n----\nAnnex / 附件: ODRL policy\n" + canonical_json(policy) + "\n")


def document_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def odrl_policy(terms: Terms, base_iri: str) -> dict:
    """The usage terms as an ODRL 2.2 Agreement (JSON-LD): use for the purpose, in the region, within the
    term; no distribution; delete at the end; pay the agreed amount."""
    base = base_iri.rstrip("/")
    constraints = [
        {"leftOperand": "purpose", "operator": "eq", "rightOperand": terms.scenario},
        {"leftOperand": "elapsedTime", "operator": "lteq",
         "rightOperand": {"@value": f"P{terms.term_months}M", "@type": "xsd:duration"}},
    ]
    if terms.delivery_region == "domestic":
        constraints.append({"leftOperand": "spatial", "operator": "eq", "rightOperand": "CN"})
    duties = [{"action": "delete", "constraint": [
        {"leftOperand": "elapsedTime", "operator": "lteq",
         "rightOperand": {"@value": f"P{terms.term_months}M30D", "@type": "xsd:duration"}}]}]
    if terms.amount_minor or terms.pricing_mode == "per_call":
        amount = terms.amount_minor if terms.pricing_mode != "per_call" else terms.price_minor or 0
        duties.append({"action": "compensate", "constraint": [
            {"leftOperand": "payAmount", "operator": "eq",
             "rightOperand": {"@value": f"{Decimal(amount).scaleb(-2):.2f}", "@type": "xsd:decimal"},
             "unit": f"http://dbpedia.org/resource/{terms.currency}"}]})
    return {
        "@context": ["http://www.w3.org/ns/odrl.jsonld", {"xsd": "http://www.w3.org/2001/XMLSchema#"}],
        "@type": "Agreement",
        "uid": f"{base}/contracts/{terms.number}#policy",
        "profile": f"{base}/odrl-profile",
        "assigner": {"@type": "Party", "uid": f"urn:uscc:{terms.provider.uscc}"},
        "assignee": {"@type": "Party", "uid": f"urn:uscc:{terms.buyer.uscc}"},
        "target": f"{base}/catalog/{terms.product_id}",
        "permission": [{"action": "use", "constraint": constraints, "duty": duties}],
        "prohibition": [{"action": "distribute"}, {"action": "transfer"},
                        {"action": "sell"}, {"action": f"{base}/odrl-profile#reidentify"}],
    }


def terms_dict(terms: Terms) -> dict:
    """Terms as plain JSON data (stored with the contract, so its text can be regenerated and checked)."""
    data = asdict(terms)
    for key in ("data_categories", "rights", "delivery_modes"):
        data[key] = list(data[key])
    return data


def terms_from_dict(data: dict) -> Terms:
    values = dict(data)
    for key in ("provider", "buyer", "exchange"):
        values[key] = Party(**values[key])
    for key in ("data_categories", "rights", "delivery_modes"):
        values[key] = tuple(values[key])
    return Terms(**values)

