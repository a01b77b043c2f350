"""Settings read from the environment when the app is created (never at import time)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """A setting needed in production is missing or unusable."""


def _secret(instance_path: Path, production: bool, variable: str, filename: str) -> str:
    key = os.environ.get(variable)
    if key:
        return key
    if production:
        raise ConfigError(f"{variable} must be set when MARKETPLACE_ENV=production")
    # Local runs keep one generated key, so sessions (and identity-number hashes) survive restarts of `make run`.
    path = instance_path / filename
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _sqlalchemy_url(url: str) -> str:
    """postgres:// and postgresql:// URLs (as hosting platforms give them) through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def load(instance_path: Path) -> dict:
    """Build the configuration mapping from the environment."""
    instance_path.mkdir(parents=True, exist_ok=True)
    env = os.environ.get("MARKETPLACE_ENV", "development")
    production = env == "production"
    database_url = _sqlalchemy_url(os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'exchange.db'}")
    # A streaming replica of DATABASE_URL: the public catalog's anonymous reads go there (marketplace/replica.py).
    replica_url = os.environ.get("DATABASE_REPLICA_URL")
    settings = {
        "ENV_NAME": env,
        "SECRET_KEY": _secret(instance_path, production, "SECRET_KEY", "secret_key"),
        # Keys the hashes identity numbers are stored as: an 18-character resident ID has so little entropy that a
        # plain SHA-256 of it is reversed by enumeration; without this key the stored hashes reveal nothing.
        "MARKETPLACE_ID_HASH_KEY": _secret(instance_path, production, "MARKETPLACE_ID_HASH_KEY", "id_hash_key"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DATABASE_REPLICA_URL": _sqlalchemy_url(replica_url) if replica_url else None,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": os.environ.get("REDIS_URL"),
        # Where the server keeps its copies of anonymous catalog answers (httpcache.py), in Flask-Caching's own terms:
        # each process's memory by default; RedisCache with CACHE_REDIS_URL to share them; NullCache to keep none.
        "CACHE_TYPE": os.environ.get("CACHE_TYPE", "SimpleCache"),
        "CACHE_REDIS_URL": os.environ.get("CACHE_REDIS_URL", ""),
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        "REMEMBER_COOKIE_SECURE": production,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": production,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent.parent / "translations"),
        "API_TITLE": "Data exchange API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "v1/openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/api/docs/static/",
        "MARKETPLACE_EXCHANGE_CODE": "JMDE",
        "MARKETPLACE_EXCHANGE_NAME": "江门数据交易服务基地",
        "MARKETPLACE_EXCHANGE_NAME_EN": "Jiangmen Data Exchange Service Base",
        "MARKETPLACE_NOTICE_PERIOD_HOURS": 72,
        "MARKETPLACE_CERTIFICATE_YEARS": 3,
        "MARKETPLACE_SAMPLE_MAX_BYTES": 10 * 1024 * 1024,
        "MARKETPLACE_TOKEN_SECONDS": 3600,  # nosec B105 # a lifetime in seconds, not a secret
        "MARKETPLACE_PASSWORD_HASH": "scrypt",  # nosec B105 # the hash method, not a password
        "MARKETPLACE_FILES_DIR": str(instance_path / "files"),
        # Blobs go to this S3 bucket instead when set (storage.py); the endpoint is for MinIO and other S3-compatible
        # services, the region empty for boto3's own. Credentials come from the AWS chain, never from here.
        "MARKETPLACE_S3_BUCKET": "",
        "MARKETPLACE_S3_ENDPOINT_URL": "",
        "MARKETPLACE_S3_REGION": "",
        # Sector zones of the catalog (venues besides "main"), as sector codes; a JSON list in the environment.
        "MARKETPLACE_CATALOG_ZONES": ["finance", "agriculture", "energy", "health", "social_security"],
        "MARKETPLACE_CATALOG_PAGE_SIZE": 20,
        # Seconds shared caches and browsers may reuse an anonymous public page or read unasked (httpcache.py).
        "MARKETPLACE_PUBLIC_MAX_AGE": 60,
        # Seconds a process reuses its read of the catalog's newest change before reading it again: the longest a
        # change committed elsewhere takes to reach this process's server-side copies (httpcache.py).
        "MARKETPLACE_PUBLIC_STAMP_SECONDS": 1,
        # Matches a text search examines at most (the newest); more make its counts estimates (search.py).
        "MARKETPLACE_SEARCH_CANDIDATES": 1000,
        "MARKETPLACE_CURRENCIES": ["CNY", "HKD", "MOP", "USD", "EUR"],
        # A pending access request expires after this many days (AWS Data Exchange's subscription requests: 45).
        "MARKETPLACE_REQUEST_EXPIRY_DAYS": 45,
        # The exchange's fee on the trade value, in basis points, charged to the provider (Shanghai's: 2.5%).
        "MARKETPLACE_FEE_BPS": 250,
        # Notification e-mails go out when set: smtp://host:port, smtp+starttls://user:pass@host:587, smtps://…
        "MARKETPLACE_SMTP_URL": "",
        "MARKETPLACE_MAIL_FROM": "noreply@localhost",
        # Delivery calls per contract per minute (shared through Redis when REDIS_URL is set), and the smallest
        # group an aggregate-only query may return (k).
        "MARKETPLACE_DELIVERY_RATE_PER_MINUTE": 60,
        # Failed sign-ins (and password re-entries, token requests) per account and address before a 429 that
        # the right password also gets until the window passes (ASVS 6.3.1).
        "MARKETPLACE_SIGNIN_MAX_FAILURES": 5,
        # A browser session ends after this long unused, and this long after sign-in whatever (ASVS 7.3.1-2).
        "MARKETPLACE_SESSION_IDLE_MINUTES": 30,
        "MARKETPLACE_SESSION_MAX_HOURS": 12,
        "MARKETPLACE_SIGNIN_WINDOW_SECONDS": 900,
        # How many proxies (load balancers) in front set X-Forwarded-For/-Proto; 0 ignores those headers (app_factory).
        "MARKETPLACE_TRUSTED_PROXIES": 0,
        "MARKETPLACE_AGGREGATE_MIN_GROUP": 10,
        # Card payments through Stripe when a key is set; offline bank-transfer settlement always.
        "STRIPE_API_KEY": os.environ.get("STRIPE_API_KEY", ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
    }
    settings.update(_prefixed("MARKETPLACE_"))
    if settings["STRIPE_API_KEY"] and not settings["STRIPE_WEBHOOK_SECRET"]:
        raise ConfigError("STRIPE_WEBHOOK_SECRET must be set with STRIPE_API_KEY: unverified webhooks are refused")
    return settings


def _prefixed(prefix: str) -> dict:
    """MARKETPLACE_* variables, JSON-decoded where they parse (numbers, booleans), as Flask's from_prefixed_env."""
    values = {}
    for key, raw in os.environ.items():
        if key.startswith(prefix) and key != "MARKETPLACE_ENV":
            try:
                values[key] = json.loads(raw)
            except ValueError:
                values[key] = raw
    return values
