"""The demo exchange: organisations, people and products in every lifecycle state, built through the services.

Everything is keyed by USCC, e-mail or product name within its organisation, so a second run creates
nothing and reports what exists. Passwords are generated; those of accounts created in a run are
returned and merged into `instance/demo-accounts.txt` (mode 600), which keeps earlier ones listed.
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, has_request_context
from sqlalchemy import func, select

from marketplace import demo_data as data
from marketplace.accounts import services as accounts
from marketplace.accounts.models import Organization, User
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Listing
from marketplace.catalog.schemas import OfferInSchema
from marketplace.consent import services as consents
from marketplace.consent.models import Consent
from marketplace.delivery import services as delivery
from marketplace.delivery.models import Release
from marketplace.extensions import db
from marketplace.payments import services as payments
from marketplace.products import services as products
from marketplace.products.models import Product, ProductVersion
from marketplace.products.schemas import ProductDraftSchema
from marketplace.products.states import VersionState
from marketplace.registration import services as registration
from marketplace.registration.models import Certificate, Notice, Review
from marketplace.registration.states import NoticeState, ReviewState
from marketplace.trading import services as trading
from marketplace.trading.models import AccessRequest, Contract
from marketplace.types import utcnow

ACCOUNTS_FILE = "demo-accounts.txt"
DEMO_BASE_URL = "http://127.0.0.1:8000"

EVIDENCE_TITLES = {
    "SRC-02": ("数据来源合法性承诺书", "source-legality-commitment.txt"),
    "SRC-05": ("公共数据授权运营协议（摘要）", "authorized-operation-agreement.txt"),
    "PI-03": ("个人信息单独同意书（文本）", "separate-consent.txt"),
    "PI-05": ("个人信息保护影响评估报告", "pia-report.pdf"),
    "CLS-04": ("重要数据年度风险评估报告", "risk-assessment.pdf"),
    "LEG-01": ("法律意见书", "legal-opinion.pdf"),
    "LEG-02": ("数据产品使用协议（草案）", "contract-draft.txt"),
    "FIN-01": ("征信业务边界说明", "credit-boundary-statement.txt"),
    "SEC-01": ("卫生健康主管部门意见", "health-authority-opinion.txt"),
}

# What a reviewer writes when passing an item; items not listed pass without a note.
PASS_NOTES = {
    "ENT-01": "已核对营业执照，统一社会信用代码校验通过。",
    "ENT-02": "已查询信用中国，近三年无数据相关违法记录。",
    "ENT-03": "数据安全管理制度、责任人及等级保护备案齐全。",
    "SRC-01": "来源说明清楚。",
    "SRC-03": "上游授权文件齐全。",
    "SRC-05": "已核验授权运营协议，在有效期内。",
    "SRC-06": "已出具权属声明，无争议。",
    "PI-02": "敏感个人信息字段已标注。",
    "PI-03": "单独同意文本载明接收方名称、目的与保存期限，抽查同意记录无误。",
    "PI-04": "去标识化方法充分，样例无唯一记录。",
    "PI-05": "影响评估报告已审阅。",
    "CLS-01": "分级申报准确。",
    "CLS-03": "已对照重要数据目录识别。",
    "CLS-04": "风险评估报告已审阅。",
    "USE-01": "应用场景与目标买方明确。",
    "USE-03": "接口测试调用返回正常。",
    "QLT-01": "空值率与重复率符合要求。",
    "LEG-01": "法律意见书结论为合规。",
    "LEG-02": "使用限制与合同草案完整。",
    "LEG-03": "不在禁止交易目录内。",
    "FIN-01": "产品仅作授信辅助参考，合同约定不得用于征信评分。",
    "SEC-01": "已取得行业主管部门意见。",
    "PRC-01": "定价方式合理。",
}


def load() -> dict:
    """Build the demo exchange, or top it up; returns what was created, what exists and new accounts."""
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return _load()
    # Run from the CLI: contracts and consent notices carry absolute links, built for where `make run` serves.
    base_url = current_app.config.get("MARKETPLACE_DEMO_BASE_URL") or DEMO_BASE_URL
    # At a path no route serves: "/" is the catalog's search page, a read-only route (marketplace.replica) in which
    # the load's writes would be refused.
    with current_app.test_request_context("/-/demo-load", base_url=base_url):
        return _load()


def _load() -> dict:
    run = _Run()
    for spec in data.ORGANIZATIONS:
        run.organization(spec)
    run.application(data.PENDING_APPLICATION)
    for spec in data.USERS:
        run.user(spec)
    # Registration issues a certificate for every notice that is due, so the products meant to be
    # registered go through first, before any notice meant to stay open exists.
    first = [s for s in data.PRODUCTS if s.target == "registered"]
    with _notice_period(hours=0):
        # Their notice is over at once, so their certificates carry today's date rather than one 72 h ahead.
        for spec in first:
            run.product(spec)
    run.register(first)
    for spec in first:
        run.listing(spec)
        if spec.new_version:
            run.new_version(spec)
    for spec in data.PRODUCTS:
        if spec.target != "registered":
            run.product(spec)
    for release in data.RELEASES:
        run.release(release)
    for trade in data.TRADES:
        run.trade(trade)
    for consent in data.CONSENTS:
        run.consent(consent)
    return run.report()


class _Run:
    """One run of the loader: what it found, what it created, and the passwords it generated."""

    def __init__(self) -> None:
        self.created: Counter[str] = Counter()
        self.orgs: dict[str, Organization] = {}
        self.users: dict[str, User] = {}
        self.existing: dict[str, int] = {}
        self.accounts: list[dict] = []
        self.skipped_registration: list[str] = []
        self.accounts_file = _write_accounts([])

    # --- accounts ---------------------------------------------------------------------------------------
    def organization(self, spec: dict) -> None:
        org = db.session.scalar(select(Organization).where(Organization.uscc == spec["uscc"]))
        if org is None:
            org = accounts.create_organization(name=spec["name"], name_en=spec["name_en"], uscc=spec["uscc"],
                                               kind=spec["kind"])
            self.created["organizations"] += 1
        self.orgs[spec["key"]] = org

    def application(self, spec: dict) -> None:
        if db.session.scalar(select(Organization).where(Organization.uscc == spec["uscc"])) is not None:
            return
        password = _password()
        accounts.apply_organization(**spec, admin_password=password)
        self.created["organizations"] += 1
        self.created["users"] += 1
        self._remember({"email": spec["admin_email"], "role": "broker", "org": spec["name"],
                        "password": password})

    def user(self, spec: dict) -> None:
        user = db.session.scalar(select(User).where(User.email == spec["email"]))
        if user is None:
            password = _password()
            org = self.orgs[spec["org"]] if spec["org"] else None
            user = accounts.create_user(email=spec["email"], name=spec["name"], password=password,
                                        role=spec["role"], org_uscc=org.uscc if org else None,
                                        id_number=spec.get("id_number"),
                                        is_org_admin=org is not None and spec.get("org_admin", True))
            self.created["users"] += 1
            self._remember({"email": spec["email"], "role": spec["role"], "org": org.name if org else "",
                            "password": password})
        self.users[spec["email"]] = user

    def _remember(self, account: dict) -> None:
        # Written at once, so an interrupted run never loses a password it generated.
        self.accounts.append(account)
        self.accounts_file = _write_accounts([account])

    # --- products -------------------------------------------------------------------------------------
    def product(self, spec: data.ProductSpec) -> None:
        """Create the product and walk it to its target state, unless it already exists."""
        org = self.orgs[spec.org]
        product_id = db.session.scalar(
            select(Product.id).join(ProductVersion, ProductVersion.product_id == Product.id)
            .where(Product.org_id == org.id, ProductVersion.number == 1,
                   ProductVersion.name == spec.fields["name"])
        )
        if product_id is not None:
            self.existing[spec.key] = product_id
            return
        broker = self.users[spec.broker]
        fields = ProductDraftSchema().load(spec.all_fields())
        fields.pop("lock_version", None)
        product_id = products.create_product(actor=broker, **fields).id
        self.existing[spec.key] = product_id
        self.created["products"] += 1
        self.created["versions"] += 1
        sample = spec.sample()
        if sample is not None:
            filename = f"{spec.key.replace('_', '-')}-sample.csv"
            products.upload_sample(product_id, data=sample, filename=filename, actor=broker)
            self.created["samples"] += 1
        for code in spec.evidence:
            title, filename = EVIDENCE_TITLES[code]
            products.add_evidence(product_id, item_code=code, filename=filename, note=title, actor=broker,
                                  data=_evidence(code, org, spec.fields["name"]))
            self.created["evidence"] += 1
        if spec.target != "draft":
            self._review(spec, product_id, broker)

    def _review(self, spec: data.ProductSpec, product_id: int, broker: User) -> None:
        registration.submit_product(product_id, actor=broker)
        if spec.target == "submitted":
            return
        review_id = db.session.scalar(
            select(Review.id).join(ProductVersion, Review.version_id == ProductVersion.id)
            .where(ProductVersion.product_id == product_id, Review.state == ReviewState.PENDING)
        )
        # Double vetting (SDE): the law firm assesses the items, the exchange's reviewer decides.
        law_firm, exchange = self.users["reviewer@lawfirm.demo"], self.users["reviewer@exchange.demo"]
        if spec.target == "in_review":
            for code in spec.decide:
                registration.decide_item(review_id, code, decision="pass", note=PASS_NOTES.get(code, ""),
                                         actor=exchange)
            return
        review = db.session.get(Review, review_id)
        undecided = [item.code for item in review.items if item.applicable and item.decision is None]
        for code in undecided:
            if code in spec.fail:
                registration.decide_item(review_id, code, decision="fail", note=spec.fail[code],
                                         actor=law_firm)
            else:
                registration.decide_item(review_id, code, decision="pass", note=PASS_NOTES.get(code, ""),
                                         actor=law_firm)
        decision = {"changes_requested": "request_changes", "rejected": "reject"}.get(spec.target, "approve")
        registration.decide_review(review_id, decision=decision, reason=spec.reason, actor=exchange)
        if spec.objection:
            registration.raise_objection(product_id, reason=spec.objection,
                                         actor=self.users["buyer@moumoubank.demo"])
            self.created["objections"] += 1

    def listing(self, spec: data.ProductSpec) -> None:
        """List a registered product with its offers, unless it is listed already."""
        product_id = self.existing[spec.key]
        if not spec.offers or db.session.scalar(select(Listing.id).where(Listing.product_id == product_id)):
            return
        catalog.list_product(product_id, offers=[OfferInSchema().load(offer) for offer in spec.offers],
                             venue=spec.venue, actor=self.users[spec.broker])
        self.created["listings"] += 1

    def trade(self, spec: data.TradeSpec) -> None:
        """A bank's request taken to spec.target through the same steps people take; skipped if it exists."""
        product_id, buyer = self.existing[spec.product], self.users[spec.buyer]
        if db.session.scalar(select(AccessRequest.id).where(AccessRequest.product_id == product_id,
                                                            AccessRequest.buyer_org_id == buyer.org_id)):
            return
        product_spec = next(p for p in data.PRODUCTS if p.key == spec.product)
        listing = catalog.get_listing(product_id)
        offer = listing.offers[spec.offer]
        request = trading.request_access(product_id=product_id, offer_id=offer.id, actor=buyer, **spec.request)
        self.created["access_requests"] += 1
        if spec.target == "pending":
            return
        broker = self.users[product_spec.broker]
        trading.decide_request(request.id, decision="approve", reason="用途与产品场景一致。", actor=broker)
        contract = trading.get_request(request.id, actor=buyer).contract
        self.created["contracts"] += 1
        if spec.target == "awaiting_signatures":
            return
        for signer in (buyer, broker):
            trading.sign_contract(contract.id, document_hash=contract.document_hash, method="password", actor=signer)
        if spec.target == "active" and contract.amount_minor:
            payment = payments.start_payment(contract.id, method="offline", actor=buyer)
            payments.confirm_offline(payment.id, bank_reference=f"DEMO-{payment.reference}",
                                     actor=self.users["finance@exchange.demo"])

    def release(self, spec: data.ReleaseSpec) -> None:
        """Publish the product's first release (its rows loaded for record delivery), unless it has one."""
        product_id = self.existing[spec.product]
        if db.session.scalar(select(Release.id).where(Release.product_id == product_id).limit(1)):
            return
        broker = self.users[next(p.broker for p in data.PRODUCTS if p.key == spec.product)]
        delivery.publish_release(product_id, files=[delivery.Upload(filename=spec.filename, data=spec.make())],
                                 notes=spec.notes, actor=broker)
        self.created["releases"] += 1

    def consent(self, spec: data.ConsentSpec) -> None:
        """The bank asks the person through its contract; left pending for them. Skipped once asked."""
        buyer, subject = self.users[spec.buyer], self.users[spec.subject]
        contract_id = db.session.scalar(select(Contract.id).where(
            Contract.product_id == self.existing[spec.product], Contract.buyer_org_id == buyer.org_id))
        if contract_id is None or db.session.scalar(select(Consent.id).where(
                Consent.contract_id == contract_id, Consent.subject_user_id == subject.id).limit(1)):
            return
        id_number = next(u["id_number"] for u in data.USERS if u["email"] == spec.subject)
        consents.request_consent(contract_id=contract_id, id_number=id_number, categories=list(spec.categories),
                                 retention_days=spec.retention_days, purpose_text=spec.purpose_text, actor=buyer)
        self.created["consent_requests"] += 1

    def new_version(self, spec: data.ProductSpec) -> None:
        """Edit a registered product: a draft version 2 opens, holding the commitment it needs."""
        product_id, broker = self.existing[spec.key], self.users[spec.broker]
        states = select(ProductVersion.state).where(ProductVersion.product_id == product_id)
        if list(db.session.scalars(states)) != [VersionState.REGISTERED]:
            return
        draft = products.update_product(product_id, actor=broker, **spec.new_version)
        self.created["versions"] += 1
        if not draft.has_evidence("SRC-02"):
            title, filename = EVIDENCE_TITLES["SRC-02"]
            products.add_evidence(product_id, item_code="SRC-02", filename=filename, note=title, actor=broker,
                                  data=_evidence("SRC-02", self.orgs[spec.org], spec.fields["name"]))
            self.created["evidence"] += 1

    def register(self, specs: list[data.ProductSpec]) -> None:
        """End these products' public notices as if their period had passed, issuing their certificates."""
        if not specs:
            return
        ids = [self.existing[s.key] for s in specs]
        notices = db.session.execute(
            select(Notice.id, Notice.ends_at).join(ProductVersion, Notice.version_id == ProductVersion.id)
            .where(ProductVersion.product_id.in_(ids), Notice.state == NoticeState.OPEN)
        ).all()
        if not notices:
            return
        now = max(max(ends_at for _id, ends_at in notices), utcnow())
        others_due = db.session.scalar(
            select(func.count()).select_from(Notice)
            .where(Notice.state == NoticeState.OPEN, Notice.ends_at <= now,
                   Notice.id.not_in([notice_id for notice_id, _ends in notices]))
        )
        if others_due:
            # A notice meant to stay open would be registered too (only after an interrupted earlier run).
            self.skipped_registration = [s.key for s in specs]
            return
        result = registration.register_due_products(now=now)
        self.created["certificates"] += len(result["issued"])

    # --- report ---------------------------------------------------------------------------------------
    def report(self) -> dict:
        states = Counter(db.session.scalars(select(ProductVersion.state)))
        latest = Counter(product.latest.state for product in db.session.scalars(select(Product)))
        result = {
            "created": {key: self.created.get(key, 0) for key in (
                "organizations", "users", "products", "versions", "samples", "evidence", "objections",
                "certificates", "listings", "releases", "access_requests", "contracts", "consent_requests")},
            "existing": {
                "organizations": _count(Organization), "users": _count(User), "products": _count(Product),
                "versions": _count(ProductVersion), "certificates": _count(Certificate),
                "listings": _count(Listing), "access_requests": _count(AccessRequest),
                "contracts": _count(Contract), "releases": _count(Release), "consents": _count(Consent),
                "versions_by_state": dict(sorted(states.items())),
                "products_by_latest_state": dict(sorted(latest.items())),
            },
            "certificates": list(db.session.scalars(select(Certificate.number).order_by(Certificate.id))),
            "accounts": self.accounts,
            "accounts_file": str(self.accounts_file),
        }
        if self.skipped_registration:
            result["not_registered"] = self.skipped_registration
        return result


