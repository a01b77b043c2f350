"""Composition root: `flask --app app …` and `gunicorn app:app` both load this."""

from marketplace.app_factory import create_app

app = create_app()
