"""Use cases of products: drafting, editing (a new version after registration), samples, evidence, submission."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from compliance import checklist
from compliance.samples import SampleError, read_sample
from marketplace import audit, jobs, policy, storage
from marketplace.database import unit_of_work
from marketplace.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.i18n import pick
from marketplace.lifecycle import history
from marketplace.products.checks import has_api_endpoint, refresh_checks
from marketplace.products.models import METADATA_FIELDS, Evidence, Product, ProductVersion, ScanJob
from marketplace.products.states import (
    EDITABLE,
    NEW_VERSION_FROM,
    PRODUCT_VERSION,
    VersionState,
)
from marketplace.ui import state_label

SAMPLE_MEDIA_TYPES = {
    "csv": "text/csv",
    "jsonl": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# Evidence is checked by content: these magic numbers, or plain UTF-8 text.
EVIDENCE_TYPES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),
)


def _load(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound(_("No such product."))
    return product


def check_lock(version: ProductVersion, lock_version: int | None) -> None:
    if lock_version is not None and lock_version != version.lock_version:
        raise Conflict(_("This draft was changed by someone else since you loaded it; reload and try again."),
                       errors={"lock_version": [_("Current version is %(n)d.", n=version.lock_version)]})


def _editable_version(product: Product, actor) -> ProductVersion:
    """The version an edit applies to: the open draft, or a new draft copied from a settled version."""
    latest = product.latest
    if latest.state in EDITABLE:
        policy.require(policy.can_edit_version, actor, latest)
        return latest
    policy.require(policy.is_product_owner, actor, product)
    if latest.state not in NEW_VERSION_FROM:
        raise InvalidTransition(_("The product is %(state)s; it can be edited again once the review and public notice "
                                  "are over.",
                                  state=state_label(latest.state)))
    carried_evidence = list(latest.evidence)
    draft = ProductVersion(product=product, number=latest.number + 1, state=VersionState.DRAFT,
                           created_by_id=actor.id, sample_file_id=latest.sample_file_id,
                           sample_filename=latest.sample_filename, sample_format=latest.sample_format,
                           sample_rows=latest.sample_rows, scan_report=latest.scan_report,
                           masked_preview=latest.masked_preview,
                           **{field: getattr(latest, field) for field in METADATA_FIELDS})
    # Evidence carries over: a change re-reviews the product, it does not ask for the same papers again.
    for evidence in carried_evidence:
        draft.evidence.append(Evidence(item_code=evidence.item_code, file_id=evidence.file_id,
                                       filename=evidence.filename, note=evidence.note,
                                       uploaded_by_id=evidence.uploaded_by_id))
    db.session.add(draft)
    db.session.flush()
    audit.record(actor, "product_version.create", "product_version", draft.id,
                 {"product_id": product.id, "number": draft.number, "from_version": latest.number})
    return draft


def create_product(*, actor, **fields) -> Product:
    with unit_of_work():
        policy.require(policy.can_create_product, actor,
                       message=_("Only brokers of an approved provider organisation can register products."))
        product = Product(org_id=actor.org_id, created_by_id=actor.id)
        version = ProductVersion(product=product, number=1, state=VersionState.DRAFT, created_by_id=actor.id,
                                 **fields)
        db.session.add_all([product, version])
        db.session.flush()
        refresh_checks(version)
        audit.record(actor, "product.create", "product", product.id, {"version_id": version.id,
                                                                      "name": version.name})
    if has_api_endpoint(version):
        jobs.enqueue("check_api", version.id)
    return product


def update_product(product_id: int, *, actor, lock_version: int | None = None, **fields) -> ProductVersion:
    with unit_of_work():
        product = _load(product_id)
        # The lock names the version the editor read: the draft, or the registered one a change starts from.
        check_lock(product.latest, lock_version)
        version = _editable_version(product, actor)
        changed = sorted(key for key, value in fields.items() if getattr(version, key) != value)
        for key, value in fields.items():
            setattr(version, key, value)
        if {"api_endpoint", "delivery_modes"} & set(changed):
            version.api_check = None  # stale: the check job below calls the new endpoint
        refresh_checks(version)
        db.session.flush()
        audit.record(actor, "product_version.update", "product_version", version.id, {"fields": changed})
    if version.api_check is None and has_api_endpoint(version):
        jobs.enqueue("check_api", version.id)
    return version


def upload_sample(product_id: int, *, data: bytes, filename: str, actor) -> ScanJob:
    """Check the file can be read (a bad one changes nothing), store it and queue its scan.

    The scan and the automatic checks run as a job (a worker, or inline without Redis); the sample is
    attached to the draft only when its scan succeeds.
    """
    if len(data) > _sample_limit():
        raise ValidationFailed(_("The sample is larger than %(mb)d MB.", mb=_sample_limit() // (1024 * 1024)),
                               errors={"file": [_("Too large.")]})
    try:
        sample_format = read_sample(data).format
    except SampleError as exc:
        raise ValidationFailed(_("The sample could not be read: %(problem)s", problem=pick(exc.message)),
                               errors={"file": [pick(exc.message)]}) from None
    with unit_of_work():
        version = _editable_version(_load(product_id), actor)
        stored = storage.put(data, SAMPLE_MEDIA_TYPES[sample_format])
        db.session.flush()
        job = ScanJob(version=version, file=stored, filename=filename[:255], bytes_total=len(data),
                      requested_by_id=actor.id)
        db.session.add(job)
        db.session.flush()
        audit.record(actor, "scan_job.create", "scan_job", job.id,
                     {"version_id": version.id, "sha256": stored.sha256, "bytes": len(data)})
    jobs.enqueue("scan_sample", job.id)
    db.session.refresh(job)
    return job


def _sample_limit() -> int:
    from flask import current_app

    return int(current_app.config["MARKETPLACE_SAMPLE_MAX_BYTES"])


def add_evidence(product_id: int, *, item_code: str, data: bytes, filename: str, note: str, actor) -> Evidence:
    with unit_of_work():
        product = _load(product_id)
        version = _editable_version(product, actor)
        if item_code not in checklist.DEFAULT_TEMPLATE.codes:
            raise ValidationFailed(_("There is no checklist item %(code)s.", code=item_code),
                                   errors={"item_code": [_("Unknown item.")]})
        if not data:
            raise ValidationFailed(_("The evidence file is empty."), errors={"file": [_("Empty file.")]})
        stored = storage.put(data, _evidence_type(data))
        db.session.flush()
        evidence = Evidence(version=version, item_code=item_code, file=stored, filename=filename[:255],
                            note=note, uploaded_by_id=actor.id)
        db.session.add(evidence)
        db.session.flush()
        refresh_checks(version)
        audit.record(actor, "evidence.add", "product_version", version.id,
                     {"item_code": item_code, "sha256": stored.sha256})
    return evidence


def _evidence_type(data: bytes) -> str:
    for magic, media_type in EVIDENCE_TYPES:
        if data.startswith(magic):
            return media_type
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed(_("Evidence must be a PDF, PNG, JPEG, Office document or UTF-8 text file."),
                               errors={"file": [_("Unsupported file type.")]}) from None
    return "text/plain"


def get_product(product_id: int, *, actor) -> Product:
    product = _load(product_id)
    policy.require(policy.can_view_product, actor, product)
    return product


def get_product_for_edit(product_id: int, *, actor) -> Product:
    """Only the owning organisation's brokers see the edit form (reviewers and admins only read)."""
    product = _load(product_id)
    policy.require(policy.is_product_owner, actor, product)
    return product


def list_products(*, actor) -> list[Product]:
    if not policy.allowed(policy.can_create_product, actor):
        return []
    return list(db.session.scalars(
        select(Product).where(Product.org_id == actor.org_id).order_by(Product.created_at.desc())
    ))


def timeline(product: Product):
    return history(PRODUCT_VERSION.name, [version.id for version in product.versions])


def evidence_file(evidence_id: int, *, actor) -> tuple[Evidence, bytes]:
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound(_("No such evidence."))
    policy.require(policy.can_view_product, actor, evidence.version.product)
    return evidence, storage.read(evidence.file)
