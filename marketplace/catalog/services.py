"""Reading the public catalog: registered product versions, filtered, counted by facet, paged."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from marketplace.accounts.models import Organization
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.products.models import Product, ProductVersion
from marketplace.products.states import VersionState
from marketplace.registration.models import Certificate
from marketplace.registration.states import CertificateState

FACETS = ("sector", "product_type")


@dataclass(frozen=True)
class Page:
    items: list[ProductVersion]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[tuple[str, int]]]


def _filtered(q: str | None, filters: dict[str, str | None]):
    query = (select(ProductVersion).join(Product, ProductVersion.product_id == Product.id)
             .join(Organization, Product.org_id == Organization.id)
             .where(ProductVersion.state == VersionState.REGISTERED))
    if q:
        # First cut: a substring match; indexed Chinese-aware search is the catalog issue's work.
        pattern = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(ProductVersion.name).like(pattern),
                                func.lower(ProductVersion.name_en).like(pattern),
                                func.lower(ProductVersion.description).like(pattern),
                                func.lower(Organization.name).like(pattern)))
    for column, value in filters.items():
        if value:
            query = query.where(getattr(ProductVersion, column) == value)
    return query


def search_listings(*, q: str | None = None, sector: str | None = None, product_type: str | None = None,
                    page: int = 1, per_page: int = 20) -> Page:
    filters = {"sector": sector, "product_type": product_type}
    query = _filtered(q, filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = list(db.session.scalars(
        query.order_by(ProductVersion.updated_at.desc(), ProductVersion.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ))
    facets = {}
    for facet in FACETS:
        # Each facet counts under the other filters, so choosing a sector still shows every sector's count.
        others = {key: value for key, value in filters.items() if key != facet}
        sub = _filtered(q, others).subquery()
        rows = db.session.execute(select(sub.c[facet], func.count()).group_by(sub.c[facet])
                                  .order_by(func.count().desc(), sub.c[facet])).all()
        facets[facet] = [(code, count) for code, count in rows]
    return Page(items=items, total=total, page=page, per_page=per_page, facets=facets)


def certificate_numbers(version_ids: list[int]) -> dict[int, str]:
    if not version_ids:
        return {}
    rows = db.session.execute(select(Certificate.version_id, Certificate.number).where(
        Certificate.version_id.in_(version_ids), Certificate.status == CertificateState.VALID)).all()
    return dict(rows)


def get_listing(product_id: int) -> ProductVersion:
    version = db.session.scalar(select(ProductVersion).where(ProductVersion.product_id == product_id,
                                                             ProductVersion.state == VersionState.REGISTERED))
    if version is None:
        raise NotFound("No registered product with this id.")
    return version
