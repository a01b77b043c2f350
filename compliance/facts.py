"""What the checklist knows about a product: the declared facts the rules and automatic checks read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import date
from typing import Any


@dataclass
class ProductFacts:
    """A product version's declarations, as plain values; the marketplace fills it from its models."""

    name: str = ""
    provider_uscc: str = ""
    source_type: str = ""
    source_description: str = ""
    holds_pi: bool = False
    # Whether the broker declares sensitive personal information (PIPL art. 28) in the product.
    sensitive_pi: bool = False
    deidentified: bool = False
    security_level: str = ""
    sector: str = ""
    scenarios: list[str] = field(default_factory=list)
    delivery_modes: list[str] = field(default_factory=list)
    cross_border_allowed: bool = False
    # Each entry: {"name", "type", "description", "pi": bool, "sensitive": bool} and optionally
    # "quasi": bool (a quasi-identifier for PI-04; inferred from the name when absent).
    field_dictionary: list[dict[str, Any]] = field(default_factory=list)
    # Whether the signed source-legality commitment is among the evidence (SRC-02).
    has_commitment: bool = False
    description: str = ""
    price_mode: str = ""
    api_endpoint: str = ""
    # The declared end of the data's time range, "YYYY-MM-DD" or "" (QLT-01 freshness).
    time_range_end: str = ""
    # An UPDATE_FREQUENCIES code or "" (QLT-01 freshness).
    update_frequency: str = ""
    # How many persons' personal information the product carries per calendar year; None = undeclared (XB-01).
    pi_subjects: int | None = None
    # Computed by the system, never declared (see from_mapping): the reference date of the freshness
    # check (None = the day of evaluation) and the result of reachability.check_endpoint (USE-03).
    today: date | None = None
    api_check: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # Database columns are often NULL where a fact is simply undeclared; treat None as the default.
        for f in fields(self):
            if getattr(self, f.name) is None:
                default = f.default_factory() if f.default_factory is not MISSING else f.default
                setattr(self, f.name, default)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ProductFacts:
        """Build facts from a mapping, ignoring keys that are not declared facts (e.g. a whole form or API body).

        Computed facts are ignored too, so that a submitted body cannot claim, say, a reachable API.
        """
        return cls(**{k: v for k, v in data.items() if k in DECLARED_FACT_NAMES})

    def dictionary_entry(self, column: str) -> Mapping[str, Any] | None:
        """The field-dictionary entry named `column`, or None."""
        return next((e for e in self.field_dictionary if e.get("name") == column), None)

    def reference_date(self) -> date:
        """The day freshness is measured against."""
        return self.today or date.today()


FACT_NAMES = frozenset(f.name for f in fields(ProductFacts))
COMPUTED_FACT_NAMES = frozenset({"today", "api_check"})
DECLARED_FACT_NAMES = FACT_NAMES - COMPUTED_FACT_NAMES
