"""OAuth 2.0 client credentials (authlib): the token endpoint and the bearer-token guard of the API."""

from __future__ import annotations

import time

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from flask import Blueprint, Flask
from sqlalchemy import select

from marketplace import audit
from marketplace.accounts.models import OAuthClient, OAuthToken, sha256_hex
from marketplace.extensions import csrf, db

authorization = AuthorizationServer()
require_oauth = ResourceProtector()
blueprint = Blueprint("oauth", __name__)


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class HashedBearerTokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        return db.session.scalar(select(OAuthToken).where(OAuthToken.token_hash == sha256_hex(token_string)))


def _query_client(client_id):
    return db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))


def _save_token(token, request):
    client = request.client
    db.session.add(OAuthToken(client_id=client.client_id, user_id=client.user_id,
                              token_hash=sha256_hex(token["access_token"]), scope=token.get("scope", ""),
                              issued_at=int(time.time()), expires_in=int(token["expires_in"])))
    audit.record(client.user, "oauth.token", "oauth_client", client.id, {"scope": token.get("scope", "")})
    db.session.commit()


@blueprint.post("/oauth/token")
@csrf.exempt
def issue_token():
    return authorization.create_token_response()


def init_app(app: Flask) -> None:
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
