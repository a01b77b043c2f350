"""A product (the identity a broker's organisation holds) and its versions, evidence and history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.products.states import ScanState, VersionState
from marketplace.types import UTCDateTime, utcnow

# The metadata a broker edits; copied into a new version on change, hashed into the certificate.
METADATA_FIELDS = (
    "name", "name_en", "product_type", "sector", "description", "scenarios", "source_type",
    "source_description", "coverage_region", "coverage_population", "time_range_start", "time_range_end",
    "scale", "update_frequency", "field_dictionary", "holds_pi", "sensitive_pi", "deidentified",
    "deidentification_method", "security_level", "delivery_modes", "cross_border_allowed", "rights",
    "usage_scope", "no_onward_transfer", "licence_term_months", "price_mode", "api_endpoint", "pi_subjects",
)


class Product(db.Model):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organization = relationship("Organization", lazy="joined")
    versions = relationship("ProductVersion", back_populates="product", order_by="ProductVersion.number",
                            lazy="selectin")

    @property
    def latest(self) -> ProductVersion:
        return self.versions[-1]

    @property
    def registered(self) -> ProductVersion | None:
        return next((v for v in reversed(self.versions) if v.state == VersionState.REGISTERED), None)


class ProductVersion(db.Model):
    __tablename__ = "product_versions"
    __table_args__ = (UniqueConstraint("product_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(30), default=VersionState.DRAFT, index=True)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    product_type: Mapped[str] = mapped_column(String(30))
    sector: Mapped[str] = mapped_column(String(30), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    scenarios: Mapped[list] = mapped_column(JSON, default=list)
    source_type: Mapped[str] = mapped_column(String(30), default="")
    source_description: Mapped[str] = mapped_column(Text, default="")
    coverage_region: Mapped[str] = mapped_column(String(100), default="")
    coverage_population: Mapped[str] = mapped_column(String(200), default="")
    time_range_start: Mapped[str] = mapped_column(String(10), default="")
    time_range_end: Mapped[str] = mapped_column(String(10), default="")
    scale: Mapped[str] = mapped_column(String(200), default="")
    update_frequency: Mapped[str] = mapped_column(String(20), default="")
    field_dictionary: Mapped[list] = mapped_column(JSON, default=list)
    holds_pi: Mapped[bool] = mapped_column(Boolean, default=False)
    sensitive_pi: Mapped[bool] = mapped_column(Boolean, default=False)
    deidentified: Mapped[bool] = mapped_column(Boolean, default=False)
    deidentification_method: Mapped[str] = mapped_column(Text, default="")
    security_level: Mapped[str] = mapped_column(String(20), default="")
    delivery_modes: Mapped[list] = mapped_column(JSON, default=list)
    cross_border_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    rights: Mapped[list] = mapped_column(JSON, default=list)
    usage_scope: Mapped[str] = mapped_column(Text, default="")
    no_onward_transfer: Mapped[bool] = mapped_column(Boolean, default=True)
    licence_term_months: Mapped[int | None] = mapped_column(Integer)
    price_mode: Mapped[str] = mapped_column(String(20), default="")
    api_endpoint: Mapped[str] = mapped_column(String(500), default="")
    # Persons whose personal information the product holds (per calendar year): XB-01's thresholds.
    pi_subjects: Mapped[int | None] = mapped_column(Integer)

    sample_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    sample_filename: Mapped[str] = mapped_column(String(255), default="")
    sample_format: Mapped[str] = mapped_column(String(10), default="")
    sample_rows: Mapped[int] = mapped_column(Integer, default=0)
    scan_report: Mapped[dict | None] = mapped_column(JSON)
    masked_preview: Mapped[dict | None] = mapped_column(JSON)
    check_results: Mapped[list] = mapped_column(JSON, default=list)
    # The last reachability check of api_endpoint (USE-03), made by the scan job, never in a request.
    api_check: Mapped[dict | None] = mapped_column(JSON)

    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    product = relationship("Product", back_populates="versions", lazy="joined")
    sample_file = relationship("StoredFile", lazy="select")
    evidence = relationship("Evidence", back_populates="version", order_by="Evidence.id", lazy="selectin")

    # Optimistic locking: two editors (or two reviewers) racing get one winner and a clean 409.
    __mapper_args__ = {"version_id_col": lock_version}

    def metadata_document(self) -> dict:
        """What the certificate's digest covers: every metadata field, the sample's hash, the org."""
        document = {field: getattr(self, field) for field in METADATA_FIELDS}
        document.update(product_id=self.product_id, version=self.number,
                        provider_uscc=self.product.organization.uscc,
                        sample_sha256=self.sample_file.sha256 if self.sample_file else None)
        return document

    def has_evidence(self, code: str) -> bool:
        return any(item.item_code == code for item in self.evidence)

    def display_name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name


class Evidence(db.Model):
    """A file a broker attaches to one checklist item of one version."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("product_versions.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(10))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    filename: Mapped[str] = mapped_column(String(255))
    note: Mapped[str] = mapped_column(Text, default="")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    version = relationship("ProductVersion", back_populates="evidence")
    file = relationship("StoredFile", lazy="joined")


class ScanJob(db.Model):
    """One scan of an uploaded sample: it runs in a worker (or inline) and attaches the sample only on success."""

    __tablename__ = "scan_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("product_versions.id"), index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    filename: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(20), default=ScanState.QUEUED)
    bytes_total: Mapped[int] = mapped_column(Integer, default=0)
    bytes_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[dict | None] = mapped_column(JSON)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    version = relationship("ProductVersion", lazy="joined")
    file = relationship("StoredFile", lazy="joined")

    @property
    def progress(self) -> float:
        if self.state == ScanState.SUCCEEDED:
            return 1.0
        return min(self.bytes_read / self.bytes_total, 1.0) if self.bytes_total else 0.0

    @property
    def active(self) -> bool:
        return self.state in (ScanState.QUEUED, ScanState.RUNNING)
