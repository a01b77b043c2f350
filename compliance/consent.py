"""The notice a data subject reads before consenting (PIPL art. 17 and 23), as exact text with its hash, and the
personal data certificate a granted consent gives them.

Art. 23: before personal information goes to another handler, the person is told the recipient's name and
contact, the purpose, the method of processing and the categories, and gives separate consent. Art. 15: they
can withdraw as easily. The notice names all of it; the hash binds the consent to the exact words shown.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from compliance.vocabulary import SCENARIOS, label

METHODS = {
    "records_api": {"zh": "通过交易所接口逐次查询本人记录，交易所记录每一次查询",
                    "en": "read one record at a time through the exchange's interface; every read is logged"},
}


@dataclass(frozen=True)
class Notice:
    recipient: str
    recipient_en: str
    recipient_uscc: str
    recipient_contact: str
    provider: str
    provider_en: str
    product: str
    product_en: str
    purpose: str  # scenario code
    purpose_text: str
    categories: tuple[str, ...]
    method: str
    retention_days: int
    valid_until: str  # ISO date
    contract_number: str
    withdraw_url: str


def render(notice: Notice) -> str:
    """The exact notice, Chinese then English; what the subject sees is this text."""
    zh_categories, en_categories = "、".join(notice.categories), ", ".join(notice.categories)
    method = METHODS.get(notice.method, {"zh": notice.method, "en": notice.method})
    return (
        "个人信息单独同意告知书\n"
        f"接收方：{notice.recipient}（统一社会信用代码 {notice.recipient_uscc}）；"
        f"联系方式：{notice.recipient_contact}\n"
        f"提供方：{notice.provider}；数据产品：{notice.product}；合同编号：{notice.contract_number}\n"
        f"处理目的：{label(SCENARIOS, notice.purpose, 'zh')}（{notice.purpose_text}）\n"
        f"处理方式：{method['zh']}\n"
        f"个人信息种类：{zh_categories}\n"
        f"保存期限：接收方收到后保存不超过 {notice.retention_days} 日；本同意有效至 {notice.valid_until}\n"
        f"撤回方式：随时在 {notice.withdraw_url} 一键撤回；撤回后接收方不得再查询，并应删除已收到的信息。"
        "拒绝同意不影响您使用其他服务。\n"
        "\n"
        "Notice for separate consent to provide personal information\n"
        f"Recipient: {notice.recipient_en or notice.recipient} (USCC {notice.recipient_uscc}); "
        f"contact: {notice.recipient_contact}\n"
        f"Provider: {notice.provider_en or notice.provider}; data product: {notice.product_en or notice.product}; "
        f"contract {notice.contract_number}\n"
        f"Purpose: {label(SCENARIOS, notice.purpose, 'en')} ({notice.purpose_text})\n"
        f"Method: {method['en']}\n"
        f"Categories of personal information: {en_categories}\n"
        f"Retention: kept by the recipient for at most {notice.retention_days} days after receipt; this consent is "
        f"valid until {notice.valid_until}\n"
        f"Withdrawal: at any time, in one step, at {notice.withdraw_url}; the recipient may then read nothing more "
        "and must delete what it received. Refusing consent affects no other service.\n"
    )


def notice_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def mask_name(name: str) -> str:
    """A person's name as a public certificate shows it: the first character, the rest starred (王** / J***)."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""
