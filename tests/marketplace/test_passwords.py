"""Password rules and storage (ASVS 6.2): length, common passwords, scrypt by default, exact verification."""

from __future__ import annotations

import pytest

from marketplace.accounts.models import User
from marketplace.accounts.passwords import check_password_rules
from marketplace.config import load
from marketplace.errors import ValidationFailed


@pytest.mark.parametrize("password", ["short", "x" * 11, "x" * 129, "password1234", "Qwertyuiop123"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationFailed):
        check_password_rules(password)


@pytest.mark.parametrize("password", ["x" * 12, "长城长城长城长城长城长城", "a" * 100 + "b" * 28])
def test_long_enough_passwords_are_accepted(password):
    check_password_rules(password)


def test_scrypt_is_the_default_and_long_passwords_are_verified_exactly(app, tmp_path, monkeypatch):
    monkeypatch.delenv("MARKETPLACE_PASSWORD_HASH", raising=False)
    assert load(tmp_path)["MARKETPLACE_PASSWORD_HASH"] == "scrypt"
    app.config["MARKETPLACE_PASSWORD_HASH"] = "scrypt"
    user = User()
    password = "p" * 100 + "-tail-differs"
    user.set_password(password)
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password(password)
    assert not user.check_password("p" * 100 + "-tail-DIFFERS"), "no truncation: the tail counts"
