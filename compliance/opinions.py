"""The shape of an automatic opinion on a checklist item, shared by the declaration and sample checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from compliance.vocabulary import PI_TYPES, label

if TYPE_CHECKING:
    from compliance.facts import ProductFacts
    from compliance.pi_scan import ScanReport
    from compliance.samples import Sample


@dataclass
class Opinion:
    """An automatic outcome ("pass", "fail", "flag" or None for no opinion), why, and JSON details."""

    outcome: str | None
    message: dict[str, str]
    details: dict[str, Any] = field(default_factory=dict)


# Every automatic check has this signature, so that a template can name any of them by item code.
Check = Callable[["ProductFacts", "Sample | None", "ScanReport | None"], Opinion]

# A problem is one sentence in English and Chinese; an item's message joins all of its problems.
Problem = tuple[str, str]


def message(en: str, zh: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def joined(problems: list[Problem]) -> dict[str, str]:
    return message(" ".join(en for en, _ in problems), "".join(zh for _, zh in problems))


def percent(part: int, whole: int) -> str:
    """`part` of `whole` as a percentage a reader can compare: "100%", "33%", "2.5%", "<0.1%"."""
    if whole <= 0:
        return "0%"
    share = 100 * part / whole
    if part and share < 0.1:
        return "<0.1%"
    if share >= 10 or share == int(share):
        return f"{share:.0f}%"
    return f"{share:.1f}%"


def rows_share(part: int, whole: int, lang: str) -> str:
    """ "3 of 120 rows (2.5%)" in English, "120 行中有 3 行（2.5%）" in Chinese."""
    if lang == "zh":
        return f"{whole} 行中有 {part} 行（{percent(part, whole)}）"
    return f"{part} of {whole} rows ({percent(part, whole)})"


def pi_label(type_: str, lang: str) -> str:
    return label(PI_TYPES, type_, lang)


def pi_labels(types: list[str] | dict[str, int], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(pi_label(t, lang) for t in types)
