"""The checklist's automatic items evaluated on a product version: the step drafting and submission share."""

from __future__ import annotations

from compliance import checklist
from compliance.pi_scan import scan_rows
from compliance.samples import read_sample
from marketplace import storage
from marketplace.products.models import ProductVersion


def facts_of(version: ProductVersion) -> checklist.ProductFacts:
    return checklist.ProductFacts(
        name=version.name, provider_uscc=version.product.organization.uscc, source_type=version.source_type,
        source_description=version.source_description, holds_pi=version.holds_pi,
        deidentified=version.deidentified, security_level=version.security_level, sector=version.sector,
        scenarios=list(version.scenarios or []), delivery_modes=list(version.delivery_modes or []),
        cross_border_allowed=version.cross_border_allowed,
        field_dictionary=list(version.field_dictionary or []), has_commitment=version.has_evidence("SRC-02"),
        description=version.description, price_mode=version.price_mode, api_endpoint=version.api_endpoint,
    )


def refresh_checks(version: ProductVersion, sample=None, scan=None) -> list[checklist.ItemResult]:
    """Evaluate the checklist's automatic items; the sample is re-read from storage when not given."""
    if sample is None and version.sample_file is not None:
        sample = read_sample(storage.read(version.sample_file))
        scan = scan_rows(sample.columns, sample.rows)
    results = checklist.evaluate(facts_of(version), sample=sample, scan=scan)
    version.check_results = [result_dict(r) for r in results]
    return results


def result_dict(result: checklist.ItemResult) -> dict:
    return {"code": result.code, "applicable": result.applicable, "outcome": result.outcome,
            "blocking": result.blocking, "message": result.message, "details": result.details}
