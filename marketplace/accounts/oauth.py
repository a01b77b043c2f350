"""OAuth 2.0 client credentials (authlib): the token endpoint and the bearer-token guard of the API."""

from __future__ import annotations

import logging
import time
from functools import cache
from urllib.parse import unquote

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.grants import client_credentials
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from flask import Blueprint, Flask, request
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from marketplace import audit, ratelimit
from marketplace.accounts.models import OAuthClient, OAuthToken, sha256_hex
from marketplace.database import unit_of_work
from marketplace.errors import problem
from marketplace.extensions import csrf, db

authorization = AuthorizationServer()
require_oauth = ResourceProtector()
blueprint = Blueprint("oauth", __name__)


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


@cache
def _token_by_hash():
    # Built once: every API call asks it, and building and keying a statement cost more than running it.
    return select(OAuthToken).where(OAuthToken.token_hash == bindparam("token_hash"))


class HashedBearerTokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        return db.session.scalar(_token_by_hash(), {"token_hash": sha256_hex(token_string)})


def _query_client(client_id):
    return db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))


def _save_token(token, request):
    client = request.client
    # A unit of work, as every write: on SQLite its transaction takes the write lock at BEGIN, so clients asking for
    # tokens at once queue instead of failing with "database is locked" when a read transaction upgrades.
    with unit_of_work():
        db.session.add(OAuthToken(client_id=client.client_id, user_id=client.user_id,
                                  token_hash=sha256_hex(token["access_token"]), scope=token.get("scope", ""),
                                  issued_at=int(time.time()), expires_in=int(token["expires_in"])))
        audit.record(client.user, "oauth.token", "oauth_client", client.id, {"scope": token.get("scope", "")})


@blueprint.post("/oauth/token")
@csrf.exempt
def issue_token():
    # Failed client authentication is throttled per client id and address, as sign-in is (ASVS 6.3.1).
    client_id = _presented_client_id()
    try:
        ratelimit.refuse_if_throttled("oauth-client", client_id)
    except ratelimit.TooManyAttempts as exc:
        response = problem(exc.status, _(exc.title), exc.detail)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    response = authorization.create_token_response()
    if response.status_code == 200:
        ratelimit.record_success("oauth-client", client_id)
    elif response.status_code == 401:
        ratelimit.record_failure("oauth-client", client_id)
    return response


def _presented_client_id() -> str:
    """The client id of client_secret_basic or client_secret_post, unverified: only a throttle key."""
    credentials = request.authorization
    if credentials is not None and credentials.type == "basic" and credentials.username:
        return unquote(credentials.username)
    return request.form.get("client_id", "")


class _RedactTokens(logging.Filter):
    """authlib logs each issued token at DEBUG ("Issue token {...} to client"): keep the record, drop the secrets."""

    SECRET_KEYS = ("access_token", "refresh_token", "client_secret")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                {key: "[redacted]" if key in self.SECRET_KEYS else value for key, value in arg.items()}
                if isinstance(arg, dict) else arg for arg in record.args)
        return True


_redact_tokens = _RedactTokens()


def init_app(app: Flask) -> None:
    # Logger filters are not inherited by child loggers: attach to the grant module's own logger.
    client_credentials.log.addFilter(_redact_tokens)
    authorization.init_app(app, query_client=_query_client, save_token=_save_token)
    authorization.register_grant(ClientCredentialsGrant)
    lifetime = int(app.config["MARKETPLACE_TOKEN_SECONDS"])
    authorization.register_token_generator("default", _token_generator(lifetime))
    require_oauth.register_token_validator(HashedBearerTokenValidator())
    app.register_blueprint(blueprint)


def _token_generator(lifetime: int):
    def access_token(client, grant_type, user, scope):
        return generate_token(48)

    def expires_in(client, grant_type):
        return lifetime

    return BearerTokenGenerator(access_token, expires_generator=expires_in)
