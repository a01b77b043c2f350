"""The exchange's Ed25519 signing keys: the active one signs, retired ones stay published so old receipts verify."""

from __future__ import annotations

import os
from datetime import datetime
from functools import cache
from pathlib import Path

from flask import current_app
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from compliance import signing
from marketplace.extensions import db
from marketplace.types import UTCDateTime, utcnow


class SigningKey(db.Model):
    """A public key the exchange has signed with; the private half lives in a file, never in the database."""

    __tablename__ = "signing_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    public_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def _key_path() -> Path:
    configured = current_app.config.get("MARKETPLACE_SIGNING_KEY_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "signing-key.pem"


@cache
def _load_private_key(path: str, mtime: float):
    return signing.load_private_key(Path(path).read_bytes())


def private_key():
    """The active private key: the operator's file, or one generated under instance/ on first use."""
    path = _key_path()
    if not path.exists():
        if current_app.config.get("ENV_NAME") == "production" and current_app.config.get(
                "MARKETPLACE_SIGNING_KEY_FILE"):
            raise RuntimeError(f"MARKETPLACE_SIGNING_KEY_FILE {path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two workers starting at once cannot both write a key.
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(handle, "wb") as file:
                file.write(signing.private_key_to_pem(signing.generate_private_key()))
    return _load_private_key(str(path), path.stat().st_mtime)


def active_key() -> tuple[str, object]:
    """(key_id, private key), registering the public half the first time it is used."""
    key = private_key()
    key_id = signing.key_id(key.public_key())
    if db.session.get(SigningKey, key_id) is None:
        for previous in db.session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
            previous.retired_at = utcnow()
        db.session.add(SigningKey(key_id=key_id, public_pem=signing.public_key_to_pem(key.public_key()).decode()))
        db.session.flush()
    return key_id, key


def public_keys() -> dict[str, object]:
    return {row.key_id: signing.load_public_key(row.public_pem.encode())
            for row in db.session.scalars(select(SigningKey))}


def keys_document() -> dict:
    rows = db.session.scalars(select(SigningKey).order_by(SigningKey.created_at))
    return signing.keys_document(
        {"key_id": row.key_id, "public_key_pem": row.public_pem, "created_at": row.created_at.isoformat(),
         "retired_at": row.retired_at.isoformat() if row.retired_at else None}
        for row in rows
    )
