"""What the consent tests share: the subject's identity number and a consent asked or granted through the services."""

from __future__ import annotations

from compliance.identifiers import make_resident_id

SUBJECT_ID = make_resident_id("44070319900101123")
CATEGORIES = ["name", "paid_months"]


def asked(world, contract, categories=CATEGORIES, **overrides):
    from marketplace.consent import services

    return services.request_consent(**{"contract_id": contract.id, "id_number": SUBJECT_ID,
                                       "categories": list(categories), "retention_days": 30,
                                       "purpose_text": "小额信贷审批 / small-loan approval", "actor": world.buyer,
                                       **overrides})


def granted(world, contract, categories=CATEGORIES, **overrides):
    from marketplace.consent import services

    consent = asked(world, contract, categories, **overrides)
    return services.grant(consent.id, notice_hash=consent.notice_hash, actor=world.subject)
