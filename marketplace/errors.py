"""Domain errors raised by services, and the one place that turns them into HTTP responses."""

from __future__ import annotations

import http
import logging

import marshmallow as ma
from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def N_(message: str) -> str:
    """Mark a string for extraction only; it is translated where it is shown (`_(exc.title)` below)."""
    return message


class DomainError(Exception):
    status = 400
    title = N_("Bad request")

    def __init__(self, detail: str, *, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


class NotFound(DomainError):
    status = 404
    title = N_("Not found")


class Unauthorized(DomainError):
    status = 401
    title = N_("Sign-in required")


class Forbidden(DomainError):
    status = 403
    title = N_("Forbidden")


class InvalidTransition(DomainError):
    status = 409
    title = N_("Not allowed in the current state")


class Conflict(DomainError):
    status = 409
    title = N_("Conflict")


class ValidationFailed(DomainError):
    status = 422
    title = N_("Validation failed")


class ProblemSchema(ma.Schema):
    """The problem body that `problem()` writes (RFC 9457), for the OpenAPI document only."""

    type = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    errors = ma.fields.Dict(metadata={"description": "Messages by field name."})


class ProblemApi(Api):
    """flask-smorest's Api documenting its error responses as what they are: problem+json with `ProblemSchema`."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, "application/problem+json")
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, "application/problem+json")
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/oauth/")) or request.path.endswith(".jsonld"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json", "application/problem+json",
                                                "application/ld+json"])
    return best in ("application/json", "application/problem+json", "application/ld+json")


def problem(status: int, title: str, detail: str, errors: dict | None = None):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _render(status: int, title: str, detail: str, errors: dict | None = None):
    if wants_json():
        return problem(status, title, detail, errors)
    return render_template("errors/error.html", status=status, title=title, detail=detail, errors=errors), status


def _webargs_errors(exc: HTTPException) -> dict | None:
    """webargs/flask-smorest put field messages under data['messages'][location]; flatten the location away."""
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if not isinstance(messages, dict):
        return None
    flat: dict = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            flat.update(location_errors)
    return flat or messages


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return _render(exc.status, _(exc.title), exc.detail, exc.errors)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        errors = _webargs_errors(exc)
        detail = exc.description or exc.name
        if errors:
            fields = ", ".join(sorted(str(key) for key in errors))
            detail = f"Invalid input in: {fields}"
        response = _render(exc.code or 500, exc.name, detail, errors)
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response = app.make_response(response)
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(DataError)
    def _refused_value(exc: DataError):
        # A value no schema stopped but the database cannot hold (PostgreSQL: a NUL byte in text, a number out of
        # range): the client's bad input, so a 400, logged to show which validation let it through.
        log.warning("database refused a value on %s %s: %s", request.method, request.path, exc.orig)
        from marketplace.extensions import db

        db.session.rollback()
        return _render(400, "Bad request", "A value of the request cannot be stored or looked up (NUL byte, "
                                           "number out of range).")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, "Internal server error", "Something went wrong on our side; it has been logged.")
