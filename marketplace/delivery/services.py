"""Use cases of file delivery: a product's broker publishes releases (revisions) of its data and revokes them;
a buyer lists and downloads the files its active contract covers. Tables of a release are also loaded row by
row (rows.py) for record and aggregate delivery."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from marketplace import policy, storage
from marketplace.database import unit_of_work
from marketplace.delivery import entitlements, rows
from marketplace.delivery.models import Release, ReleaseFile
from marketplace.delivery.states import RELEASE, ReleaseAction, ReleaseState
from marketplace.errors import NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.lifecycle import transition
from marketplace.notifications.services import notify
from marketplace.products.models import Product
from marketplace.trading.models import Contract
from marketplace.trading.states import ContractState
from marketplace.types import utcnow

MAX_FILES = 20


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def _clean_name(name: str) -> str:
    """Keep the uploader's name for the download, minus any path and control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".")
    return base[:200] or "file"


def _brokers_product(product_id: int, actor) -> Product:
    product = db.session.get(Product, product_id)
    if product is None or not policy.allowed(policy.can_publish_release, actor, product):
        raise NotFound(_("No such product."))
    return product


def publish_release(product_id: int, *, files: list[Upload], notes: str = "", actor) -> Release:
    """Publish a new release of a registered product: its files stored, its tables' rows loaded (rows.py)."""
    with unit_of_work():
        product = _brokers_product(product_id, actor)
        version = product.registered
        if version is None:
            raise ValidationFailed(_("Releases are published for registered products only."),
                                   errors={"product": [_("The product is not registered.")]})
        if not files:
            raise ValidationFailed(_("Attach at least one file."), errors={"files": [_("No file.")]})
        if len(files) > MAX_FILES:
            raise ValidationFailed(_("At most %(n)d files per release.", n=MAX_FILES),
                                   errors={"files": [_("Too many files.")]})
        if any(not upload.data for upload in files):
            raise ValidationFailed(_("A file is empty."), errors={"files": [_("Empty file.")]})
        number = (db.session.scalar(select(func.max(Release.number)).where(Release.product_id == product.id))
                  or 0) + 1
        release = Release(product_id=product.id, version_id=version.id, number=number, state=ReleaseState.NEW,
                          notes=notes.strip(), published_by_id=actor.id, published_at=utcnow(),
                          subject_column=rows.subject_column(version))
        db.session.add(release)
        db.session.flush()
        loads = rows.loads_rows(version)
        for upload in files:
            item = ReleaseFile(release=release, filename=_clean_name(upload.filename),
                               file=storage.put(upload.data, "application/octet-stream"))
            db.session.add(item)
            if loads:
                item.table_format, item.rows = rows.load(release, version, upload.data, item.filename)
                release.rows_loaded += item.rows
        if loads and not release.rows_loaded:
            raise ValidationFailed(_("This product is delivered as records or aggregates: the release needs a "
                                     "table (CSV, XLSX or JSON lines) with data rows."),
                                   errors={"files": [_("No data rows.")]})
        transition(release, RELEASE, ReleaseAction.PUBLISH, actor=actor,
                   data={"product_id": product.id, "number": number, "files": [f.filename for f in release.files],
                         "rows": release.rows_loaded})
    return release


def _release(product_id: int, number: int, actor) -> Release:
    product = _brokers_product(product_id, actor)
    release = db.session.scalar(select(Release).where(Release.product_id == product.id, Release.number == number))
    if release is None:
        raise NotFound(_("No such release."))
    return release


def revoke_release(product_id: int, number: int, *, reason: str, actor) -> Release:
    """Stop every download of the release and tell the buyers whose contracts are active."""
    with unit_of_work():
        release = _release(product_id, number, actor)
        RELEASE.next_state(release.state, ReleaseAction.REVOKE)
        if not reason.strip():
            raise ValidationFailed(_("Say why the release is revoked."), errors={"reason": [_("Required.")]})
        release.revoked_at, release.revoked_by_id, release.revoke_reason = utcnow(), actor.id, reason.strip()
        transition(release, RELEASE, ReleaseAction.REVOKE, actor=actor, reason=release.revoke_reason)
        buyers = db.session.scalars(select(Contract.buyer_org_id).where(
            Contract.product_id == release.product_id, Contract.state == ContractState.ACTIVE)).all()
        notify("release.revoke", org_ids=buyers, object_type="release", object_id=release.id,
               params={"product": {"zh": release.version.name, "en": release.version.name_en or release.version.name},
                       "number": release.number, "reason": release.revoke_reason})
    return release


def releases_of(product_id: int, *, actor) -> list[Release]:
    """The broker's view: every release of the product, newest first."""
    product = _brokers_product(product_id, actor)
    return list(db.session.scalars(select(Release).where(Release.product_id == product.id)
                                   .order_by(Release.number.desc())))


def covered_releases(contract: Contract) -> list[Release]:
    """Releases a contract covers: published before it ended, not revoked; newest first."""
    query = select(Release).where(Release.product_id == contract.product_id,
                                  Release.state == ReleaseState.PUBLISHED)
    end = contract.ended_at or contract.ends_at
    if end is not None:
        query = query.where(Release.published_at < end)
    return list(db.session.scalars(query.order_by(Release.number.desc())))


def contract_files(contract_id: int, *, purpose: str, actor) -> list[Release]:
    """The buyer's list of what it may download now (metered, not billed: listing delivers no data)."""
    with unit_of_work():
        contract = entitlements.entitle(contract_id, actor=actor, purpose=purpose, mode="file")
        releases = covered_releases(contract)
        ids = [r.id for r in releases]
        entitlements.meter(contract, actor=actor, kind="files", units=0, billable=False,
                           detail={"call": "list", "releases": [r.number for r in releases]})
    # The commit expired them: load them again in one query, not each release and its files one by one.
    return list(db.session.scalars(select(Release).where(Release.id.in_(ids)).order_by(Release.number.desc())))


def download_file(contract_id: int, file_id: int, *, purpose: str, actor) -> tuple[ReleaseFile, bytes]:
    """One file of a covered release; a revoked release's file is gone (410) and says why."""
    with unit_of_work():
        contract = entitlements.entitle(contract_id, actor=actor, purpose=purpose, mode="file")
        item = db.session.get(ReleaseFile, file_id)
        if item is None or item.release.product_id != contract.product_id:
            raise NotFound(_("No such file."))
        release = item.release
        if release.state == ReleaseState.REVOKED:
            raise entitlements.Gone(_("Release %(number)d was revoked by the provider (%(reason)s): its files are no "
                                      "longer delivered.", number=release.number, reason=release.revoke_reason))
        if release not in covered_releases(contract):
            raise entitlements.Gone(_("Release %(number)d was published after contract %(contract)s ended.",
                                      number=release.number, contract=contract.number))
        data = storage.read(item.file)
        entitlements.meter(contract, actor=actor, kind="files", units=1,
                           detail={"call": "download", "release": release.number, "file_id": item.id,
                                   "sha256": item.file.sha256})
    return item, data
