"""A release (a revision of a registered product's data, as AWS Data Exchange's revisions), its files, its rows
loaded for record and aggregate delivery, and the usage metered on every delivery call."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.delivery.states import ReleaseState
from marketplace.extensions import db
from marketplace.types import UTCDateTime, utcnow


class Release(db.Model):
    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    # The registered version whose field dictionary the rows were read by.
    version_id: Mapped[int] = mapped_column(ForeignKey("product_versions.id"))
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default=ReleaseState.NEW)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    # The dictionary field whose values identify data subjects ("" when the product has none).
    subject_column: Mapped[str] = mapped_column(String(200), default="")
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    published_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

    product = relationship("Product")
    version = relationship("ProductVersion")
    files = relationship("ReleaseFile", back_populates="release", order_by="ReleaseFile.id", lazy="selectin")

    __mapper_args__ = {"version_id_col": lock_version}
    __table_args__ = (UniqueConstraint("product_id", "number", name="uq_releases_product_number"),)


class ReleaseFile(db.Model):
    __tablename__ = "release_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    filename: Mapped[str] = mapped_column(String(255))
    # "csv", "xlsx", "jsonl" for tables (their rows are loaded), "" for other files (delivered as they are).
    table_format: Mapped[str] = mapped_column(String(10), default="")
    rows: Mapped[int] = mapped_column(Integer, default=0)

    release = relationship("Release", back_populates="files")
    file = relationship("StoredFile", lazy="joined")


class ReleaseRow(db.Model):
    """One data row of a release's table. The subject's identity number is kept only as its keyed hash; the
    row's other cells are in `data` by field name."""

    __tablename__ = "release_rows"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"))
    subject_hash: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON)

    __table_args__ = (Index("ix_release_rows_release_subject", "release_id", "subject_hash"),)


class UsageRecord(db.Model):
    """One successful delivery call: what it delivered and what it costs (per-call offers bill each call)."""

    __tablename__ = "usage_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))  # files | records | aggregates
    units: Mapped[int] = mapped_column(Integer, default=0)
    billable_minor: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    currency: Mapped[str] = mapped_column(String(3))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_usage_records_contract_at", "contract_id", "at"),)
