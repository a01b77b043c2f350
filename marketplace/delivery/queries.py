"""Use cases of record and aggregate delivery: one data subject's record under that person's live consent, and
k-threshold aggregates computed inside the exchange (compliance.aggregates) with only groups of k rows or more
leaving it. Both read the latest live release of the contract's product."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from compliance import aggregates
from compliance.identifiers import mask, resident_id_is_valid
from marketplace import audit
from marketplace.accounts.services import id_number_hash
from marketplace.consent import services as consent_services
from marketplace.database import unit_of_work
from marketplace.delivery import entitlements, rows
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed

NUMERIC_TYPES = ("integer", "decimal", "number", "float")


def _no_consent():
    return Forbidden(_("There is no live consent of this person for your organisation and purpose."))


def get_record(contract_id: int, *, subject: str, purpose: str, fields: list[str] | None, actor) -> dict:
    """One subject's record: only consented categories, only while the consent is live; the read is logged."""
    with unit_of_work():
        contract = entitlements.entitle(contract_id, actor=actor, purpose=purpose, mode="api")
        release = rows.latest_live_release(contract)
        if release is None or not release.subject_column:
            raise Conflict(_("No release of this product holds per-person records yet."))
        if not resident_id_is_valid(subject.strip().upper()):
            raise ValidationFailed(_("The subject is not a valid resident ID number."),
                                   errors={"subject": [_("Not valid.")]})
        subject_hash = id_number_hash(subject)
        consent = consent_services.live_consent(subject_hash=subject_hash, contract=contract, categories=[])
        if consent is None:
            raise _no_consent()
        wanted = list(dict.fromkeys(fields)) if fields else list(consent.categories)
        missing = [name for name in wanted if name not in consent.categories]
        if missing:
            raise Forbidden(_("This person did not consent to these categories: %(list)s.", list=", ".join(missing)),
                            errors={"fields": missing})
        # Asked again with the exact categories, as the consent service decides what "covers" means.
        consent = consent_services.live_consent(subject_hash=subject_hash, contract=contract, categories=wanted)
        if consent is None:
            raise _no_consent()
        row = rows.subject_row(release, subject_hash)
        if row is None:
            raise NotFound(_("Release %(number)d holds no record of this person.", number=release.number))
        # The subject column is never in a row's data; asking for it yields its masked form only.
        record = {name: (mask(subject.strip().upper(), "cn_resident_id") if name == release.subject_column
                         else row.data.get(name)) for name in wanted}
        consent_services.record_access(consent, contract=contract, fields=wanted, actor=actor)
        entitlements.meter(contract, actor=actor, kind="records", units=1,
                           detail={"release": release.number, "consent": consent.number, "fields": wanted})
        return {"contract_id": contract.id, "subject": mask(subject.strip().upper(), "cn_resident_id"),
                "release": release.number, "consent_number": consent.number, "record": record}


def _columns(version) -> aggregates.Columns:
    dictionary = version.field_dictionary or []
    personal = frozenset(f["name"] for f in dictionary if f.get("pi") or f.get("sensitive"))
    allowed = frozenset(f["name"] for f in dictionary) - personal
    numeric = frozenset(f["name"] for f in dictionary if f.get("type") in NUMERIC_TYPES) - personal
    return aggregates.Columns(allowed=allowed, numeric=numeric, forbidden=personal)


def run_aggregate(contract_id: int, *, purpose: str, metric: str, column: str | None = None,
                  group_by: list[str] | None = None, filters: list[dict] | None = None, actor) -> dict:
    """An allowed aggregate over the latest live release; groups under k rows are dropped (only counted)."""
    query = aggregates.Query(metric=metric, column=column or None, group_by=tuple(group_by or ()),
                             filters=tuple(aggregates.Filter(f["column"], f["op"], f["value"]) for f in filters or ()))
    k = int(current_app.config.get("MARKETPLACE_AGGREGATE_MIN_GROUP", 10))
    with unit_of_work():
        contract = entitlements.entitle(contract_id, actor=actor, purpose=purpose, mode="aggregate")
        release = rows.latest_live_release(contract)
        if release is None:
            raise Conflict(_("No release of this product has data rows yet."))
        try:
            result = aggregates.run(rows.data_of(release), query, _columns(release.version), k=k)
        except aggregates.QueryError as exc:
            raise ValidationFailed(exc.message, errors={exc.field: [exc.message]}) from None
        recorded = {"metric": metric, "column": column, "group_by": list(query.group_by),
                    "filters": [dict(f) for f in filters or ()], "release": release.number, "k": k}
        audit.record(actor, "delivery.aggregate", "contract", contract.id,
                     {**recorded, "groups": len(result.groups), "suppressed": result.suppressed})
        entitlements.meter(contract, actor=actor, kind="aggregates", units=len(result.groups), detail=recorded)
        return {"contract_id": contract.id, "release": release.number, "metric": metric, "column": column,
                "group_by": list(query.group_by), "min_group_size": k, "suppressed_groups": result.suppressed,
                "groups": [{"key": g.key, "count": g.count, "value": g.value} for g in result.groups]}
