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
from marketplace.errors import ValidationFailed
from marketplace.extensions import db
from marketplace.lifecycle import StateChange
from marketplace.products.models import Evidence, Product, ProductVersion
from marketplace.registration import services as registration
from marketplace.registration.models import Certificate, Notice, Objection, Review

STATES = {"draft", "submitted", "in_review", "changes_requested", "rejected", "public_notice", "objection",
          "registered"}
COUNTED = (Organization, User, Product, ProductVersion, Evidence, Certificate, Notice, Objection, Review,
           StateChange, AuditEntry)


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

    contracts = list(db.session.scalars(select(Contract)))
    assert [(c.state, c.buyer.name_en) for c in contracts] == [("active", "Jiangmen Rural Commercial Bank")]
    assert contracts[0].amount_minor == 12_000_000 and contracts[0].fee_minor == 300_000
    states = sorted(db.session.scalars(select(AccessRequest.state)))
    assert states == ["approved", "pending"]
