"""The application factory: binds extensions, registers every feature's blueprints, CLI and handlers."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from babel import Locale
from flask import Flask, has_request_context, request, send_from_directory, session
from flask_smorest.spec.plugins import integerconverter2paramschema
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from marketplace import config as settings
from marketplace import httpcache
from marketplace.database import configure_engine
from marketplace.errors import register_error_handlers
from marketplace.extensions import api, babel, csrf, db, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


class RowIdConverter(IntegerConverter):
    """`<int:…>` capped at the largest row id (PostgreSQL INTEGER): a larger number is no such page (404), never a
    database error (PostgreSQL: integer out of range; SQLite: OverflowError past 2**63 - 1)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

LANGUAGES = ("zh_CN", "en")


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance"), template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"))
    app.config.update(settings.load(Path(app.instance_path)))
    if test_config:
        app.config.update(test_config)

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    httpcache.responses.init_app(app, config={"CACHE_TYPE": app.config["CACHE_TYPE"],
                                              "CACHE_REDIS_URL": app.config["CACHE_REDIS_URL"],
                                              "CACHE_THRESHOLD": app.config.get("CACHE_THRESHOLD", 2000)})
    _init_origin_check(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    _init_login(app)
    # Before any route exists: `<int:…>` in every URL rule means a row id that fits the database's 64-bit integer.
    app.url_map.converters["int"] = RowIdConverter
    api.init_app(app, spec_kwargs={"info": {"description": "Register, review, certify and list data products."}})
    api.register_converter(RowIdConverter, integerconverter2paramschema)
    _document_security(api)
    _register_features(app)
    register_error_handlers(app)
    _register_security_headers(app)
    _register_template_helpers(app)
    trust_proxies(app, int(app.config.get("MARKETPLACE_TRUSTED_PROXIES", 0)))
    return app


def trust_proxies(app: Flask, hops: int) -> None:
    """Behind `hops` proxies (load balancers) that set X-Forwarded-For and -Proto, take the client's address and
    scheme from them: the sign-in throttle then counts per client, not per balancer, and external URLs keep https.
    With none (the default) the headers are ignored, so a client cannot pick its own address to dodge the throttle."""
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _select_locale() -> Locale:
    if not has_request_context():
        return _LOCALES["zh_CN"]
    requested = request.args.get("lang")
    if requested in ("zh", "zh_CN", "en"):
        session["lang"] = "en" if requested == "en" else "zh_CN"
    chosen = session.get("lang")
    return _LOCALES.get(chosen) or _negotiated(request.headers.get("Accept-Language", ""))


# Parsed once: Flask-Babel takes a Locale as it is, where a name would be parsed again on every request.
_LOCALES = {name: Locale.parse(name) for name in LANGUAGES}


@lru_cache(maxsize=512)
def _negotiated(accept_language: str) -> Locale:
    """The best of our languages for an Accept-Language header; browsers send a handful of distinct ones."""
    best = parse_accept_header(accept_language, LanguageAccept).best_match(LANGUAGES)
    return _LOCALES[best or "zh_CN"]


def _init_origin_check(app: Flask) -> None:
    # Registered before CSRFProtect's hook: another site's page posting with our cookie is refused as such (403).
    from marketplace.accounts import origin

    origin.init_app(app)


def _init_login(app: Flask) -> None:
    from marketplace.accounts import sessions
    from marketplace.accounts.models import User

    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str):
        # The session names a generation: signing out bumps it, so an old cookie replayed is refused.
        user_id, _, generation = session_id.partition(":")
        if not user_id.isdigit() or not generation.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or user.session_generation != int(generation) or not user.active:
            return None
        if not sessions.fresh():
            return None
        return user


