"""Unbound Flask extensions; the app factory binds them with init_app."""

from flask import current_app, request, session
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from marketplace.errors import ProblemApi
from marketplace.replica import RoutingSession

# Stable constraint names keep Alembic's autogenerate and downgrades deterministic on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The session class sends the public catalog's anonymous reads to DATABASE_REPLICA_URL when set (replica.py).
db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
migrate = Migrate()


class _LoginManager(LoginManager):
    def _session_protection_failed(self) -> bool:
        # Only a session that signs someone in (or a remember-me cookie) has anything to protect. Flask-Login would
        # also "protect" an anonymous one holding a language choice or a CSRF token, rewriting it on every request:
        # each page then re-sends the cookie and no public page can be shared-cached (marketplace/httpcache.py).
        if "_user_id" not in session and current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") \
                not in request.cookies:
            return False
        return super()._session_protection_failed()


login_manager = _LoginManager()
csrf = CSRFProtect()
babel = Babel()
api = ProblemApi()
