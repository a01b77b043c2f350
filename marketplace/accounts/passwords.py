"""Password rules (ASVS 6.2): length 12–128, no common passwords; hashing itself is werkzeug's scrypt."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask_babel import gettext as _

from marketplace.errors import ValidationFailed

MIN_LENGTH = 12
MAX_LENGTH = 128


@cache
def _common() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def check_password_rules(password: str, *, field: str = "password") -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(_("The password must have at least %(n)d characters.", n=MIN_LENGTH),
                               errors={field: [_("At least %(n)d characters.", n=MIN_LENGTH)]})
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(_("The password may have at most %(n)d characters.", n=MAX_LENGTH),
                               errors={field: [_("At most %(n)d characters.", n=MAX_LENGTH)]})
    if password.lower() in _common():
        raise ValidationFailed(_("This password is too common; choose another."),
                               errors={field: [_("Too common.")]})