def _register_features(app: Flask) -> None:
    from marketplace import cli, jobs
    from marketplace.accounts import api as accounts_api
    from marketplace.accounts import oauth
    from marketplace.accounts import views as accounts_views
    from marketplace.catalog import api as catalog_api
    from marketplace.catalog import dcat_views
    from marketplace.catalog import services as catalog_services
    from marketplace.catalog import views as catalog_views
    from marketplace.consent import api as consent_api
    from marketplace.consent import views as consent_views
    from marketplace.delivery import api as delivery_api
    from marketplace.delivery import views as delivery_views
    from marketplace.notifications import api as notifications_api
    from marketplace.notifications import views as notifications_views
    from marketplace.payments import api as payments_api
    from marketplace.payments import views as payments_views
    from marketplace.products import api as products_api
    from marketplace.products import views as products_views
    from marketplace.registration import api as registration_api
    from marketplace.registration import views as registration_views
    from marketplace.trading import api as trading_api
    from marketplace.trading import notify as trading_notify
    from marketplace.trading import views as trading_views

    oauth.init_app(app)
    for blueprint in (accounts_views.blueprint, products_views.blueprint, registration_views.blueprint,
                      catalog_views.blueprint, dcat_views.blueprint, payments_api.webhooks, trading_views.blueprint,
                      payments_views.blueprint, notifications_views.blueprint, consent_views.blueprint):
        app.register_blueprint(blueprint)
    # Stripe signs its webhooks; it cannot send our CSRF token.
    csrf.exempt(payments_api.webhooks)
    for blueprint in (catalog_api.blueprint, catalog_api.listing_blueprint, accounts_api.blueprint,
                      products_api.blueprint, registration_api.blueprint, trading_api.requests_blueprint,
                      trading_api.contracts_blueprint, payments_api.blueprint, payments_api.finance_blueprint,
                      notifications_api.blueprint, consent_api.requests_blueprint, consent_api.consents_blueprint,
                      consent_api.certificates_blueprint):
        # The JSON API checks CSRF itself for cookie-authenticated calls (accounts.guard); bearer calls need none.
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint, url_prefix=f"/api/v1{blueprint.url_prefix or ''}")
    # Delivery: brokers' releases; buyers' files, consent-gated records and aggregates (CSRF as above).
    app.register_blueprint(delivery_views.blueprint)
    for blueprint in (delivery_api.releases_blueprint, delivery_api.blueprint):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint, url_prefix=f"/api/v1{blueprint.url_prefix or ''}")
    cli.register(app)
    jobs.register_cli(app)
    catalog_services.connect()
    trading_notify.connect()

    import swagger_ui_bundle

    @app.get("/api/docs/static/<path:filename>")
    def swagger_static(filename):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)


def _document_security(spec_api) -> None:
    from marketplace.policy import SCOPES

    spec_api.spec.components.security_scheme("oauth2", {
        "type": "oauth2", "description": "Client credentials; the token acts for the user who created the client.",
        "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": dict(SCOPES)}},
    })
    spec_api.spec.components.security_scheme("session", {
        "type": "apiKey", "in": "cookie", "name": "session",
        "description": "A signed-in browser; state changes also need the X-CSRFToken header.",
    })


def _register_security_headers(app: Flask) -> None:
    production = app.config["ENV_NAME"] == "production"

    @app.after_request
    def _headers(response):
        if request.path.startswith("/api/docs"):
            # Swagger UI's page ships an inline bootstrap script; only that page gets it.
            script = "script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'"
        else:
            script = "script-src 'self'; style-src 'self'"
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; {script}; img-src 'self' data:; frame-ancestors 'none'; "
            "base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if production:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def _register_template_helpers(app: Flask) -> None:
    from compliance import vocabulary
    from marketplace import policy
    from marketplace.i18n import lang, pick

    def label(vocab_name: str, code: str) -> str:
        return vocabulary.label(getattr(vocabulary, vocab_name), code, lang())

    app.jinja_env.globals.update(policy=policy, lang=lang, pick=pick, label=label, vocabulary=vocabulary,
                                 exchange_name=lambda: app.config["MARKETPLACE_EXCHANGE_NAME_EN"]
                                 if lang() == "en" else app.config["MARKETPLACE_EXCHANGE_NAME"])
