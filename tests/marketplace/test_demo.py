"""The demo exchange: every lifecycle state present, certificates issued, idempotent, generated passwords."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace import demo
from marketplace.accounts import services as accounts
from marketplace.accounts.models import Organization, User
from marketplace.audit import AuditEntry, verify_chain
from marketplace.consent.models import Consent
from marketplace.delivery.models import Release, ReleaseRow
from marketplace.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.lifecycle import StateChange
from marketplace.products.models import Evidence, Product, ProductVersion
from marketplace.registration import services as registration
from marketplace.registration.models import Certificate, Notice, Objection, Review

STATES = {"draft", "submitted", "in_review", "changes_requested", "rejected", "public_notice", "objection",
          "registered"}
COUNTED = (Organization, User, Product, ProductVersion, Evidence, Certificate, Notice, Objection, Review,
           StateChange, AuditEntry, Release, ReleaseRow, Consent)


@pytest.fixture
def loaded(app, tmp_path, monkeypatch):
    # The accounts file goes to the instance folder: keep it inside this test's directory.
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    return demo.load()


def _counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def _product(name: str) -> Product:
    return db.session.scalar(select(Product).join(ProductVersion).where(ProductVersion.name == name).limit(1))


def test_every_version_state_is_present(loaded):
    states = set(db.session.scalars(select(ProductVersion.state)))
    assert STATES <= states
    assert set(loaded["existing"]["versions_by_state"]) == states


def test_registered_products_hold_valid_certificates(loaded):
    registered = list(db.session.scalars(select(ProductVersion).where(ProductVersion.state == "registered")))
    assert len(registered) >= 3
    for version in registered:
        certificate = db.session.scalar(select(Certificate).where(Certificate.version_id == version.id))
        assert certificate is not None and certificate.status == "valid"
        assert certificate.holder_uscc == version.product.organization.uscc
    assert sorted(loaded["certificates"]) == sorted(db.session.scalars(select(Certificate.number)))


def test_a_registered_product_has_a_second_version_in_draft(loaded):
    product = _product("新会陈皮产业溯源与价格指数数据集")
    assert [(v.number, v.state) for v in product.versions] == [(1, "registered"), (2, "draft")]
    assert product.registered.number == 1


def test_the_blocking_draft_cannot_be_submitted(loaded):
    product = _product("小微企业主用电缴费明细")
    broker = accounts.user_by_email("broker@power.demo")
    with pytest.raises(ValidationFailed, match="居民身份证号码"):  # outside a request: zh_CN
        registration.submit_product(product.id, actor=broker)
    assert product.latest.state == "draft"


def test_open_notices_end_in_the_future_and_the_objection_is_a_banks(loaded):
    from marketplace.types import utcnow

    notices = list(db.session.scalars(select(Notice).where(Notice.state == "open")))
    assert len(notices) == 2 and all(n.ends_at > utcnow() for n in notices)
    objection = db.session.scalar(select(Objection))
    assert objection.state == "open" and objection.raised_by.role == "buyer"


def test_no_reviewer_decided_their_own_organisations_product(loaded):
    for review in db.session.scalars(select(Review).where(Review.reviewer_id.is_not(None))):
        assert review.reviewer.role == "reviewer"
        assert review.reviewer.org_id != review.version.product.org_id
        for item in review.items:
            if item.decided_by is not None:
                assert item.decided_by.org_id != review.version.product.org_id


def test_one_application_waits_for_the_admin(loaded):
    pending = list(db.session.scalars(select(Organization).where(Organization.state == "applied")))
    assert [org.kind for org in pending] == ["provider"]


def test_generated_passwords_are_unique_and_sign_in(loaded):
    created = loaded["accounts"]
    assert len(created) == loaded["created"]["users"] == db.session.scalar(select(func.count(User.id)))
    passwords = [account["password"] for account in created]
    assert len(set(passwords)) == len(passwords)
    assert all(len(password) >= 12 for password in passwords)
    for account in created:
        user = accounts.authenticate(account["email"], account["password"])
        org_state = user.organization.state if user and user.organization else None
        if account["email"] == "broker@wuyitour.demo":
            assert user is None  # the applicant signs in once the admin approves the organisation
        else:
            assert user is not None and org_state in (None, "approved")


def test_a_second_run_by_the_cli_creates_nothing_and_keeps_the_accounts_file(loaded, app):
    before = _counts()
    path = Path(loaded["accounts_file"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first_listing = path.read_text(encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["demo", "load"])  # the second run goes through the CLI
    assert result.exit_code == 0, result.output
    again = json.loads(result.output)

    assert _counts() == before
    assert set(again["created"].values()) == {0}
    assert again["accounts"] == []
    assert again["existing"] == loaded["existing"]
    assert path.read_text(encoding="utf-8") == first_listing
    for account in loaded["accounts"]:
        assert f"{account['email']}\t" in first_listing and account["password"] in first_listing
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_audit_chain_verifies(loaded):
    report = verify_chain()
    assert report.ok, report.problem
    assert report.entries == db.session.scalar(select(func.count()).select_from(AuditEntry))


def test_demo_trades_a_paid_contract_and_a_pending_request(loaded):
    from marketplace.trading.models import AccessRequest, Contract

    contracts = list(db.session.scalars(select(Contract).order_by(Contract.id)))
    assert [(c.state, c.buyer.name_en) for c in contracts] == [("active", "Jiangmen Rural Commercial Bank")] * 2
    assert contracts[0].amount_minor == 12_000_000 and contracts[0].fee_minor == 300_000
    states = sorted(db.session.scalars(select(AccessRequest.state)))
    assert states == ["approved", "approved", "pending"]


FLASH_LOAN_PRODUCT = "灵活就业人员参保缴费记录（个人授权核验）"


def test_the_flash_loan_product_is_listed_and_its_release_holds_3000_people_with_the_citizen(loaded):
    from marketplace.catalog.models import Listing
    from marketplace.delivery import rows
    from marketplace.demo_data import CITIZEN_ID

    product = _product(FLASH_LOAN_PRODUCT)
    version = product.registered
    assert version is not None and product.organization.name == "江门市公共数据运营有限公司"
    assert (version.sector, version.scenarios, version.holds_pi, version.delivery_modes) == (
        "social_security", ["credit_support"], True, ["api"])
    flags = {f["name"]: (f["pi"], f["sensitive"]) for f in version.field_dictionary}
    assert flags["身份证号"] == (True, True) and flags["月缴费基数"] == (True, True) and flags["姓名"] == (True, False)
    listing = db.session.scalar(select(Listing).where(Listing.product_id == product.id))
    assert listing.state == "listed"
    assert [(o.pricing_mode, o.price_minor, o.term_months) for o in listing.offers] == [("per_call", 100, 12)]

    # Its release: 3,000 distinct people, the demo citizen among them, ID numbers kept only as keyed hashes.
    assert loaded["created"]["releases"] == 1
    release = db.session.scalars(select(Release).where(Release.product_id == product.id)).one()
    assert (release.state, release.subject_column, release.rows_loaded) == ("published", "身份证号", 3000)
    hashes = list(db.session.scalars(select(ReleaseRow.subject_hash).where(ReleaseRow.release_id == release.id)))
    assert len(hashes) == len(set(hashes)) == 3000
    row = rows.subject_row(release, accounts.id_number_hash(CITIZEN_ID))
    assert row is not None and row.data["姓名"] == "吴雅婷" and "身份证号" not in row.data


def test_the_bank_holds_an_active_contract_and_the_citizen_a_pending_request(loaded):
    from marketplace.trading.models import Contract

    product = _product(FLASH_LOAN_PRODUCT)
    contract = db.session.scalar(select(Contract).where(Contract.product_id == product.id))
    assert (contract.state, contract.buyer.uscc, contract.pricing_mode) == (
        "active", accounts.user_by_email("buyer@jmrcb.demo").organization.uscc, "per_call")
    assert contract.request.scenario == "credit_support" and "闪电贷" in contract.request.purpose
    consent = db.session.scalars(select(Consent)).one()
    citizen = accounts.user_by_email("subject@citizen.demo")
    assert (consent.state, consent.subject_user_id, consent.contract_id) == ("requested", citizen.id, contract.id)
    assert "身份证号" not in consent.categories and "缴费月数" in consent.categories
    assert "江门农商银行" in consent.notice_text and loaded["created"]["consent_requests"] == 1

    # Once the citizen grants, the bank reads their record under the contract's purpose.
    from marketplace.consent import services as consents
    from marketplace.delivery import queries
    from marketplace.demo_data import CITIZEN_ID

    consents.grant(consent.id, notice_hash=consent.notice_hash, actor=citizen)
    bank = accounts.user_by_email("buyer@jmrcb.demo")
    answer = queries.get_record(contract.id, subject=CITIZEN_ID, purpose="credit_support", fields=None, actor=bank)
    assert answer["record"]["姓名"] == "吴雅婷" and set(answer["record"]) == set(consent.categories)

