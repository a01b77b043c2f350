"""What the checklist knows about a product: the declared facts the rules and automatic checks read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any


@dataclass
class ProductFacts:
    """A product version's declarations, as plain values; the marketplace fills it from its models."""

    name: str = ""
    provider_uscc: str = ""
    source_type: str = ""
    source_description: str = ""
    holds_pi: bool = False
    deidentified: bool = False
    security_level: str = ""
    sector: str = ""
    scenarios: list[str] = field(default_factory=list)
    delivery_modes: list[str] = field(default_factory=list)
    cross_border_allowed: bool = False
    # Each entry: {"name", "type", "description", "pi": bool, "sensitive": bool}.
    field_dictionary: list[dict[str, Any]] = field(default_factory=list)
    # Whether the signed source-legality commitment is among the evidence (SRC-02).
    has_commitment: bool = False
    description: str = ""
    price_mode: str = ""
    api_endpoint: str = ""

    def __post_init__(self) -> None:
        # Database columns are often NULL where a fact is simply undeclared; treat None as the default.
        for f in fields(self):
            if getattr(self, f.name) is None:
                default = f.default_factory() if f.default_factory is not MISSING else f.default
                setattr(self, f.name, default)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ProductFacts:
        """Build facts from a mapping, ignoring keys that are not facts (e.g. a whole form or API body)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def dictionary_entry(self, column: str) -> Mapping[str, Any] | None:
        """The field-dictionary entry named `column`, or None."""
        return next((e for e in self.field_dictionary if e.get("name") == column), None)


FACT_NAMES = frozenset(f.name for f in fields(ProductFacts))
