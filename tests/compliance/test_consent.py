"""The consent notice: every element PIPL art. 17 and 23 asks for is in the exact text, in both languages, and the
hash binds a consent to those words."""

from __future__ import annotations

from dataclasses import replace

from compliance.consent import Notice, mask_name, notice_hash, render

NOTICE = Notice(
    recipient="江门农商银行", recipient_en="Jiangmen Rural Commercial Bank", recipient_uscc="91440700MA0000001X",
    recipient_contact="王敏 wang@bank.test", provider="江门社保数据", provider_en="Jiangmen social insurance data",
    product="居民缴费记录", product_en="Residents' payment records", purpose="credit_support",
    purpose_text="小额信贷审批", categories=("name", "paid_months"), method="records_api", retention_days=30,
    valid_until="2027-06-30", contract_number="JMDE-C-2026-000001", withdraw_url="https://x.test/my/data")


def test_the_notice_names_everything_the_person_must_be_told():
    text = render(NOTICE)
    for part in ("江门农商银行", "Jiangmen Rural Commercial Bank", "91440700MA0000001X", "王敏 wang@bank.test",
                 "小额信贷审批", "name、paid_months", "name, paid_months", "30", "2027-06-30",
                 "https://x.test/my/data", "JMDE-C-2026-000001", "单独同意", "separate consent"):
        assert part in text
    assert text.index("个人信息单独同意告知书") < text.index("Notice for separate consent")


def test_the_hash_changes_with_any_word():
    text = render(NOTICE)
    assert notice_hash(text) == notice_hash(render(NOTICE)) and len(notice_hash(text)) == 64
    assert notice_hash(render(replace(NOTICE, retention_days=31))) != notice_hash(text)
    assert notice_hash(render(replace(NOTICE, categories=("name",)))) != notice_hash(text)


def test_names_are_masked_on_public_certificates():
    assert mask_name("王小明") == "王**"
    assert mask_name("Li") == "L*"
    assert mask_name("王") == "王*"
    assert mask_name("  ") == ""