@contextmanager
def _notice_period(*, hours: float):
    config = current_app.config
    saved = config["MARKETPLACE_NOTICE_PERIOD_HOURS"]
    config["MARKETPLACE_NOTICE_PERIOD_HOURS"] = hours
    try:
        yield
    finally:
        config["MARKETPLACE_NOTICE_PERIOD_HOURS"] = saved


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _password() -> str:
    return secrets.token_urlsafe(12)


def _evidence(code: str, org: Organization, product_name: str) -> bytes:
    """A small evidence file: a PDF for formal reports, UTF-8 text otherwise."""
    title, filename = EVIDENCE_TITLES[code]
    if filename.endswith(".pdf"):
        return _minimal_pdf(f"{code} {filename[:-4]} - demo document, provider USCC {org.uscc}")
    return (f"{title}\n\n本单位 {org.name}（统一社会信用代码 {org.uscc}）就数据产品《{product_name}》"
            f"提交本文件（演示数据）。\n本单位承诺所提供材料真实、准确、完整。\n\n（盖章）\n").encode()


def _write_accounts(new_accounts: list[dict]) -> Path:
    """Merge accounts into the file, so re-runs keep earlier passwords listed; only the owner may read it."""
    path = Path(current_app.instance_path) / ACCOUNTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[str]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                fields = line.split("\t")
                rows[fields[0]] = fields
    for account in new_accounts:
        rows[account["email"]] = [account["email"], account["role"], account["org"], account["password"]]
    text = "# Demo accounts (generated passwords). email\trole\torganisation\tpassword\n" + "".join(
        "\t".join(fields) + "\n" for fields in rows.values())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)
    return path


def _minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing one line of ASCII text, with a correct cross-reference table."""
    safe = text.encode("ascii", "replace").decode().replace("\\", "/").replace("(", "[").replace(")", "]")
    stream = f"BT /F1 11 Tf 50 780 Td ({safe}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
