"""A release's tables loaded row by row for record and aggregate delivery, and which column names the subject.

The subject column of a personal-data product is the first dictionary field marked personal whose sample scan
found mainland resident ID numbers in it (scan type cn_resident_id); failing that, the first personal field
named like a resident ID column (id_number, resident_id, 身份证号码, 身份证号, 公民身份号码). Its values are stored
only as keyed hashes (accounts.id_number_hash), never as they are.
"""

from __future__ import annotations

import io
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import lazyload

from compliance.readers import SampleError, open_table
from marketplace.accounts.services import id_number_hash
from marketplace.delivery.models import Release, ReleaseRow
from marketplace.delivery.states import ReleaseState
from marketplace.errors import ValidationFailed
from marketplace.extensions import db

SUBJECT_NAMES = ("id_number", "resident_id", "身份证号码", "身份证号", "公民身份号码")
BATCH = 1000


def _personal(field: dict) -> bool:
    return bool(field.get("pi") or field.get("sensitive"))


def subject_column(version) -> str:
    if not version.holds_pi:
        return ""
    personal = [f["name"] for f in version.field_dictionary or [] if _personal(f)]
    scanned = (version.scan_report or {}).get("columns") or {}
    for name in personal:
        if (scanned.get(name) or {}).get("cn_resident_id"):
            return name
    return next((name for name in personal if name.strip().lower() in SUBJECT_NAMES), "")


def loads_rows(version) -> bool:
    """Rows are loaded for per-person records (a subject column) and for aggregate-only delivery."""
    return bool(subject_column(version)) or "aggregate" in (version.delivery_modes or [])


def load(release: Release, version, data: bytes, filename: str) -> tuple[str, int]:
    """Stream one file's rows into release_rows; return (table format, rows). A non-table file loads nothing."""
    fields = [f["name"] for f in version.field_dictionary or []]
    subject = release.subject_column
    try:
        table = open_table(io.BytesIO(data))
    except SampleError as exc:
        if exc.code in ("unsupported_type", "bad_encoding"):
            return "", 0
        raise ValidationFailed(_("%(file)s cannot be read: %(reason)s", file=filename, reason=exc.message["en"]),
                               errors={"files": [exc.message["en"]]}) from None
    count = 0
    with table:
        columns = table.columns
        if subject and subject not in columns:
            raise ValidationFailed(_("%(file)s has no column %(column)s, which identifies the data subjects.",
                                     file=filename, column=subject), errors={"files": [subject]})
        kept = [(i, name) for i, name in enumerate(columns) if name in fields and name != subject]
        where = columns.index(subject) if subject else None
        batch: list[dict] = []
        try:
            for cells in table.rows():
                identity = cells[where] if where is not None and where < len(cells) else None
                batch.append({"release_id": release.id,
                              "subject_hash": id_number_hash(identity) if identity else None,
                              "data": {name: cells[i] if i < len(cells) else None for i, name in kept}})
                count += 1
                if len(batch) >= BATCH:
                    db.session.execute(insert(ReleaseRow), batch)
                    batch = []
        except SampleError as exc:
            raise ValidationFailed(_("%(file)s cannot be read: %(reason)s", file=filename,
                                     reason=exc.message["en"]), errors={"files": [exc.message["en"]]}) from None
        if batch:
            db.session.execute(insert(ReleaseRow), batch)
    return table.format, count


# The statements of every record and aggregate call are built once: building and keying a statement costs more
# than running these indexed reads (SQLAlchemy memoizes the cache key of a statement object it sees again).
@cache
def _latest_live_release(bounded: bool):
    query = select(Release).where(Release.product_id == bindparam("product_id"),
                                  Release.state == ReleaseState.PUBLISHED, Release.rows_loaded > 0)
    if bounded:
        query = query.where(Release.published_at < bindparam("end"))
    # Its files (loaded eagerly for the release pages) are not what record and aggregate calls read.
    return query.order_by(Release.number.desc()).limit(1).options(lazyload(Release.files))


@cache
def _subject_row():
    return (select(ReleaseRow).where(ReleaseRow.release_id == bindparam("release_id"),
                                     ReleaseRow.subject_hash == bindparam("subject_hash"))
            .order_by(ReleaseRow.id.desc()).limit(1))


def latest_live_release(contract) -> Release | None:
    """The newest published release with rows that the contract covers."""
    end = contract.ended_at or contract.ends_at
    return db.session.scalars(_latest_live_release(end is not None),
                              {"product_id": contract.product_id, "end": end}).first()


def subject_row(release: Release, subject_hash: str) -> ReleaseRow | None:
    return db.session.scalars(_subject_row(), {"release_id": release.id, "subject_hash": subject_hash}).first()


def data_of(release: Release, *, chunk: int = 5000):
    """Every row's data, streamed in chunks of ids so a large release is never held whole."""
    last = 0
    while True:
        page = db.session.execute(select(ReleaseRow.id, ReleaseRow.data).where(
            ReleaseRow.release_id == release.id, ReleaseRow.id > last).order_by(ReleaseRow.id).limit(chunk)).all()
        if not page:
            return
        for row_id, data in page:
            last = row_id
            yield data
