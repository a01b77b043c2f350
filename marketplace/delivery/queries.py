"""Use cases of record and aggregate delivery: one data subject's record under that person's live consent, and
k-threshold aggregates computed inside the exchange (compliance.aggregates) with only groups of k rows or more
leaving it. Both read the latest live release of the contract's product."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm.exc import StaleDataError

from compliance import aggregates
from compliance.identifiers import mask, resident_id_is_valid
from marketplace import audit
from marketplace.accounts.services import id_number_hash
from marketplace.catalog.models import Listing
from marketplace.consent import services as consent_services
from marketplace.consent.models import Consent, SubjectAccess
from marketplace.database import unit_of_work
from marketplace.delivery import entitlements, rows
from marketplace.delivery.models import Release, UsageRecord
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.trading.models import Contract

NUMERIC_TYPES = ("integer", "decimal", "number", "float")


def _no_consent():
    return Forbidden(_("There is no live consent of this person for your organisation and purpose."))


@dataclass(frozen=True)
class _Decision:
    """What the read phase of a record call decided, as plain values: the answer, the two lines the call commits
    (not yet in the session), and the version of every row the decision rests on."""

    answer: dict
    lines: tuple  # (model, column values) of the subject-access line and the usage line
    consent: tuple[int, int]  # (id, lock_version), the row locked for the write
    rows: tuple[tuple[type, int, int], ...]  # (model, id, lock_version) of the contract, listing and release


def get_record(contract_id: int, *, subject: str, purpose: str, fields: list[str] | None, actor) -> dict:
    """One subject's record: only consented categories, only while the consent is live; the read is logged.

    The checks and reads run in the request's read transaction; the write transaction (on SQLite it holds the
    database's one write lock from BEGIN IMMEDIATE to COMMIT) only re-checks and commits the subject-access and
    usage lines, so concurrent calls no longer queue on the lock for each other's reads.

    A withdrawal (or expiry, termination, suspension, revocation) committed between the read and the write is
    still honoured: the write transaction's first statement reads the version of every row the decision rests on
    (consent, contract, listing, release; every ORM change of them bumps lock_version) and, if one moved, decides
    again inside the write transaction, exactly as a call arriving now would (a withdrawn consent: 403, nothing
    written, nothing returned). Once the versions match, a withdrawal cannot slip in before our commit: on SQLite
    we hold the write lock it needs, and on PostgreSQL that statement holds the consent row FOR SHARE, which the
    withdrawal's UPDATE waits for. So the access line is committed before any withdrawal of its consent, and no
    record leaves the exchange without its access and usage lines committed first."""
    decision = _decide(contract_id, subject=subject, purpose=purpose, fields=fields, actor=actor)
    with unit_of_work():
        if not _unchanged(decision):
            decision = _decide(contract_id, subject=subject, purpose=purpose, fields=fields, actor=actor, again=True)
            if not _unchanged(decision):
                # Only PostgreSQL gets here (SQLite's write lock keeps every row still): changed twice in a moment.
                raise StaleDataError("a row the record call read changed while it was deciding")
        # Plain INSERTs (the ORM's bulk path): nothing reads these rows back in this call.
        for model, values in decision.lines:
            db.session.execute(insert(model), [values])
    return decision.answer


def _decide(contract_id: int, *, subject: str, purpose: str, fields: list[str] | None, actor,
            again: bool = False) -> _Decision:
    contract = entitlements.entitle(contract_id, actor=actor, purpose=purpose, mode="api", spend=not again)
    release = rows.latest_live_release(contract)
    if release is None or not release.subject_column:
        raise Conflict(_("No release of this product holds per-person records yet."))
    identity = subject.strip().upper()
    if not resident_id_is_valid(identity):
        raise ValidationFailed(_("The subject is not a valid resident ID number."),
                               errors={"subject": [_("Not valid.")]})
    subject_hash = id_number_hash(identity)
    wanted = list(dict.fromkeys(fields)) if fields else []
    # Asked once, with the exact categories: the consent service decides what "covers" means.
    consent = consent_services.live_consent(subject_hash=subject_hash, contract=contract, categories=wanted)
    if consent is None:
        # Only a refusal asks again, to say whether the person consented at all or only to fewer categories.
        some = consent_services.live_consent(subject_hash=subject_hash, contract=contract, categories=[]) \
            if wanted else None
        missing = [name for name in wanted if name not in some.categories] if some is not None else []
        if missing:
            raise Forbidden(_("This person did not consent to these categories: %(list)s.", list=", ".join(missing)),
                            errors={"fields": missing})
        raise _no_consent()
    wanted = wanted or list(consent.categories)
    row = rows.subject_row(release, subject_hash)
    if row is None:
        raise NotFound(_("Release %(number)d holds no record of this person.", number=release.number))
    masked = mask(identity, "cn_resident_id")
    # The subject column is never in a row's data; asking for it yields its masked form only.
    record = {name: (masked if name == release.subject_column else row.data.get(name)) for name in wanted}
    lines = ((SubjectAccess, consent_services.access_line(consent, contract=contract, fields=wanted, actor=actor)),
             (UsageRecord, entitlements.usage_line(contract, actor=actor, kind="records", units=1,
                                                   detail={"release": release.number, "consent": consent.number,
                                                           "fields": wanted})))
    seen = [(Contract, contract.id, contract.lock_version), (Release, release.id, release.lock_version)]
    if contract.listing is not None:
        seen.append((Listing, contract.listing.id, contract.listing.lock_version))
    return _Decision(answer={"contract_id": contract.id, "subject": masked, "release": release.number,
                             "consent_number": consent.number, "record": record},
                     lines=lines, consent=(consent.id, consent.lock_version), rows=tuple(seen))


@cache
def _versions_of(models: tuple[type, ...]):
    """The consent's version and one of each model's, by id, holding the consent FOR SHARE; built once per shape."""
    now = [select(model.lock_version).where(model.id == bindparam(f"row_{i}")).scalar_subquery()
           for i, model in enumerate(models)]
    return select(Consent.lock_version, *now).where(Consent.id == bindparam("consent_id")) \
        .with_for_update(read=True, of=Consent)


def _unchanged(decision: _Decision) -> bool:
    """One statement: are the consent and every other row the decision read still at the versions it read?"""
    consent_id, consent_version = decision.consent
    found = db.session.execute(_versions_of(tuple(model for model, *_ in decision.rows)), {
        "consent_id": consent_id, **{f"row_{i}": row_id for i, (_model, row_id, _v) in enumerate(decision.rows)},
    }).first()
    return found is not None and tuple(found) == (consent_version, *(version for *_, version in decision.rows))


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
