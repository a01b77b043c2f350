"""The checklist's automatic items evaluated on a product version: the step drafting and submission share."""

from __future__ import annotations

from compliance import checklist, reachability
from compliance.pi_scan import scan_rows
from compliance.samples import read_sample
from marketplace import storage
from marketplace.products.models import ProductVersion


def facts_of(version: ProductVersion) -> checklist.ProductFacts:
    """The version's declarations as facts, with the last API reachability result the scan job stored."""
    return checklist.ProductFacts(
        name=version.name, provider_uscc=version.product.organization.uscc, source_type=version.source_type,
        source_description=version.source_description, holds_pi=version.holds_pi,
        sensitive_pi=version.sensitive_pi, deidentified=version.deidentified,
        security_level=version.security_level, sector=version.sector,
        scenarios=list(version.scenarios or []), delivery_modes=list(version.delivery_modes or []),
        cross_border_allowed=version.cross_border_allowed,
        field_dictionary=list(version.field_dictionary or []), has_commitment=version.has_evidence("SRC-02"),
        description=version.description, price_mode=version.price_mode, api_endpoint=version.api_endpoint,
        time_range_end=version.time_range_end, update_frequency=version.update_frequency,
        pi_subjects=version.pi_subjects, api_check=version.api_check,
    )


def has_api_endpoint(version: ProductVersion) -> bool:
    return "api" in (version.delivery_modes or []) and bool((version.api_endpoint or "").strip())


def check_api(version: ProductVersion, *, allow_private: bool) -> dict | None:
    """Call the version's API endpoint once; None when its delivery has no API or no endpoint is given.

    Network I/O with timeouts: run it in a job, not in a request. The caller reads
    MARKETPLACE_ALLOW_PRIVATE_ENDPOINTS from the app config and stores the result in version.api_check.
    """
    if not has_api_endpoint(version):
        return None
    return reachability.check_endpoint(version.api_endpoint, allow_private=allow_private)


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
