"""The language of the current request, for texts that compliance/ gives in both languages ({"zh", "en"})."""

from __future__ import annotations

from flask_babel import get_locale


def lang() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def pick(message: dict) -> str:
    """One language of a {"zh": …, "en": …} text, falling back to the other."""
    return message.get(lang()) or message.get("en") or message.get("zh", "")
