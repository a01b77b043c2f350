"""Organisations, their users and invitations, and the OAuth clients and tokens users create."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime
from enum import StrEnum

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from flask import current_app
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.accounts.states import OrgState
from marketplace.extensions import db
from marketplace.types import UTCDateTime, utcnow


class OrgKind(StrEnum):
    PROVIDER = "provider"
    BUYER = "buyer"
    REVIEWER = "reviewer"
    EXCHANGE = "exchange"


class Role(StrEnum):
    BROKER = "broker"
    BUYER = "buyer"
    REVIEWER = "reviewer"
    ADMIN = "admin"
    FINANCE = "finance"
    SUBJECT = "subject"


# Which roles an organisation of each kind may give its members.
ROLES_BY_KIND = {
    OrgKind.PROVIDER: (Role.BROKER,),
    OrgKind.BUYER: (Role.BUYER,),
    OrgKind.REVIEWER: (Role.REVIEWER,),
    OrgKind.EXCHANGE: (Role.ADMIN, Role.REVIEWER, Role.FINANCE),
}


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default=OrgState.APPLIED)
    legal_representative: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    members = relationship("User", back_populates="organization", lazy="select")

    def display_name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    is_org_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A data subject is identified by the hash of their resident ID; only a masked form is displayed.
    id_number_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(32))
    # Bumped at sign-out and on disabling, so every session cookie issued before is refused.
    session_generation: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organization = relationship("Organization", back_populates="members", lazy="joined")

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_generation}"

    def get_user_id(self) -> int:
        return self.id

    def set_password(self, password: str) -> None:
        # scrypt in every deployment; the test suite may name a cheaper method to keep it fast.
        self.password_hash = generate_password_hash(
            password, method=current_app.config.get("MARKETPLACE_PASSWORD_HASH", "scrypt"))

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class Invitation(db.Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization = relationship("Organization", lazy="joined")


class OAuthClient(ClientMixin, db.Model):
    """A machine client; its tokens act for the user who created it, within its scopes."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(48), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100), default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User", lazy="joined")

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        if not scope:
            return self.scope
        allowed = set(self.scope.split())
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(self.secret_hash, sha256_hex(client_secret))

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint != "token" or method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials" and self.revoked_at is None and self.user.active


class OAuthToken(TokenMixin, db.Model):
    """Only the SHA-256 of a bearer token is stored; the token itself is shown once."""

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(48), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[int] = mapped_column(Integer)
    expires_in: Mapped[int] = mapped_column(Integer)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user = relationship("User", lazy="joined")

    def check_client(self, client):
        return self.client_id == client.get_client_id()

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_expired(self):
        return self.issued_at + self.expires_in < time.time()

    def is_revoked(self):
        return self.revoked
